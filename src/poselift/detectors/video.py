"""Keypoints of a video's frames: the detector a setting names, run on the frames at the video's scale.

Shared by the stages that read videos (`detect`, `boxes`, `finetune_cpn`, `wild`): a video's scale against
the camera's full resolution, the ground-truth boxes of a video checked against it, the detector
(`cpn` on person boxes or torchvision's `keypointrcnn` on the whole frame) and one video's detections in
full-resolution pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from poselift.detectors.cpn import load_cpn, records_input_size
from poselift.detectors.heatmaps import detect_keypoints
from poselift.detectors.rcnn import keypointrcnn_keypoints, load_rcnn
from poselift.io.video import VideoError, read_boxes
from poselift.keypoints.assembly import VIDEO_DETECTORS, VideoDetections


def video_scale(info, camera, where: str) -> float:
    """Video pixels per full-resolution pixel: the video must keep the camera's aspect ratio (to a pixel,
    the odd sizes that H.264 pads to even)."""
    scale = info.width / camera.res_w
    if abs(info.height - camera.res_h * scale) > 1.5:
        raise VideoError(f"{where}: the video is {info.width}x{info.height} pixels, not the camera's "
                         f"{camera.res_w}x{camera.res_h} at any one scale")
    return scale


def gt_boxes(path: Path, frames: int, camera, where: str) -> np.ndarray:
    """(T, 4) boxes in full-resolution pixels from a boxes file, checked against the video."""
    boxes, size = read_boxes(path)
    if len(boxes) != frames:
        raise VideoError(f"{path}: {len(boxes)} boxes for the {frames} frames of the video{where}")
    if tuple(size) != (camera.res_w, camera.res_h):
        raise VideoError(f"{path}: boxes of a {size[0]}x{size[1]} frame, the camera has {camera.res_w}x"
                         f"{camera.res_h}{where}")
    return boxes


def load_detector(detector: str, settings: dict, cpn: Path | None, device: torch.device) -> torch.nn.Module:
    if detector not in VIDEO_DETECTORS:
        raise ValueError(f"unknown detector {detector!r}; known: {', '.join(VIDEO_DETECTORS)}")
    if detector == "cpn":
        if cpn is None:
            raise ValueError("the cpn detector needs --cpn (detect.cpn_weights)")
        input_size = None if records_input_size(cpn) else settings["cpn_input_size"]  # pytorch-cpn's do not
        model, _ = load_cpn(cpn, input_size=input_size)
        return model.to(device)
    if not settings["keypointrcnn_weights"]:
        raise ValueError("the keypointrcnn detector needs detect.keypointrcnn_weights: to torchvision's "
                         "keypointrcnn_resnet50_fpn_coco-fc266e95.pth")
    return _load_rcnn("keypointrcnn", settings, device)


def load_person_detector(settings: dict, device: torch.device) -> torch.nn.Module:
    """Mask R-CNN for person boxes, on `device`, with the `detect` settings' weights (detect.maskrcnn_weights),
    resizing and person score threshold."""
    return _load_rcnn("maskrcnn", settings, device)


def _load_rcnn(kind: str, settings: dict, device: torch.device) -> torch.nn.Module:
    weights = f"{kind}_weights"
    return load_rcnn(kind, settings[weights] or "", f"detect.{weights}", min_size=settings["rcnn_min_size"],
                     max_size=settings["rcnn_max_size"], box_score_thresh=settings["person_threshold"]).to(device)


def detect_video(model, detector: str, settings: dict, frames: np.ndarray, boxes: np.ndarray | None, scale: float
                 ) -> VideoDetections:
    """One video's detections in full-resolution pixels; `frames` at `scale` of that resolution."""
    if detector == "cpn":
        keypoints = detect_keypoints(model, frames, boxes * scale, batch_size=settings["batch_size"],
                                     flip_test=settings["flip_test"])  # (T, 17, 3), video pixels
        keypoints[..., :2] /= scale
        missing = ~np.isfinite(keypoints).all(axis=(1, 2))
        return VideoDetections(keypoints, boxes.astype(np.float32), missing)
    found = keypointrcnn_keypoints(model, frames, settings["person_threshold"], batch_size=settings["batch_size"])
    keypoints = np.concatenate([found.keypoints / scale, found.keypoint_scores[..., None]], axis=-1)
    return VideoDetections(keypoints.astype(np.float32), (found.boxes / scale).astype(np.float32), found.missing)
