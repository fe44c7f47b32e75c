"""Human3.6M cameras: calibration in VideoPose3D's normalised form, rigid transforms and projection.

Conventions (VideoPose3D's):
- quaternions are (w, x, y, z); a camera's `orientation` rotates camera coordinates into the world;
- `world_to_camera(X) = R^-1 (X - t)`, `camera_to_world(X) = R X + t`;
- normalised screen coordinates map x in [0, w] to [-1, 1] and keep the aspect ratio;
- after normalisation the focal length is in units of half the image width and the 9-vector
  `intrinsic = (fx, fy, cx, cy, k1, k2, k3, p1, p2)` feeds `project_to_2d`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from poselift import calibration
from poselift.backend import numpy_compatible

CAMERA_IDS = calibration.CAMERA_IDS


@dataclass(frozen=True)
class Camera:
    """One calibrated camera in VideoPose3D's normalised units (float32 arrays)."""

    id: str
    res_w: int
    res_h: int
    azimuth: float  # degrees, display only
    intrinsic: np.ndarray  # (9,): fx, fy, cx, cy (normalised screen units), k1, k2, k3, p1, p2
    orientation: np.ndarray | None  # (4,) quaternion wxyz, camera -> world; None without extrinsics
    translation: np.ndarray | None  # (3,) metres, camera centre in the world frame

    @property
    def has_extrinsics(self) -> bool:
        return self.orientation is not None


def _camera(index: int, subject: str) -> Camera:
    cam_id = CAMERA_IDS[index]
    raw = calibration.INTRINSICS[cam_id]
    w, h = raw["res_w"], raw["res_h"]
    center = normalize_screen_coordinates(np.asarray(raw["center"], dtype=np.float32), w, h)
    focal = np.asarray(raw["focal_length"], dtype=np.float32) / w * 2
    intrinsic = np.concatenate([focal, center, np.asarray(raw["radial_distortion"], dtype=np.float32),
                                np.asarray(raw["tangential_distortion"], dtype=np.float32)]).astype(np.float32)
    orientation = translation = None
    if subject in calibration.EXTRINSICS:
        q, t = calibration.EXTRINSICS[subject][index]
        orientation = np.asarray(q, dtype=np.float32)
        translation = np.asarray(t, dtype=np.float32) / 1000  # mm -> m
    elif subject not in calibration.SUBJECTS_WITHOUT_EXTRINSICS:
        raise KeyError(f"no Human3.6M calibration for subject {subject!r}; known: "
                       f"{', '.join([*calibration.EXTRINSICS, *calibration.SUBJECTS_WITHOUT_EXTRINSICS])}")
    return Camera(cam_id, w, h, float(raw["azimuth"]), intrinsic, orientation, translation)


def h36m_cameras(subject: str) -> list[Camera]:
    """The four cameras of a subject, in VideoPose3D's order (raises KeyError for unknown subjects)."""
    return [_camera(i, subject) for i in range(len(CAMERA_IDS))]


def known_subjects() -> tuple[str, ...]:
    return (*calibration.EXTRINSICS, *calibration.SUBJECTS_WITHOUT_EXTRINSICS)


def _screen_offset(x, w: int, h: int):
    if x.shape[-1] != 2:
        raise ValueError(f"expected (..., 2) coordinates, got shape {tuple(x.shape)}")
    if isinstance(x, torch.Tensor):
        return torch.tensor([1, h / w], dtype=x.dtype, device=x.device)
    return np.asarray([1, h / w], dtype=x.dtype)


def normalize_screen_coordinates(x, w: int, h: int):
    """Pixels (..., 2) -> normalised screen coordinates: [0, w] -> [-1, 1], aspect ratio kept."""
    return x / w * 2 - _screen_offset(x, w, h)


def image_coordinates(x, w: int, h: int):
    """Normalised screen coordinates (..., 2) -> pixels; inverse of `normalize_screen_coordinates`."""
    return (x + _screen_offset(x, w, h)) * w / 2


@numpy_compatible
def qrot(q: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Rotate vectors v (..., 3) by unit quaternions q (..., 4), wxyz; q broadcasts over v's batch."""
    q = q.to(v.dtype).expand(*v.shape[:-1], 4)
    w, qvec = q[..., :1], q[..., 1:]
    uv = torch.linalg.cross(qvec, v, dim=-1)
    uuv = torch.linalg.cross(qvec, uv, dim=-1)
    return v + 2 * (w * uv + uuv)


@numpy_compatible
def qinverse(q: torch.Tensor) -> torch.Tensor:
    """Inverse of unit quaternions (..., 4): the conjugate."""
    return torch.cat([q[..., :1], -q[..., 1:]], dim=-1)


@numpy_compatible
def world_to_camera(x: torch.Tensor, orientation: torch.Tensor, translation: torch.Tensor) -> torch.Tensor:
    """World points (..., 3) -> camera frame: R^-1 (x - t). Same unit as `translation`."""
    return qrot(qinverse(orientation), x - translation.to(x.dtype))


@numpy_compatible
def camera_to_world(x: torch.Tensor, orientation: torch.Tensor, translation: torch.Tensor) -> torch.Tensor:
    """Camera-frame points (..., 3) -> world: R x + t."""
    return qrot(orientation, x) + translation.to(x.dtype)


def _broadcast_intrinsic(intrinsic: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    intrinsic = intrinsic.to(x.dtype)
    while intrinsic.ndim < x.ndim:  # (B, 9) against (B, T, J, 3) -> (B, 1, 1, 9)
        intrinsic = intrinsic.unsqueeze(-2)
    return intrinsic


@numpy_compatible
def project_to_2d(x: torch.Tensor, intrinsic: torch.Tensor) -> torch.Tensor:
    """Project camera-frame points (..., 3) with the full model: radial k1..k3 and tangential p1, p2.

    `intrinsic` is (9,) or (B, 9) for a batch x of (B, ..., 3). Returns normalised screen
    coordinates (..., 2). As in VideoPose3D, x/z is clamped to [-1, 1] before distortion so that
    points far off the image cannot fold back onto it through the polynomial.
    """
    cam = _broadcast_intrinsic(intrinsic, x)
    f, c, k, p = cam[..., :2], cam[..., 2:4], cam[..., 4:7], cam[..., 7:9]
    xx = torch.clamp(x[..., :2] / x[..., 2:], min=-1, max=1)  # (..., 2), image plane at z = 1
    r2 = torch.sum(xx**2, dim=-1, keepdim=True)
    radial = 1 + torch.sum(k * torch.cat([r2, r2**2, r2**3], dim=-1), dim=-1, keepdim=True)
    tangential = torch.sum(p * xx, dim=-1, keepdim=True)
    distorted = xx * (radial + tangential) + p * r2
    return f * distorted + c


@numpy_compatible
def project_to_2d_linear(x: torch.Tensor, intrinsic: torch.Tensor) -> torch.Tensor:
    """Pinhole projection (focal length and centre only) of camera-frame points (..., 3)."""
    cam = _broadcast_intrinsic(intrinsic, x)
    xx = torch.clamp(x[..., :2] / x[..., 2:], min=-1, max=1)
    return cam[..., :2] * xx + cam[..., 2:4]


def project_world_to_pixels(positions_world: np.ndarray, camera: Camera) -> np.ndarray:
    """World poses (N, J, 3), metres -> pixel coordinates (N, J, 2) in `camera`, float32.

    The ground-truth 2D keypoints of `data_2d_h36m_gt.npz` are made this way.
    """
    if not camera.has_extrinsics:
        raise ValueError(f"camera {camera.id} has no extrinsics: cannot project world coordinates")
    positions_world = np.asarray(positions_world, dtype=np.float32)
    pos_cam = world_to_camera(positions_world, camera.orientation, camera.translation)
    screen = project_to_2d(pos_cam, camera.intrinsic)
    return image_coordinates(screen, camera.res_w, camera.res_h).astype(np.float32)
