"""Evaluate one trained model as VideoPose3D does, on its own test actions.

The baseline is scored on all 15 actions, an action model on its own action. Works the same for a
checkpoint of ours and for one of VideoPose3D's (`epoch_80.bin`, `pretrained_h36m_cpn.bin`), whose
architecture is read from its parameter shapes. Writes one row per test sequence and camera
(Parquet) and a summary JSON: per action (frames averaged within the action), the action-wise
average (unweighted over actions) and the same per subject.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import torch

from poselift.actions import check_model_name
from poselift.aggregation import action_wise_average, per_action, per_subject
from poselift.atomic import sha256_file, write_json, write_parquet
from poselift.checkpoint import CheckpointError, load_checkpoint
from poselift.evaluation import evaluate
from poselift.formats import load_2d, load_3d
from poselift.model import TemporalModel
from poselift.sequences import build_sequences, layout_symmetry
from poselift.training import resolve_device
from stages import _cli


def _clean(values: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in values.items()}


def main(params: dict, *, experiment: str, model: str, checkpoint: Path, data_3d: Path, data_2d: Path,
         out_rows: Path, out_summary: Path) -> None:
    settings, tta = _cli.train_settings(params, experiment), params["evaluate"]["tta"]
    check_model_name(model)
    torch.set_num_threads(settings["threads"])
    device = resolve_device(settings["device"])
    ckpt = load_checkpoint(checkpoint, causal=settings["causal"], dropout=settings["dropout"])
    positions_3d = load_3d(data_3d)
    positions_2d, metadata = load_2d(data_2d)
    layout, symmetry = layout_symmetry(metadata)
    if ckpt.config.num_joints_in != layout.num_joints or ckpt.config.num_joints_out != 17:
        raise CheckpointError(f"{checkpoint}: model takes {ckpt.config.num_joints_in} joints and predicts "
                              f"{ckpt.config.num_joints_out}, but {data_2d} has {layout.num_joints} "
                              f"({layout.name} layout) and the 3D targets 17")
    net = TemporalModel(ckpt.config).to(device)
    try:
        net.load_state_dict(ckpt.model_pos)
    except RuntimeError as err:
        raise CheckpointError(f"{checkpoint}: 'model_pos' does not fit the architecture "
                              f"{ckpt.config.filter_widths}: {str(err).splitlines()[0]}") from err
    sequences = build_sequences(positions_3d, positions_2d, metadata, settings["subjects_test"], model,
                                str(data_3d), str(data_2d))
    print(f"[{experiment}/{model}] evaluating {checkpoint} ({ckpt.source}, receptive field "
          f"{ckpt.config.receptive_field}) on {len(sequences)} sequences, TTA {tta}, device {device}",
          file=sys.stderr, flush=True)
    rows = evaluate(net, sequences, symmetry, tta, device)
    rows.insert(0, "experiment", experiment)
    rows.insert(1, "model", model)
    by_action = per_action(rows)
    summary = {
        "experiment": experiment, "model": model, "checkpoint": str(checkpoint),
        "checkpoint_sha256": sha256_file(checkpoint), "checkpoint_source": ckpt.source, "epochs": ckpt.epoch,
        "tta": tta, "units": "mm; mpjve in mm per frame (50 Hz)",
        "inputs": {"data_3d": str(data_3d), "data_2d": str(data_2d)},
        "actions": list(by_action.index),
        "per_action": {a: _clean({k: (int(v) if k in ("frames", "sequences") else float(v)) for k, v in r.items()})
                       for a, r in by_action.to_dict(orient="index").items()},
        "average": _clean({k: float(v) for k, v in action_wise_average(rows).items()}),
        "per_subject": {s: _clean({k: float(v) for k, v in r.items()})
                        for s, r in per_subject(rows).to_dict(orient="index").items()},
    }
    write_parquet(out_rows, rows)
    write_json(out_summary, summary)
    avg = summary["average"]
    print(f"[{experiment}/{model}] MPJPE {avg['mpjpe']:.1f} mm, P-MPJPE {avg['p_mpjpe']:.1f} mm, "
          f"N-MPJPE {avg['n_mpjpe']:.1f} mm, MPJVE {avg['mpjve']:.2f} mm (action-wise average)",
          file=sys.stderr, flush=True)


def cli(argv: list[str] | None = None) -> None:
    parser = _cli.job_parser(__doc__)
    parser.add_argument("--checkpoint", type=Path, required=True, help="our .pt or a VideoPose3D .bin")
    parser.add_argument("--out-rows", type=Path, required=True, help="output: per-sequence errors (.parquet)")
    parser.add_argument("--out-summary", type=Path, required=True, help="output: summary (.json)")
    args = parser.parse_args(argv)
    _cli.run(lambda: main(_cli.load_params(args.params), experiment=args.experiment, model=args.model,
                          checkpoint=args.checkpoint, data_3d=args.data_3d, data_2d=args.data_2d,
                          out_rows=args.out_rows, out_summary=args.out_summary))


if __name__ == "__main__":
    cli()
