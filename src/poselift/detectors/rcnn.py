"""Person boxes from Mask R-CNN and COCO keypoints from Keypoint R-CNN (He et al., ICCV 2017), torchvision's.

The models are torchvision's `maskrcnn_resnet50_fpn` and `keypointrcnn_resnet50_fpn`, built offline
(no weights downloaded) as torchvision builds them for its COCO weights: batch norm frozen, with eps 0.
Their weights come from a file in torchvision's own format, a plain state dict such as the torch hub
files `maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth` and `keypointrcnn_resnet50_fpn_coco-fc266e95.pth`,
loaded strictly: there is no default file, and a file that is missing or does not fit the model is
refused, so a detector never runs on random weights.

Frames are uint8 RGB images (H, W, 3); the models take them as float in [0, 1] and resize (shorter
side `min_size`, longer side at most `max_size`) and normalise them themselves, and give boxes and
keypoints in the frame's pixels. Per frame the highest-scoring person (COCO label 1) scoring above
the threshold is kept, as VideoPose3D's in-the-wild route keeps one person per frame; frames
without one are flagged.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from poselift.detectors.torchvision_ops import import_torchvision

COCO_PERSON = 1  # the person label in COCO's category ids, which both models use


@dataclass(frozen=True)
class RCNNModel:
    constructor: str  # the builder in torchvision.models.detection
    weights_file: str  # torch hub's name of its COCO weights


MODELS = {
    "maskrcnn": RCNNModel("maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth"),
    "keypointrcnn": RCNNModel("keypointrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn_coco-fc266e95.pth"),
}


class WeightsError(ValueError):
    """A detector weights file that is missing, unreadable or does not fit the model."""


@dataclass(frozen=True)
class PersonBoxes:
    boxes: np.ndarray  # (T, 4) float32, pixels x1 y1 x2 y2; NaN in missing frames
    scores: np.ndarray  # (T,) float32, the box's class score; NaN in missing frames
    missing: np.ndarray  # (T,) bool: no person scored above the threshold


@dataclass(frozen=True)
class PersonKeypoints(PersonBoxes):
    keypoints: np.ndarray  # (T, 17, 2) float32, pixels x y, COCO-17 order; NaN in missing frames
    keypoint_scores: np.ndarray  # (T, 17) float32, heatmap maxima (logits); NaN in missing frames


def load_rcnn(kind: str, weights: str | Path, param: str, *, min_size: int, max_size: int,
              box_score_thresh: float, detections_per_img: int = 100) -> nn.Module:
    """The detector `kind` ("maskrcnn" or "keypointrcnn") with the weights in file `weights`, in eval mode.

    `param` names the parameter that gave the path, for the error message. `min_size`, `max_size`:
    the models' resizing. `box_score_thresh`, `detections_per_img` (torchvision's 100 by default):
    the detections kept inside the model, all classes together, before its mask or keypoint head runs
    on each of them (on a CPU that head costs most of the time). Raises `WeightsError` when the file is
    missing, is not a state dict, or its keys or shapes differ from the model's.
    """
    if kind not in MODELS:
        raise ValueError(f"unknown detector {kind!r}; known: {', '.join(MODELS)}")
    spec, path = MODELS[kind], Path(weights)
    state = _read_state_dict(path, param, spec)
    options = {"min_size": min_size, "max_size": max_size, "box_score_thresh": box_score_thresh,
               "box_detections_per_img": detections_per_img}
    with torch.device("meta"):  # the parameter layout only: built in no time, no memory, no initialisation
        problems = _mismatches(_build(spec, **options), state)
    if problems:
        raise WeightsError(_message(param, path, spec, f"does not fit {spec.constructor}: {'; '.join(problems)}"))
    model = _build(spec, **options)
    model.load_state_dict(state, strict=True)
    return model.eval()


def _message(param: str, path: Path, spec: RCNNModel, problem: str) -> str:
    return (f"{param} = {path}: {problem}. Expected torchvision's COCO weights of {spec.constructor}, a plain "
            f"state dict file like {spec.weights_file} (as in torch hub's checkpoints folder)")


def _read_state_dict(path: Path, param: str, spec: RCNNModel) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise WeightsError(_message(param, path, spec, "no such file"))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise WeightsError(_message(param, path, spec, f"cannot be read as a state dict ({first})")) from err
    if not isinstance(state, Mapping):
        raise WeightsError(_message(param, path, spec, f"holds a {type(state).__name__}, not a state dict"))
    not_tensors = [f"{key!r} ({type(value).__name__})" for key, value in state.items()
                   if not (isinstance(key, str) and isinstance(value, torch.Tensor))]
    if not_tensors:
        raise WeightsError(_message(param, path, spec, "not a state dict of parameter names and tensors: "
                                                        f"{_first(not_tensors)}"))
    return dict(state)


def _build(spec: RCNNModel, **options) -> nn.Module:
    """torchvision's model without weights, its batch norm frozen with eps 0 (torchvision's COCO models)."""
    torchvision = import_torchvision()
    constructor = getattr(torchvision.models.detection, spec.constructor)
    model = constructor(weights=None, weights_backbone=None, **options)
    frozen = torchvision.ops.misc.FrozenBatchNorm2d
    for module in list(model.modules()):
        for name, child in module.named_children():
            if isinstance(child, nn.BatchNorm2d):
                setattr(module, name, frozen(child.num_features, eps=0.0))
    return model


def _mismatches(model: nn.Module, state: Mapping[str, torch.Tensor]) -> list[str]:
    """What keeps `state` from loading strictly: missing and unexpected keys, wrong shapes. Batch-norm
    counters (`num_batches_tracked`) of frozen batch norm are dropped on loading, as torchvision does."""
    expected = model.state_dict()
    frozen_type = import_torchvision().ops.misc.FrozenBatchNorm2d
    frozen = {name for name, module in model.named_modules() if isinstance(module, frozen_type)}
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected
                  and not (key.endswith(".num_batches_tracked") and key.rsplit(".", 1)[0] in frozen)]
    shapes = [f"{key} {tuple(state[key].shape)} in the file, {tuple(value.shape)} in the model"
              for key, value in expected.items() if key in state and state[key].shape != value.shape]
    problems = []
    if missing:
        problems.append(f"{len(missing)} keys missing ({_first(missing)})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected keys ({_first(unexpected)})")
    if shapes:
        problems.append(f"{len(shapes)} shapes differ ({_first(shapes)})")
    return problems


def _first(items: list[str], n: int = 3) -> str:
    return ", ".join(items[:n]) + (f", ... ({len(items) - n} more)" if len(items) > n else "")


def select_person(detection: Mapping[str, torch.Tensor], score_threshold: float) -> int | None:
    """Index of the highest-scoring person scoring above `score_threshold` in one frame's detections
    (torchvision's output: `labels` (N,), `scores` (N,)), or None."""
    scores = torch.where(detection["labels"] == COCO_PERSON, detection["scores"], -torch.inf)
    if scores.numel() == 0 or not bool(scores.max() > score_threshold):
        return None
    return int(torch.argmax(scores))


def person_boxes(model: nn.Module, frames: Iterable[np.ndarray], score_threshold: float, *,
                 batch_size: int) -> PersonBoxes:
    """Per frame the box of the highest-scoring person above `score_threshold`, or none (`missing`)."""
    boxes, scores = [], []
    for detection in _detections(model, frames, batch_size):
        i = select_person(detection, score_threshold)
        boxes.append([np.nan] * 4 if i is None else detection["boxes"][i].tolist())
        scores.append(np.nan if i is None else detection["scores"][i].item())
    scores = np.asarray(scores, np.float32)
    return PersonBoxes(np.asarray(boxes, np.float32).reshape(-1, 4), scores, np.isnan(scores))


def keypointrcnn_keypoints(model: nn.Module, frames: Iterable[np.ndarray], score_threshold: float, *,
                           batch_size: int) -> PersonKeypoints:
    """Per frame the COCO-17 keypoints of the highest-scoring person above `score_threshold`, with
    their scores and the person's box; frames without one are `missing`."""
    boxes, scores, keypoints, keypoint_scores = [], [], [], []
    joints = 17
    for detection in _detections(model, frames, batch_size):
        if "keypoints" not in detection:
            raise ValueError("the model gives no keypoints: keypointrcnn_keypoints needs a Keypoint R-CNN")
        joints = detection["keypoints"].shape[1]
        i = select_person(detection, score_threshold)
        boxes.append(np.full(4, np.nan) if i is None else detection["boxes"][i].numpy())
        scores.append(np.nan if i is None else detection["scores"][i].item())
        keypoints.append(np.full((joints, 2), np.nan) if i is None else detection["keypoints"][i, :, :2].numpy())
        keypoint_scores.append(np.full(joints, np.nan) if i is None else detection["keypoints_scores"][i].numpy())
    scores = np.asarray(scores, np.float32)
    return PersonKeypoints(np.asarray(boxes, np.float32).reshape(-1, 4), scores, np.isnan(scores),
                           np.asarray(keypoints, np.float32).reshape(-1, joints, 2),
                           np.asarray(keypoint_scores, np.float32).reshape(-1, joints))


def _detections(model: nn.Module, frames: Iterable[np.ndarray], batch_size: int) -> Iterator[dict]:
    """torchvision's detections (boxes, labels, scores; keypoints, keypoints_scores) per frame, on
    the CPU; the model runs in eval mode without gradients on `batch_size` frames at a time."""
    model.eval()
    device = next(model.parameters()).device
    batch = []
    for index, frame in enumerate(frames):
        batch.append(_frame_tensor(frame, index))
        if len(batch) == batch_size:
            yield from _run(model, batch, device)
            batch = []
    if batch:
        yield from _run(model, batch, device)


def _run(model: nn.Module, batch: list[torch.Tensor], device: torch.device) -> Iterator[dict]:
    keys = ("boxes", "labels", "scores", "keypoints", "keypoints_scores")
    with torch.no_grad():
        outputs = model([image.to(device) for image in batch])
    for output in outputs:
        yield {key: output[key].cpu() for key in keys if key in output}


def _frame_tensor(frame: np.ndarray, index: int) -> torch.Tensor:
    """A uint8 RGB frame (H, W, 3) as the models' input, float (3, H, W) in [0, 1]."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"frame {index}: expected a uint8 RGB image (H, W, 3), got {frame.dtype} {frame.shape}")
    return torch.tensor(frame).permute(2, 0, 1).float().div_(255)
