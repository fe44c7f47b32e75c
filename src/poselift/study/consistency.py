"""Consistency of a run's artifacts with each other: numbers that must agree, and their largest disagreement."""

from __future__ import annotations

import math

import pandas as pd

from poselift.lifting.aggregation import METRICS, per_action
from poselift.study.models import BASELINE
from poselift.study.tables import ExperimentRuns, number, training_cost

SUMMARY_TOLERANCE_MM = 1e-6  # evaluation summary vs its own per-sequence rows: float noise only
HISTORY_TOLERANCE_MM = 1e-2  # training's last test score vs evaluate: the same protocol and weights (0 on CPU)
TIME_TOLERANCE_S = 1e-6  # the history's summed training time vs its running total: float noise only
ROUTE_TOLERANCE_MM = 1e-3  # route stage vs evaluate: the same weights and protocol in another job (0 on CPU)
ROUTE_KEYS = ["subject", "action", "camera"]


def _difference(a: float, b: float) -> float:
    """|a - b|, 0 when both are NaN, infinite when only one is."""
    if math.isnan(a) and math.isnan(b):
        return 0.0
    return math.inf if math.isnan(a) or math.isnan(b) else abs(a - b)


def consistency(runs: ExperimentRuns) -> pd.DataFrame:
    """Largest disagreements between artifacts that should agree, one row per check.

    - summary vs rows: each JSON per-action value (and frame count) against the frame-weighted mean (sum)
      of the parquet rows; they must agree (`limit`), else the summary is stale or was computed otherwise;
    - history vs evaluate: each job's last `test_mpjpe` against the evaluation summary (same protocol and the
      same weights; a difference means the evaluation scored another checkpoint than the job trained);
    - TC vs cumulative: the sum of `train_wall_s` against the last `cum_train_wall_s`.
    Every check has a limit; the report stage fails when one is exceeded.
    """
    summary_diff, frames_diff, history_diff, tc_diff = 0.0, 0.0, 0.0, 0.0
    for model in (BASELINE, *runs.actions):
        recomputed = per_action(runs.rows[model])
        summary = runs.summaries[model]["per_action"]
        for action, values in recomputed.iterrows():
            frames_diff = max(frames_diff, _difference(number(summary[action]["frames"]), values["frames"]))
            for metric in METRICS:
                summary_diff = max(summary_diff, _difference(number(summary[action][metric]), values[metric]))
        history = runs.histories[model]
        final = float(history["test_mpjpe"].iloc[-1])
        history_diff = max(history_diff, _difference(final, number(runs.summaries[model]["average"]["mpjpe"])))
        tc_diff = max(tc_diff, abs(training_cost(history) - float(history["cum_train_wall_s"].iloc[-1])))
    checks = pd.DataFrame({
        "check": ["evaluation summary vs per-sequence rows (errors)",
                  "evaluation summary vs per-sequence rows (frames)",
                  "last test MPJPE of the training history vs evaluate",
                  "sum of train_wall_s vs last cum_train_wall_s"],
        "max_abs_difference": [summary_diff, frames_diff, history_diff, tc_diff],
        "unit": ["mm", "frames", "mm", "s"],
        "limit": [SUMMARY_TOLERANCE_MM, 0.0, HISTORY_TOLERANCE_MM, TIME_TOLERANCE_S],
    })
    if runs.routing is None:
        return checks
    return pd.concat([checks, pd.DataFrame({
        "check": ["oracle route vs evaluate of each action's model (per sequence)",
                  "transfer matrix vs evaluate (each model on its own test sequences)"],
        "max_abs_difference": [_route_difference(runs, "oracle"), _route_difference(runs, "transfer")],
        "unit": ["mm", "mm"], "limit": [ROUTE_TOLERANCE_MM, ROUTE_TOLERANCE_MM]})], ignore_index=True)


def _route_difference(runs: ExperimentRuns, kind: str) -> float:
    """Largest |MPJPE| difference per sequence between the route stage and evaluate: the oracle route against
    each action model's rows, or every model's transfer rows against its own evaluation rows."""
    largest = 0.0
    routes, transfer = runs.routing.routes, runs.routing.transfer
    for model in (BASELINE, *runs.actions):
        if kind == "oracle" and model == BASELINE:
            continue
        evaluated = runs.rows[model].set_index(ROUTE_KEYS)["mpjpe"]
        if kind == "oracle":
            scored = routes[(routes["route"] == "oracle") & (routes["base_action"] == model)]
        else:
            scored = transfer[transfer["model"] == model]
        scored = scored.set_index(ROUTE_KEYS)["mpjpe"].reindex(evaluated.index)
        largest = max(largest, float((scored - evaluated).abs().max()) if scored.notna().all() else math.inf)
    return largest
