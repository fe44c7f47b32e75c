"""Postures as named controls, scripted over time, turned into joint rotations and world positions.

A motion is a set of control channels (N frames each) plus a root path on the floor:
- angles in degrees: `pelvis_pitch` (forward tilt), `pelvis_roll` (tilt to the left), `pelvis_yaw`
  (turn against the heading, e.g. in gait), `spine_flex`/`spine_bend`/`spine_twist` (forward, to the left,
  to the left), `neck_flex`/`neck_tilt`/`neck_turn`; per side `l_`/`r_`: `hip_flex` (thigh forward,
  measured from the vertical, so a tilted pelvis does not move the legs), `hip_abd` (outwards),
  `hip_rot` (toes outwards), `knee`, `ankle` (toes up), `toe` (toes up), `wrist` (palm bend);
- millimetres: `sway_x`/`sway_y` (pelvis shift forward / to the left with the feet kept in place),
  `seat` (lowest root height a chair holds; 0 standing), `lift` (the whole body raised off its floor
  contact: the flight of a running stride or a hop; 0 on the floor);
- `plant` in [0, 1]: how firmly feet on the floor stay put (see `footing`; 1 unless a foot must slide);
- per side the arm's goal: `hand` (3,), the wrist position relative to the shoulder in the chest
  frame (the `Spine` joint's frame), mm, and `pole` (3,), where the elbow points; the arm reaches
  for it by two-bone inverse kinematics.

Joint angles come out of the controls; positions come out of forward kinematics only, so bones are rigid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from poselift.datasets.synthetic.footing import plant_feet
from poselift.datasets.synthetic.kinematics import (
    JOINT,
    Body,
    forward_kinematics,
    place_on_floor,
    rot_x,
    rot_y,
    rot_z,
    two_bone_ik,
)
from poselift.datasets.synthetic.signals import keyframes

SIDES = {"l": 1, "r": -1}  # side prefix -> sign of the body's y axis
LIMB_SCALARS = ("hip_flex", "hip_abd", "hip_rot", "knee", "ankle", "toe", "wrist")
SCALARS = ("pelvis_pitch", "pelvis_roll", "pelvis_yaw", "spine_flex", "spine_bend", "spine_twist",
           "neck_flex", "neck_tilt", "neck_turn", "sway_x", "sway_y", "seat", "lift", "plant",
           *(f"{s}_{name}" for s in SIDES for name in LIMB_SCALARS))
VECTORS = tuple(f"{s}_{name}" for s in SIDES for name in ("hand", "pole"))
CHANNELS = SCALARS + VECTORS

_SPINE_SHARE = {"Torso": 0.45, "Spine": 0.55}  # how the spine's bend is spread over its two joints


@dataclass(frozen=True)
class Motion:
    """A motion of N frames: control channels and the root's path on the floor."""

    controls: dict[str, np.ndarray]  # channel -> (N,) or (N, 3)
    xy: np.ndarray  # (N, 2), mm, world frame: where the root stands on the floor
    yaw: np.ndarray  # (N,), radians: the heading (body x axis) from the world x axis, counter-clockwise


def neutral(body: Body) -> dict:
    """Relaxed standing: feet slightly apart and turned out, arms hanging with the elbows a little bent."""
    state = dict.fromkeys(SCALARS, 0.0)
    state["plant"] = 1.0
    for side, sign in SIDES.items():
        state.update({f"{side}_hip_abd": 3.0, f"{side}_hip_rot": 6.0, f"{side}_knee": 2.0})
        state[f"{side}_hand"] = np.array([40.0, sign * 45.0, -0.95 * body.arm])
        state[f"{side}_pole"] = np.array([-0.6, sign * 0.4, -1.0])
    return state


class Timeline:
    """A script of postures: keys at increasing times, eased transitions, holds in between.

    Each key is the previous one with some channels changed, so a script reads as what changes when.
    """

    def __init__(self, state: dict, start: float = 0.0):
        self.times = [float(start)]
        self.states = [dict(state)]

    @property
    def now(self) -> float:
        return self.times[-1]

    @property
    def state(self) -> dict:
        return self.states[-1]

    def to(self, duration: float, **changes) -> Timeline:
        """Move to the current posture with `changes` in `duration` seconds."""
        unknown = set(changes) - set(self.states[0])
        if unknown:
            raise ValueError(f"unknown control channel(s): {', '.join(sorted(unknown))}")
        self.times.append(self.now + max(float(duration), 1e-3))
        self.states.append({**self.state, **changes})
        return self

    def hold(self, duration: float) -> Timeline:
        return self.to(duration)

    def render(self, t: np.ndarray) -> dict[str, np.ndarray]:
        """Channel values at times t (N,), seconds."""
        return {name: keyframes(t, self.times, [state[name] for state in self.states]) for name in self.states[0]}


def _radians(controls: dict[str, np.ndarray], name: str) -> np.ndarray:
    return np.radians(controls[name])


def local_rotations(body: Body, controls: dict[str, np.ndarray], yaw: np.ndarray) -> np.ndarray:
    """Local joint rotations (N, 32, 3, 3) of the controls; the root's is its world orientation."""
    n = len(yaw)
    rotations = np.broadcast_to(np.eye(3), (n, 32, 3, 3)).copy()
    pitch, roll = _radians(controls, "pelvis_pitch"), _radians(controls, "pelvis_roll")
    rotations[:, JOINT["Hip"]] = rot_z(yaw + _radians(controls, "pelvis_yaw")) @ rot_y(pitch) @ rot_x(-roll)
    flex, bend, twist = (_radians(controls, f"spine_{k}") for k in ("flex", "bend", "twist"))
    for joint, share in _SPINE_SHARE.items():
        rotations[:, JOINT[joint]] = rot_y(share * flex) @ rot_x(-share * bend) @ rot_z(share * twist)
    neck = rot_y(_radians(controls, "neck_flex") / 2) @ rot_x(-_radians(controls, "neck_tilt") / 2) \
        @ rot_z(_radians(controls, "neck_turn") / 2)
    rotations[:, JOINT["Thorax"]] = rotations[:, JOINT["Neck/Nose"]] = neck

    # Legs: a pelvis shift (sway) or tilt would drag the feet along; the hips turn against it instead.
    lean_x = np.arcsin(np.clip(controls["sway_x"] / body.leg, -0.5, 0.5))
    lean_y = np.arcsin(np.clip(controls["sway_y"] / body.leg, -0.5, 0.5))
    for side, sign in SIDES.items():
        prefix = "L" if sign > 0 else "R"
        hip_flex = _radians(controls, f"{side}_hip_flex") + pitch - lean_x
        hip_abd = _radians(controls, f"{side}_hip_abd") + sign * roll - sign * lean_y
        rotations[:, JOINT[f"{prefix}Hip"]] = rot_y(-hip_flex) @ rot_x(sign * hip_abd) \
            @ rot_z(sign * _radians(controls, f"{side}_hip_rot"))
        rotations[:, JOINT[f"{prefix}Knee"]] = rot_y(_radians(controls, f"{side}_knee"))
        rotations[:, JOINT[f"{prefix}Foot"]] = rot_y(-_radians(controls, f"{side}_ankle"))
        rotations[:, JOINT[f"{prefix}Toe"]] = rot_y(-_radians(controls, f"{side}_toe"))
        shoulder, elbow = two_bone_ik(controls[f"{side}_hand"], controls[f"{side}_pole"], body.upper_arm,
                                      body.forearm)
        rotations[:, JOINT[f"{prefix}Shoulder"]] = shoulder
        rotations[:, JOINT[f"{prefix}Elbow"]] = elbow
        rotations[:, JOINT[f"{prefix}Wrist"]] = rot_y(-_radians(controls, f"{side}_wrist"))
    return rotations


def pose_sequence(body: Body, motion: Motion) -> np.ndarray:
    """World joint positions (N, 32, 3), mm, of a motion: z up, the floor at z = 0.

    Forward kinematics of the controls, the body lowered onto the floor (or the seat) and raised by
    `lift`, then the legs re-solved so that feet on the floor do not slide (`footing.plant_feet`).
    """
    missing = set(CHANNELS) - set(motion.controls)
    if missing:
        raise ValueError(f"motion lacks control channel(s): {', '.join(sorted(missing))}")
    rotations = local_rotations(body, motion.controls, motion.yaw)
    relative, frames = forward_kinematics(body.offsets, rotations)
    height = place_on_floor(relative, motion.controls["seat"]) + motion.controls["lift"]
    c, s = np.cos(motion.yaw), np.sin(motion.yaw)
    sx, sy = motion.controls["sway_x"], motion.controls["sway_y"]
    root = np.stack([motion.xy[:, 0] + c * sx - s * sy, motion.xy[:, 1] + s * sx + c * sy, height], axis=-1)
    rotations = plant_feet(body, rotations, relative + root[:, None, :], frames, motion.controls["plant"])
    return forward_kinematics(body.offsets, rotations)[0] + root[:, None, :]
