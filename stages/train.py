"""Train one model of one experiment: the baseline (all the study actions) or one action's model,
supervised, or semi-supervised with the unlabelled subjects' 2D of the same actions (`semi_supervised`).

Writes the final checkpoint (VideoPose3D's keys plus ours) and the training history (Parquet, one row
per epoch); resumable after a kill (`stages._jobs`). Progress (a line per epoch) goes to stderr: the
job's log.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch

from poselift.datasets.description import Dataset
from poselift.geometry.layouts import Layout
from poselift.io.atomic import file_record
from poselift.io.formats import Poses2D, load_2d, load_3d
from poselift.lifting.model import ModelConfig
from poselift.lifting.semi import Correspondence, SemiSupervised
from poselift.lifting.sequences import (
    Sequence,
    Symmetry,
    build_sequences,
    build_unlabelled_sequences,
    layout_symmetry,
    require_complete_split,
)
from poselift.lifting.training import Lifting, Schedule, Trainer, resolve_device
from poselift.lifting.windows import WindowBank
from poselift.seeding import job_seed
from poselift.study.budget import fixed_data_ranges, frames_per_action, job_epochs, job_warmup, subset_ranges
from poselift.study.models import model_actions
from poselift.study.params import semi_supervised_problems
from stages import _cli
from stages._jobs import run_training


def main(params: dict, settings: dict, *, experiment: str, model: str, data_3d: Path, data_2d: Path,
         checkpoint: Path, history: Path) -> None:
    """`params`: the sections `seed`, `data` and `evaluate`; `settings`: the experiment's training settings."""
    tta = params["evaluate"]["tta"]
    dataset = _cli.dataset_of(params)
    actions = model_actions(model, dataset)
    seed = job_seed(params["seed"], experiment, model)
    torch.set_num_threads(settings["threads"])
    device = resolve_device(settings["device"])
    label = f"{experiment}/{model}"
    print(f"[{label}] device {device} (CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '')}), "
          f"{settings['threads']} threads, seed {seed}", file=sys.stderr, flush=True)

    positions_3d = load_3d(data_3d)
    positions_2d, metadata = load_2d(data_2d)
    layout, symmetry = layout_symmetry(metadata, dataset, str(data_2d))
    require_complete_split(positions_3d, [*settings["subjects_train"], *settings["subjects_test"]],
                           dataset.study_actions, dataset, str(data_3d), params["data"]["expected_absent"])
    all_train = build_sequences(positions_3d, positions_2d, metadata, settings["subjects_train"],
                                dataset.study_actions, dataset, str(data_3d), str(data_2d))
    train_sequences = [s for s in all_train if s.base_action in actions]
    test_sequences = build_sequences(positions_3d, positions_2d, metadata, settings["subjects_test"], actions,
                                     dataset, str(data_3d), str(data_2d))
    epochs = job_epochs(settings, model, frames_per_action(all_train))
    where = f"experiment {experiment!r}, model {model}"
    ranges, baseline_frames = None, sum(s.frames for s in all_train)
    if settings["budget"] == "fixed_data":
        if not settings["data_budget_frames"]:
            raise ValueError(f"experiment {experiment!r}: budget 'fixed_data' needs data_budget_frames")
        if settings["subset"] < 1:
            raise ValueError(f"experiment {experiment!r}: budget 'fixed_data' chooses the frames itself; subset "
                             f"must be 1, got {settings['subset']}")
        ranges = fixed_data_ranges(train_sequences, model, settings["data_budget_frames"], seed,
                                   len(dataset.study_actions))
    elif settings["subset"] < 1:
        try:
            ranges = subset_ranges(train_sequences, settings["subset"], params["seed"])
            # the baseline's labelled frames: the unit of lr_decay_by "frames"
            baseline_frames = sum(stop - start for start, stop in subset_ranges(all_train, settings["subset"],
                                                                                params["seed"]))
        except ValueError as err:
            raise ValueError(f"{where}, subjects {', '.join(settings['subjects_train'])} of {data_2d}: {err}") from None

    config = ModelConfig(num_joints_in=layout.num_joints, in_features=2, num_joints_out=dataset.layout.num_joints,
                         filter_widths=tuple(settings["architecture"]), causal=settings["causal"],
                         dropout=settings["dropout"], channels=settings["channels"])
    rf = config.receptive_field
    bank = WindowBank(train_sequences, rf, (rf - 1) // 2 if config.causal else 0, symmetry,
                      settings["flip_augment"], ranges, device)
    flips = 2 if settings["flip_augment"] else 1
    schedule = Schedule(epochs=epochs, lr=settings["lr"], lr_decay=settings["lr_decay"],
                        lr_decay_by=settings["lr_decay_by"],
                        reference_samples=baseline_frames * flips,
                        bn_momentum_start=settings["bn_momentum_start"], bn_momentum_end=settings["bn_momentum_end"])
    semi = settings["semi_supervised"]
    objective, unlabelled = Lifting(test_sequences, symmetry, tta, device), None
    if semi is not None:
        objective, unlabelled = semi_objective(
            settings, where=where, epochs=epochs, positions_2d=positions_2d, actions=actions, dataset=dataset,
            layout=layout, symmetry=symmetry, config=config, test_sequences=test_sequences, seed=seed, tta=tta,
            device=device, data_2d=data_2d)
    trainer = Trainer(config, bank, objective, schedule, settings["batch_size"], seed, settings["eval_every"], device,
                      settings["bn_statistics"] == "recomputed", label, settings["precision"])
    print(f"[{label}] receptive field {rf}, {sum(p.numel() for p in trainer.model.parameters()):,} parameters, "
          f"{bank.frames:,} training frames ({len(bank):,} samples/epoch), {len(test_sequences)} test sequences, "
          f"{epochs} epochs ({settings['budget']}, lr decay by {settings['lr_decay_by']}, batch-norm statistics "
          f"{settings['bn_statistics']}, precision {settings['precision']})", file=sys.stderr, flush=True)
    if unlabelled is not None:
        print(f"[{label}] semi-supervised: {unlabelled.frames:,} unlabelled frames of "
              f"{', '.join(semi['subjects_unlabelled'])}, warm-up {objective.warmup} epoch(s), {semi['projection']} "
              f"projection, bone-length term {'on' if semi['bone_length'] else 'off'}, back-projection on "
              f"{', '.join(objective.correspondence.names)}", file=sys.stderr, flush=True)

    inputs = {"data_3d": file_record(data_3d), "data_2d": file_record(data_2d)}
    record = {"experiment": experiment, "model": model, "seed": params["seed"], "job_seed": seed,
              "settings": settings, "evaluate": params["evaluate"], "epochs": epochs, "inputs": inputs,
              "layout_2d": layout.name}
    constants = {"experiment": experiment, "model": model, "epochs": epochs, "budget": settings["budget"],
                 "lr_decay_by": settings["lr_decay_by"], "bn_statistics": settings["bn_statistics"],
                 "train_frames": bank.frames, "subset": settings["subset"],
                 "unlabelled_frames": unlabelled.frames if unlabelled is not None else 0}
    last = run_training(trainer, record, checkpoint, history, constants, label)
    print(f"[{label}] done: test MPJPE {last['test_mpjpe']:.1f} mm, MPJVE {last['test_mpjve']:.2f} mm, "
          f"training {last['cum_train_wall_s']:.0f} s", file=sys.stderr, flush=True)


def semi_objective(settings: dict, *, where: str, epochs: int, positions_2d: Poses2D, actions: tuple[str, ...],
                   dataset: Dataset, layout: Layout, symmetry: Symmetry, config: ModelConfig,
                   test_sequences: list[Sequence], seed: int, tta: bool, device: torch.device,
                   data_2d: Path) -> tuple[SemiSupervised, WindowBank]:
    """The semi-supervised objective of one job (`where`: its experiment and model) and its unlabelled windows:
    the unlabelled subjects' 2D of the job's own actions (never their 3D), matched to the lifted joints by name."""
    semi = settings["semi_supervised"]
    problems = semi_supervised_problems(settings, where, None, dataset)
    warmup = job_warmup(settings, epochs)
    if warmup >= epochs:
        problems.append(f"{where}: a warm-up of {warmup} epoch(s) leaves none of its {epochs} epochs "
                        f"semi-supervised")
    if problems:
        raise ValueError("; ".join(problems))
    try:
        correspondence = Correspondence.between(dataset.layout, layout)
        sequences = build_unlabelled_sequences(positions_2d, semi["subjects_unlabelled"], actions, dataset,
                                               layout.num_joints, str(data_2d))
    except ValueError as err:
        raise ValueError(f"{where}, {data_2d}: {err}") from None
    rf = config.receptive_field
    bank = WindowBank(sequences, rf, (rf - 1) // 2 if config.causal else 0, symmetry, settings["flip_augment"],
                      device=device)
    objective = SemiSupervised(test_sequences, symmetry, bank, correspondence, dataset.lifted_skeleton.parents,
                               warmup, semi["projection"], semi["bone_length"], seed, tta, device)
    return objective, bank


def cli(argv: list[str] | None = None) -> None:
    parser = _cli.job_parser(__doc__)
    parser.add_argument("--checkpoint", type=Path, required=True, help="output: the trained model (.pt)")
    parser.add_argument("--history", type=Path, required=True,
                        help="output: the training history, one row per epoch (.parquet)")
    args = parser.parse_args(argv)

    def run() -> None:
        params = _cli.load_params(args.params)
        main(params, _cli.job_settings(params, args.experiment, args.settings), experiment=args.experiment,
             model=args.model, data_3d=args.data_3d, data_2d=args.data_2d, checkpoint=args.checkpoint,
             history=args.history)

    _cli.run(run)


if __name__ == "__main__":
    cli()
