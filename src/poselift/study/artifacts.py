"""Reading a run's artifacts for the report: evaluation summaries, per-sequence rows and training histories,
each checked to be what it claims (its experiment and model, complete epochs, the actions it must cover)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from poselift.datasets.description import Dataset
from poselift.lifting.aggregation import METRICS
from poselift.study.models import BASELINE, model_actions
from poselift.study.tables import ExperimentRuns, RoutingRuns

HISTORY_COLUMNS = ("experiment", "model", "epoch", "epochs", "train_frames", "train_wall_s", "cum_train_wall_s",
                   "test_mpjpe", "test_mpjve")
SEMI_SUPERVISED_COLUMNS = ("unlabelled_frames",)  # and those of a semi-supervised job (older supervised ones lack it)
ROW_COLUMNS = ("experiment", "model", "subject", "action", "base_action", "sub_action", "camera", "frames",
               *METRICS)
KINDS = {"summary": "evaluate", "rows": "evaluate", "history": "train"}  # artifact -> the stage writing it

JobFiles = Mapping[str, Path]  # artifact kind (KINDS) -> path


def check_inputs(files: Mapping[str, Mapping[str, JobFiles]]) -> list[Path]:
    """All input files (experiment -> model -> kind -> path) in reading order; FileNotFoundError naming every
    missing one and the stage that writes it."""
    paths, missing = [], []
    for experiment, models in files.items():
        for model, kinds in models.items():
            for kind, path in kinds.items():
                paths.append(path)
                if not path.is_file():
                    missing.append(f"  {path} ({KINDS[kind]} output of experiment {experiment}, model {model})")
    if missing:
        raise FileNotFoundError(f"report: {len(missing)} input file(s) missing:\n" + "\n".join(missing))
    return paths


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], path: Path) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"{path}: missing column(s) {', '.join(absent)}")


def load_summary(path: Path, experiment: str, model: str, dataset: Dataset) -> dict[str, Any]:
    try:
        summary = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from err
    for key in ("experiment", "model", "per_action", "average"):
        if key not in summary:
            raise ValueError(f"{path}: no key {key!r}")
    if (summary["experiment"], summary["model"]) != (experiment, model):
        raise ValueError(f"{path}: holds experiment {summary['experiment']!r}, model {summary['model']!r}; "
                         f"expected {experiment!r}, {model!r}")
    for action in model_actions(model, dataset):
        values = summary["per_action"].get(action)
        if values is None:
            raise ValueError(f"{path}: per_action lacks action {action}")
        absent = [m for m in (*METRICS, "frames") if m not in values]
        if absent:
            raise ValueError(f"{path}: per_action[{action}] lacks {', '.join(absent)}")
    return summary


def load_rows(path: Path, experiment: str, model: str, dataset: Dataset) -> pd.DataFrame:
    rows = pd.read_parquet(path)
    _require_columns(rows, ROW_COLUMNS, path)
    actions = set(rows["base_action"])
    if actions != set(model_actions(model, dataset)):
        raise ValueError(f"{path}: rows cover actions {sorted(actions)}; model {model} is scored on "
                         f"{', '.join(model_actions(model, dataset))}")
    return rows


def load_history(path: Path, experiment: str, model: str, table4_action: str, semi_supervised: bool) -> pd.DataFrame:
    history = pd.read_parquet(path)
    columns = (HISTORY_COLUMNS + ((f"test_mpjpe_{table4_action}",) if model == BASELINE else ())
               + (SEMI_SUPERVISED_COLUMNS if semi_supervised else ()))
    _require_columns(history, columns, path)
    if history.empty:
        raise ValueError(f"{path}: no epochs in the training history")
    history = history.sort_values("epoch", kind="stable").reset_index(drop=True)
    epochs = int(history["epochs"].iloc[0])
    if (history["epochs"] != epochs).any() or history["epoch"].tolist() != list(range(1, epochs + 1)):
        raise ValueError(f"{path}: expected epochs 1..{epochs} once each (an unfinished job?), "
                         f"found {history['epoch'].min()}..{history['epoch'].max()} in {len(history)} rows")
    if pd.isna(history["test_mpjpe"].iloc[-1]) or pd.isna(history["test_mpjve"].iloc[-1]):
        raise ValueError(f"{path}: the last epoch ({epochs}) has no test evaluation")
    names = set(history["experiment"]), set(history["model"])
    if names != ({experiment}, {model}):
        raise ValueError(f"{path}: holds experiment(s) {sorted(names[0])}, model(s) {sorted(names[1])}; "
                         f"expected {experiment!r}, {model!r}")
    return history


def load_experiment(experiment: str, settings: Mapping[str, Any], files: Mapping[str, JobFiles],
                    dataset: Dataset, table4_action: str, routing: RoutingRuns | None = None) -> ExperimentRuns:
    """Every artifact of one experiment instance; `files`: model -> kind -> path."""
    summaries, rows, histories = {}, {}, {}
    for model, paths in files.items():
        summaries[model] = load_summary(paths["summary"], experiment, model, dataset)
        rows[model] = load_rows(paths["rows"], experiment, model, dataset)
        histories[model] = load_history(paths["history"], experiment, model, table4_action,
                                        settings["semi_supervised"] is not None)
    return ExperimentRuns(name=experiment, dataset=dataset, settings=settings, summaries=summaries, rows=rows,
                          histories=histories, routing=routing)


DETECTOR_HISTORY_COLUMNS = ("epoch", "lr", "train_loss", "samples_per_s", "cum_train_wall_s", "test_frames",
                            "test_mean_px", "test_median_px", "test_p95_px")  # finetune_cpn's, per epoch


def load_detector_history(path: Path) -> pd.DataFrame:
    """The fine-tuned CPN's history (finetune_cpn), epochs 1..n once each, sorted."""
    history = pd.read_parquet(path)
    _require_columns(history, DETECTOR_HISTORY_COLUMNS, path)
    history = history.sort_values("epoch", kind="stable").reset_index(drop=True)
    if history.empty or history["epoch"].tolist() != list(range(1, len(history) + 1)):
        raise ValueError(f"{path}: expected epochs 1..n once each, found {history['epoch'].tolist()}")
    return history


def load_record(path: Path, stage: str | None = None) -> dict[str, Any]:
    """A JSON record a stage wrote (prepare's provenance, keypoints' report)."""
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from err
    if stage is not None and record.get("stage") != stage:
        raise ValueError(f"{path}: not a record of the {stage} stage")
    return record


ROUTING_KINDS = ("summary", "routes", "transfer", "classification", "history")  # the route and classifier outputs


def load_routing(experiment: str, files: JobFiles, dataset: Dataset) -> RoutingRuns:
    """The routing outputs of one experiment instance (`files`: ROUTING_KINDS -> path), each checked to be
    that instance's and to cover every study action."""
    missing = [f"  {path} ({kind} of the routing of {experiment})" for kind, path in files.items()
               if not Path(path).is_file()]
    if missing:
        raise FileNotFoundError("report: routing input file(s) missing:\n" + "\n".join(missing))
    summary = load_record(Path(files["summary"]))
    if summary.get("experiment") != experiment:
        raise ValueError(f"{files['summary']}: holds experiment {summary.get('experiment')!r}; expected {experiment!r}")
    frames = {}
    for kind in ("routes", "transfer", "classification"):
        frame = pd.read_parquet(files[kind])
        if set(frame["experiment"]) != {experiment}:
            raise ValueError(f"{files[kind]}: holds experiment(s) {sorted(set(frame['experiment']))}; "
                             f"expected {experiment!r}")
        if set(frame["base_action"]) != set(dataset.study_actions):
            raise ValueError(f"{files[kind]}: covers actions {sorted(set(frame['base_action']))}, not the "
                             f"{len(dataset.study_actions)} study actions")
        frames[kind] = frame
    history = pd.read_parquet(files["history"])
    if set(history["experiment"]) != {experiment} or set(history["model"]) != {"classifier"}:
        raise ValueError(f"{files['history']}: not the classifier history of {experiment}")
    return RoutingRuns(summary=summary, routes=frames["routes"], transfer=frames["transfer"],
                       classification=frames["classification"], history=history)
