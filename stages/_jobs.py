"""What the training stages share: a resumable job that trains a `Trainer` to its last epoch, with a
resume checkpoint after its epochs, and writes the final checkpoint and the training history.

A resume checkpoint `<checkpoint stem>.resume.pt` is written atomically next to the final one after the first
epoch, then after each epoch that ends `RESUME_EVERY_S` seconds or more after the last write: after every
epoch of a job with longer epochs, and not hundreds of times over a job of short ones (a per-action model of a
small labelled subset), which would spend more time writing than training; a kill loses at most that much
training. It is not a declared output, so a workflow manager that deletes outputs before a rerun leaves it;
a killed job started again resumes from it when its parameters and inputs are the same (its fingerprint),
and ends with the same weights and history as an uninterrupted run. It is removed when the job ends.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd

from poselift.io.atomic import write_parquet
from poselift.io.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from poselift.lifting.training import Trainer

RESUME_EVERY_S = 10.0  # seconds of training between two writes of the resume checkpoint, at the least


def resume_path(checkpoint: Path) -> Path:
    return checkpoint.with_name(f"{checkpoint.stem}.resume{checkpoint.suffix}")


def read_resume(resume: Path, fingerprint: str, label: str) -> dict | None:
    """The trainer state of a resume file written by this job with the same parameters and inputs, or None.

    A file that cannot be read (damaged, or of another version) is moved aside with a warning, so the job
    starts from the first epoch instead of failing every time it is run."""
    if not resume.exists():
        return None
    try:
        previous = load_checkpoint(resume)
        state = {"model_pos": previous.model_pos, "model_traj": previous.model_traj, "optimizer": previous.optimizer,
                 "history": previous.history, "rng_state": previous.rng_state}
        if not isinstance(state["rng_state"], dict) or set(state["rng_state"]) != {"dropout", "shuffle"}:
            raise CheckpointError(f"{resume}: no random-number state of this version")
    except CheckpointError as err:
        aside = resume.with_name(f"{resume.name}.unreadable-{time.strftime('%Y%m%dT%H%M%S')}")
        os.replace(resume, aside)
        print(f"[{label}] warning: {resume} cannot be read ({str(err).removeprefix(f'{resume}: ')}); moved to "
              f"{aside}; training starts from the first epoch", file=sys.stderr, flush=True)
        return None
    if previous.params.get("fingerprint") != fingerprint:
        print(f"[{label}] ignoring {resume}: other parameters or inputs", file=sys.stderr, flush=True)
        return None
    return state


def run_training(trainer: Trainer, record: dict, checkpoint: Path, history: Path, constants: dict,
                 label: str) -> dict:
    """Train `trainer` to its last epoch (resuming where a previous run of the same job stopped), write the
    final checkpoint (with `record`, what trained it, and its fingerprint) and the history (Parquet, one
    row per epoch, `constants` as leading columns). Returns the last history row."""
    record["fingerprint"] = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
    resume = resume_path(checkpoint)
    state = read_resume(resume, record["fingerprint"], label)
    if state is not None:
        trainer.restore(state)
        print(f"[{label}] resumed from {resume} after epoch {trainer.epoch}", file=sys.stderr, flush=True)

    def snapshot() -> Checkpoint:
        state = trainer.state()
        return Checkpoint(model_pos=state["model_pos"], config=trainer.config, epoch=trainer.epoch,
                          lr=trainer.next_lr(), optimizer=state["optimizer"], model_traj=state["model_traj"],
                          params=record, history=state["history"], rng_state=state["rng_state"])

    start = time.perf_counter()
    first, saved = trainer.epoch, None
    while not trainer.done:
        row = trainer.train_epoch()
        if saved is None or time.perf_counter() - saved >= RESUME_EVERY_S:
            save_checkpoint(resume, snapshot())
            saved = time.perf_counter()
        print(trainer.progress_line(row, (time.perf_counter() - start) * trainer.epoch / (trainer.epoch - first)),
              file=sys.stderr, flush=True)

    save_checkpoint(checkpoint, snapshot())
    frame = pd.DataFrame(trainer.history)
    for i, (key, value) in enumerate(constants.items()):
        frame.insert(i, key, value)
    write_parquet(history, frame)
    resume.unlink(missing_ok=True)
    return trainer.history[-1]
