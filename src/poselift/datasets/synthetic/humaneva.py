"""The embedded data set in HumanEva-I's layout: the two files VideoPose3D's conversion makes of it.

What is written. For each person (S1-S3) one take ('trial 1') of each action, S3 without ThrowCatch
(its mocap is damaged in the real data), `frames` frames at 60 Hz, as VideoPose3D's
`data/prepare_data_humaneva.py` leaves it: each take split into a Validate part (its first 45-50%,
as in the real takes) and a Train part (the rest); each part cut where the motion capture dropped
out into contiguous groups numbered in order, lost and valid alike, and only the valid ones kept,
so `Walking 1 chunk0`, `Walking 1 chunk2` can follow each other. `data_3d_humaneva15.npz` holds the
15 joints ({'Train/S1': {'Walking 1 chunk0': float32 (N, 15, 3)}}, metres, world frame),
`data_2d_humaneva15_gt.npz` their projections by the cameras C1-C3 (pixels) and the `humaneva15`
layout.

The poses. A 32-joint body (`kinematics`, a person's style from `job_seed(seed, 'humaneva', person)`)
driven by `humaneva_motions`, staged in HumanEva-I's capture volume (below) and reduced to HumanEva's
15 joints, whose torso and head are rigid: the thorax is put at its standing distance from the pelvis
along the pelvis-thorax line and the head at its distance from the thorax along the thorax-head line
(the spine and neck of the body bend at several joints; the thorax moves by a few millimetres, up to
~2 cm bending far forward), the arms hang from the thorax as on the body. Every bone keeps its length.

Dropouts. Each take loses 0-2 stretches of 4 frames to a twelfth of the take at random places
(`job_seed(seed, 'humaneva', person, action, 'capture')`); a valid stretch of a part shorter than
`MIN_CHUNK` frames is lost with its neighbours (a few frames of capture beside a loss are not worth a
sequence). This keeps at least one chunk in each part for any take of 64 frames or more.

Staging. HumanEva-I's three cameras stand about 4 m from the world origin, 1.4-1.5 m high, pitched
6-10 deg down, looking across (-0.1, 0.05) m: C1 from +x, C2 from -y, C3 from +y. Each take, made in
Human3.6M's room by the motion models, is moved rigidly (turned by `STAGE_TURN` about the vertical,
shifted) so that the centre of its loop or of its standing place comes to `STAGE_CENTER`, 0.15 m to the
open -x side, away from C1: walking loops (~3 x 1.9 m) and jogging loops (~3.2 x 2.6 m) then run along
x and bring the pelvis no closer than ~2.8 m and ~2.6 m to a camera; the other actions stay within
~0.3 m of the centre, ~3.7 m from every camera.

Cameras. The extrinsics are HumanEva-I's published ones per person (`datasets.humaneva.calibration`).
The intrinsics are not published with VideoPose3D and are chosen here (`INTRINSICS`, the same for every
person since the cameras are): focal lengths of ~500 px (a horizontal field of view of ~65 deg: a
3.8 mm lens on a 1/3-inch sensor), the principal point a few pixels off the image centre, a mild
barrel distortion (k1 ~ -0.1, k2 ~ 0.06: points move inwards by ~3.5% at the image edges, ~4.5% at
the corners) and a small decentring (p ~ 1e-3), so the projection differs from a pinhole the way a
real lens does. The focal length is what keeps every joint of every take inside all three 640 x 480
images with a margin (>= ~35 px): a jogger 2.6 m from a camera, its feet 1.5 m below it, spans
~320 of the 480 rows. These numbers are not HumanEva-I's: its real 2D ground truth can only come from
its own file (`data.gt_2d_path`).

What it can and cannot tell: as for the Human3.6M version (`poselift.datasets.synthetic`), with these
additions: Jog, Box and ThrowCatch are new scripted models, Walking and Gestures reuse Human3.6M's
walking and directions; the takes are a few seconds long (the real ones ~20 s), so the chunks and
splits are at the same relative places, not of the same lengths.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
from tqdm import tqdm

from poselift.datasets.humaneva import ACTIONS, HUMANEVA, HUMANEVA_15, LAYOUT, PEOPLE, calibration, person
from poselift.datasets.synthetic.dataset import implausible, subject_style
from poselift.datasets.synthetic.humaneva_motions import MODELS
from poselift.datasets.synthetic.kinematics import JOINT, Body
from poselift.datasets.synthetic.motions import LOOP_CENTER, STAND_CENTER, Style
from poselift.datasets.synthetic.posture import pose_sequence
from poselift.geometry.cameras import Camera, project_world_to_pixels
from poselift.io.formats import save_2d, save_3d
from poselift.seeding import job_seed

__all__ = ["SUBJECTS", "figure_camera", "sources", "write"]

SUBJECTS = PEOPLE  # people; the files name them by split: Train/S1, Validate/S1
KEY = "humaneva"  # the first name of every seed of this data set, so its people differ from Human3.6M's
STAGE_CENTER = (-150.0, 0.0)  # mm, world frame: where a take's loop or standing place is centred
STAGE_TURN = np.pi / 2  # radians: Human3.6M's loops run along its y axis, here along x
LOCOMOTION = ("Walking", "Jog")  # actions centred on their loop, the others on their standing place
VALIDATE_SHARE = (0.45, 0.5)  # the first part of a take that is Validate
MIN_CHUNK = 5  # frames: a shorter valid stretch of a part is lost with its neighbours
MIN_FRAMES = 64  # a shorter take could lose a whole part
# Per camera: principal point (px), focal lengths (px), radial k1, k2, k3, tangential p1, p2.
INTRINSICS = {
    "C1": {"center": (323.4, 243.1), "focal_length": (502.0, 503.5), "radial_distortion": (-0.11, 0.06, 0.0),
           "tangential_distortion": (0.0012, -0.0008)},
    "C2": {"center": (317.8, 238.6), "focal_length": (497.5, 498.9), "radial_distortion": (-0.09, 0.05, 0.0),
           "tangential_distortion": (-0.0009, 0.0011)},
    "C3": {"center": (321.2, 236.4), "focal_length": (505.3, 506.0), "radial_distortion": (-0.12, 0.07, 0.0),
           "tangential_distortion": (0.0007, 0.0010)},
}
_FROM_32 = [JOINT[name] for name in HUMANEVA_15.names]  # HumanEva's joints among the body's (same names)
_PELVIS, _THORAX, _HEAD = (HUMANEVA_15.names.index(name) for name in ("Hip", "Thorax", "Head"))
_ARMS = [j for j, name in enumerate(HUMANEVA_15.names) if name[1:] in ("Shoulder", "Elbow", "Wrist")]


@dataclass(frozen=True)
class Chunk:
    """A contiguous stretch of one part of a take: frames [start, stop) of the whole take."""

    split: str  # 'Validate' (the first part) or 'Train'
    index: int  # its number in the part, lost stretches counted
    start: int
    stop: int
    valid: bool  # False: the capture dropped out; VideoPose3D keeps only the valid chunks

    def name(self, action: str) -> str:
        """The sequence name VideoPose3D gives it: 'Walking 1 chunk2'."""
        return f"{action} 1 chunk{self.index}"


def actions(subject: str) -> tuple[str, ...]:
    """The takes a person has: all five actions, S3 without ThrowCatch (VideoPose3D leaves out its damaged mocap)."""
    return tuple(a for a in ACTIONS if not (person(subject) == "S3" and a == "ThrowCatch"))


def cameras(subject: str) -> list[Camera]:
    """C1-C3 of a person (or a split subject 'Train/S1'): published extrinsics, the intrinsics chosen here."""
    extrinsics = calibration.EXTRINSICS[person(subject)]
    w, h = calibration.RESOLUTION
    return [Camera.from_calibration(cam_id, w, h, calibration.AZIMUTH[cam_id], **INTRINSICS[cam_id],
                                    orientation=orientation, translation_mm=translation)
            for cam_id, (orientation, translation) in zip(calibration.CAMERA_IDS, extrinsics, strict=True)]


def figure_camera(subject: str) -> Camera:
    return cameras(subject)[0]


def sources(directory: Path) -> tuple[Path, Path]:
    """What `prepare` reads of the written directory: the 3D file and the ground-truth 2D file."""
    return directory / f"data_3d_{HUMANEVA.name}.npz", directory / f"data_2d_{HUMANEVA.name}_gt.npz"


def check_person(subject: str) -> None:
    if subject not in SUBJECTS:
        raise ValueError(f"no synthetic HumanEva-I person {subject!r}: the camera rig is known for "
                         f"{', '.join(SUBJECTS)}")


def person_style(seed: int, subject: str) -> Style:
    """How a person moves in all its takes: body, gait, tempo, manner (`dataset.subject_style`)."""
    return subject_style(seed, KEY, subject)


def generate_take(seed: int, subject: str, action: str, frames: int, style: Style | None = None) -> np.ndarray:
    """A person's take of an action: poses (frames, 32, 3) of the body, mm, HumanEva-I's world frame, 60 Hz.

    `style` may be passed to save recomputing it; it must be `person_style(seed, subject)`."""
    check_person(subject)
    style = person_style(seed, subject) if style is None else style
    rng = np.random.default_rng(job_seed(seed, KEY, subject, action))
    t = np.arange(frames) / HUMANEVA.fps
    poses = pose_sequence(style.body, MODELS[action](t, rng, style, HUMANEVA.fps))  # Human3.6M's room
    origin = np.array(LOOP_CENTER if action in LOCOMOTION else STAND_CENTER)
    c, s = np.cos(STAGE_TURN), np.sin(STAGE_TURN)
    xy = poses[..., :2] - origin
    staged = poses.copy()
    staged[..., 0] = STAGE_CENTER[0] + c * xy[..., 0] - s * xy[..., 1]
    staged[..., 1] = STAGE_CENTER[1] + s * xy[..., 0] + c * xy[..., 1]
    return staged


def humaneva_joints(poses: np.ndarray, body: Body) -> np.ndarray:
    """HumanEva's 15 joints (N, 15, 3), mm, of the body's poses (N, 32, 3), mm: rigid torso and head."""
    joints = poses[:, _FROM_32].copy()  # (N, 15, 3)
    rest = body.standing()[_FROM_32]  # (15, 3), mm
    torso = joints[:, _THORAX] - joints[:, _PELVIS]
    thorax = joints[:, _PELVIS] + np.linalg.norm(rest[_THORAX] - rest[_PELVIS]) * _unit(torso)
    joints[:, _ARMS] += (thorax - joints[:, _THORAX])[:, None]
    neck = joints[:, _HEAD] - joints[:, _THORAX]
    joints[:, _HEAD] = thorax + np.linalg.norm(rest[_HEAD] - rest[_THORAX]) * _unit(neck)
    joints[:, _THORAX] = thorax
    return joints


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def problems(subject: str, joints: np.ndarray) -> list[str]:
    """What makes a take's 15 joints (N, 15, 3), mm, unlike a capture (`dataset.implausible`) in the person's
    three cameras. Empty when plausible."""
    return implausible(joints, HUMANEVA_15, cameras(subject))


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of equal values in `values` (N,), in order."""
    bounds = [0, *(np.flatnonzero(np.diff(values.astype(np.int8))) + 1).tolist(), len(values)]
    return list(pairwise(bounds))


def chunks(seed: int, subject: str, action: str, frames: int) -> list[Chunk]:
    """How a take of `frames` frames is split and cut: its chunks in order, Validate then Train."""
    rng = np.random.default_rng(job_seed(seed, KEY, subject, action, "capture"))
    cut = round(frames * rng.uniform(*VALIDATE_SHARE))
    lost = np.zeros(frames, dtype=bool)
    for _ in range(rng.choice(3, p=[0.25, 0.45, 0.3])):
        length = int(rng.integers(4, frames // 12 + 1))
        start = int(rng.integers(0, frames - length + 1))
        lost[start:start + length] = True
    found = []
    for split, begin, end in (("Validate", 0, cut), ("Train", cut, frames)):
        part = lost[begin:end].copy()
        for a, b in _runs(part):
            if not part[a] and b - a < MIN_CHUNK:
                part[a:b] = True
        found += [Chunk(split, i, begin + a, begin + b, not part[a]) for i, (a, b) in enumerate(_runs(part))]
    return found


def write(seed: int, settings: dict, directory: Path) -> dict[str, np.ndarray]:
    """Write `<directory>/data_3d_humaneva15.npz` and `data_2d_humaneva15_gt.npz` (see the module docstring)
    for each person of `settings["subjects"]`, takes of `settings["frames"]` frames.

    Returns the first person's whole take of each of its actions (15 joints (N, 15, 3), mm) for the figure.
    Raises ValueError for a take that fails the plausibility checks (`problems`)."""
    frames, people = settings["frames"], settings["subjects"]
    for subject in people:
        check_person(subject)
    if frames < MIN_FRAMES:
        raise ValueError(f"synthetic HumanEva-I takes need {MIN_FRAMES} frames or more, got {frames}")
    subjects = [f"{split}/{p}" for split in ("Train", "Validate") for p in people]
    positions_3d: dict[str, dict[str, np.ndarray]] = {s: {} for s in subjects}
    positions_2d: dict[str, dict[str, list[np.ndarray]]] = {s: {} for s in subjects}
    shown: dict[str, np.ndarray] = {}
    styles = {p: person_style(seed, p) for p in people}
    jobs = [(p, action) for p in people for action in actions(p)]
    for subject, action in tqdm(jobs, desc="synthesize", unit="take", mininterval=1.0):
        joints = humaneva_joints(generate_take(seed, subject, action, frames, styles[subject]),
                                 styles[subject].body)  # (N, 15, 3), mm
        found = problems(subject, joints)
        if found:
            raise ValueError(f"synthetic HumanEva-I {subject} {action + ' 1'!r} (seed {seed}, {frames} frames) is "
                             "implausible: " + "; ".join(found))
        metres = (joints / 1000.0).astype(np.float32)  # (N, 15, 3), m
        pixels = [project_world_to_pixels(metres, camera) for camera in cameras(subject)]  # 3 x (N, 15, 2), px
        for chunk in chunks(seed, subject, action, frames):
            if chunk.valid:
                split_subject, name = f"{chunk.split}/{subject}", chunk.name(action)
                positions_3d[split_subject][name] = metres[chunk.start:chunk.stop]
                positions_2d[split_subject][name] = [p[chunk.start:chunk.stop] for p in pixels]
        if subject == people[0]:
            shown[action] = joints
    directory.mkdir(parents=True, exist_ok=True)
    path_3d, path_2d = sources(directory)
    save_3d(path_3d, positions_3d)
    save_2d(path_2d, positions_2d, LAYOUT.metadata())
    return shown
