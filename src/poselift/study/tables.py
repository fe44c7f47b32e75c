"""The per-action tables of one or more experiments: Tables 1, 1b and 2 (error per action) and Table 4
(test MPJPE against training progress), computed from evaluation summaries and training histories.

An experiment is one training job per model: the baseline ("VideoPose3D", one model on all the data
set's study actions) and one model per action ("Ours", papers/000 and papers/001). The definitions,
as the report prints them, are `poselift.study.report.DEFINITIONS`. Everything here is pure: frames
and dicts in, numbers and `Table`s out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from poselift.datasets.description import Dataset
from poselift.lifting.aggregation import per_action
from poselift.lifting.model import receptive_field
from poselift.study.models import BASELINE
from poselift.study.render import Table, bold_lower, format_fixed, format_progress, format_sci
from poselift.study.statistics import adjust, mean_ci, paired_p

AVG = "Avg"
BASELINE_ROW = "VideoPose3D (baseline)"
OURS_ROW = "Ours (per-action)"
SA_ROW = "SA (one model per action)"  # VideoPose3D's names (papers/002, Table 4) for the same two kinds of model
MA_ROW = "MA (one model on all actions)"

# Protocol -> (name in the tables, unit, extra decimals over params report.decimals).
PROTOCOLS = {
    "mpjpe": ("MPJPE", "mm", 0),
    "p_mpjpe": ("P-MPJPE", "mm", 0),
    "mpjve": ("MPJVE", "mm per frame", 1),
}


ROUTED_ROWS = {"sequence": "Routed (sequence)", "window": "Routed (window)", "mixture": "Mixture"}  # route -> row


@dataclass(frozen=True)
class RoutingRuns:
    """What the report reads of one experiment instance's routing: the route stage's outputs and the
    classifier's training history."""

    summary: Mapping[str, Any]  # accuracy, confusion and provenance (JSON)
    routes: pd.DataFrame  # per route and test sequence: errors, share of frames given to the right expert
    transfer: pd.DataFrame  # per model and test sequence of every action: errors
    classification: pd.DataFrame  # per test sequence: window accuracy, voted action
    history: pd.DataFrame  # the classifier's per-epoch history


@dataclass(frozen=True)
class ExperimentRuns:
    """What the report reads of one experiment: the baseline and one model per study action, and where the
    experiment has them, its other replicates (instances "<name>@k", each an ExperimentRuns) and routing."""

    name: str
    dataset: Dataset
    settings: Mapping[str, Any]  # poselift.study.params.experiment_settings(params, name)
    summaries: Mapping[str, Mapping[str, Any]]  # model -> evaluation summary (JSON)
    rows: Mapping[str, pd.DataFrame]  # model -> per-sequence evaluation rows
    histories: Mapping[str, pd.DataFrame]  # model -> per-epoch training history
    replicates: tuple[ExperimentRuns, ...] = ()  # replicates 2.. R
    routing: RoutingRuns | None = None

    @property
    def actions(self) -> tuple[str, ...]:
        return self.dataset.study_actions

    @property
    def instances(self) -> tuple[ExperimentRuns, ...]:
        """Every replicate, the first (this one) first."""
        return (self, *self.replicates)


def number(value: float | None) -> float:
    """A summary value as float: JSON null (what evaluate writes for NaN) becomes NaN."""
    return math.nan if value is None else float(value)


def arguments_label(settings: Mapping[str, Any]) -> str:
    """The paper's "Arguments" of an experiment, plus what it leaves implicit: 'F=27, UE=15 (baseline 1 E,
    equal_epochs)', and the batch-norm statistics when they are not VideoPose3D's running averages."""
    extra = "" if settings.get("bn_statistics", "running") == "running" else f", BN {settings['bn_statistics']}"
    return (f"F={receptive_field(settings['architecture'])}, UE={settings['unit_epochs']} "
            f"(baseline {settings['baseline_epochs']} E, {settings['budget']}{extra})")


# ----------------------------------------------------------------------------------------------------------
# Tables 1, 1b and 2: error per action

def _instance_errors(runs: ExperimentRuns, metric: str) -> pd.DataFrame:
    """One replicate's rows BASELINE_ROW and OURS_ROW and, with routing, ROUTED_ROWS; columns the study
    actions and Avg (unweighted mean over actions)."""
    actions = list(runs.actions)
    baseline = runs.summaries[BASELINE]["per_action"]
    values = pd.DataFrame(
        [[number(baseline[a][metric]) for a in actions],
         [number(runs.summaries[a]["per_action"][a][metric]) for a in actions]],
        index=[BASELINE_ROW, OURS_ROW], columns=actions)
    if runs.routing is not None:
        routes = runs.routing.routes
        for route, row in ROUTED_ROWS.items():
            values.loc[row] = per_action(routes[routes["route"] == route], (metric,))[metric].reindex(actions)
    values[AVG] = values[actions].mean(axis=1)
    return values


def instance_errors(runs: ExperimentRuns, metric: str) -> list[pd.DataFrame]:
    """`_instance_errors` of every replicate."""
    return [_instance_errors(r, metric) for r in runs.instances]


def per_action_errors(runs: ExperimentRuns, metric: str, routed: bool = False) -> pd.DataFrame:
    """Rows BASELINE_ROW and OURS_ROW (with `routed`, also the routed rows where the experiment has
    routing), columns the study actions and Avg: the mean over the experiment's replicates."""
    values = sum(instance_errors(runs, metric)) / len(runs.instances)
    return values if routed else values.loc[[BASELINE_ROW, OURS_ROW]]


def per_action_ci(runs: ExperimentRuns, metric: str) -> pd.DataFrame:
    """The half-widths of the 95% confidence intervals of `per_action_errors(runs, metric, routed=True)` over
    the replicates (NaN for a single replicate)."""
    values = instance_errors(runs, metric)
    stacked = np.stack([v.to_numpy(dtype=float) for v in values])  # (R, rows, columns)
    half = [[mean_ci(stacked[:, i, j])[1] for j in range(stacked.shape[2])] for i in range(stacked.shape[1])]
    return pd.DataFrame(half, index=values[0].index, columns=values[0].columns)


def per_action_table(experiments: Sequence[ExperimentRuns], metric: str, decimals: int, alpha: float) -> Table:
    """Table 1 (metric 'mpjpe'), 1b ('p_mpjpe') or 2 ('mpjve'): a row pair per experiment (and its routed
    rows); with replicates, mean +- 95% CI half-width; bold: the better of baseline and Ours where their
    paired difference is significant (`significance`, level `alpha`)."""
    name, unit, extra = PROTOCOLS[metric]
    data_parts, cell_parts, bold_parts = [], [], []
    for runs in experiments:
        values = per_action_errors(runs, metric, routed=True)
        half = per_action_ci(runs, metric)
        tests = significance(runs, metric, alpha)
        settings = runs.settings
        label = arguments_label(settings)
        data = values.rename_axis("model").reset_index()
        if len(runs.instances) > 1:
            data.insert(1, "replicates", len(runs.instances))
            data = data.join(half.add_suffix("_ci95").reset_index(drop=True))
        data_parts.append(_experiment_columns(data.rename(columns={AVG: "average"}), runs))
        if len(runs.instances) > 1:
            cells = pd.DataFrame({c: [f"{format_fixed(v, decimals + extra)} ± {format_fixed(h, decimals + extra)}"
                                      for v, h in zip(values[c], half[c], strict=True)] for c in values.columns},
                                 index=values.index)
        else:
            cells = values.map(lambda v: format_fixed(v, decimals + extra))
        cells.columns = [runs.dataset.short_names.get(c, c) for c in cells.columns]
        cells.insert(0, "Model", list(values.index))
        cells.insert(0, "Arguments", [label, *([""] * (len(values) - 1))])
        cells = cells.reset_index(drop=True)
        cell_parts.append(cells)
        bold = pd.DataFrame(False, index=cells.index, columns=cells.columns)
        for column, printed in zip(values.columns, cells.columns[2:], strict=True):
            if tests.at[column, "significant"]:
                better = 0 if values.at[BASELINE_ROW, column] < values.at[OURS_ROW, column] else 1
                bold.at[better, printed] = True
        bold_parts.append(bold)
    actions = {len(runs.actions) for runs in experiments}
    replicated = any(len(runs.instances) > 1 for runs in experiments)
    caption = (f"{name} ({unit}) per action: VideoPose3D's single model (baseline) against one model per "
               f"action (Ours). Avg: unweighted mean over the {'/'.join(map(str, sorted(actions)))} actions. "
               f"{'Mean ± 95% confidence half-width over replicates. ' if replicated else ''}"
               f"Bold: the better of the pair where their paired difference is significant at {alpha:g} "
               f"(Table 6).")
    return Table(data=pd.concat(data_parts, ignore_index=True), cells=pd.concat(cell_parts, ignore_index=True),
                 bold=pd.concat(bold_parts, ignore_index=True), caption=caption, label_columns=2)


def paired_sequences(runs: ExperimentRuns, action: str, metric: str) -> pd.DataFrame:
    """The test sequences of `action` with the baseline's and the action model's `metric` (columns
    `baseline`, `ours`), each the mean over the replicates, paired by subject, sequence and camera."""
    keys = ["subject", "action", "camera"]
    parts = []
    for r in runs.instances:
        base = r.rows[BASELINE]
        base = base.loc[base["base_action"] == action, [*keys, metric]].rename(columns={metric: "baseline"})
        ours = r.rows[action].loc[:, [*keys, metric]].rename(columns={metric: "ours"})
        parts.append(base.merge(ours, on=keys, how="outer", validate="one_to_one"))
    merged = pd.concat(parts).groupby(keys, sort=True)[["baseline", "ours"]].mean().reset_index()
    if merged[["baseline", "ours"]].isna().any().any():
        raise ValueError(f"experiment {runs.name}: the baseline and {action}'s model were scored on different "
                         f"test sequences of {action}")
    return merged


def significance(runs: ExperimentRuns, metric: str, alpha: float) -> pd.DataFrame:
    """Per study action and Avg: baseline and Ours (means over replicates), their difference, the paired
    tests and whether the difference is significant.

    An action: the Wilcoxon signed-rank test over its test sequences (each the mean over replicates) and,
    with two or more replicates, the paired t-test over replicates; each family's p-values adjusted over the
    actions (Benjamini-Hochberg). Avg: the signed-rank test over the actions, and the t-test of the Avg over
    replicates. Significant: every adjusted p-value of the row below `alpha`."""
    actions = list(runs.actions)
    per_instance = instance_errors(runs, metric)
    values = per_action_errors(runs, metric)
    out = pd.DataFrame(index=pd.Index([*actions, AVG], name="action"))
    out["baseline"] = values.loc[BASELINE_ROW]
    out["ours"] = values.loc[OURS_ROW]
    out["difference"] = out["ours"] - out["baseline"]
    out["difference_ci95"] = [mean_ci([v.at[OURS_ROW, c] - v.at[BASELINE_ROW, c] for v in per_instance])[1]
                              for c in out.index]
    seq = [paired_p(*paired_sequences(runs, a, metric)[["baseline", "ours"]].to_numpy().T, "wilcoxon")
           for a in actions]
    out["p_sequences"] = [*seq, paired_p(out.loc[actions, "baseline"], out.loc[actions, "ours"], "wilcoxon")]
    out["p_sequences_adjusted"] = [*adjust(seq), out.at[AVG, "p_sequences"]]
    rep = [paired_p([v.at[BASELINE_ROW, c] for v in per_instance], [v.at[OURS_ROW, c] for v in per_instance], "t")
           for c in out.index]
    out["p_replicates"] = rep
    out["p_replicates_adjusted"] = [*adjust(rep[:-1]), rep[-1]]
    tested = out[["p_sequences_adjusted", "p_replicates_adjusted"]]
    out["significant"] = (tested.isna() | (tested < alpha)).all(axis=1) & tested.notna().any(axis=1)
    return out


def _experiment_columns(data: pd.DataFrame, runs: ExperimentRuns) -> pd.DataFrame:
    """`data` with the experiment's name and arguments as its first columns (for CSV)."""
    settings = runs.settings
    data.insert(0, "budget", settings["budget"])
    data.insert(0, "baseline_epochs", settings["baseline_epochs"])
    data.insert(0, "unit_epochs", settings["unit_epochs"])
    data.insert(0, "receptive_field", receptive_field(settings["architecture"]))
    data.insert(0, "experiment", runs.name)
    return data


# ----------------------------------------------------------------------------------------------------------
# Per action and test subject: single-action (SA) against multi-action (MA) models

def by_subject_errors(runs: ExperimentRuns, metric: str) -> pd.DataFrame:
    """Rows SA_ROW (each action's own model) and MA_ROW (the baseline); columns (action, test subject) for
    every study action and test subject, each the frame-weighted mean of `metric` over that subject's test
    sequences of that action (VideoPose3D's `--by-subject`, papers/002 Table 4)."""
    subjects = list(runs.settings["subjects_test"])
    columns = pd.MultiIndex.from_product([runs.actions, subjects], names=["action", "subject"])
    values = pd.DataFrame(np.nan, index=[SA_ROW, MA_ROW], columns=columns)
    for row, model_of in ((SA_ROW, lambda a: a), (MA_ROW, lambda a: BASELINE)):
        for action in runs.actions:
            rows = runs.rows[model_of(action)]
            for subject in subjects:
                own = rows[(rows["subject"] == subject) & (rows["base_action"] == action)]
                if not own.empty:
                    values.at[row, (action, subject)] = float(per_action(own, (metric,)).at[action, metric])
    return values


def by_subject_table(experiments: Sequence[ExperimentRuns], metric: str, decimals: int) -> Table:
    """Error per action and test subject, SA against MA, a row pair per experiment (VideoPose3D's Table 4)."""
    name, unit, extra = PROTOCOLS[metric]
    data_parts, cell_parts, bold_parts = [], [], []
    for runs in experiments:
        values = by_subject_errors(runs, metric)
        dataset = runs.dataset
        labels = [f"{dataset.short_names.get(a, a)} {dataset.subject_label(s)}" for a, s in values.columns]
        data = values.copy()
        data.columns = [f"{a} {s}" for a, s in values.columns]
        data_parts.append(_experiment_columns(data.rename_axis("model").reset_index(), runs))
        cells = values.map(lambda v: format_fixed(v, decimals + extra))
        cells.columns = labels
        cells.insert(0, "Model", [SA_ROW, MA_ROW])
        cells.insert(0, "Arguments", [arguments_label(runs.settings), ""])
        cells = cells.reset_index(drop=True)
        cell_parts.append(cells)
        bold_parts.append(bold_lower(cells, [0, 1], list(cells.columns[2:])))
    caption = (f"{name} ({unit}) per action and test subject: one model per action (SA, our per-action models) "
               f"against one model on all actions (MA, the baseline), as VideoPose3D's Table 4 (papers/002); "
               f"each value frame-weighted over the subject's test sequences of the action; best of each pair "
               f"in bold.")
    return Table(data=pd.concat(data_parts, ignore_index=True), cells=pd.concat(cell_parts, ignore_index=True),
                 bold=pd.concat(bold_parts, ignore_index=True), caption=caption, label_columns=2)


# ----------------------------------------------------------------------------------------------------------
# Training histories

def training_cost(history: pd.DataFrame, until_epoch: int | None = None) -> float:
    """TC in seconds: the sum of `train_wall_s` over the history's epochs (up to `until_epoch`)."""
    rows = history if until_epoch is None else history[history["epoch"] <= until_epoch]
    return float(rows["train_wall_s"].sum())


def history_epochs(history: pd.DataFrame) -> int:
    """The epochs T of the job that wrote `history` (its `epochs` column)."""
    return int(history["epochs"].iloc[0])


def error_at(history: pd.DataFrame, column: str, epoch: int) -> tuple[float, int]:
    """`column` of the history at `epoch`, or at the nearest evaluated epoch before it (after it if there is
    none). Returns (value, epoch used)."""
    evaluated = history.loc[history[column].notna(), ["epoch", column]]
    if evaluated.empty:
        raise ValueError(f"no evaluated epoch in column {column!r}")
    before = evaluated[evaluated["epoch"] <= epoch]
    row = before.iloc[-1] if not before.empty else evaluated.iloc[0]
    return float(row[column]), int(row["epoch"])


# ----------------------------------------------------------------------------------------------------------
# Table 4: test MPJPE against training progress

def progress_points(history: pd.DataFrame, column: str, baseline_epochs: int) -> pd.Series:
    """The evaluated values of `column` indexed by baseline-equivalent epoch (exact fractions)."""
    scale = Fraction(baseline_epochs, history_epochs(history))
    evaluated = history.loc[history[column].notna(), ["epoch", column]]
    return pd.Series(evaluated[column].to_numpy(dtype=float),
                     index=[Fraction(int(e)) * scale for e in evaluated["epoch"]], name=column)


def _interpolate(points: pd.Series, at: Sequence[Fraction]) -> np.ndarray:
    """Linear interpolation at `at`; NaN outside the evaluated range (no extrapolation)."""
    return np.interp(np.array(at, dtype=float), np.array(points.index, dtype=float), points.to_numpy(),
                     left=np.nan, right=np.nan)


def curve_names(action: str, dataset: Dataset) -> tuple[str, str, str, str]:
    short = dataset.short_names[action]
    return "VP3D-Avg", "Ours-Avg", f"VP3D-{short}", f"Ours-{short}"


def progress_curves(runs: ExperimentRuns, action: str) -> dict[str, pd.Series]:
    """Table 4's four curves at their own points, indexed by baseline-equivalent epoch x (exact fractions):
    the baseline's evaluated epochs; for Ours-Avg every point of an action job at which all action jobs have
    a value (each interpolated linearly); for Ours-<A> the evaluated epochs of A's job."""
    base = runs.histories[BASELINE]
    baseline_epochs = history_epochs(base)
    ours = {a: progress_points(runs.histories[a], "test_mpjpe", baseline_epochs) for a in runs.actions}
    grid = sorted({x for points in ours.values() for x in points.index})
    ours_avg = pd.Series(np.stack([_interpolate(s, grid) for s in ours.values()]).mean(axis=0),  # (len(grid),)
                         index=grid).dropna()  # NaN where some job has no value yet
    names = curve_names(action, runs.dataset)
    return {names[0]: progress_points(base, "test_mpjpe", baseline_epochs), names[1]: ours_avg,
            names[2]: progress_points(base, f"test_mpjpe_{action}", baseline_epochs), names[3]: ours[action]}


def epoch_values(runs: ExperimentRuns, action: str) -> pd.DataFrame:
    """Table 4 at every point of any curve: index x (float), the four curves interpolated linearly there.

    (Interpolating Ours-Avg, which has a point at every action job's point, equals averaging the action jobs'
    interpolations.)"""
    curves = progress_curves(runs, action)
    grid = sorted({x for points in curves.values() for x in points.index})
    table = pd.DataFrame({name: _interpolate(points, grid) for name, points in curves.items()},
                         index=pd.Index([float(x) for x in grid], name="epoch"))
    return table.dropna(how="all")


def thin_rows(values: pd.DataFrame, max_rows: int = 15) -> pd.DataFrame:
    """At most `max_rows` rows: the first, the last and those nearest to evenly spaced x between them."""
    if len(values) <= max_rows:
        return values
    x = values.index.to_numpy(dtype=float)
    targets = np.linspace(x[0], x[-1], max_rows)
    picks = sorted({int(np.abs(x - t).argmin()) for t in targets} | {0, len(x) - 1})
    return values.iloc[picks]


def epoch_table(runs: ExperimentRuns, action: str, decimals: int, max_rows: int = 15) -> Table:
    """Table 4 of one experiment: all points in `data` (CSV), at most `max_rows` printed."""
    values = epoch_values(runs, action)
    shown = thin_rows(values, max_rows)
    cells = shown.map(lambda v: format_fixed(v, decimals + 1)).reset_index()
    cells["epoch"] = [format_progress(x) for x in shown.index]
    cells = cells.rename(columns={"epoch": "Epoch (baseline-equivalent)"})
    caption = (f"Test MPJPE (mm) against training progress for {arguments_label(runs.settings)}; x in baseline "
               f"epochs (an action job's epoch e with T_a epochs is x = e T_b / T_a). Avg: action-wise average "
               f"(Ours: mean over the {len(runs.actions)} action models); {action}: that action only. Values between "
               f"evaluated epochs are linear interpolations.")
    notes = () if len(shown) == len(values) else (
        f"{len(shown)} of {len(values)} points printed; the CSV holds all of them.",)
    bold = pd.DataFrame(False, index=cells.index, columns=cells.columns)
    data = values.reset_index()
    data.insert(0, "experiment", runs.name)
    return Table(data=data, cells=cells, bold=bold,
                 caption=caption, notes=notes)


# ----------------------------------------------------------------------------------------------------------
# Table 6: is the difference between baseline and Ours real?

def significance_table(runs: ExperimentRuns, metric: str, decimals: int, alpha: float) -> Table:
    """Table 6 of one experiment: `significance` per action and Avg, as printed."""
    name, unit, extra = PROTOCOLS[metric]
    values = significance(runs, metric, alpha)
    replicates = len(runs.instances)
    cells = pd.DataFrame({
        "Action": [runs.dataset.short_names.get(a, a) for a in values.index],
        "Baseline": [format_fixed(v, decimals + extra) for v in values["baseline"]],
        "Ours": [format_fixed(v, decimals + extra) for v in values["ours"]],
        "Ours - baseline": [format_fixed(v, decimals + extra) + ("" if replicates < 2 else
                                                                 f" ± {format_fixed(h, decimals + extra)}")
                            for v, h in zip(values["difference"], values["difference_ci95"], strict=True)],
        "p (sequences)": [format_sci(v) for v in values["p_sequences"]],
        "p adj. (sequences)": [format_sci(v) for v in values["p_sequences_adjusted"]],
        "p (replicates)": [format_sci(v) for v in values["p_replicates"]],
        "p adj. (replicates)": [format_sci(v) for v in values["p_replicates_adjusted"]],
        "Significant": ["yes" if s else "no" for s in values["significant"]],
    })
    bold = pd.DataFrame(False, index=cells.index, columns=cells.columns)
    bold["Significant"] = values["significant"].to_numpy()
    data = values.reset_index()
    data.insert(0, "metric", metric)
    data.insert(0, "replicates", replicates)
    data.insert(0, "experiment", runs.name)
    caption = (f"Is the difference real? {name} ({unit}) of the baseline and Ours per action ({replicates} "
               f"replicate(s); difference ± 95% CI half-width over replicates), with two-sided paired tests: the "
               f"Wilcoxon signed-rank test over the action's test sequences (each the mean over replicates) and "
               f"the paired t-test over replicates (two or more); p-values adjusted over the "
               f"{len(runs.actions)} actions (Benjamini-Hochberg). Avg: signed-rank test over the actions, t-test "
               f"over replicates, not adjusted. Significant: every adjusted p below {alpha:g}.")
    return Table(data=data, cells=cells, bold=bold, caption=caption)
