"""Checks of a data set's 3D/2D pair of VideoPose3D npz files, the way VideoPose3D's loader checks them and more.

VideoPose3D's `run.py` asserts that every (subject, action) of the 3D file has 2D, that each camera's
2D is at least as long as the 3D (then trims it), and that camera counts agree. Here every problem
is collected and reported with the file, subject, action and camera it concerns, so a user fixes
them all at once instead of meeting one assertion at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from poselift.datasets.description import Dataset
from poselift.geometry.layouts import infer_layout
from poselift.io.formats import Poses2D, Poses3D


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    subject: str | None = None
    action: str | None = None
    camera: int | None = None  # index in the file's camera lists
    camera_id: str | None = None  # the data set's name of that camera

    def __str__(self) -> str:
        where = [self.file]
        if self.subject is not None:
            where.append(f"subject {self.subject}")
        if self.action is not None:
            where.append(f"action {self.action!r}")
        if self.camera is not None:
            where.append(f"camera {self.camera} ({self.camera_id or '?'})")
        return f"{', '.join(where)}: {self.message}"


class ValidationError(ValueError):
    """Raised with every problem found, one per line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s):\n{shown}{more}")


def _array_problems(arr: object, ndim_last: tuple[int, int], file: str, subject: str, action: str,
                    camera: int | None, what: str, dataset: Dataset) -> list[Problem]:
    where = dict(file=file, subject=subject, action=action, camera=camera,
                 camera_id=None if camera is None else dataset.camera_label(camera))
    if not isinstance(arr, np.ndarray):
        return [Problem(message=f"{what} is a {type(arr).__name__}, expected an array", **where)]
    joints, dims = ndim_last
    if arr.ndim != 3 or arr.shape[2] != dims or (joints > 0 and arr.shape[1] != joints):
        expected = f"(N, {joints if joints > 0 else 'J'}, {dims})"
        return [Problem(message=f"{what} has shape {arr.shape}, expected {expected}", **where)]
    if arr.dtype.kind != "f":
        return [Problem(message=f"{what} has dtype {arr.dtype}, expected floating point", **where)]
    if arr.shape[0] == 0:
        return [Problem(message=f"{what} has no frames", **where)]
    bad = ~np.isfinite(arr)
    if bad.any():
        frames = np.unique(np.nonzero(bad)[0])
        return [Problem(message=f"{what} has {int(bad.sum())} non-finite values (NaN/inf) in {len(frames)} "
                                f"frame(s), first at frame {int(frames[0])}", **where)]
    return []


def _unknown_subject(file: str, subject: str, dataset: Dataset) -> Problem:
    known = ", ".join(sorted(dataset.known_subjects))
    return Problem(file, f"unknown subject (no {dataset.title} camera calibration); known: {known}", subject)


def check_3d(positions_3d: Poses3D, file: str, dataset: Dataset) -> list[Problem]:
    """Problems of a 3D dict on its own: known subjects, (N, J, 3) finite float arrays with the joints of
    the data set's 3D skeleton."""
    problems = []
    for subject, actions in positions_3d.items():
        if subject not in dataset.known_subjects:
            problems.append(_unknown_subject(file, subject, dataset))
            continue
        if not actions:
            problems.append(Problem(file, "subject has no actions", subject))
        for action, arr in actions.items():
            problems += _array_problems(arr, (dataset.skeleton.num_joints, 3), file, subject, action, None,
                                        "3D poses", dataset)
    return problems


def check_2d(positions_2d: Poses2D, metadata: dict, file: str, dataset: Dataset) -> list[Problem]:
    """Problems of a 2D dict on its own: metadata, camera count, joint count, finite values."""
    try:
        num_joints = infer_layout(metadata).num_joints
    except (ValueError, TypeError) as err:
        return [Problem(file, f"bad metadata: {err}")]
    cameras = len(dataset.camera_ids)
    problems = []
    for subject, actions in positions_2d.items():
        if subject not in dataset.known_subjects:
            problems.append(_unknown_subject(file, subject, dataset))
            continue
        for action, cams in actions.items():
            if not isinstance(cams, (list, tuple)) or len(cams) != cameras:
                count = len(cams) if isinstance(cams, (list, tuple)) else type(cams).__name__
                problems.append(Problem(file, f"expected a list of {cameras} cameras, got {count}",
                                        subject, action))
                continue
            for cam_index, arr in enumerate(cams):
                problems += _array_problems(arr, (num_joints, 2), file, subject, action, cam_index,
                                            f"2D keypoints ({metadata.get('layout_name', 'layout')} layout)", dataset)
    return problems


def check_pair(positions_3d: Poses3D, positions_2d: Poses2D, metadata: dict,
               file_3d: str, file_2d: str, dataset: Dataset) -> list[Problem]:
    """Every problem of a 3D/2D pair: each file alone, then their agreement.

    Agreement: every 3D (subject, action) has 2D, and each camera's 2D has at least as many frames as
    the 3D (longer 2D is trimmed on load, as VideoPose3D does). Extra 2D subjects (the unlabeled S2-S4
    of the detection files) are allowed.
    """
    problems = check_3d(positions_3d, file_3d, dataset) + check_2d(positions_2d, metadata, file_2d, dataset)
    for subject, actions in positions_3d.items():
        if subject not in positions_2d:
            problems.append(Problem(file_2d, f"subject missing: {file_3d} has 3D poses for it", subject))
            continue
        for action, arr in actions.items():
            cams = positions_2d[subject].get(action)
            if cams is None:
                problems.append(Problem(file_2d, f"action missing: {file_3d} has 3D poses for it", subject, action))
                continue
            if not isinstance(cams, (list, tuple)) or not isinstance(arr, np.ndarray):
                continue  # already reported
            for cam_index, kp in enumerate(cams):
                if isinstance(kp, np.ndarray) and kp.ndim >= 1 and kp.shape[0] < arr.shape[0]:
                    problems.append(Problem(file_2d, f"2D has {kp.shape[0]} frames, fewer than the "
                                                     f"{arr.shape[0]} of the 3D poses", subject, action, cam_index,
                                            dataset.camera_label(cam_index)))
    return problems


def require(problems: list[Problem]) -> None:
    if problems:
        raise ValidationError(problems)


def trim_2d_to_3d(positions_3d: Poses3D, positions_2d: Poses2D) -> Poses2D:
    """2D restricted to the 3D (subject, action)s and cut to the 3D length (VideoPose3D: "some videos
    in H3.6M contain extra frames"). Subjects without 3D (unlabeled) are kept as they are."""
    out: Poses2D = {}
    for subject, actions in positions_2d.items():
        if subject not in positions_3d:
            out[subject] = actions
            continue
        out[subject] = {action: [c[: len(positions_3d[subject][action])] for c in cams]
                        for action, cams in actions.items() if action in positions_3d[subject]}
    return out
