"""params.yaml against its schema; experiment settings; per-job seeds."""

import copy
import json

import pytest
import yaml

from poselift.seeding import job_seed
from poselift.study.params import ParamsError, experiment_settings, validate
from stages._cli import SCHEMA_PATH, load_params

SCHEMA = yaml.safe_load(SCHEMA_PATH.read_text())


def test_default_params_validate(default_params):
    validate(default_params, SCHEMA)


def test_unknown_keys_and_bad_values_are_rejected(default_params):
    bad = copy.deepcopy(default_params)
    bad["train"]["learning_rate"] = 0.1  # a typo of `lr`
    with pytest.raises(ParamsError, match="learning_rate"):
        validate(bad, SCHEMA)
    bad = copy.deepcopy(default_params)
    bad["experiments"]["f27_ue15"]["architecture"] = [3, 3, 0]
    with pytest.raises(ParamsError, match=r"experiments\.f27_ue15\.architecture\.2"):
        validate(bad, SCHEMA)


def test_partial_params_validate_each_section_in_full(default_params):
    section = {"seed": 1, "train": default_params["train"], "evaluate": {"tta": True}}
    assert load_params(json.dumps(section))["seed"] == 1
    with pytest.raises(ParamsError, match="unknown parameter section"):
        load_params(json.dumps({**section, "trian": {}}))
    incomplete = {"train": {k: v for k, v in default_params["train"].items() if k != "lr"}}
    with pytest.raises(ParamsError, match="'lr' is a required property"):
        load_params(json.dumps(incomplete))


def test_experiment_settings_override_train_defaults(default_params):
    settings = experiment_settings(default_params, "f1_ue15")
    assert settings["architecture"] == [1] and settings["lr"] == default_params["train"]["lr"]
    with pytest.raises(ParamsError, match="unknown experiment 'nope'"):
        experiment_settings(default_params, "nope")


def test_job_seeds_are_stable_and_distinct():
    assert job_seed(1234, "f27_ue15", "Eating") == job_seed(1234, "f27_ue15", "Eating")
    seeds = {job_seed(1234, "f27_ue15", m) for m in ("baseline", "Eating", "Sitting", "SittingDown")}
    assert len(seeds) == 4
    assert job_seed(1234, "a", "bc") != job_seed(1234, "ab", "c")
    assert job_seed(1234, "f27_ue15", "Eating") == 1782240595  # fixed across runs and machines
