"""CPN's crops and heatmaps, in full-frame pixels (Chen et al., CVPR 2018, as in tf-cpn and pytorch-cpn).

Crop: the person box widened by 10% of its width on each side in x and 15% of its height in y,
grown to the aspect ratio of the network input, scaled to it and padded with the mean pixel.
Heatmaps are at stride 4. Decoding: per joint, smooth the heatmap with a Gaussian, take the maximum,
move it a quarter cell toward the second maximum, map the cell to crop pixels with 4 x + 2 and those
through the inverse crop transform; the score is the heatmap maximum.

Pixel convention: coordinates are continuous and pixel (row r, column c) covers [c, c + 1) x [r, r + 1),
its centre at (c + 0.5, r + 0.5), the convention of `cv2.resize` and of `grid_sample` with
`align_corners=False`. In it heatmap cell x covers crop pixels [4 x, 4 x + 4), so its centre is
4 x + 2: that is pytorch-cpn's map back, and the targets here put a joint at crop pixel p at cell
(p - 2) / 4, so that encoding and decoding invert each other exactly, and mirroring a crop
(p -> W - p) mirrors its heatmap cells (x -> W / 4 - 1 - x) with no shift. Keypoints given in the
other convention (integer coordinates at pixel centres) are half a pixel off in x and y.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from poselift.detectors.cpn import OUTPUT_STRIDE
from poselift.geometry.layouts import LAYOUTS

BOX_EXTEND = (0.1, 0.15)  # of the box width (height), added on each side in x (y)
COCO_LEFT, COCO_RIGHT = LAYOUTS["coco"].keypoints_left, LAYOUTS["coco"].keypoints_right
SMOOTH_SIGMA = 3.5  # cells: pytorch-cpn's 21x21 cv2.GaussianBlur at 256x192 and 384x288


def crop_regions(boxes: np.ndarray, input_size: tuple[int, int], extend: tuple[float, float] = BOX_EXTEND
                 ) -> np.ndarray:
    """(N, 4) boxes (x0, y0, x1, y1) -> (N, 4) crop regions with the same centre, widened by `extend`
    on each side and grown in x or y to the aspect ratio width / height of `input_size` (H, W)."""
    boxes = np.asarray(boxes, dtype=np.float64)
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2  # (N, 2)
    size = (boxes[:, 2:] - boxes[:, :2]) * (1 + 2 * np.asarray(extend))  # (N, 2), width and height
    if (size <= 0).any():
        raise ValueError(f"boxes must have positive width and height; box {int(np.argmax((size <= 0).any(1)))} "
                         "does not")
    aspect = input_size[1] / input_size[0]
    width = np.maximum(size[:, 0], size[:, 1] * aspect)
    half = np.stack([width, width / aspect], axis=1) / 2  # (N, 2)
    return np.concatenate([centre - half, centre + half], axis=1)


def crop_transforms(boxes: np.ndarray, input_size: tuple[int, int]) -> np.ndarray:
    """(N, 4) person boxes -> (N, 2, 3) affine maps from full-frame to crop pixels (a scale and a shift)."""
    regions = crop_regions(boxes, input_size)
    scale = input_size[1] / (regions[:, 2] - regions[:, 0])  # (N,), crop pixels per frame pixel, same in y
    affine = np.zeros((len(regions), 2, 3))
    affine[:, 0, 0] = affine[:, 1, 1] = scale
    affine[:, :, 2] = -scale[:, None] * regions[:, :2]
    return affine


def invert_affine(affine: np.ndarray) -> np.ndarray:
    """(N, 2, 3) -> (N, 2, 3) inverse maps."""
    linear = np.linalg.inv(affine[:, :, :2])
    return np.concatenate([linear, -linear @ affine[:, :, 2:]], axis=2)


def apply_affine(affine: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(N, 2, 3) maps applied to (N, J, 2) points."""
    return np.einsum("nij,nkj->nki", affine[:, :, :2], points) + affine[:, None, :, 2]


def crop_frames(frames: Sequence[np.ndarray], affine: np.ndarray, input_size: tuple[int, int],
                pixel_mean: Sequence[float]) -> torch.Tensor:
    """Normalised crops (N, 3, H, W), RGB / 255 - mean / 255, of N frames (H_f, W_f, 3) uint8 RGB,
    sampled bilinearly at the crop pixel centres; outside the frame they are the mean pixel (zero)."""
    height, width = input_size
    mean = torch.tensor(pixel_mean, dtype=torch.float32)[:, None, None] / 255
    inverse = invert_affine(affine)
    cx, cy = np.arange(width) + 0.5, np.arange(height) + 0.5  # crop pixel centres
    crops = []
    for frame, inv in zip(frames, inverse, strict=True):
        image = torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1).float() / 255 - mean  # (3, Hf, Wf)
        x = inv[0, 0] * cx + inv[0, 2]  # (W,), frame pixels
        y = inv[1, 1] * cy + inv[1, 2]  # (H,)
        gx = np.broadcast_to(2 * x / image.shape[2] - 1, (height, width))
        gy = np.broadcast_to((2 * y / image.shape[1] - 1)[:, None], (height, width))
        grid = torch.from_numpy(np.stack([gx, gy], axis=-1)).float()[None]  # (1, H, W, 2), in [-1, 1] inside
        crops.append(F.grid_sample(image[None], grid, mode="bilinear", padding_mode="zeros", align_corners=False))
    return torch.cat(crops)


def crop_to_cells(points: np.ndarray | torch.Tensor, stride: int = OUTPUT_STRIDE):
    """Crop pixels -> heatmap cells, (p - 2) / 4: cell x is centred on crop pixel 4 x + 2."""
    return (points - stride / 2) / stride


def cells_to_crop(cells: np.ndarray | torch.Tensor, stride: int = OUTPUT_STRIDE):
    """Heatmap cells -> crop pixels, 4 x + 2 (tf-cpn's and pytorch-cpn's map back)."""
    return stride * cells + stride / 2


def gaussian_heatmaps(points: np.ndarray, heatmap_size: tuple[int, int], sigma: float, peak: float = 1.0
                      ) -> torch.Tensor:
    """Targets (N, J, h, w): `peak` * exp(-d^2 / 2 sigma^2) around each joint, d and sigma in cells,
    from (N, J, 2) joints in crop pixels; a joint that is not finite (unlabelled) gets a zero map.

    tf-cpn blurs a delta at the rounded cell instead; its cv2 kernels of 7, 9, 11, 15 (23 at
    384x288) pixels are sigma = 1.4, 1.7, 2.0, 2.6 (4.1) cells, cv2's 0.3 ((k - 1) / 2 - 1) + 0.8.
    """
    centre = torch.from_numpy(crop_to_cells(np.asarray(points, dtype=np.float64)))  # (N, J, 2)
    rows = torch.arange(heatmap_size[0], dtype=torch.float64)
    cols = torch.arange(heatmap_size[1], dtype=torch.float64)
    dx2 = (cols - centre[..., 0:1]) ** 2  # (N, J, w)
    dy2 = (rows - centre[..., 1:2]) ** 2  # (N, J, h)
    maps = peak * torch.exp(-(dy2[..., :, None] + dx2[..., None, :]) / (2 * sigma**2))  # (N, J, h, w)
    return torch.nan_to_num(maps, nan=0.0).float()


def smooth_heatmaps(heatmaps: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian smoothing (sigma in cells, radius ceil(3 sigma)), zero outside the map."""
    radius = math.ceil(3 * sigma)
    taps = torch.arange(-radius, radius + 1, dtype=heatmaps.dtype, device=heatmaps.device)
    kernel = torch.exp(-(taps**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    b, j, h, w = heatmaps.shape
    x = heatmaps.reshape(b * j, 1, h, w)
    x = F.conv2d(x, kernel.view(1, 1, 1, -1), padding=(0, radius))
    x = F.conv2d(x, kernel.view(1, 1, -1, 1), padding=(radius, 0))
    return x.reshape(b, j, h, w)


def decode_heatmaps(heatmaps: torch.Tensor, smooth_sigma: float = SMOOTH_SIGMA
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, J, h, w) heatmaps -> ((N, J, 2) joint positions (x, y) in cells, (N, J) maxima).

    On the smoothed map (`smooth_sigma` 0: none), the maximum moves a quarter cell along the unit
    vector toward the second maximum (the largest value elsewhere), then is clipped to the map;
    the maximum returned is that of the map as given.
    """
    n, j, h, w = heatmaps.shape
    smoothed = smooth_heatmaps(heatmaps, smooth_sigma) if smooth_sigma > 0 else heatmaps
    flat = smoothed.reshape(n, j, h * w).clone()
    first = flat.argmax(dim=2)  # (N, J)
    flat.scatter_(2, first[..., None], -math.inf)
    second = flat.argmax(dim=2)

    def cells(index: torch.Tensor) -> torch.Tensor:
        return torch.stack([index % w, index // w], dim=-1).to(heatmaps.dtype)  # (N, J, 2), (x, y)

    peak, towards = cells(first), cells(second) - cells(first)
    length = towards.norm(dim=-1, keepdim=True)
    shift = torch.where(length > 1e-3, 0.25 * towards / length.clamp_min(1e-3), torch.zeros_like(towards))
    limit = torch.tensor([w - 1, h - 1], dtype=heatmaps.dtype, device=heatmaps.device)
    position = torch.minimum((peak + shift).clamp_min(0), limit)
    return position, heatmaps.reshape(n, j, h * w).amax(dim=2)


def flip_heatmaps(heatmaps: torch.Tensor, left: Sequence[int] = COCO_LEFT, right: Sequence[int] = COCO_RIGHT
                  ) -> torch.Tensor:
    """Heatmaps of a mirrored crop -> heatmaps of the crop: mirrored in x, left and right joints swapped."""
    order = list(range(heatmaps.shape[1]))
    for a, b in zip(left, right, strict=True):
        order[a], order[b] = b, a
    return heatmaps.flip(-1)[:, order]


def predict_heatmaps(model: nn.Module, crops: torch.Tensor, flip_test: bool = True,
                     left: Sequence[int] = COCO_LEFT, right: Sequence[int] = COCO_RIGHT) -> torch.Tensor:
    """(N, J, h, w) heatmaps of (N, 3, H, W) crops; with `flip_test`, averaged with those of the mirrored
    crops flipped back, which makes the result exactly equivariant to mirroring the crop."""
    heatmaps = model(crops)
    if flip_test:
        heatmaps = (heatmaps + flip_heatmaps(model(crops.flip(-1)), left, right)) / 2
    return heatmaps


@torch.no_grad()
def detect_keypoints(model: nn.Module, frames: Sequence[np.ndarray], boxes: np.ndarray, batch_size: int = 32,
                     flip_test: bool = True, smooth_sigma: float = SMOOTH_SIGMA) -> np.ndarray:
    """COCO-17 keypoints (N, 17, 3), (x, y, score) in full-frame pixels, of one person per frame.

    `model`: a CPN in eval mode (or any module with a `config` like CPNConfig mapping crops to
    heatmaps); `frames`: N images (H_f, W_f, 3) uint8 RGB; `boxes`: (N, 4) person boxes (x0, y0, x1,
    y1) in the same pixels, a row of NaN where no person was found (its keypoints are NaN).
    """
    if model.training:
        raise ValueError("detect_keypoints needs the model in eval mode (model.eval()): batch norm")
    config = model.config
    device = next(model.parameters()).device
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(boxes) != len(frames):
        raise ValueError(f"{len(frames)} frames but {len(boxes)} boxes")
    found = np.flatnonzero(np.isfinite(boxes).all(axis=1))
    keypoints = np.full((len(boxes), config.num_joints, 3), np.nan, dtype=np.float32)
    affine = crop_transforms(boxes[found], config.input_size)
    inverse = invert_affine(affine)
    for start in range(0, len(found), batch_size):
        part = slice(start, start + batch_size)
        crops = crop_frames([frames[i] for i in found[part]], affine[part], config.input_size, config.pixel_mean)
        heatmaps = predict_heatmaps(model, crops.to(device), flip_test)  # (B, 17, H/4, W/4)
        cells, maxima = decode_heatmaps(heatmaps.float(), smooth_sigma)
        crop_xy = cells_to_crop(cells.double().cpu().numpy())  # (B, 17, 2), crop pixels
        keypoints[found[part], :, :2] = apply_affine(inverse[part], crop_xy)
        keypoints[found[part], :, 2] = maxima.cpu().numpy() / config.heatmap_peak
    return keypoints
