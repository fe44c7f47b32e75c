"""VideoPose3D's aggregation of per-sequence errors into per-action and overall numbers.

Test sequences are grouped by base action (`Sitting 1` and `Sitting 2` are both `Sitting`; 15
groups on Human3.6M). Within a group each sequence (one subject, sub-action and camera) counts with
its number of frames; across groups the mean is unweighted: the "action-wise average" VideoPose3D
prints and papers report.
"""

from __future__ import annotations

import pandas as pd

METRICS = ("mpjpe", "p_mpjpe", "n_mpjpe", "mpjve")


def per_action(rows: pd.DataFrame, metrics: tuple[str, ...] = METRICS) -> pd.DataFrame:
    """Frame-weighted mean of each metric per base action.

    `rows` has one row per sequence with columns `base_action`, `frames` and the metrics (the
    evaluation's per-sequence rows). Returns a frame indexed by base action with the metrics and the
    summed `frames` and `sequences`.
    """
    missing = {"base_action", "frames", *metrics} - set(rows.columns)
    if missing:
        raise ValueError(f"per-sequence rows lack column(s) {sorted(missing)}")
    if rows.empty:
        raise ValueError("no per-sequence rows to aggregate")
    weighted = rows[list(metrics)].multiply(rows["frames"], axis=0)
    weighted["base_action"] = rows["base_action"]
    sums = weighted.groupby("base_action", sort=True).sum()
    frames = rows.groupby("base_action", sort=True)["frames"].sum()
    out = sums.divide(frames, axis=0)
    out["frames"] = frames
    out["sequences"] = rows.groupby("base_action", sort=True).size()
    return out


def action_wise_average(rows: pd.DataFrame, metrics: tuple[str, ...] = METRICS) -> pd.Series:
    """Unweighted mean over base actions of the frame-weighted per-action means."""
    return per_action(rows, metrics)[list(metrics)].mean()


def per_subject(rows: pd.DataFrame, metrics: tuple[str, ...] = METRICS) -> pd.DataFrame:
    """VideoPose3D's `--by-subject`: the action-wise average computed within each subject."""
    if "subject" not in rows.columns:
        raise ValueError("per-sequence rows lack column 'subject'")
    return pd.DataFrame({subject: action_wise_average(group, metrics)
                         for subject, group in rows.groupby("subject", sort=True)}).T.rename_axis("subject")
