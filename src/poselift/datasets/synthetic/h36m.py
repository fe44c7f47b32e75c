"""The embedded data set in Human3.6M's raw layout: `D3_Positions` CDF files, read by `prepare` as Human3.6M's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from poselift.datasets.h36m import H36M
from poselift.datasets.h36m.names import raw_sequence_name
from poselift.datasets.h36m.raw import CDF_SUBDIR, write_pose_cdf
from poselift.datasets.synthetic.dataset import (
    SEQUENCES,
    SUBJECTS,
    check_subject,
    generate_sequence,
    problems,
    subject_style,
)
from poselift.geometry.cameras import Camera

__all__ = ["SUBJECTS", "figure_camera", "sources", "write"]


def write(seed: int, settings: dict, directory: Path) -> dict[str, np.ndarray]:
    """Write `<directory>/<S>/MyPoseFeatures/D3_Positions/<Action>[ n].cdf` (variable `Pose`, (1, N, 96)
    float32, millimetres, world frame, 50 Hz; raw names such as `TakingPhoto 1`, S11 `Directions` included)
    for each subject of `settings["subjects"]`, 30 sequences of `settings["frames"]` frames each.

    Returns the first subject's first take of each action (poses (N, 32, 3), mm) for the figure.
    Raises ValueError for a sequence that fails the plausibility checks (`dataset.problems`)."""
    frames, subjects = settings["frames"], settings["subjects"]
    for subject in subjects:
        check_subject(subject)
    shown: dict[str, np.ndarray] = {}
    styles = {subject: subject_style(seed, subject) for subject in subjects}
    jobs = [(subject, sequence) for subject in subjects for sequence in SEQUENCES]
    for subject, sequence in tqdm(jobs, desc="synthesize", unit="sequence", mininterval=1.0):
        poses = generate_sequence(seed, subject, sequence, frames, styles[subject])  # (N, 32, 3), mm
        found = problems(subject, poses)
        if found:
            raise ValueError(f"synthetic {subject} {sequence!r} (seed {seed}, {frames} frames) is implausible: "
                             + "; ".join(found))
        write_pose_cdf(directory / subject / CDF_SUBDIR / f"{raw_sequence_name(sequence)}.cdf", poses)
        action = H36M.base_action(sequence)
        if subject == subjects[0] and action not in shown:
            shown[action] = poses
    return {action: shown[action] for action in H36M.actions}


def figure_camera(subject: str) -> Camera:
    return H36M.cameras(subject)[0]


def sources(directory: Path) -> tuple[Path, Path | None]:
    """What `prepare` reads of the written directory: the raw tree (and no ground-truth 2D file: it projects)."""
    return directory, None
