"""The models of an experiment: the baseline (one model on all the study actions) and one model per action."""

from __future__ import annotations

from poselift.datasets.description import Dataset

BASELINE = "baseline"


def models(dataset: Dataset) -> tuple[str, ...]:
    """The training jobs of an experiment: the baseline, then one model per study action."""
    return (BASELINE, *dataset.study_actions)


def check_model_name(model: str, dataset: Dataset) -> None:
    if model != BASELINE and model not in dataset.study_actions:
        raise ValueError(f"unknown model {model!r}: expected {BASELINE!r} or one of the {dataset.title} study "
                         f"actions {', '.join(dataset.study_actions)}")


def model_actions(model: str, dataset: Dataset) -> tuple[str, ...]:
    """The base actions a model trains and is scored on: all study actions for the baseline, else its own."""
    check_model_name(model, dataset)
    return dataset.study_actions if model == BASELINE else (model,)
