"""Cameras in VideoPose3D's normalised form: rigid transforms, projection, screen coordinates.

Conventions (VideoPose3D's):
- quaternions are (w, x, y, z); a camera's `orientation` rotates camera coordinates into the world;
- `world_to_camera(X) = R^-1 (X - t)`, `camera_to_world(X) = R X + t`;
- normalised screen coordinates map x in [0, w] to [-1, 1] and keep the aspect ratio;
- after normalisation the focal length is in units of half the image width and the 9-vector
  `intrinsic = (fx, fy, cx, cy, k1, k2, k3, p1, p2)` feeds `project_to_2d`.

A data set's calibration (pixels and millimetres, as published) becomes a `Camera` through
`Camera.from_calibration`; the calibrations themselves live in `poselift.datasets`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from poselift.geometry.backend import numpy_compatible


@dataclass(frozen=True)
class Camera:
    """One camera in VideoPose3D's normalised units (float32 arrays)."""

    id: str
    res_w: int
    res_h: int
    azimuth: float  # degrees, display only
    intrinsic: np.ndarray | None  # (9,): fx, fy, cx, cy (normalised screen units), k1, k2, k3, p1, p2; None: unknown
    orientation: np.ndarray | None  # (4,) quaternion wxyz, camera -> world; None without extrinsics
    translation: np.ndarray | None  # (3,) metres, camera centre in the world frame

    @property
    def has_extrinsics(self) -> bool:
        return self.orientation is not None

    @property
    def has_intrinsics(self) -> bool:
        return self.intrinsic is not None

    @classmethod
    def from_calibration(cls, id: str, res_w: int, res_h: int, azimuth: float = 0.0,
                         center: Sequence[float] | None = None, focal_length: Sequence[float] | None = None,
                         radial_distortion: Sequence[float] = (0.0, 0.0, 0.0),
                         tangential_distortion: Sequence[float] = (0.0, 0.0),
                         orientation: Sequence[float] | None = None,
                         translation_mm: Sequence[float] | None = None) -> Camera:
        """A camera from a published calibration: intrinsics in pixels (omitted: unknown), orientation a
        wxyz quaternion rotating camera to world, translation the camera centre in the world, mm."""
        intrinsic = None
        if center is not None and focal_length is not None:
            c = normalize_screen_coordinates(np.asarray(center, dtype=np.float32), res_w, res_h)
            f = np.asarray(focal_length, dtype=np.float32) / res_w * 2
            intrinsic = np.concatenate([f, c, np.asarray(radial_distortion, dtype=np.float32),
                                        np.asarray(tangential_distortion, dtype=np.float32)]).astype(np.float32)
        q = None if orientation is None else np.asarray(orientation, dtype=np.float32)
        t = None if translation_mm is None else np.asarray(translation_mm, dtype=np.float32) / 1000  # mm -> m
        return cls(id, int(res_w), int(res_h), float(azimuth), intrinsic, q, t)


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

    The ground-truth 2D keypoints of a `data_2d_<dataset>_gt.npz` are made this way.
    """
    if not camera.has_extrinsics or not camera.has_intrinsics:
        missing = "extrinsics" if not camera.has_extrinsics else "intrinsics"
        raise ValueError(f"camera {camera.id} has no {missing}: cannot project world coordinates")
    positions_world = np.asarray(positions_world, dtype=np.float32)
    pos_cam = world_to_camera(positions_world, camera.orientation, camera.translation)
    screen = project_to_2d(pos_cam, camera.intrinsic)
    return image_coordinates(screen, camera.res_w, camera.res_h).astype(np.float32)
