"""Confidence intervals and paired tests (poselift.study.statistics), and the significance of Tables 1 and 6
(poselift.study.tables) on hand-made experiments: identical replicates, a planted difference, copies of one run."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from poselift.datasets.h36m import H36M
from poselift.datasets.h36m.names import ACTIONS
from poselift.study import statistics, tables
from poselift.study.models import BASELINE

SETTINGS = {"architecture": [1], "unit_epochs": 15, "baseline_epochs": 1, "budget": "equal_epochs"}
METRICS = ("mpjpe", "p_mpjpe", "n_mpjpe", "mpjve")


def test_mean_ci_reference_values():
    mean, half = statistics.mean_ci([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert half == pytest.approx(4.302652729911275 / math.sqrt(3))  # t(0.975, 2) * s / sqrt(n), s = 1
    assert statistics.mean_ci([7.5, 7.5, 7.5]) == (7.5, 0.0)  # identical replicates: zero width
    assert math.isnan(statistics.mean_ci([4.0])[1])  # one replicate: no interval


def test_paired_p_values():
    rng = np.random.default_rng(0)
    a = rng.normal(50, 5, 20)
    assert statistics.paired_p(a, a.copy(), "wilcoxon") == 1.0
    assert statistics.paired_p(a, a.copy(), "t") == 1.0
    assert statistics.paired_p(a, a + 3 + rng.normal(0, 0.1, 20), "wilcoxon") < 1e-4
    assert statistics.paired_p(a, a + 3 + rng.normal(0, 0.1, 20), "t") < 1e-4
    b = a + rng.normal(0, 1, 20)
    assert statistics.paired_p(a, b, "t") == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert statistics.paired_p(a, a + 1.0, "t") == 0.0  # a constant difference has no variance
    assert math.isnan(statistics.paired_p([1.0], [2.0], "t"))
    with pytest.raises(ValueError, match="different lengths"):
        statistics.paired_p([1.0, 2.0], [1.0], "t")


def test_benjamini_hochberg_adjustment():
    p = [0.01, 0.04, 0.03, 0.20, math.nan]
    adjusted = statistics.adjust(p)
    # sorted 0.01, 0.03, 0.04, 0.20 (m = 4): min over the tail of p_(i) m / i = 0.04, 0.0533, 0.0533, 0.20
    assert adjusted[:4] == pytest.approx([0.04, 0.05333333, 0.05333333, 0.20])
    assert math.isnan(adjusted[4])


def _rows(errors: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per-sequence rows: `errors[action]` is the metric of each of that action's test sequences."""
    return pd.DataFrame([{"subject": "S9" if k % 2 else "S11", "action": f"{a} {k // 8 + 1}", "base_action": a,
                          "sub_action": str(k // 8 + 1), "camera": (k // 2) % 4, "frames": 100 + 10 * k,
                          **dict.fromkeys(METRICS, float(e))} for a, values in errors.items()
                         for k, e in enumerate(values)])


def _runs(name: str, baseline: dict[str, np.ndarray], ours: dict[str, np.ndarray]) -> tables.ExperimentRuns:
    """An experiment instance whose summaries are the frame-weighted means of its rows."""
    rows = {BASELINE: _rows(baseline), **{a: _rows({a: ours[a]}) for a in ACTIONS}}

    def summary(frame: pd.DataFrame) -> dict:
        out = {}
        for action, g in frame.groupby("base_action"):
            out[action] = {m: float(np.average(g[m], weights=g["frames"])) for m in METRICS}
            out[action].update(frames=int(g["frames"].sum()), sequences=len(g))
        return {"per_action": out}

    return tables.ExperimentRuns(name=name, dataset=H36M, settings=SETTINGS,
                                 summaries={m: summary(r) for m, r in rows.items()}, rows=rows, histories={})


def _replicated(instances: list[tables.ExperimentRuns]) -> tables.ExperimentRuns:
    return dataclasses.replace(instances[0], replicates=tuple(instances[1:]))


def _errors(seed: int, sequences: int = 16) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {a: rng.normal(60 + i, 8, sequences) for i, a in enumerate(ACTIONS)}


def test_identical_replicates_have_zero_width_intervals():
    base, ours = _errors(1), _errors(2)
    runs = _replicated([_runs(n, base, ours) for n in ("e", "e@2", "e@3")])
    half = tables.per_action_ci(runs, "mpjpe")
    assert (half.to_numpy() == 0).all()
    table = tables.per_action_table([runs], "mpjpe", decimals=1, alpha=0.05)
    assert all(" ± 0.0" in cell for cell in table.cells.iloc[:, 2:].to_numpy().ravel())
    single = tables.per_action_ci(_runs("e", base, ours), "mpjpe")
    assert single.isna().all().all()


def test_paired_test_finds_a_planted_difference_and_none_between_copies():
    base = _errors(3)
    planted = {a: v.copy() for a, v in base.items()}
    planted["Eating"] = base["Eating"] + 5.0 + np.random.default_rng(4).normal(0, 0.5, 16)  # worse by ~5 mm
    result = tables.significance(_runs("e", base, planted), "mpjpe", alpha=0.05)
    assert result.loc["Eating", "significant"]
    assert result.loc["Eating", "difference"] == pytest.approx(5.0, abs=0.5)
    assert result.loc["Eating", "p_sequences_adjusted"] < 0.01
    assert not result.drop(index=["Eating"])["significant"].any()  # the other actions are copies: p = 1
    assert (result.drop(index=["Eating", tables.AVG])["p_sequences"] == 1.0).all()
    table = tables.per_action_table([_runs("e", base, planted)], "mpjpe", decimals=1, alpha=0.05)
    assert table.bold["Eat"].tolist() == [True, False]  # the baseline is better there, and it is bold
    assert not table.bold.drop(columns=["Eat"]).to_numpy().any()

    copies = tables.significance(_runs("e", base, {a: v.copy() for a, v in base.items()}), "mpjpe", alpha=0.05)
    assert not copies["significant"].any()
    assert (copies["p_sequences"] == 1.0).all()


def test_replicate_test_needs_consistent_replicates():
    """Over replicates: a difference that changes sign between replicates is not significant, even where the
    sequences of each replicate agree; one that holds in every replicate is."""
    base = _errors(5)
    instances_flip, instances_hold = [], []
    for k, shift in enumerate((4.0, -4.0, 4.5)):
        ours = {a: v + (shift if a == "Walking" else 0.0) + 3.0 * (a == "Phoning") for a, v in base.items()}
        name = "e" if k == 0 else f"e@{k + 1}"
        instances_flip.append(_runs(name, base, ours))
        instances_hold.append(_runs(name, base, {a: v + 3.0 * (a == "Phoning") + 0.1 * k for a, v in base.items()}))
    flip = tables.significance(_replicated(instances_flip), "mpjpe", alpha=0.05)
    assert not flip.loc["Walking", "significant"]
    assert flip.loc["Walking", "p_replicates"] > 0.05
    assert flip.loc["Phoning", "p_replicates"] == 0.0 and flip.loc["Phoning", "significant"]
    hold = tables.significance(_replicated(instances_hold), "mpjpe", alpha=0.05)
    assert hold.loc["Phoning", "significant"]
    assert hold.loc["Phoning", "difference_ci95"] == pytest.approx(
        statistics.mean_ci([3.0, 3.1, 3.2])[1], rel=1e-6)
