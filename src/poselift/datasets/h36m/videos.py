"""Where Human3.6M keeps its videos and person boxes.

One video per sequence and camera, `S*/Videos/<raw action>.<camera id>.mp4` with the raw action names of its
D3_Positions files (`TakingPhoto 1`, not VideoPose3D's `Photo 1`), at 50 fps, 1000x1002 (cameras 54138969,
60457274) or 1000x1000 pixels; its ground-truth person boxes, made from its background-subtraction masks, sit
under `S*/MySegmentsMat/ground_truth_bb/`. The S11 `Directions` video of camera 54138969 is corrupt, which is
why VideoPose3D drops that sequence (`H36M.dropped`) for all cameras.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from poselift.datasets.h36m.calibration import CAMERA_IDS
from poselift.datasets.h36m.names import DROPPED, raw_sequence_name
from poselift.io.video import VideoError


def _check_sequence(subject: str, sequence: str) -> None:
    if (subject, sequence) in DROPPED:
        raise VideoError(f"{subject} {sequence!r} is left out of Human3.6M as VideoPose3D does (its video of "
                         f"camera 54138969 is corrupt): it has no video in the layout")


def h36m_video_path(root: str | os.PathLike, subject: str, sequence: str, camera: str) -> Path:
    """`root/S*/Videos/<raw action>.<camera id>.mp4` of a sequence (VideoPose3D's name, e.g. 'Photo 1');
    VideoError for a dropped sequence."""
    _check_sequence(subject, sequence)
    return Path(root) / subject / "Videos" / f"{raw_sequence_name(sequence)}.{camera}.mp4"


def h36m_boxes_path(root: str | os.PathLike, subject: str, sequence: str, camera: str) -> Path:
    """The person boxes of a video: `root/S*/MySegmentsMat/ground_truth_bb/<raw action>.<camera id>.npz`
    (where Human3.6M keeps its boxes as .mat files; ours are npz, see `write_boxes`)."""
    _check_sequence(subject, sequence)
    return Path(root) / subject / "MySegmentsMat" / "ground_truth_bb" / f"{raw_sequence_name(sequence)}.{camera}.npz"


def h36m_videos(root: str | os.PathLike, subjects: Sequence[str], sequences: Sequence[str],
                cameras: Sequence[str] = CAMERA_IDS) -> list[tuple[str, str, str, Path]]:
    """(subject, sequence, camera, video path) of every combination, dropped sequences left out."""
    return [(s, q, c, h36m_video_path(root, s, q, c)) for s in subjects for q in sequences
            if (s, q) not in DROPPED for c in cameras]
