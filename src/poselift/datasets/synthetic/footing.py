"""Planted feet: a foot on the floor stays where it is, turned as it is, until it lifts off.

Joint-angle scripts (the gait curves, weight shifts, turns) move a supporting foot against the floor;
real feet do not slide or twist on it. After a first pass of forward kinematics, each foot's
stretches of floor contact are found (its lowest joint within `CONTACT_TOLERANCE` of its resting
height). Over a stretch the foot keeps its mean heading (a walker turns the foot in the air, not on
the floor), and the touching joint (heel, ball or toes; the touch may pass from one to the next) is
held at one place: the ankle gets a horizontal correction, spread evenly about the stretch's mean
so the leg bends as little as it can, and eased from one stretch to the next while the foot is in the
air. The leg is then re-solved by two-bone inverse kinematics to put the ankle there with the knee in
the plane it had; nothing else moves, so the floor contact, the pelvis and the upper body are as in
the first pass. A foot is held no farther than its leg reaches (give or take `OVERREACH`): beyond
that it slides after the body.
"""

from __future__ import annotations

import numpy as np

from poselift.datasets.synthetic.kinematics import CONTACT_RADIUS, JOINT, KNEE, NAMES, Body, rot_z, two_bone_ik
from poselift.datasets.synthetic.signals import ease

CONTACT_TOLERANCE = 10.0  # mm: a foot joint this close to its resting height above the floor touches it
# mm a held foot may lie beyond the straight leg: the leg then straightens towards it and the foot
# rises at most this much (a heel coming up), rather than being let go.
OVERREACH = 20.0
LEGS = {side: tuple(JOINT[f"{side}{name}"] for name in ("Hip", "Knee", "Foot", "Toe", "ToeSite")) for side in "LR"}


def _stretches(contact: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True in `contact` (N,)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], contact.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _ease_between(values: np.ndarray, contact: np.ndarray) -> np.ndarray:
    """`values` (N, D) kept on contact frames and eased between neighbouring ones elsewhere (held
    before the first and after the last)."""
    touch = np.flatnonzero(contact)
    frames = np.arange(len(values))
    before = np.clip(np.searchsorted(touch, frames, side="right") - 1, 0, len(touch) - 1)
    after = np.minimum(before + 1, len(touch) - 1)
    t0, t1 = touch[before], touch[after]
    u = ease(np.where(t1 > t0, (frames - t0) / np.maximum(t1 - t0, 1), 0.0))[:, None]
    eased = values[t0] + u * (values[t1] - values[t0])
    return np.where(contact[:, None], values, eased)


def heading_corrections(heading: np.ndarray, contact: np.ndarray) -> np.ndarray:
    """Per frame, the turn (N,), radians, that holds a foot's heading (N,), radians, unwrapped, at its
    mean over each stretch of contact (N,); eased between stretches."""
    if not contact.any():
        return np.zeros_like(heading)
    turn = np.zeros_like(heading)
    for start, end in _stretches(contact):
        turn[start:end] = heading[start:end].mean() - heading[start:end]
    return _ease_between(turn[:, None], contact)[:, 0]


def drift_corrections(xy: np.ndarray, clearance: np.ndarray) -> np.ndarray:
    """Per frame, the horizontal shift (N, 2), mm, that holds a foot's touching joint still.

    xy: (N, K, 2), mm, the foot's K joints on the floor plane; clearance: (N, K), mm, each joint's
    height above its resting height on the floor. Frames without contact get shifts eased between
    the neighbouring stretches of contact.
    """
    n = len(xy)
    lowest = np.argmin(clearance, axis=1)  # (N,)
    contact = clearance[np.arange(n), lowest] < CONTACT_TOLERANCE
    if not contact.any():
        return np.zeros((n, 2))
    touching = xy[np.arange(n), lowest]  # (N, 2) the joint on the floor, where there is one
    correction = np.zeros((n, 2))
    for start, end in _stretches(contact):
        # Within a stretch the touch may pass from joint to joint (heel, ball, toes): each new joint
        # is held where it is when it takes over, so the correction stays continuous.
        switches = start + 1 + np.flatnonzero(lowest[start + 1:end] != lowest[start:end - 1])
        anchor = touching[start]
        for a, b in zip([start, *switches.tolist()], [*switches.tolist(), end], strict=True):
            if a > start:
                anchor = correction[a - 1] + touching[a]
            correction[a:b] = anchor - touching[a:b]
        correction[start:end] -= correction[start:end].mean(axis=0)  # held at the drifting foot's mean place
    return _ease_between(correction, contact)


def plant_feet(body: Body, rotations: np.ndarray, positions: np.ndarray, frames: np.ndarray,
               weight: np.ndarray) -> np.ndarray:
    """Local rotations (N, 32, 3, 3) with the legs re-solved so that feet on the floor do not slide.

    rotations: the first pass's local rotations; positions: (N, 32, 3), mm, and frames: (N, 32, 3, 3),
    its world joint positions and frames; weight: (N,) in [0, 1], how much of the drift to cancel.
    """
    rotations = rotations.copy()
    pelvis = frames[:, JOINT["Hip"]]  # (N, 3, 3) world orientation of the legs' parent
    for hip, knee, ankle, toe, site in LEGS.values():
        foot = [ankle, toe, site]
        clearance = positions[:, foot, 2] - CONTACT_RADIUS[foot]  # (N, 3), mm
        contact = clearance.min(axis=1) < CONTACT_TOLERANCE
        heading = np.unwrap(np.arctan2(frames[:, ankle, 1, 0], frames[:, ankle, 0, 0]))  # the foot's x axis
        turn = rot_z(heading_corrections(heading, contact) * weight)  # (N, 3, 3) about the vertical
        around_ankle = positions[:, foot] - positions[:, ankle, None]  # (N, 3, 3)
        turned = positions[:, ankle, None] + np.einsum("nij,nkj->nki", turn, around_ankle)
        shift = drift_corrections(turned[..., :2], clearance) * weight[:, None]
        shift = np.concatenate([shift, np.zeros((len(shift), 1))], axis=1)  # (N, 3), mm, horizontal
        leg = positions[:, ankle] - positions[:, hip]
        reach = body.length(NAMES[knee]) + body.length(NAMES[ankle]) + OVERREACH
        target = positions[:, ankle] + _within_reach(leg, shift, reach)[:, None] * shift
        local_target = np.einsum("nji,nj->ni", pelvis, target - positions[:, hip])  # pelvis frame
        kneecap = np.einsum("nji,nj->ni", pelvis, frames[:, hip][:, :, 0])  # the thigh's forward axis
        r_hip, r_knee = two_bone_ik(local_target, kneecap, body.length(NAMES[knee]), body.length(NAMES[ankle]),
                                    bend_axis=KNEE)
        rotations[:, hip], rotations[:, knee] = r_hip, r_knee
        shin = pelvis @ r_hip @ r_knee
        rotations[:, ankle] = np.swapaxes(shin, -1, -2) @ turn @ frames[:, ankle]  # the foot, turned as held
    return rotations


def _within_reach(leg: np.ndarray, shift: np.ndarray, reach: float) -> np.ndarray:
    """The share s in [0, 1] of each shift (N, 3) that keeps |leg + s shift| <= reach: a foot the leg
    cannot hold any more slides after the body instead of lifting off the floor."""
    a = np.sum(shift * shift, axis=1)
    b = np.sum(leg * shift, axis=1)
    c = np.sum(leg * leg, axis=1) - reach**2
    root = (-b + np.sqrt(np.maximum(b * b - a * c, 0.0))) / np.maximum(a, 1e-12)
    return np.clip(np.where(a > 1e-12, root, 1.0), 0.0, 1.0)
