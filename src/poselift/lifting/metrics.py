"""Pose errors of Human3.6M's protocols, vectorised in torch (NumPy arrays are accepted too).

Inputs are poses (..., J, 3) in one unit (metres in this project); errors come back in that unit. MPJPE
also takes 2D keypoints (..., J, 2): the back-projection loss of semi-supervised training.
The root handling (VideoPose3D zeroes the root of the target before every metric) is the caller's.

- Protocol #1, MPJPE: mean per-joint position error.
- Protocol #2, P-MPJPE: MPJPE after a per-frame similarity Procrustes alignment (rotation, uniform
  scale, translation) of the prediction onto the target, reflections excluded.
- Protocol #3, N-MPJPE: MPJPE after a per-frame least-squares scale of the prediction.
- MPJVE: mean per-joint velocity error, the error of the first time derivative (per frame).
- Weighted MPJPE: MPJPE with a weight per frame (the semi-supervised trajectory loss uses 1/depth).
"""

from __future__ import annotations

import torch

from poselift.geometry.backend import numpy_compatible

MM = 1000.0  # metres -> millimetres


def _check(predicted: torch.Tensor, target: torch.Tensor, dims: tuple[int, ...] = (3,)) -> None:
    if predicted.shape != target.shape:
        raise ValueError(f"prediction {tuple(predicted.shape)} and target {tuple(target.shape)} differ in shape")
    if predicted.shape[-1] not in dims:
        raise ValueError(f"expected points (..., J, {' or '.join(map(str, dims))}), got {tuple(predicted.shape)}")


def joint_errors(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Euclidean error per joint: poses (..., J, 3) or 2D keypoints (..., J, 2) -> (..., J)."""
    _check(predicted, target, dims=(2, 3))
    return torch.linalg.vector_norm(predicted - target, dim=-1)


@numpy_compatible
def mpjpe(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Protocol #1 (MPJPE): mean Euclidean joint error over every frame and joint."""
    return joint_errors(predicted, target).mean()


@numpy_compatible
def weighted_mpjpe(predicted: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """MPJPE with per-frame weights (..., 1) broadcast over joints: mean(w * ||p - t||)."""
    return (weights * joint_errors(predicted, target)).mean()


@numpy_compatible
def procrustes_align(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Align each frame of `predicted` (..., J, 3) to `target` by a similarity transform.

    Least-squares rotation (reflection fixed: the last singular direction is flipped when the
    rotation's determinant is negative), uniform scale and translation.
    """
    _check(predicted, target)
    mu_t = target.mean(dim=-2, keepdim=True)  # (..., 1, 3)
    mu_p = predicted.mean(dim=-2, keepdim=True)
    t0, p0 = target - mu_t, predicted - mu_p  # (..., J, 3)
    norm_t = torch.linalg.vector_norm(t0, dim=(-2, -1), keepdim=True)  # (..., 1, 1)
    norm_p = torch.linalg.vector_norm(p0, dim=(-2, -1), keepdim=True)
    t0, p0 = t0 / norm_t, p0 / norm_p
    h = t0.transpose(-2, -1) @ p0  # (..., 3, 3) cross-covariance
    u, s, vh = torch.linalg.svd(h)
    v = vh.transpose(-2, -1)
    rot = v @ u.transpose(-2, -1)  # maps prediction rows onto target rows: p0 @ rot ~ t0
    sign = torch.sign(torch.linalg.det(rot)).unsqueeze(-1)  # (..., 1)
    v = torch.cat([v[..., :2], v[..., 2:] * sign.unsqueeze(-1)], dim=-1)
    s = torch.cat([s[..., :2], s[..., 2:] * sign], dim=-1)
    rot = v @ u.transpose(-2, -1)
    scale = s.sum(dim=-1)[..., None, None] * norm_t / norm_p  # (..., 1, 1)
    translation = mu_t - scale * (mu_p @ rot)
    return scale * (predicted @ rot) + translation


@numpy_compatible
def p_mpjpe(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Protocol #2 (P-MPJPE): MPJPE after per-frame similarity Procrustes alignment."""
    return joint_errors(procrustes_align(predicted, target), target).mean()


@numpy_compatible
def n_mpjpe(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Protocol #3 (N-MPJPE): MPJPE after scaling each predicted frame by its least-squares scale."""
    _check(predicted, target)
    norm_p = torch.sum(predicted**2, dim=-1, keepdim=True).mean(dim=-2, keepdim=True)  # (..., 1, 1)
    cross = torch.sum(target * predicted, dim=-1, keepdim=True).mean(dim=-2, keepdim=True)
    return mpjpe(cross / norm_p * predicted, target)


@numpy_compatible
def mpjve(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MPJVE: mean error of joint velocities of a sequence (..., T, J, 3), per frame (x 50 Hz for /s)."""
    _check(predicted, target)
    if predicted.ndim < 3 or predicted.shape[-3] < 2:
        raise ValueError(f"MPJVE needs a sequence (..., T >= 2, J, 3), got {tuple(predicted.shape)}")
    return joint_errors(torch.diff(predicted, dim=-3), torch.diff(target, dim=-3)).mean()
