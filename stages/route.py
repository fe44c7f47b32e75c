"""Score the per-action experts of one experiment instance without test labels, and every model on every action.

Reads the instance's 16 lifting checkpoints (baseline and one per study action) and its action classifier,
each checked to be what this job asks for (experiment, model, architecture, data by content). On the test
subjects' sequences of every study action it writes:
    --out-routing         per route (oracle, sequence, window, mixture) and test sequence: the errors and the
                          share of frames lifted by the sequence's own expert (Parquet)
    --out-transfer        per model (baseline and each action's) and test sequence of every action: the errors,
                          the transfer matrix's cells (Parquet)
    --out-classification  per test sequence: window accuracy, voted action, mean probabilities (Parquet)
    --out-summary         the classifier's accuracy per window and per sequence, overall and per action, its
                          confusion matrix, and what was read (JSON)
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from poselift.actions.classifier import accuracy_summary, action_probabilities, classification_rows
from poselift.actions.routing import expert_predictions, routed_predictions, routing_rows, transfer_rows
from poselift.io.atomic import file_record, sha256_file, write_json, write_parquet
from poselift.io.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from poselift.io.formats import load_2d, load_3d
from poselift.lifting.model import TemporalModel
from poselift.lifting.restore import lifting_models
from poselift.lifting.sequences import build_sequences, layout_symmetry, require_complete_split
from poselift.lifting.training import resolve_device
from poselift.study.models import models
from poselift.study.provenance import checkpoint_mismatches
from stages import _cli
from stages.train_classifier import CLASSIFIER


def load_model(path: Path, experiment: str, model: str, settings: dict, inputs: dict, device,
               expected: dict | None = None) -> tuple[TemporalModel, Checkpoint]:
    """A checkpoint of this experiment instance: the dilated model on `device` in evaluation mode, and the
    checkpoint. CheckpointError when its record is not that of `experiment`/`model` trained on `inputs`, or
    when a section named in `expected` (e.g. `classifier`) differs from the checkpoint's record of it."""
    ckpt = load_checkpoint(path)
    if ckpt.source != "poselift":
        raise CheckpointError(f"{path}: not a checkpoint of this study ({ckpt.source})")
    mismatches = checkpoint_mismatches(ckpt.params, experiment, model, settings, inputs)
    mismatches += [f"trained with {section} settings {ckpt.params.get(section)}, params have {value}"
                   for section, value in (expected or {}).items() if ckpt.params.get(section) != value]
    if mismatches:
        raise CheckpointError(f"{path}: " + "; ".join(mismatches))
    net, _ = lifting_models(ckpt, path, device)
    return net, ckpt


def main(params: dict, settings: dict, *, experiment: str, checkpoints: list[Path], classifier: Path,
         data_3d: Path, data_2d: Path, out_routing: Path, out_transfer: Path, out_classification: Path,
         out_summary: Path) -> None:
    """`params`: the sections `data`, `classifier` and `evaluate`; `checkpoints`: one per model of
    `study.models.models` (baseline first, then the study actions in order)."""
    dataset = _cli.dataset_of(params)
    actions = list(dataset.study_actions)
    names = list(models(dataset))
    if len(checkpoints) != len(names):
        raise ValueError(f"route: {len(checkpoints)} checkpoints for the {len(names)} models {', '.join(names)}")
    tta = params["evaluate"]["tta"]
    torch.set_num_threads(settings["threads"])
    device = resolve_device(settings["device"])
    inputs = {"data_3d": file_record(data_3d), "data_2d": file_record(data_2d)}
    nets = {name: load_model(path, experiment, name, settings, inputs, device)[0]
            for name, path in zip(names, checkpoints, strict=True)}
    net, ckpt = load_model(classifier, experiment, CLASSIFIER, settings, inputs, device,
                     expected={"classifier": params["classifier"]})

    positions_3d = load_3d(data_3d)
    positions_2d, metadata = load_2d(data_2d)
    _, symmetry = layout_symmetry(metadata, dataset, str(data_2d))
    require_complete_split(positions_3d, list(settings["subjects_test"]), actions, dataset, str(data_3d),
                           params["data"]["expected_absent"])
    sequences = build_sequences(positions_3d, positions_2d, metadata, settings["subjects_test"], actions, dataset,
                                str(data_3d), str(data_2d))
    label = f"{experiment}/route"
    print(f"[{label}] {len(nets)} models and the classifier on {len(sequences)} test sequences, TTA {tta}, "
          f"device {device}", file=sys.stderr, flush=True)
    probabilities = action_probabilities(net, sequences, symmetry, tta)
    classified = classification_rows(probabilities, sequences, actions)
    accuracy = accuracy_summary(classified, actions)
    experts = expert_predictions(nets, sequences, symmetry, tta, device)
    routed = routing_rows(routed_predictions({a: experts[a] for a in actions}, probabilities, sequences, actions),
                          sequences, actions)
    transfer = transfer_rows(experts, sequences)
    for frame in (routed, transfer, classified):
        frame.insert(0, "experiment", experiment)
    write_parquet(out_routing, routed)
    write_parquet(out_transfer, transfer)
    write_parquet(out_classification, classified)
    write_json(out_summary, {
        "experiment": experiment, "actions": actions, "tta": tta, "inputs": inputs,
        "checkpoints": {name: {"path": str(p), "sha256": sha256_file(p)} for name, p in zip(names, checkpoints,
                                                                                             strict=True)},
        "classifier": {"path": str(classifier), "sha256": sha256_file(classifier), "epochs": ckpt.epoch},
        "accuracy": accuracy})
    print(f"[{label}] classifier accuracy {accuracy['window']:.3f} (windows), {accuracy['sequence']:.3f} "
          f"(sequences); MPJPE by route: " + ", ".join(
              f"{route} {g['mpjpe'].mean():.1f} mm" for route, g in routed.groupby("route", sort=False)),
          file=sys.stderr, flush=True)


def cli(argv: list[str] | None = None) -> None:
    parser = _cli.job_parser(__doc__.split("\n\n")[0], model=False)
    parser.add_argument("--checkpoints", type=Path, nargs="+", required=True,
                        help="the lifting checkpoints: baseline, then each study action in order")
    parser.add_argument("--classifier", type=Path, required=True, help="the action classifier's checkpoint")
    for name, what in (("routing", "per route and sequence"), ("transfer", "per model and sequence"),
                       ("classification", "per sequence: the classifier's decisions")):
        parser.add_argument(f"--out-{name}", type=Path, required=True, help=f"output: {what} (.parquet)")
    parser.add_argument("--out-summary", type=Path, required=True, help="output: accuracy and provenance (.json)")
    args = parser.parse_args(argv)

    def run() -> None:
        params = _cli.load_params(args.params)
        main(params, _cli.job_settings(params, args.experiment, args.settings), experiment=args.experiment,
             checkpoints=args.checkpoints, classifier=args.classifier, data_3d=args.data_3d, data_2d=args.data_2d,
             out_routing=args.out_routing, out_transfer=args.out_transfer,
             out_classification=args.out_classification, out_summary=args.out_summary)

    _cli.run(run)


if __name__ == "__main__":
    cli()
