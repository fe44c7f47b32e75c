"""The Snakemake workflow: its DAG, lint, parameter validation, environments, and what a rerun reruns.

The rerun tests run the tiny study (every job of the chain, each seconds long) in a scratch copy of the
repository, then ask `snakemake -n` what a change would rerun.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from workflow_utils import (
    REPO,
    TINY_JOBS,
    copy_repo,
    environment,
    grid_params,
    merged,
    planned_jobs,
    snakemake,
    tiny_params,
    write_params,
)

from poselift.datasets.h36m.names import ACTIONS
from poselift.io.atomic import sha256_file
from poselift.study.params import ParamsError, check_params, validate

SCHEMA = yaml.safe_load((REPO / "schemas" / "params.schema.yaml").read_text())
MODELS = ["baseline", *ACTIONS]


def default_params() -> dict:
    return yaml.safe_load((REPO / "params.yaml").read_text())


@pytest.fixture(scope="module")
def default_copy(tmp_path_factory) -> Path:
    """The repository's workflow with its own params.yaml, nothing run."""
    return copy_repo(tmp_path_factory.mktemp("default") / "repo", tiny=False)


def test_dry_run_lists_every_job_of_the_default_study(default_copy):
    experiments = len(default_params()["experiments"])
    assert experiments == 3
    assert planned_jobs(default_copy) == {"synthesize": 1, "prepare": 1, "keypoints": 1, "train": 16 * experiments,
                                          "evaluate": 16 * experiments, "animate": experiments, "report": 1,
                                          "all": 1}


def test_each_experiment_gets_an_animate_job_whose_outputs_the_report_links(default_copy):
    output = snakemake(default_copy, "-n", "-p", timeout=120)
    report_command = next(line for line in output.splitlines() if "python -m stages.report" in line)
    for experiment in sorted(default_params()["experiments"]):
        assert f"--experiment {experiment} --checkpoints results/models/{experiment}/baseline.pt" in output
        outputs = [f"results/animations/{experiment}/predictions.{ext}" for ext in ("json", "mp4", "gif")]
        for path in [*outputs, f"results/figures/{experiment}/predictions.png"]:
            assert path in report_command, path
    assert "--animation-record results/animations/f1_ue15/predictions.json" in report_command


def test_lint_has_no_findings(default_copy):
    output = snakemake(default_copy, "--lint", timeout=120)  # exits 1 on any finding
    assert "Congratulations" in output


@pytest.mark.parametrize("profile", ["slurm", "lsf", "local"])
def test_profiles_plan_the_whole_study(default_copy, profile):
    jobs = planned_jobs(default_copy, "--profile", f"profiles/{profile}")
    assert jobs["train"] == 48
    assert jobs["evaluate"] == 48


def stand_in_data_paths(directory: Path) -> Path:
    """A parameters file pointing the Human3.6M grids' placeholder data paths at stand-in files in `directory`,
    so that Snakemake can plan them."""
    raw, detections = directory / "h36m", directory / "data_2d_h36m_cpn_ft_h36m_dbb.npz"
    raw.mkdir()
    detections.touch()
    local = directory / "paths.yaml"
    local.write_text(yaml.safe_dump({"data": {"path": str(raw)}, "keypoints": {"import_path": str(detections)}}))
    return local


def test_paper_grid_validates_and_plans_80_training_jobs(tmp_path, default_copy):
    paper = yaml.safe_load((REPO / "params" / "paper.yaml").read_text())
    params = grid_params(default_params(), paper)
    validate(params, SCHEMA)
    assert sorted(params["experiments"]) == ["f1_ue15", "f1_ue15_recomputed_bn", "f243_ue1200", "f243_ue15",
                                             "f27_ue15"]
    assert {name: settings["channels"] for name, settings in params["experiments"].items()} == dict.fromkeys(
        params["experiments"], 1024)
    assert params["experiments"]["f243_ue1200"] == {"architecture": [3, 3, 3, 3, 3], "channels": 1024,
                                                    "baseline_epochs": 80, "unit_epochs": 1200}
    jobs = planned_jobs(default_copy, "--configfile", "params/paper.yaml", str(stand_in_data_paths(tmp_path)))
    assert jobs == {"prepare": 1, "keypoints": 1, "train": 80, "evaluate": 80, "animate": 5, "report": 1, "all": 1}


def test_semi_supervised_grids_validate_and_plan_their_curve(tmp_path, default_copy):
    """params/semi.yaml (embedded data) and params/paper_semi.yaml (Human3.6M): every semi-supervised experiment
    has a supervised twin on the same labelled frames, and the report draws the labelled-frames curve."""
    for name, experiments in (("semi", 6), ("paper_semi", 19)):
        params = grid_params(default_params(), yaml.safe_load((REPO / "params" / f"{name}.yaml").read_text()))
        validate(params, SCHEMA)
        check_params(params)
        semi = {e: s for e, s in params["experiments"].items() if s.get("semi_supervised")}
        assert len(params["experiments"]) == experiments and semi
        for experiment, settings in semi.items():
            twin = params["experiments"][experiment.replace("semi_", "sup_", 1)]
            assert {k: v for k, v in settings.items() if k != "semi_supervised"} == twin, experiment
    jobs = planned_jobs(default_copy, "--configfile", "params/semi.yaml")
    assert jobs == {"synthesize": 1, "prepare": 1, "keypoints": 1, "train": 96, "evaluate": 96, "animate": 6,
                    "report": 1, "all": 1}
    output = snakemake(default_copy, "-n", "--configfile", "params/semi.yaml", timeout=120)
    assert "results/semi/figures/fig9_labelled.png" in output and "results/semi/tables/table9_labelled.md" in output
    jobs = planned_jobs(default_copy, "--configfile", "params/paper_semi.yaml", str(stand_in_data_paths(tmp_path)))
    assert jobs["train"] == 19 * 16 and jobs["evaluate"] == 19 * 16


def test_video_grid_plans_the_chain_from_video_and_its_companions_the_same_sequences(default_copy):
    video = grid_params(default_params(), yaml.safe_load((REPO / "params" / "video.yaml").read_text()))
    validate(video, SCHEMA)
    subjects = video["data"]["subjects"]
    assert set(video["train"]["subjects_train"]) | set(video["train"]["subjects_test"]) <= set(subjects)
    assert video["finetune"]["subjects_train"] == video["train"]["subjects_train"]  # CPN never sees a test subject
    assert video["keypoints"]["source"] == "cpn" and video["detect"]["cpn_weights"] is None
    jobs = planned_jobs(default_copy, "--configfile", "params/video.yaml")
    assert jobs == {"synthesize": 1, "prepare": 1, "render": len(subjects), "finetune_cpn": 1,
                    "detect": 4 * len(subjects), "assemble": 1, "keypoints": 1, "train": 16, "evaluate": 16,
                    "animate": 1, "report": 1, "all": 1}
    output = snakemake(default_copy, "-n", "-p", "--configfile", "params/video.yaml", timeout=120)
    for path in ("results/video/tables/video/table_d1_detector_error.csv", "results/video/figures/video/S9.png",
                 "results/video/figures/video/finetune_history.png", "--assembly-report"):
        assert path in output
    for companion, source in (("video_gt", "gt"), ("video_noisy", "noisy")):
        jobs = planned_jobs(default_copy, "--configfile", "params/video.yaml", f"params/{companion}.yaml")
        assert jobs == {"synthesize": 1, "prepare": 1, **({"keypoints": 1} if source != "gt" else {}), "train": 16,
                        "evaluate": 16, "animate": 1, "report": 1, "all": 1}, companion
        assert f"results/{companion}/report.md" in snakemake(default_copy, "-n", "--configfile", "params/video.yaml",
                                                             f"params/{companion}.yaml", timeout=120)


def test_the_wild_route_plans_the_demonstration_through_the_video_studys_cpn_and_baseline(default_copy):
    jobs = planned_jobs(default_copy, "--configfile", "params/video.yaml", "--", "wild")
    subjects = grid_params(default_params(), yaml.safe_load((REPO / "params" / "video.yaml").read_text()))["data"]
    # the CPN fine-tuned on the study's videos, the lifting model (the first experiment's baseline) and its 2D
    # input, the demonstration take and one route job; no evaluation, no report
    assert jobs == {"synthesize": 1, "prepare": 1, "render": len(subjects["subjects"]), "finetune_cpn": 1,
                    "detect": 4 * len(subjects["subjects"]), "assemble": 1, "keypoints": 1, "train": 1,
                    "wild_demo": 1, "lift_wild": 1, "wild": 1}
    output = snakemake(default_copy, "-n", "-p", "--configfile", "params/video.yaml", "--", "wild", timeout=120)
    for path in ("--checkpoint results/video/models/f27_ue15/baseline.pt", "--cpn results/video/detectors/cpn.pt",
                 "--truth results/video/wild/demo/input.truth.npy", "results/video/wild/demo/animation.gif"):
        assert path in output


def test_the_wild_route_names_what_it_lacks(default_copy, tmp_path):
    with pytest.raises(AssertionError, match=r"wild\.detector is cpn but there is no CPN: set wild\.cpn_weights"):
        snakemake(default_copy, "-n", "wild", timeout=120)
    (tmp_path / "clips").mkdir()
    overlay = tmp_path / "wild.yaml"
    overlay.write_text(yaml.safe_dump({"wild": {"videos": [str(tmp_path / "clips")]}}))
    with pytest.raises(AssertionError, match=r"folder .*clips holds no video"):
        snakemake(default_copy, "-n", "--configfile", str(overlay), "--", "wild", timeout=120)


def test_the_wild_route_lifts_each_video_of_a_custom_2d_file_with_a_given_checkpoint(default_copy, tmp_path):
    from tests.test_wild_stage import lifting_checkpoint, videopose3d_custom_file
    custom = videopose3d_custom_file(tmp_path / "data_2d_custom_mine.npz", np.zeros((5, 17, 2)), (64, 48))
    (tmp_path / "input.mp4").write_bytes(b"")  # the video beside the file: the animation's background
    overlay = tmp_path / "wild.yaml"
    overlay.write_text(yaml.safe_dump({"wild": {"videos": [str(custom)],
                                                "checkpoint": str(lifting_checkpoint(tmp_path / "lift.pt"))}}))
    assert planned_jobs(default_copy, "--configfile", str(overlay), "--", "wild") == {"lift_wild": 1, "wild": 1}
    output = snakemake(default_copy, "-n", "-p", "--configfile", str(overlay), "--", "wild", timeout=120)
    for text in (f"--keypoints {custom}", "--video-name input.mp4", f"--video {tmp_path / 'input.mp4'}",
                 "results/wild/data_2d_custom_mine.input/animation.mp4"):
        assert text in output


def test_humaneva_grid_plans_sa_and_ma_models_under_its_own_results(default_copy):
    humaneva = yaml.safe_load((REPO / "params" / "humaneva.yaml").read_text())
    params = grid_params(default_params(), humaneva)
    validate(params, SCHEMA)
    assert list(params["experiments"]) == ["f27_sa_ma"] and params["data"]["dataset"] == "humaneva"
    jobs = planned_jobs(default_copy, "--configfile", "params/humaneva.yaml")
    assert jobs == {"synthesize": 1, "prepare": 1, "keypoints": 1, "train": 4, "evaluate": 4, "animate": 1, "report": 1,
                    "all": 1}
    output = snakemake(default_copy, "-n", "--configfile", "params/humaneva.yaml", timeout=120)
    assert "results/humaneva/tables/table5_by_subject.csv" in output
    assert "results/humaneva/models/f27_sa_ma/Jog.pt" in output and "results/models/" not in output


@pytest.mark.parametrize(("override", "message"), [
    ("epochs=3", "Additional properties are not allowed ('epochs' was unexpected)"),
    ("seed=-1", "-1 is less than the minimum of 0"),
])
def test_snakemake_rejects_invalid_parameters(default_copy, override, message):
    result = subprocess.run(["snakemake", "-n", "--config", override], cwd=default_copy, capture_output=True,
                            text=True, env=environment(default_copy), timeout=120)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def test_schema_rejects_unknown_keys_at_every_level():
    for path in (("train", "lr_schedule"), ("experiments", "f1_ue15", "epoch"), ("report", "colour")):
        params = default_params()
        section = params
        for key in path[:-1]:
            section = section[key]
        section[path[-1]] = 1
        with pytest.raises(ParamsError, match=path[-1]):
            validate(params, SCHEMA)


def test_every_parameter_has_a_comment():
    """Each key of params.yaml and params/*.yaml sits on a line with a comment, or heads a commented block
    (a section, or a mapping whose entries are commented)."""
    for path in (REPO / "params.yaml", *sorted((REPO / "params").glob("*.yaml"))):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            stripped = line.strip()
            if not stripped or stripped.startswith("#") or stripped.startswith("- ") or ":" not in stripped:
                continue
            is_section = stripped.endswith(":") or stripped.split("#")[0].strip().endswith(":")
            assert "#" in line or is_section, f"{path.name}:{number + 1}: no comment: {line!r}"


def test_conda_environment_pins_what_the_lock_file_pins():
    lock = {line.strip() for line in (REPO / "envs" / "requirements.lock").read_text().splitlines()
            if line.strip() and not line.startswith("#")}
    env = yaml.safe_load((REPO / "envs" / "pipeline.yaml").read_text())
    pip = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    assert "python=3.11" in env["dependencies"]
    assert {p for p in pip if "==" in p} == lock | {"torch==2.13.0"}
    assert "--editable=${PWD}" in pip


# --- the tiny study, run once for the rerun checks --------------------------------------------------


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory) -> Path:
    workdir = copy_repo(tmp_path_factory.mktemp("tiny") / "repo")
    assert planned_jobs(workdir) == TINY_JOBS
    start = time.perf_counter()
    snakemake(workdir, "--cores", "2", timeout=900)
    print(f"tiny study: {time.perf_counter() - start:.0f} s")
    return workdir


@pytest.fixture
def edited_params(tiny_study):
    """Change params.yaml of the tiny study for one test, and restore it afterwards."""
    original = (tiny_study / "params.yaml").read_text()

    def edit(overrides: dict) -> None:
        write_params(tiny_study, merged(tiny_params(), overrides))

    yield edit
    (tiny_study / "params.yaml").write_text(original)


@pytest.mark.slow
def test_tiny_study_writes_every_output(tiny_study):
    results = tiny_study / "results"
    assert (results / "report.md").stat().st_size > 0
    assert (results / "figures" / "synthetic_motions.png").is_file()
    for model in MODELS:
        assert (results / "models" / "tiny" / f"{model}.pt").is_file()
        assert (results / "history" / "tiny" / f"{model}.parquet").is_file()
        assert (results / "logs" / "train" / "tiny" / f"{model}.log").is_file()
        assert (results / "benchmarks" / "train" / "tiny" / f"{model}.tsv").is_file()
        summary = json.loads((results / "metrics" / "tiny" / f"{model}.json").read_text())
        assert summary["experiment"] == "tiny"
        assert summary["model"] == model
        assert summary["average"]["mpjpe"] > 0
    assert (results / "tables" / "tiny").is_dir()
    assert (results / "figures" / "tiny").is_dir()
    for path in ("animations/tiny/predictions.mp4", "animations/tiny/predictions.gif",
                 "animations/tiny/predictions.json", "figures/tiny/predictions.png", "figures/tiny/predictions.svg"):
        assert (results / path).stat().st_size > 0, path
    assert "animations/tiny/predictions.mp4" in (results / "report.md").read_text()


@pytest.mark.slow
def test_snakemake_html_report_holds_the_results(tiny_study):
    snakemake(tiny_study, "--report", "report.html", timeout=300)
    html = (tiny_study / "report.html").read_text()
    assert "<html" in html[:5000].lower()
    for name in ("synthetic_motions.png", "report.md", "fig5_mpjpe.png", "table1_mpjpe.csv", "overview_avg.png",
                 "predictions.png", "predictions.mp4", "predictions.gif"):
        assert name in html, name


@pytest.mark.slow
def test_second_run_has_nothing_to_do(tiny_study):
    assert planned_jobs(tiny_study) == {}


@pytest.mark.slow
def test_training_parameter_reruns_training_evaluation_and_report_only(tiny_study, edited_params):
    edited_params({"train": {"lr": 0.002}})
    assert planned_jobs(tiny_study) == {"train": 16, "evaluate": 16, "animate": 1, "report": 1, "all": 1}


@pytest.mark.slow
def test_evaluation_parameter_reruns_from_training(tiny_study, edited_params):
    # train evaluates the test set every eval_every epochs with the same protocol: it reads `evaluate` too
    edited_params({"evaluate": {"tta": False}})
    assert planned_jobs(tiny_study) == {"train": 16, "evaluate": 16, "animate": 1, "report": 1, "all": 1}


@pytest.mark.slow
def test_an_added_experiment_runs_its_jobs_and_the_report(tiny_study, edited_params):
    edited_params({"experiments": {"added": {"architecture": [3], "channels": 8}}})  # merged: tiny stays
    assert planned_jobs(tiny_study) == {"train": 16, "evaluate": 16, "animate": 1, "report": 1, "all": 1}


@pytest.mark.slow
def test_replicates_and_routing_add_only_their_own_jobs(tiny_study, edited_params):
    """Replicates are instances "<experiment>@k" with their own 16 + 16 jobs; routing adds a classifier and a
    route job per instance. Neither reruns a job the experiment already has."""
    edited_params({"train": {"replicates": 3}})
    assert planned_jobs(tiny_study) == {"train": 32, "evaluate": 32, "report": 1, "all": 1}
    output = snakemake(tiny_study, "-n", timeout=120)
    assert "experiment=tiny@2" in output and "experiment=tiny@3" in output
    edited_params({"train": {"routing": True}})
    assert planned_jobs(tiny_study) == {"train_classifier": 1, "route": 1, "report": 1, "all": 1}


@pytest.mark.slow
def test_routing_runs_and_the_report_shows_routed_rows_and_the_transfer_matrix(tiny_study):
    original = (tiny_study / "params.yaml").read_text()
    try:
        params = merged(tiny_params(), {"train": {"routing": True}})
        params["classifier"].update(architecture=[3], channels=16, epochs=2)
        write_params(tiny_study, params)
        snakemake(tiny_study, "--cores", "2", timeout=900)
        results = tiny_study / "results"
        report = (results / "report.md").read_text()
        for text in ("Routed (sequence)", "Routed (window)", "Mixture", "Table 7", "Table 8",
                     "oracle route vs evaluate", "fig7_confusion.png", "fig8_transfer.png"):
            assert text in report, text
        summary = json.loads((results / "metrics" / "tiny" / "routing.json").read_text())
        assert set(summary["accuracy"]) >= {"window", "sequence", "per_action", "confusion"}
        assert summary["classifier"]["sha256"] == sha256_file(results / "models" / "tiny" / "classifier.pt")
        headline = json.loads((results / "summary.json").read_text())["tiny"]["routing"]
        assert set(headline) == {"classifier_accuracy", "oracle", "sequence", "window", "mixture"}
        # the oracle route is the per-action row of Table 1, computed by another job
        ours = json.loads((results / "summary.json").read_text())["tiny"]["ours"]["mpjpe"]
        assert headline["oracle"]["mpjpe"] == pytest.approx(ours, abs=1e-3)
        assert (results / "tables" / "tiny" / "table8_transfer.csv").is_file()
    finally:
        (tiny_study / "params.yaml").write_text(original)
        snakemake(tiny_study, "--cores", "1", "report", timeout=300)  # the tiny study's report without routing


@pytest.mark.slow
def test_a_renamed_experiment_runs_its_jobs_and_a_removed_one_only_the_report(tiny_study):
    original = (tiny_study / "params.yaml").read_text()
    try:
        renamed = tiny_params()
        renamed["experiments"] = {"renamed": renamed["experiments"]["tiny"]}
        write_params(tiny_study, renamed)
        assert planned_jobs(tiny_study) == {"train": 16, "evaluate": 16, "animate": 1, "report": 1, "all": 1}
        two = tiny_params()
        two["experiments"]["other"] = {"architecture": [3], "channels": 8}
        write_params(tiny_study, two)
        snakemake(tiny_study, "--cores", "2", timeout=900)
        write_params(tiny_study, tiny_params())  # "other" removed again
        assert planned_jobs(tiny_study) == {"report": 1, "all": 1}
    finally:
        (tiny_study / "params.yaml").write_text(original)
        snakemake(tiny_study, "--cores", "1", "report", timeout=300)  # the report of the tiny study alone again


@pytest.mark.slow
def test_a_grid_file_runs_only_its_own_experiments(tiny_study, tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text(yaml.safe_dump({"experiments": {"solo": {"architecture": [3], "channels": 8}}}))
    assert planned_jobs(tiny_study, "--configfile", str(grid)) == {"train": 16, "evaluate": 16, "animate": 1,
                                                                   "report": 1, "all": 1}
    output = snakemake(tiny_study, "-n", "--configfile", str(grid), timeout=120)
    assert "experiment=solo" in output and "experiment=tiny" not in output


@pytest.mark.slow
def test_a_changed_data_path_fails_or_reruns_from_the_data_never_the_report_alone(tiny_study, edited_params):
    edited_params({"data": {"source": "cdf", "path": "/nonexistent/h36m"}})
    result = subprocess.run(["snakemake", "-n"], cwd=tiny_study, capture_output=True, text=True,
                            env=environment(tiny_study), timeout=120)
    assert result.returncode != 0
    assert "data.path (data.source cdf) is '/nonexistent/h36m', which does not exist" in result.stdout + result.stderr
    edited_params({"keypoints": {"import_path": "/elsewhere/data_2d_h36m_noisy.npz"}})
    assert planned_jobs(tiny_study) == {"keypoints": 1, "train": 16, "evaluate": 16, "animate": 1, "report": 1,
                                        "all": 1}


@pytest.mark.slow
def test_report_parameter_reruns_the_report_only(tiny_study, edited_params):
    edited_params({"report": {"k": 1.5}})
    assert planned_jobs(tiny_study) == {"report": 1, "all": 1}  # the animations read report.animation alone
    edited_params({"report": {"animation": {"fps": 25}}})
    assert planned_jobs(tiny_study) == {"animate": 1, "report": 1, "all": 1}


@pytest.mark.slow
def test_keypoints_parameter_reruns_from_keypoints(tiny_study, edited_params):
    edited_params({"keypoints": {"noisy": {"sigma_px": 3.0}}})
    assert planned_jobs(tiny_study) == {"keypoints": 1, "train": 16, "evaluate": 16, "animate": 1, "report": 1,
                                        "all": 1}


@pytest.mark.slow
@pytest.mark.parametrize(("module", "expected"), [
    ("src/poselift/study/tables.py", {"report": 1, "all": 1}),
    ("src/poselift/lifting/model.py", {"train": 16, "evaluate": 16, "animate": 1, "report": 1, "all": 1}),
    ("stages/keypoints.py", {"keypoints": 1, "train": 16, "evaluate": 16, "animate": 1, "report": 1, "all": 1}),
    ("src/poselift/study/animations.py", {"animate": 1, "report": 1, "all": 1}),
])
def test_library_change_reruns_the_jobs_that_import_it(tiny_study, module, expected):
    """Snakemake's code trigger sees only a rule's text; the rules list the modules each stage imports."""
    path = tiny_study / module
    original, before = path.read_bytes(), path.stat()
    path.write_bytes(original + b"# edited\n")  # (a newer time alone is not enough: Snakemake compares checksums)
    try:
        assert planned_jobs(tiny_study) == expected
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


@pytest.mark.parametrize(("source", "boxes", "extra"), [("path", "gt", {}), ("path", "maskrcnn", {"boxes": 28}),
                                                      ("render", "gt", {"render": 7})])
def test_keypoints_detected_on_video_plan_a_job_per_subject_and_camera(default_copy, tmp_path, source, boxes,
                                                                       extra):
    videos, weights = tmp_path / "videos", tmp_path / "cpn.pt"
    videos.mkdir()
    weights.touch()
    local = tmp_path / "video.yaml"
    local.write_text(yaml.safe_dump({"keypoints": {"source": "cpn"}, "video": {"source": source, "path": str(videos)},
                                     "detect": {"boxes": boxes, "cpn_weights": str(weights),
                                                "maskrcnn_weights": str(weights)}}))
    jobs = planned_jobs(default_copy, "--configfile", str(local))
    assert jobs == {"synthesize": 1, "prepare": 1, **extra, "detect": 28, "assemble": 1, "keypoints": 1,
                    "train": 48, "evaluate": 48, "animate": 3, "report": 1, "all": 1}


def test_cpn_without_weights_is_fine_tuned_on_the_rendered_training_subjects_first(default_copy, tmp_path):
    local = tmp_path / "video.yaml"
    local.write_text(yaml.safe_dump({"keypoints": {"source": "cpn"}, "video": {"source": "render"}}))
    jobs = planned_jobs(default_copy, "--configfile", str(local))
    assert jobs == {"synthesize": 1, "prepare": 1, "render": 7, "finetune_cpn": 1, "detect": 28, "assemble": 1,
                    "keypoints": 1, "train": 48, "evaluate": 48, "animate": 3, "report": 1, "all": 1}


def test_keypoints_on_video_of_a_missing_folder_say_what_to_set(default_copy, tmp_path):
    local = tmp_path / "video.yaml"
    local.write_text(yaml.safe_dump({"keypoints": {"source": "cpn"}, "video": {"source": "path",
                                                                              "path": str(tmp_path / "none")}}))
    result = subprocess.run(["snakemake", "-n", "--configfile", str(local)], cwd=default_copy, capture_output=True,
                            text=True, env=environment(default_copy), timeout=120)
    assert result.returncode != 0
    assert "video.path is" in result.stdout + result.stderr and "which does not exist" in result.stdout + result.stderr
