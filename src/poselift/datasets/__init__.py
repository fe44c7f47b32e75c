"""Data sets: one description each (`h36m`, `humaneva`), and the embedded `synthetic` generator.

The rest of the library and the stages take a `Dataset` from here (`get_dataset(params["data"]["dataset"])`)
and never name a particular data set.
"""

from __future__ import annotations

from poselift.datasets.description import Dataset
from poselift.datasets.h36m import H36M
from poselift.datasets.humaneva import HUMANEVA

DATASETS: dict[str, Dataset] = {d.key: d for d in (H36M, HUMANEVA)}


def get_dataset(key: str) -> Dataset:
    try:
        return DATASETS[key]
    except KeyError:
        raise ValueError(f"unknown data set {key!r}; known: {', '.join(DATASETS)}") from None
