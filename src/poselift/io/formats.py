"""VideoPose3D's npz files, read and written exactly as VideoPose3D does.

- `data_3d_<dataset>.npz`: key `positions_3d` = {subject: {action: float32 (N, 32, 3)}}, world frame,
  metres.
- `data_2d_<dataset>_<source>.npz`: key `positions_2d` = {subject: {action: [per camera float32
  (N, J, 2)]}} in pixels, and key `metadata` = {'layout_name', 'num_joints', 'keypoints_symmetry'}.

Both are dicts pickled into 0-d object arrays by `np.savez_compressed`, so reading needs
`allow_pickle=True` and `.item()`. Writes go through a temporary file and a rename.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import numpy as np

from poselift.io.atomic import atomic_path

Poses3D = dict[str, dict[str, np.ndarray]]  # subject -> action -> (N, J, 3)
Poses2D = dict[str, dict[str, list[np.ndarray]]]  # subject -> action -> per camera (N, J, 2)


class FormatError(ValueError):
    """A file that is not a VideoPose3D npz of the expected kind."""


def _load_dict(path: str | os.PathLike, key: str) -> object:
    path = Path(path)
    try:
        # Our own file handle: np.load(path) leaks its handle when the zip is damaged.
        with open(path, "rb") as f, np.load(f, allow_pickle=True) as npz:
            if key not in npz.files:
                raise FormatError(f"{path}: no key {key!r} (keys: {', '.join(npz.files) or 'none'})")
            value = npz[key]
    except (FileNotFoundError, FormatError):
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError) as err:
        raise FormatError(f"{path}: not a readable npz file ({err})") from err
    if value.dtype != object or value.shape != ():
        raise FormatError(f"{path}: {key!r} is an array of shape {value.shape}, expected a pickled dict")
    return value.item()


def _check_nested(path: Path, data: object, key: str) -> None:
    if not isinstance(data, dict):
        raise FormatError(f"{path}: {key!r} holds a {type(data).__name__}, expected a dict of subjects")
    for subject, actions in data.items():
        if not isinstance(actions, dict):
            raise FormatError(f"{path}: subject {subject!r}: expected a dict of actions, got "
                              f"{type(actions).__name__}")


def load_3d(path: str | os.PathLike) -> Poses3D:
    """Read `positions_3d` from a VideoPose3D 3D npz."""
    data = _load_dict(path, "positions_3d")
    _check_nested(Path(path), data, "positions_3d")
    return data


def load_2d(path: str | os.PathLike) -> tuple[Poses2D, dict]:
    """Read `positions_2d` and `metadata` from a VideoPose3D 2D npz."""
    data = _load_dict(path, "positions_2d")
    _check_nested(Path(path), data, "positions_2d")
    metadata = _load_dict(path, "metadata")
    if not isinstance(metadata, dict):
        raise FormatError(f"{path}: 'metadata' holds a {type(metadata).__name__}, expected a dict")
    return data, metadata


def _savez(path: str | os.PathLike, **arrays: object) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:  # a file object: numpy adds no '.npz'
        np.savez_compressed(f, **arrays)


def save_3d(path: str | os.PathLike, positions_3d: Poses3D) -> None:
    """Write a 3D npz exactly as VideoPose3D's `prepare_data_h36m.py` (float32 arrays)."""
    out = {s: {a: np.asarray(p, dtype=np.float32) for a, p in acts.items()} for s, acts in positions_3d.items()}
    _savez(path, positions_3d=out)


def save_2d(path: str | os.PathLike, positions_2d: Poses2D, metadata: dict) -> None:
    """Write a 2D npz exactly as VideoPose3D (float32 arrays, a list per action, `metadata`)."""
    out = {s: {a: [np.asarray(c, dtype=np.float32) for c in cams] for a, cams in acts.items()}
           for s, acts in positions_2d.items()}
    _savez(path, positions_2d=out, metadata=dict(metadata))
