"""Human3.6M's raw pose files: the D3_Positions CDF files and Martinez et al.'s h5 files.

- `<root>/<S>/MyPoseFeatures/D3_Positions/<Action>[ n].cdf`: variable `Pose` of shape (1, N, 96),
  32 joints x (x, y, z) in millimetres, world frame, 50 Hz; raw action names (`TakingPhoto`,
  `WalkingDog`). VideoPose3D reads them with `cdflib.CDF(f)['Pose'].reshape(-1, 32, 3)`.
- `<root>/<S>/MyPoses/3D_positions/<Action>[ n].h5`: dataset `3D_positions` of shape (96, N), the
  same values (Martinez et al.'s `h36m.zip`).
"""

from __future__ import annotations

import os
from pathlib import Path

import cdflib
import h5py
import numpy as np
from cdflib.cdfwrite import CDF as CDFWriter

from poselift.atomic import atomic_path

NUM_JOINTS_RAW = 32
CDF_SUBDIR = Path("MyPoseFeatures") / "D3_Positions"
H5_SUBDIR = Path("MyPoses") / "3D_positions"

# Sequence names of subject S1 in Human3.6M (after VideoPose3D's renames): two takes per action,
# the first take sometimes unnumbered. The embedded data set names every subject's takes this way.
S1_SEQUENCES = (
    "Directions 1", "Directions", "Discussion 1", "Discussion", "Eating 2", "Eating", "Greeting 1", "Greeting",
    "Phoning 1", "Phoning", "Posing 1", "Posing", "Purchases 1", "Purchases", "Sitting 1", "Sitting 2",
    "SittingDown 2", "SittingDown", "Smoking 1", "Smoking", "Photo 1", "Photo", "Waiting 1", "Waiting",
    "Walking 1", "Walking", "WalkDog 1", "WalkDog", "WalkTogether 1", "WalkTogether",
)
# VideoPose3D's names -> raw file names.
RAW_NAMES = {"Photo": "TakingPhoto", "WalkDog": "WalkingDog"}


class RawDataError(ValueError):
    """A raw Human3.6M file or tree that cannot be read as such."""


def raw_sequence_name(name: str) -> str:
    """'Photo 1' -> 'TakingPhoto 1': the file name stem Human3.6M uses."""
    base, _, rest = name.partition(" ")
    base = RAW_NAMES.get(base, base)
    return f"{base} {rest}" if rest else base


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
