"""What every stage CLI shares: the `--params` argument and turning expected errors into messages.

`--params` is either inline JSON (what Snakemake passes: only the sections the stage reads, so that a
change elsewhere does not rerun it) or the path of a YAML/JSON parameters file (standalone use).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from poselift.params import ParamsError, experiment_settings, validate

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "params.schema.yaml"


def load_params(arg: str) -> dict:
    """Parse and validate `--params`: inline JSON or a parameters file."""
    if arg.lstrip().startswith("{"):
        params = json.loads(arg)
        partial = True
    else:
        path = Path(arg)
        if not path.is_file():
            raise ParamsError(f"parameters file not found: {path}")
        params = yaml.safe_load(path.read_text())
        partial = False
    if not isinstance(params, dict):
        raise ParamsError(f"parameters must be a mapping, got {type(params).__name__}")
    validate(params, yaml.safe_load(SCHEMA_PATH.read_text()), partial=partial)
    return params


def parser(description: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--params", required=True,
                   help="parameters: inline JSON of the sections this stage reads, or a params.yaml path")
    return p


def job_parser(description: str | None) -> argparse.ArgumentParser:
    """`parser` plus what a training or evaluation job is given: its experiment, its model and the data."""
    p = parser(description)
    p.add_argument("--experiment", required=True, help="experiment name (params: experiments)")
    p.add_argument("--model", required=True, help="'baseline' or one of the 15 actions")
    p.add_argument("--data-3d", type=Path, required=True, help="data_3d_h36m.npz")
    p.add_argument("--data-2d", type=Path, required=True, help="data_2d_h36m_<source>.npz")
    return p


def run(main: Callable[[], None]) -> None:
    """Run a stage; expected failures (bad input, bad parameters) print one clear message, exit 1."""
    try:
        main()
    except (ValueError, KeyError, FileNotFoundError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"error: {message}", file=sys.stderr)
        sys.exit(1)


def train_settings(params: dict, experiment: str) -> dict:
    """An experiment's training settings: merged here from a full parameters file, or already merged
    by the workflow (inline JSON whose `train` section is the experiment's settings)."""
    return experiment_settings(params, experiment) if "experiments" in params else params["train"]
