"""Training windows without per-sample Python loops.

All training sequences are concatenated into one flat array per modality, on the training device:
the 2D inputs edge-padded by the model's context (as VideoPose3D pads at sequence borders), the 3D
targets with the root zeroed (VideoPose3D zeroes it before every loss). A training sample is one
target frame; its input window of RF frames is gathered by index arithmetic, and a flipped copy
(x mirrored, left and right swapped) is a second sample id, so flip augmentation doubles the epoch
as in VideoPose3D.
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
        self.receptive_field = receptive_field
        self.symmetry = symmetry
        self.flip = flip
        inputs, targets, input_start, target_index, sample_labels = [], [], [], [], []
        in_offset = tg_offset = 0
        for i, seq in enumerate(sequences):
            n = seq.frames
            start, stop = frame_ranges[i] if frame_ranges is not None else (0, n)
            inputs.append(np.pad(seq.poses_2d, ((left, right), (0, 0), (0, 0)), mode="edge"))
            target = seq.poses_3d.copy()
            target[:, 0] = 0  # the root trajectory is not predicted
            targets.append(target)
            frames = np.arange(start, stop, stride)
            input_start.append(in_offset + frames)  # window [t - left, t + right] sits at padded t
            target_index.append(tg_offset + frames)
            if labels is not None:
                sample_labels.append(np.full(len(frames), labels[i], dtype=np.int64))
            in_offset += n + left + right
            tg_offset += n
        self.inputs = torch.from_numpy(np.concatenate(inputs)).to(device)  # (sum T + pads, J_in, 2)
        self.targets = torch.from_numpy(np.concatenate(targets)).to(device)  # (sum T, 17, 3), metres
        self.input_start = torch.from_numpy(np.concatenate(input_start)).to(device)  # (N,)
        self.target_index = torch.from_numpy(np.concatenate(target_index)).to(device)  # (N,)
        self.labels = torch.from_numpy(np.concatenate(sample_labels)).to(device) if labels is not None else None  # (N,)
        self.offsets = torch.arange(receptive_field, device=device)  # (RF,)
        self.kps_perm = _swap_permutation(self.inputs.shape[1], symmetry.kps_left, symmetry.kps_right).to(device)
        self.joints_perm = _swap_permutation(self.targets.shape[1], symmetry.joints_left,
                                             symmetry.joints_right).to(device)

    @property
    def frames(self) -> int:
        """Target frames (before flip augmentation)."""
        return int(self.input_start.shape[0])

    def __len__(self) -> int:
        """Samples per epoch (flipped copies included)."""
        return self.frames * (2 if self.flip else 1)

    def batch(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Samples `ids` (B,) -> inputs (B, RF, J_in, 2) and targets (B, 1, 17, 3), on the bank's device."""
        base = ids % self.frames
        x = self.inputs[self.input_start[base, None] + self.offsets]  # (B, RF, J_in, 2)
        y = self.targets[self.target_index[base]].unsqueeze(1)  # (B, 1, 17, 3)
        if self.flip:
            flipped = (ids >= self.frames)[:, None, None, None]  # (B, 1, 1, 1)
            sign = torch.where(flipped[..., 0], -1.0, 1.0)  # (B, 1, 1)
            x = torch.where(flipped, x[:, :, self.kps_perm], x)
            y = torch.where(flipped, y[:, :, self.joints_perm], y)
            x = torch.cat([x[..., :1] * sign[..., None], x[..., 1:]], dim=-1)
            y = torch.cat([y[..., :1] * sign[..., None], y[..., 1:]], dim=-1)
        return x, y

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
