"""Fine-tuning a CPN on frames with a person box and COCO-17 target keypoints (Chen et al., CVPR 2018).

Samples: the crop of `heatmaps.crop_transforms` (the box widened and fitted to the input aspect ratio)
composed with a random augmentation in crop pixels, about the crop centre: a resizing of the crop
region by a factor uniform in [1 - scale, 1 + scale], a rotation uniform in [-rotation, rotation]
degrees and, for half the crops, a mirror image with the left and right joints swapped (the targets
of the mirrored crop are those of its subject's mirror image); optionally (`Augmentation.colour`) the
colours changed (`colour_jitter`). Frames are held at their video's
resolution, `scale` video pixels per full-resolution pixel; boxes and keypoints are in
full-resolution pixels and map to the crop through one affine map, so a target lands where the
image point is.

Targets: Gaussians (`heatmaps.gaussian_heatmaps`, in heatmap cells) at the keypoints in crop pixels,
one sigma per GlobalNet level and a smaller one for RefineNet, as tf-cpn's blur kernels (15, 11, 9, 7
pixels at 256x192: sigma 2.6, 2.0, 1.7, 1.4 cells for C5..C2, RefineNet the smallest), peak
`CPNConfig.heatmap_peak` (255 for pytorch-cpn's weights). A joint is masked (weight 0) when it is
unlabelled (NaN), outside its frame (no image evidence: the crop is the mean pixel there) or outside
the crop.

Loss (pytorch-cpn's): per joint the mean squared heatmap error over its cells; GlobalNet: the mean over
all joints and samples, masked joints counting zero, summed over the four levels; RefineNet: online
hard keypoint mining, per sample the mean of the `ohkm_k` largest masked joint losses (8 of 17 in the
paper), averaged over the batch. The total is their sum. Adam, the learning rate multiplied by
`lr_decay` every `lr_decay_every` epochs (pytorch-cpn: 5e-4, x0.5 every 6 epochs, weight decay 1e-5).

Evaluation: `detect_keypoints` (flip test) on held-out frames, the pixel error of every labelled joint
in full-resolution pixels: mean, median, 95th percentile, PCK (the share within a threshold in pixels)
and each joint's mean.

Resumable and deterministic on CPU: every random draw (the epoch's shuffle, the augmentation) comes
from one generator seeded from the job's seed, and `Finetuner.state()` holds the weights, the
optimizer, the history (its length is the epoch) and that generator's state, so training k epochs,
saving, restoring and training the rest gives the same weights as training straight through.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from poselift.detectors.cpn import CPN, CPNConfig, _torch_load, load_cpn
from poselift.detectors.heatmaps import (
    COCO_LEFT,
    COCO_RIGHT,
    apply_affine,
    crop_transforms,
    detect_keypoints,
    gaussian_heatmaps,
    invert_affine,
)
from poselift.geometry.layouts import LAYOUTS
from poselift.io.atomic import atomic_path

RESUME_FORMAT = "poselift-cpn-finetune-resume"
# From scratch, the convolutions that predict heatmaps start at N(0, 0.001^2), as the last layer of Xiao et al.'s
# Simple Baselines (ECCV 2018): with Kaiming's initialisation the first heatmaps are several units large (a loss
# near 50 against 0.05 for all-zero maps at peak 1), and the first epochs go to shrinking them.
HEATMAP_INIT_STD = 1e-3


@dataclass(frozen=True)
class Augmentation:
    """Random changes of a training crop, all about its centre (see the module docstring)."""

    scale: float = 0.25  # the crop region resized by a factor uniform in [1 - scale, 1 + scale]
    rotation: float = 30.0  # degrees, uniform in [-rotation, rotation]
    flip: bool = True  # mirror half the crops, left and right joints swapped
    colour: float = 0.0  # > 0: RGB channels in a random order, contrast and brightness x [1 - colour, 1 + colour]

    def __post_init__(self) -> None:
        if not 0 <= self.scale < 1 or not 0 <= self.rotation <= 180 or not 0 <= self.colour < 1:
            raise ValueError(f"augmentation scale and colour must be in [0, 1) and rotation in [0, 180], got {self}")


@dataclass(frozen=True)
class Targets:
    """Heatmap targets and the hard-keypoint mining of the RefineNet loss."""

    sigma_global: tuple[float, ...] = (2.6, 2.0, 1.7, 1.4)  # heatmap cells, GlobalNet levels C5, C4, C3, C2
    sigma_refine: float = 1.4  # heatmap cells
    ohkm_k: int = 8  # hardest joints per sample in the RefineNet loss (the paper: 8 of 17)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sigma_global", tuple(float(s) for s in self.sigma_global))
        if len(self.sigma_global) != 4 or min(*self.sigma_global, self.sigma_refine) <= 0:
            raise ValueError(f"need 4 positive GlobalNet sigmas and a positive RefineNet one, got {self}")


@dataclass(frozen=True)
class Schedule:
    """Epochs and Adam's step learning rate."""

    epochs: int
    lr: float = 5e-4
    lr_decay: float = 0.5  # multiplied into the learning rate every `lr_decay_every` epochs
    lr_decay_every: int = 6
    weight_decay: float = 1e-5

    def learning_rate(self, epoch: int) -> float:
        """The learning rate of epoch `epoch` (1-based)."""
        return self.lr * self.lr_decay ** ((epoch - 1) // self.lr_decay_every)


@dataclass(frozen=True)
class PersonFrames:
    """Frames with one person each, the person's box and COCO-17 keypoints in full-resolution pixels."""

    frames: Sequence[np.ndarray]  # N images (h, w, 3) uint8 RGB at their video's resolution
    boxes: np.ndarray  # (N, 4) x0 y0 x1 y1, full-resolution pixels
    keypoints: np.ndarray  # (N, J, 2) full-resolution pixels; NaN: unlabelled
    scale: np.ndarray  # (N,) video pixels per full-resolution pixel

    def __post_init__(self) -> None:
        for name in ("boxes", "keypoints", "scale"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        n = len(self.frames)
        keypoints_ok = self.keypoints.ndim == 3 and self.keypoints.shape[0] == n and self.keypoints.shape[2] == 2
        if self.boxes.shape != (n, 4) or not keypoints_ok or self.scale.shape != (n,):
            raise ValueError(f"{n} frames need boxes (N, 4), keypoints (N, J, 2) and scales (N,); got "
                             f"{self.boxes.shape}, {self.keypoints.shape}, {self.scale.shape}")
        if not np.isfinite(self.boxes).all():
            raise ValueError("every frame needs a person box (drop the frames without one)")

    def __len__(self) -> int:
        return len(self.frames)

    @classmethod
    def concatenate(cls, parts: Sequence[PersonFrames]) -> PersonFrames:
        return cls([f for p in parts for f in p.frames], np.concatenate([p.boxes for p in parts]),
                   np.concatenate([p.keypoints for p in parts]), np.concatenate([p.scale for p in parts]))

    @property
    def nbytes(self) -> int:
        return sum(f.nbytes for f in self.frames)


def compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """(N, 2, 3) maps `outer` after `inner` -> (N, 2, 3)."""
    linear = outer[:, :, :2] @ inner[:, :, :2]
    return np.concatenate([linear, outer[:, :, :2] @ inner[:, :, 2:] + outer[:, :, 2:]], axis=2)


def augmentation_transforms(n: int, input_size: tuple[int, int], augmentation: Augmentation,
                            generator: torch.Generator) -> tuple[np.ndarray, np.ndarray]:
    """N random maps of crop pixels to crop pixels, (N, 2, 3), about the crop centre, and which mirror, (N,).

    Three uniforms per crop are drawn whatever the settings, so the random stream does not depend on them."""
    u = torch.rand(n, 3, generator=generator, dtype=torch.float64).numpy()  # (N, 3) in [0, 1)
    factor = 1 + augmentation.scale * (2 * u[:, 0] - 1)  # the crop region's size over the box crop's
    angle = np.deg2rad(augmentation.rotation * (2 * u[:, 1] - 1))
    flipped = (u[:, 2] < 0.5) & augmentation.flip
    cos, sin = np.cos(angle) / factor, np.sin(angle) / factor
    linear = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], axis=1)  # (N, 2, 2)
    linear[flipped, 0] *= -1  # mirror: x -> W - x about the centre
    centre = np.array([input_size[1], input_size[0]]) / 2  # (x, y), crop pixels
    shift = centre - linear @ centre  # (N, 2): the centre stays where it is
    return np.concatenate([linear, shift[:, :, None]], axis=2), flipped


def swap_order(num_joints: int, left: Sequence[int] = COCO_LEFT, right: Sequence[int] = COCO_RIGHT) -> list[int]:
    """Joint order of a mirrored crop: its joint j is the subject's joint order[j]."""
    order = list(range(num_joints))
    for a, b in zip(left, right, strict=True):
        order[a], order[b] = b, a
    return order


def warp_crops(frames: Sequence[np.ndarray], affine: np.ndarray, input_size: tuple[int, int],
               pixel_mean: Sequence[float]) -> torch.Tensor:
    """Normalised crops (N, 3, H, W), RGB / 255 - mean / 255, of N frames (h, w, 3) uint8 RGB through (N, 2, 3)
    maps from frame to crop pixels (any affine map: rotated and mirrored crops too), sampled bilinearly at the
    crop pixel centres as `heatmaps.crop_frames`; outside the frame they are the mean pixel (zero)."""
    height, width = input_size
    mean = torch.tensor(pixel_mean, dtype=torch.float32)[:, None, None] / 255
    cx, cy = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)  # (H, W) each, crop pixel centres
    crops = torch.zeros(len(frames), 3, height, width)
    for i, (frame, inv) in enumerate(zip(frames, invert_affine(affine), strict=True)):
        x = inv[0, 0] * cx + inv[0, 1] * cy + inv[0, 2]  # (H, W), frame pixels
        y = inv[1, 0] * cx + inv[1, 1] * cy + inv[1, 2]
        # Only the part of the frame that the crop samples is converted (a pixel more for the bilinear weights).
        x0, x1 = (int(np.clip(v, 0, frame.shape[1])) for v in (np.floor(x.min()) - 1, np.ceil(x.max()) + 1))
        y0, y1 = (int(np.clip(v, 0, frame.shape[0])) for v in (np.floor(y.min()) - 1, np.ceil(y.max()) + 1))
        if x1 <= x0 or y1 <= y0:
            continue  # the crop lies outside the frame: all mean pixel
        patch = torch.from_numpy(np.ascontiguousarray(frame[y0:y1, x0:x1])).permute(2, 0, 1).float() / 255 - mean
        grid = np.stack([2 * (x - x0) / (x1 - x0) - 1, 2 * (y - y0) / (y1 - y0) - 1], axis=-1)  # (H, W, 2)
        crops[i] = F.grid_sample(patch[None], torch.from_numpy(grid).float()[None], mode="bilinear",
                                 padding_mode="zeros", align_corners=False)[0]
    return crops


CHANNEL_ORDERS = torch.tensor(list(itertools.permutations(range(3))))  # (6, 3): the orders of R, G, B


def colour_jitter(crops: torch.Tensor, colour: float, pixel_mean: Sequence[float],
                  generator: torch.Generator) -> torch.Tensor:
    """Normalised crops (B, 3, H, W) with, where `colour` > 0, their RGB channels in a random order (one of six)
    and their contrast (about the crop's mean) and brightness scaled by factors uniform in [1 - colour,
    1 + colour], clipped to the pixel range: a detector trained on few people's clothes then cannot go by their
    colours. Three uniforms per crop are drawn whatever `colour` is."""
    u = torch.rand(len(crops), 3, generator=generator, dtype=torch.float64)  # (B, 3) in [0, 1)
    if colour == 0:
        return crops
    mean = torch.tensor(pixel_mean, dtype=torch.float32)[:, None, None] / 255  # (3, 1, 1)
    order = CHANNEL_ORDERS[(u[:, 0] * 6).long().clamp(max=5)]  # (B, 3)
    image = torch.gather(crops + mean, 1, order[:, :, None, None].expand_as(crops))  # (B, 3, H, W) in [0, 1]
    contrast, brightness = (1 + colour * (2 * u[:, 1:] - 1)).float().T[:, :, None, None, None]  # (B, 1, 1, 1) each
    centre = image.mean(dim=(1, 2, 3), keepdim=True)
    return (((image - centre) * contrast + centre) * brightness).clamp(0, 1) - mean


@dataclass(frozen=True)
class Batch:
    crops: torch.Tensor  # (B, 3, H, W) normalised
    keypoints: np.ndarray  # (B, J, 2) crop pixels, in the crop's joint order (mirrored crops: swapped)
    visible: np.ndarray  # (B, J) bool: labelled, inside the frame and inside the crop
    flipped: np.ndarray  # (B,) bool: mirrored crops


def training_batch(samples: PersonFrames, ids: np.ndarray, config: CPNConfig, augmentation: Augmentation,
                   generator: torch.Generator) -> Batch:
    """The augmented crops of samples `ids` and their keypoints in crop pixels (see the module docstring)."""
    augment, flipped = augmentation_transforms(len(ids), config.input_size, augmentation, generator)
    full_to_crop = compose(augment, crop_transforms(samples.boxes[ids], config.input_size))  # (B, 2, 3)
    keypoints = apply_affine(full_to_crop, samples.keypoints[ids])  # (B, J, 2), crop pixels
    scale = samples.scale[ids]
    frames = [samples.frames[i] for i in ids]
    video = samples.keypoints[ids] * scale[:, None, None]  # (B, J, 2), video pixels
    size = np.array([[f.shape[1], f.shape[0]] for f in frames])[:, None, :]  # (B, 1, 2), width and height
    crop_size = np.array([config.input_size[1], config.input_size[0]])
    # (B, J); NaN (unlabelled) compares False: invisible
    visible = ((video >= 0) & (video < size) & (keypoints >= 0) & (keypoints < crop_size)).all(axis=-1)
    order = np.array(swap_order(config.num_joints))
    keypoints[flipped] = keypoints[flipped][:, order]
    visible[flipped] = visible[flipped][:, order]
    video_to_crop = np.concatenate([full_to_crop[:, :, :2] / scale[:, None, None], full_to_crop[:, :, 2:]], axis=2)
    crops = warp_crops(frames, video_to_crop, config.input_size, config.pixel_mean)
    crops = colour_jitter(crops, augmentation.colour, config.pixel_mean, generator)
    return Batch(crops, keypoints, visible, flipped)


def joint_losses(heatmaps: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(B, J, h, w) heatmaps and targets -> (B, J) mean squared error per joint."""
    return ((heatmaps - targets) ** 2).mean(dim=(2, 3))


def ohkm(losses: torch.Tensor, visible: torch.Tensor, k: int) -> torch.Tensor:
    """Online hard keypoint mining: per sample the mean of the k largest of its (B, J) joint losses, masked
    joints counting zero; averaged over the batch."""
    hardest = (losses * visible).topk(min(k, losses.shape[1]), dim=1).values  # (B, k)
    return hardest.mean(dim=1).mean()


def cpn_loss(global_heatmaps: Sequence[torch.Tensor], refined: torch.Tensor, keypoints: np.ndarray,
             visible: np.ndarray, config: CPNConfig, targets: Targets) -> tuple[torch.Tensor, torch.Tensor]:
    """(GlobalNet loss, RefineNet loss) of a batch: its four (B, J, h, w) GlobalNet heatmaps (C5..C2) and the
    RefineNet heatmaps against Gaussians at the (B, J, 2) crop-pixel keypoints, (B, J) `visible` the mask."""
    device = refined.device
    mask = torch.from_numpy(visible).to(device, refined.dtype)  # (B, J)

    def target(sigma: float) -> torch.Tensor:
        return gaussian_heatmaps(keypoints, config.heatmap_size, sigma, config.heatmap_peak).to(device)

    global_loss = sum((joint_losses(h, target(s)) * mask).mean()
                      for h, s in zip(global_heatmaps, targets.sigma_global, strict=True))
    return global_loss, ohkm(joint_losses(refined, target(targets.sigma_refine)), mask, targets.ohkm_k)


def keypoint_errors(model: CPN, samples: PersonFrames, batch_size: int = 32, flip_test: bool = True) -> np.ndarray:
    """(N, J) distances in full-resolution pixels between `detect_keypoints` (on the frames at their video
    resolution, mapped back) and the target keypoints; NaN where a joint is unlabelled."""
    found = detect_keypoints(model, samples.frames, samples.boxes * samples.scale[:, None], batch_size=batch_size,
                             flip_test=flip_test)  # (N, J, 3), video pixels
    predicted = found[..., :2] / samples.scale[:, None, None]  # (N, J, 2), full-resolution pixels
    return np.linalg.norm(predicted - samples.keypoints, axis=-1)


def error_summary(errors: np.ndarray, thresholds: Sequence[float], names: Sequence[str] = LAYOUTS["coco"].names
                  ) -> dict[str, float]:
    """Mean, median, 95th percentile and PCK at `thresholds` (pixels) of the labelled entries of (N, J)
    pixel errors, and each joint's mean: `test_mean_px`, ..., `test_pck_<t>px`, `test_mean_px_<joint>`."""
    finite = np.isfinite(errors)  # (N, J)
    labelled = errors[finite]
    if labelled.size == 0:
        raise ValueError("no labelled joint to score")
    row = {"test_mean_px": float(labelled.mean()), "test_median_px": float(np.median(labelled)),
           "test_p95_px": float(np.percentile(labelled, 95))}
    row.update({f"test_pck_{t:g}px": float((labelled <= t).mean()) for t in thresholds})
    with np.errstate(invalid="ignore", divide="ignore"):  # a joint never labelled: NaN
        per_joint = np.where(finite, errors, 0).sum(axis=0) / finite.sum(axis=0)
    row.update({f"test_mean_px_{name}": float(e) for name, e in zip(names, per_joint, strict=True)})
    return row


def initial_cpn(config: CPNConfig, seed: int, init_weights: str | os.PathLike | None = None) -> CPN:
    """The CPN to fine-tune: `init_weights` (ours or a pytorch-cpn COCO checkpoint, read at `config.input_size`,
    of `config.depth`), or a random initialisation from `seed` (heatmap convolutions `HEATMAP_INIT_STD`; torch's
    global generator left as it was)."""
    if init_weights is None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = CPN(config)
            for head in (*model.global_net.predict, model.refine_net.final_predict):
                conv = next(m for m in head if isinstance(m, torch.nn.Conv2d) and m.out_channels == config.num_joints)
                torch.nn.init.normal_(conv.weight, std=HEATMAP_INIT_STD)
        return model
    model, _ = load_cpn(init_weights, input_size=config.input_size)
    if model.config.depth != config.depth or model.config.num_joints != config.num_joints:
        raise ValueError(f"{init_weights}: holds a CPN-{model.config.depth} with {model.config.num_joints} joints, "
                         f"not the CPN-{config.depth} with {config.num_joints} to fine-tune")
    return model.train()


class Finetuner:
    """One fine-tuning job: model, optimizer, data, the random generator and the per-epoch history.

    Args:
        model: the CPN to train (`initial_cpn`), moved to `device`.
        train, test: training samples and held-out samples (scored after every epoch).
        schedule, augmentation, targets: see their classes.
        batch_size: crops per step.
        seed: seeds the shuffle and the augmentation.
        thresholds: PCK thresholds in full-resolution pixels.
        eval_batch_size: frames per forward pass in the evaluation (flip test: twice as many crops).
        label: printed in progress lines.
    """

    def __init__(self, model: CPN, train: PersonFrames, test: PersonFrames, schedule: Schedule,
                 augmentation: Augmentation, targets: Targets, batch_size: int, seed: int,
                 thresholds: Sequence[float] = (5, 10, 20), eval_batch_size: int = 32,
                 device: torch.device | str = "cpu", label: str = "finetune"):
        if len(train) == 0 or len(test) == 0:
            raise ValueError(f"need training and test frames, got {len(train)} and {len(test)}")
        self.device = torch.device(device)
        self.model = model.to(self.device).train()
        self.config = model.config
        self.train_samples, self.test_samples = train, test
        self.schedule, self.augmentation, self.targets = schedule, augmentation, targets
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size
        self.thresholds, self.label = tuple(thresholds), label
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=schedule.lr, weight_decay=schedule.weight_decay,
                                          fused=True)
        self.generator = torch.Generator().manual_seed(seed)
        self.history: list[dict] = []

    @property
    def epoch(self) -> int:
        return len(self.history)

    @property
    def done(self) -> bool:
        return self.epoch >= self.schedule.epochs

    def state(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "history": [dict(h) for h in self.history], "rng_state": self.generator.get_state()}

    def restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.history = [dict(h) for h in state["history"]]
        self.generator.set_state(state["rng_state"])

    def score(self) -> dict[str, float]:
        self.model.eval()
        try:
            errors = keypoint_errors(self.model, self.test_samples, self.eval_batch_size)
        finally:
            self.model.train()
        return error_summary(errors, self.thresholds)

    def train_epoch(self) -> dict:
        """Train one epoch, score the test frames, and return (and record) the epoch's row of the history."""
        epoch = self.epoch + 1
        lr = self.schedule.learning_rate(epoch)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.model.train()
        start = time.perf_counter()
        order = torch.randperm(len(self.train_samples), generator=self.generator).numpy()
        sums = torch.zeros(2, dtype=torch.float64, device=self.device)  # GlobalNet, RefineNet loss x samples
        for begin in range(0, len(order), self.batch_size):
            ids = order[begin:begin + self.batch_size]
            batch = training_batch(self.train_samples, ids, self.config, self.augmentation, self.generator)
            global_heatmaps, refined = self.model(batch.crops.to(self.device), with_global=True)
            losses = cpn_loss(global_heatmaps, refined, batch.keypoints, batch.visible, self.config, self.targets)
            self.optimizer.zero_grad(set_to_none=True)
            (losses[0] + losses[1]).backward()
            self.optimizer.step()
            sums += torch.stack(losses).detach().double() * len(ids)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        train_wall = time.perf_counter() - start
        samples = len(order)
        global_loss, refine_loss = (sums / samples).tolist()
        row = {"epoch": epoch, "lr": lr, "samples": samples, "train_loss": global_loss + refine_loss,
               "train_loss_global": global_loss, "train_loss_refine": refine_loss, "train_wall_s": train_wall,
               "cum_train_wall_s": (self.history[-1]["cum_train_wall_s"] if self.history else 0.0) + train_wall,
               "samples_per_s": samples / train_wall if train_wall > 0 else math.inf,
               "test_frames": len(self.test_samples)}
        start = time.perf_counter()
        row.update(self.score())
        row["eval_wall_s"] = time.perf_counter() - start
        self.history.append(row)
        return row

    def progress_line(self, row: dict, elapsed: float) -> str:
        """One line per epoch: loss, test errors, time, speed and the estimated time left (`elapsed`: seconds
        per epoch so far times the epochs done)."""
        eta = elapsed / row["epoch"] * (self.schedule.epochs - row["epoch"])
        pck = " ".join(f"PCK@{t:g} {row[f'test_pck_{t:g}px']:.3f}" for t in self.thresholds)
        loss = (f"loss {row['train_loss']:.4g} (global {row['train_loss_global']:.4g}, "
                f"refine {row['train_loss_refine']:.4g})")
        test = (f"test {row['test_mean_px']:.1f} px mean, {row['test_median_px']:.1f} median, "
                f"{row['test_p95_px']:.1f} p95, {pck}")
        return (f"[{self.label}] epoch {row['epoch']}/{self.schedule.epochs} lr {row['lr']:.2e} {loss} | {test} | "
                f"{row['train_wall_s']:.1f} s + {row['eval_wall_s']:.1f} s eval, {row['samples_per_s']:,.1f} "
                f"samples/s, ETA {time.strftime('%H:%M:%S', time.gmtime(eta))}")


def save_resume(path: str | os.PathLike, finetuner: Finetuner, fingerprint: str) -> None:
    """Write the trainer's state atomically, tagged with the job's `fingerprint` (its parameters and inputs)."""
    data = {"format": RESUME_FORMAT, "fingerprint": fingerprint, "config": finetuner.config.to_dict(),
            "state": finetuner.state()}
    with atomic_path(path) as tmp:
        torch.save(data, tmp)


def load_resume(path: str | os.PathLike, fingerprint: str) -> dict | None:
    """The trainer state of a resume file of the same job (`fingerprint`), or None for another job's.
    ValueError for a file that is not a resume file."""
    path = Path(path)
    data = _torch_load(path)
    if data.get("format") != RESUME_FORMAT or not isinstance(data.get("state"), dict):
        raise ValueError(f"{path}: not a CPN fine-tuning resume file")
    return data["state"] if data.get("fingerprint") == fingerprint else None
