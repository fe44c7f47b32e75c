"""What the pipeline knows of a data set: one `Dataset` object per data set.

A description holds the facts every stage needs and no stage may hard-code: subjects and the default
split, actions and how sequence names map to them, cameras per subject (calibration, resolution),
the 3D skeleton and the joints a model lifts to, the 2D layout of the ground truth, the frame rate,
sequences left out, and how evaluation groups sequences (by base action, VideoPose3D's
`action.split(' ')[0]`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from poselift.geometry.cameras import Camera
from poselift.geometry.layouts import Layout
from poselift.geometry.skeleton import Skeleton


def _same_name(name: str) -> str:
    return name


@dataclass(frozen=True, eq=False)
class Dataset:
    """A data set's description (see the module docstring). Instances are module-level constants."""

    key: str  # its value of params `data.dataset`
    name: str  # its name in VideoPose3D's file names: data_3d_<name>.npz, data_2d_<name>_<source>.npz
    title: str  # for people: "Human3.6M"
    fps: float  # frames per second of its sequences
    skeleton: Skeleton  # the joints of its 3D file (world frame, metres)
    lifted_joints: tuple[int, ...]  # indices into `skeleton` of the joints a model predicts, in order
    lifted_skeleton: Skeleton  # the tree of those joints (parents re-attached where joints were dropped)
    layout: Layout  # 2D layout of its ground truth, the lifted joints in the same order
    actions: tuple[str, ...]  # base actions of its sequences
    study_actions: tuple[str, ...]  # actions with a model of their own, scored in the study (a subset of actions)
    short_names: Mapping[str, str]  # action -> column label in tables
    subjects: tuple[str, ...]  # subjects with 3D poses and camera extrinsics
    unlabeled_subjects: tuple[str, ...]  # subjects that 2D files may hold without 3D poses
    subjects_train: tuple[str, ...]  # the default split (VideoPose3D's)
    subjects_test: tuple[str, ...]
    camera_ids: tuple[str, ...]  # in the order of every 2D list of its files
    sequence_pattern: re.Pattern  # a sequence name; group `base` is the base action
    dropped: tuple[tuple[str, str], ...]  # (subject, sequence) left out of the data, as VideoPose3D does
    calibrate: Callable[[str], list[Camera]] = field(repr=False)  # subject -> its cameras, camera_ids order
    rename: Callable[[str], str] = field(default=_same_name, repr=False)  # a raw sequence name -> VideoPose3D's
    subject_label: Callable[[str], str] = field(default=_same_name, repr=False)  # a subject as tables print it
    read_raw: Callable[..., dict] | None = field(default=None, repr=False)  # (root, fmt, subjects, progress) -> 3D
    raw_formats: tuple[str, ...] = ()  # `data.source` values read by `read_raw` (Human3.6M: cdf, h5)
    synthetic_route: str = "npz"  # how `prepare` reads the embedded synthetic data set: a raw format or npz
    # Where its videos and person boxes lie under a root: (root, subject, sequence, camera id) -> path; None:
    # no video layout (the video stages refuse the data set).
    video_path: Callable[..., Path] | None = field(default=None, repr=False)
    boxes_path: Callable[..., Path] | None = field(default=None, repr=False)
    # Ground-truth COCO-17 keypoints of its 3D poses: (positions (T, J, 3) world metres, camera) -> (T, 17, 2)
    # full-resolution pixels (face joints made from the head); None: not defined (no CPN fine-tuning).
    coco_keypoints: Callable[..., np.ndarray] | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()  # what a user must know (unpublished calibration, corrupted mocap)

    def __post_init__(self) -> None:
        if not set(self.study_actions) <= set(self.actions):
            raise ValueError(f"{self.key}: study actions {self.study_actions} are not all actions")
        sizes = {len(self.lifted_joints), self.layout.num_joints, self.lifted_skeleton.num_joints}
        if len(sizes) != 1:
            raise ValueError(f"{self.key}: lifted joints, their skeleton and the 2D layout disagree in size")

    # --- Sequences and actions

    def parse_action(self, name: str) -> str | None:
        """The base action of a sequence name ('Sitting 2' -> 'Sitting'), or None if the name is not one
        of this data set's sequence names."""
        match = self.sequence_pattern.match(name)
        return match.group("base") if match is not None and match.group("base") in self.actions else None

    def is_action(self, name: str, action: str) -> bool:
        """Exact match of a sequence name to a base action: `Sitting` takes `Sitting`, `Sitting 1`,
        `Sitting 2`, never `SittingDown` (VideoPose3D's prefix filter `-a Sitting` takes both)."""
        return self.parse_action(name) == action

    def select(self, names: Iterable[str], actions: Iterable[str]) -> list[str]:
        """The sequence names of any of `actions`, in the given order."""
        wanted = set(actions)
        return [n for n in names if self.parse_action(n) in wanted]

    @staticmethod
    def base_action(name: str) -> str:
        """'Sitting 2' -> 'Sitting': the group VideoPose3D's evaluation averages over."""
        return name.split(" ")[0]

    def is_dropped(self, subject: str, sequence: str) -> bool:
        return (subject, sequence) in self.dropped

    def check_actions(self, actions: Iterable[str], what: str) -> None:
        unknown = [a for a in actions if a not in self.study_actions]
        if unknown:
            raise ValueError(f"{what}: {', '.join(map(repr, unknown))} not among the study actions of {self.title} "
                             f"({', '.join(self.study_actions)})")

    # --- Subjects and cameras

    @property
    def known_subjects(self) -> tuple[str, ...]:
        return (*self.subjects, *self.unlabeled_subjects)

    def cameras(self, subject: str) -> list[Camera]:
        """The cameras of a subject, in file order; KeyError for a subject without calibration."""
        return list(_cameras(self, subject))

    def camera_label(self, index: int) -> str:
        return self.camera_ids[index] if 0 <= index < len(self.camera_ids) else "?"

    @property
    def has_intrinsics(self) -> bool:
        """Whether projecting its 3D poses is possible (HumanEva-I's intrinsics are not published)."""
        return all(c.has_intrinsics for c in self.cameras(self.subjects[0]))

    # --- Joints

    def lift_joints(self, positions: np.ndarray) -> np.ndarray:
        """Poses (..., J, C) of the 3D file's skeleton (or already lifted) -> the lifted joints (..., J', C)."""
        if positions.shape[-2] == len(self.lifted_joints):
            return positions
        if positions.shape[-2] != self.skeleton.num_joints:
            raise ValueError(f"expected {self.skeleton.num_joints} ({self.title} skeleton) or "
                             f"{len(self.lifted_joints)} joints, got shape {positions.shape}")
        return positions[..., list(self.lifted_joints), :]


@cache
def _cameras(dataset: Dataset, subject: str) -> tuple[Camera, ...]:
    if subject not in dataset.known_subjects:
        raise KeyError(f"no {dataset.title} calibration for subject {subject!r}; known: "
                       f"{', '.join(dataset.known_subjects)}")
    return tuple(dataset.calibrate(subject))


def sequence_pattern(chunked: bool) -> re.Pattern:
    """A base action (letters), optionally a space and a take number, for chunked data sets optionally
    a space and `chunk<n>` (HumanEva-I's valid stretches of a take: 'Walking 1 chunk0')."""
    chunk = r"(?: chunk(?P<chunk>\d+))?" if chunked else ""
    return re.compile(rf"^(?P<base>[A-Za-z]+)(?: (?P<take>\d+))?{chunk}$")
