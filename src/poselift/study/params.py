"""Parameters: validation against the study's JSON schema and against the data set, and the settings of
an experiment.

The schema file itself lives with the pipeline (`schemas/params.schema.yaml`); functions here take
it as a dict. The schema checks types and names; `check_params` checks what only the data set's
description can tell (its subjects and actions) and how sections relate to each other.
"""

from __future__ import annotations

import copy

import jsonschema

from poselift.datasets import get_dataset
from poselift.datasets.synthetic import embedded


class ParamsError(ValueError):
    """Parameters that do not satisfy the schema."""


def validate(params: dict, schema: dict, partial: bool = False) -> None:
    """Check `params` against `schema`; with `partial`, only the top-level sections present.

    Stages receive only the sections they read (so that a change elsewhere does not rerun them);
    each section present is still checked in full, and unknown sections are errors.
    """
    if partial:
        unknown = set(params) - set(schema.get("properties", {}))
        if unknown:
            raise ParamsError(f"unknown parameter section(s): {', '.join(sorted(unknown))}")
        schema = {**schema, "required": [k for k in schema.get("required", []) if k in params]}
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(params), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  - {'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}" for e in errors]
        raise ParamsError("invalid parameters:\n" + "\n".join(lines))


# Keys of results/summary.json beside the experiments' names (study.report, stages/report.py): no experiment
# may be named so.
LABELLED_KEY = "labelled_curve"  # Table 9's rows
DETECTION_KEY = "video_detection"  # the video detector's numbers
SUMMARY_KEYS = (LABELLED_KEY, DETECTION_KEY)

STUDY_SETTINGS = ("replicates", "routing")  # settings that decide which jobs an experiment has, not what a job does


def job_settings_of(settings: dict) -> dict:
    """What a job of an experiment receives: its settings without `STUDY_SETTINGS` (so that adding replicates
    or routing to an experiment reruns no job it already has)."""
    return {k: v for k, v in settings.items() if k not in STUDY_SETTINGS}


def validate_settings(settings: dict, schema: dict) -> None:
    """Check one job's complete training settings (`train` merged with the experiment's overrides, without
    `STUDY_SETTINGS`)."""
    defs = schema["$defs"]
    required = [k for k in schema["properties"]["train"]["allOf"][1]["required"] if k not in STUDY_SETTINGS]
    validate(settings, {"$defs": defs, "allOf": [{"$ref": "#/$defs/train_settings"}, {"required": required}]})


REPLICATE_MARK = "@"  # replicate k > 1 of experiment E runs as the experiment instance "E@k"


def split_instance(instance: str) -> tuple[str, int]:
    """(experiment, replicate) of an experiment instance: "f1_ue15" -> ("f1_ue15", 1), "f1_ue15@2" -> (.., 2)."""
    name, mark, replicate = instance.partition(REPLICATE_MARK)
    if not mark:
        return name, 1
    if not replicate.isdigit() or int(replicate) < 2:
        raise ParamsError(f"experiment instance {instance!r}: the replicate after {REPLICATE_MARK!r} must be 2 or more")
    return name, int(replicate)


def experiment_instances(params: dict, experiment: str) -> list[str]:
    """The instances of one experiment, one per replicate: the experiment itself (replicate 1), then
    "<experiment>@2" .. "<experiment>@R" (R: its `replicates`). Each instance is a full set of jobs whose
    seeds derive from the instance's name."""
    replicates = experiment_settings(params, experiment)["replicates"]
    return [experiment, *(f"{experiment}{REPLICATE_MARK}{k}" for k in range(2, replicates + 1))]


def experiment_settings(params: dict, experiment: str) -> dict:
    """The training settings of one experiment (or of one of its replicates, "E@k"): `train` defaults
    overridden by the experiment's keys."""
    experiments = params["experiments"]
    name, replicate = split_instance(experiment)
    if name not in experiments:
        raise ParamsError(f"unknown experiment {name!r}; defined: {', '.join(experiments)}")
    settings = copy.deepcopy(params["train"])
    settings.update(copy.deepcopy(experiments[name] or {}))
    if replicate > settings["replicates"]:
        raise ParamsError(f"experiment instance {experiment!r}: experiment {name} has {settings['replicates']} "
                          f"replicate(s)")
    return settings


def check_params(params: dict) -> None:
    """What the schema cannot check, for the sections present: subjects and actions of the data set
    (`data.dataset`), the split of every experiment, budgets that need a setting. ParamsError listing
    every problem."""
    problems: list[str] = []
    dataset = get_dataset(params["data"]["dataset"]) if "data" in params else None
    if dataset is not None:
        unknown = [s for s in params["data"]["subjects"] if s not in dataset.subjects]
        if unknown:
            problems.append(f"data.subjects: {', '.join(unknown)} not {dataset.title} subjects with 3D poses "
                            f"({', '.join(dataset.subjects)})")
        if "synthetic" in params:
            rig = embedded(dataset.key).SUBJECTS
            unknown = [s for s in params["synthetic"]["subjects"] if s not in rig]
            if unknown:
                problems.append(f"synthetic.subjects: {', '.join(unknown)} have no camera rig in the embedded "
                                f"{dataset.title} data set ({', '.join(rig)})")
        if "report" in params and params["report"]["table4_action"] not in dataset.study_actions:
            problems.append(f"report.table4_action: {params['report']['table4_action']!r} is not one of the "
                            f"{dataset.title} study actions ({', '.join(dataset.study_actions)})")
    if "train" in params and "experiments" in params:
        for name in params["experiments"]:
            settings = experiment_settings(params, name)
            where = f"experiment {name}"
            if name in SUMMARY_KEYS:
                problems.append(f"{where}: the name is taken by results/summary.json, whose keys beside the "
                                f"experiments' are {', '.join(SUMMARY_KEYS)}; rename it")
            train, test = settings["subjects_train"], settings["subjects_test"]
            overlap = sorted(set(train) & set(test))
            if overlap:
                problems.append(f"{where}: subject(s) {', '.join(overlap)} both in subjects_train and subjects_test "
                                f"(the test set would contain training data)")
            if dataset is not None:
                unread = [s for s in (*train, *test) if s not in params["data"]["subjects"]]
                if unread:
                    problems.append(f"{where}: subject(s) {', '.join(unread)} of its split are not read "
                                    f"(data.subjects: {', '.join(params['data']['subjects'])})")
            if settings["budget"] == "fixed_data" and not settings["data_budget_frames"]:
                problems.append(f"{where}: budget 'fixed_data' needs data_budget_frames")
            if settings["budget"] == "fixed_data" and settings["subset"] < 1:
                problems.append(f"{where}: budget 'fixed_data' chooses its frames itself; subset must be 1")
            if settings["routing"] and settings["subset"] < 1:
                problems.append(f"{where}: routing trains its classifier on every labelled frame; subset must be 1")
            if settings["semi_supervised"] is not None:
                problems += semi_supervised_problems(settings, where, params.get("data"), dataset)
    if problems:
        raise ParamsError("invalid parameters:\n" + "\n".join(f"  - {p}" for p in problems))


def semi_supervised_problems(settings: dict, where: str, data: dict | None, dataset) -> list[str]:
    """What is wrong with an experiment's `semi_supervised` settings: unlabelled subjects that are labelled,
    tested or not read (`data`: the data section, or None), a data set without camera intrinsics, a warm-up as
    long as the training, batch-norm statistics recomputed on the labelled windows alone."""
    semi, problems = settings["semi_supervised"], []
    unlabelled = semi["subjects_unlabelled"]
    for role, what in (("subjects_train", "labelled"), ("subjects_test", "test")):
        overlap = sorted(set(unlabelled) & set(settings[role]))
        if overlap:
            problems.append(f"{where}: unlabelled subject(s) {', '.join(overlap)} are also {what} subjects ({role})")
    if data is not None:
        unread = [s for s in unlabelled if s not in data["subjects"]]
        if unread:
            problems.append(f"{where}: unlabelled subject(s) {', '.join(unread)} are not read "
                            f"(data.subjects: {', '.join(data['subjects'])})")
    if dataset is not None and not dataset.has_intrinsics:
        problems.append(f"{where}: semi-supervised training projects through the cameras, and {dataset.title}'s "
                        f"camera intrinsics are not published (unlabelled 2D without cameras)")
    if semi["warmup"] >= settings["baseline_epochs"]:
        problems.append(f"{where}: a warm-up of {semi['warmup']} epoch(s) leaves none of the baseline's "
                        f"{settings['baseline_epochs']} epochs semi-supervised")
    if settings["bn_statistics"] == "recomputed":
        problems.append(f"{where}: bn_statistics 'recomputed' re-estimates them on the labelled windows alone, but "
                        f"a semi-supervised model trains on labelled and unlabelled batches together; use 'running'")
    return problems
