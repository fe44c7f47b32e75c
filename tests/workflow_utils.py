"""Running the workflow in a scratch copy of the repository, on a tiny study (workflow, cluster and DVC tests).

The tiny study is the whole chain with every job (synthesize, prepare, keypoints, 16 training jobs,
16 evaluations, report), on a data set and models small enough for each job to take seconds.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
# The environment that runs the tests runs the workflow (snakemake, dvc and python on PATH).
ENV_BIN = Path(sys.executable).parent

# What a clone holds that the workflow needs (the scratch copy runs from these alone).
WORKFLOW_FILES = ["Snakefile", "rules", "report", "stages", "src", "schemas", "envs", "params.yaml", "params",
                  "profiles", "dvc.yaml", ".dvcignore", ".dvc/config", ".dvc/.gitignore", ".gitignore",
                  "pyproject.toml"]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")

# Overrides of params.yaml for the tiny study; `experiments` replaces the grid.
TINY = {
    "synthetic": {"frames": 64, "subjects": ["S1", "S9"]},
    "data": {"subjects": ["S1", "S9"]},
    "train": {"subjects_train": ["S1"], "subjects_test": ["S9"], "architecture": [1], "channels": 16,
              "batch_size": 256, "baseline_epochs": 1, "unit_epochs": 1, "eval_every": 1, "threads": 1,
              "device": "cpu"},
    "experiments": {"tiny": {"architecture": [1]}},
}
TINY_JOBS = {"synthesize": 1, "prepare": 1, "keypoints": 1, "train": 16, "evaluate": 16, "animate": 1, "report": 1,
             "all": 1}


def merged(base: dict, overrides: dict) -> dict:
    """`base` with `overrides` merged in, key by key for nested sections (as Snakemake's --configfile)."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def grid_params(base: dict, *grids: dict) -> dict:
    """What the Snakefile makes of params.yaml and --configfile files: sections merged key by key, except
    `experiments`, which the files that define it replace."""
    params = base
    for grid in grids:
        params = merged(params, {k: v for k, v in grid.items() if k != "experiments"})
    if any("experiments" in grid for grid in grids):
        params["experiments"] = {k: v for grid in grids for k, v in grid.get("experiments", {}).items()}
    return params


def tiny_params() -> dict:
    params = merged(yaml.safe_load((REPO / "params.yaml").read_text()), TINY)
    params["experiments"] = copy.deepcopy(TINY["experiments"])
    return params


def write_params(workdir: Path, params: dict) -> None:
    (workdir / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def copy_repo(workdir: Path, tiny: bool = True) -> Path:
    """A copy of the workflow's files in `workdir`, its params.yaml set to the tiny study unless `tiny` is false."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        source, target = REPO / name, workdir / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=IGNORED)
        elif source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    if tiny:
        write_params(workdir, tiny_params())
    return workdir


def environment(workdir: Path, **extra: str) -> dict:
    """The copy runs its own library (PYTHONPATH), with the test environment's tools first on PATH."""
    env = dict(os.environ, PATH=f"{ENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONPATH=str(workdir / "src"), DVC_NO_ANALYTICS="1")
    env.update(extra)
    return env


def run(args: list[str], workdir: Path, timeout: float, env: dict | None = None, stdout_only: bool = False) -> str:
    """Run a command in `workdir` under a hard timeout (SIGKILL); its output (stdout and stderr, or stdout
    only), or an error showing it."""
    command = ["timeout", "-s", "KILL", str(int(timeout)), *args]
    result = subprocess.run(command, cwd=workdir, env=env or environment(workdir), capture_output=True, text=True,
                            stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        killed = " (killed by the timeout)" if result.returncode in (124, 137) else ""
        raise AssertionError(f"{' '.join(args)} failed with exit code {result.returncode}{killed}:\n{output[-6000:]}")
    return result.stdout if stdout_only else output


def snakemake(workdir: Path, *args: str, timeout: float = 600, env: dict | None = None) -> str:
    return run(["snakemake", *args], workdir, timeout, env)


def job_stats(output: str) -> dict[str, int]:
    """Jobs per rule from the "Job stats" table Snakemake prints before it runs ({} when nothing is to be done)."""
    if "Nothing to be done" in output:
        return {}
    jobs = {}
    for line in output[output.index("Job stats:"):].splitlines()[3:]:
        match = re.fullmatch(r"(\w+)\s+(\d+)", line.strip())
        if match is None:
            break
        jobs[match.group(1)] = int(match.group(2))
    jobs.pop("total", None)
    return jobs


def planned_jobs(workdir: Path, *args: str) -> dict[str, int]:
    """Jobs per rule that `snakemake -n` would run ({} when there is nothing to do)."""
    return job_stats(snakemake(workdir, "-n", "--quiet", "rules", *args, timeout=120))
