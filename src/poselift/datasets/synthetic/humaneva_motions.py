"""Motion models of HumanEva-I's actions: Human3.6M's where the actions match, new ones where they do not.

Walking is Human3.6M's walking model and Gestures its directions model (pointing, explaining with both
hands). The new ones, in the form of `motions` (`(t, rng, style, fps) -> Motion`, the same script
helpers, sway and planted feet):

- Jog: a running gait around a rounder, wider loop than walking's: higher cadence (~1.4 cycles/s,
  ~170 steps/min) and longer strides (~2 m/s), each foot on the floor for ~34% of its cycle, so
  both are off it twice per cycle (the flight, the body on a ballistic arc); more knee flexion in
  stance (~40 deg) and swing (~95 deg), a forward lean, elbows bent ~90 deg and the arms pumping.
- Box: a guard stance (lead foot and hand forward, knees bent, fists at the chin, lead shoulder
  turned forward), combinations of one to four punches that mostly alternate hands (lead jabs and
  hooks, rear crosses and uppercuts, the trunk turning into each), slips and bobs between them,
  light bouncing on the feet; hardly any travel.
- ThrowCatch: the ball held at the chest, thrown overhand (wind-up behind the head) or underhand
  (a swing from behind the hip) with a step of the opposite foot and a follow-through, then caught
  with both hands at the chest, overhead or low and drawn in to the chest.

Like Human3.6M's models they stage the subject in Human3.6M's capture room (`motions.LOOP_CENTER`,
`STAND_CENTER`); `humaneva` moves every take rigidly into HumanEva-I's.
"""

from __future__ import annotations

import numpy as np

from poselift.datasets.synthetic import gestures as g
from poselift.datasets.synthetic.kinematics import CONTACT_RADIUS, JOINT, Body, forward_kinematics, place_on_floor
from poselift.datasets.synthetic.locomotion import Gait, GaitCycle, add_gait, ellipse, gait_timing
from poselift.datasets.synthetic.motions import (
    LOOP_CENTER,
    MotionModel,
    Style,
    directions,
    dur,
    finish,
    script_start,
    side_of,
    stand_spot,
    turn,
    walk_loop,
    walking,
    weight,
)
from poselift.datasets.synthetic.posture import SIDES, Motion, local_rotations
from poselift.datasets.synthetic.signals import ease, sway

# Jogging, per leg from its foot strike (phase in cycles -> degrees): the hip flexes further (~38 deg
# in late swing) and extends less than in walking, the knee bends ~40 deg under the load and ~95 deg
# in swing, the foot lands nearly flat and pushes off at ~34% of the cycle.
JOG = GaitCycle(
    hip_flex=((0.0, 27.5), (0.11, 25.5), (0.22, 9.0), (0.34, -9.0), (0.78, 38.0)),
    knee=((0.0, 20.0), (0.12, 38.0), (0.33, 17.0), (0.63, 95.0), (0.92, 22.0)),
    foot_pitch=((0.0, 6.0), (0.05, 0.0), (0.18, 0.0), (0.34, -38.0), (0.56, -10.0), (0.88, 10.0)),
    toe=((0.18, 0.0), (0.33, 35.0), (0.47, 0.0)),
    arm=((0.36, 1.0), (0.86, -1.0)),
    pelvis_shift=((0.2, 1.0), (0.7, -1.0)),
    pelvis_turn=((0.36, 1.0), (0.86, -1.0)),
)
STANCE = 0.34  # share of its cycle a jogging foot is on the floor (toe-off in JOG's curves)
JOG_CADENCE = 1.5  # jogging cadence over the subject's walking cadence (~0.93 -> ~1.4 cycles/s)
JOG_STRIDE_PER_LEG = 1.75  # stride (one cycle) per mm of leg at full amplitude: ~1.6 m, ~2.2 m/s
JOG_LATERAL_ACCELERATION = 3500.0  # mm/s^2 a jogger allows in a turn
GRAVITY = 9810.0  # mm/s^2
# mm: where the scripts of the stances on two feet leave one foot this much higher than the other, it
# is put down fully (up to the first) or not at all (from the second on: a foot lifted on purpose).
GROUNDED = (30.0, 60.0)
_FEET = {side: [JOINT[f"{side.upper()}{name}"] for name in ("Foot", "Toe", "ToeSite")] for side in SIDES}


def _ground(style: Style, motion: Motion) -> None:
    """Put both feet on the floor where joint angles leave one just above it (a staggered stance, a step):
    the knee of the lower foot's leg bends, its foot's pitch kept, until the other foot touches too.
    Changes `motion`'s knee and ankle channels in place; a few passes settle the inclined legs."""
    body, controls = style.body, motion.controls
    thigh, shin = body.length("LKnee"), body.length("LFoot")
    for _ in range(3):
        relative, _ = forward_kinematics(body.offsets, local_rotations(body, controls, motion.yaw))
        clearance = {side: (relative[:, joints, 2] - CONTACT_RADIUS[joints]).min(axis=1)
                     for side, joints in _FEET.items()}  # (N,), mm, above the root's floor level
        gap = clearance["l"] - clearance["r"]  # (N,), mm: > 0 the left foot is the higher
        lowering = np.abs(gap) * (1 - ease((np.abs(gap) - GROUNDED[0]) / (GROUNDED[1] - GROUNDED[0])))
        for side, lower in (("l", gap < 0), ("r", gap > 0)):
            knee = np.radians(controls[f"{side}_knee"])
            reach = np.sqrt(thigh**2 + shin**2 + 2 * thigh * shin * np.cos(knee))  # (N,), mm, hip to ankle
            target = np.clip(reach - np.where(lower, lowering, 0.0), abs(thigh - shin) + 1.0, thigh + shin)
            bent = np.arccos(np.clip((target**2 - thigh**2 - shin**2) / (2 * thigh * shin), -1.0, 1.0))
            bend = np.degrees(np.maximum(bent - knee, 0.0))
            controls[f"{side}_knee"] = controls[f"{side}_knee"] + bend
            controls[f"{side}_ankle"] = controls[f"{side}_ankle"] + bend


def _flight(style: Style, motion: Motion, airborne: np.ndarray, fps: float) -> np.ndarray:
    """`lift` (N,), mm, that puts the root on a ballistic arc over each flight (`airborne` (N,) bool).

    Placed on the floor, the body would dip in flight to put the lower swinging foot on it; instead
    the root flies from its height at the last frame on the floor to its height at the next one under
    gravity. Flights at the ends of the take, without a frame on the floor on both sides, stay down.
    """
    relative, _ = forward_kinematics(style.body.offsets, local_rotations(style.body, motion.controls, motion.yaw))
    height = place_on_floor(relative, motion.controls["seat"])  # (N,), mm, the root with a foot on the floor
    support = np.flatnonzero(~airborne)
    if len(support) == 0:
        return np.zeros_like(height)
    frames = np.arange(len(height))
    after = np.searchsorted(support, frames)  # index of the next frame on the floor
    flying = airborne & (after > 0) & (after < len(support))
    start = support[np.clip(after - 1, 0, len(support) - 1)]
    end = support[np.clip(after, 0, len(support) - 1)]
    span = np.maximum(end - start, 1) / fps  # (N,), s, take-off to landing
    tau = (frames - start) / fps  # s since take-off
    arc = height[start] + (height[end] - height[start]) * tau / span + 0.5 * GRAVITY * tau * (span - tau)
    return np.where(flying, np.maximum(arc - height, 0.0), 0.0)


def jog(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Jogging around a loop: running strides with flights, a forward lean, bent arms pumping."""
    body = style.body
    gait = Gait(cadence=JOG_CADENCE * style.gait.cadence, stride=JOG_STRIDE_PER_LEG * body.leg)
    loop = ellipse(LOOP_CENTER, (rng.uniform(1150, 1300), rng.uniform(1450, 1650)), rng.uniform(-0.15, 0.15),
                   clockwise=bool(rng.integers(2)), wobble=(rng.uniform(0, 0.04), rng.uniform(0, 0.03)),
                   wobble_phase=tuple(rng.uniform(0, 2 * np.pi, 2)))
    speed = gait.speed * rng.uniform(0.9, 1.05) * (1 + sway(rng, t, 0.04, 0.2))
    xy, heading, actual = walk_loop(rng, loop, speed, fps, JOG_LATERAL_ACCELERATION)
    tl = script_start(t, rng, style)
    bent = {}  # elbows at ~90 deg, the forearms forward, the elbows back
    for side in (1, -1):
        bent.update(g.at(body, side, 230, -20, -295, pole=(-1.0, 0.3, -0.6)))
    tl.to(0.01, **bent, spine_flex=style.lean + rng.uniform(4, 8), neck_flex=-5.0)
    while tl.now < t[-1]:  # now and then a look about
        tl.hold(dur(style, rng, 1.5, 4.0))
        tl.to(dur(style, rng, 0.4, 0.7), neck_turn=rng.uniform(-35, 35)).hold(dur(style, rng, 0.3, 1.0))
        tl.to(dur(style, rng, 0.4, 0.7), neck_turn=0.0)
    controls = tl.render(t)
    phase, amplitude = gait_timing(gait, actual, fps)
    phase = phase + rng.uniform()
    add_gait(controls, phase, amplitude, 0.8 * style.arm_swing, pelvis=0.7, cycle=JOG)
    motion = finish(t, rng, style, fps, controls, fidget=0.4, xy=xy, yaw=heading)
    airborne = (np.mod(phase, 1.0) >= STANCE) & (np.mod(phase + 0.5, 1.0) >= STANCE)
    motion.controls["lift"] = _flight(style, motion, airborne, fps)
    return motion


# --- boxing ----------------------------------------------------------------------------------------

def _guard(style: Style, lead: int) -> dict:
    """The guard: lead foot forward, rear heel up, knees bent, the body turned lead shoulder forward,
    fists at the chin and the elbows in."""
    body = style.body
    front, back = side_of(lead), side_of(-lead)
    return {
        f"{front}_hip_flex": 14.0, f"{front}_knee": 22.0, f"{front}_ankle": 8.0, f"{front}_hip_rot": 12.0,
        f"{back}_hip_flex": -10.0, f"{back}_knee": 20.0, f"{back}_ankle": 14.0, f"{back}_hip_rot": 28.0,
        "l_hip_abd": 7.0, "r_hip_abd": 7.0, "pelvis_yaw": -lead * 20.0, "spine_twist": lead * 5.0,
        "spine_flex": style.lean + 10.0, "spine_bend": 0.0, "neck_flex": 8.0, "sway_x": 0.0,
        **g.at(body, lead, 250, -70, 120, pole=(0.0, 0.4, -1.0)),
        **g.at(body, -lead, 170, -110, 140, pole=(0.0, 0.4, -1.0)),
    }


def _punch(body: Body, side: int, lead: int, kind: str) -> list[dict]:
    """The keys of one punch with the hand of `side`: (chamber,) impact. The trunk turns into it."""
    into = -side * 28.0  # spine twist bringing this shoulder forward
    if kind == "straight":  # the jab (lead) and the cross (rear, with the hips and the weight)
        impact = {**g.at(body, side, 505, -70 if side == lead else -150, 40, pole=(0.0, 1.0, -0.3)),
                  "spine_twist": into, "neck_flex": 5.0}
        if side != lead:
            impact.update(pelvis_yaw=lead * 5.0, sway_x=45.0)
        return [impact]
    if kind == "hook":  # elbow up, the fist sweeping in across at shoulder height
        chamber = {**g.at(body, side, 230, 170, 40, pole=(0.0, 1.0, 0.6)), "spine_twist": -into * 0.3}
        impact = {**g.at(body, side, 330, -160, 40, pole=(0.0, 1.0, 0.6)), "spine_twist": into}
        return [chamber, impact]
    # the uppercut: dipping, the fist driving up under the chin line, the elbow down
    chamber = {**g.at(body, side, 200, -40, -230, pole=(0.0, 0.3, -1.0)), "l_knee": 30.0, "r_knee": 30.0}
    impact = {**g.at(body, side, 300, -90, 130, pole=(0.0, 0.3, -1.0)), "spine_twist": into * 0.6,
              "l_knee": 20.0, "r_knee": 20.0}
    return [chamber, impact]


def box(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Boxing in place: combinations of punches from a guard, slips and bobs, light bouncing."""
    body = style.body
    lead = -style.dominant  # orthodox: a right-hander leads with the left
    tl = script_start(t, rng, style, spot=stand_spot(rng, 150.0))
    guard = _guard(style, lead)
    tl.to(0.01, **guard)
    while tl.now < t[-1]:
        tl.hold(dur(style, rng, 0.4, 1.2))
        side = lead if rng.random() < 0.7 else -lead
        for _ in range(rng.integers(1, 5)):  # a combination, mostly alternating hands
            kind = (rng.choice(["straight", "hook"], p=[0.65, 0.35]) if side == lead else
                    rng.choice(["straight", "hook", "uppercut"], p=[0.6, 0.2, 0.2]))
            keys = _punch(body, side, lead, kind)
            for key in keys[:-1]:
                tl.to(dur(style, rng, 0.07, 0.1), **key)
            tl.to(dur(style, rng, 0.1, 0.15), **keys[-1])
            tl.hold(0.04)
            tl.to(dur(style, rng, 0.15, 0.22), **guard)
            side = -side if rng.random() < 0.8 else side
        choice = rng.integers(4)
        if choice == 0:  # slip to one side and back
            tl.to(dur(style, rng, 0.2, 0.3), spine_bend=rng.choice([-1, 1]) * rng.uniform(8, 14),
                  neck_tilt=rng.uniform(-8, 8))
            tl.to(dur(style, rng, 0.2, 0.3), spine_bend=0.0, neck_tilt=0.0)
        elif choice == 1:  # bob under and up
            tl.to(dur(style, rng, 0.25, 0.35), l_knee=guard["l_knee"] + 20.0, r_knee=guard["r_knee"] + 20.0,
                  l_hip_flex=guard["l_hip_flex"] + 10.0, r_hip_flex=guard["r_hip_flex"] + 10.0,
                  spine_flex=style.lean + 20.0)
            tl.to(dur(style, rng, 0.25, 0.35), **guard)
        elif choice == 2:
            turn(tl, rng, style, 10, 30)
    controls = tl.render(t)
    hz = rng.uniform(1.6, 2.2)
    bounce = np.maximum(np.sin(2 * np.pi * hz * t + rng.uniform(0, 2 * np.pi)), 0.0)
    controls["lift"] = rng.uniform(10, 22) * bounce**2  # mm: up on the balls of the feet and off the floor
    for side in ("l", "r"):
        controls[f"{side}_knee"] = controls[f"{side}_knee"] + 6.0 * (1 - bounce)  # the knees give on landing
        controls[f"{side}_ankle"] = controls[f"{side}_ankle"] + 6.0 * (1 - bounce)
    motion = finish(t, rng, style, fps, controls, fidget=0.5)
    _ground(style, motion)
    return motion


# --- throwing and catching ------------------------------------------------------------------------------

def _stand(style: Style) -> dict:
    """Standing square, the feet side by side."""
    return {"l_hip_flex": 0.0, "r_hip_flex": 0.0, "l_knee": 4.0, "r_knee": 4.0, "l_ankle": 0.0, "r_ankle": 0.0,
            "sway_x": 0.0, "spine_flex": style.lean, "spine_twist": 0.0, "pelvis_pitch": 0.0}


def _both(body: Body, forward: float, outward: float, up: float, pole=(0.0, 1.0, -1.0)) -> dict:
    """Both hands at mirrored places relative to their shoulders (`gestures.at`): holding or catching a ball."""
    return {**g.at(body, 1, forward, outward, up, pole), **g.at(body, -1, forward, outward, up, pole)}


def _stride(front: int, step: float) -> dict:
    """The feet apart after a step of the `front` leg (step: 0 none, 1 full), weight going forward."""
    f, b = side_of(front), side_of(-front)
    return {f"{f}_hip_flex": 24.0 * step, f"{f}_knee": 10.0 * step, f"{f}_ankle": -14.0 * step,
            f"{b}_hip_flex": -10.0 * step, f"{b}_knee": 6.0, f"{b}_ankle": 16.0 * step, "sway_x": 70.0 * step}


def throw_catch(t: np.ndarray, rng: np.random.Generator, style: Style, fps: float) -> Motion:
    """Throwing a ball to a partner and catching it back: overhand or underhand throws with a step,
    two-handed catches at the chest, overhead or low."""
    body = style.body
    tl = script_start(t, rng, style, spot=stand_spot(rng, 200.0))
    ball = _both(body, 260, -130, -210)  # held in both hands at the chest
    ready = _both(body, 330, -50, -170)  # the hands open for the catch
    tl.to(0.01, **ball)
    while tl.now < t[-1]:
        hand = style.dominant if rng.random() < 0.85 else -style.dominant
        front = -hand  # the step is taken with the foot opposite the throwing hand
        f = side_of(front)
        lifted = {f"{f}_hip_flex": 35.0, f"{f}_knee": 55.0, f"{f}_ankle": 10.0}  # the front foot off the floor
        if rng.random() < 0.6:  # overhand: the ball back behind the head, the glove arm aiming
            wind_up = {**g.at(body, hand, -140, 130, 170, pole=(-0.2, 1.0, -0.6)), **g.point(body, -hand, 5, 15),
                       "spine_twist": hand * 25.0, **weight(hand, 0.8), **lifted}
            release = {**g.at(body, hand, 380, 40, 210, pole=(0.0, 1.0, -0.2)), **g.at(body, -hand, 200, -150, -300),
                       "spine_twist": -hand * 15.0, "spine_flex": style.lean + 12.0, **weight(0), **_stride(front, 1)}
            follow = {**g.at(body, hand, 330, -230, -330, pole=(0.0, 1.0, -1.0)), "spine_twist": -hand * 25.0,
                      "spine_flex": style.lean + 25.0}
        else:  # underhand: the arm swinging back past the hip and forward up
            wind_up = {**g.at(body, hand, -260, 90, -420, pole=(-1.0, 0.3, -0.2)), **g.at(body, -hand, 250, -60, -250),
                       "spine_flex": style.lean + 15.0, "spine_twist": hand * 15.0, **weight(hand, 0.6), **lifted}
            release = {**g.at(body, hand, 420, 30, -90, pole=(0.0, 0.6, -1.0)), "spine_twist": -hand * 8.0,
                       "spine_flex": style.lean + 10.0, **weight(0), **_stride(front, 0.7)}
            follow = {**g.at(body, hand, 380, 30, 130, pole=(0.0, 0.6, -1.0)), "spine_flex": style.lean + 5.0}
        tl.to(dur(style, rng, 0.45, 0.7), **wind_up)
        tl.hold(dur(style, rng, 0.05, 0.2))
        tl.to(dur(style, rng, 0.14, 0.2), **release)
        tl.to(dur(style, rng, 0.2, 0.3), **follow)
        tl.hold(dur(style, rng, 0.2, 0.4))
        tl.to(dur(style, rng, 0.3, 0.4), **ready, **lifted, sway_x=30.0, spine_flex=style.lean, spine_twist=0.0)
        tl.to(dur(style, rng, 0.25, 0.35), **_stand(style))  # the front foot back beside the other
        tl.hold(dur(style, rng, 0.6, 1.8))  # the ball's way there and back
        where = rng.choice(["chest", "overhead", "low"], p=[0.5, 0.3, 0.2])
        if where == "chest":
            catch = _both(body, 420, -60, -90)
        elif where == "overhead":
            catch = {**_both(body, 170, 40, 440, pole=(0.0, 1.0, 0.0)), "neck_flex": -20.0}
        else:  # low: bending down, the knees giving
            catch = {**_both(body, 380, -50, -400), "neck_flex": 20.0, "spine_flex": style.lean + 30.0,
                     "l_hip_flex": 20.0, "r_hip_flex": 20.0, "l_knee": 35.0, "r_knee": 35.0, "l_ankle": 15.0,
                     "r_ankle": 15.0}
        tl.to(dur(style, rng, 0.3, 0.5), **catch)
        tl.hold(0.08)
        tl.to(dur(style, rng, 0.25, 0.35), **ball, **_stand(style), neck_flex=0.0)  # drawn in to the chest
        tl.hold(dur(style, rng, 0.3, 1.0))
        if rng.random() < 0.25:
            turn(tl, rng, style, 5, 20)
    motion = finish(t, rng, style, fps, tl.render(t), fidget=0.6)
    _ground(style, motion)
    return motion


MODELS: dict[str, MotionModel] = {
    "Walking": walking, "Jog": jog, "Box": box, "Gestures": directions, "ThrowCatch": throw_catch,
}
