"""Stage `finetune_cpn`: fine-tune a CPN on the videos of the training subjects, scored on the test subjects'.

VideoPose3D's `cpn_ft_h36m_dbb` keypoints came from a CPN fine-tuned on Human3.6M whose weights and code
were never released; this stage makes one (poselift.detectors.finetune: augmented crops, GlobalNet and
RefineNet losses with hard keypoint mining, Adam).

Reads, for every subject of `finetune.subjects_train` and `finetune.subjects_test`, every sequence of the
3D file (sequences left out of the data set skipped) and every camera whose video exists in the data
set's layout under `--video-root`, with its ground-truth person boxes there (`write_boxes` npz); a
missing boxes file, a video shorter than its 3D sequence (a longer one is used up to the 3D length) or
one not at the camera's aspect ratio is an error naming file, subject, action and camera. Targets: the
COCO-17 keypoints of the 3D poses (poselift.keypoints.coco) projected into the camera, in
full-resolution pixels; a video smaller than the camera's resolution is cropped at its own size. Every
`frame_stride`-th frame with a box (test subjects: `eval_frame_stride`) is held in memory, decoded.

Starts from `finetune.init_weights` (a COCO CPN: ours or pytorch-cpn's) or from scratch, seeded from the
root seed; scores the test frames after every epoch. Resumable after a kill: a resume file
(`--resume`, default `<checkpoint stem>.resume.pt` next to the checkpoint) written atomically after
every epoch is used when the parameters and inputs are the same, and removed at the end. Writes the
checkpoint (`save_cpn`; its extra data: the training record, with every input's sha256, and the
history) and the history (Parquet, one row per epoch). Progress (a line per epoch) goes to stderr.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from poselift.datasets.description import Dataset
from poselift.detectors.cpn import CPNConfig, save_cpn
from poselift.detectors.finetune import (
    Augmentation,
    Finetuner,
    PersonFrames,
    Schedule,
    Targets,
    initial_cpn,
    load_resume,
    save_resume,
)
from poselift.detectors.video import gt_boxes, video_scale
from poselift.geometry.cameras import Camera
from poselift.io.atomic import file_record, write_parquet
from poselift.io.formats import load_3d
from poselift.io.video import VideoError, check_video, iter_video
from poselift.lifting.training import resolve_device
from poselift.seeding import job_seed
from stages import _cli
from stages._jobs import resume_path

LABEL = "finetune_cpn"


def decode_frames(path: Path, keep: np.ndarray) -> np.ndarray:
    """The frames (K, h, w, 3) uint8 RGB at the sorted, non-empty indices `keep`, decoding no further than the last."""
    kept, start = [], 0
    for chunk in iter_video(path):  # (t, h, w, 3)
        kept.append(chunk[keep[(keep >= start) & (keep < start + len(chunk))] - start])
        start += len(chunk)
        if start > keep[-1]:
            return np.concatenate(kept)
    raise VideoError(f"{path}: decoding ended after {start} frames, before frame {keep[-1]}")


def video_frames(dataset: Dataset, video_root: Path, subject: str, sequence: str, camera: Camera,
                 positions: np.ndarray, stride: int) -> tuple[PersonFrames, list[dict]]:
    """One video's frames (every `stride`-th with a box, within the 3D sequence) and the records of its files."""
    where = f" [subject {subject}, action {sequence!r}, camera {camera.id}]"
    path = dataset.video_path(video_root, subject, sequence, camera.id)
    boxes_path = dataset.boxes_path(video_root, subject, sequence, camera.id)
    try:
        info = check_video(path, len(positions))  # as the detect stage: exactly its 3D sequence's frames
        scale = video_scale(info, camera, str(path))
        if not boxes_path.is_file():
            raise VideoError(f"{boxes_path}: no person boxes for the video {path}")
        boxes = gt_boxes(boxes_path, info.frames, camera, "")  # (T, 4), full-resolution pixels
        keep = np.arange(0, len(positions), stride)
        keep = keep[np.isfinite(boxes[keep]).all(axis=1)]
        frames = list(decode_frames(path, keep)) if len(keep) else []  # K frames (h, w, 3)
    except VideoError as err:
        raise VideoError(f"{err}{where}") from err
    keypoints = dataset.coco_keypoints(positions[keep], camera)  # (K, 17, 2), full-resolution pixels
    samples = PersonFrames(frames, boxes[keep], keypoints, np.full(len(keep), scale))
    return samples, [file_record(path), file_record(boxes_path)]


def subject_frames(dataset: Dataset, positions_3d: dict, data_3d: Path, video_root: Path, subjects: list[str],
                   stride: int) -> tuple[PersonFrames, list[dict]]:
    """The frames of every video found of `subjects` (see the module docstring) and the records of their files."""
    parts, records = [], []
    for subject in subjects:
        if subject not in positions_3d:
            raise ValueError(f"{data_3d}: no subject {subject}; it has {', '.join(sorted(positions_3d))}")
        start, found, missing = time.perf_counter(), [], []
        for sequence in sorted(positions_3d[subject]):
            if dataset.is_dropped(subject, sequence):
                continue
            for camera in dataset.cameras(subject):
                if not dataset.video_path(video_root, subject, sequence, camera.id).exists():
                    missing.append(f"{sequence}.{camera.id}")
                    continue
                samples, files = video_frames(dataset, video_root, subject, sequence, camera,
                                              positions_3d[subject][sequence], stride)
                found.append(samples)
                records += files
        if not found:
            raise ValueError(f"subject {subject}: no video under {video_root} in {dataset.title}'s layout")
        parts += found
        print(f"[{LABEL}] {subject}: {len(found)} videos ({len(missing)} missing{': ' if missing else ''}"
              f"{', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}), {sum(map(len, found)):,} frames "
              f"(every {stride}th), {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    return PersonFrames.concatenate(parts), records


def main(params: dict, data_3d: Path, video_root: Path, out_checkpoint: Path, out_history: Path,
         resume: Path | None = None) -> None:
    """`params`: the sections `seed`, `data` and `finetune`."""
    settings = params["finetune"]
    dataset = _cli.dataset_of(params)
    if dataset.video_path is None or dataset.coco_keypoints is None:
        raise ValueError(f"{dataset.title} has no video layout or COCO ground truth: finetune_cpn cannot train on it")
    overlap = sorted(set(settings["subjects_train"]) & set(settings["subjects_test"]))
    if overlap:
        raise ValueError(f"finetune: subject(s) {', '.join(overlap)} in both subjects_train and subjects_test")
    seed = job_seed(params["seed"], LABEL)
    torch.set_num_threads(settings["threads"])
    device = resolve_device(settings["device"])
    init_weights = settings["init_weights"]
    model = initial_cpn(CPNConfig(depth=settings["depth"], input_size=tuple(settings["input_size"])), seed,
                        init_weights)
    positions_3d = load_3d(data_3d)
    train, train_files = subject_frames(dataset, positions_3d, data_3d, video_root, settings["subjects_train"],
                                        settings["frame_stride"])
    test, test_files = subject_frames(dataset, positions_3d, data_3d, video_root, settings["subjects_test"],
                                      settings["eval_frame_stride"])
    schedule = Schedule(epochs=settings["epochs"], lr=settings["lr"], lr_decay=settings["lr_decay"],
                        lr_decay_every=settings["lr_decay_every"], weight_decay=settings["weight_decay"])
    augmentation = Augmentation(scale=settings["augment_scale"], rotation=settings["augment_rotation"],
                                flip=settings["augment_flip"], colour=settings["augment_colour"])
    targets = Targets(sigma_global=tuple(settings["sigma_global"]), sigma_refine=settings["sigma_refine"],
                      ohkm_k=settings["ohkm_k"])
    finetuner = Finetuner(model, train, test, schedule, augmentation, targets, settings["batch_size"], seed,
                          settings["pck_thresholds"], settings["eval_batch_size"], device, LABEL)
    print(f"[{LABEL}] device {device} (CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '')}), "
          f"{settings['threads']} threads, seed {seed}; CPN-{model.config.depth} at {model.config.input_size}, "
          f"{'from ' + str(init_weights) if init_weights else 'from scratch'}; {len(train):,} training frames, "
          f"{len(test):,} test frames, {(train.nbytes + test.nbytes) / 2**30:.2f} GiB of frames in memory",
          file=sys.stderr, flush=True)

    inputs = {"data_3d": file_record(data_3d), "init_weights": file_record(init_weights) if init_weights else None,
              "train_videos": train_files, "test_videos": test_files}
    record = {"seed": params["seed"], "job_seed": seed, "dataset": dataset.key, "finetune": settings,
              "config": model.config.to_dict(), "epochs": settings["epochs"], "inputs": inputs}
    record["fingerprint"] = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
    resume = resume_path(out_checkpoint) if resume is None else resume
    state = read_resume(resume, record["fingerprint"])
    if state is not None:
        finetuner.restore(state)
        print(f"[{LABEL}] resumed from {resume} after epoch {finetuner.epoch}", file=sys.stderr, flush=True)

    start, first = time.perf_counter(), finetuner.epoch
    while not finetuner.done:
        row = finetuner.train_epoch()
        save_resume(resume, finetuner, record["fingerprint"])
        elapsed = (time.perf_counter() - start) * finetuner.epoch / (finetuner.epoch - first)
        print(finetuner.progress_line(row, elapsed), file=sys.stderr, flush=True)

    save_cpn(out_checkpoint, finetuner.model, finetuner.config,
             extra={"training": record, "history": finetuner.history})
    write_parquet(out_history, pd.DataFrame(finetuner.history))
    resume.unlink(missing_ok=True)
    last = finetuner.history[-1]
    print(f"[{LABEL}] done: test {last['test_mean_px']:.1f} px mean, {last['test_median_px']:.1f} px median; "
          f"wrote {out_checkpoint} and {out_history}", file=sys.stderr, flush=True)


def read_resume(resume: Path, fingerprint: str) -> dict | None:
    """The trainer state of a resume file of this job, or None (none, another job's, or unreadable: moved aside)."""
    if not resume.exists():
        return None
    try:
        state = load_resume(resume, fingerprint)
    except ValueError as err:
        aside = resume.with_name(f"{resume.name}.unreadable-{time.strftime('%Y%m%dT%H%M%S')}")
        os.replace(resume, aside)
        print(f"[{LABEL}] warning: {err}; moved to {aside}; training starts from the first epoch", file=sys.stderr,
              flush=True)
        return None
    if state is None:
        print(f"[{LABEL}] ignoring {resume}: other parameters or inputs", file=sys.stderr, flush=True)
    return state


def cli(argv: list[str] | None = None) -> None:
    parser = _cli.parser(__doc__.split("\n\n")[0])
    parser.add_argument("--data-3d", type=Path, required=True, help="data_3d_<dataset>.npz: the 3D poses")
    parser.add_argument("--video-root", type=Path, required=True, help="root of the data set's videos and GT boxes")
    parser.add_argument("--checkpoint", type=Path, required=True, help="output: the fine-tuned CPN (.pt)")
    parser.add_argument("--history", type=Path, required=True, help="output: one row per epoch (.parquet)")
    parser.add_argument("--resume", type=Path, default=None,
                        help="the resume file (default: <checkpoint stem>.resume.pt next to the checkpoint)")
    args = parser.parse_args(argv)
    _cli.run(lambda: main(_cli.load_params(args.params), args.data_3d, args.video_root, args.checkpoint,
                          args.history, args.resume))


if __name__ == "__main__":
    cli()
