"""2D keypoint layouts: the joint order of a 2D file, its names and its left/right symmetry.

The layouts are those of VideoPose3D's `data/data_utils.py` (`h36m`, `coco`, `mpii`, `humaneva15`,
`humaneva20`), which its 2D npz files name in `metadata['layout_name']` and describe by
`keypoints_symmetry`. Joint names are ours. Where two layouts mark the same body point, the name is
the same, so layouts can be compared joint by joint (`common_joints`): the ankle is `LFoot`/`RFoot` in
every layout (as Human3.6M names it), the pelvis centre `Hip`, the upper neck `Neck/Nose`. The
definitions still differ between detectors and data sets (a COCO hip is not the mocap hip centre),
so an error across layouts includes a definition offset.

`convert_keypoints` maps COCO-17 keypoints onto Human3.6M-17 and back, by joint name and by means of
joints (an approximation; the conventions are in the comment above its recipes, `_CONVERSIONS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Layout:
    """A 2D keypoint layout: its name, joint names and left/right symmetry lists."""

    name: str
    names: tuple[str, ...]
    keypoints_left: tuple[int, ...]
    keypoints_right: tuple[int, ...]

    @property
    def num_joints(self) -> int:
        return len(self.names)

    def metadata(self) -> dict:
        """The `metadata` dict VideoPose3D stores in its 2D npz files."""
        return {
            "layout_name": self.name,
            "num_joints": self.num_joints,
            "keypoints_symmetry": [list(self.keypoints_left), list(self.keypoints_right)],
        }

    def limb_pairs(self) -> list[tuple[int, int]]:
        """(left, right) indices of the joints that come in pairs (`L<x>` and `R<x>`), in joint order of
        the left one."""
        index = {name: j for j, name in enumerate(self.names)}
        return [(index[name], index["R" + name[1:]]) for name in self.names
                if name.startswith("L") and "R" + name[1:] in index]


_H36M_NAMES = ("Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine", "Thorax", "Neck/Nose", "Head",
               "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist")
_COCO_NAMES = ("Nose", "LEye", "REye", "LEar", "REar", "LShoulder", "RShoulder", "LElbow", "RElbow", "LWrist",
               "RWrist", "LHip", "RHip", "LKnee", "RKnee", "LFoot", "RFoot")
_MPII_NAMES = ("RFoot", "RKnee", "RHip", "LHip", "LKnee", "LFoot", "Hip", "Thorax", "Neck/Nose", "Head",
               "RWrist", "RElbow", "RShoulder", "LShoulder", "LElbow", "LWrist")
# HumanEva-I's 15-joint skeleton of VideoPose3D's ConvertHumanEva.m (the evaluation skeleton of HumanEva's
# own code): pelvis, thorax, arms, legs, head; proximal and distal markers of a joint averaged.
_HUMANEVA15_NAMES = ("Hip", "Thorax", "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist", "LHip",
                     "LKnee", "LFoot", "RHip", "RKnee", "RFoot", "Head")
# Its 20-joint variant keeps the proximal and distal markers apart.
_HUMANEVA20_NAMES = ("Hip", "TorsoTop", "HeadBottom", "LShoulder", "LElbowUpper", "LElbowLower", "LWrist",
                     "RShoulder", "RElbowUpper", "RElbowLower", "RWrist", "LHip", "LKneeUpper", "LKneeLower", "LFoot",
                     "RHip", "RKneeUpper", "RKneeLower", "RFoot", "Head")

LAYOUTS = {
    "h36m": Layout("h36m", _H36M_NAMES, (4, 5, 6, 11, 12, 13), (1, 2, 3, 14, 15, 16)),
    "coco": Layout("coco", _COCO_NAMES, (1, 3, 5, 7, 9, 11, 13, 15), (2, 4, 6, 8, 10, 12, 14, 16)),
    "mpii": Layout("mpii", _MPII_NAMES, (3, 4, 5, 13, 14, 15), (0, 1, 2, 10, 11, 12)),
    "humaneva15": Layout("humaneva15", _HUMANEVA15_NAMES, (2, 3, 4, 8, 9, 10), (5, 6, 7, 11, 12, 13)),
    "humaneva20": Layout("humaneva20", _HUMANEVA20_NAMES, (3, 4, 5, 6, 11, 12, 13, 14), (7, 8, 9, 10, 15, 16, 17, 18)),
}


def layout(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown 2D layout {name!r}; known: {', '.join(LAYOUTS)}") from None


def suggest_layout(keypoints_name: str) -> Layout:
    """The layout of a detection file guessed from its name, as VideoPose3D's `suggest_metadata`."""
    for name in ("mpii", "coco", "h36m", "humaneva15", "humaneva20"):
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


def common_joints(source: Layout, reference: Layout) -> tuple[list[str], list[int], list[int]]:
    """The joints two layouts share by name, in `source` order: (names, indices in source, in reference)."""
    names = [name for name in source.names if name in reference.names]
    return names, [source.names.index(n) for n in names], [reference.names.index(n) for n in names]


# Conversion between COCO-17 and Human3.6M-17, for lifting a COCO detector's keypoints with a model of
# Human3.6M joints (or drawing a Human3.6M pose over COCO keypoints). Each target joint is the mean of
# some source joints; a joint not listed is copied from the source joint of the same name (shoulders,
# elbows, wrists, hips, knees, feet). This is an approximation: a COCO hip is not the mocap hip joint
# (it sits higher and wider), Human3.6M's pelvis, spine and thorax are not COCO points at all, and the
# nose and eyes stand in for Human3.6M's neck/nose and head top.
# - coco -> h36m: Hip = mean of the hips, Thorax = mean of the shoulders, Spine = midpoint of Hip and
#   Thorax (the mean of the four), Neck/Nose = Nose, Head = mean of the eyes.
# - h36m -> coco: Nose = Neck/Nose, both eyes and both ears = Head. This direction loses the face: the
#   eyes and ears collapse onto one point, so coco -> h36m -> coco does not give the face back.
_CONVERSIONS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("coco", "h36m"): {
        "Hip": ("LHip", "RHip"),
        "Thorax": ("LShoulder", "RShoulder"),
        "Spine": ("LHip", "RHip", "LShoulder", "RShoulder"),
        "Neck/Nose": ("Nose",),
        "Head": ("LEye", "REye"),
    },
    ("h36m", "coco"): {
        "Nose": ("Neck/Nose",),
        "LEye": ("Head",),
        "REye": ("Head",),
        "LEar": ("Head",),
        "REar": ("Head",),
    },
}


def _conversion_sources(source: Layout, target: Layout) -> list[list[int]]:
    """For each target joint, the indices of the source joints it is the mean of."""
    recipe = _CONVERSIONS[source.name, target.name]
    return [[source.names.index(name) for name in recipe.get(joint, (joint,))] for joint in target.names]


def convert_keypoints(keypoints: np.ndarray, source: str, target: str) -> np.ndarray:
    """Keypoints (..., J_source, C) of layout `source` -> (..., J_target, C) of layout `target`, C = 2 or 3.

    Same unit as the input (pixels or metres), floating point; `source == target` gives a copy. Supported:
    coco <-> h36m, by the conventions in the comment above `_CONVERSIONS` (an approximation). ValueError
    for another pair or for keypoints whose joint count is not that of `source`.
    """
    source_layout, target_layout = layout(source), layout(target)
    keypoints = np.asarray(keypoints)
    if keypoints.ndim < 2 or keypoints.shape[-1] not in (2, 3) or keypoints.shape[-2] != source_layout.num_joints:
        raise ValueError(f"keypoints of layout {source!r} must be (..., {source_layout.num_joints}, 2 or 3), "
                         f"got shape {keypoints.shape}")
    if source == target:
        return keypoints.copy()
    if (source, target) not in _CONVERSIONS:
        supported = ", ".join(f"{a} -> {b}" for a, b in _CONVERSIONS)
        raise ValueError(f"no conversion of keypoints from layout {source!r} to {target!r}; supported: {supported}")
    # Each joint taken alone (not a weight matrix): a copied joint stays bit-exact and a NaN (missing)
    # source joint spoils only the target joints made from it.
    joints = [keypoints[..., idx, :].mean(axis=-2) for idx in _conversion_sources(source_layout, target_layout)]
    return np.stack(joints, axis=-2)  # (..., J_target, C)
