"""The labelled-data curve (papers/002, Figure 5): MPJPE and N-MPJPE of the baseline and of the per-action
models against the labelled frames they trained on, supervised experiments against semi-supervised ones
(VideoPose3D's back-projection). Table 9 and Figure 9 of a study with an experiment that trains on part of
each labelled sequence (`subset` < 1) or semi-supervised.

The frames are those the training histories recorded (`train_frames`, `unlabelled_frames`), never derived
from the parameters. Pure: `ExperimentRuns` in, rows, a `Table` and a figure out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from poselift.lifting.aggregation import per_action
from poselift.study.figures import BASELINE_COLOUR, OURS_COLOUR
from poselift.study.models import BASELINE
from poselift.study.render import MISSING, Table, format_fixed
from poselift.study.tables import ExperimentRuns

TABLE = "table9_labelled"
FIGURE = "fig9_labelled"
TITLE = "Table 9: MPJPE and N-MPJPE against labelled frames"
PROTOCOLS = {"mpjpe": "MPJPE", "n_mpjpe": "N-MPJPE"}  # Protocols 1 and 3 of papers/002, mm
MODELS = {"baseline": "baseline", "per_action": "per-action"}  # row key prefix -> what the figure calls it

DEFINITION = """\
Each experiment trains on the labelled subjects' sequences (`subjects_train`), of each sequence one contiguous
chunk of the fraction `subset`; a semi-supervised experiment also reads the 2D input alone of its unlabelled
subjects (`semi_supervised.subjects_unlabelled`; VideoPose3D's back-projection, papers/002 section 4). *Labelled
frames* and *unlabelled frames* are the camera-frames the baseline's training job recorded (`train_frames`, before
flip augmentation, and `unlabelled_frames` of `history/<exp>/baseline.parquet`); the per-action models together
train on the same frames, each on its action's share (checked; the labelled ones except under budget `fixed_data`).
*Baseline*: the baseline model's error per action (frame-weighted over the action's test sequences), averaged over
the actions, as Table 1's baseline row; *per-action*: each action model's error on its own action, averaged over
the actions, as Table 1's Ours row. N-MPJPE: Protocol 3 (MPJPE after scaling the prediction to the ground truth).
With replicates, the mean over them. Rows: supervised experiments first, then by labelled frames; Figure 9 draws
them against labelled frames on a logarithmic axis."""


def has_curve(settings: Iterable[Mapping[str, Any]]) -> bool:
    """Whether a study with these experiment settings has the curve: an experiment trains on part of each
    labelled sequence (`subset` < 1) or semi-supervised."""
    return any(s["semi_supervised"] is not None or s["subset"] < 1 for s in settings)


def _constant(runs: ExperimentRuns, model: str, column: str) -> int:
    values = runs.histories[model][column].unique()
    if len(values) != 1:
        raise ValueError(f"experiment {runs.name}, model {model}: the training history's {column} is not constant "
                         f"({sorted(values)})")
    return int(values[0])


def recorded_frames(runs: ExperimentRuns) -> tuple[int, int]:
    """(labelled, unlabelled) frames of one experiment instance: its baseline's `train_frames` and
    `unlabelled_frames` (0 for a supervised history without that column), checked against the settings
    (unlabelled frames exactly when semi-supervised) and against the action models, each of which trains on
    its action's share: their `train_frames` sum to the baseline's (except under budget `fixed_data`, which
    gives every model the same budget), and so do their `unlabelled_frames`."""
    semi = runs.settings["semi_supervised"] is not None
    history = runs.histories[BASELINE]
    labelled = _constant(runs, BASELINE, "train_frames")
    unlabelled = _constant(runs, BASELINE, "unlabelled_frames") if "unlabelled_frames" in history.columns else 0
    if semi != (unlabelled > 0):
        raise ValueError(f"experiment {runs.name}: its baseline's history records {unlabelled} unlabelled frames, "
                         f"but the experiment is {'semi-supervised' if semi else 'supervised'}: rerun train for "
                         f"experiment {runs.name}")
    shares = {"train_frames": (labelled, "labelled", runs.settings["budget"] != "fixed_data"),
              "unlabelled_frames": (unlabelled, "unlabelled", semi)}
    for column, (baseline, what, checked) in shares.items():
        together = sum(_constant(runs, a, column) for a in runs.actions) if checked else baseline
        if together != baseline:
            raise ValueError(f"experiment {runs.name}: the action models trained on {together} {what} frames "
                             f"together ({column} of their histories), the baseline on {baseline}; with budget "
                             f"{runs.settings['budget']} they should train on the same frames: rerun train for "
                             f"experiment {runs.name}")
    return labelled, unlabelled


def _instance_errors(runs: ExperimentRuns) -> dict[str, float]:
    """`baseline_<protocol>` and `per_action_<protocol>` of one instance, from the per-sequence rows."""
    actions = list(runs.actions)
    out = {}
    for metric in PROTOCOLS:
        baseline = per_action(runs.rows[BASELINE], (metric,)).loc[actions, metric]
        own = [per_action(runs.rows[a], (metric,)).at[a, metric] for a in actions]
        out[f"baseline_{metric}"] = float(baseline.mean())
        out[f"per_action_{metric}"] = float(np.mean(own))
    return out


def curve_rows(runs_list: Sequence[ExperimentRuns]) -> list[dict[str, Any]]:
    """One row per experiment (its replicates: the mean of the errors; they must have trained on the same
    frames): its labelled and unlabelled data and the errors of `_instance_errors`; supervised first, then by
    labelled frames."""
    rows = []
    for runs in runs_list:
        frames = {recorded_frames(r) for r in runs.instances}
        if len(frames) != 1:
            raise ValueError(f"experiment {runs.name}: its replicates trained on different (labelled, unlabelled) "
                             f"frames {sorted(frames)}")
        (labelled, unlabelled), = frames
        errors = [_instance_errors(r) for r in runs.instances]
        semi = runs.settings["semi_supervised"]
        rows.append({
            "experiment": runs.name, "replicates": len(runs.instances),
            "subjects_labelled": ",".join(runs.settings["subjects_train"]), "subset": float(runs.settings["subset"]),
            "labelled_frames": labelled,
            "subjects_unlabelled": "" if semi is None else ",".join(semi["subjects_unlabelled"]),
            "unlabelled_frames": unlabelled, "semi_supervised": semi is not None,
            **{key: float(np.mean([e[key] for e in errors])) for key in errors[0]}})
    return sorted(rows, key=lambda row: (row["semi_supervised"], row["labelled_frames"]))


def curve_table(rows: Sequence[Mapping[str, Any]], decimals: int) -> Table:
    """Table 9: `curve_rows` as printed."""
    data = pd.DataFrame(list(rows))
    cells = pd.DataFrame({
        "Experiment": data["experiment"],
        "Labelled subjects": data["subjects_labelled"],
        "Subset": [f"{v:g}" for v in data["subset"]],
        "Labelled frames": [str(v) for v in data["labelled_frames"]],
        "Unlabelled subjects": [v or MISSING for v in data["subjects_unlabelled"]],
        "Unlabelled frames": [str(v) for v in data["unlabelled_frames"]],
        "Semi": ["yes" if v else "no" for v in data["semi_supervised"]],
        **{f"{label} {name}": [format_fixed(v, decimals) for v in data[f"{model}_{metric}"]]
           for metric, name in PROTOCOLS.items() for model, label in (("baseline", "Baseline"),
                                                                      ("per_action", "Per-action"))},
    })
    replicated = (data["replicates"] > 1).any()
    caption = ("MPJPE and N-MPJPE (mm) against the labelled training frames (papers/002, Figure 5), supervised "
               "against semi-supervised: labelled and unlabelled frames as the baseline's training history recorded "
               "them; baseline and per-action: action-wise averages, as in Table 1"
               f"{'; mean over replicates' if replicated else ''}.")
    return Table(data=data, cells=cells, bold=pd.DataFrame(False, index=cells.index, columns=cells.columns),
                 caption=caption, label_columns=2)


def curve_figure(rows: Sequence[Mapping[str, Any]]) -> Figure:
    """Figure 9: one panel per protocol, error against labelled frames (logarithmic), a line per group present
    of supervised / semi-supervised and baseline / per-action."""
    data = pd.DataFrame(list(rows))
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    axes = fig.subplots(1, len(PROTOCOLS), squeeze=False)[0]
    for ax, (metric, name) in zip(axes, PROTOCOLS.items(), strict=True):
        for semi, linestyle, marker in ((False, "-", "o"), (True, "--", "s")):
            group = data[data["semi_supervised"] == semi].sort_values("labelled_frames", kind="stable")
            if group.empty:
                continue
            frames = group["labelled_frames"].to_numpy(dtype=float)
            for model, colour in zip(MODELS, (BASELINE_COLOUR, OURS_COLOUR), strict=True):
                ax.plot(frames, group[f"{model}_{metric}"].to_numpy(dtype=float),
                        label=f"{'semi-supervised' if semi else 'supervised'} {MODELS[model]}", color=colour,
                        linestyle=linestyle, marker=marker, markeredgecolor="black", markeredgewidth=0.3)
        ax.set_xscale("log")
        ax.set_xlabel("labelled training frames")
        ax.set_ylabel(f"{name} (mm)")
        ax.set_title(f"{name} against labelled frames")
        ax.grid(linewidth=0.3, which="both")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize="small", frameon=False)
    return fig
