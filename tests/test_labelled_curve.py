"""The labelled-data curve (Table 9, Figure 9, `labelled_curve` of summary.json): its numbers against hand-computed
ones on small made-up runs, its checks of the recorded frames, when a study has it, and the report stage writing it
(on test_report's artifacts)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from test_report import EXPERIMENTS, MODELS, frame_weighted, make_params, run_report, write_artifacts

from poselift.datasets.h36m import H36M
from poselift.datasets.h36m.names import ACTIONS
from poselift.io.figures import save_figure
from poselift.study import artifacts, labelled, report
from poselift.study.models import BASELINE
from poselift.study.params import LABELLED_KEY, experiment_settings
from poselift.study.tables import ExperimentRuns

ROOT = Path(__file__).resolve().parent.parent
SEMI = {"subjects_unlabelled": ["S5", "S6"], "warmup": 1, "projection": "distorted", "bone_length": True}


def rows_of(model: str, offset: float) -> pd.DataFrame:
    """Per-sequence rows: action i (its index) has two sequences; the baseline's are of 100 and 300 frames with
    MPJPE 10 + i and 20 + i (frame-weighted 17.5 + i), an action model's of 100 and 100 frames with 30 + i and
    40 + i (35 + i); everything + `offset`, N-MPJPE half the MPJPE."""
    records = []
    for action in ACTIONS if model == BASELINE else (model,):
        i = ACTIONS.index(action)
        shape = ((100, 10), (300, 20)) if model == BASELINE else ((100, 30), (100, 40))
        for frames, error in shape:
            mpjpe = error + i + offset
            records.append({"base_action": action, "frames": frames, "mpjpe": mpjpe, "n_mpjpe": mpjpe / 2})
    return pd.DataFrame.from_records(records)


def history_of(train_frames: int, unlabelled_frames: int | None) -> pd.DataFrame:
    history = pd.DataFrame({"epoch": [1, 2], "train_frames": train_frames})
    if unlabelled_frames is not None:
        history["unlabelled_frames"] = unlabelled_frames
    return history


def made_runs(name: str, subset: float, semi: dict | None, action_frames: int, unlabelled: int | None = None,
              offset: float = 0.0, budget: str = "equal_epochs", baseline_frames: int | None = None) -> ExperimentRuns:
    """One instance: every action model trained on `action_frames` (and `unlabelled` frames), the baseline on
    their sums (or on `baseline_frames`)."""
    settings = {"subjects_train": ["S1"], "subset": subset, "semi_supervised": semi, "budget": budget}
    histories = {a: history_of(action_frames, unlabelled) for a in ACTIONS}
    histories[BASELINE] = history_of(len(ACTIONS) * action_frames if baseline_frames is None else baseline_frames,
                                     None if unlabelled is None else len(ACTIONS) * unlabelled)
    return ExperimentRuns(name=name, dataset=H36M, settings=settings, summaries={},
                          rows={m: rows_of(m, offset) for m in (BASELINE, *ACTIONS)}, histories=histories)


def test_curve_rows_match_hand_computed_values():
    replicated = made_runs("half", 0.5, None, 100)
    half = dataclasses.replace(replicated, replicates=(made_runs("half@2", 0.5, None, 100, offset=2.0),))
    runs = [made_runs("full", 1.0, None, 200, unlabelled=0), half, made_runs("semi", 0.1, SEMI, 10, unlabelled=600)]
    rows = labelled.curve_rows(runs)
    assert [r["experiment"] for r in rows] == ["half", "full", "semi"]  # supervised by labelled frames, then semi
    half_row, full_row, semi_row = rows
    # baseline: mean over i = 0..14 of 17.5 + i = 24.5; per-action: of 35 + i = 42; the replicate adds 2, mean + 1
    assert half_row == {"experiment": "half", "replicates": 2, "subjects_labelled": "S1", "subset": 0.5,
                        "labelled_frames": 1500, "subjects_unlabelled": "", "unlabelled_frames": 0,
                        "semi_supervised": False, "baseline_mpjpe": pytest.approx(25.5),
                        "per_action_mpjpe": pytest.approx(43.0), "baseline_n_mpjpe": pytest.approx(12.75),
                        "per_action_n_mpjpe": pytest.approx(21.5)}
    assert (full_row["labelled_frames"], full_row["baseline_mpjpe"]) == (3000, pytest.approx(24.5))
    assert semi_row["semi_supervised"] and semi_row["subjects_unlabelled"] == "S5,S6"
    assert (semi_row["labelled_frames"], semi_row["unlabelled_frames"]) == (150, 9000)
    assert semi_row["per_action_n_mpjpe"] == pytest.approx(21.0)
    table = labelled.curve_table(rows, decimals=1)
    assert table.cells.iloc[0].tolist() == ["half", "S1", "0.5", "1500", "—", "0", "no", "25.5", "43.0", "12.8",
                                            "21.5"]
    assert table.cells.iloc[2, :7].tolist() == ["semi", "S1", "0.1", "150", "S5,S6", "9000", "yes"]
    assert "mean over replicates" in table.caption


def test_action_models_that_trained_on_other_frames_than_the_baseline_fail_the_curve():
    """Each action model trains on its action's share of the baseline's labelled and unlabelled frames."""
    runs = made_runs("sub", 0.5, None, 100, baseline_frames=1499)
    with pytest.raises(ValueError, match=re.escape("experiment sub: the action models trained on 1500 labelled frames "
                                                   "together (train_frames of their histories), the baseline on 1499")):
        labelled.curve_rows([runs])
    fixed = made_runs("fixed", 0.5, None, 100, budget="fixed_data", baseline_frames=100)  # every model gets the budget
    assert labelled.curve_rows([fixed])[0]["labelled_frames"] == 100
    semi = made_runs("semi", 0.1, SEMI, 10, unlabelled=600)
    semi.histories["Walking"]["unlabelled_frames"] = 601
    with pytest.raises(ValueError, match=re.escape("experiment semi: the action models trained on 9001 unlabelled "
                                                   "frames together (unlabelled_frames of their histories), the "
                                                   "baseline on 9000")):
        labelled.curve_rows([semi])


@pytest.mark.parametrize(("semi", "unlabelled", "message"), [
    (SEMI, 0, "its baseline's history records 0 unlabelled frames, but the experiment is semi-supervised"),
    (None, 50, "its baseline's history records 750 unlabelled frames, but the experiment is supervised"),
])
def test_unlabelled_frames_must_match_the_settings(semi, unlabelled, message):
    with pytest.raises(ValueError, match=re.escape(f"experiment e: {message}")):
        labelled.curve_rows([made_runs("e", 0.5, semi, 100, unlabelled=unlabelled)])


def test_replicates_that_trained_on_other_frames_fail_the_curve():
    first = made_runs("e", 0.5, None, 100)
    runs = dataclasses.replace(first, replicates=(made_runs("e@2", 0.5, None, 101),))
    with pytest.raises(ValueError, match=re.escape("experiment e: its replicates trained on different (labelled, "
                                                   "unlabelled) frames [(1500, 0), (1515, 0)]")):
        labelled.curve_rows([runs])


def test_a_semi_supervised_history_needs_unlabelled_frames(tmp_path):
    """Older supervised histories lack the column; a semi-supervised job's must have it."""
    make = make_params()
    path = tmp_path / "baseline.parquet"
    frame = pd.DataFrame({"experiment": "e", "model": BASELINE, "epoch": [1], "epochs": 1, "train_frames": 10,
                          "train_wall_s": 1.0, "cum_train_wall_s": 1.0, "test_mpjpe": 50.0, "test_mpjve": 2.0,
                          f"test_mpjpe_{make['report']['table4_action']}": 40.0})
    frame.to_parquet(path, index=False)
    assert len(artifacts.load_history(path, "e", BASELINE, make["report"]["table4_action"], False)) == 1
    with pytest.raises(ValueError, match=re.escape(f"{path}: missing column(s) unlabelled_frames")):
        artifacts.load_history(path, "e", BASELINE, make["report"]["table4_action"], True)


def study_settings(params: dict) -> list[dict]:
    return [experiment_settings(params, e) for e in sorted(params["experiments"])]


def test_only_a_study_with_subsets_or_semi_supervision_has_the_curve():
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    default = report.table_names(params["report"], study_settings(params))
    assert labelled.TABLE not in default[1]
    assert report.combined_figure_names(study_settings(params)) == ()
    for override in ({"subset": 0.25}, {"semi_supervised": SEMI}):
        first = sorted(params["experiments"])[0]
        changed = {**params, "experiments": {**params["experiments"],
                                             first: {**(params["experiments"][first] or {}), **override}}}
        experiment_tables, combined = report.table_names(changed["report"], study_settings(changed))
        assert experiment_tables == default[0]
        assert combined == (*default[1], labelled.TABLE)
        assert report.combined_figure_names(study_settings(changed)) == (labelled.FIGURE,)


def test_the_figure_draws_the_groups_present(tmp_path):
    supervised = [made_runs("a", 0.5, None, 100), made_runs("b", 1.0, None, 300)]
    fig = labelled.curve_figure(labelled.curve_rows(supervised))
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["supervised baseline", "supervised per-action"]
    both = labelled.curve_rows([*supervised, made_runs("c", 0.5, SEMI, 100, unlabelled=700)])
    fig = labelled.curve_figure(both)
    assert len(fig.legends[0].get_texts()) == 4
    mpjpe, n_mpjpe = fig.axes
    assert mpjpe.get_xscale() == "log" and n_mpjpe.get_ylabel() == "N-MPJPE (mm)"
    np.testing.assert_allclose(mpjpe.lines[0].get_xdata(), [1500, 4500])  # supervised baseline, by frames
    np.testing.assert_allclose(n_mpjpe.lines[3].get_ydata(), [21.0])  # semi-supervised per-action
    png, svg = save_figure(fig, tmp_path / labelled.FIGURE)
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and svg.read_text().rstrip().endswith("</svg>")


# ----------------------------------------------------------------------------------------------------------
# The report stage on test_report's artifacts: ee trains on half of each sequence, ef semi-supervised

def curve_params() -> dict:
    params = make_params()
    params["experiments"] = {"ee": {**EXPERIMENTS["ee"], "subset": 0.5},
                             "ef": {**EXPERIMENTS["ef"], "subset": 0.1, "semi_supervised": SEMI}}
    return params


def record_frames(results: Path) -> None:
    """The frames train records: action model i of ee 40 + 3 i labelled frames (no `unlabelled_frames`, as older
    supervised histories), of ef 5 + i labelled and 300 + i unlabelled ones; the baselines their sums."""
    shares = {"ee": {"train_frames": lambda i: 40 + 3 * i},
              "ef": {"train_frames": lambda i: 5 + i, "unlabelled_frames": lambda i: 300 + i}}
    for experiment, columns in shares.items():
        for model in MODELS:
            path = results / "history" / experiment / f"{model}.parquet"
            history = pd.read_parquet(path)
            for column, frames in columns.items():
                history[column] = (sum(frames(i) for i in range(len(ACTIONS))) if model == BASELINE
                                   else frames(ACTIONS.index(model)))
            history.to_parquet(path, index=False)


@pytest.fixture(scope="module")
def curve_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("labelled")
    write_artifacts(tmp / "results")
    record_frames(tmp / "results")
    return run_report(tmp, curve_params())


def test_the_report_writes_table9_from_the_artifacts(curve_report):
    table = pd.read_csv(curve_report["tables"] / f"{labelled.TABLE}.csv", keep_default_na=False)
    assert table["experiment"].tolist() == ["ee", "ef"]
    assert table["labelled_frames"].tolist() == [sum(40 + 3 * i for i in range(15)), sum(5 + i for i in range(15))]
    assert table["unlabelled_frames"].tolist() == [0, sum(300 + i for i in range(15))]
    assert table["subjects_unlabelled"].tolist() == ["", "S5,S6"]
    assert table["semi_supervised"].tolist() == [False, True]
    for _, row in table.iterrows():
        metrics = curve_report["results"] / "metrics" / row["experiment"]
        baseline = pd.read_parquet(metrics / "baseline.parquet")
        for metric in ("mpjpe", "n_mpjpe"):
            expected = np.mean([frame_weighted(baseline, a, metric) for a in ACTIONS])
            own = np.mean([frame_weighted(pd.read_parquet(metrics / f"{a}.parquet"), a, metric) for a in ACTIONS])
            assert row[f"baseline_{metric}"] == pytest.approx(expected, rel=1e-12)
            assert row[f"per_action_{metric}"] == pytest.approx(own, rel=1e-12)
    table1 = pd.read_csv(curve_report["tables"] / "table1_mpjpe.csv").set_index(["experiment", "model"])
    assert table["baseline_mpjpe"].tolist() == pytest.approx(
        [table1.at[(e, "VideoPose3D (baseline)"), "average"] for e in ("ee", "ef")])
    assert (curve_report["tables"] / f"{labelled.TABLE}.md").read_text().count("\n") == 4
    assert r"\label{tab:table9_labelled}" in (curve_report["tables"] / f"{labelled.TABLE}.tex").read_text()
    summary = json.loads(curve_report["summary"].read_text())
    assert sorted(summary) == sorted(["ee", "ef", LABELLED_KEY])
    assert [r["experiment"] for r in summary[LABELLED_KEY]] == ["ee", "ef"]
    assert summary[LABELLED_KEY][1]["per_action_n_mpjpe"] == pytest.approx(table.at[1, "per_action_n_mpjpe"])


def test_the_report_shows_the_curve_in_its_own_section(curve_report):
    for fmt in ("png", "svg"):
        assert (curve_report["figures"] / f"{labelled.FIGURE}.{fmt}").stat().st_size > 1000
    text = curve_report["out"].read_text()
    section = text.split("## Labelled frames: supervised against semi-supervised")[1].split("\n## ")[0]
    assert "### Table 9: MPJPE and N-MPJPE against labelled frames" in section
    assert "### Figure 9: error against labelled frames" in section
    links = re.findall(r"\]\(([^)]+)\)", section)
    assert sorted(links) == ["figures/fig9_labelled.png", "figures/fig9_labelled.svg", "tables/table9_labelled.csv",
                             "tables/table9_labelled.tex"]
    assert all((curve_report["out"].parent / link).is_file() for link in links)
    assert "### Table 9" not in text.split("## All experiments")[1].split("## Labelled frames")[0]

