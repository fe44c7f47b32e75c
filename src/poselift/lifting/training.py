"""VideoPose3D's supervised training loop, resumable at every epoch and deterministic on CPU.

Per epoch: a seeded shuffle of all samples (flipped copies included), batches through the strided
model, MPJPE loss against the root-zeroed target, Adam with Amsgrad. After the epoch the learning
rate decays (x lr_decay per epoch, or per baseline-epoch's worth of frames seen), the batch-norm
momentum decays exponentially from its start to its end value over the job (VideoPose3D:
m_e = m_0 (m_end / m_0)^((e - 1) / E) in epoch e), and the test set is scored with the dilated model
sharing the trained weights.

Everything a resumed job needs is in `Trainer.state()`: weights, optimizer, epoch, the per-epoch
history and the random-number states (the shuffle generator and the dropout generator), so stopping
after any epoch and resuming gives the same weights and history. The trainer leaves torch's global
generator as it found it: weights are initialised inside `torch.random.fork_rng`, and dropout and
shuffling draw from generators of their own, all seeded from the job's seed.

Precision `bf16` trains with bfloat16 matrix products in the blocks (`TemporalModelOptimized1f.compute_dtype`)
and float32 everywhere else: master weights, optimizer, batch-norm statistics, loss and evaluation.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from poselift.lifting.aggregation import per_action
from poselift.lifting.evaluation import evaluate
from poselift.lifting.metrics import MM, mpjpe
from poselift.lifting.model import ModelConfig, TemporalModel, TemporalModelOptimized1f, trajectory_config
from poselift.lifting.sequences import Sequence, Symmetry
from poselift.lifting.windows import WindowBank

PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16}  # train.precision -> dtype of the blocks' products


def resolve_device(name: str) -> torch.device:
    """'auto' -> CUDA when present, else CPU; 'cuda' without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested, but torch sees no CUDA device")
    return torch.device(name)


@dataclass(frozen=True)
class Schedule:
    """Epochs, learning rate and batch-norm momentum of one job."""

    epochs: int
    lr: float = 1e-3
    lr_decay: float = 0.95
    lr_decay_by: str = "epoch"  # "epoch" | "frames"
    reference_samples: int = 0  # samples of one baseline epoch, for lr_decay_by = "frames"
    bn_momentum_start: float = 0.1
    bn_momentum_end: float = 0.001

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.lr_decay_by not in ("epoch", "frames"):
            raise ValueError(f"lr_decay_by must be 'epoch' or 'frames', got {self.lr_decay_by!r}")
        if self.lr_decay_by == "frames" and self.reference_samples <= 0:
            raise ValueError("lr_decay_by 'frames' needs the samples of one baseline epoch")

    def learning_rate(self, epoch: int, samples_seen: int) -> float:
        """Learning rate of epoch `epoch` (1-based), `samples_seen` before it."""
        steps = epoch - 1 if self.lr_decay_by == "epoch" else samples_seen / self.reference_samples
        return self.lr * self.lr_decay**steps

    def bn_momentum(self, epoch: int) -> float:
        ratio = self.bn_momentum_end / self.bn_momentum_start
        return self.bn_momentum_start * ratio ** ((epoch - 1) / self.epochs)


@dataclass(frozen=True)
class Models:
    """What an objective's loss trains: the pose model, and the trajectory model of a semi-supervised job."""

    pos: nn.Module
    traj: nn.Module | None = None


class Objective:
    """What a training job optimises and how it scores the test set, for `Trainer` (a base class: the hooks
    a supervised objective does not need do nothing)."""

    loss_unit: tuple[float, str]  # factor and unit of the printed training loss (1000, "mm" for MPJPE in metres)
    trajectory = False  # whether the job also trains a trajectory model (`Models.traj`)

    def start_epoch(self, epoch: int) -> None:
        """Called before the batches of epoch `epoch` (1-based)."""

    def loss(self, models: Models, bank: WindowBank, ids: torch.Tensor) -> torch.Tensor:
        """The mean loss of the training samples `ids` (B,) of `bank`."""
        raise NotImplementedError

    def terms(self) -> dict[str, float]:
        """Columns of the epoch's history row beside the loss (the semi-supervised loss terms); {} by default."""
        return {}

    def score(self, model: TemporalModel) -> dict[str, float]:
        """The test columns of a history row, from the dilated model holding the trained weights."""
        raise NotImplementedError

    def columns(self) -> list[str]:
        """The names `score` returns (NaN in an epoch without evaluation)."""
        raise NotImplementedError

    def summary(self, row: dict) -> str:
        """The test score of a history row for a progress line."""
        raise NotImplementedError


class Lifting(Objective):
    """2D-to-3D lifting (VideoPose3D): MPJPE against the root-zeroed target; scored with VideoPose3D's
    evaluation on the model's own test sequences (the action-wise average and each own action, mm).

    Args:
        test_sequences: the model's own test sequences.
        symmetry: flip lists, for test-time augmentation.
        tta: test-time flip augmentation in the scores.
        device: where the test sequences are evaluated.
    """

    loss_unit = (MM, "mm")

    def __init__(self, test_sequences: list[Sequence], symmetry: Symmetry, tta: bool = True,
                 device: torch.device | str = "cpu"):
        self.test_sequences, self.symmetry, self.tta, self.device = test_sequences, symmetry, tta, device
        self.test_actions = sorted({s.base_action for s in test_sequences})

    def loss(self, models: Models, bank: WindowBank, ids: torch.Tensor) -> torch.Tensor:
        x, y = bank.batch(ids)  # (B, RF, J_in, 2), (B, 1, J_out, 3)
        return mpjpe(models.pos(x), y)

    def score(self, model: TemporalModel) -> dict[str, float]:
        rows = evaluate(model, self.test_sequences, self.symmetry, self.tta, self.device)
        by_action = per_action(rows, ("mpjpe", "mpjve"))
        out = {"test_mpjpe": float(by_action["mpjpe"].mean()), "test_mpjve": float(by_action["mpjve"].mean())}
        for action in self.test_actions:
            out[f"test_mpjpe_{action}"] = float(by_action.loc[action, "mpjpe"])
            out[f"test_mpjve_{action}"] = float(by_action.loc[action, "mpjve"])
        return out

    def columns(self) -> list[str]:
        return ["test_mpjpe", "test_mpjve",
                *(f"test_{m}_{a}" for a in self.test_actions for m in ("mpjpe", "mpjve"))]

    def summary(self, row: dict) -> str:
        return f"test MPJPE {row['test_mpjpe']:.1f} mm MPJVE {row['test_mpjve']:.2f} mm"


class Trainer:
    """One training job: model, optimizer, data and the per-epoch history.

    Args:
        config: architecture.
        bank: the training windows (on `device`).
        objective: the loss and the test score (`Lifting`, or the action classifier's).
        schedule: epochs, learning rate and batch-norm momentum.
        batch_size: samples per step.
        seed: seeds weight initialisation, shuffling and dropout.
        eval_every: score the test set every this many epochs (and after the last).
        recompute_bn: before scoring, re-estimate the batch-norm statistics over the training set
            (`recompute_bn_statistics`) instead of using the running averages.
        label: printed in progress lines (e.g. "f27_ue15/Eating").
        precision: "fp32", or "bf16" for bfloat16 matrix products in training (see the module docstring).

    An objective with `trajectory` also trains a trajectory model (the pose model's architecture with one
    output joint, `trajectory_config`), initialised after the pose model from the same stream, drawing
    its dropout from the same generator and optimised by the same Adam.
    """

    def __init__(self, config: ModelConfig, bank: WindowBank, objective: Objective, schedule: Schedule,
                 batch_size: int, seed: int, eval_every: int = 1, device: torch.device | str = "cpu",
                 recompute_bn: bool = False, label: str = "", precision: str = "fp32"):
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}")
        self.config, self.bank, self.objective = config, bank, objective
        self.schedule, self.batch_size = schedule, batch_size
        self.eval_every, self.device, self.label = eval_every, torch.device(device), label
        self.recompute_bn = recompute_bn
        with torch.random.fork_rng(devices=[]):  # the global generator is restored on exit
            torch.manual_seed(seed)
            model = TemporalModelOptimized1f(config)
            eval_model = TemporalModel(config)
            model_traj = TemporalModelOptimized1f(trajectory_config(config)) if objective.trajectory else None
            after_init = torch.get_rng_state()
        # Dropout draws continue the stream that initialised the weights (on CUDA: a generator of the device).
        self.dropout = torch.Generator(device=self.device)
        if self.device.type == "cpu":
            self.dropout.set_state(after_init)
        else:
            self.dropout.manual_seed(seed)
        self.trained = tuple(m.to(self.device) for m in (model, model_traj) if m is not None)  # the optimizer's
        for trained in self.trained:
            trained.dropout_generator = self.dropout
            trained.compute_dtype = PRECISIONS[precision]
        self.model, self.model_traj = model, model_traj
        self.models = Models(model, model_traj)
        self.eval_model = eval_model.to(self.device)
        parameters = [p for trained in self.trained for p in trained.parameters()]
        self.optimizer = torch.optim.Adam(parameters, lr=schedule.lr, amsgrad=True, fused=True)
        self.shuffle = torch.Generator().manual_seed(seed)
        self.history: list[dict] = []

    @property
    def epoch(self) -> int:
        return len(self.history)

    @property
    def done(self) -> bool:
        return self.epoch >= self.schedule.epochs

    def state(self) -> dict:
        rng = {"dropout": self.dropout.get_state(), "shuffle": self.shuffle.get_state()}
        return {"model_pos": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "model_traj": self.model_traj.state_dict() if self.model_traj is not None else None,
                "history": [dict(h) for h in self.history], "rng_state": rng}

    def restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model_pos"])
        if self.model_traj is not None:
            if state.get("model_traj") is None:
                raise ValueError("the state to restore has no trajectory model")
            self.model_traj.load_state_dict(state["model_traj"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.history = [dict(h) for h in state["history"]]
        self.dropout.set_state(state["rng_state"]["dropout"])
        self.shuffle.set_state(state["rng_state"]["shuffle"])

    def next_lr(self) -> float:
        """The learning rate of the next epoch (VideoPose3D stores this as a checkpoint's `lr`)."""
        return self.schedule.learning_rate(self.epoch + 1, self.history[-1]["samples_seen"] if self.history else 0)

    @torch.no_grad()
    def recompute_bn_statistics(self) -> None:
        """Re-estimate every batch norm's statistics as the plain average over one pass through the
        training set (flips included, dropout off, a fixed shuffle), the weights unchanged.

        VideoPose3D's momentum decays per epoch from 0.1 to 0.001 over the job. With few batches per
        epoch (an action's share of a small data set) the running averages then stop following the
        weights long before training ends, and the evaluation runs on stale statistics.
        """
        norms = [self.model.expand_bn, *self.model.layers_bn]
        momenta, dropout = [bn.momentum for bn in norms], self.model.drop.p
        compute_dtype = self.model.compute_dtype
        for bn in norms:
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average
        self.model.train()
        self.model.drop.p = 0.0
        self.model.compute_dtype = torch.float32  # the statistics of the float32 activations evaluation sees
        try:
            for ids in self.bank.epoch_batches(self.batch_size, torch.Generator().manual_seed(0)):
                self.model(self.bank.batch(ids)[0])
        finally:
            for bn, momentum in zip(norms, momenta, strict=True):
                bn.momentum = momentum
            self.model.drop.p = dropout
            self.model.compute_dtype = compute_dtype

    def score(self) -> dict[str, float]:
        """The objective's test score of the current weights."""
        if self.recompute_bn:
            self.recompute_bn_statistics()
        self.eval_model.load_state_dict(self.model.state_dict())
        self.eval_model.eval()
        return self.objective.score(self.eval_model)

    def train_epoch(self) -> dict:
        """Train one epoch, score it if due, and return (and record) its row of the history."""
        epoch = self.epoch + 1
        samples_before = self.history[-1]["samples_seen"] if self.history else 0
        lr = self.schedule.learning_rate(epoch, samples_before)
        momentum = self.schedule.bn_momentum(epoch)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        for trained in self.trained:
            trained.set_bn_momentum(momentum)
            trained.train()
        self.objective.start_epoch(epoch)
        start = time.perf_counter()
        batches = self.bank.epoch_batches(self.batch_size, self.shuffle)
        loss_sum = torch.zeros((), device=self.device)
        interactive = sys.stderr.isatty()
        for ids in tqdm(batches, desc=f"{self.label} epoch {epoch}", unit="batch", leave=False,
                        disable=not interactive):
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.objective.loss(self.models, self.bank, ids)
            loss.backward()
            self.optimizer.step()
            loss_sum += loss.detach() * len(ids)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        train_wall = time.perf_counter() - start
        samples = len(self.bank)
        row = {
            "epoch": epoch, "lr": lr, "bn_momentum": momentum, "samples": samples,
            "samples_seen": samples_before + samples,
            "train_loss": float(loss_sum) / samples * self.objective.loss_unit[0],
            "train_wall_s": train_wall,
            "cum_train_wall_s": (self.history[-1]["cum_train_wall_s"] if self.history else 0.0) + train_wall,
            "samples_per_s": samples / train_wall if train_wall > 0 else math.inf,
            **self.objective.terms(),
        }
        start = time.perf_counter()
        if epoch % self.eval_every == 0 or epoch == self.schedule.epochs:
            row.update(self.score())
        else:
            row.update(dict.fromkeys(self.objective.columns(), math.nan))
        row["eval_wall_s"] = time.perf_counter() - start
        row["wall_s"] = row["train_wall_s"] + row["eval_wall_s"]
        self.history.append(row)
        return row

    def progress_line(self, row: dict, elapsed: float) -> str:
        remaining = self.schedule.epochs - row["epoch"]
        eta = elapsed / row["epoch"] * remaining
        evaluated = not np.isnan(row[self.objective.columns()[0]])
        test = self.objective.summary(row) if evaluated else "test -"
        return (f"[{self.label}] epoch {row['epoch']}/{self.schedule.epochs} lr {row['lr']:.6f} "
                f"loss {row['train_loss']:.1f} {self.objective.loss_unit[1]} {test} | {row['train_wall_s']:.1f} s "
                f"{row['samples_per_s']:,.0f} samples/s ETA {time.strftime('%H:%M:%S', time.gmtime(eta))}")
