"""VideoPose3D's 2D format for videos of its "custom" data set (`data_2d_custom_<name>.npz`).

VideoPose3D's in-the-wild route (`data/prepare_data_2d_custom.py`, read by `CustomDataset` with
`run.py -d custom -k <name>`) stores, like its other 2D files, two pickled dicts:

- `positions_2d = {video name: {'custom': [float32 (T, J, 2)]}}`: one "action" called `custom` holding
  a list of one camera, the keypoints in pixels of the video frame;
- `metadata`: the layout's metadata (`layout_name`, `num_joints`, `keypoints_symmetry`) plus
  `video_metadata = {video name: {'w': width, 'h': height}}`, the frame size in pixels.

`CustomDataset` makes one subject per `video_metadata` entry and looks its keypoints up in
`positions_2d`, so every video needs both. The npz is written by `poselift.io.formats.save_2d`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from poselift.geometry.layouts import Layout, infer_layout, layout
from poselift.io.formats import FormatError, load_2d, save_2d

ACTION = "custom"  # the one action name of every video in the custom data set


def _keypoints_problem(keypoints: object, lay: Layout) -> str | None:
    """What is wrong with one video's keypoints for `lay`, or None."""
    if not isinstance(keypoints, np.ndarray):
        return f"keypoints are a {type(keypoints).__name__}, expected an array"
    if keypoints.ndim != 3 or keypoints.shape[1:] != (lay.num_joints, 2):
        return f"keypoints of shape {keypoints.shape}, expected (T, {lay.num_joints}, 2) for layout {lay.name!r}"
    if len(keypoints) == 0:
        return "no frames (T = 0)"
    if keypoints.dtype.kind not in "fiu":
        return f"keypoints of dtype {keypoints.dtype}, expected numbers"
    if not np.isfinite(keypoints).all():
        bad = np.flatnonzero(~np.isfinite(keypoints).all(axis=(1, 2)))
        return f"non-finite keypoints in {len(bad)} frames (first: {bad[0]})"
    return None


def _size_problem(size: object) -> str | None:
    """What is wrong with one video's (width, height) in pixels, or None."""
    try:
        width, height = size
    except (TypeError, ValueError):
        return f"frame size {size!r} is not (width, height)"
    if not all(isinstance(v, int | np.integer) and v > 0 for v in (width, height)):
        return f"frame size {size!r} is not two positive integers"
    return None


def write_custom(path: str | os.PathLike, keypoints: Mapping[str, np.ndarray],
                 sizes: Mapping[str, tuple[int, int]], layout_name: str = "coco") -> Path:
    """Write `data_2d_custom_<name>.npz` as VideoPose3D's `prepare_data_2d_custom.py` lays it out.

    keypoints: video name -> (T, J, 2) pixels, J the joint count of `layout_name` (stored float32).
    sizes: video name -> (width, height) of its frames, pixels. Both must name the same videos.
    The file is written atomically; invalid input raises ValueError naming the file and video and
    writes nothing.
    """
    path = Path(path)
    lay = layout(layout_name)
    if not keypoints:
        raise ValueError(f"{path}: no videos to write")
    if set(keypoints) != set(sizes):
        raise ValueError(f"{path}: keypoints and sizes must name the same videos; only keypoints: "
                         f"{sorted(set(keypoints) - set(sizes))}, only sizes: {sorted(set(sizes) - set(keypoints))}")
    for video, kp in keypoints.items():
        problem = _keypoints_problem(np.asarray(kp), lay) or _size_problem(sizes[video])
        if problem:
            raise ValueError(f"{path}: video {video!r}: {problem}")
    metadata = lay.metadata()
    metadata["video_metadata"] = {video: {"w": int(w), "h": int(h)} for video, (w, h) in sizes.items()}
    save_2d(path, {video: {ACTION: [np.asarray(kp)]} for video, kp in keypoints.items()}, metadata)
    return path


def _video_keypoints(path: Path, video: str, actions: dict, lay: Layout) -> np.ndarray:
    if ACTION not in actions:
        raise FormatError(f"{path}: video {video!r} has no {ACTION!r} entry (has: {', '.join(map(repr, actions))})")
    cameras = actions[ACTION]
    if not isinstance(cameras, list | tuple) or len(cameras) != 1:
        raise FormatError(f"{path}: video {video!r}: {ACTION!r} must be a list of one array (one camera)")
    problem = _keypoints_problem(cameras[0], lay)
    if problem:
        raise FormatError(f"{path}: video {video!r}: {problem}")
    return cameras[0].astype(np.float32, copy=False)


def read_custom(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, tuple[int, int]], Layout]:
    """Read a `data_2d_custom_<name>.npz`: keypoints (video -> float32 (T, J, 2) pixels), sizes (video ->
    (width, height) pixels) and the layout. FormatError, naming the file and the video, for a file that
    VideoPose3D's `CustomDataset` could not use."""
    path = Path(path)
    positions_2d, metadata = load_2d(path)
    try:
        lay = infer_layout(metadata)
    except (ValueError, TypeError) as err:
        raise FormatError(f"{path}: bad metadata: {err}") from None
    video_metadata = metadata.get("video_metadata")
    if not isinstance(video_metadata, dict):
        raise FormatError(f"{path}: metadata has no 'video_metadata' dict of frame sizes")
    if not positions_2d:
        raise FormatError(f"{path}: no videos")
    unmatched = sorted(video_metadata.keys() - positions_2d.keys())
    if unmatched:
        raise FormatError(f"{path}: video {unmatched[0]!r} has a 'video_metadata' entry but no keypoints")
    keypoints, sizes = {}, {}
    for video, actions in positions_2d.items():
        if video not in video_metadata:
            raise FormatError(f"{path}: video {video!r} has no 'video_metadata' entry (its frame size)")
        entry = video_metadata[video]
        size = (entry.get("w"), entry.get("h")) if isinstance(entry, dict) else entry
        problem = _size_problem(size)
        if problem:
            raise FormatError(f"{path}: video {video!r}: 'video_metadata' {problem}")
        keypoints[video] = _video_keypoints(path, video, actions, lay)
        sizes[video] = (int(size[0]), int(size[1]))
    return keypoints, sizes, lay
