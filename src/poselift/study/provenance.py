"""Whether artifacts are what they claim to be: a checkpoint against the job that is to score it, and every
evaluation against the data the run prepared and the parameters that describe them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from poselift.io.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from poselift.keypoints.assembly import VIDEO_DETECTORS

if TYPE_CHECKING:
    from poselift.study.tables import ExperimentRuns

ARCHITECTURE = ("architecture", "channels", "causal")  # settings a checkpoint's weights are bound to


def checkpoint_mismatches(record: Mapping[str, Any], experiment: str, model: str, settings: Mapping[str, Any],
                          inputs: Mapping[str, Mapping[str, str]]) -> list[str]:
    """How a checkpoint's training record (what `train` stored in it) differs from the job it is asked to be:
    experiment and model, the settings its weights depend on, and the data files (by content)."""
    found = []
    trained_as = (record.get("experiment"), record.get("model"))
    if trained_as != (experiment, model):
        found.append(f"trained as {trained_as[0]}/{trained_as[1]}, asked to score it as {experiment}/{model}")
    trained = record.get("settings", {})
    found += [f"{key}: trained with {trained.get(key)}, asked for {settings[key]}" for key in ARCHITECTURE
              if trained.get(key) != settings[key]]
    for name, wanted in inputs.items():
        used = record.get("inputs", {}).get(name, {})
        if used.get("sha256") != wanted["sha256"]:
            found.append(f"{name}: trained on {used.get('path')} (sha256 {str(used.get('sha256'))[:12]}...), asked "
                         f"to score on {wanted['path']} (sha256 {wanted['sha256'][:12]}...)")
    return found


def provenance_problems(runs_list: list[ExperimentRuns], prepared: Mapping[str, Any],
                        keypoints: Mapping[str, Any] | None, params: Mapping[str, Any]) -> list[str]:
    """Where the artifacts disagree about the data, or with the parameters: each evaluation must have read
    the 3D file prepare wrote and the 2D file keypoints wrote (prepare's ground truth for `gt`), by content,
    and a checkpoint trained on them; the parameters must describe what was read."""
    data_3d = prepared["outputs"]["data_3d"]
    data_2d = keypoints["output"] if keypoints is not None else prepared["outputs"]["data_2d_gt"]
    found = []
    for runs in runs_list:
        for model, summary in runs.summaries.items():
            job = f"{runs.name}/{model}"
            for name, wanted in (("data_3d", data_3d), ("data_2d", data_2d)):
                read = summary["inputs"][name]
                if read["sha256"] != wanted["sha256"]:
                    found.append(f"{job}: evaluated on {read['path']} (sha256 {read['sha256'][:12]}...), but the data "
                                 f"now is {wanted['path']} (sha256 {wanted['sha256'][:12]}...)")
                trained = (summary.get("trained_on") or {}).get(name)
                external = str(summary.get("checkpoint_source", "")).startswith("external")
                if not external and (trained is None or trained["sha256"] != read["sha256"]):
                    found.append(f"{job}: its checkpoint was trained on other {name} than it was evaluated on")
    data, wanted = params["data"], {"dataset": prepared["dataset"], "source": prepared["source"]}
    found += [f"data.{key} is {data[key]!r}, but {prepared['outputs']['data_3d']['path']} was prepared with "
              f"{key} {value!r}" for key, value in wanted.items() if data[key] != value]
    if data["source"] != "synthetic" and data["path"] != prepared["read"]:
        found.append(f"data.path is {data['path']!r}, but the 3D data were read from {prepared['read']!r}")
    source = params["keypoints"]["source"]
    recorded = "gt" if keypoints is None else keypoints["source"]
    if source != recorded:
        found.append(f"keypoints.source is {source!r}, but the 2D keypoints are {recorded!r}")
    elif (keypoints is not None and source not in VIDEO_DETECTORS
          and keypoints.get("imported") not in (None, params["keypoints"]["import_path"])):
        found.append(f"keypoints.import_path is {params['keypoints']['import_path']!r}, but the 2D keypoints were "
                     f"imported from {keypoints['imported']!r}")
    return found


def animation_mismatches(record: Mapping[str, Any], runs: ExperimentRuns) -> list[str]:
    """How the animate stage's record of an experiment's test predictions differs from what the report scores:
    the experiment, every model's checkpoint, and the data files (by content) the evaluations read."""
    if record.get("experiment") != runs.name:
        return [f"it shows experiment {record.get('experiment')}, not {runs.name}"]
    found = []
    for model, summary in runs.summaries.items():
        shown = record["checkpoints"].get(model, {}).get("sha256")
        if shown != summary["checkpoint_sha256"]:
            found.append(f"{runs.name}/{model}: it shows the checkpoint with sha256 {str(shown)[:12]}..., the "
                         f"evaluation scored {summary['checkpoint_sha256'][:12]}...")
    read = next(iter(runs.summaries.values()))["inputs"]  # the same for every model (provenance_problems)
    found += [f"{name}: it shows {record['inputs'][name]['path']} (sha256 {record['inputs'][name]['sha256'][:12]}...), "
              f"the evaluations read {wanted['path']} (sha256 {wanted['sha256'][:12]}...)"
              for name, wanted in read.items() if record["inputs"][name]["sha256"] != wanted["sha256"]]
    return found


def load_job_checkpoint(path: str | os.PathLike, settings: Mapping[str, Any], experiment: str, model: str,
                        inputs: Mapping[str, Any], external: bool = False) -> Checkpoint:
    """The checkpoint at `path`, read with the experiment's settings `settings`; unless `external`,
    CheckpointError (naming both) where its record is not that of the job `experiment`/`model` trained on
    `inputs` (the data files' `file_record`s)."""
    ckpt = load_checkpoint(path, causal=settings["causal"], dropout=settings["dropout"])
    record = ckpt.params if ckpt.source == "poselift" else {}
    if not external:
        if not record:
            raise CheckpointError(f"{path}: a VideoPose3D checkpoint records nothing of what trained it: pass "
                                  f"--external to score it as {experiment}/{model}")
        mismatches = checkpoint_mismatches(record, experiment, model, settings, inputs)
        if mismatches:
            raise CheckpointError(f"{path}: " + "; ".join(mismatches) + " (pass --external to score it anyway)")
    return ckpt
