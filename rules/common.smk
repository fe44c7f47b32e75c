# Helpers of the rules: the experiment grid, the model names, the files each rule reads and writes,
# the parameters each stage receives and the code each stage runs.

import ast
import json
import re
import shlex
from functools import cache
from pathlib import Path

from poselift.actions import MODELS
from poselift.params import experiment_settings

EXPERIMENTS = list(config["experiments"])

DATA_SOURCE = config["data"]["source"]
KEYPOINTS_SOURCE = config["keypoints"]["source"]

RESULTS = "results"
SYNTHETIC_RAW = f"{RESULTS}/raw/synthetic"
SYNTHETIC_FIGURE = f"{RESULTS}/figures/synthetic_motions.png"
SYNTHETIC_FIGURE_SVG = f"{RESULTS}/figures/synthetic_motions.svg"
DATA_3D = f"{RESULTS}/data/data_3d_h36m.npz"
DATA_2D_GT = f"{RESULTS}/data/data_2d_h36m_gt.npz"
# Training and evaluation input; `gt` is prepare's own output (no keypoints job).
DATA_2D = f"{RESULTS}/data/data_2d_h36m_{KEYPOINTS_SOURCE}.npz"
KEYPOINTS_REPORT = f"{RESULTS}/data/keypoints_{KEYPOINTS_SOURCE}.json"
JOB_LOGS = f"{RESULTS}/logs/snakemake"
BENCHMARKS = f"{RESULTS}/benchmarks"

ENV = "../envs/pipeline.yaml"  # relative to rules/


wildcard_constraints:
    experiment="|".join(re.escape(name) for name in EXPERIMENTS),
    model="|".join(MODELS),


def final_outputs():
    """The default target: the report, and the figure of the embedded data set when it is used."""
    outputs = [f"{RESULTS}/report.md"]
    if DATA_SOURCE == "synthetic":
        outputs.append(SYNTHETIC_FIGURE)
    return outputs


def raw_source():
    """prepare's `--source`: the generated raw tree, or the user's Human3.6M data (`data.path`)."""
    if DATA_SOURCE == "synthetic":
        return SYNTHETIC_RAW
    if not config["data"]["path"]:
        raise ValueError(f"data.source is {DATA_SOURCE!r}: set data.path to the Human3.6M data")
    return config["data"]["path"]


def imported_detections():
    """The VideoPose3D detection file an imported keypoints source reads (none for noisy)."""
    if KEYPOINTS_SOURCE == "noisy":
        return []
    if not config["keypoints"]["import_path"]:
        raise ValueError(
            f"keypoints.source is {KEYPOINTS_SOURCE!r}: set keypoints.import_path to VideoPose3D's "
            f"data_2d_h36m_{KEYPOINTS_SOURCE}.npz"
        )
    return [config["keypoints"]["import_path"]]


def stage_params(*sections, **replaced):
    """Inline JSON of exactly the params sections a stage reads: Snakemake's params trigger then reruns
    a job only when one of its own parameters changed."""
    params = {name: config[name] for name in sections}
    params.update(replaced)
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


def experiment_params(*sections):
    """stage_params for a training or evaluation job: `train` holds its experiment's settings (the
    defaults merged with the experiment's overrides), so a change to one experiment reruns only it."""

    def params(wildcards):
        return stage_params(*sections, train=experiment_settings(config, wildcards.experiment))

    return params


def experiment_threads(wildcards):
    return experiment_settings(config, wildcards.experiment)["threads"]


def _module_file(dotted):
    """The project file of a dotted module name, or None for a module outside the project."""
    parts = dotted.split(".")
    if parts[0] == "stages":
        base = Path(*parts)
    elif parts[0] == "poselift":
        base = Path("src", *parts)
    else:
        return None
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return str(candidate)
    return None


def _imports(path, dotted):
    """Dotted names of every module that file `path` (module `dotted`) imports, parents included."""
    package = dotted if path.endswith("__init__.py") else dotted.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(Path(path).read_text(), filename=path)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: `from . import x`, `from ..a import b`
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {".".join(name.split(".")[:i]) for name in names for i in range(1, name.count(".") + 2)}


@cache
def stage_code(stage):
    """The Python files a stage runs: its module and every project module it imports, transitively.

    Snakemake's code trigger sees only a rule's own text, not what the stage imports; listing these
    files as inputs makes a change to the library rerun exactly the jobs that run it. A missing stage
    module is still listed, so that Snakemake names it.
    """
    files = {f"stages/{stage}.py"}
    todo = ["stages", f"stages.{stage}"]
    seen = set()
    while todo:
        dotted = todo.pop()
        if dotted in seen:
            continue
        seen.add(dotted)
        path = _module_file(dotted)
        if path is not None:
            files.add(path)
            todo.extend(_imports(path, dotted))
    return sorted(files)
