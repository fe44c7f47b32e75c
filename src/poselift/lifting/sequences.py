"""From VideoPose3D's npz dicts to the per-camera sequences a model trains and is tested on.

As VideoPose3D's `run.py` does: 3D poses are reduced to the joints the model lifts to, moved into
each camera's frame, made root-relative (joint 0 keeps the global trajectory, which losses and
metrics zero), and 2D keypoints are normalised to screen coordinates of that camera. A sequence is
one (subject, action, camera). An unlabelled sequence (semi-supervised training) has 2D keypoints and
its camera's intrinsics, and no 3D poses: they are never read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Sequence as Pair
from dataclasses import dataclass

import numpy as np

from poselift.datasets.description import Dataset
from poselift.datasets.validation import Problem, ValidationError, check_pair, require, trim_2d_to_3d
from poselift.geometry.cameras import normalize_screen_coordinates, world_to_camera
from poselift.geometry.layouts import Layout, infer_layout
from poselift.io.formats import Poses2D, Poses3D


@dataclass(frozen=True)
class Sequence:
    subject: str
    action: str  # full name, e.g. "Sitting 1"
    base_action: str  # the evaluation group, e.g. "Sitting"
    camera: int  # index into the data set's camera ids
    camera_id: str  # the data set's name of that camera
    poses_2d: np.ndarray  # (T, J_in, 2), normalised screen coordinates, float32
    # (T, J_out, 3), metres, camera frame; joints 1.. relative to joint 0, joint 0 absolute; None: unlabelled
    poses_3d: np.ndarray | None
    intrinsic: np.ndarray | None = None  # (9,): f, c (normalised screen units), k1..k3, p1, p2; None: unknown

    @property
    def frames(self) -> int:
        return len(self.poses_2d)


@dataclass(frozen=True)
class Symmetry:
    """Left/right joint lists for flip augmentation of inputs (2D layout) and targets (lifted joints)."""

    kps_left: tuple[int, ...]
    kps_right: tuple[int, ...]
    joints_left: tuple[int, ...]
    joints_right: tuple[int, ...]

    @classmethod
    def of(cls, layout: Layout, dataset: Dataset) -> Symmetry:
        return cls(layout.keypoints_left, layout.keypoints_right, dataset.lifted_skeleton.joints_left,
                   dataset.lifted_skeleton.joints_right)


def camera_frame_poses(positions_world: np.ndarray, subject: str, dataset: Dataset) -> list[np.ndarray]:
    """World poses (T, J, 3), metres -> per camera (T, J', 3) of the lifted joints, root-relative except joint 0."""
    positions = dataset.lift_joints(positions_world)
    out = []
    for cam in dataset.cameras(subject):
        pos = world_to_camera(positions.astype(np.float32), cam.orientation, cam.translation)
        pos[:, 1:] -= pos[:, :1]
        out.append(pos.astype(np.float32))
    return out


def require_complete_split(positions_3d: Poses3D, subjects: list[str], actions: Iterable[str], dataset: Dataset,
                           file: str, expected: Iterable[Pair[str]] = ()) -> None:
    """ValueError if one of `subjects` (an experiment's training and test subjects) has no sequence of one
    of `actions` that another of them has, other than the `expected` (subject, action) pairs: a split that
    would silently lose part of an action, in training or in the test."""
    missing = [s for s in subjects if s not in positions_3d]
    if missing:
        raise ValueError(f"{file}: no 3D poses for subject(s) {', '.join(missing)} "
                         f"(has {', '.join(positions_3d) or 'none'})")
    expected = {tuple(pair) for pair in expected}
    have = {s: {dataset.parse_action(name) for name in positions_3d[s]} for s in subjects}
    present = [a for a in actions if any(a in found for found in have.values())]
    absent = [(s, a) for s in subjects for a in present if a not in have[s] and (s, a) not in expected]
    if absent:
        raise ValueError(f"{file}: " + "; ".join(f"subject {s} has no sequence of action {a}" for s, a in absent)
                         + f" (which other subjects of {', '.join(subjects)} have); list an expected gap in "
                         f"data.expected_absent")


def build_sequences(positions_3d: Poses3D, positions_2d: Poses2D, metadata: dict, subjects: list[str],
                    actions: Iterable[str], dataset: Dataset, file_3d: str = "3D file",
                    file_2d: str = "2D file") -> list[Sequence]:
    """The sequences of `subjects` whose base action is one of `actions`, every camera.

    The pair is validated first (every problem reported with file, subject, action and camera);
    2D longer than the 3D is trimmed. Raises ValueError when nothing is selected.
    """
    actions = tuple(actions)
    missing = [s for s in subjects if s not in positions_3d]
    if missing:
        raise ValueError(f"{file_3d}: no 3D poses for subject(s) {', '.join(missing)} "
                         f"(has {', '.join(positions_3d) or 'none'})")
    d3 = {s: positions_3d[s] for s in subjects}
    d2 = {s: positions_2d[s] for s in subjects if s in positions_2d}
    require(check_pair(d3, d2, metadata, file_3d, file_2d, dataset))
    d2 = trim_2d_to_3d(d3, d2)
    sequences = []
    for subject in subjects:
        cameras = dataset.cameras(subject)
        for action in dataset.select(sorted(d3[subject]), actions):
            poses_3d = camera_frame_poses(d3[subject][action], subject, dataset)
            for cam_index, cam in enumerate(cameras):
                kp = normalize_screen_coordinates(d2[subject][action][cam_index].astype(np.float32),
                                                  cam.res_w, cam.res_h)
                sequences.append(Sequence(subject, action, dataset.base_action(action), cam_index, cam.id,
                                          kp.astype(np.float32), poses_3d[cam_index], cam.intrinsic))
    if not sequences:
        raise ValueError(f"no sequences of action(s) {', '.join(actions)} in subjects {', '.join(subjects)} "
                         f"of {file_3d}")
    return sequences


def build_unlabelled_sequences(positions_2d: Poses2D, subjects: list[str], actions: Iterable[str], dataset: Dataset,
                               num_joints: int, file_2d: str = "2D file") -> list[Sequence]:
    """The unlabelled sequences of semi-supervised training: the 2D keypoints (`num_joints` per frame, the
    file's layout) of `subjects` whose base action is one of `actions`, every camera, with the camera's
    intrinsics (the back-projection needs them) and no 3D poses. Every 2D frame is used (VideoPose3D trims
    an unlabelled take's 2D to its mocap length, which would read the 3D). ValueError naming the file,
    subject, action and camera of what is wrong."""
    actions = tuple(actions)
    problems, sequences = [], []
    for subject in subjects:
        if subject not in positions_2d:
            problems.append(f"{file_2d}: no 2D keypoints of unlabelled subject {subject} "
                            f"(has {', '.join(positions_2d) or 'none'})")
            continue
        cameras = dataset.cameras(subject)
        unknown = [cam.id for cam in cameras if not cam.has_intrinsics]
        if unknown:
            problems.append(f"unlabelled subject {subject}: camera(s) {', '.join(unknown)} of {dataset.title} have "
                            f"no intrinsics, which the back-projection of its 2D needs")
            continue
        for action in dataset.select(sorted(positions_2d[subject]), actions):
            views = positions_2d[subject][action]
            if len(views) != len(cameras):
                problems.append(f"{file_2d}: subject {subject}, action {action}: {len(views)} camera views, "
                                f"{dataset.title} has {len(cameras)}")
                continue
            for cam_index, (cam, kp) in enumerate(zip(cameras, views, strict=True)):
                finite = bool(np.isfinite(kp).all())
                if kp.ndim != 3 or kp.shape[1:] != (num_joints, 2) or len(kp) == 0 or not finite:
                    problems.append(f"{file_2d}: subject {subject}, action {action}, camera {cam.id}: 2D of shape "
                                    f"{kp.shape}{'' if finite else ' with non-finite values'}, expected "
                                    f"(T > 0, {num_joints}, 2) finite")
                    continue
                screen = normalize_screen_coordinates(kp.astype(np.float32), cam.res_w, cam.res_h)
                sequences.append(Sequence(subject, action, dataset.base_action(action), cam_index, cam.id,
                                          screen.astype(np.float32), None, cam.intrinsic))
    if problems:
        raise ValueError("unlabelled 2D keypoints:\n" + "\n".join(f"  - {p}" for p in problems))
    if not sequences:
        raise ValueError(f"{file_2d}: no sequences of action(s) {', '.join(actions)} in unlabelled subjects "
                         f"{', '.join(subjects)}")
    return sequences


def layout_symmetry(metadata: dict, dataset: Dataset, file: str = "2D file") -> tuple[Layout, Symmetry]:
    """The 2D layout a file's metadata describes and the flip lists; ValidationError naming the file."""
    try:
        layout = infer_layout(metadata)
    except (ValueError, TypeError) as err:
        raise ValidationError([Problem(file, f"bad metadata: {err}")]) from None
    return layout, Symmetry.of(layout, dataset)


def evaluation_sequences(settings: Mapping, positions_3d: Poses3D, positions_2d: Poses2D, metadata: dict,
                         actions: tuple[str, ...], dataset: Dataset, file_3d: str, file_2d: str,
                         expected_absent: Iterable[Pair[str]] = ()) -> list[Sequence]:
    """The test subjects' sequences of `actions`, every camera, once the experiment's split (`settings`) is
    checked to be complete (`require_complete_split`, `expected_absent` pairs allowed)."""
    # the training subjects as far as the file has them (a VideoPose3D checkpoint's may not be there)
    split = [s for s in settings["subjects_train"] if s in positions_3d] + list(settings["subjects_test"])
    require_complete_split(positions_3d, split, dataset.study_actions, dataset, file_3d, expected_absent)
    return build_sequences(positions_3d, positions_2d, metadata, settings["subjects_test"], actions, dataset,
                           file_3d, file_2d)
