"""Routing test video to per-action experts without action labels, and every expert on every action.

Given each expert's prediction of every test sequence (`expert_predictions`) and the classifier's
per-frame action probabilities, a sequence is lifted four ways (`ROUTES`):
- `oracle`: by the expert of its true action (the per-action row of Tables 1 and 2, which needs labels);
- `sequence`: wholly by the expert of its predicted action (the probabilities averaged over the sequence);
- `window`: each frame by the expert of the action predicted around it;
- `mixture`: each frame the experts' predictions weighted by the probabilities.
All four are scored on the same frames with the same protocol (`lifting.evaluation.sequence_errors`). The
transfer matrix scores every model on every test action: how much an expert is worth off its own action.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence as Seq

import pandas as pd
import torch

from poselift.lifting.evaluation import predict, score_predictions
from poselift.lifting.model import TemporalModel
from poselift.lifting.sequences import Sequence, Symmetry

ROUTES = ("oracle", "sequence", "window", "mixture")


@torch.no_grad()
def expert_predictions(models: Mapping[str, TemporalModel], sequences: list[Sequence], symmetry: Symmetry,
                       tta: bool, device: torch.device | str = "cpu") -> dict[str, list[torch.Tensor]]:
    """Each model's 3D prediction (T, J, 3) of every sequence, metres, camera frame (root as predicted)."""
    inputs = [torch.from_numpy(s.poses_2d).to(device) for s in sequences]
    out = {}
    for name, model in models.items():
        model.eval()
        out[name] = predict(model, inputs, symmetry, tta)
    return out


def routed_predictions(experts: Mapping[str, list[torch.Tensor]], probabilities: list[torch.Tensor],
                       sequences: list[Sequence], actions: Seq[str]) -> dict[str, tuple[list[torch.Tensor],
                                                                                    list[torch.Tensor]]]:
    """Per route: the predictions (T, J, 3) of every sequence and, per frame, the expert used (index into
    `actions`; for the mixture the most probable one). `experts` holds one entry per action of `actions`;
    `probabilities` the classifier's (T, A) per sequence, columns in `actions` order."""
    stacked = [torch.stack([experts[a][i] for a in actions]) for i in range(len(sequences))]  # (A, T, J, 3) each
    out: dict[str, tuple[list[torch.Tensor], list[torch.Tensor]]] = {route: ([], []) for route in ROUTES}
    for seq, preds, prob in zip(sequences, stacked, probabilities, strict=True):
        frames = torch.arange(seq.frames, device=prob.device)
        choices = {
            "oracle": torch.full((seq.frames,), list(actions).index(seq.base_action), device=prob.device),
            "sequence": prob.mean(dim=0).argmax().expand(seq.frames),
            "window": prob.argmax(dim=-1),
        }
        for route, choice in choices.items():
            out[route][0].append(preds[choice.to(preds.device), frames.to(preds.device)])
            out[route][1].append(choice)
        weights = prob.to(preds.dtype).T[:, :, None, None].to(preds.device)  # (A, T, 1, 1)
        out["mixture"][0].append((weights * preds).sum(dim=0))
        out["mixture"][1].append(prob.argmax(dim=-1))
    return out


def scored_rows(predictions: list[torch.Tensor], sequences: list[Sequence], **columns) -> pd.DataFrame:
    """`score_predictions` with `columns` (e.g. route="window") as leading columns."""
    rows = score_predictions(predictions, sequences)
    for i, (key, value) in enumerate(columns.items()):
        rows.insert(i, key, value)
    return rows


def routing_rows(routed: Mapping[str, tuple[list[torch.Tensor], list[torch.Tensor]]], sequences: list[Sequence],
                 actions: Seq[str]) -> pd.DataFrame:
    """Per route and sequence: the errors and the share of frames lifted by the sequence's own expert."""
    parts = []
    for route, (predictions, choices) in routed.items():
        rows = scored_rows(predictions, sequences, route=route)
        rows["right_expert"] = [float((c == list(actions).index(s.base_action)).float().mean())
                                for c, s in zip(choices, sequences, strict=True)]
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)


def transfer_rows(experts: Mapping[str, list[torch.Tensor]], sequences: list[Sequence]) -> pd.DataFrame:
    """Per model and sequence: the errors of that model on that sequence (every model on every action)."""
    return pd.concat([scored_rows(preds, sequences, model=name) for name, preds in experts.items()],
                     ignore_index=True)
