"""The paper's Tables 1-4 of one experiment, computed from its evaluation summaries and training logs.

An experiment is 16 training jobs: the baseline ("VideoPose3D", one model on all 15 actions) and one
model per action ("Ours", papers/000 and papers/001). Definitions:

- Table 1 (Protocol #1, MPJPE), Table 1b (Protocol #2, P-MPJPE) and Table 2 (MPJVE): one row pair per
  experiment, labelled with its receptive field F (product of the filter widths), its unit epochs UE, the
  baseline's epochs and the budget rule. "VideoPose3D (baseline)" is the baseline's error per action
  (`per_action` of metrics/<exp>/baseline.json); "Ours (per-action)" takes for each action A the error of
  A's own model (`per_action[A]` of metrics/<exp>/<A>.json). Within an action the errors are frame-weighted
  over its test sequences (the evaluate stage does this); the Avg column is the unweighted mean over the 15
  actions, VideoPose3D's action-wise average. Lower is better: the better value of each pair, compared as
  printed, is bold (both on a tie).
- Table 3, training cost and precision-time rate (TPR, formulas 3/4 of papers/000, 4/5 of papers/001):
  TC = training seconds = the sum of `train_wall_s` over a job's log rows. The errors eps come from the
  logs' `test_mpjpe` / `test_mpjve` at T (the job's `epochs`) and at T/2 = epoch ceil(T/2) (the paper's
  floor gives epoch 0 for T = 1; both give 40 for its T = 80). For Ours, eps is the mean over the 15 action
  jobs of each job's value at its own ceil(T_a/2) and T_a, and TC is given two ways: summed over the 15
  jobs (one GPU after the other) and as parallel wall time, the longest of the 15 jobs (15 GPUs at once).
  eps0 = k (eps_{T/2}^baseline + eps_{T/2}^ours) / 2, with k = params report.k (the paper's 1.2), and the TPR
  of model i is theta_i = (eps0 - eps_T^i) / TC_i, in mm/s (MPJVE: mm per frame per s). The paper's
  TC_Ours was the time of one Eating-only job (reference notes, section 2), i.e. neither variant. An epoch
  without evaluation (eval_every > 1) is replaced by the nearest evaluated epoch before it (after it if
  there is none), and a note says so.
- Table 4, test MPJPE against training progress, measured in baseline-equivalent epochs x: the baseline's
  epoch, and for an action job with T_a epochs x = epoch * T_b / T_a (T_b the baseline's epochs), so that
  every curve ends at x = T_b. Columns: the baseline's average (`test_mpjpe`), Ours' average (mean over the
  15 action jobs, each interpolated linearly at x), the baseline on one chosen action A (`test_mpjpe_<A>`)
  and A's own model. Rows are the union of all evaluated points, thinned to at most 15 for display.

Everything here is pure: frames and dicts in, frames and strings out. `Table` carries a table in the
three forms written (CSV at full precision, Markdown and LaTeX as printed).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from poselift import aggregation
from poselift.actions import ACTIONS, BASELINE, MODELS

SHORT_NAMES = {
    "Directions": "Dir.", "Discussion": "Disc.", "Eating": "Eat", "Greeting": "Greet", "Phoning": "Phone",
    "Photo": "Photo", "Posing": "Pose", "Purchases": "Purch.", "Sitting": "Sit", "SittingDown": "SitD.",
    "Smoking": "Smoke", "Waiting": "Wait", "WalkDog": "WalkD.", "Walking": "Walk", "WalkTogether": "WalkT.",
}
AVG = "Avg"
BASELINE_ROW = "VideoPose3D (baseline)"
OURS_ROW = "Ours (per-action)"
MISSING = "—"  # printed for a value that does not exist (NaN)
SUMMARY_TOLERANCE_MM = 1e-6  # evaluation summary vs its own per-sequence rows: float noise only

# Protocol -> (name in the tables, unit, extra decimals over params report.decimals).
PROTOCOLS = {
    "mpjpe": ("MPJPE", "mm", 0),
    "p_mpjpe": ("P-MPJPE", "mm", 0),
    "mpjve": ("MPJVE", "mm per frame", 1),
}


@dataclass(frozen=True)
class ExperimentRuns:
    """What the report reads of one experiment (16 models: the baseline and the 15 actions)."""

    name: str
    settings: Mapping[str, Any]  # poselift.params.experiment_settings(params, name)
    summaries: Mapping[str, Mapping[str, Any]]  # model -> evaluation summary, metrics/<exp>/<model>.json
    rows: Mapping[str, pd.DataFrame]  # model -> per-sequence evaluation rows, metrics/<exp>/<model>.parquet
    logs: Mapping[str, pd.DataFrame]  # model -> per-epoch training log, logs/<exp>/<model>.parquet


@dataclass(frozen=True)
class Table:
    """A table as numbers (`data`, full precision, for CSV) and as printed (`cells`, `bold`)."""

    data: pd.DataFrame
    cells: pd.DataFrame  # str, the printed values; the first `label_columns` columns are labels
    bold: pd.DataFrame  # bool, same shape as `cells`
    caption: str
    label_columns: int = 1
    notes: tuple[str, ...] = field(default=())

    def csv(self) -> str:
        return self.data.to_csv(index=False, lineterminator="\n")

    def markdown(self) -> str:
        cells = self.cells.where(~self.bold, "**" + self.cells + "**")
        align = ["left"] * self.label_columns + ["right"] * (cells.shape[1] - self.label_columns)
        return cells.to_markdown(index=False, disable_numparse=True, colalign=align) + "\n"

    def latex(self, label: str) -> str:
        """A `table` environment with a plain `tabular` (no packages beyond LaTeX itself)."""
        spec = "l" * self.label_columns + "r" * (self.cells.shape[1] - self.label_columns)
        header = " & ".join(latex_escape(str(c)) for c in self.cells.columns)
        body = []
        for (_, row), (_, bold) in zip(self.cells.iterrows(), self.bold.iterrows(), strict=True):
            cells = [_latex_cell(str(v), bool(b)) for v, b in zip(row, bold, strict=True)]
            body.append("    " + " & ".join(cells) + r" \\")
        return "\n".join([
            r"\begin{table}[htbp]",
            r"  \centering",
            r"  \footnotesize",
            r"  \setlength{\tabcolsep}{3pt}",
            rf"  \caption{{{latex_escape(self.caption)}}}",
            rf"  \label{{{label}}}",
            rf"  \begin{{tabular}}{{{spec}}}",
            r"    \hline",
            f"    {header} \\\\",
            r"    \hline",
            *body,
            r"    \hline",
            r"  \end{tabular}",
            r"\end{table}",
            "",
        ])


# ----------------------------------------------------------------------------------------------------------
# Labels and number formatting

def number(value: float | None) -> float:
    """A summary value as float: JSON null (what evaluate writes for NaN) becomes NaN."""
    return math.nan if value is None else float(value)


def _difference(a: float, b: float) -> float:
    """|a - b|, 0 when both are NaN, infinite when only one is."""
    if math.isnan(a) and math.isnan(b):
        return 0.0
    return math.inf if math.isnan(a) or math.isnan(b) else abs(a - b)


def receptive_field(architecture: Sequence[int]) -> int:
    """Receptive field F in frames: the product of the filter widths (3,3,3 -> 27)."""
    return math.prod(architecture)


def arguments_label(settings: Mapping[str, Any]) -> str:
    """The paper's "Arguments" of an experiment, plus what it leaves implicit: 'F=27, UE=15 (baseline 1 E,
    equal_epochs)', and the batch-norm statistics when they are not VideoPose3D's running averages."""
    extra = "" if settings.get("bn_statistics", "running") == "running" else f", BN {settings['bn_statistics']}"
    return (f"F={receptive_field(settings['architecture'])}, UE={settings['unit_epochs']} "
            f"(baseline {settings['baseline_epochs']} E, {settings['budget']}{extra})")


def format_fixed(value: float, decimals: int) -> str:
    return MISSING if not np.isfinite(value) else f"{value:.{decimals}f}"


def format_sci(value: float, digits: int = 3) -> str:
    """Three significant digits in e-notation ('6.92e-05'); LaTeX prints it as $6.92 \\cdot 10^{-5}$."""
    return MISSING if not np.isfinite(value) else f"{value:.{digits - 1}e}"


def format_progress(x: float) -> str:
    """A baseline-equivalent epoch: '1', '0.067', '2.5'."""
    return f"{x:.3f}".rstrip("0").rstrip(".")


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_SCI = re.compile(r"^(-?\d\.\d+)e([+-]\d+)$")


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text).replace(MISSING, "--")


def _latex_cell(text: str, bold: bool) -> str:
    match = _SCI.match(text)
    text = rf"${match.group(1)} \cdot 10^{{{int(match.group(2))}}}$" if match else latex_escape(text)
    return rf"\textbf{{{text}}}" if bold else text


def _bold_lower(cells: pd.DataFrame, rows: Sequence[int], columns: Sequence[str]) -> pd.DataFrame:
    """Bold the lowest printed value among `rows` in each of `columns` (ties: all of them)."""
    bold = pd.DataFrame(False, index=cells.index, columns=cells.columns)
    for column in columns:
        printed = pd.to_numeric(cells.iloc[list(rows)][column].replace(MISSING, np.nan), errors="coerce")
        if printed.notna().any():
            best = printed.min()
            for position, value in zip(rows, printed, strict=True):
                bold.iloc[position, cells.columns.get_loc(column)] = bool(value == best)
    return bold


# ----------------------------------------------------------------------------------------------------------
# Tables 1, 1b and 2: error per action

def per_action_errors(runs: ExperimentRuns, metric: str) -> pd.DataFrame:
    """Rows BASELINE_ROW and OURS_ROW, columns the 15 actions and Avg (unweighted mean over actions)."""
    baseline = runs.summaries[BASELINE]["per_action"]
    values = pd.DataFrame(
        [[number(baseline[a][metric]) for a in ACTIONS],
         [number(runs.summaries[a]["per_action"][a][metric]) for a in ACTIONS]],
        index=[BASELINE_ROW, OURS_ROW], columns=list(ACTIONS))
    values[AVG] = values[list(ACTIONS)].mean(axis=1)
    return values


def per_action_table(experiments: Sequence[ExperimentRuns], metric: str, decimals: int) -> Table:
    """Table 1 (metric 'mpjpe'), 1b ('p_mpjpe') or 2 ('mpjve'): a row pair per experiment."""
    name, unit, extra = PROTOCOLS[metric]
    data_parts, cell_parts, bold_parts = [], [], []
    for runs in experiments:
        values = per_action_errors(runs, metric)
        settings = runs.settings
        label = arguments_label(settings)
        data = values.rename_axis("model").reset_index()
        data.insert(0, "budget", settings["budget"])
        data.insert(0, "baseline_epochs", settings["baseline_epochs"])
        data.insert(0, "unit_epochs", settings["unit_epochs"])
        data.insert(0, "receptive_field", receptive_field(settings["architecture"]))
        data.insert(0, "experiment", runs.name)
        data_parts.append(data.rename(columns={AVG: "average"}))
        cells = values.map(lambda v: format_fixed(v, decimals + extra))
        cells.columns = [SHORT_NAMES.get(c, c) for c in cells.columns]
        cells.insert(0, "Model", [BASELINE_ROW, OURS_ROW])
        cells.insert(0, "Arguments", [label, ""])
        cells = cells.reset_index(drop=True)
        cell_parts.append(cells)
        bold_parts.append(_bold_lower(cells, [0, 1], list(cells.columns[2:])))
    caption = (f"{name} ({unit}) per action: VideoPose3D's single model (baseline) against one model per "
               f"action (Ours). Avg: unweighted mean over the 15 actions; best of each pair in bold.")
    return Table(data=pd.concat(data_parts, ignore_index=True), cells=pd.concat(cell_parts, ignore_index=True),
                 bold=pd.concat(bold_parts, ignore_index=True), caption=caption, label_columns=2)


# ----------------------------------------------------------------------------------------------------------
# Table 3: training cost and precision-time rate

def half_epoch(epochs: int) -> int:
    """The epoch T/2 of formula (3): ceil(T/2), so that T = 1 gives epoch 1 (floor would give 0)."""
    return math.ceil(epochs / 2)


def training_cost(log: pd.DataFrame, until_epoch: int | None = None) -> float:
    """TC in seconds: the sum of `train_wall_s` over the log's epochs (up to `until_epoch`)."""
    rows = log if until_epoch is None else log[log["epoch"] <= until_epoch]
    return float(rows["train_wall_s"].sum())


def logged_epochs(log: pd.DataFrame) -> int:
    """The epochs T of the job that wrote `log` (its `epochs` column)."""
    return int(log["epochs"].iloc[0])


def error_at(log: pd.DataFrame, column: str, epoch: int) -> tuple[float, int]:
    """`column` of the log at `epoch`, or at the nearest evaluated epoch before it (after it if there is
    none). Returns (value, epoch used)."""
    evaluated = log.loc[log[column].notna(), ["epoch", column]]
    if evaluated.empty:
        raise ValueError(f"no evaluated epoch in column {column!r}")
    before = evaluated[evaluated["epoch"] <= epoch]
    row = before.iloc[-1] if not before.empty else evaluated.iloc[0]
    return float(row[column]), int(row["epoch"])


TPR_QUANTITIES = (  # key, printed name, kind (decides the format)
    ("epochs_half", "Epoch T/2 (Ours: sum / longest job)", "epochs"),
    ("tc_half_s", "TC up to T/2 (s)", "seconds"),
    ("mpjpe_half", "MPJPE at T/2 (mm)", "mpjpe"),
    ("mpjve_half", "MPJVE at T/2 (mm/frame)", "mpjve"),
    ("epochs", "Epochs T (Ours: sum / longest job)", "epochs"),
    ("tc_s", "TC (s)", "seconds"),
    ("mpjpe", "MPJPE at T (mm)", "mpjpe"),
    ("mpjve", "MPJVE at T (mm/frame)", "mpjve"),
    ("mpjpe_eps0", "MPJPE eps0 (mm)", "eps0_mpjpe"),
    ("mpjve_eps0", "MPJVE eps0 (mm/frame)", "eps0_mpjve"),
    ("mpjpe_tpr", "MPJPE TPR (mm/s)", "tpr"),
    ("mpjve_tpr", "MPJVE TPR (mm/frame/s)", "tpr"),
)
TPR_COLUMNS = {"baseline": BASELINE_ROW, "ours_sum": "Ours, TC summed over 15 jobs",
               "ours_parallel": "Ours, TC parallel (longest job)"}


def tpr_values(runs: ExperimentRuns, k: float) -> tuple[pd.DataFrame, list[str]]:
    """Table 3's numbers: index the TPR_QUANTITIES keys, columns baseline / ours_sum / ours_parallel.

    Returns the numbers and notes on epochs that had to be replaced (not evaluated)."""
    notes: list[str] = []

    def job(model: str) -> dict[str, float]:
        log = runs.logs[model]
        epochs = logged_epochs(log)
        half = half_epoch(epochs)
        out = {"epochs": epochs, "tc_s": training_cost(log)}
        for protocol in ("mpjpe", "mpjve"):
            for key, wanted in ((f"{protocol}_half", half), (protocol, epochs)):
                out[key], used = error_at(log, f"test_{protocol}", wanted)
                note = f"{model}: epoch {wanted} was not evaluated; epoch {used} used instead"
                if used != wanted and note not in notes:
                    notes.append(note)
                if key == "mpjpe_half":
                    out["epochs_half"] = used
                    out["tc_half_s"] = training_cost(log, used)
        return out

    baseline = job(BASELINE)
    actions = pd.DataFrame({a: job(a) for a in ACTIONS}).T  # (15 actions, quantities)
    sums = {"epochs": "sum", "epochs_half": "sum", "tc_s": "sum", "tc_half_s": "sum"}
    ours_sum = {key: actions[key].agg(sums.get(key, "mean")) for key in actions.columns}
    ours_parallel = {key: actions[key].max() if key in sums else actions[key].mean() for key in actions.columns}
    table = pd.DataFrame({"baseline": baseline, "ours_sum": ours_sum, "ours_parallel": ours_parallel},
                         dtype=float)
    for protocol in ("mpjpe", "mpjve"):
        eps0 = k * (table.at[f"{protocol}_half", "baseline"] + table.at[f"{protocol}_half", "ours_sum"]) / 2
        table.loc[f"{protocol}_eps0"] = eps0
        table.loc[f"{protocol}_tpr"] = (eps0 - table.loc[protocol]) / table.loc["tc_s"]
    return table.loc[[key for key, _, _ in TPR_QUANTITIES]], notes


def tpr_table(runs: ExperimentRuns, k: float, decimals: int) -> Table:
    """Table 3 of one experiment."""
    values, notes = tpr_values(runs, k)
    formats = {"epochs": lambda v: format_fixed(v, 0), "seconds": lambda v: format_fixed(v, 1),
               "mpjpe": lambda v: format_fixed(v, decimals + 1), "mpjve": lambda v: format_fixed(v, decimals + 2),
               "eps0_mpjpe": lambda v: format_fixed(v, decimals + 2),
               "eps0_mpjve": lambda v: format_fixed(v, decimals + 3), "tpr": format_sci}
    cells = pd.DataFrame([[name, *(formats[kind](values.at[key, c]) for c in TPR_COLUMNS)]
                          for key, name, kind in TPR_QUANTITIES], columns=["Quantity", *TPR_COLUMNS.values()])
    bold = pd.DataFrame(False, index=cells.index, columns=cells.columns)
    data = values.rename_axis("quantity").reset_index()
    data.insert(1, "name", [name for _, name, _ in TPR_QUANTITIES])
    data.insert(0, "experiment", runs.name)
    caption = (f"Training cost (TC, seconds of training) and precision-time rate (TPR) for "
               f"{arguments_label(runs.settings)}; eps0 = {k:g} (eps_T/2 baseline + eps_T/2 Ours) / 2, "
               f"TPR = (eps0 - eps_T) / TC. Ours' errors are means over the 15 action jobs.")
    return Table(data=data, cells=cells, bold=bold, caption=caption, notes=tuple(notes))


# ----------------------------------------------------------------------------------------------------------
# Table 4: test MPJPE against training progress

def progress_points(log: pd.DataFrame, column: str, baseline_epochs: int) -> pd.Series:
    """The evaluated values of `column` indexed by baseline-equivalent epoch (exact fractions)."""
    scale = Fraction(baseline_epochs, logged_epochs(log))
    evaluated = log.loc[log[column].notna(), ["epoch", column]]
    return pd.Series(evaluated[column].to_numpy(dtype=float),
                     index=[Fraction(int(e)) * scale for e in evaluated["epoch"]], name=column)


def _interpolate(points: pd.Series, at: Sequence[Fraction]) -> np.ndarray:
    """Linear interpolation at `at`; NaN outside the evaluated range (no extrapolation)."""
    return np.interp(np.array(at, dtype=float), np.array(points.index, dtype=float), points.to_numpy(),
                     left=np.nan, right=np.nan)


def curve_names(action: str) -> tuple[str, str, str, str]:
    short = SHORT_NAMES[action]
    return "VP3D-Avg", "Ours-Avg", f"VP3D-{short}", f"Ours-{short}"


def progress_curves(runs: ExperimentRuns, action: str) -> dict[str, pd.Series]:
    """Table 4's four curves at their own points, indexed by baseline-equivalent epoch x (exact fractions):
    the baseline's evaluated epochs; for Ours-Avg every point of an action job at which all 15 jobs have a
    value (each interpolated linearly); for Ours-<A> the evaluated epochs of A's job."""
    base = runs.logs[BASELINE]
    baseline_epochs = logged_epochs(base)
    ours = {a: progress_points(runs.logs[a], "test_mpjpe", baseline_epochs) for a in ACTIONS}
    grid = sorted({x for points in ours.values() for x in points.index})
    ours_avg = pd.Series(np.stack([_interpolate(s, grid) for s in ours.values()]).mean(axis=0),  # (len(grid),)
                         index=grid).dropna()  # NaN where some job has no value yet
    names = curve_names(action)
    return {names[0]: progress_points(base, "test_mpjpe", baseline_epochs), names[1]: ours_avg,
            names[2]: progress_points(base, f"test_mpjpe_{action}", baseline_epochs), names[3]: ours[action]}


def epoch_values(runs: ExperimentRuns, action: str) -> pd.DataFrame:
    """Table 4 at every point of any curve: index x (float), the four curves interpolated linearly there.

    (Interpolating Ours-Avg, which has a point at every action job's point, equals averaging the 15 jobs'
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
               f"(Ours: mean over the 15 action models); {action}: that action only. Values between "
               f"evaluated epochs are linear interpolations.")
    notes = () if len(shown) == len(values) else (
        f"{len(shown)} of {len(values)} points printed; the CSV holds all of them.",)
    bold = pd.DataFrame(False, index=cells.index, columns=cells.columns)
    data = values.reset_index()
    data.insert(0, "experiment", runs.name)
    return Table(data=data, cells=cells, bold=bold,
                 caption=caption, notes=notes)


# ----------------------------------------------------------------------------------------------------------
# Consistency of the artifacts with each other

def consistency(runs: ExperimentRuns) -> pd.DataFrame:
    """Largest disagreements between artifacts that should agree, one row per check.

    - summary vs rows: each JSON per-action value (and frame count) against the frame-weighted mean (sum)
      of the parquet rows; they must agree (`limit`), else the summary is stale or was computed otherwise;
    - log vs evaluate: each job's last `test_mpjpe` against the evaluation summary (same protocol; training
      evaluates in its own batches, so small differences are possible and only reported);
    - TC vs cumulative: the sum of `train_wall_s` against the last `cum_train_wall_s` (reported).
    """
    summary_diff, frames_diff, log_diff, tc_diff = 0.0, 0.0, 0.0, 0.0
    for model in MODELS:
        recomputed = aggregation.per_action(runs.rows[model])
        per_action = runs.summaries[model]["per_action"]
        for action, values in recomputed.iterrows():
            frames_diff = max(frames_diff, _difference(number(per_action[action]["frames"]), values["frames"]))
            for metric in aggregation.METRICS:
                summary_diff = max(summary_diff, _difference(number(per_action[action][metric]), values[metric]))
        log = runs.logs[model]
        final = float(log["test_mpjpe"].iloc[-1])
        log_diff = max(log_diff, _difference(final, number(runs.summaries[model]["average"]["mpjpe"])))
        tc_diff = max(tc_diff, abs(training_cost(log) - float(log["cum_train_wall_s"].iloc[-1])))
    return pd.DataFrame({
        "check": ["evaluation summary vs per-sequence rows (errors)",
                  "evaluation summary vs per-sequence rows (frames)",
                  "last logged test MPJPE vs evaluate", "sum of train_wall_s vs last cum_train_wall_s"],
        "max_abs_difference": [summary_diff, frames_diff, log_diff, tc_diff],
        "unit": ["mm", "frames", "mm", "s"],
        "limit": [SUMMARY_TOLERANCE_MM, 0.0, np.nan, np.nan],
    })
