"""One motion model per Human3.6M action: what the subject does over time, as a script of postures.

Each model is a function `(t, rng, style, fps) -> Motion` of the frame times t (seconds, sampled at `fps`:
Human3.6M's 50 Hz, HumanEva-I's 60 Hz; speeds and gait phases are integrated frame by frame). It writes
a `Timeline` of holds and eased transitions (start drawn a few seconds before t = 0 so that a short
window starts mid-activity), adds its periodic parts (gait, waving, gesturing beats) and slow postural
sway, and keeps the subject inside the capture volume. The models differ where the actions differ:

- Walking, WalkTogether, WalkDog: gait cycles along closed loops; WalkTogether slower on a track-shaped
  loop, with the head turned to the companion; WalkDog slowest, on a wandering loop with stops,
  one hand on the leash and bending down to the dog.
- Sitting and Eating on a chair (hips ~0.5 m); SittingDown goes down to the floor and up again.
- Eating, Smoking, Phoning bring a hand to the face: bites every few seconds (often both hands),
  slower puffs held at the mouth, a phone held at the ear for long stretches.
- Directions points, Greeting waves and shakes hands, Purchases walks and reaches, Photo holds a camera
  at the face (sometimes crouching), Posing holds distinct poses, Waiting shifts weight and looks
  around, Discussion gestures with both hands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from poselift.datasets.synthetic import gestures as g
from poselift.datasets.synthetic.kinematics import Body
from poselift.datasets.synthetic.locomotion import Gait, Loop, add_gait, ellipse, gait_timing, stadium
from poselift.datasets.synthetic.posture import SIDES, Motion, Timeline, neutral
from poselift.datasets.synthetic.signals import integrate, sway

# Where the subject stays (mm, world frame), found by projecting bodies through the four cameras of
# every subject: walking loops (up to ~1.9 m x 3 m) go round LOOP_CENTER and keep a walker in all
# images; stationary actions stand within STAND_RADIUS of STAND_CENTER, where hands raised to 2.25 m
# still are (the upper image edge of the nearest cameras is the tightest limit).
LOOP_CENTER = (300.0, 700.0)
STAND_CENTER = (750.0, 1200.0)
STAND_RADIUS = 300.0
LATERAL_ACCELERATION = 1500.0  # mm/s^2 a walker allows in a turn; it slows down in tight ones


@dataclass(frozen=True)
class Style:
    """How one subject moves: the body, its gait and its manner, shared by all its sequences."""

    body: Body
    gait: Gait
    tempo: float  # > 1: quicker gestures and transitions
    amplitude: float  # scale of gestures and sway
    arm_swing: float  # mm, hand swing while walking at full stride
    lean: float  # degrees, habitual forward lean of the trunk
    dominant: int  # side of the dominant hand: -1 right, +1 left
    seat: float  # mm, root height on a chair (from the subject's shin length)


def side_of(side: int) -> str:
    return "l" if side > 0 else "r"


def script_start(t: np.ndarray, rng: np.random.Generator, style: Style, spot: np.ndarray | None = None) -> Timeline:
    """A script that starts standing at `spot` (default: anywhere on the stage), facing any way, up
    to 3 s before the first frame. Besides the posture channels it carries the script's own: the
    place and heading on the floor (`_x`, `_y` mm, `_yaw` degrees), gesture beats per hand (`_beat_l`,
    `_beat_r`, mm) and waving (`_wave`: +1 left hand, -1 right)."""
    state = neutral(style.body)
    state["spine_flex"] = style.lean
    if spot is None:
        spot = stand_spot(rng)
    state.update(_x=spot[0], _y=spot[1], _yaw=rng.uniform(-180, 180), _beat_l=0.0, _beat_r=0.0, _wave=0.0)
    return Timeline(state, start=t[0] - rng.uniform(0.0, 3.0))


def stand_spot(rng: np.random.Generator, radius: float = STAND_RADIUS) -> np.ndarray:
    angle, r = rng.uniform(0, 2 * np.pi), radius * np.sqrt(rng.uniform())
    return np.array([STAND_CENTER[0] + r * np.cos(angle), STAND_CENTER[1] + r * np.sin(angle)])


def dur(style: Style, rng: np.random.Generator, low: float, high: float) -> float:
    """A duration in [low, high] seconds, at the subject's tempo."""
    return rng.uniform(low, high) / style.tempo


def _step_to(tl: Timeline, rng: np.random.Generator, style: Style, spot: np.ndarray, face: float | None = None) -> None:
    """Walk a few steps to `spot`: turn towards it, walk, then turn to `face` (degrees) if given."""
    here = np.array([tl.state["_x"], tl.state["_y"]])
    distance = float(np.linalg.norm(spot - here))
    if distance < 100:
        return
    heading = np.degrees(np.arctan2(*(spot - here)[::-1]))
    yaw = tl.state["_yaw"]
    heading = yaw + (heading - yaw + 180) % 360 - 180  # the short way round
    if distance > 350:
        tl.to(dur(style, rng, 0.4, 0.7), _yaw=heading)
    tl.to(distance / (0.55 * style.gait.speed) + 0.3, _x=spot[0], _y=spot[1])
    if face is not None:
        tl.to(dur(style, rng, 0.4, 0.8), _yaw=face)


def turn(tl: Timeline, rng: np.random.Generator, style: Style, low: float, high: float) -> None:
    tl.to(dur(style, rng, 0.6, 1.2), _yaw=tl.state["_yaw"] + rng.choice([-1, 1]) * rng.uniform(low, high))


def weight(side: int, amount: float = 1.0) -> dict:
    """Weight on one leg (side sign; 0: both): the pelvis over it, the other knee relaxed."""
    changes = {"sway_y": 45.0 * side * amount, "pelvis_roll": 3.0 * side * amount,
               "l_knee": 2.0, "r_knee": 2.0, "l_hip_flex": 0.0, "r_hip_flex": 0.0}
    if side:
        free = side_of(-side)
        changes[f"{free}_knee"] = 2.0 + 12.0 * amount
        changes[f"{free}_hip_flex"] = 5.0 * amount
    return changes


def _beats(t: np.ndarray, rng: np.random.Generator, envelope: np.ndarray, low_hz: float, high_hz: float) -> np.ndarray:
    """Gesture beats (N, 3), mm: a hand moving to and fro along a drifting direction, scaled by `envelope`."""
    hz = rng.uniform(low_hz, high_hz)
    direction = np.array([0.6, 0.5, 1.0]) * rng.normal(size=3) + sway(rng, t, 0.5, 0.3, shape=(3,))
    direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
    wave = np.sin(2 * np.pi * hz * t + rng.uniform(0, 2 * np.pi)) + 0.4 * np.sin(2 * np.pi * 1.7 * hz * t)
    return envelope[:, None] * wave[:, None] * direction


def finish(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float, controls: dict[str, np.ndarray],
            fidget: float = 1.0, xy: np.ndarray | None = None, yaw: np.ndarray | None = None) -> Motion:
    """Add the steps of any walking the script did, waving and beats, slow sway; make the Motion."""
    x, y, yaw_deg = controls.pop("_x"), controls.pop("_y"), controls.pop("_yaw")
    beat_l, beat_r, wave = controls.pop("_beat_l"), controls.pop("_beat_r"), controls.pop("_wave")
    if xy is None:
        xy = np.stack([x, y], axis=-1)
        speed = np.hypot(np.gradient(x), np.gradient(y)) * fps
        phase, amplitude = gait_timing(style.gait, speed, fps)
        add_gait(controls, phase + rng.uniform(), amplitude, 0.6 * style.arm_swing)
        yaw = np.radians(yaw_deg)
    amp = style.amplitude
    controls["l_hand"] = controls["l_hand"] + amp * _beats(t, rng, beat_l, 1.2, 2.2)
    controls["r_hand"] = controls["r_hand"] + amp * _beats(t, rng, beat_r, 1.2, 2.2)
    swing = np.sin(2 * np.pi * rng.uniform(1.8, 2.6) * t)
    for side, sign in SIDES.items():  # `_wave` is +1 while the left hand waves, -1 for the right
        waving = np.clip(wave * sign, 0.0, 1.0)
        controls[f"{side}_hand"][:, 1] += waving * 90.0 * amp * swing
        controls[f"{side}_wrist"] += waving * 20.0 * swing
    level = fidget * amp
    for name, sigma, hz in (("spine_flex", 1.5, 0.3), ("spine_bend", 1.0, 0.3), ("spine_twist", 2.0, 0.3),
                            ("neck_flex", 3.0, 0.4), ("neck_turn", 5.0, 0.3), ("neck_tilt", 2.0, 0.3),
                            ("pelvis_pitch", 1.0, 0.2), ("sway_x", 8.0, 0.25), ("sway_y", 8.0, 0.25),
                            ("l_wrist", 8.0, 0.4), ("r_wrist", 8.0, 0.4)):
        controls[name] = controls[name] + sway(rng, t, level * sigma, hz)
    for side in SIDES:
        controls[f"{side}_hand"] = controls[f"{side}_hand"] + sway(rng, t, level * 12.0, 0.4, shape=(3,))
    return Motion(controls, xy, yaw)


# --- walking ------------------------------------------------------------------------------------

def walk_loop(rng: np.random.Generator, loop: Loop, speed: np.ndarray, fps: float,
               lateral: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Follow `loop` from a random place at `speed` (N,), mm/s, sampled at `fps`, slowing down in turns
    tighter than a lateral acceleration of `lateral`, mm/s^2, allows.

    Returns the root's place (N, 2), mm, heading (N,), radians, and actual speed (N,), mm/s.
    """
    start = rng.uniform(0, loop.length)
    s = start + integrate(speed, fps)
    for _ in range(3):  # speed depends on where the walker is; a few fixed-point passes settle it
        limit = np.sqrt(lateral / np.maximum(loop.curvature(s), 1e-9))
        actual = np.minimum(speed, limit)
        s = start + integrate(actual, fps)
    xy, heading = loop.at(s)
    return xy, heading, actual


def _gait_walk(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float, tl: Timeline, loop: Loop,
               speed: np.ndarray, arm_swing: float, pelvis: float = 1.0, fidget: float = 0.6) -> Motion:
    """A walking motion: the script `tl` for the upper body, gait along `loop` at `speed` (N,), mm/s."""
    xy, heading, actual = walk_loop(rng, loop, speed, fps, LATERAL_ACCELERATION)
    controls = tl.render(t)
    phase, amplitude = gait_timing(style.gait, actual, fps)
    add_gait(controls, phase + rng.uniform(), amplitude, arm_swing, pelvis)
    return finish(t, rng, style, fps, controls, fidget=fidget, xy=xy, yaw=heading)


def walking(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Brisk walking around an elliptical loop, arms swinging."""
    loop = ellipse(LOOP_CENTER, (rng.uniform(840, 970), rng.uniform(1300, 1500)), rng.uniform(-0.15, 0.15),
                   clockwise=bool(rng.integers(2)), wobble=(rng.uniform(0, 0.06), rng.uniform(0, 0.04)),
                   wobble_phase=tuple(rng.uniform(0, 2 * np.pi, 2)))
    speed = style.gait.speed * rng.uniform(0.95, 1.1) * (1 + sway(rng, t, 0.04, 0.2))
    tl = script_start(t, rng, style)
    return _gait_walk(t, rng, style, fps, tl, loop, speed, style.arm_swing)


def walk_together(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Walking beside a companion: slower, a track-shaped loop, head often turned to the companion."""
    loop = stadium(LOOP_CENTER, rng.uniform(495, 625), rng.uniform(755, 865), np.pi / 2 + rng.uniform(-0.15, 0.15),
                   clockwise=bool(rng.integers(2)))
    companion = int(rng.choice([-1, 1]))  # the side the companion walks on
    speed = style.gait.speed * rng.uniform(0.7, 0.82) * (1 + sway(rng, t, 0.05, 0.15))
    tl = script_start(t, rng, style)
    while tl.now < t[-1]:
        tl.hold(dur(style, rng, 0.8, 2.5))
        tl.to(dur(style, rng, 0.4, 0.8), neck_turn=companion * rng.uniform(25, 50), neck_flex=rng.uniform(0, 10),
              spine_twist=companion * rng.uniform(3, 10))
        tl.hold(dur(style, rng, 0.6, 2.0))
        if rng.random() < 0.4:  # a gesture to the companion with the outer hand
            other = -companion
            tl.to(dur(style, rng, 0.4, 0.7), **g.at(style.body, other, 280, 30, -250),
                  **{f"_beat_{side_of(other)}": 40.0})
            tl.hold(dur(style, rng, 0.8, 1.5))
            tl.to(dur(style, rng, 0.4, 0.7), **g.hang(style.body, other), **{f"_beat_{side_of(other)}": 0.0})
        tl.to(dur(style, rng, 0.4, 0.8), neck_turn=rng.uniform(-8, 8), neck_flex=0.0, spine_twist=0.0)
    return _gait_walk(t, rng, style, fps, tl, loop, speed, 0.6 * style.arm_swing, pelvis=0.8)


def walk_dog(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Walking a dog: slow, stopping often, one hand forward on the leash, bending down to the dog."""
    loop = ellipse(LOOP_CENTER, (rng.uniform(755, 920), rng.uniform(1170, 1365)), rng.uniform(-0.3, 0.3),
                   clockwise=bool(rng.integers(2)), wobble=(rng.uniform(0.05, 0.15), rng.uniform(0.05, 0.12)),
                   wobble_phase=tuple(rng.uniform(0, 2 * np.pi, 2)))
    leash = style.dominant if rng.random() < 0.7 else -style.dominant
    body = style.body
    tl = script_start(t, rng, style)
    tl.to(0.01, **g.at(body, leash, 330, 30, -380), neck_flex=15.0, spine_flex=style.lean + 8)
    cruise = style.gait.speed * rng.uniform(0.5, 0.65)
    walk = Timeline({"v": cruise}, start=tl.now)
    while tl.now < t[-1]:
        go = dur(style, rng, 1.5, 4.0)
        tl.hold(go)
        walk.to(0.8, v=cruise * rng.uniform(0.8, 1.2)).hold(go - 0.8)
        stop = dur(style, rng, 1.2, 2.8)
        walk.to(0.8, v=0.0).hold(stop + 0.8)
        tl.hold(0.8)
        if rng.random() < 0.6:  # bend down to the dog, the free hand reaching to it
            free = -leash
            tl.to(stop * 0.35, spine_flex=style.lean + rng.uniform(30, 45), pelvis_pitch=rng.uniform(10, 20),
                  l_knee=20.0, r_knee=20.0, l_hip_flex=10.0, r_hip_flex=10.0, neck_flex=25.0,
                  **g.at(body, free, 300, 60, -460))
            tl.hold(stop * 0.3)
            tl.to(stop * 0.35, spine_flex=style.lean + 8, pelvis_pitch=0.0, l_knee=2.0, r_knee=2.0,
                  l_hip_flex=0.0, r_hip_flex=0.0, neck_flex=15.0, **g.hang(body, free))
        else:
            tl.to(stop / 2, neck_turn=rng.uniform(-40, 40), neck_flex=rng.uniform(15, 30)).to(stop / 2, neck_turn=0.0)
        tl.to(0.8, neck_flex=15.0)
    speed = walk.render(t)["v"] * (1 + sway(rng, t, 0.08, 0.4))
    return _gait_walk(t, rng, style, fps, tl, loop, np.maximum(speed, 0.0), 0.5 * style.arm_swing, pelvis=0.8,
                      fidget=0.8)


# --- seated ---------------------------------------------------------------------------------------

def _chair(style: Style, rng: np.random.Generator) -> dict:
    """Sitting upright on a chair: thighs level, shins about vertical, feet on the floor."""
    legs = {"seat": style.seat}
    for side in SIDES:
        knee = rng.uniform(80, 100)
        legs.update({f"{side}_hip_flex": 90.0, f"{side}_knee": knee, f"{side}_ankle": knee - 90.0,  # feet flat
                     f"{side}_hip_abd": rng.uniform(4, 12), f"{side}_hip_rot": 5.0})
    return legs


def _legs_crossed(side: int) -> dict:
    """Seated, the `side` leg crossed over the other knee."""
    s = side_of(side)
    return {f"{s}_hip_flex": 105.0, f"{s}_hip_abd": -18.0, f"{s}_knee": 95.0, f"{s}_hip_rot": -5.0, f"{s}_ankle": -15.0}


def sitting(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Sitting on a chair: upright, leaning back or forward, legs crossed or not, hands busy now and then."""
    body = style.body
    tl = script_start(t, rng, style, spot=stand_spot(rng, 200.0))
    chair = _chair(style, rng)
    tl.to(0.01, **chair, **g.on_lap(body, 1), **g.on_lap(body, -1))
    crossed = False
    while tl.now < t[-1]:
        choice = rng.integers(5)
        changes: dict = {}
        if choice == 0:  # lean back against the backrest
            changes = {"spine_flex": -rng.uniform(8, 16), "pelvis_pitch": -rng.uniform(5, 12), "neck_flex": 8.0}
        elif choice == 1:  # lean forward, forearms on the knees
            changes = {"spine_flex": rng.uniform(25, 40), "pelvis_pitch": rng.uniform(5, 15), "neck_flex": -10.0,
                       **g.at(body, 1, 330, -40, -420), **g.at(body, -1, 330, -40, -420)}
        elif choice == 2:  # upright, hands on the lap
            changes = {"spine_flex": style.lean, "pelvis_pitch": 0.0, "neck_flex": 0.0,
                       **g.on_lap(body, 1), **g.on_lap(body, -1)}
        elif choice == 3:  # arms folded
            changes = {"spine_flex": style.lean - 5, **g.folded(body, 1), **g.folded(body, -1)}
        else:  # hand to the chin or a gesture
            hand = style.dominant if rng.random() < 0.7 else -style.dominant
            changes = (g.at_chin(body, hand) if rng.random() < 0.5 else
                       {**g.at(body, hand, 300, 0, -230), f"_beat_{side_of(hand)}": 45.0})
        if rng.random() < 0.35:  # cross or uncross the legs
            crossed = not crossed
            changes.update({**chair, **_legs_crossed(rng.choice([-1, 1]))} if crossed else chair)
        changes.setdefault("neck_turn", rng.uniform(-35, 35))
        tl.to(dur(style, rng, 0.9, 1.6), **changes)
        tl.hold(dur(style, rng, 1.5, 4.0))
        tl.to(dur(style, rng, 0.5, 1.0), _beat_l=0.0, _beat_r=0.0)
    return finish(t, rng, style, fps, tl.render(t), fidget=0.7)


def eating(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Eating at a table on a chair: bites every few seconds, often with both hands, cutting between."""
    body = style.body
    tl = script_start(t, rng, style, spot=stand_spot(rng, 200.0))
    table = {**g.at(body, 1, 330, -70, -300), **g.at(body, -1, 330, -70, -300)}
    tl.to(0.01, **_chair(style, rng), **table, spine_flex=style.lean + rng.uniform(8, 15),
          neck_flex=rng.uniform(10, 20))
    both = rng.uniform(0.2, 0.6)  # share of bites taken with both hands (a sandwich)
    while tl.now < t[-1]:
        hand = style.dominant if rng.random() < 0.75 else -style.dominant
        bite = g.at_mouth(body, hand) if rng.random() > both else {**g.at_mouth(body, 1), **g.at_mouth(body, -1)}
        tl.to(dur(style, rng, 0.5, 0.8), **bite, neck_flex=rng.uniform(0, 8))
        tl.hold(dur(style, rng, 0.3, 0.7))
        tl.to(dur(style, rng, 0.5, 0.8), **table, neck_flex=rng.uniform(10, 22))
        tl.to(0.3, _beat_l=25.0 * rng.random(), _beat_r=25.0 * rng.random())  # cutting, picking up
        tl.hold(dur(style, rng, 0.6, 2.0))
        tl.to(0.3, _beat_l=0.0, _beat_r=0.0)
    return finish(t, rng, style, fps, tl.render(t), fidget=0.7)


def sitting_down(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Sitting down on the floor and getting up again; on the floor: knees up, leaning back, or lying."""
    body = style.body
    tl = script_start(t, rng, style, spot=stand_spot(rng, 150.0))  # down on the floor within the first ~4 s
    tl.to(0.01, plant=0.0)  # the feet slide out and back in while going down and getting up
    stand = {**neutral(body), "spine_flex": style.lean, "plant": 0.0}
    crouch = {"l_hip_flex": 105.0, "r_hip_flex": 105.0, "l_knee": 125.0, "r_knee": 125.0, "l_ankle": 25.0,
              "r_ankle": 25.0, "spine_flex": 30.0, "pelvis_pitch": 15.0, "neck_flex": 10.0,
              **g.at(body, 1, 330, 40, -480), **g.at(body, -1, 330, 40, -480)}
    while tl.now < t[-1]:
        tl.hold(dur(style, rng, 0.3, 1.2))
        tl.to(dur(style, rng, 0.9, 1.3), **crouch)
        kind = rng.choice(["knees_up", "lean_back", "lying"], p=[0.45, 0.35, 0.2])
        # On the floor the legs either lie flat (thighs level, knees almost straight) or stand up with the
        # knees (thighs raised ~40 deg, feet flat ahead of the knees), so the pelvis rests on the floor.
        flat = {f"{side}_{k}": v for side in SIDES for k, v in
                (("hip_flex", 95.0), ("knee", rng.uniform(0, 15)), ("ankle", -20.0))}
        bent = {"l_hip_flex": 138.0, "r_hip_flex": 138.0, "l_knee": 97.0, "r_knee": 92.0, "l_ankle": -38.0,
                "r_ankle": -42.0}
        if kind == "knees_up":  # hands on the knees
            floor = {**bent, "pelvis_pitch": -15.0, "spine_flex": 30.0, "neck_flex": 0.0,
                     **g.at(body, 1, 400, -10, -250), **g.at(body, -1, 400, -10, -250)}
        elif kind == "lean_back":  # legs out, leaning back on the hands
            floor = {**flat, "pelvis_pitch": -30.0, "spine_flex": 5.0, "neck_flex": 15.0,
                     **g.at(body, 1, -230, 110, -280, pole=(-1.0, 0.3, 0.0)),
                     **g.at(body, -1, -230, 110, -280, pole=(-1.0, 0.3, 0.0))}
        else:  # lying on the back, head raised
            floor = {**(bent if rng.random() < 0.5 else flat), "pelvis_pitch": -75.0, "spine_flex": -5.0,
                     "neck_flex": 25.0, **g.hang(body, 1, outward=120), **g.hang(body, -1, outward=120)}
        tl.to(dur(style, rng, 1.0, 1.5), **floor)
        tl.hold(dur(style, rng, 1.5, 4.0))
        tl.to(dur(style, rng, 1.0, 1.5), **crouch)
        tl.to(dur(style, rng, 0.9, 1.3), **stand, _yaw=tl.state["_yaw"] + rng.uniform(-40, 40))
    return finish(t, rng, style, fps, tl.render(t), fidget=0.6)


# --- hand to face ---------------------------------------------------------------------------------

def phoning(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """On the phone: the phone held at the ear for long stretches, pacing slowly, the free hand gesturing."""
    body = style.body
    phone = style.dominant if rng.random() < 0.8 else -style.dominant
    free = -phone
    tl = script_start(t, rng, style)
    tl.to(0.01, **g.at_ear(body, phone), neck_tilt=phone * 8.0)
    while tl.now < t[-1]:
        tl.hold(dur(style, rng, 1.5, 3.5))
        choice = rng.integers(4)
        if choice == 0:
            _step_to(tl, rng, style, stand_spot(rng), face=tl.state["_yaw"] + rng.uniform(-90, 90))
        elif choice == 1:  # the free hand talks along
            tl.to(dur(style, rng, 0.5, 0.8), **g.at(body, free, 280, 20, -260), **{f"_beat_{side_of(free)}": 50.0})
            tl.hold(dur(style, rng, 1.0, 2.5))
            tl.to(dur(style, rng, 0.5, 0.8), **(g.on_hip(body, free) if rng.random() < 0.4 else g.hang(body, free)),
                  **{f"_beat_{side_of(free)}": 0.0})
        elif choice == 2:  # look at the screen and tap
            tl.to(dur(style, rng, 0.6, 0.9), **g.at(body, phone, 260, -60, -170), neck_flex=30.0, neck_tilt=0.0)
            tl.to(0.01, **{f"_beat_{side_of(free)}": 15.0}, **g.at(body, free, 250, -110, -180))
            tl.hold(dur(style, rng, 1.0, 2.0))
            tl.to(dur(style, rng, 0.6, 0.9), **g.at_ear(body, phone), **g.hang(body, free), neck_flex=0.0,
                  neck_tilt=phone * 8.0, **{f"_beat_{side_of(free)}": 0.0})
        else:
            tl.to(dur(style, rng, 1.0, 1.5), **weight(rng.choice([-1, 1])), neck_turn=rng.uniform(-40, 40))
    return finish(t, rng, style, fps, tl.render(t))


def smoking(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Smoking: the cigarette hand to the mouth every few seconds and held there, exhaling with the head up."""
    body = style.body
    hand = style.dominant if rng.random() < 0.85 else -style.dominant
    other = -hand
    tl = script_start(t, rng, style)
    idle = g.at(body, hand, 170, 10, -250) if rng.random() < 0.6 else g.hang(body, hand)
    support = rng.choice(["across", "hang", "hip"])  # the other arm: across the waist, holding the elbow
    rest_other = {"across": g.at(body, other, 200, -230, -260), "hang": g.hang(body, other),
                  "hip": g.on_hip(body, other)}[support]
    tl.to(0.01, **idle, **rest_other)
    while tl.now < t[-1]:
        tl.to(dur(style, rng, 0.6, 0.9), **g.at_mouth(body, hand), neck_flex=rng.uniform(0, 6))
        tl.hold(dur(style, rng, 0.8, 1.5))
        tl.to(dur(style, rng, 0.6, 0.9), **idle, neck_flex=-rng.uniform(8, 18))  # exhale, head up
        tl.hold(dur(style, rng, 0.5, 1.0))
        tl.to(dur(style, rng, 0.8, 1.2), neck_flex=rng.uniform(-2, 8), neck_turn=rng.uniform(-40, 40),
              **weight(rng.choice([-1, 0, 1])))
        tl.hold(dur(style, rng, 0.8, 2.5))
        if rng.random() < 0.25:
            _step_to(tl, rng, style, stand_spot(rng))
    return finish(t, rng, style, fps, tl.render(t))


# --- standing and gesturing -----------------------------------------------------------------------

def directions(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Giving directions: pointing with a stretched arm, head and trunk turned the same way."""
    body = style.body
    tl = script_start(t, rng, style)
    while tl.now < t[-1]:
        side = style.dominant if rng.random() < 0.75 else -style.dominant
        azimuth, elevation = rng.uniform(-20, 85), rng.uniform(-15, 25)
        toward = side * azimuth  # degrees to the left
        tl.to(dur(style, rng, 0.5, 0.8), **g.point(body, side, azimuth, elevation), neck_turn=0.6 * toward,
              spine_twist=0.25 * toward)
        tl.hold(dur(style, rng, 0.6, 1.6))
        if rng.random() < 0.4:  # then a second direction, "and then left"
            azimuth = float(np.clip(azimuth + rng.uniform(-50, 50), -20, 85))
            tl.to(dur(style, rng, 0.5, 0.8), **g.point(body, side, azimuth, rng.uniform(-10, 20)),
                  neck_turn=0.6 * side * azimuth, spine_twist=0.25 * side * azimuth)
            tl.hold(dur(style, rng, 0.5, 1.2))
        tl.to(dur(style, rng, 0.5, 0.8), **g.hang(body, side), neck_turn=rng.uniform(-15, 15), spine_twist=0.0)
        if rng.random() < 0.4:  # explain with both hands
            tl.to(0.5, **g.at(body, 1, 280, 30, -270), **g.at(body, -1, 280, 30, -270), _beat_l=40.0, _beat_r=40.0)
            tl.hold(dur(style, rng, 0.8, 1.8))
            tl.to(0.5, **g.hang(body, 1), **g.hang(body, -1), _beat_l=0.0, _beat_r=0.0)
        if rng.random() < 0.3:
            _step_to(tl, rng, style, stand_spot(rng), face=tl.state["_yaw"] + rng.uniform(-60, 60))
        elif rng.random() < 0.4:
            turn(tl, rng, style, 20, 60)
        tl.hold(dur(style, rng, 0.2, 1.0))
    return finish(t, rng, style, fps, tl.render(t))


def discussion(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Discussing: both hands gesturing in front of the body, turning between listeners, nodding."""
    body = style.body
    tl = script_start(t, rng, style)
    facing = tl.state["_yaw"]
    while tl.now < t[-1]:
        choice = rng.integers(5)
        if choice <= 1:  # talk with the hands
            changes = {**g.at(body, 1, rng.uniform(220, 340), rng.uniform(-20, 120), rng.uniform(-330, -170)),
                       **g.at(body, -1, rng.uniform(220, 340), rng.uniform(-20, 120), rng.uniform(-330, -170)),
                       "_beat_l": rng.uniform(30, 70), "_beat_r": rng.uniform(30, 70)}
        elif choice == 2:  # one hand only
            side = rng.choice([-1, 1])
            changes = {**g.at(body, side, rng.uniform(250, 380), rng.uniform(0, 150), rng.uniform(-300, -120)),
                       **g.hang(body, -side), f"_beat_{side_of(side)}": rng.uniform(40, 80),
                       f"_beat_{side_of(-side)}": 0.0}
        elif choice == 3:  # listen: arms folded or on the hips, nodding
            rest = rng.choice([g.folded, g.on_hip, g.hang])
            changes = {**rest(body, 1), **rest(body, -1), "_beat_l": 0.0, "_beat_r": 0.0, "neck_flex": 8.0}
        else:  # turn to the other listener
            facing += rng.choice([-1, 1]) * rng.uniform(25, 60)
            changes = {"_yaw": facing}
        changes.update(weight(rng.choice([-1, 0, 1]), rng.uniform(0.4, 1.0)))
        changes["neck_turn"] = rng.uniform(-25, 25)
        tl.to(dur(style, rng, 0.5, 0.9), **changes)
        tl.hold(dur(style, rng, 0.8, 2.5))
        if rng.random() < 0.15:
            _step_to(tl, rng, style, stand_spot(rng))
    controls = tl.render(t)
    controls["neck_flex"] += 4.0 * style.amplitude * np.sin(2 * np.pi * rng.uniform(0.8, 1.4) * t) ** 3  # nods
    return finish(t, rng, style, fps, controls, fidget=1.2)


def greeting(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Greeting: walking up to someone, waving, shaking hands, a short bow or an embrace."""
    body = style.body
    tl = script_start(t, rng, style)
    while tl.now < t[-1]:
        if rng.random() < 0.5:  # walk up to the next person
            _step_to(tl, rng, style, stand_spot(rng))
        choice = rng.choice(["wave", "handshake", "bow", "embrace"], p=[0.45, 0.3, 0.1, 0.15])
        hand = style.dominant if rng.random() < 0.8 else -style.dominant
        if choice == "wave":
            tl.to(dur(style, rng, 0.5, 0.8), **g.wave(body, hand), neck_flex=-5.0)
            tl.to(0.3, _wave=float(hand))
            tl.hold(dur(style, rng, 1.0, 2.2))
            tl.to(0.3, _wave=0.0)
            tl.to(dur(style, rng, 0.5, 0.8), **g.hang(body, hand), neck_flex=0.0)
        elif choice == "handshake":  # with the right hand, whatever the dominant one
            tl.to(dur(style, rng, 0.5, 0.8), **g.at(body, -1, 360, 10, -300), spine_flex=style.lean + 8, _beat_r=25.0)
            tl.hold(dur(style, rng, 0.8, 1.6))
            tl.to(dur(style, rng, 0.5, 0.8), **g.hang(body, -1), spine_flex=style.lean, _beat_r=0.0)
        elif choice == "bow":
            tl.to(dur(style, rng, 0.5, 0.8), spine_flex=style.lean + rng.uniform(15, 30),
                  pelvis_pitch=rng.uniform(5, 15), neck_flex=10.0)
            tl.hold(dur(style, rng, 0.3, 0.8))
            tl.to(dur(style, rng, 0.5, 0.8), spine_flex=style.lean, pelvis_pitch=0.0, neck_flex=0.0)
        else:
            tl.to(dur(style, rng, 0.6, 0.9), **g.at(body, 1, 330, -60, -90), **g.at(body, -1, 330, -60, -90),
                  neck_turn=rng.choice([-1, 1]) * 30.0)
            tl.hold(dur(style, rng, 1.0, 2.0))
            tl.to(dur(style, rng, 0.6, 0.9), **g.hang(body, 1), **g.hang(body, -1), neck_turn=0.0)
        tl.hold(dur(style, rng, 0.3, 1.2))
    return finish(t, rng, style, fps, tl.render(t))


def purchases(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Shopping: walking between shelves, reaching out high and low, looking at what was taken."""
    body = style.body
    tl = script_start(t, rng, style)
    while tl.now < t[-1]:
        _step_to(tl, rng, style, stand_spot(rng))
        hand = style.dominant if rng.random() < 0.7 else -style.dominant
        height = rng.choice(["high", "middle", "low"])
        if height == "high":
            reach = {**g.at(body, hand, 380, 60, 150), "neck_flex": -15.0}
        elif height == "middle":
            reach = {**g.at(body, hand, 480, 30, -150), "neck_flex": 10.0, "spine_flex": style.lean + 10}
        else:
            reach = {**g.at(body, hand, 420, 40, -380), "neck_flex": 20.0, "spine_flex": style.lean + 35,
                     "pelvis_pitch": 20.0, "l_knee": 20.0, "r_knee": 20.0, "l_hip_flex": 10.0, "r_hip_flex": 10.0}
        tl.to(dur(style, rng, 0.7, 1.1), **reach)
        tl.hold(dur(style, rng, 0.3, 0.7))
        look = {**g.at(body, hand, 300, -40, -220), **g.at(body, -hand, 280, -60, -240), "neck_flex": 30.0,
                "spine_flex": style.lean, "pelvis_pitch": 0.0, "l_knee": 2.0, "r_knee": 2.0, "l_hip_flex": 0.0,
                "r_hip_flex": 0.0}
        tl.to(dur(style, rng, 0.7, 1.0), **look)
        tl.hold(dur(style, rng, 0.8, 2.0))
        tl.to(dur(style, rng, 0.6, 0.9), **g.hang(body, 1), **g.hang(body, -1), neck_flex=0.0)
    return finish(t, rng, style, fps, tl.render(t))


def photo(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Taking photos: the camera held at the eyes, sometimes crouching, lowered between shots."""
    body = style.body
    tl = script_start(t, rng, style)
    low = {**g.at(body, 1, 260, -80, -250), **g.at(body, -1, 260, -80, -250)}
    standing = {"l_hip_flex": 0.0, "r_hip_flex": 0.0, "l_knee": 2.0, "r_knee": 2.0, "l_ankle": 0.0, "r_ankle": 0.0,
                "pelvis_pitch": 0.0, "spine_flex": style.lean}
    crouching = {"l_hip_flex": 80.0, "r_hip_flex": 80.0, "l_knee": 100.0, "r_knee": 95.0, "l_ankle": 25.0,
                 "r_ankle": 20.0, "pelvis_pitch": 20.0, "spine_flex": style.lean + 5.0}
    tl.to(0.01, **low)
    while tl.now < t[-1]:
        crouch = rng.random() < 0.3
        tl.to(dur(style, rng, 0.6, 1.0), **g.camera(body, 1), **g.camera(body, -1),
              **(crouching if crouch else standing), neck_flex=rng.uniform(-8, 8) - (10.0 if crouch else 0.0))
        for _ in range(rng.integers(1, 3)):  # a shot or two, panning between them
            tl.hold(dur(style, rng, 0.8, 1.8))
            tl.to(dur(style, rng, 0.4, 0.8), _yaw=tl.state["_yaw"] + rng.uniform(-25, 25),
                  spine_twist=rng.uniform(-10, 10))
        tl.to(dur(style, rng, 0.6, 0.9), **low, **standing, neck_flex=20.0)
        tl.hold(dur(style, rng, 0.5, 1.5))
        if rng.random() < 0.4:
            _step_to(tl, rng, style, stand_spot(rng), face=tl.state["_yaw"] + rng.uniform(-90, 90))
    return finish(t, rng, style, fps, tl.render(t), fidget=0.8)


def _poses(body: Body, side: int) -> list[dict]:
    """Distinct poses to hold for a photographer; `side` picks the asymmetric ones' side."""
    s, o = side, -side
    return [
        {**g.on_hip(body, 1), **g.on_hip(body, -1), **weight(s, 0.6)},
        {**g.overhead(body, 1), **g.overhead(body, -1), "neck_flex": -10.0},
        {**g.biceps(body, 1), **g.biceps(body, -1)},
        {**g.sideways(body, 1), **g.sideways(body, -1)},
        {**g.on_hip(body, s), **g.overhead(body, o, 100.0), **weight(s), "spine_bend": s * 8.0, "neck_tilt": s * 10.0},
        {**g.at_chin(body, s), **g.folded(body, o), "neck_flex": 10.0},
        {**g.folded(body, 1), **g.folded(body, -1), **weight(o, 0.8), "neck_turn": o * 30.0},
        {f"{side_of(s)}_hip_flex": 40.0, f"{side_of(s)}_knee": 55.0, f"{side_of(o)}_hip_flex": -22.0,
         f"{side_of(o)}_knee": 5.0, f"{side_of(o)}_ankle": -10.0, "sway_x": 120.0,
         **g.on_hip(body, 1), **g.on_hip(body, -1)},
        {**g.point(body, s, 30.0, 45.0), **g.on_hip(body, o), "neck_flex": -15.0, "neck_turn": s * 20.0},
    ]


def posing(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Posing: striking distinct poses one after another and holding each still."""
    body = style.body
    tl = script_start(t, rng, style)
    neutral_pose = {**neutral(body), "spine_flex": style.lean}
    last = None
    while tl.now < t[-1]:
        poses = _poses(body, rng.choice([-1, 1]))
        choice = int(rng.integers(len(poses) - (last is not None)))
        if last is not None and choice >= last:  # never the same pose twice in a row
            choice += 1
        last = choice
        tl.to(dur(style, rng, 0.7, 1.2), **{**neutral_pose, **poses[choice]})
        tl.hold(dur(style, rng, 1.5, 3.0))
        if rng.random() < 0.3:
            turn(tl, rng, style, 20, 70)
    return finish(t, rng, style, fps, tl.render(t), fidget=0.4)


def waiting(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Waiting: standing about, weight from one leg to the other, arms folded or behind the back,
    looking around and at the watch, a step now and then; all of it slow."""
    body = style.body
    tl = script_start(t, rng, style)
    rests = (g.hang, g.folded, g.behind_back, g.on_hip, g.clasped)
    while tl.now < t[-1]:
        rest = rests[rng.integers(len(rests))]
        tl.to(dur(style, rng, 1.2, 2.0), **rest(body, 1), **rest(body, -1), **weight(rng.choice([-1, 1])),
              neck_turn=rng.uniform(-50, 50), neck_flex=rng.uniform(-5, 10))
        tl.hold(dur(style, rng, 1.5, 3.5))
        tl.to(dur(style, rng, 1.0, 1.8), **weight(rng.choice([-1, 0, 1]), rng.uniform(0.5, 1.0)),
              neck_turn=rng.uniform(-50, 50))
        tl.hold(dur(style, rng, 1.0, 3.0))
        if rng.random() < 0.25:  # a look at the watch, on the left wrist
            tl.to(dur(style, rng, 0.7, 1.0), **g.at(body, 1, 250, -90, -140), neck_flex=35.0, neck_turn=10.0)
            tl.hold(dur(style, rng, 0.8, 1.5))
            tl.to(dur(style, rng, 0.7, 1.0), **g.hang(body, 1), neck_flex=0.0)
        if rng.random() < 0.2:
            _step_to(tl, rng, style, stand_spot(rng), face=tl.state["_yaw"] + rng.uniform(-90, 90))
    return finish(t, rng, style, fps, tl.render(t), fidget=0.8)


MotionModel = Callable[[np.ndarray, np.random.Generator, Style, float], Motion]  # (t, rng, style, fps) -> Motion

MODELS: dict[str, MotionModel] = {
    "Directions": directions, "Discussion": discussion, "Eating": eating, "Greeting": greeting,
    "Phoning": phoning, "Photo": photo, "Posing": posing, "Purchases": purchases, "Sitting": sitting,
    "SittingDown": sitting_down, "Smoking": smoking, "Waiting": waiting, "WalkDog": walk_dog,
    "Walking": walking, "WalkTogether": walk_together,
}
