"""Evaluate one trained model as VideoPose3D does, on its own test actions.

The baseline is scored on all the study actions, an action model on its own action. A checkpoint of
ours is scored only as what it was trained to be: its record (experiment, model, architecture, the
content of the data files it was trained on) must match the job, else the stage fails naming both.
Any other checkpoint, and one of VideoPose3D's (`epoch_80.bin`, `pretrained_h36m_cpn.bin`, whose
architecture is read from its parameter shapes), is scored only with `--external`, and the summary
says so. Writes one row per test sequence and camera
(Parquet) and a summary JSON: per action (frames averaged within the action), the action-wise
average (unweighted over actions) and the same per subject.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import torch

from poselift.io.atomic import file_record, sha256_file, write_json, write_parquet
from poselift.io.formats import load_2d, load_3d
from poselift.lifting.aggregation import action_wise_average, per_action, per_subject
from poselift.lifting.evaluation import evaluate
from poselift.lifting.restore import pose_model
from poselift.lifting.sequences import evaluation_sequences, layout_symmetry
from poselift.lifting.training import resolve_device
from poselift.study.models import model_actions
from poselift.study.provenance import load_job_checkpoint
from stages import _cli


def _clean(values: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in values.items()}


def main(params: dict, settings: dict, *, experiment: str, model: str, checkpoint: Path, data_3d: Path,
         data_2d: Path, out_rows: Path, out_summary: Path, external: bool = False) -> None:
    """`params`: the sections `data` and `evaluate`; `settings`: the experiment's training settings;
    `external`: score a checkpoint that was not trained as this job (VideoPose3D's, or another job's)."""
    tta = params["evaluate"]["tta"]
    dataset = _cli.dataset_of(params)
    actions = model_actions(model, dataset)
    torch.set_num_threads(settings["threads"])
    device = resolve_device(settings["device"])
    inputs = {"data_3d": file_record(data_3d), "data_2d": file_record(data_2d)}
    ckpt = load_job_checkpoint(checkpoint, settings, experiment, model, inputs, external)
    record = ckpt.params if ckpt.source == "poselift" else {}
    trained_as = {"experiment": record["experiment"], "model": record["model"]} if record else None
    trained = f" {trained_as['experiment']}/{trained_as['model']}" if trained_as else ""
    source = f"external ({ckpt.source}{trained})" if external else ckpt.source
    positions_3d = load_3d(data_3d)
    positions_2d, metadata = load_2d(data_2d)
    layout, symmetry = layout_symmetry(metadata, dataset, str(data_2d))
    net = pose_model(ckpt, checkpoint, layout, data_2d, dataset, device)
    sequences = evaluation_sequences(settings, positions_3d, positions_2d, metadata, actions, dataset, str(data_3d),
                                     str(data_2d), params["data"]["expected_absent"])
    print(f"[{experiment}/{model}] evaluating {checkpoint} ({ckpt.source}, receptive field "
          f"{ckpt.config.receptive_field}) on {len(sequences)} sequences, TTA {tta}, device {device}",
          file=sys.stderr, flush=True)
    rows = evaluate(net, sequences, symmetry, tta, device)
    rows.insert(0, "experiment", experiment)
    rows.insert(1, "model", model)
    by_action = per_action(rows)
    summary = {
        "experiment": experiment, "model": model, "checkpoint": str(checkpoint),
        "checkpoint_sha256": sha256_file(checkpoint), "checkpoint_source": source, "epochs": ckpt.epoch,
        "trained_as": trained_as, "trained_on": record.get("inputs"),
        "tta": tta, "units": f"mm; mpjve in mm per frame ({dataset.fps:g} Hz)", "inputs": inputs,
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
    parser.add_argument("--external", action="store_true",
                        help="score a checkpoint not trained as this experiment and model (VideoPose3D's, another "
                             "job's); the summary records it as external")
    parser.add_argument("--out-rows", type=Path, required=True, help="output: per-sequence errors (.parquet)")
    parser.add_argument("--out-summary", type=Path, required=True, help="output: summary (.json)")
    args = parser.parse_args(argv)

    def run() -> None:
        params = _cli.load_params(args.params)
        main(params, _cli.job_settings(params, args.experiment, args.settings), experiment=args.experiment,
             model=args.model, checkpoint=args.checkpoint, data_3d=args.data_3d, data_2d=args.data_2d,
             out_rows=args.out_rows, out_summary=args.out_summary, external=args.external)

    _cli.run(run)


if __name__ == "__main__":
    cli()
