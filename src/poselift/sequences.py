"""From VideoPose3D's npz dicts to the per-camera sequences a model trains and is tested on.

As VideoPose3D's `run.py` does: 3D poses are reduced to 17 joints, moved into each camera's frame,
made root-relative (joint 0 keeps the global trajectory, which losses and metrics zero), and 2D
keypoints are normalised to screen coordinates of that camera. A sequence is one (subject, action,
camera).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from poselift.actions import check_model_name, select_sequences
from poselift.cameras import h36m_cameras, normalize_screen_coordinates, world_to_camera
from poselift.formats import Poses2D, Poses3D
from poselift.skeleton import H36M_17, Layout, infer_layout, reduce_to_17
from poselift.validation import check_pair, require, trim_2d_to_3d


@dataclass(frozen=True)
class Sequence:
    subject: str
    action: str  # full name, e.g. "Sitting 1"
    camera: int  # index into CAMERA_IDS
    poses_2d: np.ndarray  # (T, J_in, 2), normalised screen coordinates, float32
    poses_3d: np.ndarray  # (T, 17, 3), metres, camera frame; joints 1.. relative to joint 0, joint 0 absolute

    @property
    def frames(self) -> int:
        return len(self.poses_2d)


@dataclass(frozen=True)
class Symmetry:
    """Left/right joint lists for flip augmentation of inputs (2D layout) and targets (17 joints)."""

    kps_left: tuple[int, ...]
    kps_right: tuple[int, ...]
    joints_left: tuple[int, ...] = H36M_17.joints_left
    joints_right: tuple[int, ...] = H36M_17.joints_right

    @classmethod
    def of_layout(cls, layout: Layout) -> Symmetry:
        return cls(layout.keypoints_left, layout.keypoints_right)


def camera_frame_poses(positions_world: np.ndarray, subject: str) -> list[np.ndarray]:
    """World poses (T, 32|17, 3), metres -> per camera (T, 17, 3), root-relative except joint 0."""
    positions = positions_world if positions_world.shape[1] == 17 else reduce_to_17(positions_world)
    out = []
    for cam in h36m_cameras(subject):
        pos = world_to_camera(positions.astype(np.float32), cam.orientation, cam.translation)
        pos[:, 1:] -= pos[:, :1]
        out.append(pos.astype(np.float32))
    return out


def build_sequences(positions_3d: Poses3D, positions_2d: Poses2D, metadata: dict, subjects: list[str],
                    model: str, file_3d: str = "3D file", file_2d: str = "2D file") -> list[Sequence]:
    """The sequences of `subjects` that `model` uses ('baseline': all actions; else its own).

    The pair is validated first (every problem reported with file, subject, action and camera);
    2D longer than the 3D is trimmed. Raises ValueError when nothing is selected.
    """
    check_model_name(model)
    missing = [s for s in subjects if s not in positions_3d]
    if missing:
        raise ValueError(f"{file_3d}: no 3D poses for subject(s) {', '.join(missing)} "
                         f"(has {', '.join(positions_3d) or 'none'})")
    d3 = {s: positions_3d[s] for s in subjects}
    d2 = {s: positions_2d[s] for s in subjects if s in positions_2d}
    require(check_pair(d3, d2, metadata, file_3d, file_2d))
    d2 = trim_2d_to_3d(d3, d2)
    sequences = []
    for subject in subjects:
        cameras = h36m_cameras(subject)
        for action in select_sequences(sorted(d3[subject]), model):
            poses_3d = camera_frame_poses(d3[subject][action], subject)
            for cam_index, cam in enumerate(cameras):
                kp = normalize_screen_coordinates(d2[subject][action][cam_index].astype(np.float32),
                                                  cam.res_w, cam.res_h)
                sequences.append(Sequence(subject, action, cam_index, kp.astype(np.float32), poses_3d[cam_index]))
    if not sequences:
        raise ValueError(f"no sequences of model {model!r} in subjects {', '.join(subjects)} of {file_3d}")
    return sequences


def layout_symmetry(metadata: dict) -> tuple[Layout, Symmetry]:
    layout = infer_layout(metadata)
    return layout, Symmetry.of_layout(layout)
