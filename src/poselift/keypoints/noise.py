"""A detector-error model: ground-truth 2D keypoints made to look like a 2D detector's output.

Real detectors (CPN, Mask R-CNN, Stacked Hourglass) err in ways that matter to a temporal lifting
model: their errors are correlated over time, larger at the extremities, they confuse left and right
limbs now and then, and sometimes put a keypoint somewhere else for a few frames. The model applies,
to one camera's sequence of ground-truth keypoints x_t (N frames, J joints of a named layout, pixels), in order:

1. Left/right swaps. For each limb pair (hip, knee, foot, shoulder, elbow, wrist: `Layout.limb_pairs`), a swap starts at
   a frame with probability `swap_rate` and lasts L frames, L uniform on 1 .. 2 `swap_frames` - 1
   (mean `swap_frames`); during it the left and right keypoints exchange places.
2. Temporally correlated Gaussian noise. Per joint j and image axis, a stationary AR(1) process
   e_t = rho e_{t-1} + sqrt(1 - rho^2) s_j z_t, z_t ~ N(0, 1), e_0 ~ N(0, s_j^2), with
   rho = `temporal_correlation` and s_j = `sigma_px` x `joint_scale[type of j]`. Each coordinate's
   error has standard deviation s_j and lag-1 correlation rho; the mean 2D error of a joint without
   swaps and misses is s_j sqrt(pi/2) (Rayleigh).
3. Misses. For each joint, a miss starts at a frame with probability `miss_rate` and lasts L frames,
   L uniform on 1 .. 2 `miss_frames` - 1; during it the keypoint is displaced by one offset drawn
   from N(0, `miss_sigma_px`^2) per axis (a detection locked onto the wrong place).

Randomness comes from one `numpy.random.Generator` per sequence and camera, seeded by the caller
(the `keypoints` stage derives it from the root seed, subject, action and camera), and is drawn in a
fixed order, so the same parameters give the same keypoints bit for bit. Parameters are in pixels of
the data set's images (Human3.6M's are 1000 px wide, HumanEva-I's 640). Whether the result resembles a
particular detector is for the user to judge from the per-joint errors that `keypoints.errors` measures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from poselift.datasets.description import Dataset
from poselift.geometry.layouts import Layout
from poselift.io.formats import Poses2D, Poses3D
from poselift.seeding import job_seed

# The joint type of each keypoint name of the ground-truth layouts (the keys of `joint_scale`); `Hip`
# is the pelvis centre (the root).
JOINT_TYPES = {
    "Hip": "hip", "RHip": "hip", "RKnee": "knee", "RFoot": "foot", "LHip": "hip", "LKnee": "knee",
    "LFoot": "foot", "Spine": "spine", "Thorax": "thorax", "Neck/Nose": "neck", "Head": "head",
    "LShoulder": "shoulder", "LElbow": "elbow", "LWrist": "wrist", "RShoulder": "shoulder",
    "RElbow": "elbow", "RWrist": "wrist",
}


@dataclass(frozen=True)
class NoiseModel:
    """The parameters of the detector-error model (`keypoints.noisy` in params.yaml)."""

    sigma_px: float  # noise standard deviation per axis before joint scaling, pixels
    joint_scale: dict[str, float]  # joint type -> multiplier of sigma_px
    temporal_correlation: float  # AR(1) coefficient rho in [0, 1)
    swap_rate: float  # probability per frame and limb pair that a swap starts
    swap_frames: int  # mean length of a swap, frames
    miss_rate: float  # probability per frame and joint that a miss starts
    miss_frames: int  # mean length of a miss, frames
    miss_sigma_px: float  # standard deviation per axis of a miss's displacement, pixels

    @classmethod
    def from_params(cls, noisy: dict) -> NoiseModel:
        return cls(**{**noisy, "joint_scale": dict(noisy["joint_scale"])})

    def joint_sigmas(self, layout: Layout) -> np.ndarray:
        """(J,) noise standard deviation per axis of each keypoint of `layout`, pixels."""
        missing = sorted(set(JOINT_TYPES.values()) - set(self.joint_scale))
        if missing:
            raise ValueError(f"joint_scale lacks joint type(s) {', '.join(missing)}")
        untyped = [name for name in layout.names if name not in JOINT_TYPES]
        if untyped:
            raise ValueError(f"layout {layout.name!r}: no joint type for keypoint(s) {', '.join(untyped)}")
        return np.array([self.sigma_px * self.joint_scale[JOINT_TYPES[name]] for name in layout.names])


@dataclass(frozen=True)
class NoiseEvents:
    """Where swaps and misses happened in one sequence (for reporting their frequency)."""

    swapped: np.ndarray  # (N, P) bool: limb pair swapped at the frame, pairs as in Layout.limb_pairs()
    missed: np.ndarray  # (N, J) bool: keypoint displaced at the frame


def _runs(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frames covered by runs, and for each frame the start frame of the run covering it (-1: none).

    `starts` (N, K) bool marks run starts and `lengths` (N, K) their lengths; a later run overrides
    an earlier one where they overlap.
    """
    owner = np.full(starts.shape, -1, dtype=np.int64)
    for t, k in zip(*np.nonzero(starts), strict=True):
        owner[t: t + lengths[t, k], k] = t
    return owner >= 0, owner


def ar1_noise(rng: np.random.Generator, n_frames: int, sigmas: np.ndarray, rho: float) -> np.ndarray:
    """(N, J, 2) stationary AR(1) Gaussian noise, standard deviation `sigmas` (J,) per axis, pixels."""
    z = rng.standard_normal((n_frames, len(sigmas), 2))
    noise = np.empty_like(z)
    innovation = np.sqrt(1 - rho**2)
    noise[0] = z[0]
    for t in range(1, n_frames):
        noise[t] = rho * noise[t - 1] + innovation * z[t]
    return noise * sigmas[None, :, None]


def corrupt(gt: np.ndarray, model: NoiseModel, rng: np.random.Generator,
            layout: Layout) -> tuple[np.ndarray, NoiseEvents]:
    """Ground-truth keypoints (N, J, 2) of `layout`, pixels -> simulated detections (N, J, 2) float32, and events."""
    j = layout.num_joints
    if gt.ndim != 3 or gt.shape[1:] != (j, 2):
        raise ValueError(f"expected {layout.name} keypoints (N, {j}, 2), got shape {gt.shape}")
    n = gt.shape[0]
    pairs = np.array(layout.limb_pairs())  # (P, 2): left, right
    sigmas = model.joint_sigmas(layout)

    # Random draws, always all of them and in this order, so each stream depends on the seed only.
    noise = ar1_noise(rng, n, sigmas, model.temporal_correlation)  # (N, J, 2), pixels
    swap_starts = rng.random((n, len(pairs))) < model.swap_rate
    swap_lengths = rng.integers(1, 2 * model.swap_frames, size=(n, len(pairs)))
    miss_starts = rng.random((n, j)) < model.miss_rate
    miss_lengths = rng.integers(1, 2 * model.miss_frames, size=(n, j))
    miss_offsets = rng.normal(0.0, model.miss_sigma_px, size=(n, j, 2))

    detected = np.asarray(gt, dtype=np.float64).copy()  # (N, J, 2), pixels
    swapped, _ = _runs(swap_starts, swap_lengths)
    for p, (left, right) in enumerate(pairs):
        frames = swapped[:, p]
        detected[frames, left], detected[frames, right] = gt[frames, right], gt[frames, left]
    detected += noise
    missed, owner = _runs(miss_starts, miss_lengths)
    frames, joints = np.nonzero(missed)
    detected[frames, joints] += miss_offsets[owner[frames, joints], joints]
    return detected.astype(np.float32), NoiseEvents(swapped, missed)


def noisy_keypoints(gt_2d: Poses2D, positions_3d: Poses3D, noisy: dict, seed: int,
                    dataset: Dataset) -> tuple[Poses2D, dict]:
    """The detector-error model applied to every labeled sequence and camera of the ground truth, each
    seeded from (seed, "keypoints", subject, action, camera index); returns the keypoints and the
    fraction of frames with swaps (per limb pair) and misses (per joint). Prints a line per subject."""
    model = NoiseModel.from_params(noisy)
    layout = dataset.layout
    pairs = layout.limb_pairs()
    out: Poses2D = {}
    swapped = np.zeros(len(pairs))
    missed = np.zeros(layout.num_joints)
    frames = 0
    for subject in positions_3d:
        start = time.perf_counter()
        out[subject] = {}
        for action in positions_3d[subject]:
            out[subject][action] = []
            for camera, gt in enumerate(gt_2d[subject][action]):
                rng = np.random.default_rng(job_seed(seed, "keypoints", subject, action, str(camera)))
                detected, events = corrupt(gt, model, rng, layout)  # (N, J, 2), pixels
                out[subject][action].append(detected)
                swapped += events.swapped.sum(axis=0)
                missed += events.missed.sum(axis=0)
                frames += len(gt)
        print(f"  {subject}: {len(out[subject])} sequences ({time.perf_counter() - start:.1f} s)", flush=True)
    names = layout.names
    events = {
        "swapped_fraction": {f"{names[left]}/{names[right]}": float(s / frames)
                             for (left, right), s in zip(pairs, swapped, strict=True)},
        "missed_fraction": {name: float(m / frames) for name, m in zip(names, missed, strict=True)},
    }
    return out, events
