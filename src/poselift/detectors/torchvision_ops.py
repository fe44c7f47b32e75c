"""torchvision, importable where its compiled operators do not load.

torchvision 0.28's wheel carries compiled operators built for CUDA (`_C.so` links libtorch_cuda). With
the CPU build of torch they fail to load, and `import torchvision` then fails, because it registers
fake kernels for `torchvision::nms` and `torchvision::qnms`, which do not exist. `import_torchvision`
imports it normally when the compiled operators load; otherwise, and only then, it defines those
operators itself, with pure-torch kernels for the two that Mask R-CNN and Keypoint R-CNN run, NMS and
RoIAlign, and points torchvision's `nms` and `roi_align` at them. `qnms` (quantised boxes) is only
declared, so that the import succeeds; it has no kernel.

The kernels compute what torchvision's CPU kernels compute. NMS: boxes in order of decreasing score
(a stable sort, so equal scores keep their index order), each kept box suppresses every later box
whose IoU with it exceeds the threshold. RoIAlign (He et al., Mask R-CNN): every output bin averages
bilinear samples on a regular grid, `sampling_ratio` per side, or, for `sampling_ratio <= 0`,
ceil(RoI side / output side) per side; without `aligned` the RoI is at least 1x1 cell, with it the
box is shifted by -0.5 cell; a sample more than one cell outside the feature map counts as 0, one
within a cell of it takes the border value. Bilinear sampling runs through `grid_sample`, a few
times faster than torchvision's own pure-Python `_roi_align`, and differentiable.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import torch
import torch.nn.functional as F

_SCHEMAS = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "roi_align": ("roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
                  "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor"),
}
_SAMPLES_PER_CHUNK = 1 << 24  # bilinear samples (all channels) grid_sample makes at once: 64 MB of float32

_state: dict = {}  # "fallback": the path import_torchvision took; "library": our operator definitions


def nms_kernel(dets: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression, as torchvision's `nms`.

    `dets` (N, 4), x1 y1 x2 y2; `scores` (N,). Returns the indices of the kept boxes (int64), by
    decreasing score; equal scores are taken in index order.
    """
    if dets.dim() != 2 or dets.size(1) != 4:
        raise RuntimeError(f"boxes should be a (N, 4) tensor, got shape {tuple(dets.shape)}")
    if scores.dim() != 1 or scores.size(0) != dets.size(0):
        raise RuntimeError(f"scores should be a ({dets.size(0)},) tensor, got shape {tuple(scores.shape)}")
    if dets.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=dets.device)
    order = torch.sort(scores, descending=True, stable=True).indices  # (N,)
    x1, y1, x2, y2 = dets[order].unbind(1)
    areas = (x2 - x1) * (y2 - y1)
    w = (torch.minimum(x2[:, None], x2[None, :]) - torch.maximum(x1[:, None], x1[None, :])).clamp(min=0)
    h = (torch.minimum(y2[:, None], y2[None, :]) - torch.maximum(y1[:, None], y1[None, :])).clamp(min=0)
    inter = w * h  # (N, N), in score order
    iou = inter / (areas[:, None] + areas[None, :] - inter)
    overlaps = torch.triu(iou > _below_or_at(iou_threshold, iou.dtype), diagonal=1).cpu().numpy()
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    for i in range(len(order)):
        if not suppressed[i]:
            keep.append(i)
            suppressed |= overlaps[i]
    return order[torch.tensor(keep, device=order.device)]


def _below_or_at(threshold: float, dtype: torch.dtype) -> torch.Tensor:
    """The largest `dtype` value not above `threshold`: for x of that dtype, x > it exactly when
    x > threshold in double precision (torchvision compares the IoU with a double)."""
    value = torch.tensor(threshold, dtype=dtype)
    if value.item() > threshold:
        value = torch.nextafter(value, torch.tensor(-math.inf, dtype=dtype))
    return value


def roi_align_kernel(input: torch.Tensor, rois: torch.Tensor, spatial_scale: float, pooled_height: int,
                     pooled_width: int, sampling_ratio: int, aligned: bool) -> torch.Tensor:
    """RoIAlign with average pooling, as torchvision's `torchvision::roi_align` operator.

    `input` (N, C, H, W) features; `rois` (K, 5): image index in the batch, then x1 y1 x2 y2 in image
    coordinates, which `spatial_scale` maps to feature cells. Returns (K, C, pooled_height, pooled_width).
    """
    if rois.dim() != 2 or rois.size(1) != 5:
        raise RuntimeError(f"rois must have shape as Tensor[K, 5], got {tuple(rois.shape)}")
    if input.dtype != rois.dtype:
        raise RuntimeError(f"input should have the same type as rois: {input.dtype} vs {rois.dtype}")
    output = input.new_zeros((rois.size(0), input.size(1), pooled_height, pooled_width))
    if output.numel() == 0:
        return output
    offset = 0.5 if aligned else 0.0
    start = rois[:, 1:3] * spatial_scale - offset  # (K, 2), feature cells x y
    size = (rois[:, 3:5] * spatial_scale - offset) - start  # (K, 2), feature cells w h
    if not aligned:
        size = size.clamp(min=1.0)
    pooled = torch.tensor([pooled_width, pooled_height], dtype=input.dtype, device=input.device)
    if sampling_ratio > 0:
        grid = torch.full_like(size, sampling_ratio, dtype=torch.long)  # (K, 2), samples per bin in x y
    else:
        grid = torch.ceil(size / pooled).long().clamp(min=0)
    batch = rois[:, 0].long()
    for b in torch.unique(batch).tolist():
        features = input[b:b + 1].contiguous(memory_format=torch.channels_last)  # grid_sample is faster so
        in_image = batch == b
        for gw, gh in torch.unique(grid[in_image], dim=0).tolist():
            if gw == 0 or gh == 0:
                continue  # no samples: the bins stay 0, as torchvision's
            index = torch.nonzero(in_image & (grid[:, 0] == gw) & (grid[:, 1] == gh)).flatten()
            per_roi = input.size(1) * pooled_height * gh * pooled_width * gw
            for chunk in index.split(max(1, _SAMPLES_PER_CHUNK // per_roi)):
                output[chunk] = _pool(features, start[chunk], size[chunk], (pooled_height, pooled_width), (gh, gw))
    return output


def _pool(features: torch.Tensor, start: torch.Tensor, size: torch.Tensor, bins: tuple[int, int],
          samples: tuple[int, int]) -> torch.Tensor:
    """Average of gh x gw bilinear samples per bin for k RoIs of one image.

    `features` (1, C, H, W); `start`, `size` (k, 2), feature cells x y and w h; `bins` (PH, PW);
    `samples` (gh, gw) per bin. Returns (k, C, PH, PW).
    """
    height, width = features.shape[-2:]
    (ph, pw), (gh, gw) = bins, samples
    k = start.size(0)
    ys = _sample_positions(start[:, 1], size[:, 1] / ph, ph, gh).reshape(k, ph * gh)  # rows
    xs = _sample_positions(start[:, 0], size[:, 0] / pw, pw, gw).reshape(k, pw * gw)  # columns
    gy = _normalised(ys, height)[:, :, None].expand(-1, -1, pw * gw)
    gx = _normalised(xs, width)[:, None, :].expand(-1, ph * gh, -1)
    grid = torch.stack([gx, gy], dim=-1).reshape(1, k * ph * gh, pw * gw, 2)
    values = F.grid_sample(features, grid, mode="bilinear", padding_mode="border", align_corners=True)
    valid = ((ys >= -1) & (ys <= height))[:, :, None] & ((xs >= -1) & (xs <= width))[:, None, :]  # (k, PH gh, PW gw)
    if not valid.all():
        values = torch.where(valid.reshape(1, 1, k * ph * gh, pw * gw), values, 0)
    pooled = F.avg_pool2d(values, (gh, gw))  # (1, C, k PH, PW)
    return pooled.reshape(-1, k, ph, pw).transpose(0, 1)


def _sample_positions(start: torch.Tensor, bin_size: torch.Tensor, bins: int, samples: int) -> torch.Tensor:
    """Sample coordinates along one side, (k, bins, samples), feature cells: in bin p, sample i lies at
    start + p * bin + (i + 0.5) * bin / samples (the order of torchvision's arithmetic)."""
    p = torch.arange(bins, dtype=start.dtype, device=start.device)
    i = torch.arange(samples, dtype=start.dtype, device=start.device) + 0.5
    return ((start[:, None, None] + p[None, :, None] * bin_size[:, None, None])
            + i[None, None, :] * bin_size[:, None, None] / samples)


def _normalised(coords: torch.Tensor, n: int) -> torch.Tensor:
    """Cell coordinates clamped to [0, n - 1] (torchvision's border rule), as grid_sample's [-1, 1]
    with align_corners=True; 0 for a side of one cell."""
    clamped = coords.clamp(0, n - 1)
    return clamped * (2 / (n - 1)) - 1 if n > 1 else torch.zeros_like(clamped)


def _nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """torchvision.ops.nms on the operator defined here."""
    return torch.ops.torchvision.nms(boxes, scores, iou_threshold)


def _roi_align(input: torch.Tensor, boxes: torch.Tensor | list[torch.Tensor], output_size: int | tuple[int, int],
               spatial_scale: float = 1.0, sampling_ratio: int = -1, aligned: bool = False) -> torch.Tensor:
    """torchvision.ops.roi_align on the operator defined here: `boxes` (K, 5) or per image (L, 4)."""
    if not isinstance(boxes, torch.Tensor):
        boxes = torch.cat([torch.cat([torch.full_like(b[:, :1], i), b], dim=1) for i, b in enumerate(boxes)])
    height, width = (output_size, output_size) if isinstance(output_size, int) else output_size
    return torch.ops.torchvision.roi_align(input, boxes, spatial_scale, height, width, sampling_ratio, aligned)


def _compiled_ops_load() -> bool:
    """Whether torchvision's compiled operators load (they are then registered with torch)."""
    extension = sys.modules.get("torchvision.extension")
    if extension is not None:
        return extension._has_ops()
    spec = importlib.util.find_spec("torchvision")
    if spec is None:
        raise ModuleNotFoundError("torchvision is not installed (pip install torchvision==0.28.0)")
    for folder in spec.submodule_search_locations or []:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            library = Path(folder) / f"_C{suffix}"
            if library.exists():
                try:
                    torch.ops.load_library(str(library))
                except (ImportError, OSError):
                    return False
                return True
    return False


def _define_ops() -> None:
    """Define torchvision's `nms`, `qnms` and `roi_align` operators, with our kernels for two."""
    if "library" in _state:
        return
    library = torch.library.Library("torchvision", "DEF")
    for schema in _SCHEMAS.values():
        library.define(schema)
    library.impl("nms", nms_kernel, "CPU")
    library.impl("roi_align", roi_align_kernel, "CompositeImplicitAutograd")  # any device, autograd through it
    _state["library"] = library  # the definitions last as long as this object


def _patch(torchvision: ModuleType) -> None:
    """Point torchvision's `nms` and `roi_align` (where its modules bound them) at our operators."""
    torchvision.ops.nms = torchvision.ops.boxes.nms = _nms
    for name in ("torchvision.ops", "torchvision.ops.roi_align", "torchvision.ops.poolers",
                 "torchvision.models.detection.roi_heads"):
        importlib.import_module(name).roi_align = _roi_align


def import_torchvision() -> ModuleType:
    """torchvision, with its compiled operators when they load, else with ours for NMS and RoIAlign."""
    if "fallback" not in _state:
        fallback = not _compiled_ops_load()
        if fallback:
            _define_ops()
            _patch(importlib.import_module("torchvision"))
        _state["fallback"] = fallback
    return importlib.import_module("torchvision")


def uses_fallback_ops() -> bool:
    """Whether torchvision runs on the kernels defined here (its compiled operators did not load)."""
    import_torchvision()
    return _state["fallback"]
