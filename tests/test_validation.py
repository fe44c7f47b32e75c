"""Validation of 3D/2D npz pairs: every problem is found, and its message names the file, subject,
action and camera, on files damaged the ways real ones are."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from poselift.datasets.h36m import H36M
from poselift.datasets.validation import ValidationError, check_2d, check_3d, check_pair, require, trim_2d_to_3d
from poselift.geometry.layouts import LAYOUTS
from poselift.io.formats import load_2d, load_3d


@pytest.fixture(scope="module")
def pair(tiny_dataset):
    positions_3d = load_3d(tiny_dataset[0])
    positions_2d, metadata = load_2d(tiny_dataset[1])
    return positions_3d, positions_2d, metadata


def written(tmp_path: Path, positions_2d: dict, metadata: dict, name: str = "data_2d_h36m_bad.npz") -> tuple:
    """Write a 2D file as VideoPose3D does and read it back: what a validator meets in practice."""
    path = tmp_path / name
    np.savez_compressed(path, positions_2d=positions_2d, metadata=metadata)
    return (*load_2d(path), str(path))


def problems_of(tmp_path, pair, damage) -> tuple[list[str], str]:
    positions_3d, positions_2d, metadata = pair
    positions_2d, metadata = copy.deepcopy(positions_2d), copy.deepcopy(metadata)
    damage(positions_2d, metadata)
    positions_2d, metadata, file_2d = written(tmp_path, positions_2d, metadata)
    problems = check_pair(positions_3d, positions_2d, metadata, "data_3d_h36m.npz", file_2d, H36M)
    return [str(p) for p in problems], file_2d


def test_good_pair_has_no_problems(pair):
    positions_3d, positions_2d, metadata = pair
    assert check_pair(positions_3d, positions_2d, metadata, "a", "b", H36M) == []


def test_missing_subject(tmp_path, pair):
    problems, file = problems_of(tmp_path, pair, lambda d, m: d.pop("S5"))
    assert problems == [f"{file}, subject S5: subject missing: data_3d_h36m.npz has 3D poses for it"]


def test_missing_action(tmp_path, pair):
    problems, file = problems_of(tmp_path, pair, lambda d, m: d["S9"].pop("Sitting 2"))
    assert problems == [f"{file}, subject S9, action 'Sitting 2': action missing: data_3d_h36m.npz has 3D poses for it"]


def test_short_camera(tmp_path, pair):
    def damage(d, m):
        d["S1"]["Walking 2"][3] = d["S1"]["Walking 2"][3][:-5]

    problems, file = problems_of(tmp_path, pair, damage)
    frames = len(pair[0]["S1"]["Walking 2"])
    assert problems == [f"{file}, subject S1, action 'Walking 2', camera 3 (60457274): 2D has {frames - 3} frames, "
                        f"fewer than the {frames} of the 3D poses"]


def test_wrong_camera_count(tmp_path, pair):
    problems, file = problems_of(tmp_path, pair, lambda d, m: d["S5"]["SittingDown 1"].pop())
    assert problems == [f"{file}, subject S5, action 'SittingDown 1': expected a list of 4 cameras, got 3"]


def test_wrong_joint_count(tmp_path, pair):
    def damage(d, m):
        d["S9"]["Walking 1"][1] = d["S9"]["Walking 1"][1][:, :16]

    problems, file = problems_of(tmp_path, pair, damage)
    assert len(problems) == 1
    assert problems[0].startswith(f"{file}, subject S9, action 'Walking 1', camera 1 (55011271): 2D keypoints "
                                  f"(h36m layout) has shape (")
    assert problems[0].endswith(", 16, 2), expected (N, 17, 2)")


def test_nan_in_2d(tmp_path, pair):
    def damage(d, m):
        d["S1"]["Sitting 1"][0][[7, 9], 3, 1] = np.nan

    problems, file = problems_of(tmp_path, pair, damage)
    assert problems == [f"{file}, subject S1, action 'Sitting 1', camera 0 (54138969): 2D keypoints (h36m layout) "
                        f"has 2 non-finite values (NaN/inf) in 2 frame(s), first at frame 7"]


def test_unknown_subject(tmp_path, pair):
    def damage(d, m):
        d["S10"] = d["S1"]

    problems, file = problems_of(tmp_path, pair, damage)
    assert len(problems) == 1
    assert problems[0].startswith(
        f"{file}, subject S10: unknown subject (no Human3.6M camera calibration); known: S1, S11, S2")


def test_unlabeled_subjects_are_allowed(tmp_path, pair):
    def damage(d, m):
        d["S3"] = {"Eating 1": d["S1"]["Walking 1"]}

    assert problems_of(tmp_path, pair, damage)[0] == []


@pytest.mark.parametrize(("metadata", "expected"), [
    ({"layout_name": "openpose", "num_joints": 17}, "unknown 2D layout 'openpose'"),
    ({"layout_name": "h36m", "num_joints": 16}, "metadata says layout 'h36m' with 16 joints"),
    ({"num_joints": 17, "keypoints_symmetry": [[1], [2]]},
     "metadata {'num_joints': 17, 'keypoints_symmetry': [[1], [2]]} matches no known 2D layout"),
])
def test_bad_metadata(tmp_path, pair, metadata, expected):
    def damage(d, m):
        m.clear()
        m.update(metadata)

    problems, file = problems_of(tmp_path, pair, damage)
    assert len(problems) == 1
    assert problems[0].startswith(f"{file}: bad metadata: {expected}")


def test_3d_problems_name_file_subject_and_action(pair):
    positions_3d = copy.deepcopy(pair[0])
    positions_3d["S5"]["Walking 1"] = positions_3d["S5"]["Walking 1"][:, :17]
    positions_3d["S9"]["Sitting 1"][4, 0, 2] = np.inf
    positions_3d["S12"] = {}
    problems = [str(p) for p in check_3d(positions_3d, "d3.npz", H36M)]
    frames = len(positions_3d["S5"]["Walking 1"])
    assert problems[0] == f"d3.npz, subject S5, action 'Walking 1': 3D poses has shape ({frames}, 17, 3), " \
                          f"expected (N, 32, 3)"
    assert problems[1] == "d3.npz, subject S9, action 'Sitting 1': 3D poses has 1 non-finite values (NaN/inf) " \
                          "in 1 frame(s), first at frame 4"
    assert problems[2].startswith("d3.npz, subject S12: unknown subject")
    assert len(problems) == 3


def test_every_problem_is_reported_at_once(tmp_path, pair):
    def damage(d, m):
        d.pop("S5")
        d["S9"].pop("Sitting 2")
        d["S1"]["Walking 2"][3] = d["S1"]["Walking 2"][3][:3]

    problems, _ = problems_of(tmp_path, pair, damage)
    assert len(problems) == 3
    positions_3d, positions_2d, metadata = pair
    with pytest.raises(ValidationError, match=r"^1 problem\(s\):\n  - b, subject S1: subject missing"):
        require(check_pair(positions_3d, {k: v for k, v in positions_2d.items() if k != "S1"}, metadata, "a", "b",
                           H36M))


def test_check_2d_alone_accepts_other_layouts():
    keypoints = {"S2": {"Walking": [np.zeros((5, 16, 2), dtype=np.float32)] * 4}}
    assert check_2d(keypoints, LAYOUTS["mpii"].metadata(), "f", H36M) == []
    assert "expected (N, 17, 2)" in str(check_2d(keypoints, LAYOUTS["coco"].metadata(), "f", H36M)[0])


def test_trim_cuts_to_the_3d_and_keeps_unlabeled_subjects(pair):
    positions_3d, positions_2d, _ = pair
    positions_2d = {**positions_2d, "S4": {"Eating": [np.zeros((9, 17, 2))] * 4}}
    positions_2d["S1"] = {**positions_2d["S1"], "Smoking": [np.zeros((9, 17, 2))] * 4}  # no 3D: dropped
    trimmed = trim_2d_to_3d(positions_3d, positions_2d)
    assert set(trimmed["S1"]) == set(positions_3d["S1"])
    assert [len(c) for c in trimmed["S4"]["Eating"]] == [9] * 4
    for subject, actions in positions_3d.items():
        for action, poses in actions.items():
            assert [len(c) for c in trimmed[subject][action]] == [len(poses)] * 4
