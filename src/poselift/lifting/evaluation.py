"""VideoPose3D's evaluation: whole test sequences through the dilated model.

Each sequence (subject, action, camera) is edge-padded by the model's context (shifted into the
past for causal models) so that every frame gets a prediction. With test-time augmentation (TTA) the
mirrored input is predicted too, its prediction mirrored back (x negated, left and right joints
swapped) and averaged with the original one. The target's root is zeroed and the prediction's is
not, exactly as VideoPose3D scores (so the root joint adds the norm of the predicted root).
Errors come back in millimetres (MPJVE: millimetres per frame, at the data set's frame rate).
"""

from __future__ import annotations

import pandas as pd
import torch

from poselift.lifting.metrics import MM, mpjpe, mpjve, n_mpjpe, p_mpjpe
from poselift.lifting.model import TemporalModel
from poselift.lifting.sequences import Sequence, Symmetry
from poselift.lifting.windows import flip_poses


def _edge_pad(x: torch.Tensor, left: int, right: int) -> torch.Tensor:
    """Repeat the first frame `left` times and the last `right` times along dim 0."""
    return torch.cat([x[:1].expand(left, *x.shape[1:]), x, x[-1:].expand(right, *x.shape[1:])])


@torch.no_grad()
def predict(model: TemporalModel, sequences: list[torch.Tensor], symmetry: Symmetry, tta: bool,
            max_frames: int = 1 << 15) -> list[torch.Tensor]:
    """3D poses (T, J_out, 3) for each 2D sequence (T, J_in, 2), in order.

    Sequences are batched by similar length (padded with their last frame, which cannot change the
    outputs of the real frames) so that short sequences do not cost one model call each.
    """
    rf = model.config.receptive_field
    shift = model.total_causal_shift()
    left, right = (rf - 1) // 2 + shift, (rf - 1) // 2 - shift
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    out: list[torch.Tensor | None] = [None] * len(sequences)
    start = 0
    while start < len(order):
        stop = start + 1
        while stop < len(order):
            longest = len(sequences[order[stop]])
            if (stop + 1 - start) * (longest + rf) * (2 if tta else 1) > max_frames:
                break
            stop += 1
        group = order[start:stop]
        length = max(len(sequences[i]) for i in group)
        batch = torch.stack([_edge_pad(sequences[i], left, right + length - len(sequences[i])) for i in group])
        if tta:  # (2G, T + RF - 1, J_in, 2): originals, then their mirror images
            batch = torch.cat([batch, flip_poses(batch, symmetry.kps_left, symmetry.kps_right)])
        pred = model(batch)  # (G or 2G, length, J_out, 3)
        if tta:
            g = len(group)
            pred = (pred[:g] + flip_poses(pred[g:], symmetry.joints_left, symmetry.joints_right)) / 2
        for k, i in enumerate(group):
            out[i] = pred[k, : len(sequences[i])]
        start = stop
    return out  # type: ignore[return-value]


def sequence_errors(predicted: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """Protocols #1-#3 and MPJVE of one sequence (T, J, 3) in mm; the target's root is zeroed."""
    target = target.clone()
    target[:, 0] = 0
    return {
        "mpjpe": float(mpjpe(predicted, target)) * MM,
        "p_mpjpe": float(p_mpjpe(predicted, target)) * MM,
        "n_mpjpe": float(n_mpjpe(predicted, target)) * MM,
        "mpjve": float(mpjve(predicted, target)) * MM if len(target) > 1 else float("nan"),
    }


def sub_action(name: str) -> str:
    """'Sitting 2' -> '2', 'Walking 1 chunk0' -> '1 chunk0', 'Eating' -> '': what follows the base action."""
    parts = name.split(" ", 1)
    return parts[1] if len(parts) == 2 else ""


def score_predictions(predictions: list[torch.Tensor], sequences: list[Sequence]) -> pd.DataFrame:
    """One row per sequence: subject, action, base_action, sub_action, camera, camera_id, frames and the
    four errors in mm of `predictions` (T, J, 3) each, metres, against the sequences' 3D poses."""
    rows = []
    for seq, pred in zip(sequences, predictions, strict=True):
        rows.append({
            "subject": seq.subject, "action": seq.action, "base_action": seq.base_action,
            "sub_action": sub_action(seq.action), "camera": seq.camera, "camera_id": seq.camera_id,
            "frames": seq.frames,
            **sequence_errors(pred, torch.from_numpy(seq.poses_3d).to(pred.device)),
        })
    return pd.DataFrame(rows)


def evaluate(model: TemporalModel, sequences: list[Sequence], symmetry: Symmetry, tta: bool,
             device: torch.device | str = "cpu") -> pd.DataFrame:
    """`score_predictions` of the model's predictions of `sequences`. The model is put in eval mode."""
    model.eval()
    inputs = [torch.from_numpy(s.poses_2d).to(device) for s in sequences]
    return score_predictions(predict(model, inputs, symmetry, tta), sequences)
