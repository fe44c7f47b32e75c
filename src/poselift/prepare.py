"""Human3.6M 3D poses from their raw sources, and the ground-truth 2D keypoints projected from them.

What VideoPose3D's `prepare_data_h36m.py` does, with errors that name the file at fault:
- a raw tree (Human3.6M's `<S>/MyPoseFeatures/D3_Positions/*.cdf` or Martinez et al.'s
  `<S>/MyPoses/3D_positions/*.h5`) must hold 30 sequences per subject (VideoPose3D asserts 30);
- raw names are renamed (`TakingPhoto` -> `Photo`, `WalkingDog` -> `WalkDog`), S11 `Directions` is
  dropped (its video is corrupted), millimetres become metres, float32;
- an existing VideoPose3D `data_3d_h36m.npz` is validated and brought to the same form;
- the ground-truth 2D keypoints are the 17-joint poses projected through each subject's four real
  cameras (world -> camera -> distorted projection -> pixels), float32.

Every problem of a tree is collected before raising, so one run lists all of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from poselift.actions import DROPPED, SUBJECTS, canonical_action_name, parse_action
from poselift.cameras import h36m_cameras, project_world_to_pixels
from poselift.formats import Poses2D, Poses3D
from poselift.h36m_raw import CDF_SUBDIR, H5_SUBDIR, RawDataError, read_pose_cdf, read_pose_h5
from poselift.skeleton import LAYOUTS, reduce_to_17
from poselift.validation import Problem, ValidationError, check_3d

SEQUENCES_PER_SUBJECT = 30  # VideoPose3D asserts this many files per subject in both raw routes

# Raw tree formats: the folder under each subject, the file suffix and the reader (-> (N, 32, 3) mm).
RAW_FORMATS: dict[str, tuple[Path, str, Callable[[str | os.PathLike], np.ndarray]]] = {
    "cdf": (CDF_SUBDIR, ".cdf", read_pose_cdf),
    "h5": (H5_SUBDIR, ".h5", read_pose_h5),
}

# The 2D layout of the ground truth: VideoPose3D's 17 joints, stored with `layout_name` (VideoPose3D's
# own gt file lacks it, which breaks its `--render`).
GT_LAYOUT = LAYOUTS["h36m"]

_NO_3D = f"Human3.6M has 3D poses (and camera extrinsics) only for {', '.join(SUBJECTS)}"


def _raise(problems: list[str]) -> None:
    if problems:
        raise RawDataError(f"{len(problems)} problem(s) in the raw tree:\n" + "\n".join(f"  - {p}" for p in problems))


def _subject_order(subject: str) -> tuple[int, str]:
    return (SUBJECTS.index(subject) if subject in SUBJECTS else len(SUBJECTS), subject)


def list_raw_tree(root: str | os.PathLike, fmt: str, subjects: list[str]) -> dict[str, dict[str, Path]]:
    """The sequence files of each subject: {subject: {canonical action name: file}}, names sorted.

    Checks, for every subject before raising: its folder exists, it holds exactly 30 files, each
    file name is a Human3.6M action (after renames) and no two files map to the same name. Hidden
    files (leftovers of interrupted atomic writes) are ignored.
    """
    if fmt not in RAW_FORMATS:
        raise ValueError(f"unknown raw format {fmt!r}; known: {', '.join(RAW_FORMATS)}")
    subdir, suffix, _ = RAW_FORMATS[fmt]
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"raw {fmt} tree not found: {root} is not a directory")
    problems = [f"subject {s}: {_NO_3D}" for s in subjects if s not in SUBJECTS]
    tree: dict[str, dict[str, Path]] = {}
    for subject in [s for s in subjects if s in SUBJECTS]:
        folder = root / subject / subdir
        if not folder.is_dir():
            problems.append(f"{folder}: missing (subject {subject} is not in the tree)")
            continue
        files = sorted(f for f in folder.iterdir() if f.suffix == suffix and not f.name.startswith("."))
        if len(files) != SEQUENCES_PER_SUBJECT:
            problems.append(f"{folder}: {len(files)} {suffix} files, expected {SEQUENCES_PER_SUBJECT} "
                            f"(subject {subject})")
        actions: dict[str, Path] = {}
        for f in files:
            name = canonical_action_name(f.stem)
            if parse_action(name) is None:
                problems.append(f"{f}: {f.stem!r} is not a Human3.6M action name (subject {subject})")
            elif name in actions:
                problems.append(f"{f}: same action {name!r} as {actions[name].name} after renaming "
                                f"(subject {subject})")
            else:
                actions[name] = f
        tree[subject] = dict(sorted(actions.items()))
    _raise(problems)
    return tree


def read_raw_tree(root: str | os.PathLike, fmt: str, subjects: list[str],
                  progress: Callable[[str], None] | None = None) -> Poses3D:
    """3D poses of a raw tree: {subject: {action: float32 (N, 32, 3), metres, world frame}}.

    `fmt` is `cdf` (Human3.6M's D3_Positions) or `h5` (Martinez et al.). S11 `Directions` is left out.
    `progress` receives one line per subject read.
    """
    tree = list_raw_tree(root, fmt, subjects)
    read = RAW_FORMATS[fmt][2]
    problems: list[str] = []
    positions_3d: Poses3D = {}
    for subject in sorted(tree, key=_subject_order):
        positions_3d[subject] = {}
        for action, path in tree[subject].items():
            if (subject, action) in DROPPED:
                continue
            try:
                poses_mm = read(path)  # (N, 32, 3), millimetres, world frame
            except (RawDataError, OSError) as err:
                problems.append(str(err) if str(path) in str(err) else f"{path}: {err}")
                continue
            if not np.isfinite(poses_mm).all():
                frames = np.unique(np.nonzero(~np.isfinite(poses_mm))[0])
                problems.append(f"{path}: non-finite values (NaN/inf) in {len(frames)} frame(s), "
                                f"first at frame {int(frames[0])}")
                continue
            positions_3d[subject][action] = poses_mm.astype(np.float32) / np.float32(1000)  # (N, 32, 3), metres
        if progress is not None:
            frames = sum(len(p) for p in positions_3d[subject].values())
            progress(f"{subject}: {len(positions_3d[subject])} sequences, {frames} frames")
    _raise(problems)
    return positions_3d


def normalise_3d(positions_3d: Poses3D, file: str, subjects: list[str]) -> Poses3D:
    """A VideoPose3D-style 3D dict brought to the form `prepare` writes, or ValidationError.

    Keeps `subjects` (each must be present), validates (known subjects, finite (N, 32, 3) arrays),
    renames raw action names, drops S11 `Directions`, converts to float32. Values are taken to be in
    metres already, as in every `data_3d_h36m.npz`.
    """
    problems = [Problem(file, _NO_3D, s) for s in subjects if s not in SUBJECTS]
    problems += [Problem(file, "subject missing", s) for s in subjects if s in SUBJECTS and s not in positions_3d]
    selected = {s: positions_3d[s] for s in subjects if s in positions_3d}
    problems += check_3d(selected, file)
    renamed = {s: {a: canonical_action_name(a) for a in sorted(actions)} for s, actions in selected.items()}
    for subject, names in renamed.items():
        seen: dict[str, str] = {}
        for action, name in names.items():
            if name in seen:
                problems.append(Problem(file, f"same action as {seen[name]!r} after renaming", subject, action))
            seen[name] = action
    if problems:
        raise ValidationError(problems)
    return {
        subject: dict(sorted((name, np.asarray(selected[subject][action], dtype=np.float32))  # (N, 32, 3), metres
                             for action, name in renamed[subject].items() if (subject, name) not in DROPPED))
        for subject in sorted(selected, key=_subject_order)
    }


def ground_truth_2d(positions_3d: Poses3D) -> Poses2D:
    """{subject: {action: [4 x float32 (N, 17, 2) pixels]}}: the 17-joint poses seen by each camera."""
    unknown = sorted(set(positions_3d) - set(SUBJECTS))
    if unknown:
        raise ValueError(f"cannot project subject(s) {', '.join(unknown)}: {_NO_3D}")
    positions_2d: Poses2D = {}
    for subject, actions in positions_3d.items():
        cameras = h36m_cameras(subject)
        positions_2d[subject] = {
            action: [project_world_to_pixels(reduce_to_17(poses), cam) for cam in cameras]  # (N, 17, 2) px
            for action, poses in actions.items()
        }
    return positions_2d


def gt_metadata() -> dict:
    """Metadata of the ground-truth 2D file (h36m layout, with `layout_name`)."""
    return GT_LAYOUT.metadata()
