"""Human3.6M's raw pose files: the D3_Positions CDF files and Martinez et al.'s h5 files.

- `<root>/<S>/MyPoseFeatures/D3_Positions/<Action>[ n].cdf`: variable `Pose` of shape (1, N, 96),
  32 joints x (x, y, z) in millimetres, world frame, 50 Hz; raw action names (`TakingPhoto`,
  `WalkingDog`). VideoPose3D reads them with `cdflib.CDF(f)['Pose'].reshape(-1, 32, 3)`.
- `<root>/<S>/MyPoses/3D_positions/<Action>[ n].h5`: dataset `3D_positions` of shape (96, N), the
  same values (Martinez et al.'s `h36m.zip`).

A raw tree must hold 30 sequences per subject (VideoPose3D asserts 30); reading one renames the raw
names (`TakingPhoto` -> `Photo`, `WalkingDog` -> `WalkDog`), drops S11 `Directions` (its video is
corrupted), converts millimetres to metres and float32, and collects every problem before raising.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import cdflib
import h5py
import numpy as np
from cdflib.cdfwrite import CDF as CDFWriter

from poselift.datasets.description import sequence_pattern
from poselift.datasets.h36m.names import ACTIONS, DROPPED, SUBJECTS, canonical_action_name
from poselift.io.atomic import atomic_path
from poselift.io.formats import Poses3D

NUM_JOINTS_RAW = 32
CDF_SUBDIR = Path("MyPoseFeatures") / "D3_Positions"
H5_SUBDIR = Path("MyPoses") / "3D_positions"

class RawDataError(ValueError):
    """A raw Human3.6M file or tree that cannot be read as such."""


def _as_poses(poses_mm: np.ndarray, path: Path) -> np.ndarray:
    poses = np.asarray(poses_mm)
    if poses.ndim == 2 and poses.shape[1] == NUM_JOINTS_RAW * 3:
        poses = poses.reshape(-1, NUM_JOINTS_RAW, 3)
    if poses.ndim != 3 or poses.shape[1:] != (NUM_JOINTS_RAW, 3) or poses.shape[0] == 0:
        raise RawDataError(f"{path}: poses of shape {poses.shape}, expected (N, 32, 3) or (N, 96) with N > 0")
    return poses


def write_pose_cdf(path: str | os.PathLike, poses_mm: np.ndarray) -> None:
    """Write poses (N, 32, 3), millimetres, as a Human3.6M D3_Positions CDF (`Pose`, (1, N, 96), float32)."""
    path = Path(path)
    poses = _as_poses(poses_mm, path).astype(np.float32)
    n = poses.shape[0]
    with atomic_path(path) as tmp:
        tmp.unlink()  # cdflib refuses to write over an existing file
        writer = CDFWriter(str(tmp), cdf_spec={"Majority": "Row_major", "Encoding": 6}, delete=True)
        try:
            # Uncompressed: cdflib's gzip header stamps the write time, which would make identical poses
            # give different bytes (and DVC hashes).
            writer.write_var({"Variable": "Pose", "Data_Type": 21, "Num_Elements": 1, "Rec_Vary": True, "Compress": 0,
                              "Dim_Sizes": [n, NUM_JOINTS_RAW * 3]},
                             var_attrs={}, var_data=poses.reshape(1, n, NUM_JOINTS_RAW * 3))
        finally:
            writer.close()


def read_pose_cdf(path: str | os.PathLike) -> np.ndarray:
    """Read the `Pose` variable of a D3_Positions CDF as float32 (N, 32, 3), millimetres."""
    path = Path(path)
    try:
        cdf = cdflib.CDF(str(path))
        variables = cdf.cdf_info().zVariables + cdf.cdf_info().rVariables
        if "Pose" not in variables:
            raise RawDataError(f"{path}: no variable 'Pose' (variables: {', '.join(variables) or 'none'})")
        data = np.asarray(cdf.varget("Pose"))
    except RawDataError:
        raise
    except FileNotFoundError:
        raise
    except Exception as err:  # cdflib raises bare OSError/ValueError/struct.error on damaged files
        raise RawDataError(f"{path}: not a readable CDF file ({type(err).__name__}: {err})") from err
    if data.size % (NUM_JOINTS_RAW * 3) or data.size == 0 or data.shape[-1] != NUM_JOINTS_RAW * 3:
        raise RawDataError(f"{path}: variable 'Pose' has shape {data.shape}, expected (1, N, 96)")
    return data.reshape(-1, NUM_JOINTS_RAW, 3).astype(np.float32)


def write_pose_h5(path: str | os.PathLike, poses_mm: np.ndarray) -> None:
    """Write poses (N, 32, 3), millimetres, as Martinez et al.'s h5 (`3D_positions`, (96, N))."""
    path = Path(path)
    poses = _as_poses(poses_mm, path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset("3D_positions", data=poses.reshape(-1, NUM_JOINTS_RAW * 3).T.astype(np.float64))


def read_pose_h5(path: str | os.PathLike) -> np.ndarray:
    """Read Martinez et al.'s `3D_positions` (96, N) as float32 (N, 32, 3), millimetres."""
    path = Path(path)
    try:
        with h5py.File(path, "r") as f:
            if "3D_positions" not in f:
                raise RawDataError(f"{path}: no dataset '3D_positions' (keys: {', '.join(f.keys()) or 'none'})")
            data = np.asarray(f["3D_positions"][()])  # h5py 3: `[()]`, not the removed `.value`
    except RawDataError:
        raise
    except FileNotFoundError:
        raise
    except OSError as err:
        raise RawDataError(f"{path}: not a readable HDF5 file ({err})") from err
    if data.ndim != 2 or data.shape[0] != NUM_JOINTS_RAW * 3 or data.shape[1] == 0:
        raise RawDataError(f"{path}: dataset '3D_positions' has shape {data.shape}, expected (96, N)")
    return data.reshape(NUM_JOINTS_RAW, 3, -1).transpose(2, 0, 1).astype(np.float32)


SEQUENCES_PER_SUBJECT = 30  # VideoPose3D asserts this many files per subject in both raw routes
TAKES_PER_ACTION = 2  # 15 actions x 2 takes

# Raw tree formats: the folder under each subject, the file suffix and the reader (-> (N, 32, 3) mm).
RAW_FORMATS: dict[str, tuple[Path, str, Callable[[str | os.PathLike], np.ndarray]]] = {
    "cdf": (CDF_SUBDIR, ".cdf", read_pose_cdf),
    "h5": (H5_SUBDIR, ".h5", read_pose_h5),
}

_NO_3D = f"Human3.6M has 3D poses (and camera extrinsics) only for {', '.join(SUBJECTS)}"
_SEQUENCE = sequence_pattern(chunked=False)


def _is_sequence_name(name: str) -> bool:
    match = _SEQUENCE.match(name)
    return match is not None and match.group("base") in ACTIONS


def _raise(problems: list[str]) -> None:
    if problems:
        raise RawDataError(f"{len(problems)} problem(s) in the raw tree:\n" + "\n".join(f"  - {p}" for p in problems))


def _subject_order(subject: str) -> tuple[int, str]:
    return (SUBJECTS.index(subject) if subject in SUBJECTS else len(SUBJECTS), subject)


def _takes_off(files: list[Path]) -> str:
    """Which actions have other than two takes among `files` (Human3.6M has two of each): ': action Eating
    has 1 take (Eating), expected 2; ...', or '' when all have two."""
    takes: dict[str, list[str]] = {action: [] for action in ACTIONS}
    for f in files:
        name = canonical_action_name(f.stem)
        if _is_sequence_name(name):
            takes[name.split(" ")[0]].append(f.stem)
    off = [f"action {action} has {len(stems)} take{'s' * (len(stems) != 1)} ({', '.join(stems) or 'none'}), "
           f"expected {TAKES_PER_ACTION}" for action, stems in takes.items() if len(stems) != TAKES_PER_ACTION]
    return ": " + "; ".join(off) if off else ""


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
                            f"(subject {subject}){_takes_off(files)}")
        actions: dict[str, Path] = {}
        for f in files:
            name = canonical_action_name(f.stem)
            if not _is_sequence_name(name):
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
