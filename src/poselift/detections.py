"""Import of VideoPose3D's distributed 2D detection files (`data_2d_h36m_<name>.npz`).

The files (`cpn_ft_h36m_dbb`, `detectron_ft_h36m`, `detectron_pt_coco`, `sh_ft_h36m`, ...) hold
keypoints in one of three layouts (h36m, coco, mpii), sometimes with incomplete metadata (the
Stacked Hourglass files carry no `layout_name`), for more subjects than have 3D poses (the unlabeled
S2-S4) and with videos a few frames longer than the mocap. Importing one checks it against the 3D
poses the way VideoPose3D's loader does, reports every problem by subject, action and camera at once,
trims the 2D to the 3D length, keeps the unlabeled subjects, and completes the metadata.

For the error report, keypoints of the other layouts are compared with the h36m ground truth only at
joints with a counterpart (`COUNTERPARTS`). The joint definitions differ (a COCO hip is not the mocap
hip centre, an MPII pelvis is not exactly the h36m root), so those errors include a definition offset.
"""

from __future__ import annotations

import os
from pathlib import Path

from poselift.formats import Poses2D, Poses3D, load_2d
from poselift.skeleton import Layout, infer_layout, suggest_layout
from poselift.validation import Problem, ValidationError, check_pair, trim_2d_to_3d

# layout -> {h36m joint name: index of the corresponding keypoint in that layout}.
COUNTERPARTS = {
    # COCO: 0 nose, 1/2 l/r eye, 3/4 l/r ear, 5/6 l/r shoulder, 7/8 elbow, 9/10 wrist, 11/12 hip,
    # 13/14 knee, 15/16 ankle.
    "coco": {"LShoulder": 5, "RShoulder": 6, "LElbow": 7, "RElbow": 8, "LWrist": 9, "RWrist": 10,
             "LHip": 11, "RHip": 12, "LKnee": 13, "RKnee": 14, "LFoot": 15, "RFoot": 16},
    # MPII: 0/1/2 r ankle/knee/hip, 3/4/5 l hip/knee/ankle, 6 pelvis, 7 thorax, 8 upper neck, 9 head
    # top, 10/11/12 r wrist/elbow/shoulder, 13/14/15 l shoulder/elbow/wrist.
    "mpii": {"RFoot": 0, "RKnee": 1, "RHip": 2, "LHip": 3, "LKnee": 4, "LFoot": 5, "Hip": 6, "Thorax": 7,
             "Neck/Nose": 8, "Head": 9, "RWrist": 10, "RElbow": 11, "RShoulder": 12, "LShoulder": 13,
             "LElbow": 14, "LWrist": 15},
}


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


def import_detections(path_2d: str | os.PathLike, positions_3d: Poses3D, file_3d: str,
                      name: str) -> tuple[Poses2D, dict, list[str]]:
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
    problems = check_pair(positions_3d, positions_2d, metadata, file_3d, file_2d)
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
