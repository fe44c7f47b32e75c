"""Per-video detections and their assembly into VideoPose3D's 2D file.

A detection job (`stages.detect`) writes one file per subject and camera: for each sequence the COCO-17
keypoints with their scores, the person boxes, and which frames had no detection, all in pixels of the
camera's full resolution. Assembly fills the frames without a detection by linear interpolation per
coordinate between the nearest detected frames (a gap at the start or end takes the nearest detection), as
VideoPose3D's `prepare_data_2d_custom.py` does, and writes `positions_2d[subject][sequence][camera]`
float32 (T, 17, 2) with COCO layout metadata: the format of VideoPose3D's `data_2d_h36m_<detector>.npz`.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from poselift.io.atomic import atomic_path

JOINTS = 17  # COCO keypoints
# keypoints.source values detected on video by the rules (their 2D file is the assembled one, not import_path)
VIDEO_DETECTORS = ("cpn", "keypointrcnn")


@dataclass(frozen=True)
class VideoDetections:
    keypoints: np.ndarray  # (T, 17, 3) float32: x, y in full-resolution pixels and a score; NaN where missing
    boxes: np.ndarray  # (T, 4) float32 x0 y0 x1 y1, full-resolution pixels, the boxes the keypoints came from
    missing: np.ndarray  # (T,) bool: no person detected in the frame

    def __post_init__(self) -> None:
        frames = len(self.missing)
        if self.keypoints.shape != (frames, JOINTS, 3) or self.boxes.shape != (frames, 4):
            raise ValueError(f"detections of {frames} frames need keypoints ({frames}, {JOINTS}, 3) and boxes "
                             f"({frames}, 4), got {self.keypoints.shape} and {self.boxes.shape}")


def write_detections(path: str | os.PathLike, subject: str, camera: str,
                     videos: Mapping[str, VideoDetections], detector: str) -> Path:
    """One subject's and camera's detections, per sequence, as npz (atomically)."""
    arrays = {"subject": np.array(subject), "camera": np.array(camera), "detector": np.array(detector),
              "sequences": np.array(list(videos), dtype=str)}
    for i, found in enumerate(videos.values()):
        arrays.update({f"keypoints_{i}": found.keypoints.astype(np.float32),
                       f"boxes_{i}": found.boxes.astype(np.float32), f"missing_{i}": found.missing.astype(bool)})
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)
    return Path(path)


def read_detections(path: str | os.PathLike) -> tuple[str, str, str, dict[str, VideoDetections]]:
    """(subject, camera, detector, {sequence: detections}) of a file written by `write_detections`."""
    path = Path(path)
    try:
        with np.load(path) as data:
            sequences = [str(s) for s in data["sequences"]]
            videos = {s: VideoDetections(data[f"keypoints_{i}"], data[f"boxes_{i}"], data[f"missing_{i}"])
                      for i, s in enumerate(sequences)}
            return str(data["subject"]), str(data["camera"]), str(data["detector"]), videos
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path}: not a detections file written by write_detections ({err})") from err


def fill_missing(keypoints: np.ndarray, missing: np.ndarray, where: str) -> np.ndarray:
    """(T, J, 2) keypoints with the `missing` (T,) frames filled by linear interpolation per coordinate
    between the nearest detected frames; frames before the first (after the last) detection take the
    first (last) one. ValueError naming `where` when no frame has a detection."""
    keypoints = np.asarray(keypoints, dtype=np.float32)
    missing = np.asarray(missing, dtype=bool) | ~np.isfinite(keypoints).all(axis=(1, 2))
    if missing.all():
        raise ValueError(f"{where}: no frame of {len(missing)} has a detection; nothing to interpolate from")
    if not missing.any():
        return keypoints.copy()
    frames = np.arange(len(keypoints))
    known = frames[~missing]
    flat = keypoints.reshape(len(keypoints), -1)  # (T, J * 2)
    filled = np.stack([np.interp(frames, known, flat[~missing, k]) for k in range(flat.shape[1])], axis=1)
    return filled.reshape(keypoints.shape).astype(np.float32)


def assemble(files: Sequence[str | os.PathLike], camera_ids: Sequence[str]
             ) -> tuple[dict[str, dict[str, list[np.ndarray]]], list[dict]]:
    """positions_2d[subject][sequence] = [(T, 17, 2) float32 per camera, in `camera_ids` order] from the
    detection files of every subject and camera, and per sequence and camera how many frames were filled.
    ValueError when a subject's camera file is missing, given twice, or its sequences differ between
    cameras."""
    found: dict[str, dict[str, tuple[Path, dict[str, VideoDetections]]]] = {}
    for file in files:
        subject, camera, _, videos = read_detections(file)
        if camera in found.setdefault(subject, {}):
            raise ValueError(f"{file}: subject {subject} camera {camera} again (also {found[subject][camera][0]})")
        found[subject][camera] = (Path(file), videos)
    positions: dict[str, dict[str, list[np.ndarray]]] = {}
    filled: list[dict] = []
    wanted = list(camera_ids)
    for subject in sorted(found):
        have = found[subject]
        absent = [c for c in wanted if c not in have]
        if absent:
            raise ValueError(f"subject {subject}: no detections of camera(s) {', '.join(absent)}")
        first_path, first = have[wanted[0]]
        for camera in wanted[1:]:
            path, videos = have[camera]
            if set(videos) != set(first):
                raise ValueError(f"subject {subject}: {path} (camera {camera}) has sequences "
                                 f"{sorted(set(videos) ^ set(first))} that {first_path} (camera {wanted[0]}) "
                                 f"does not, or the other way round")
        positions[subject] = {}
        for sequence in first:
            positions[subject][sequence] = []
            for camera in wanted:
                path, videos = have[camera]
                video = videos[sequence]
                where = f"{path}: subject {subject}, action {sequence!r}, camera {camera}"
                positions[subject][sequence].append(fill_missing(video.keypoints[..., :2], video.missing, where))
                filled.append({"subject": subject, "sequence": sequence, "camera": camera,
                               "frames": len(video.missing), "filled": int(video.missing.sum())})
    return positions, filled
