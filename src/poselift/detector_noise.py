"""A detector-error model: ground-truth 2D keypoints made to look like a 2D detector's output.

Real detectors (CPN, Mask R-CNN, Stacked Hourglass) err in ways that matter to a temporal lifting
model: their errors are correlated over time, larger at the extremities, they confuse left and right
limbs now and then, and sometimes put a keypoint somewhere else for a few frames. The model applies,
to one camera's sequence of ground-truth keypoints x_t (N frames, 17 h36m joints, pixels), in order:

1. Left/right swaps. For each limb pair (hip, knee, foot, shoulder, elbow, wrist), a swap starts at
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
Human3.6M's 1000 px wide images. Whether the result resembles a particular detector is for the user
to judge from the per-joint errors that `keypoint_errors` measures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from poselift.skeleton import H36M_17

# The joint type of each h36m keypoint (the keys of `joint_scale`); the root is the pelvis centre.
JOINT_TYPES = {
    "Hip": "hip", "RHip": "hip", "RKnee": "knee", "RFoot": "foot", "LHip": "hip", "LKnee": "knee",
    "LFoot": "foot", "Spine": "spine", "Thorax": "thorax", "Neck/Nose": "neck", "Head": "head",
    "LShoulder": "shoulder", "LElbow": "elbow", "LWrist": "wrist", "RShoulder": "shoulder",
    "RElbow": "elbow", "RWrist": "wrist",
}


def limb_pairs() -> list[tuple[int, int]]:
    """(left, right) h36m keypoint indices of the six limb joints a detector can swap."""
    index = {name: j for j, name in enumerate(H36M_17.names)}
    return [(index[name], index["R" + name[1:]]) for name in H36M_17.names
            if name.startswith("L") and "R" + name[1:] in index]


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

    def joint_sigmas(self) -> np.ndarray:
        """(17,) noise standard deviation per axis of each h36m keypoint, pixels."""
        missing = sorted(set(JOINT_TYPES.values()) - set(self.joint_scale))
        if missing:
            raise ValueError(f"joint_scale lacks joint type(s) {', '.join(missing)}")
        return np.array([self.sigma_px * self.joint_scale[JOINT_TYPES[name]] for name in H36M_17.names])


@dataclass(frozen=True)
class NoiseEvents:
    """Where swaps and misses happened in one sequence (for reporting their frequency)."""

    swapped: np.ndarray  # (N, 6) bool: limb pair swapped at the frame, pairs as in limb_pairs()
    missed: np.ndarray  # (N, 17) bool: keypoint displaced at the frame


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


def corrupt(gt: np.ndarray, model: NoiseModel, rng: np.random.Generator) -> tuple[np.ndarray, NoiseEvents]:
    """Ground-truth keypoints (N, 17, 2), pixels -> simulated detections (N, 17, 2) float32, and events."""
    if gt.ndim != 3 or gt.shape[1:] != (H36M_17.num_joints, 2):
        raise ValueError(f"expected h36m keypoints (N, 17, 2), got shape {gt.shape}")
    n = gt.shape[0]
    pairs = np.array(limb_pairs())  # (6, 2): left, right
    sigmas = model.joint_sigmas()

    # Random draws, always all of them and in this order, so each stream depends on the seed only.
    noise = ar1_noise(rng, n, sigmas, model.temporal_correlation)  # (N, 17, 2), pixels
    swap_starts = rng.random((n, len(pairs))) < model.swap_rate
    swap_lengths = rng.integers(1, 2 * model.swap_frames, size=(n, len(pairs)))
    miss_starts = rng.random((n, H36M_17.num_joints)) < model.miss_rate
    miss_lengths = rng.integers(1, 2 * model.miss_frames, size=(n, H36M_17.num_joints))
    miss_offsets = rng.normal(0.0, model.miss_sigma_px, size=(n, H36M_17.num_joints, 2))

    detected = np.asarray(gt, dtype=np.float64).copy()  # (N, 17, 2), pixels
    swapped, _ = _runs(swap_starts, swap_lengths)
    for p, (left, right) in enumerate(pairs):
        frames = swapped[:, p]
        detected[frames, left], detected[frames, right] = gt[frames, right], gt[frames, left]
    detected += noise
    missed, owner = _runs(miss_starts, miss_lengths)
    frames, joints = np.nonzero(missed)
    detected[frames, joints] += miss_offsets[owner[frames, joints], joints]
    return detected.astype(np.float32), NoiseEvents(swapped, missed)


def error_stats(distances: np.ndarray) -> dict[str, float]:
    """Mean, median and 90th percentile of 2D distances (any shape), pixels."""
    d = np.asarray(distances, dtype=np.float64).ravel()
    return {"mean": float(d.mean()), "median": float(np.median(d)), "p90": float(np.percentile(d, 90))}


def keypoint_errors(pairs: Iterable[tuple[np.ndarray, np.ndarray]], names: Sequence[str]) -> dict:
    """The 2D error of keypoints against the ground truth, in pixels.

    `pairs` yields (keypoints, ground truth) of one sequence and camera, each (N, J, 2) with the same
    joints `names`. Returns {"frames": total frames, "per_joint": {name: {"mean", "median", "p90"}},
    "overall": {...}}, the statistics over all frames (and, for "overall", all joints).
    """
    distances = [np.linalg.norm(np.asarray(kp, np.float64) - np.asarray(ref, np.float64), axis=-1)
                 for kp, ref in pairs]  # each (N, J), pixels
    if not distances:
        raise ValueError("no keypoints to compare")
    d = np.concatenate(distances).astype(np.float32)  # (total frames, J)
    if d.shape[1] != len(names):
        raise ValueError(f"{d.shape[1]} joints but {len(names)} names")
    return {
        "frames": int(d.shape[0]),
        "per_joint": {name: error_stats(d[:, j]) for j, name in enumerate(names)},
        "overall": error_stats(d),
    }
