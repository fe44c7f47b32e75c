"""Training budgets of the action-based study (papers/001, section III).

A unit epoch (UE) is one epoch over one action. The paper compares a baseline trained on all 15
actions with 15 per-action models under three rules:

- equal_epochs (formula 1, t0 = t_unit x 15): every action model trains `unit_epochs`; the paper
  pairs UE = 15 with a 1-epoch baseline and UE = 1200 with an 80-epoch one.
- equal_frames (formula 2): action A trains unit_epochs x (mean frames per action / frames of A)
  epochs, so that every action model sees the same number of frames whatever its size.
- fixed_data (formula 3): every model gets the same number of training frames N: the baseline
  takes N / 15 from each action (N over the number of study actions), an action model takes N from
  its own action. Each sequence gives a contiguous chunk of its frames with a deterministic start
  (VideoPose3D's `--subset` idea).

"Frames" count camera-frames, as VideoPose3D's "Training on N frames" does.
"""

from __future__ import annotations

import numpy as np

from poselift.lifting.sequences import Sequence
from poselift.seeding import job_seed
from poselift.study.models import BASELINE


def frames_per_action(sequences: list[Sequence]) -> dict[str, int]:
    """Training camera-frames per base action."""
    counts: dict[str, int] = {}
    for seq in sequences:
        key = seq.base_action
        counts[key] = counts.get(key, 0) + seq.frames
    return counts


def job_epochs(settings: dict, model: str, action_frames: dict[str, int]) -> int:
    """Epochs of one training job under the experiment's budget rule."""
    if model == BASELINE:
        return int(settings["baseline_epochs"])
    unit_epochs = int(settings["unit_epochs"])
    if settings["budget"] != "equal_frames":
        return unit_epochs
    if action_frames.get(model, 0) == 0:
        raise ValueError(f"action {model!r} has no training frames")
    mean_frames = sum(action_frames.values()) / len(action_frames)
    return max(1, round(unit_epochs * mean_frames / action_frames[model]))


def fixed_data_ranges(sequences: list[Sequence], model: str, budget_frames: int, seed: int,
                      actions: int) -> list[tuple[int, int]]:
    """Per sequence, the (start, stop) frames a model trains on under a fixed data budget.

    Each action's share (the whole budget for an action model, budget / `actions` per action for the
    baseline) is spread over the action's sequences in proportion to their length; a sequence
    gives one contiguous chunk whose start is drawn from a seed derived from its name. An action
    with fewer frames than its share is used whole.
    """
    share = budget_frames if model != BASELINE else budget_frames / actions
    totals = frames_per_action(sequences)
    return [_chunk(seq.frames, max(1, round(seq.frames * min(1.0, share / totals[seq.base_action]))),
                   job_seed(seed, "fixed_data", seq.subject, seq.action, str(seq.camera))) for seq in sequences]


def _chunk(frames: int, length: int, seed: int) -> tuple[int, int]:
    """(start, stop) of `length` contiguous frames of `frames`, the start drawn from `seed`."""
    start = int(np.random.default_rng(seed).integers(0, frames - length + 1))
    return start, start + length


def subset_ranges(sequences: list[Sequence], fraction: float, root_seed: int) -> list[tuple[int, int]]:
    """Per sequence, the (start, stop) frames of a labelled subset (VideoPose3D's `--subset`): one contiguous
    chunk of round(frames x fraction) frames, its start drawn from a seed of the root seed, the subject and
    the action, so that every camera of a take (of equal lengths, as Human3.6M's), the baseline and the
    action's own model, and every replicate train on the same labelled frames. ValueError when an action is
    left without frames."""
    ranges = [_chunk(seq.frames, round(seq.frames * fraction), job_seed(root_seed, "subset", seq.subject, seq.action))
              for seq in sequences]
    kept = {seq.base_action for seq, (start, stop) in zip(sequences, ranges, strict=True) if stop > start}
    empty = sorted({seq.base_action for seq in sequences} - kept)
    if empty:
        longest = max(seq.frames for seq in sequences if seq.base_action == empty[0])
        raise ValueError(f"subset {fraction}: action(s) {', '.join(empty)} keep no labelled frame (each sequence "
                         f"keeps round(frames x subset) frames; the longest of {empty[0]} has {longest})")
    return ranges


def job_warmup(settings: dict, epochs: int) -> int:
    """The warm-up epochs of a semi-supervised job: `semi_supervised.warmup` counts baseline epochs, and an
    action model's warm-up is the same fraction of its own `epochs`, round(warmup x epochs / baseline_epochs),
    and at least one epoch when the baseline has one."""
    warmup = settings["semi_supervised"]["warmup"]
    return max(1, round(warmup * epochs / settings["baseline_epochs"])) if warmup else 0
