"""Skeletons and 2D keypoint layouts.

The 32-joint Human3.6M motion-capture tree, its reduction to the 17 joints VideoPose3D works with,
and the 2D layouts of the detectors VideoPose3D distributes (h36m, coco, mpii, humaneva15).

Facts from Human3.6M (Ionescu et al., TPAMI 2014) as used by VideoPose3D
(`common/h36m_dataset.py`, `common/skeleton.py`, `data/data_utils.py`); joint names follow
Martinez et al.'s `H36M_NAMES` at the kept indices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Skeleton:
    """A kinematic tree: `parents[j]` is the parent of joint j (-1 for the root)."""

    parents: tuple[int, ...]
    joints_left: tuple[int, ...]
    joints_right: tuple[int, ...]
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.parents)
        if len(self.names) != n:
            raise ValueError(f"{len(self.names)} names for {n} joints")
        if any(p >= j for j, p in enumerate(self.parents)):
            raise ValueError("parents must precede their children")
        if set(self.joints_left) & set(self.joints_right):
            raise ValueError("a joint cannot be both left and right")

    @property
    def num_joints(self) -> int:
        return len(self.parents)

    def children(self) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in self.parents]
        for j, p in enumerate(self.parents):
            if p >= 0:
                out[p].append(j)
        return out

    def bones(self) -> list[tuple[int, int]]:
        """(parent, child) pairs, one per non-root joint."""
        return [(p, j) for j, p in enumerate(self.parents) if p >= 0]

    def remove_joints(self, joints_to_remove: list[int]) -> tuple[Skeleton, list[int]]:
        """Drop joints, re-attaching each kept joint to its nearest kept ancestor.

        Returns the reduced skeleton and the kept joint indices (into this skeleton).
        """
        removed = set(joints_to_remove)
        kept = [j for j in range(self.num_joints) if j not in removed]
        new_index = {j: i for i, j in enumerate(kept)}
        parents = []
        for j in kept:
            p = self.parents[j]
            while p in removed:
                p = self.parents[p]
            parents.append(-1 if p < 0 else new_index[p])
        skeleton = Skeleton(
            parents=tuple(parents),
            joints_left=tuple(new_index[j] for j in self.joints_left if j in new_index),
            joints_right=tuple(new_index[j] for j in self.joints_right if j in new_index),
            names=tuple(self.names[j] for j in kept),
        )
        return skeleton, kept

    def with_parents(self, overrides: dict[int, int]) -> Skeleton:
        parents = list(self.parents)
        for joint, parent in overrides.items():
            parents[joint] = parent
        return Skeleton(tuple(parents), self.joints_left, self.joints_right, self.names)

    def bone_lengths(self, positions: np.ndarray) -> np.ndarray:
        """Bone lengths of poses (..., J, 3) -> (..., J-1), in the unit of `positions`."""
        parents, children = zip(*self.bones(), strict=True)
        return np.linalg.norm(positions[..., list(children), :] - positions[..., list(parents), :], axis=-1)


# The full 32-joint Human3.6M mocap tree (names from Martinez et al.'s H36M_NAMES; unnamed
# duplicates of a joint are "static" site markers that VideoPose3D removes).
H36M_32 = Skeleton(
    parents=(-1, 0, 1, 2, 3, 4, 0, 6, 7, 8, 9, 0, 11, 12, 13, 14, 12,
             16, 17, 18, 19, 20, 19, 22, 12, 24, 25, 26, 27, 28, 27, 30),
    joints_left=(6, 7, 8, 9, 10, 16, 17, 18, 19, 20, 21, 22, 23),
    joints_right=(1, 2, 3, 4, 5, 24, 25, 26, 27, 28, 29, 30, 31),
    names=(
        "Hip", "RHip", "RKnee", "RFoot", "RToe", "RToeSite", "LHip", "LKnee", "LFoot", "LToe",
        "LToeSite", "Torso", "Spine", "Thorax", "Neck/Nose", "Head", "LClavicle", "LShoulder",
        "LElbow", "LWrist", "LThumb", "LThumbSite", "LHand", "LHandSite", "RClavicle", "RShoulder",
        "RElbow", "RWrist", "RThumb", "RThumbSite", "RHand", "RHandSite",
    ),
)

# Joints VideoPose3D removes to go from 32 to 17 (`Human36mDataset(remove_static_joints=True)`).
H36M_REMOVED_JOINTS = (4, 5, 9, 10, 11, 16, 20, 21, 22, 23, 24, 28, 29, 30, 31)


def _h36m_17() -> tuple[Skeleton, tuple[int, ...]]:
    reduced, kept = H36M_32.remove_joints(list(H36M_REMOVED_JOINTS))
    # The shoulders hang off the removed joints 16 and 24; VideoPose3D rewires them to the thorax.
    return reduced.with_parents({11: 8, 14: 8}), tuple(kept)


H36M_17, H36M_KEPT_JOINTS = _h36m_17()


def reduce_to_17(positions_32: np.ndarray) -> np.ndarray:
    """(..., 32, C) -> (..., 17, C): the joints VideoPose3D keeps."""
    if positions_32.shape[-2] != H36M_32.num_joints:
        raise ValueError(f"expected 32 joints, got shape {positions_32.shape}")
    return positions_32[..., list(H36M_KEPT_JOINTS), :]


@dataclass(frozen=True)
class Layout:
    """A 2D keypoint layout: its name, joint count and left/right symmetry lists."""

    name: str
    num_joints: int
    keypoints_left: tuple[int, ...]
    keypoints_right: tuple[int, ...]

    def metadata(self) -> dict:
        """The `metadata` dict VideoPose3D stores in its 2D npz files."""
        return {
            "layout_name": self.name,
            "num_joints": self.num_joints,
            "keypoints_symmetry": [list(self.keypoints_left), list(self.keypoints_right)],
        }


# Layouts as in VideoPose3D's `data/data_utils.py` (`mpii_metadata`, `coco_metadata`, `h36m_metadata`,
# `humaneva15_metadata`).
LAYOUTS = {
    "h36m": Layout("h36m", 17, H36M_17.joints_left, H36M_17.joints_right),
    "coco": Layout("coco", 17, (1, 3, 5, 7, 9, 11, 13, 15), (2, 4, 6, 8, 10, 12, 14, 16)),
    "mpii": Layout("mpii", 16, (3, 4, 5, 13, 14, 15), (0, 1, 2, 10, 11, 12)),
    "humaneva15": Layout("humaneva15", 15, (2, 3, 4, 8, 9, 10), (5, 6, 7, 11, 12, 13)),
}


def layout(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown 2D layout {name!r}; known: {', '.join(LAYOUTS)}") from None


def suggest_layout(keypoints_name: str) -> Layout:
    """The layout of a detection file guessed from its name, as VideoPose3D's `suggest_metadata`."""
    for name in ("mpii", "coco", "humaneva15", "h36m"):
        if name in keypoints_name:
            return LAYOUTS[name]
    raise ValueError(f"cannot tell the 2D layout of keypoints {keypoints_name!r} from its name")


def infer_layout(metadata: dict) -> Layout:
    """The layout a 2D npz's `metadata` describes.

    VideoPose3D's own files do not always carry `layout_name` (its `gt` and Stacked Hourglass files
    hold only `num_joints` and `keypoints_symmetry`); then the layout is the one whose joint count and
    symmetry lists match.
    """
    if "layout_name" in metadata:
        found = layout(metadata["layout_name"])
        if "num_joints" in metadata and int(metadata["num_joints"]) != found.num_joints:
            raise ValueError(f"metadata says layout {found.name!r} with {metadata['num_joints']} joints, "
                             f"but {found.name!r} has {found.num_joints}")
        return found
    num_joints = int(metadata.get("num_joints", -1))
    left, right = (tuple(int(i) for i in side) for side in metadata.get("keypoints_symmetry", ([], [])))
    for candidate in LAYOUTS.values():
        if (candidate.num_joints, candidate.keypoints_left, candidate.keypoints_right) == (num_joints, left, right):
            return candidate
    raise ValueError(f"metadata {metadata!r} matches no known 2D layout ({', '.join(LAYOUTS)})")
