"""Shared fixtures: a tiny VideoPose3D-format data set and the default parameters.

The tiny data set is not the embedded synthetic one (that is the synthesize stage's): it is a few
smooth, action-dependent motions of a 32-joint body, projected through the real cameras, small
enough for a training job to take seconds.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from poselift.datasets.h36m import H36M
from poselift.datasets.h36m.skeleton import H36M_32, reduce_to_17
from poselift.geometry.cameras import project_world_to_pixels
from poselift.geometry.layouts import LAYOUTS
from poselift.io.formats import load_2d, load_3d, save_2d, save_3d
from poselift.lifting.sequences import build_sequences, layout_symmetry

ROOT = Path(__file__).resolve().parent.parent


def rest_pose() -> np.ndarray:
    """A standing 32-joint body (32, 3), metres, world frame (z up), feet on the floor."""
    up, side = np.array([0, 0, 1.0]), np.array([1.0, 0, 0])
    offsets = {  # joint -> offset from its parent
        1: -0.13 * side, 2: -0.45 * up, 3: -0.44 * up, 4: 0.1 * np.array([0, 1.0, -0.5]), 5: 0.05 * np.array([0, 1, 0]),
        6: 0.13 * side, 7: -0.45 * up, 8: -0.44 * up, 9: 0.1 * np.array([0, 1.0, -0.5]), 10: 0.05 * np.array([0, 1, 0]),
        11: 0.01 * up, 12: 0.23 * up, 13: 0.25 * up, 14: 0.1 * up, 15: 0.12 * up,
        16: 0.01 * up, 17: 0.16 * side, 18: -0.28 * up, 19: -0.25 * up, 20: -0.05 * up, 21: -0.02 * up,
        22: -0.08 * up, 23: -0.02 * up,
        24: 0.01 * up, 25: -0.16 * side, 26: -0.28 * up, 27: -0.25 * up, 28: -0.05 * up, 29: -0.02 * up,
        30: -0.08 * up, 31: -0.02 * up,
    }
    pose = np.zeros((32, 3))
    pose[0] = [0, 0, 0.93]
    for j in range(1, 32):
        pose[j] = pose[H36M_32.parents[j]] + offsets[j]
    return pose


def make_motion(action_index: int, frames: int, rng: np.random.Generator) -> np.ndarray:
    """(frames, 32, 3) metres: the rest pose with action-specific joint oscillations and root drift."""
    t = np.arange(frames)[:, None, None] / 50.0
    freq = 0.4 + 0.15 * action_index
    amplitude = 0.05 + 0.01 * (action_index % 4)
    phases = rng.uniform(0, 2 * np.pi, size=(1, 32, 3))
    motion = rest_pose()[None] + amplitude * np.sin(2 * np.pi * freq * t + phases) * (np.arange(32) > 0)[None, :, None]
    drift = 0.3 * np.sin(2 * np.pi * 0.1 * t[..., 0] + action_index) * np.array([1.0, 0.5, 0])[None, :]
    return (motion + drift[:, None, :]).astype(np.float32)


def write_tiny_dataset(directory: Path, subjects=("S1", "S5", "S9"), actions=("Walking", "Sitting", "SittingDown"),
                       frames: int = 120, extra_2d_frames: int = 2, seed: int = 0) -> tuple[Path, Path]:
    """data_3d_h36m.npz and data_2d_h36m_gt.npz with two takes per action (`A 1`, `A 2`)."""
    rng = np.random.default_rng(seed)
    d3, d2 = {}, {}
    for subject in subjects:
        d3[subject], d2[subject] = {}, {}
        for a, action in enumerate(actions):
            for take in (1, 2):
                name = f"{action} {take}"
                positions = make_motion(a, frames + 7 * take, rng)
                d3[subject][name] = positions
                cams = []
                for cam in H36M.cameras(subject):
                    kp = project_world_to_pixels(reduce_to_17(positions), cam)
                    cams.append(np.concatenate([kp, np.repeat(kp[-1:], extra_2d_frames, axis=0)]))
                d2[subject][name] = cams
    path_3d, path_2d = directory / "data_3d_h36m.npz", directory / "data_2d_h36m_gt.npz"
    save_3d(path_3d, d3)
    save_2d(path_2d, d2, LAYOUTS["h36m"].metadata())
    return path_3d, path_2d


def data_params(source: str = "npz", subjects=("S1", "S5", "S9"), dataset: str = "h36m") -> dict:
    """A complete `data` params section (the stages need it to know the data set)."""
    return {"dataset": dataset, "source": source, "path": None, "gt_2d_path": None, "subjects": list(subjects),
            "expected_absent": []}


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> tuple[Path, Path]:
    return write_tiny_dataset(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def default_params() -> dict:
    return copy.deepcopy(yaml.safe_load((ROOT / "params.yaml").read_text()))


@pytest.fixture
def tiny_train_settings(default_params) -> dict:
    """Training settings of a seconds-long job on the tiny data set."""
    settings = dict(default_params["train"])
    settings.update(subjects_train=["S1", "S5"], subjects_test=["S9"], architecture=[3, 3], channels=32,
                    batch_size=256, baseline_epochs=3, unit_epochs=3, threads=1, device="cpu")
    return settings


@pytest.fixture(scope="module")
def one_thread():
    """One intra-op thread for a module (`pytestmark = pytest.mark.usefixtures("one_thread")`): on a 2-core
    machine more threads only contend."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


TWO_ACTIONS = ["Walking", "Sitting"]


@pytest.fixture(scope="module")
def two_action_split(tiny_dataset):
    """The tiny data set's training sequences (S1, S5) and test sequences (S9) of `TWO_ACTIONS`, and the
    layout's left-right symmetry."""
    d3, (d2, meta) = load_3d(tiny_dataset[0]), load_2d(tiny_dataset[1])
    _, symmetry = layout_symmetry(meta, H36M)
    train = build_sequences(d3, d2, meta, ["S1", "S5"], TWO_ACTIONS, H36M)
    test = build_sequences(d3, d2, meta, ["S9"], TWO_ACTIONS, H36M)
    return train, test, symmetry
