"""The embedded data set: every subject's 30 sequences, each reproducible on its own from the seed.

A subject's style (body, gait, tempo, gesture size, handedness) comes from `job_seed(seed, subject)`;
a sequence's randomness (its script of events, paths, which hand, start offset) from
`job_seed(seed, subject, sequence)`. So a sequence is the same whether it is generated alone or
with all the others, and changing the number of frames or subjects does not change the others.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from poselift.datasets.h36m import H36M
from poselift.datasets.h36m.calibration import EXTRINSICS
from poselift.datasets.h36m.names import S1_SEQUENCES
from poselift.datasets.h36m.skeleton import H36M_32
from poselift.datasets.synthetic.kinematics import SEGMENTS, Body, make_body
from poselift.datasets.synthetic.locomotion import STRIDE_PER_LEG, Gait
from poselift.datasets.synthetic.motions import MODELS, Style
from poselift.datasets.synthetic.posture import Motion, neutral, pose_sequence
from poselift.geometry.cameras import Camera, project_world_to_pixels
from poselift.geometry.skeleton import Skeleton
from poselift.seeding import job_seed

SEQUENCES = S1_SEQUENCES  # every synthetic subject has Human3.6M S1's 30 takes (VideoPose3D names)
SUBJECTS = tuple(EXTRINSICS)  # subjects with a calibrated camera rig: S1, S5, S6, S7, S8, S9, S11


def _seat(body: Body) -> float:
    """Root height on the chair: what the subject's own shins give sitting at right angles, less 15 mm,
    so the feet carry the legs and the seat only holds the body when the feet leave the floor."""
    state = neutral(body)
    state.update({"l_hip_flex": 90.0, "r_hip_flex": 90.0, "l_knee": 90.0, "r_knee": 90.0})
    controls = {k: np.asarray(v, dtype=np.float64)[None] for k, v in state.items()}
    pose = pose_sequence(body, Motion(controls, np.zeros((1, 2)), np.zeros(1)))
    return float(pose[0, 0, 2]) - 15.0


def subject_style(seed: int, *names: str) -> Style:
    """How a subject moves (same for all its sequences): stature ~1.6-1.86 m, proportions, manner.

    names: what the subject's seed derives from: its name ('S1'), after the data set's key for a data
    set other than Human3.6M ('humaneva', 'S1'), so that people of different data sets differ."""
    rng = np.random.default_rng(job_seed(seed, *names))
    segments = {name: float(np.clip(rng.normal(1.0, 0.03), 0.93, 1.07)) for name in SEGMENTS}
    head = float(np.clip(rng.normal(1680.0, 60.0), 1550.0, 1800.0))  # mm, the Head joint standing: stature - ~60
    scale = head / make_body(1.0, segments).head_height()
    body = make_body(scale, segments)
    tempo = float(rng.uniform(0.88, 1.12))
    # Cadence ~0.9 cycles/s (108 steps/min), quicker for short legs (pendulum) and a quick manner.
    cadence = 0.93 * np.sqrt(tempo) * np.sqrt(895.0 / body.leg)
    return Style(
        body=body,
        gait=Gait(cadence=float(cadence), stride=STRIDE_PER_LEG * body.leg),
        tempo=tempo,
        amplitude=float(rng.uniform(0.8, 1.2)),
        arm_swing=float(rng.uniform(140, 230) * scale),
        lean=float(rng.uniform(-2.0, 5.0)),
        dominant=1 if rng.random() < 0.12 else -1,
        seat=_seat(body),
    )


def check_subject(subject: str) -> None:
    if subject not in SUBJECTS:
        raise ValueError(f"no synthetic subject {subject!r}: the camera rig is known for {', '.join(SUBJECTS)}")


def generate_sequence(seed: int, subject: str, sequence: str, frames: int, style: Style | None = None) -> np.ndarray:
    """One sequence's poses (frames, 32, 3), millimetres, world frame (z up, floor at 0), 50 Hz.

    sequence: a VideoPose3D name such as 'Walking 1' or 'Photo'. `style` may be passed to save
    recomputing it; it must be `subject_style(seed, subject)`.
    """
    check_subject(subject)
    action = H36M.base_action(sequence)
    if action not in MODELS:
        raise ValueError(f"{subject} {sequence!r}: no motion model for action {action!r}")
    if frames < 1:
        raise ValueError(f"{subject} {sequence!r}: frames must be positive, got {frames}")
    style = subject_style(seed, subject) if style is None else style
    rng = np.random.default_rng(job_seed(seed, subject, sequence))
    t = np.arange(frames) / H36M.fps
    return pose_sequence(style.body, MODELS[action](t, rng, style, H36M.fps))


def generate_take(seed: int, person: str, action: str, frames: int) -> np.ndarray:
    """A take of `action` by a person who is not one of the data set's subjects: (frames, 32, 3), millimetres,
    world frame, 50 Hz. Their body and manner come from `subject_style(seed, "wild", person)`, the take's
    script from the seed, "wild", the person and the action, so no sequence of the data set is repeated."""
    if action not in MODELS:
        raise ValueError(f"take of {person!r}: no motion model for action {action!r}; known: {', '.join(MODELS)}")
    if frames < 1:
        raise ValueError(f"take of {person!r}: frames must be positive, got {frames}")
    style = subject_style(seed, "wild", person)
    rng = np.random.default_rng(job_seed(seed, "wild", person, action))
    t = np.arange(frames) / H36M.fps
    return pose_sequence(style.body, MODELS[action](t, rng, style, H36M.fps))


def generate_subject(seed: int, subject: str, frames: int) -> Iterator[tuple[str, np.ndarray]]:
    """(sequence name, poses (frames, 32, 3) mm) for each of the subject's 30 sequences, in S1's order."""
    style = subject_style(seed, subject)
    for sequence in SEQUENCES:
        yield sequence, generate_sequence(seed, subject, sequence, frames, style)


def implausible(poses: np.ndarray, skeleton: Skeleton, cameras: list[Camera]) -> list[str]:
    """What makes generated poses (N, J, 3) of `skeleton`, mm, world frame, unlike a capture: bones that
    stretch, joints below the floor, joints outside the image of one of `cameras`. Empty when plausible."""
    found = []
    stretch = float(np.max(np.ptp(skeleton.bone_lengths(poses), axis=0)))
    if stretch > 0.01:
        found.append(f"a bone length varies by {stretch:.3f} mm")
    lowest = float(np.min(poses[..., 2]))
    if lowest < 0:
        found.append(f"a joint is {-lowest:.1f} mm below the floor")
    for camera in cameras:
        pixels = project_world_to_pixels(poses / 1000.0, camera)  # (N, J, 2)
        outside = ((pixels < 0) | (pixels > np.array([camera.res_w, camera.res_h]))).any(axis=-1)
        if outside.any():
            frame, joint = np.argwhere(outside)[0]
            found.append(f"joint {skeleton.names[joint]} leaves the image of camera {camera.id} at frame {frame}"
                         f" ({int(outside.any(axis=1).sum())} frames)")
    return found


def problems(subject: str, poses: np.ndarray) -> list[str]:
    """What makes a generated sequence (N, 32, 3), mm, unlike a capture (`implausible`) in the subject's four
    cameras. Empty when plausible."""
    return implausible(poses, H36M_32, H36M.cameras(subject))
