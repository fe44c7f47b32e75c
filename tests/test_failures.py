"""Faults that used to give a wrong or missing result with exit code 0, and the smaller ones of the same
probe: each now ends in a clear error naming the file (and subject, action, camera) or is repaired."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from poselift.datasets.h36m import H36M
from poselift.datasets.h36m.raw import read_raw_tree
from poselift.datasets.validation import ValidationError
from poselift.io import atomic
from poselift.io.checkpoint import CheckpointError
from poselift.io.formats import load_2d, load_3d, save_2d, save_3d
from poselift.lifting.model import ModelConfig, TemporalModelOptimized1f
from poselift.lifting.sequences import layout_symmetry
from poselift.study.params import SUMMARY_KEYS, ParamsError, check_params
from stages import _cli
from stages import evaluate as evaluate_stage
from stages import train as train_stage
from tests.conftest import data_params
from tests.test_prepare import write_raw_tree

ROOT = Path(__file__).resolve().parent.parent
PARAMS = {"seed": 3, "data": data_params(), "evaluate": {"tta": True}}


def train(tmp_path: Path, tiny_dataset, settings: dict, model: str, experiment: str = "exp") -> Path:
    checkpoint = tmp_path / experiment / f"{model}.pt"
    train_stage.main(PARAMS, settings, experiment=experiment, model=model, data_3d=tiny_dataset[0],
                     data_2d=tiny_dataset[1], checkpoint=checkpoint,
                     history=tmp_path / experiment / f"{model}.parquet")
    return checkpoint


def evaluate(tmp_path: Path, data: tuple[Path, Path], settings: dict, checkpoint: Path, model: str,
             experiment: str = "exp", external: bool = False) -> dict:
    out = tmp_path / "eval"
    evaluate_stage.main(PARAMS, settings, experiment=experiment, model=model, checkpoint=checkpoint,
                        data_3d=data[0], data_2d=data[1], out_rows=out / "rows.parquet",
                        out_summary=out / "summary.json", external=external)
    return json.loads((out / "summary.json").read_text())


@pytest.fixture(scope="module")
def sitting(tmp_path_factory, tiny_dataset):
    """A trained tiny `exp/Sitting` model and its settings."""
    tmp = tmp_path_factory.mktemp("sitting")
    settings = {**yaml_train_defaults(), "subjects_train": ["S1", "S5"], "subjects_test": ["S9"],
                "architecture": [3], "channels": 16, "batch_size": 256, "unit_epochs": 1, "baseline_epochs": 1,
                "threads": 1, "device": "cpu"}
    return train(tmp, tiny_dataset, settings, "Sitting"), settings


def yaml_train_defaults() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text())["train"]


# --- 3. evaluate takes a checkpoint only under the label it was trained for ------------------------------

def test_checkpoint_of_another_model_is_refused(tmp_path, tiny_dataset, sitting):
    checkpoint, settings = sitting
    with pytest.raises(CheckpointError, match=r"Sitting\.pt: trained as exp/Sitting, asked to score it as "
                                               r"exp/Walking"):
        evaluate(tmp_path, tiny_dataset, settings, checkpoint, "Walking")
    with pytest.raises(CheckpointError, match="trained as exp/Sitting, asked to score it as other/Sitting"):
        evaluate(tmp_path, tiny_dataset, settings, checkpoint, "Sitting", experiment="other")
    assert not (tmp_path / "eval").exists()


def test_checkpoint_of_other_settings_or_data_is_refused(tmp_path, tiny_dataset, sitting):
    checkpoint, settings = sitting
    with pytest.raises(CheckpointError, match=r"channels: trained with 16, asked for 32"):
        evaluate(tmp_path, tiny_dataset, {**settings, "channels": 32}, checkpoint, "Sitting")
    positions_2d, metadata = load_2d(tiny_dataset[1])
    positions_2d["S9"]["Sitting 1"][0] = positions_2d["S9"]["Sitting 1"][0] + 1.0
    other = tmp_path / "data_2d_h36m_other.npz"
    save_2d(other, positions_2d, metadata)
    with pytest.raises(CheckpointError, match=r"data_2d: trained on .*data_2d_h36m_gt\.npz \(sha256 \w{12}"):
        evaluate(tmp_path, (tiny_dataset[0], other), settings, checkpoint, "Sitting")


def test_external_checkpoint_is_scored_when_asked_and_says_so(tmp_path, tiny_dataset, sitting):
    checkpoint, settings = sitting
    summary = evaluate(tmp_path, tiny_dataset, settings, checkpoint, "Walking", external=True)
    assert summary["checkpoint_source"] == "external (poselift exp/Sitting)"
    assert summary["trained_as"] == {"experiment": "exp", "model": "Sitting"}


def test_videopose3d_checkpoint_needs_external(tmp_path, tiny_dataset, sitting):
    _, settings = sitting
    model = TemporalModelOptimized1f(ModelConfig(filter_widths=(3,), channels=16))
    torch.save({"epoch": 1, "model_pos": model.state_dict()}, tmp_path / "epoch_1.bin")
    with pytest.raises(CheckpointError, match=r"epoch_1\.bin: a VideoPose3D checkpoint records nothing of what "
                                               r"trained it: pass --external"):
        evaluate(tmp_path, tiny_dataset, settings, tmp_path / "epoch_1.bin", "baseline")
    summary = evaluate(tmp_path, tiny_dataset, settings, tmp_path / "epoch_1.bin", "baseline", external=True)
    assert summary["checkpoint_source"] == "external (videopose3d)"


# --- 4. test-set contamination and shrinkage ------------------------------------------------------------

def test_overlapping_train_and_test_subjects_are_a_parameter_error():
    params = _cli.load_params(str(ROOT / "params.yaml"))
    params["train"]["subjects_test"] = ["S1", "S9"]
    with pytest.raises(ParamsError, match=r"experiment f1_ue15: subject\(s\) S1 both in subjects_train and "
                                          r"subjects_test"):
        check_params(params)


def test_a_missing_test_action_is_an_error_unless_expected(tmp_path, tiny_dataset, sitting):
    _, settings = sitting
    positions_3d = load_3d(tiny_dataset[0])
    positions_2d, metadata = load_2d(tiny_dataset[1])
    for data in (positions_3d, positions_2d):
        for take in ("Sitting 1", "Sitting 2"):
            del data["S9"][take]
    path_3d, path_2d = tmp_path / "data_3d_h36m.npz", tmp_path / "data_2d_h36m_gt.npz"
    save_3d(path_3d, positions_3d)
    save_2d(path_2d, positions_2d, metadata)
    with pytest.raises(ValueError, match=r"data_3d_h36m\.npz: subject S9 has no sequence of action Sitting"):
        train_stage.main(PARAMS, {**settings, "baseline_epochs": 1}, experiment="exp", model="baseline",
                         data_3d=path_3d, data_2d=path_2d, checkpoint=tmp_path / "m.pt",
                         history=tmp_path / "h.parquet")
    expected = {**PARAMS, "data": {**data_params(), "expected_absent": [["S9", "Sitting"]]}}
    train_stage.main(expected, {**settings, "baseline_epochs": 1}, experiment="exp", model="baseline",
                     data_3d=path_3d, data_2d=path_2d, checkpoint=tmp_path / "m.pt", history=tmp_path / "h.parquet")
    history = pd.read_parquet(tmp_path / "h.parquet")
    assert "test_mpjpe_Sitting" not in history.columns and "test_mpjpe_Walking" in history.columns


# --- 5. a resume file that cannot be read ------------------------------------------------------------------

def test_corrupt_resume_file_is_moved_aside_and_the_job_starts_fresh(tmp_path, tiny_dataset, sitting, capfd):
    _, settings = sitting
    resume = tmp_path / "exp" / "Sitting.resume.pt"
    resume.parent.mkdir(parents=True)
    resume.write_text("garbage\n")
    checkpoint = train(tmp_path, tiny_dataset, settings, "Sitting")
    assert checkpoint.is_file() and not resume.exists()
    aside = list(resume.parent.glob("Sitting.resume.pt.unreadable*"))
    assert len(aside) == 1 and aside[0].read_text() == "garbage\n"
    err = capfd.readouterr().err
    assert f"warning: {resume} cannot be read" in err and f"moved to {aside[0]}" in err


# --- smaller ones ------------------------------------------------------------------------------------------

def test_malformed_yaml_names_the_file_and_line(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("seed: 1\ndata: [unclosed\n")
    result = subprocess.run([sys.executable, "-m", "stages.prepare", "--params", str(bad), "--source", "x",
                             "--out-3d", "a.npz", "--out-2d", "b.npz", "--provenance", "p.json"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"error: {bad}: not valid YAML" in result.stderr and "line 2" in result.stderr


@pytest.mark.parametrize(("remove", "add", "expected"), [
    (["Eating 2"], [], r"S1/MyPoseFeatures/D3_Positions: 29 \.cdf files, expected 30 \(subject S1\): action "
                      r"Eating has 1 take \(Eating\), expected 2"),
    ([], ["Eating 3"], r"31 \.cdf files, expected 30 \(subject S1\): action Eating has 3 takes "
                      r"\(Eating 2, Eating 3, Eating\), expected 2"),
])
def test_wrong_number_of_raw_files_names_the_action(tmp_path, remove, add, expected):
    root = tmp_path / "raw"
    write_raw_tree(root, "cdf", subjects=("S1",))
    folder = root / "S1" / "MyPoseFeatures" / "D3_Positions"
    for name in remove:
        (folder / f"{name}.cdf").unlink()
    for name in add:
        (folder / f"{name}.cdf").write_bytes((folder / "Eating.cdf").read_bytes())
    with pytest.raises(ValueError, match=expected):
        read_raw_tree(root, "cdf", ["S1"])


def test_layout_mismatch_in_metadata_names_the_file():
    with pytest.raises(ValidationError, match=r"data_2d_h36m_x\.npz: bad metadata: metadata says layout 'coco' "
                                              r"with 16 joints"):
        layout_symmetry({"layout_name": "coco", "num_joints": 16}, H36M, "data_2d_h36m_x.npz")


@pytest.mark.parametrize("key", SUMMARY_KEYS)
def test_an_experiment_named_as_a_key_of_the_summary_is_a_parameter_error(key):
    params = _cli.load_params(str(ROOT / "params.yaml"))
    params["experiments"][key] = params["experiments"].pop("f1_ue15")
    with pytest.raises(ParamsError, match=rf"experiment {key}: the name is taken by results/summary\.json"):
        check_params(params)


def test_fixed_data_without_a_budget_fails_at_validation():
    params = _cli.load_params(str(ROOT / "params.yaml"))
    params["experiments"]["f1_ue15"]["budget"] = "fixed_data"
    with pytest.raises(ParamsError, match="experiment f1_ue15: budget 'fixed_data' needs data_budget_frames"):
        check_params(params)


def test_directory_swap_never_leaves_the_target_absent(tmp_path, monkeypatch):
    target, new = tmp_path / "synthetic", tmp_path / "new"
    (target / "S1").mkdir(parents=True)
    (new / "S9").mkdir(parents=True)
    renames = []
    monkeypatch.setattr(atomic.os, "rename", lambda *args: renames.append(args))  # the two-rename fallback
    atomic.replace_directory(new, target)
    assert renames == [] and sorted(p.name for p in target.iterdir()) == ["S9"] and not new.exists()
    assert np.array_equal(sorted(p.name for p in tmp_path.iterdir()), ["synthetic"])
