"""Forward kinematics of the 32-joint Human3.6M tree, a parametric body, and two-bone inverse kinematics.

Body axes (every joint's rest frame): x forward, y to the subject's left, z up; millimetres. In the
rest pose the subject stands upright with the arms hanging straight down, so every bone offset of
the limbs points along -z. A joint's local rotation turns the offsets of its children, as in a BVH
file: `G_j = G_parent(j) R_j` and `p_j = p_parent(j) + G_parent(j) o_j`.

Proportions follow the mean Human3.6M bone lengths (hip width ~130 mm, thigh ~445 mm, shin ~450 mm,
pelvis to spine ~235 mm, spine to thorax ~255 mm, upper arm ~280 mm, forearm ~250 mm); the
reference body's `Head` joint is 1.70 m above the floor (stature ~1.76 m). The clavicle joints
(16, 24) sit on the thorax (13), which is why VideoPose3D re-attaches the shoulders to the thorax when it
drops them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from poselift.datasets.h36m.skeleton import H36M_32

NAMES = H36M_32.names
PARENTS = H36M_32.parents
JOINT = {name: j for j, name in enumerate(NAMES)}

# Rest offsets of the reference body, mm, each in its parent's frame (x forward, y left, z up).
_REFERENCE_OFFSETS = {
    "Hip": (0, 0, 0),
    "RHip": (0, -130, -12), "RKnee": (0, 0, -445), "RFoot": (0, 0, -450), "RToe": (135, 0, -55),
    "RToeSite": (55, 0, -5),
    "LHip": (0, 130, -12), "LKnee": (0, 0, -445), "LFoot": (0, 0, -450), "LToe": (135, 0, -55),
    "LToeSite": (55, 0, -5),
    "Torso": (0, 0, 115), "Spine": (-5, 0, 120), "Thorax": (10, 0, 255), "Neck/Nose": (45, 0, 110),
    "Head": (-10, 0, 115),
    "LClavicle": (10, 0, 255), "LShoulder": (-10, 145, -35), "LElbow": (0, 0, -280), "LWrist": (0, 0, -250),
    "LThumb": (25, -10, -30), "LThumbSite": (20, 0, -25), "LHand": (0, 0, -80), "LHandSite": (0, 0, -45),
    "RClavicle": (10, 0, 255), "RShoulder": (-10, -145, -35), "RElbow": (0, 0, -280), "RWrist": (0, 0, -250),
    "RThumb": (25, 10, -30), "RThumbSite": (20, 0, -25), "RHand": (0, 0, -80), "RHandSite": (0, 0, -45),
}

# Body parts whose size varies between subjects on top of the overall scale.
SEGMENTS = {
    "hips": ("RHip", "LHip"),
    "thigh": ("RKnee", "LKnee"),
    "shin": ("RFoot", "LFoot"),
    "foot": ("RToe", "RToeSite", "LToe", "LToeSite"),
    "trunk": ("Torso", "Spine", "Thorax", "LClavicle", "RClavicle"),
    "head": ("Neck/Nose", "Head"),
    "shoulders": ("LShoulder", "RShoulder"),
    "upper_arm": ("LElbow", "RElbow"),
    "forearm": ("LWrist", "RWrist"),
    "hand": ("LThumb", "LThumbSite", "LHand", "LHandSite", "RThumb", "RThumbSite", "RHand", "RHandSite"),
}

# How far each joint centre stays above a supporting surface (flesh and sole), mm: the floor contact
# of `place_on_floor`. The ankle's radius and the foot's rest offsets put a flat foot's ankle and toe
# on the floor together.
CONTACT_RADIUS = np.array([
    {"Hip": 100, "RHip": 95, "LHip": 95, "RKnee": 55, "LKnee": 55, "RFoot": 75, "LFoot": 75,
     "RToe": 22, "LToe": 22, "RToeSite": 18, "LToeSite": 18, "Torso": 100, "Spine": 100, "Thorax": 100,
     "Neck/Nose": 80, "Head": 100}.get(name, 60 if "Shoulder" in name or "Clavicle" in name else
                                        40 if "Elbow" in name else 30)
    for name in NAMES], dtype=np.float64)  # (32,), mm


@dataclass(frozen=True)
class Body:
    """One subject's rest skeleton: bone offsets in millimetres (its bone lengths never change)."""

    offsets: np.ndarray  # (32, 3), mm, each joint's offset in its parent's frame

    def length(self, joint: str) -> float:
        return float(np.linalg.norm(self.offsets[JOINT[joint]]))

    @property
    def upper_arm(self) -> float:
        return self.length("LElbow")

    @property
    def forearm(self) -> float:
        return self.length("LWrist")

    @property
    def arm(self) -> float:
        return self.upper_arm + self.forearm

    @property
    def leg(self) -> float:
        """Hip joint to ankle, mm."""
        return self.length("LKnee") + self.length("LFoot")

    def chest_point(self, joint: str) -> np.ndarray:
        """Rest position of a neck, head or shoulder joint in the frame of the `Spine` joint (12), mm."""
        path = []
        j = JOINT[joint]
        while NAMES[j] != "Spine":
            path.append(j)
            j = PARENTS[j]
            if j < 0:
                raise ValueError(f"{joint} is not above the Spine joint")
        return self.offsets[path].sum(axis=0)

    def shoulder(self, side: int) -> np.ndarray:
        """Rest position of the left (side +1) or right (-1) shoulder in the Spine frame, mm."""
        return self.chest_point("LShoulder" if side > 0 else "RShoulder")

    def standing(self) -> np.ndarray:
        """Rest pose joint positions (32, 3), mm, relative to the root."""
        return forward_kinematics(self.offsets, np.broadcast_to(np.eye(3), (1, 32, 3, 3)))[0][0]

    def head_height(self) -> float:
        """Height of the `Head` joint above the floor when standing at rest, mm."""
        rest = self.standing()
        return float(rest[JOINT["Head"], 2] - np.min(rest[:, 2] - CONTACT_RADIUS))


def make_body(scale: float, segments: dict[str, float] | None = None) -> Body:
    """A body: the reference scaled by `scale`, each segment of `SEGMENTS` further by its factor."""
    offsets = np.array([_REFERENCE_OFFSETS[name] for name in NAMES], dtype=np.float64) * scale
    for segment, factor in (segments or {}).items():
        if segment not in SEGMENTS:
            raise ValueError(f"unknown body segment {segment!r}; known: {', '.join(SEGMENTS)}")
        offsets[[JOINT[name] for name in SEGMENTS[segment]]] *= factor
    return Body(offsets)


def rot_x(angle: np.ndarray) -> np.ndarray:
    """Rotations about x by `angle` (N,) radians -> (N, 3, 3)."""
    c, s, o, i = np.cos(angle), np.sin(angle), np.zeros_like(angle), np.ones_like(angle)
    return np.stack([i, o, o, o, c, -s, o, s, c], axis=-1).reshape(*np.shape(angle), 3, 3)


def rot_y(angle: np.ndarray) -> np.ndarray:
    """Rotations about y (N,) radians -> (N, 3, 3); positive tilts +z towards +x."""
    c, s, o, i = np.cos(angle), np.sin(angle), np.zeros_like(angle), np.ones_like(angle)
    return np.stack([c, o, s, o, i, o, -s, o, c], axis=-1).reshape(*np.shape(angle), 3, 3)


def rot_z(angle: np.ndarray) -> np.ndarray:
    """Rotations about z (N,) radians -> (N, 3, 3); positive turns +x towards +y (to the left)."""
    c, s, o, i = np.cos(angle), np.sin(angle), np.zeros_like(angle), np.ones_like(angle)
    return np.stack([c, -s, o, s, c, o, o, o, i], axis=-1).reshape(*np.shape(angle), 3, 3)


def forward_kinematics(offsets: np.ndarray, rotations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Joint positions (N, 32, 3) relative to the root and joint frames (N, 32, 3, 3), world axes.

    offsets: (32, 3) rest offsets; rotations: (N, 32, 3, 3) local rotations (root: its world orientation).
    A joint's frame `G_j` turns its children's offsets into world directions.
    """
    n = rotations.shape[0]
    positions = np.zeros((n, len(PARENTS), 3))
    frames = np.empty((n, len(PARENTS), 3, 3))
    for j, parent in enumerate(PARENTS):
        if parent < 0:
            frames[:, j] = rotations[:, j]
            continue
        positions[:, j] = positions[:, parent] + frames[:, parent] @ offsets[j]
        frames[:, j] = frames[:, parent] @ rotations[:, j]
    return positions, frames


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


ELBOW = np.array([0.0, -1.0, 0.0])  # an arm's bending axis at rest: the forearm swings forward
KNEE = np.array([0.0, 1.0, 0.0])  # a leg's: the shin swings backward


def two_bone_ik(target: np.ndarray, pole: np.ndarray, upper: float, lower: float,
                bend_axis: np.ndarray = ELBOW) -> tuple[np.ndarray, np.ndarray]:
    """Local rotations of a limb's root joint and middle joint that bring its end to `target`.

    The limb hangs along -z at rest and its middle joint bends about `bend_axis` (`ELBOW`, `KNEE`).
    target: (N, 3), mm, end point relative to the limb's root joint, in the root joint's parent frame;
    pole: (N, 3), the direction the middle joint points to (only its part across the root-target
    line matters). Targets out of reach are pulled onto the reachable shell. Returns
    (R_root, R_middle), each (N, 3, 3).
    """
    distance = np.linalg.norm(target, axis=-1, keepdims=True)
    reach = np.clip(distance, abs(upper - lower) + 1.0, (upper + lower) * (1 - 1e-6))
    d = target / np.maximum(distance, 1e-9)
    n = pole - np.sum(pole * d, axis=-1, keepdims=True) * d
    # A pole along the target line says nothing; fall back to "middle joint points down and back".
    fallback = np.array([-0.3, 0.0, -1.0]) - np.sum(np.array([-0.3, 0.0, -1.0]) * d, axis=-1, keepdims=True) * d
    n = _unit(np.where(np.linalg.norm(n, axis=-1, keepdims=True) > 1e-3, n, fallback))
    cos_a = np.clip((upper**2 + reach**2 - lower**2) / (2 * upper * reach), -1.0, 1.0)
    middle = upper * (cos_a * d + np.sqrt(1 - cos_a**2) * n)  # (N, 3) middle joint
    u1 = middle / upper
    f1 = _unit(reach * d - middle)
    w1 = _unit(np.cross(n, d))  # bending axis: (u1 x f1) points along n x d
    u0 = np.array([0.0, 0.0, -1.0])
    rest = np.stack([u0, bend_axis, np.cross(u0, bend_axis)], axis=-1)  # (3, 3), columns
    posed = np.stack([u1, w1, np.cross(u1, w1)], axis=-1)  # (N, 3, 3)
    r_root = posed @ rest.T
    f_local = np.einsum("nji,nj->ni", r_root, f1)  # lower bone's direction in the limb root's frame
    bent = np.stack([f_local, np.broadcast_to(bend_axis, f_local.shape), np.cross(f_local, bend_axis)], axis=-1)
    return r_root, bent @ rest.T


def place_on_floor(relative: np.ndarray, support: np.ndarray | None = None) -> np.ndarray:
    """Height of the root (N,), mm, that puts the body on the floor (z = 0).

    The lowest joint, counted by its `CONTACT_RADIUS`, touches the floor and no joint goes below it:
    standing, this is a foot; sitting on the floor, the pelvis. `support` (N,), mm, is a lowest root
    height held by a seat (0 where there is none): on a chair the root rests on it even when the feet
    do not reach the floor.
    """
    height = np.max(CONTACT_RADIUS - relative[..., 2], axis=-1)
    return height if support is None else np.maximum(height, support)
