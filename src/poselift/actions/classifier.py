"""The action classifier: VideoPose3D's temporal convolutions over a window of 2D keypoints, ending in one
logit per action instead of a 3D pose (papers/003 motivates deciding the action from the pose).

It is the lifting model's family (`ModelConfig` with `out_features=1` and one output "joint" per
action), so it trains on the same windows, with the same strided model, schedule, seeding and resume
(`Trainer` with the `Classification` objective), and runs on the same devices. A window's class is the
base action of its sequence. Scores: accuracy per window (each frame's window) and per sequence (the
majority vote of its windows), overall and per action, and the confusion matrix.
"""

from __future__ import annotations

from collections.abc import Sequence as Seq

import pandas as pd
import torch
from torch.nn import functional as F

from poselift.lifting.evaluation import predict
from poselift.lifting.model import ModelConfig, TemporalModel
from poselift.lifting.sequences import Sequence, Symmetry
from poselift.lifting.training import Models, Objective
from poselift.lifting.windows import WindowBank, flip_poses


def classifier_config(num_joints_in: int, actions: int, architecture: Seq[int], channels: int, dropout: float,
                      causal: bool = False) -> ModelConfig:
    """The classifier's architecture: the temporal model with one logit per action."""
    return ModelConfig(num_joints_in=num_joints_in, in_features=2, num_joints_out=actions,
                       filter_widths=tuple(architecture), causal=causal, dropout=dropout, channels=channels,
                       out_features=1)


@torch.no_grad()
def action_probabilities(model: TemporalModel, sequences: list[Sequence], symmetry: Symmetry,
                         tta: bool) -> list[torch.Tensor]:
    """Per sequence (T, A) probabilities of the actions around each frame (softmax of the logits; with
    `tta`, of the mean of the logits of the input and its mirror image)."""
    model.eval()
    inputs = [torch.as_tensor(s.poses_2d) for s in sequences]
    logits = [p[:, :, 0] for p in predict(model, inputs, symmetry, tta=False)]  # (T, A) each
    if tta:
        mirrored = [flip_poses(x, symmetry.kps_left, symmetry.kps_right) for x in inputs]
        logits = [(a + b[:, :, 0]) / 2 for a, b in zip(logits, predict(model, mirrored, symmetry, tta=False),
                                                      strict=True)]
    return [torch.softmax(lg, dim=-1) for lg in logits]


def classification_rows(probabilities: list[torch.Tensor], sequences: list[Sequence],
                        actions: Seq[str]) -> pd.DataFrame:
    """One row per test sequence: its action, the window accuracy (share of frames whose window is put in
    the right action), the voted action (most frequent per-window decision) and the mean probabilities."""
    rows = []
    for seq, prob in zip(sequences, probabilities, strict=True):
        truth = actions.index(seq.base_action)
        decided = prob.argmax(dim=-1)  # (T,)
        votes = torch.bincount(decided, minlength=len(actions))
        rows.append({"subject": seq.subject, "action": seq.action, "base_action": seq.base_action,
                     "camera": seq.camera, "frames": seq.frames,
                     "window_accuracy": float((decided == truth).float().mean()),
                     "voted": actions[int(votes.argmax())], **{f"p_{a}": float(prob[:, i].mean())
                                                                for i, a in enumerate(actions)}})
    return pd.DataFrame(rows)


def accuracy_summary(rows: pd.DataFrame, actions: Seq[str]) -> dict:
    """Accuracy overall and per action, per window (frame-weighted) and per sequence (vote), and the
    confusion matrix of the votes (rows: true action, columns: voted action)."""
    rows = rows.assign(correct=rows["voted"] == rows["base_action"],
                       right_frames=rows["window_accuracy"] * rows["frames"])
    per_action = {a: {"window": float(g["right_frames"].sum() / g["frames"].sum()),
                      "sequence": float(g["correct"].mean()), "sequences": len(g)}
                  for a, g in rows.groupby("base_action", sort=False)}
    confusion = pd.crosstab(rows["base_action"], rows["voted"]).reindex(index=actions, columns=actions, fill_value=0)
    return {"window": float(rows["right_frames"].sum() / rows["frames"].sum()),
            "sequence": float(rows["correct"].mean()), "per_action": per_action,
            "confusion": {a: {b: int(confusion.at[a, b]) for b in actions} for a in actions}}


class Classification(Objective):
    """The classifier's objective for `Trainer`: cross-entropy of the window's action; scored by window and
    sequence accuracy on the test sequences.

    Args:
        test_sequences: the test sequences of every action.
        actions: the classes, in logit order.
        symmetry: flip lists (inputs only: a mirrored clip shows the same action).
        tta: average the logits of each test clip and its mirror image.
    """

    loss_unit = (1.0, "nats")

    def __init__(self, test_sequences: list[Sequence], actions: Seq[str], symmetry: Symmetry, tta: bool = True):
        self.test_sequences, self.actions, self.symmetry, self.tta = test_sequences, tuple(actions), symmetry, tta

    def loss(self, models: Models, bank: WindowBank, ids: torch.Tensor) -> torch.Tensor:
        x = bank.batch_inputs(ids)  # (B, RF, J_in, 2)
        logits = models.pos(x)[:, 0, :, 0]  # (B, A)
        return F.cross_entropy(logits, bank.batch_labels(ids))

    def score(self, model: TemporalModel) -> dict[str, float]:
        summary = accuracy_summary(classification_rows(
            action_probabilities(model, self.test_sequences, self.symmetry, self.tta), self.test_sequences,
            self.actions), self.actions)
        return {"test_accuracy": summary["window"], "test_sequence_accuracy": summary["sequence"]}

    def columns(self) -> list[str]:
        return ["test_accuracy", "test_sequence_accuracy"]

    def summary(self, row: dict) -> str:
        return f"test accuracy {row['test_accuracy']:.3f} (windows), {row['test_sequence_accuracy']:.3f} (sequences)"


def labels_of(sequences: list[Sequence], actions: Seq[str]) -> list[int]:
    """Each sequence's class index: its base action's position in `actions`."""
    return [list(actions).index(s.base_action) for s in sequences]

