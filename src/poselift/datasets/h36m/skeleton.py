"""Human3.6M's skeletons: the 32-joint motion-capture tree and the 17 joints VideoPose3D lifts to.

Facts from Human3.6M (Ionescu et al., TPAMI 2014) as used by VideoPose3D (`common/h36m_dataset.py`,
`common/skeleton.py`); joint names follow Martinez et al.'s `H36M_NAMES` at the kept indices.
"""

from __future__ import annotations

import numpy as np

from poselift.geometry.skeleton import Skeleton

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
