"""Train the action classifier of one experiment instance: which study action a window of 2D keypoints shows.

Trained on the experiment's training subjects (all the study actions, with flips), on the same 2D input
as its lifting models; scored per epoch on its test subjects (window and sequence accuracy). Writes the
checkpoint and the training history (Parquet, one row per epoch); resumable after a kill, like the
training of the lifting models (`stages._jobs`). Progress (a line per epoch) goes to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from poselift.actions.classifier import Classification, classifier_config, labels_of
from poselift.io.atomic import file_record
from poselift.io.formats import load_2d, load_3d
from poselift.lifting.sequences import build_sequences, layout_symmetry, require_complete_split
from poselift.lifting.training import Schedule, Trainer, resolve_device
from poselift.lifting.windows import WindowBank
from poselift.seeding import job_seed
from stages import _cli
from stages._jobs import run_training

CLASSIFIER = "classifier"  # the job's model name: its seed, checkpoint and history name


def main(params: dict, settings: dict, *, experiment: str, data_3d: Path, data_2d: Path, checkpoint: Path,
         history: Path) -> None:
    """`params`: the sections `seed`, `data`, `classifier` and `evaluate`; `settings`: the experiment's training
    settings (subjects, flips, batch-norm momentum, threads, device)."""
    dataset = _cli.dataset_of(params)
    actions = dataset.study_actions
    c = params["classifier"]
    seed = job_seed(params["seed"], experiment, CLASSIFIER)
    torch.set_num_threads(settings["threads"])
    device = resolve_device(settings["device"])
    label = f"{experiment}/{CLASSIFIER}"
    print(f"[{label}] device {device}, {settings['threads']} threads, seed {seed}", file=sys.stderr, flush=True)

    positions_3d = load_3d(data_3d)
    positions_2d, metadata = load_2d(data_2d)
    layout, symmetry = layout_symmetry(metadata, dataset, str(data_2d))
    require_complete_split(positions_3d, [*settings["subjects_train"], *settings["subjects_test"]], actions,
                           dataset, str(data_3d), params["data"]["expected_absent"])
    train_sequences = build_sequences(positions_3d, positions_2d, metadata, settings["subjects_train"], actions,
                                      dataset, str(data_3d), str(data_2d))
    test_sequences = build_sequences(positions_3d, positions_2d, metadata, settings["subjects_test"], actions,
                                     dataset, str(data_3d), str(data_2d))
    config = classifier_config(layout.num_joints, len(actions), c["architecture"], c["channels"], c["dropout"])
    rf = config.receptive_field
    bank = WindowBank(train_sequences, rf, 0, symmetry, settings["flip_augment"], device=device,
                      labels=labels_of(train_sequences, actions), stride=c["window_stride"])
    schedule = Schedule(epochs=c["epochs"], lr=c["lr"], lr_decay=c["lr_decay"],
                        bn_momentum_start=settings["bn_momentum_start"], bn_momentum_end=settings["bn_momentum_end"])
    objective = Classification(test_sequences, actions, symmetry, params["evaluate"]["tta"])
    trainer = Trainer(config, bank, objective, schedule, c["batch_size"], seed, device=device, label=label)
    print(f"[{label}] {len(actions)} actions, receptive field {rf}, "
          f"{sum(p.numel() for p in trainer.model.parameters()):,} parameters, {bank.frames:,} training frames "
          f"({len(bank):,} samples/epoch), {len(test_sequences)} test sequences, {c['epochs']} epochs",
          file=sys.stderr, flush=True)
    record = {"experiment": experiment, "model": CLASSIFIER, "seed": params["seed"], "job_seed": seed,
              "classifier": c, "settings": settings, "evaluate": params["evaluate"], "actions": list(actions),
              "inputs": {"data_3d": file_record(data_3d), "data_2d": file_record(data_2d)}}
    last = run_training(trainer, record, checkpoint, history,
                        {"experiment": experiment, "model": CLASSIFIER, "epochs": c["epochs"],
                         "train_frames": bank.frames}, label)
    print(f"[{label}] done: {objective.summary(last)}, training {last['cum_train_wall_s']:.0f} s",
          file=sys.stderr, flush=True)


def cli(argv: list[str] | None = None) -> None:
    parser = _cli.job_parser(__doc__.split("\n\n")[0], model=False)
    parser.add_argument("--checkpoint", type=Path, required=True, help="output: the trained classifier (.pt)")
    parser.add_argument("--history", type=Path, required=True, help="output: the training history (.parquet)")
    args = parser.parse_args(argv)

    def run() -> None:
        params = _cli.load_params(args.params)
        main(params, _cli.job_settings(params, args.experiment, args.settings), experiment=args.experiment,
             data_3d=args.data_3d, data_2d=args.data_2d, checkpoint=args.checkpoint, history=args.history)

    _cli.run(run)


if __name__ == "__main__":
    cli()
