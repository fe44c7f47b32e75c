"""A data set's 3D poses in the form `prepare` writes, and the ground-truth 2D keypoints projected from them.

What VideoPose3D's data scripts do, with errors that name the file at fault:
- an existing VideoPose3D `data_3d_<dataset>.npz` is validated against the data set's description
  (known subjects, its skeleton, finite values), raw action names are renamed, the sequences VideoPose3D
  leaves out are dropped, float32;
- a data set whose camera intrinsics are not published (HumanEva-I) brings its own ground-truth 2D file,
  which is checked against the 3D poses and cut to them;
- otherwise the ground-truth 2D keypoints are the lifted joints projected through each subject's calibrated cameras
  (world -> camera -> distorted projection -> pixels), float32, with `layout_name` in the metadata
  (VideoPose3D's own gt file lacks it, which breaks its `--render`).

Raw trees (Human3.6M's CDF and h5 files) are read by the data set's own module (`Dataset.read_raw`).
"""

from __future__ import annotations

import numpy as np

from poselift.datasets.description import Dataset
from poselift.datasets.validation import Problem, ValidationError, check_3d, check_pair, require, trim_2d_to_3d
from poselift.geometry.cameras import project_world_to_pixels
from poselift.geometry.layouts import infer_layout
from poselift.io.formats import Poses2D, Poses3D


def _subject_order(dataset: Dataset, subject: str) -> tuple[int, str]:
    known = dataset.subjects
    return (known.index(subject) if subject in known else len(known), subject)


def _no_3d(dataset: Dataset) -> str:
    return f"{dataset.title} has 3D poses (and camera extrinsics) only for {', '.join(dataset.subjects)}"


def normalise_3d(positions_3d: Poses3D, file: str, subjects: list[str], dataset: Dataset) -> Poses3D:
    """A VideoPose3D-style 3D dict brought to the form `prepare` writes, or ValidationError.

    Keeps `subjects` (each must be present), validates (known subjects, finite (N, J, 3) arrays of the
    data set's skeleton), renames raw action names, drops the sequences the data set leaves out,
    converts to float32. Values are taken to be in metres already, as in every VideoPose3D 3D file.
    """
    problems = [Problem(file, _no_3d(dataset), s) for s in subjects if s not in dataset.subjects]
    problems += [Problem(file, "subject missing", s) for s in subjects
                 if s in dataset.subjects and s not in positions_3d]
    selected = {s: positions_3d[s] for s in subjects if s in positions_3d}
    problems += check_3d(selected, file, dataset)
    renamed = {s: {a: dataset.rename(a) for a in sorted(actions)} for s, actions in selected.items()}
    for subject, names in renamed.items():
        seen: dict[str, str] = {}
        for action, name in names.items():
            if name in seen:
                problems.append(Problem(file, f"same action as {seen[name]!r} after renaming", subject, action))
            seen[name] = action
    if problems:
        raise ValidationError(problems)
    return {
        subject: dict(sorted((name, np.asarray(selected[subject][action], dtype=np.float32))  # (N, J, 3), metres
                             for action, name in renamed[subject].items() if not dataset.is_dropped(subject, name)))
        for subject in sorted(selected, key=lambda s: _subject_order(dataset, s))
    }


def ground_truth_2d(positions_3d: Poses3D, dataset: Dataset) -> Poses2D:
    """{subject: {action: [per camera float32 (N, J', 2) pixels]}}: the lifted joints seen by each camera."""
    unknown = sorted(set(positions_3d) - set(dataset.subjects))
    if unknown:
        raise ValueError(f"cannot project subject(s) {', '.join(unknown)}: {_no_3d(dataset)}")
    if not dataset.has_intrinsics:
        raise ValueError(f"cannot project {dataset.title}'s 3D poses: its camera intrinsics are not published; "
                         f"read its ground-truth 2D file instead")
    positions_2d: Poses2D = {}
    for subject, actions in positions_3d.items():
        cameras = dataset.cameras(subject)
        positions_2d[subject] = {
            action: [project_world_to_pixels(dataset.lift_joints(poses), cam) for cam in cameras]  # (N, J', 2) px
            for action, poses in actions.items()
        }
    return positions_2d


def normalise_gt_2d(positions_2d: Poses2D, metadata: dict, positions_3d: Poses3D, file_3d: str, file_2d: str,
                    dataset: Dataset) -> Poses2D:
    """A data set's own ground-truth 2D dict, checked against the 3D poses (every problem at once), in the
    data set's layout, cut to the 3D subjects, sequences and lengths."""
    require(check_pair(positions_3d, positions_2d, metadata, file_3d, file_2d, dataset))
    layout = infer_layout(metadata)
    if layout.name != dataset.layout.name:
        raise ValidationError([Problem(file_2d, f"ground truth in layout {layout.name!r}, expected "
                                                f"{dataset.layout.name!r} ({dataset.title})")])
    return {s: a for s, a in trim_2d_to_3d(positions_3d, positions_2d).items() if s in positions_3d}
