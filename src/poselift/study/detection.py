"""The report's section on 2D keypoints detected on video: the detector's error against the ground truth
beside the detector-error model's on the same sequences, the frames without a detection, and the CPN's
fine-tuning history; with the sample frames of the rendered videos.

Pure: the records the keypoints, assemble and finetune_cpn stages wrote in, `Table`s, a figure, headline
numbers and Markdown lines out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from poselift.study.figures import BASELINE_COLOUR, OURS_COLOUR
from poselift.study.render import Table, format_fixed

STATISTICS = ("mean", "median", "p90")  # of the keypoints stage's error report, pixels
DETECTION_TABLES = ("table_d1_detector_error", "table_d2_finetune")  # tables/video/<stem>.{md,csv,tex}
FINETUNE_FIGURE = "finetune_history"  # figures/video/<stem>.{png,svg}
TITLES = {"table_d1_detector_error": "Table D1: 2D error of the detected keypoints and of the detector-error model",
          "table_d2_finetune": "Table D2: CPN fine-tuning, per epoch"}


def check_records(keypoints: Mapping, assembly: Mapping) -> None:
    """The keypoints stage imported the file the assemble stage wrote, of the same detector: else ValueError."""
    if keypoints.get("imported") != assembly["output"]["path"] or keypoints["source"] != assembly["detector"]:
        raise ValueError(f"the 2D keypoints ({keypoints['source']!r}, imported from {keypoints.get('imported')!r}) "
                         f"are not the assembled detections ({assembly['detector']!r}, {assembly['output']['path']!r}):"
                         " rerun the study (snakemake) so that keypoints imports what assemble wrote")
    if "noise_model_reference" not in keypoints:
        raise ValueError(f"the keypoints report of {keypoints['source']!r} holds no noise_model_reference: "
                         "rerun the keypoints stage")


def error_table(keypoints: Mapping, decimals: int = 1) -> Table:
    """Per compared joint and overall: mean, median and 90th percentile of the detected keypoints' 2D error
    and of the detector-error model's on the same sequences, pixels of the full-resolution frame."""
    reference = keypoints["noise_model_reference"]
    rows = [*keypoints["per_joint"], "overall"]
    data = pd.DataFrame({"joint": rows})
    for prefix, record in (("detected", keypoints), ("noise_model", reference)):
        for stat in STATISTICS:
            data[f"{prefix}_{stat}_px"] = [float((record["per_joint"].get(j) if j != "overall" else record["overall"])
                                                 [stat]) for j in rows]
    cells = data.copy()
    for column in data.columns[1:]:
        cells[column] = [format_fixed(v, decimals) for v in data[column]]
    cells.columns = ["joint", *(f"{who} {stat}" for who in ("detected", "noise model") for stat in STATISTICS)]
    subjects = ", ".join(f"{s} {v['mean']:.{decimals}f} ({reference['per_subject'][s]['mean']:.{decimals}f})"
                         for s, v in keypoints["per_subject"].items())
    caption = (f"2D error of the `{keypoints['source']}` keypoints against the ground truth, pixels of the "
               f"full-resolution frame, over {keypoints['frames']} camera frames ({keypoints['comparison']}), and "
               "of the detector-error model (`keypoints.noisy`) on the same sequences at the same joints.")
    notes = (f"Mean per subject, detected (noise model): {subjects}.",)
    return Table(data, cells, pd.DataFrame(False, index=cells.index, columns=cells.columns), caption, notes=notes)


def finetune_columns(history: pd.DataFrame) -> list[str]:
    """The history's test columns the table shows: mean, median, 95th percentile and each PCK threshold."""
    pck = [c for c in history.columns if c.startswith("test_pck_")]
    return ["test_mean_px", "test_median_px", "test_p95_px", *pck]


def finetune_table(history: pd.DataFrame, decimals: int = 1) -> Table:
    """One row per fine-tuning epoch: learning rate, training loss and speed, and the test frames' error."""
    test = finetune_columns(history)
    columns = ["epoch", "lr", "train_loss", "samples_per_s", "cum_train_wall_s", *test]
    data = history[columns].reset_index(drop=True)
    cells = pd.DataFrame({
        "epoch": data["epoch"].astype(int).astype(str),
        "lr": [f"{v:.2e}" for v in data["lr"]],
        "train loss": [f"{v:.3g}" for v in data["train_loss"]],
        "crops/s": [f"{v:.0f}" for v in data["samples_per_s"]],
        "train s": [f"{v:.0f}" for v in data["cum_train_wall_s"]],
        "test mean px": [format_fixed(v, decimals) for v in data["test_mean_px"]],
        "median px": [format_fixed(v, decimals) for v in data["test_median_px"]],
        "p95 px": [format_fixed(v, decimals) for v in data["test_p95_px"]],
        **{f"PCK@{c.removeprefix('test_pck_')}": [f"{100 * v:.1f}%" for v in data[c]] for c in test[3:]},
    })
    frames = int(history["test_frames"].iloc[-1])
    caption = (f"The CPN's fine-tuning (`detectors/cpn_history.parquet`): per epoch the learning rate, the training "
               f"loss (GlobalNet + RefineNet), crops per second, cumulative training seconds, and the error of its "
               f"COCO-17 keypoints on {frames} frames of the test subjects' videos against the ground truth, pixels "
               "of the full-resolution frame (PCK: share within the threshold).")
    return Table(data, cells, pd.DataFrame(False, index=cells.index, columns=cells.columns), caption)


def finetune_figure(history: pd.DataFrame) -> Figure:
    """Training loss (left) and the test frames' mean and median pixel error (right) against epoch."""
    fig = Figure(figsize=(9, 3.4), layout="constrained")
    loss, error = fig.subplots(1, 2)
    epochs = history["epoch"].to_numpy()
    loss.plot(epochs, history["train_loss"], marker="o", color=OURS_COLOUR)
    loss.set(xlabel="epoch", ylabel="training loss", yscale="log", title="Training loss")
    for column, label, colour in (("test_mean_px", "mean", OURS_COLOUR), ("test_median_px", "median", BASELINE_COLOUR),
                                  ("test_p95_px", "95th percentile", "grey")):
        error.plot(epochs, history[column], marker="o", label=label, color=colour)
    error.set(xlabel="epoch", ylabel="2D error (px, full resolution)", yscale="log", title="Test subjects' frames")
    error.legend(fontsize="small", frameon=False)
    for ax in (loss, error):
        ax.grid(linewidth=0.3)
    return fig


def headline(keypoints: Mapping, assembly: Mapping, history: pd.DataFrame | None) -> dict:
    """The numbers summary.json keeps: the detected keypoints' and the noise model's overall error, the
    frames filled, and the fine-tuned CPN's last epoch."""
    out = {"detector": keypoints["source"],
           "detected_px": dict(keypoints["overall"]),
           "noise_model_px": dict(keypoints["noise_model_reference"]["overall"]),
           "frames": int(assembly["frames"]), "filled_frames": int(assembly["filled"])}
    if history is not None:
        last = history.iloc[-1]
        out["finetune"] = {"epochs": int(last["epoch"]),
                           **{c: float(last[c]) for c in finetune_columns(history)}}
    return out


def filled_lines(assembly: Mapping, shown: int = 5) -> list[str]:
    """What the assembly filled: the totals, and the videos with the most filled frames."""
    videos = sorted(assembly["videos"], key=lambda v: -v["filled"])
    line = (f"- Frames without a detection, filled by interpolation (`assemble.json`): {assembly['filled']} of "
            f"{assembly['frames']} ({100 * assembly['filled_share']:.2f}%).")
    worst = [v for v in videos[:shown] if v["filled"]]
    if worst:
        line += " Most: " + "; ".join(f"{v['subject']} {v['sequence']} camera {v['camera']}: {v['filled']} of "
                                       f"{v['frames']}" for v in worst) + "."
    return [line]


def section(assembly: Mapping, sample_frames: Sequence[tuple[str, str]], blocks: Sequence[str]) -> list[str]:
    """The report's Markdown section: `sample_frames`, (subject, relative PNG path) of the rendered videos'
    sample frames; what the assembly filled; then `blocks`, the tables' and figure's Markdown."""
    lines = ["## 2D keypoints detected on video", ""]
    if sample_frames:
        lines += ["Sample frames of the rendered videos with their ground-truth boxes (the `render` stage):", ""]
        lines += [f"![{subject}: sample frames]({path})" for subject, path in sample_frames] + [""]
    return [*lines, *filled_lines(assembly), "", *blocks]


def sample_frame_links(figures: Sequence[Path], out_dir: Path) -> list[tuple[str, str]]:
    """(subject, path relative to `out_dir`) of the render stage's `figures/video/<subject>.png`."""
    return [(Path(f).stem, Path(os.path.relpath(f, out_dir)).as_posix()) for f in figures]
