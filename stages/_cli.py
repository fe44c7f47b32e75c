"""What every stage CLI shares: the `--params` argument and turning expected errors into messages.

`--params` is either inline JSON (what Snakemake passes: only the sections the stage reads, so that a
change elsewhere does not rerun it) or the path of a YAML/JSON parameters file (standalone use).
A training or evaluation job also takes its experiment's settings: `--settings`, inline JSON of the
`train` defaults merged with the experiment's overrides (what Snakemake passes), or, without it, the
merge of the `train` and `experiments` sections of a full parameters file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from poselift.datasets import Dataset, get_dataset
from poselift.study.params import (
    ParamsError,
    check_params,
    experiment_settings,
    job_settings_of,
    validate,
    validate_settings,
)

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "params.schema.yaml"


def schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _yaml_problem(err: yaml.YAMLError) -> str:
    """What the parser met and where (1-based lines), with where the construct it was in started."""
    def at(mark) -> str:
        return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""

    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    text = f"{problem}{at(getattr(err, 'problem_mark', None))}"
    context = getattr(err, "context", None)
    if context:
        text += f" ({context}{at(getattr(err, 'context_mark', None))})"
    return text


def load_params(arg: str) -> dict:
    """Parse and validate `--params`: inline JSON or a parameters file."""
    if arg.lstrip().startswith("{"):
        try:
            params = json.loads(arg)
        except json.JSONDecodeError as err:
            raise ParamsError(f"--params: not valid JSON ({err})") from None
        partial = True
    else:
        path = Path(arg)
        if not path.is_file():
            raise ParamsError(f"parameters file not found: {path}")
        try:
            params = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            raise ParamsError(f"{path}: not valid YAML: {_yaml_problem(err)}") from None
        partial = False
    if not isinstance(params, dict):
        raise ParamsError(f"parameters must be a mapping, got {type(params).__name__}")
    validate(params, schema(), partial=partial)
    check_params(params)
    return params


def dataset_of(params: dict) -> Dataset:
    """The data set a stage works on (params `data.dataset`)."""
    return get_dataset(params["data"]["dataset"])


def job_settings(params: dict, experiment: str, settings: str | None) -> dict:
    """The training settings of a job's experiment: `--settings` (inline JSON, validated as complete
    settings) or, without it, the merge of the parameters file's `train` defaults and the experiment."""
    if settings is not None:
        merged = json.loads(settings)
        validate_settings(merged, schema())
        return merged
    if "experiments" not in params or "train" not in params:
        raise ParamsError("without --settings, --params must hold the sections 'train' and 'experiments'")
    return job_settings_of(experiment_settings(params, experiment))


def parser(description: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--params", required=True,
                   help="parameters: inline JSON of the sections this stage reads, or a params.yaml path")
    return p


def job_parser(description: str | None, model: bool = True) -> argparse.ArgumentParser:
    """`parser` plus what a job of one experiment instance is given: the instance, its model (with `model`),
    its settings and the data."""
    p = parser(description)
    p.add_argument("--experiment", required=True,
                   help="experiment instance (params: experiments; its replicate k > 1 is <experiment>@k)")
    if model:
        p.add_argument("--model", required=True, help="'baseline' or one of the data set's study actions")
    p.add_argument("--settings", default=None,
                   help="the experiment's training settings as inline JSON (default: merged from --params)")
    p.add_argument("--data-3d", type=Path, required=True, help="data_3d_<dataset>.npz")
    p.add_argument("--data-2d", type=Path, required=True, help="data_2d_<dataset>_<source>.npz")
    return p


def run(main: Callable[[], None]) -> None:
    """Run a stage; expected failures (bad input, bad parameters) print one clear message, exit 1."""
    try:
        main()
    except (ValueError, KeyError, FileNotFoundError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"error: {message}", file=sys.stderr)
        sys.exit(1)
