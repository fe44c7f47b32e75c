"""Training windows without per-sample Python loops.

All training sequences are concatenated into one flat array per modality, on the training device:
the 2D inputs edge-padded by the model's context (as VideoPose3D pads at sequence borders), the 3D
targets with the root zeroed (VideoPose3D zeroes it before every loss). A training sample is one
target frame; its input window of RF frames is gathered by index arithmetic, and a flipped copy
(x mirrored, left and right swapped) is a second sample id, so flip augmentation doubles the epoch
as in VideoPose3D.

For semi-supervised training a bank also gives each sample's root trajectory (the camera-frame
position of joint 0 that the targets zero) and its camera's intrinsics, both mirrored with the
sample (x negated; the principal point's cx and the tangential p1 negated, as VideoPose3D flips its
cameras). A bank of unlabelled sequences (no 3D poses) gives inputs and cameras only.
"""

from __future__ import annotations

import numpy as np
import torch

from poselift.lifting.sequences import Sequence, Symmetry


def _swap_permutation(num_joints: int, left: tuple[int, ...], right: tuple[int, ...]) -> torch.Tensor:
    perm = list(range(num_joints))
    for a, b in zip(left, right, strict=True):
        perm[a], perm[b] = b, a
    return torch.tensor(perm, dtype=torch.long)


def flip_poses(x: torch.Tensor, left: tuple[int, ...], right: tuple[int, ...]) -> torch.Tensor:
    """Mirror poses (..., J, C) horizontally: negate x, swap left and right joints."""
    out = x[..., _swap_permutation(x.shape[-2], left, right).to(x.device), :].clone()
    out[..., 0] *= -1
    return out


class WindowBank:
    """Padded, concatenated training data and the sample index of one training job.

    Args:
        sequences: the training sequences (one per subject, action and camera).
        receptive_field: RF of the model; windows are RF frames long.
        causal_shift: frames the window is shifted into the past (causal models), else 0.
        symmetry: left/right lists of the 2D layout and of the 3D joints, for flips.
        flip: add a mirrored copy of every sample (training flip augmentation).
        frame_ranges: per sequence, the (start, stop) target frames to train on (a data budget);
            None takes every frame. The 2D context of a window may reach outside the range.
        device: where the data lives (the GPU when training on one).
        labels: per sequence a class index (the action classifier's target), or None.
        stride: train on every `stride`-th target frame of each range (1: every frame; neighbouring
            windows share all but one frame, so a classifier learns as well from fewer of them).
    """

    def __init__(self, sequences: list[Sequence], receptive_field: int, causal_shift: int, symmetry: Symmetry,
                 flip: bool, frame_ranges: list[tuple[int, int]] | None = None,
                 device: torch.device | str = "cpu", labels: list[int] | None = None, stride: int = 1):
        if not sequences:
            raise ValueError("no training sequences")
        pad = (receptive_field - 1) // 2
        left, right = pad + causal_shift, pad - causal_shift
        labelled = [seq.poses_3d is not None for seq in sequences]
        if any(labelled) and not all(labelled):
            raise ValueError("a window bank holds labelled or unlabelled sequences, not both")
        self.receptive_field = receptive_field
        self.centre = left  # the window's index of its target frame
        self.symmetry = symmetry
        self.flip = flip
        inputs, targets, input_start, target_index, sample_sequence, sample_labels = [], [], [], [], [], []
        in_offset = tg_offset = 0
        for i, seq in enumerate(sequences):
            n = seq.frames
            start, stop = frame_ranges[i] if frame_ranges is not None else (0, n)
            inputs.append(np.pad(seq.poses_2d, ((left, right), (0, 0), (0, 0)), mode="edge"))
            if labelled[0]:
                targets.append(seq.poses_3d)
            frames = np.arange(start, stop, stride)
            input_start.append(in_offset + frames)  # window [t - left, t + right] sits at padded t
            target_index.append(tg_offset + frames)
            sample_sequence.append(np.full(len(frames), i, dtype=np.int64))
            if labels is not None:
                sample_labels.append(np.full(len(frames), labels[i], dtype=np.int64))
            in_offset += n + left + right
            tg_offset += n
        self.inputs = torch.from_numpy(np.concatenate(inputs)).to(device)  # (sum T + pads, J_in, 2)
        self.targets = self.roots = None
        if labelled[0]:
            poses = np.concatenate(targets)  # (sum T, 17, 3), metres, joint 0 the camera-frame root
            self.roots = torch.from_numpy(poses[:, :1].copy()).to(device)  # (sum T, 1, 3), metres
            poses[:, 0] = 0  # the root trajectory is not predicted by the pose model
            self.targets = torch.from_numpy(poses).to(device)  # (sum T, 17, 3), metres
        self.input_start = torch.from_numpy(np.concatenate(input_start)).to(device)  # (N,)
        self.target_index = torch.from_numpy(np.concatenate(target_index)).to(device)  # (N,)
        self.sample_sequence = torch.from_numpy(np.concatenate(sample_sequence)).to(device)  # (N,)
        self.intrinsics = None
        if all(seq.intrinsic is not None for seq in sequences):
            self.intrinsics = torch.from_numpy(np.stack([seq.intrinsic for seq in sequences]).astype(np.float32)
                                               ).to(device)  # (S, 9)
        self.labels = torch.from_numpy(np.concatenate(sample_labels)).to(device) if labels is not None else None  # (N,)
        self.offsets = torch.arange(receptive_field, device=device)  # (RF,)
        self.kps_perm = _swap_permutation(self.inputs.shape[1], symmetry.kps_left, symmetry.kps_right).to(device)
        self.joints_perm = None if self.targets is None else _swap_permutation(
            self.targets.shape[1], symmetry.joints_left, symmetry.joints_right).to(device)

    @property
    def frames(self) -> int:
        """Target frames (before flip augmentation)."""
        return int(self.input_start.shape[0])

    def __len__(self) -> int:
        """Samples per epoch (flipped copies included)."""
        return self.frames * (2 if self.flip else 1)

    def _flipped(self, ids: torch.Tensor) -> torch.Tensor | None:
        """(B,) whether each sample is a mirrored copy; None without flip augmentation."""
        return ids >= self.frames if self.flip else None

    @staticmethod
    def _mirror(points: torch.Tensor, flipped: torch.Tensor | None, perm: torch.Tensor | None) -> torch.Tensor:
        """Points (B, T, J, C) of the `flipped` samples mirrored: x negated, joints permuted by `perm`."""
        if flipped is None:
            return points
        mask = flipped[:, None, None, None]  # (B, 1, 1, 1)
        if perm is not None:
            points = torch.where(mask, points[:, :, perm], points)
        sign = torch.where(mask[..., 0], -1.0, 1.0)  # (B, 1, 1)
        return torch.cat([points[..., :1] * sign[..., None], points[..., 1:]], dim=-1)

    def batch_inputs(self, ids: torch.Tensor) -> torch.Tensor:
        """Samples `ids` (B,) -> input windows (B, RF, J_in, 2), normalised screen coordinates."""
        x = self.inputs[self.input_start[ids % self.frames, None] + self.offsets]  # (B, RF, J_in, 2)
        return self._mirror(x, self._flipped(ids), self.kps_perm)

    def batch(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Samples `ids` (B,) -> inputs (B, RF, J_in, 2) and targets (B, 1, 17, 3), on the bank's device."""
        if self.targets is None:
            raise ValueError("this window bank holds unlabelled sequences: no 3D targets")
        y = self.targets[self.target_index[ids % self.frames]].unsqueeze(1)  # (B, 1, 17, 3)
        return self.batch_inputs(ids), self._mirror(y, self._flipped(ids), self.joints_perm)

    def batch_trajectory(self, ids: torch.Tensor) -> torch.Tensor:
        """Samples `ids` (B,) -> their root trajectory (B, 1, 1, 3), camera frame, metres."""
        if self.roots is None:
            raise ValueError("this window bank holds unlabelled sequences: no trajectory")
        root = self.roots[self.target_index[ids % self.frames]].unsqueeze(1)  # (B, 1, 1, 3)
        return self._mirror(root, self._flipped(ids), None)

    def batch_intrinsics(self, ids: torch.Tensor) -> torch.Tensor:
        """Samples `ids` (B,) -> their camera's intrinsics (B, 9), cx and p1 negated for a mirrored sample."""
        if self.intrinsics is None:
            raise ValueError("this window bank's sequences do not all have camera intrinsics")
        cam = self.intrinsics[self.sample_sequence[ids % self.frames]]  # (B, 9)
        flipped = self._flipped(ids)
        if flipped is None:
            return cam
        sign = torch.ones(9, device=cam.device)
        sign[[2, 7]] = -1.0
        return torch.where(flipped[:, None], cam * sign, cam)

    def batch_labels(self, ids: torch.Tensor) -> torch.Tensor:
        """Samples `ids` (B,) -> their class indices (B,) (a flipped copy keeps its sample's label)."""
        if self.labels is None:
            raise ValueError("this window bank holds no labels")
        return self.labels[ids % self.frames]

    def epoch_batches(self, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
        """A shuffled epoch: ceil(N / batch_size) batches of nearly equal size (never a batch of one,
        which batch norm cannot train on)."""
        n = len(self)
        perm = torch.randperm(n, generator=generator).to(self.inputs.device, non_blocking=True)
        return list(torch.tensor_split(perm, max(1, -(-n // batch_size))))
