"""The report stage end to end on synthetic but consistent artifacts written exactly per INTERFACES.md.

The fixture writes, for two experiments and all 16 models, per-sequence evaluation rows (two test subjects,
two sub-actions, four cameras, different frame counts; S11 without Directions), the JSON summaries computed
from them with `poselift.lifting.aggregation`, and training histories. The main test recomputes Tables 1, 2 and
3 from the rows and histories by hand and compares with the CSV files the stage wrote.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from poselift.datasets.h36m.names import ACTIONS
from poselift.lifting import aggregation
from poselift.study import report as report_text
from poselift.study.models import BASELINE
from poselift.study.params import experiment_settings
from stages import report

ROOT = Path(__file__).resolve().parent.parent
MODELS = (BASELINE, *ACTIONS)
TEST_SUBJECTS = ("S9", "S11")
CAMERA_IDS = ("54138969", "55011271", "58860488", "60457274")

# Experiment "ee": equal epochs, every epoch evaluated. "ef": epochs differ per action job and only every
# second epoch is evaluated, so T/2 falls on unevaluated epochs.
EXPERIMENTS = {
    "ee": {"architecture": [1], "channels": 32, "baseline_epochs": 2, "unit_epochs": 4},
    "ef": {"architecture": [3, 3], "channels": 32, "baseline_epochs": 3, "unit_epochs": 6, "budget": "equal_frames",
           "eval_every": 2},
}


def job_epochs(experiment: str, model: str) -> int:
    settings = EXPERIMENTS[experiment]
    if model == BASELINE:
        return settings["baseline_epochs"]
    if experiment == "ef":
        return 4 + ACTIONS.index(model) % 5  # 4..8 epochs
    return settings["unit_epochs"]


def make_params() -> dict:
    defaults = yaml.safe_load((ROOT / "params.yaml").read_text())
    params = {k: defaults[k] for k in ("data", "keypoints", "train", "report")}
    params["experiments"] = EXPERIMENTS
    return params


def sequence_rows(rng: np.random.Generator, experiment: str, model: str) -> pd.DataFrame:
    """One row per test sequence and camera; actions get very different frame totals and error levels, and a
    sequence is as hard for every model."""
    records = []
    actions = ACTIONS if model == BASELINE else (model,)
    for action in actions:
        level = 40 + 6 * ACTIONS.index(action) + (0 if model == BASELINE else rng.uniform(-8, 8))
        for subject in TEST_SUBJECTS:
            if (subject, action) == ("S11", "Directions"):
                continue
            for sub in ("1", "2"):
                frames = int(rng.integers(60, 200) * (1 + ACTIONS.index(action)))
                for camera, camera_id in enumerate(CAMERA_IDS):
                    # how hard the sequence is, the same for every model (so paired tests see the models' gap)
                    hard = np.random.default_rng([ACTIONS.index(action), TEST_SUBJECTS.index(subject), int(sub),
                                                  camera]).uniform(0.6, 1.6)
                    mpjpe = level * hard * rng.uniform(0.95, 1.05)
                    records.append({
                        "experiment": experiment, "model": model, "subject": subject, "action": f"{action} {sub}",
                        "base_action": action, "sub_action": sub, "camera": camera, "camera_id": camera_id,
                        "frames": frames, "mpjpe": mpjpe, "p_mpjpe": 0.7 * mpjpe * rng.uniform(0.9, 1.1),
                        "n_mpjpe": 0.9 * mpjpe, "mpjve": level / 15 * rng.uniform(0.5, 1.5)})
    return pd.DataFrame.from_records(records)


DATA = {"data_3d": {"path": "results/data/data_3d_h36m.npz", "sha256": "3d" * 32},
        "data_2d": {"path": "results/data/data_2d_h36m_noisy.npz", "sha256": "2d" * 32}}


def checkpoint_sha256(experiment: str, model: str) -> str:
    return hashlib.sha256(f"{experiment}/{model}".encode()).hexdigest()  # a stand-in: no checkpoint is written


def summary(rows: pd.DataFrame, experiment: str, model: str, epochs: int) -> dict:
    per_action = aggregation.per_action(rows)
    return {
        "experiment": experiment, "model": model, "checkpoint": f"results/models/{experiment}/{model}.pt",
        "checkpoint_sha256": checkpoint_sha256(experiment, model), "checkpoint_source": "poselift",
        "epochs": epochs, "trained_as": {"experiment": experiment, "model": model},
        "trained_on": DATA, "inputs": DATA, "tta": True, "units": "mm; mpjve in mm per frame (50 Hz)",
        "actions": list(per_action.index),
        "per_action": {a: {**{m: float(v[m]) for m in aggregation.METRICS}, "frames": int(v["frames"]),
                           "sequences": int(v["sequences"])} for a, v in per_action.iterrows()},
        "average": {m: float(v) for m, v in aggregation.action_wise_average(rows).items()},
        "per_subject": {s: {m: float(v[m]) for m in aggregation.METRICS}
                        for s, v in aggregation.per_subject(rows).iterrows()},
    }


def training_history(rng: np.random.Generator, experiment: str, model: str, final: dict,
                     eval_every: int) -> pd.DataFrame:
    """A training history whose last evaluation equals the evaluation summary (as train promises)."""
    epochs = job_epochs(experiment, model)
    epoch = np.arange(1, epochs + 1)
    train_wall = rng.uniform(0.5, 3.0, epochs)
    evaluated = (epoch % eval_every == 0) | (epoch == epochs)
    decay = 1 + (2.0 + rng.uniform(0, 0.1, epochs)) * (epochs - epoch) / epochs  # ends at exactly 1

    def curve(value: float) -> np.ndarray:
        return np.where(evaluated, value * decay, np.nan)

    history = pd.DataFrame({
        "experiment": experiment, "model": model, "epoch": epoch, "epochs": epochs,
        "budget": EXPERIMENTS[experiment].get("budget", "equal_epochs"), "lr_decay_by": "epoch",
        "train_frames": 1000, "lr": 1e-3 * 0.95 ** (epoch - 1), "bn_momentum": 0.1, "samples": 2000,
        "samples_seen": 2000 * epoch, "train_loss": 100 / epoch, "train_wall_s": train_wall,
        "eval_wall_s": np.where(evaluated, 0.7, 0.0), "cum_train_wall_s": np.cumsum(train_wall),
        "samples_per_s": 2000 / train_wall,
        "test_mpjpe": curve(final["average"]["mpjpe"]), "test_mpjve": curve(final["average"]["mpjve"]),
    })
    history["wall_s"] = history["train_wall_s"] + history["eval_wall_s"] + 0.4
    for action, values in final["per_action"].items():
        history[f"test_mpjpe_{action}"] = curve(values["mpjpe"])
        history[f"test_mpjve_{action}"] = curve(values["mpjve"])
    return history


def write_artifacts(results: Path, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    for experiment, settings in EXPERIMENTS.items():
        for model in MODELS:
            rows = sequence_rows(rng, experiment, model)
            final = summary(rows, experiment, model, job_epochs(experiment, model))
            history = training_history(rng, experiment, model, final, settings.get("eval_every", 1))
            (results / "metrics" / experiment).mkdir(parents=True, exist_ok=True)
            (results / "history" / experiment).mkdir(parents=True, exist_ok=True)
            rows.to_parquet(results / "metrics" / experiment / f"{model}.parquet", index=False)
            (results / "metrics" / experiment / f"{model}.json").write_text(json.dumps(final, indent=2))
            history.to_parquet(results / "history" / experiment / f"{model}.parquet", index=False)
    (results / "data").mkdir(parents=True, exist_ok=True)
    (results / "data" / "prepare.json").write_text(json.dumps(PREPARED))
    (results / "data" / "keypoints_noisy.json").write_text(json.dumps(KEYPOINTS))


GT_2D = {"path": "results/data/data_2d_h36m_gt.npz", "sha256": "9" * 64}
PREPARED = {"stage": "prepare", "dataset": "h36m", "title": "Human3.6M", "source": "synthetic",
            "read": "results/raw/synthetic", "gt_2d": None, "subjects": ["S1", "S9", "S11"], "sequences": 89,
            "frames": 22784, "outputs": {"data_3d": DATA["data_3d"], "data_2d_gt": GT_2D}}
KEYPOINTS = {"source": "noisy", "output": DATA["data_2d"]}


def input_lists(results: Path) -> dict[str, list[Path]]:
    """The report's inputs as the workflow passes them: per kind, every (experiment, model), experiments in name
    order."""
    jobs = [(e, m) for e in sorted(EXPERIMENTS) for m in MODELS]
    return {"summaries": [results / "metrics" / e / f"{m}.json" for e, m in jobs],
            "rows": [results / "metrics" / e / f"{m}.parquet" for e, m in jobs],
            "histories": [results / "history" / e / f"{m}.parquet" for e, m in jobs]}


def run_report(tmp: Path, params: dict | None = None, animations: dict | None = None) -> dict[str, Path]:
    paths = {"results": tmp / "results", "tables": tmp / "results" / "tables",
             "figures": tmp / "results" / "figures", "out": tmp / "results" / "report.md",
             "summary": tmp / "results" / "summary.json"}
    params = params or make_params()
    files = report.job_files(params, **input_lists(paths["results"]))
    report.main(params, files, paths["results"] / "data" / "prepare.json",
                paths["results"] / "data" / "keypoints_noisy.json", paths["tables"], paths["figures"], paths["out"],
                paths["summary"], animations=animations)
    return paths


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("report")
    write_artifacts(tmp / "results")
    return run_report(tmp)


# ----------------------------------------------------------------------------------------------------------
# Independent recomputation

def frame_weighted(rows: pd.DataFrame, action: str, metric: str) -> float:
    group = rows[rows["base_action"] == action]
    return float((group[metric] * group["frames"]).sum() / group["frames"].sum())


def evaluated_value(history: pd.DataFrame, column: str, epoch: int) -> tuple[float, int]:
    """The value at `epoch`, or at the last evaluated epoch before it."""
    for e in range(epoch, 0, -1):
        value = history.loc[history["epoch"] == e, column].iloc[0]
        if not math.isnan(value):
            return float(value), e
    raise AssertionError(f"no evaluated epoch up to {epoch}")


@pytest.mark.parametrize("metric", ["mpjpe", "mpjve", "p_mpjpe"])
def test_per_action_tables_match_recomputation_from_sequence_rows(artifacts, metric):
    stem = {"mpjpe": "table1_mpjpe", "mpjve": "table2_mpjve", "p_mpjpe": "table1b_p_mpjpe"}[metric]
    combined = pd.read_csv(artifacts["tables"] / f"{stem}.csv")
    for experiment in EXPERIMENTS:
        written = pd.read_csv(artifacts["tables"] / experiment / f"{stem}.csv").set_index("model")
        metrics = artifacts["results"] / "metrics" / experiment
        baseline_rows = pd.read_parquet(metrics / "baseline.parquet")
        expected = {
            "VideoPose3D (baseline)": [frame_weighted(baseline_rows, a, metric) for a in ACTIONS],
            "Ours (per-action)": [frame_weighted(pd.read_parquet(metrics / f"{a}.parquet"), a, metric)
                                  for a in ACTIONS],
        }
        for model, values in expected.items():
            np.testing.assert_allclose(written.loc[model, list(ACTIONS)].to_numpy(float), values, rtol=1e-12)
            # VideoPose3D's average: unweighted over actions (a frame-weighted one differs by several mm here)
            assert written.loc[model, "average"] == pytest.approx(np.mean(values), rel=1e-12)
        pd.testing.assert_frame_equal(combined[combined["experiment"] == experiment].reset_index(drop=True),
                                      written.reset_index()[combined.columns])


def test_table3_matches_recomputation_from_histories(artifacts):
    k = make_params()["report"]["k"]
    for experiment in EXPERIMENTS:
        written = pd.read_csv(artifacts["tables"] / experiment / "table3_tpr.csv").set_index("quantity")
        histories = {m: pd.read_parquet(artifacts["results"] / "history" / experiment / f"{m}.parquet") for m in MODELS}
        tc = {m: histories[m]["train_wall_s"].sum() for m in MODELS}
        eps = {}
        for m in MODELS:
            epochs = int(histories[m]["epochs"].iloc[0])
            for protocol in ("mpjpe", "mpjve"):
                eps[m, protocol, "T"] = evaluated_value(histories[m], f"test_{protocol}", epochs)[0]
                eps[m, protocol, "half"] = evaluated_value(histories[m], f"test_{protocol}", -(-epochs // 2))[0]
        expected = {"tc_s": (tc[BASELINE], sum(tc[a] for a in ACTIONS), max(tc[a] for a in ACTIONS))}
        for protocol in ("mpjpe", "mpjve"):
            ours_half = np.mean([eps[a, protocol, "half"] for a in ACTIONS])
            ours_t = np.mean([eps[a, protocol, "T"] for a in ACTIONS])
            eps0 = k * (eps[BASELINE, protocol, "half"] + ours_half) / 2
            expected[f"{protocol}_half"] = (eps[BASELINE, protocol, "half"], ours_half, ours_half)
            expected[protocol] = (eps[BASELINE, protocol, "T"], ours_t, ours_t)
            expected[f"{protocol}_eps0"] = (eps0, eps0, eps0)
            expected[f"{protocol}_tpr"] = ((eps0 - eps[BASELINE, protocol, "T"]) / tc[BASELINE],
                                           (eps0 - ours_t) / expected["tc_s"][1], (eps0 - ours_t) / expected["tc_s"][2])
        for quantity, values in expected.items():
            np.testing.assert_allclose(written.loc[quantity, ["baseline", "ours_sum", "ours_parallel"]].to_numpy(float),
                                       values, rtol=1e-9, err_msg=f"{experiment} {quantity}")


def test_each_experiment_has_the_figures_the_workflow_declares(artifacts):
    for experiment in EXPERIMENTS:
        written = sorted(p.name for p in (artifacts["figures"] / experiment).iterdir())
        assert written == sorted(f"{name}.{ext}" for name in report_text.EXPERIMENT_FIGURES for ext in ("png", "svg"))


def test_a_study_without_subsets_or_semi_supervision_has_no_labelled_curve(artifacts):
    assert not list(artifacts["results"].rglob("*9_labelled*"))  # Table 9, Figure 9 (tests/test_labelled_curve.py)
    assert "Labelled frames" not in artifacts["out"].read_text()


def test_summary_json_holds_the_tables_headline_numbers(artifacts):
    summary = json.loads(artifacts["summary"].read_text())
    assert sorted(summary) == sorted(EXPERIMENTS)
    for experiment in EXPERIMENTS:
        table1 = pd.read_csv(artifacts["tables"] / experiment / "table1_mpjpe.csv").set_index("model")
        table3 = pd.read_csv(artifacts["tables"] / experiment / "table3_tpr.csv").set_index("quantity")
        averages = table1["average"]
        assert summary[experiment]["baseline"]["mpjpe"] == pytest.approx(averages["VideoPose3D (baseline)"])
        assert summary[experiment]["ours"]["mpjpe"] == pytest.approx(averages["Ours (per-action)"])
        assert summary[experiment]["table3"]["ours_sum"]["mpjpe_tpr"] == pytest.approx(
            table3.loc["mpjpe_tpr", "ours_sum"])


def test_table3_notes_name_the_replaced_epochs(artifacts):
    text = (artifacts["tables"] / "ef" / "table3_tpr.md").read_text()
    assert text.count("|") > 0
    report_text = artifacts["out"].read_text()
    # ef: baseline T = 3 -> T/2 = epoch 2 (evaluated); Directions T = 4 -> 2 (evaluated); Discussion T = 5 ->
    # epoch 3, not evaluated (eval_every 2) -> epoch 2
    assert "Discussion: epoch 3 was not evaluated; epoch 2 used instead" in report_text
    assert "Directions: epoch 2 was not evaluated" not in report_text


def test_table4_ends_at_the_final_errors(artifacts):
    params = make_params()
    action = params["report"]["table4_action"]
    for experiment in EXPERIMENTS:
        data = pd.read_csv(artifacts["tables"] / experiment / "table4_epochs.csv")
        last = data.iloc[-1]
        assert last["epoch"] == EXPERIMENTS[experiment]["baseline_epochs"]
        summaries = {m: json.loads((artifacts["results"] / "metrics" / experiment / f"{m}.json").read_text())
                     for m in MODELS}
        short = "Eat" if action == "Eating" else action
        assert last["VP3D-Avg"] == pytest.approx(summaries[BASELINE]["average"]["mpjpe"])
        assert last["Ours-Avg"] == pytest.approx(np.mean([summaries[a]["average"]["mpjpe"] for a in ACTIONS]))
        assert last[f"VP3D-{short}"] == pytest.approx(summaries[BASELINE]["per_action"][action]["mpjpe"])
        assert last[f"Ours-{short}"] == pytest.approx(summaries[action]["per_action"][action]["mpjpe"])
        assert data["epoch"].is_monotonic_increasing
        printed = (artifacts["tables"] / experiment / "table4_epochs.md").read_text().strip().splitlines()
        assert len(printed) - 2 <= 15


# ----------------------------------------------------------------------------------------------------------
# Printed forms

def markdown_rows(path: Path) -> list[list[str]]:
    lines = path.read_text().strip().splitlines()
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]


def test_the_better_of_each_pair_is_bold_where_table6_finds_the_difference_significant(artifacts):
    decimals = make_params()["report"]["decimals"]
    seen = set()
    for experiment in EXPERIMENTS:
        rows = markdown_rows(artifacts["tables"] / experiment / "table1_mpjpe.md")
        data = pd.read_csv(artifacts["tables"] / experiment / "table1_mpjpe.csv")
        tests = pd.read_csv(artifacts["tables"] / experiment / "table6_significance.csv").set_index("action")
        assert len(rows) == 2
        for column, (baseline_cell, ours_cell) in enumerate(zip(rows[0][2:], rows[1][2:], strict=True)):
            name = [*ACTIONS, "average"][column]
            significant = bool(tests.at[name if name != "average" else "Avg", "significant"])
            seen.add(significant)
            better_is_ours = data[name][1] < data[name][0]
            assert baseline_cell.startswith("**") == (significant and not better_is_ours), (experiment, name)
            assert ours_cell.startswith("**") == (significant and better_is_ours), (experiment, name)
            assert float(baseline_cell.strip("*")) == pytest.approx(data[name][0], abs=0.5 * 10 ** -decimals)
    assert seen == {True, False}  # the artifacts have both kinds of cell


def test_latex_tables_are_well_formed(artifacts):
    for path in sorted(artifacts["tables"].rglob("*.tex")):
        text = path.read_text()
        assert text.count("{") == text.count("}"), path
        assert text.count(r"\begin{tabular}") == text.count(r"\end{tabular}") == 1, path
        spec = re.search(r"\\begin\{tabular\}\{([lr]+)\}", text).group(1)
        body = text.split(r"\begin{tabular}")[1].split(r"\end{tabular}")[0]
        rows = [line for line in body.splitlines() if line.rstrip().endswith(r"\\")]
        assert rows, path
        for row in rows:
            assert row.replace(r"\&", "").count("&") == len(spec) - 1, (path, row)
        assert "_" not in re.sub(r"\\_|\\label\{[^}]*\}", "", text), path  # underscores escaped
    assert r"\textbf{" in (artifacts["tables"] / "ee" / "table1_mpjpe.tex").read_text()
    assert r"\cdot 10^{" in (artifacts["tables"] / "ee" / "table3_tpr.tex").read_text()


def test_figures_exist_and_are_images(artifacts):
    stems = [f"{e}/{name}" for e in EXPERIMENTS for name in ("fig5_mpjpe", "fig5_mpjve", "fig6_epochs")]
    for stem in [*stems, "overview_avg"]:
        png = (artifacts["figures"] / stem).with_suffix(".png").read_bytes()
        svg = (artifacts["figures"] / stem).with_suffix(".svg").read_text()
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), stem
        assert len(png) > 10_000, stem
        assert "<svg" in svg, stem
        assert svg.rstrip().endswith("</svg>"), stem


def test_report_links_parameters_and_provenance(artifacts):
    text = artifacts["out"].read_text()
    out_dir = artifacts["out"].parent
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert len(links) >= 2 * 3 * len(EXPERIMENTS)
    for link in links:
        assert (out_dir / link).is_file(), link
    embedded = yaml.safe_load(text.split("```yaml\n")[1].split("```")[0])
    params = make_params()
    assert embedded["experiments"] == params["experiments"]
    assert embedded["report"] == params["report"]
    assert "not from Human3.6M" in text  # data source is synthetic
    assert "single Eating-only job" in text  # the paper's TC_Ours
    for model in MODELS:
        path = artifacts["results"] / "history" / "ef" / f"{model}.parquet"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"| `history/ef/{model}.parquet` | {path.stat().st_size} | `{digest}` |" in text
    for experiment in EXPERIMENTS:
        for name in ("Table 1:", "Table 1b:", "Table 2:", "Table 3:", "Table 4:", "Figure 5:", "Figure 6:"):
            assert name in text.split(f"## Experiment `{experiment}`")[1], (experiment, name)


def test_outputs_are_deterministic(artifacts, tmp_path):
    write_artifacts(tmp_path / "results")
    again = run_report(tmp_path)
    for path in sorted(artifacts["tables"].rglob("*")) + sorted(artifacts["figures"].rglob("*")):
        if path.is_file():
            twin = again["results"] / path.relative_to(artifacts["results"])
            assert twin.read_bytes() == path.read_bytes(), path


# ----------------------------------------------------------------------------------------------------------
# Bad inputs

def test_missing_input_names_the_file(artifacts, tmp_path):
    write_artifacts(tmp_path / "results")
    missing = tmp_path / "results" / "metrics" / "ef" / "WalkDog.json"
    missing.unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))) as info:
        run_report(tmp_path)
    assert "evaluate output of experiment ef, model WalkDog" in str(info.value)
    assert not (tmp_path / "results" / "report.md").exists()


def test_stale_summary_is_refused(tmp_path):
    write_artifacts(tmp_path / "results")
    path = tmp_path / "results" / "metrics" / "ee" / "Eating.json"
    summary = json.loads(path.read_text())
    summary["per_action"]["Eating"]["mpjpe"] += 0.01
    path.write_text(json.dumps(summary))
    with pytest.raises(ValueError, match="evaluation summary vs per-sequence rows"):
        run_report(tmp_path)


def test_unfinished_history_is_refused(tmp_path):
    write_artifacts(tmp_path / "results")
    path = tmp_path / "results" / "history" / "ee" / "Sitting.parquet"
    pd.read_parquet(path).iloc[:-1].to_parquet(path, index=False)
    with pytest.raises(ValueError, match=re.escape(f"{path}: expected epochs 1..4")):
        run_report(tmp_path)


def test_cli_reports_missing_file_and_exits_1(tmp_path):
    params = make_params()
    settings = experiment_settings(params, "ee")
    assert settings["unit_epochs"] == 4
    inputs = input_lists(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "stages.report", "--params", json.dumps(params),
         *(arg for kind, paths in inputs.items() for arg in (f"--{kind}", *map(str, paths))),
         "--data-provenance", str(tmp_path / "prepare.json"),
         "--tables-dir", str(tmp_path / "t"), "--figures-dir", str(tmp_path / "f"), "--out", str(tmp_path / "r.md")],
        cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert f"error: report: {2 * 16 * 3} input file(s) missing" in result.stderr
    assert str(tmp_path / "metrics" / "ee" / "baseline.json") in result.stderr


def test_data_statement_comes_from_the_artifacts(artifacts):
    text = artifacts["out"].read_text()
    assert ("- 3D data: `results/data/data_3d_h36m.npz` (sha256 `3d3d3d3d3d3d3d3d`), Human3.6M, prepared from the "
            "embedded synthetic data set read at `results/raw/synthetic`") in text
    assert "- 2D keypoints (input of training and evaluation): `noisy` (ground-truth 2D with the" in text
    assert "not from Human3.6M" in text
    real = report_text._data_statement({**PREPARED, "source": "npz", "read": "/data/data_3d_h36m.npz"},
                                       {**KEYPOINTS, "source": "cpn_ft_h36m_dbb", "imported": "/data/cpn.npz"})
    assert "prepared from `npz` read at `/data/data_3d_h36m.npz`" in real[0]
    assert "`cpn_ft_h36m_dbb`, imported from `/data/cpn.npz`" in real[1]
    assert not any("not from Human3.6M" in line for line in real)


@pytest.mark.parametrize(("change", "message"), [
    ({"data": {"source": "cdf", "path": "/nonexistent/h36m"}},
     "data.source is 'cdf', but results/data/data_3d_h36m.npz was prepared with source 'synthetic'"),
    ({"keypoints": {"source": "cpn_ft_h36m_dbb", "import_path": "/x.npz"}},
     "keypoints.source is 'cpn_ft_h36m_dbb', but the 2D keypoints are 'noisy'"),
])
def test_parameters_that_describe_other_data_fail_the_report(tmp_path, change, message):
    write_artifacts(tmp_path / "results")
    params = make_params()
    for section, values in change.items():
        params[section].update(values)
    with pytest.raises(ValueError, match=re.escape(message)):
        run_report(tmp_path, params)
    assert not (tmp_path / "results" / "report.md").exists()


def test_an_evaluation_of_other_data_fails_the_report(tmp_path):
    write_artifacts(tmp_path / "results")
    path = tmp_path / "results" / "metrics" / "ef" / "Posing.json"
    summary = json.loads(path.read_text())
    summary["inputs"] = {**DATA, "data_2d": GT_2D}
    path.write_text(json.dumps(summary))
    with pytest.raises(ValueError, match=re.escape("ef/Posing: evaluated on results/data/data_2d_h36m_gt.npz "
                                                   "(sha256 999999999999...), but the data now is "
                                                   "results/data/data_2d_h36m_noisy.npz (sha256 2d2d2d2d2d2d...)")):
        run_report(tmp_path)


def test_a_checkpoint_scored_as_another_job_fails_the_report(tmp_path):
    """What `evaluate --external` on another job's checkpoint leaves: its last training score differs."""
    write_artifacts(tmp_path / "results")
    history = tmp_path / "results" / "history" / "ee" / "Eating.parquet"
    frame = pd.read_parquet(history)
    frame.loc[frame.index[-1], "test_mpjpe"] += 80.0
    frame.to_parquet(history, index=False)
    with pytest.raises(ValueError, match="last test MPJPE of the training history vs evaluate differ by up to 80"):
        run_report(tmp_path)


# ----------------------------------------------------------------------------------------------------------
# Test predictions (the animate stage's outputs), linked from each experiment's section

def write_animations(results: Path) -> dict[str, list[Path]]:
    """Stand-ins of the animate stage's outputs of every experiment (a record showing the fixture's checkpoints
    and data; placeholder files), as the workflow passes them: per kind, experiments in name order."""
    lists: dict[str, list[Path]] = {kind: [] for kind in report.ANIMATION_ARGUMENTS}
    for experiment in sorted(EXPERIMENTS):
        directory, figures = results / "animations" / experiment, results / "figures" / experiment
        directory.mkdir(parents=True, exist_ok=True)
        figures.mkdir(parents=True, exist_ok=True)
        record = {"stage": "animate", "experiment": experiment, "tta": True,
                  "animation": make_params()["report"]["animation"], "animation_frames": 15 * 12,
                  "shown": [{"action": a, "subject": "S9", "sequence": f"{a} 1", "camera": 0,
                             "camera_id": CAMERA_IDS[0], "sequence_frames": 256, "frames": list(range(0, 24, 2)),
                             "still_frame": 12} for a in ACTIONS],
                  "checkpoints": {m: {"path": f"results/models/{experiment}/{m}.pt",
                                      "sha256": checkpoint_sha256(experiment, m)} for m in MODELS},
                  "inputs": DATA}
        paths = {"record": directory / "predictions.json", "mp4": directory / "predictions.mp4",
                 "gif": directory / "predictions.gif", "figure": figures / "predictions.png"}
        paths["record"].write_text(json.dumps(record))
        for kind in ("mp4", "gif", "figure"):
            paths[kind].write_bytes(b"stand-in")
        (figures / "predictions.svg").write_text("<svg/>")
        for kind, path in paths.items():
            lists[kind].append(path)
    return lists


def test_each_experiment_links_its_test_predictions(tmp_path):
    write_artifacts(tmp_path / "results")
    lists = write_animations(tmp_path / "results")
    paths = run_report(tmp_path, animations=report.animation_files(make_params(), lists))
    text = paths["out"].read_text()
    out_dir = paths["out"].parent
    for k, experiment in enumerate(sorted(EXPERIMENTS)):
        section = text.split(f"## Experiment `{experiment}`")[1].split("\n## ")[0]
        assert f"### Test predictions: {experiment}" in section
        assert "test subject S9 (the experiment's first), camera 0 (54138969)" in section
        assert "(Directions 1, Discussion 1," in section and "frames 0 to 22 in steps of 2 (12 per action)" in section
        links = {Path(link).suffix: out_dir / link for link in re.findall(r"\]\(([^)]+)\)", section)
                 if "predictions" in link}
        assert links == {".mp4": lists["mp4"][k], ".gif": lists["gif"][k], ".png": lists["figure"][k],
                         ".svg": lists["figure"][k].with_suffix(".svg")}
        record = lists["record"][k]
        assert f"| `animations/{experiment}/predictions.json` | {record.stat().st_size} |" in text  # provenance
    write_artifacts(tmp_path / "without" / "results")
    without = run_report(tmp_path / "without")  # the numbers do not depend on the animations
    assert paths["summary"].read_bytes() == without["summary"].read_bytes()
    for table in sorted(without["tables"].rglob("*.csv")):
        assert (paths["tables"] / table.relative_to(without["tables"])).read_bytes() == table.read_bytes(), table


def test_test_predictions_of_other_checkpoints_or_missing_files_fail_the_report(tmp_path):
    write_artifacts(tmp_path / "results")
    lists = write_animations(tmp_path / "results")
    params = make_params()
    record = json.loads(lists["record"][1].read_text())  # experiment ef
    record["checkpoints"]["Walking"]["sha256"] = "0" * 64
    lists["record"][1].write_text(json.dumps(record))
    with pytest.raises(ValueError, match=re.escape("ef/Walking: it shows the checkpoint with sha256 000000000000..., "
                                                   "the evaluation scored")) as info:
        run_report(tmp_path, animations=report.animation_files(params, lists))
    assert "rerun animate for experiment ef" in str(info.value)
    lists["gif"][0].unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(f"{lists['gif'][0]} (gif of the test predictions of ee)")):
        run_report(tmp_path, animations=report.animation_files(params, lists))
    with pytest.raises(ValueError, match=r"report: 1 animation mp4 file\(s\) for 2 experiment\(s\)"):
        report.animation_files(params, {**lists, "mp4": lists["mp4"][:1]})
    assert not (tmp_path / "results" / "report.md").exists()
