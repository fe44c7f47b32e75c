"""Import of VideoPose3D's distributed 2D detection files (`data_2d_<dataset>_<name>.npz`).

The files (Human3.6M: `cpn_ft_h36m_dbb`, `detectron_ft_h36m`, `detectron_pt_coco`, `sh_ft_h36m`, ...;
HumanEva-I: `detectron_pt_coco`) hold keypoints in one of the known layouts (h36m, coco, mpii, ...),
sometimes with incomplete metadata (the Stacked Hourglass files carry no `layout_name`), for more
subjects than have 3D poses (Human3.6M's unlabeled S2-S4, HumanEva-I's `Unlabeled/...`) and with videos
a few frames longer than the mocap. Importing one checks it against the 3D poses the way VideoPose3D's
loader does, reports every problem by subject, action and camera at once, trims the 2D to the 3D
length, keeps the unlabeled subjects, and completes the metadata.
"""

from __future__ import annotations

import os
from pathlib import Path

from poselift.datasets.description import Dataset
from poselift.datasets.validation import Problem, ValidationError, check_pair, trim_2d_to_3d
from poselift.geometry.layouts import Layout, infer_layout, suggest_layout
from poselift.io.formats import Poses2D, Poses3D, load_2d


def detection_layout(metadata: dict, name: str, file: str) -> Layout:
    """The layout of a detection file: the one its metadata describes; for metadata without layout
    name and symmetry lists, the one its name suggests (as VideoPose3D's `suggest_metadata`)."""
    try:
        return infer_layout(metadata)
    except (ValueError, TypeError) as err:
        if "layout_name" in metadata or "keypoints_symmetry" in metadata:
            raise ValidationError([Problem(file, f"bad metadata: {err}")]) from None
    try:
        found = suggest_layout(name)
    except ValueError as err:
        raise ValidationError([Problem(file, f"metadata names no layout and {err}")]) from None
    if "num_joints" in metadata and metadata["num_joints"] != found.num_joints:
        raise ValidationError([Problem(file, f"bad metadata: {metadata['num_joints']} joints, but the name "
                                             f"{name!r} suggests layout {found.name!r} of {found.num_joints}")])
    return found


def import_detections(path_2d: str | os.PathLike, positions_3d: Poses3D, file_3d: str, name: str,
                      dataset: Dataset) -> tuple[Poses2D, dict, list[str]]:
    """Read, validate and trim a detection file against the 3D poses.

    Returns the 2D keypoints (3D subjects and actions only, cut to the 3D length; subjects without 3D
    kept whole), metadata with `layout_name`, and notes on what was dropped or kept. Raises
    `ValidationError` listing every problem (missing subject or action, 2D shorter than 3D, wrong
    camera or joint count, non-finite values, unknown subject, bad metadata).
    """
    file_2d = str(path_2d)
    positions_2d, metadata = load_2d(path_2d)
    found = detection_layout(metadata, name, file_2d)
    metadata = {**metadata, **found.metadata()}
    problems = check_pair(positions_3d, positions_2d, metadata, file_3d, file_2d, dataset)
    if problems:
        raise ValidationError(problems)
    trimmed = trim_2d_to_3d(positions_3d, positions_2d)
    return trimmed, metadata, _notes(positions_3d, positions_2d, Path(file_2d).name)


def _notes(positions_3d: Poses3D, positions_2d: Poses2D, file: str) -> list[str]:
    notes = []
    unlabeled = sorted(s for s in positions_2d if s not in positions_3d)
    if unlabeled:
        notes.append(f"{file}: kept subject(s) without 3D poses (unlabeled): {', '.join(unlabeled)}")
    for subject in sorted(set(positions_2d) & set(positions_3d)):
        extra = sorted(set(positions_2d[subject]) - set(positions_3d[subject]))
        if extra:
            notes.append(f"{file}: subject {subject}: dropped action(s) without 3D poses: {', '.join(extra)}")
        longer = sum(1 for action, cams in positions_2d[subject].items() if action in positions_3d[subject]
                     for kp in cams if len(kp) > len(positions_3d[subject][action]))
        if longer:
            notes.append(f"{file}: subject {subject}: {longer} camera sequence(s) longer than the 3D, trimmed")
    return notes
