"""HumanEva-I as a second data set: its description, VideoPose3D's files in and out (split-prefixed subjects,
chunked sequence names, three cameras, `Unlabeled/...` subjects in detection files), and errors that name the
file, subject, action and camera."""

from __future__ import annotations

import re

import numpy as np
import pytest

from poselift.datasets import get_dataset
from poselift.datasets.humaneva import HUMANEVA, calibration
from poselift.datasets.prepare import ground_truth_2d, normalise_3d, normalise_gt_2d
from poselift.datasets.validation import ValidationError, check_pair
from poselift.geometry.layouts import LAYOUTS
from poselift.io.formats import load_2d, load_3d, save_2d, save_3d
from poselift.keypoints.detections import import_detections
from poselift.lifting.sequences import build_sequences, layout_symmetry

RNG = np.random.default_rng(0)
TAKES = {  # subject -> sequence -> frames, as VideoPose3D's conversion names them (chunk numbers with gaps)
    "Train/S1": {"Walking 1 chunk0": 40, "Walking 1 chunk2": 25, "Jog 1 chunk0": 30, "Box 1 chunk0": 33},
    "Validate/S2": {"Walking 1 chunk0": 35, "Jog 1 chunk0": 28, "Box 1 chunk1": 31},
}


def humaneva_files(tmp_path, cameras: int = 3):
    """A 3D and a ground-truth 2D file written as VideoPose3D's scripts write them (np.savez_compressed of
    pickled dicts), with random 15-joint poses in metres and pixels."""
    d3 = {s: {a: RNG.normal(0, 0.5, (n, 15, 3)).astype(np.float32) for a, n in takes.items()}
          for s, takes in TAKES.items()}
    d2 = {s: {a: [RNG.uniform(0, (640, 480), (n, 15, 2)).astype(np.float32) for _ in range(cameras)]
              for a, n in takes.items()} for s, takes in TAKES.items()}
    path_3d, path_2d = tmp_path / "data_3d_humaneva15.npz", tmp_path / "data_2d_humaneva15_gt.npz"
    np.savez_compressed(path_3d, positions_3d=d3)
    np.savez_compressed(path_2d, positions_2d=d2, metadata=LAYOUTS["humaneva15"].metadata())
    return path_3d, path_2d, d3, d2


def test_description_holds_videopose3d_facts():
    assert get_dataset("humaneva") is HUMANEVA and HUMANEVA.name == "humaneva15" and HUMANEVA.fps == 60
    assert HUMANEVA.skeleton.parents == (-1, 0, 1, 2, 3, 1, 5, 6, 0, 8, 9, 0, 11, 12, 1)
    assert HUMANEVA.skeleton.joints_left == (2, 3, 4, 8, 9, 10)
    assert HUMANEVA.skeleton.joints_right == (5, 6, 7, 11, 12, 13)
    assert HUMANEVA.subjects_train == ("Train/S1", "Train/S2", "Train/S3")
    assert HUMANEVA.subjects_test == ("Validate/S1", "Validate/S2", "Validate/S3")
    assert HUMANEVA.study_actions == ("Walking", "Jog", "Box")
    cameras = HUMANEVA.cameras("Validate/S2")
    assert [(c.id, c.res_w, c.res_h) for c in cameras] == [("C1", 640, 480), ("C2", 640, 480), ("C3", 640, 480)]
    np.testing.assert_allclose(cameras[1].translation, np.array([923.5740, -3877.9243, 1504.5518]) / 1000, rtol=1e-6)
    assert HUMANEVA.cameras("Train/S3")[0].orientation.tolist() == pytest.approx([0.424207, -0.4983646, -0.5802981,
                                                                                   0.4847012])
    assert not HUMANEVA.has_intrinsics and not HUMANEVA.cameras("Unlabeled/S4")[0].has_extrinsics
    assert HUMANEVA.parse_action("Walking 1 chunk2") == "Walking" and HUMANEVA.parse_action("Box 2") == "Box"
    assert HUMANEVA.parse_action("Walk 1 chunk0") is None and HUMANEVA.subject_label("Validate/S3") == "S3"
    np.testing.assert_allclose(np.concatenate([np.ravel(c) for cam in calibration.EXTRINSICS["S1"] for c in cam]),
                               np.concatenate([np.ravel(c) for cam in calibration.EXTRINSICS["S3"] for c in cam]),
                               atol=1e-3)  # VideoPose3D publishes the same rig for S1 and S3


def test_round_trip_videopose3d_files_to_ours_and_back(tmp_path):
    path_3d, path_2d, d3, d2 = humaneva_files(tmp_path)
    positions_3d = normalise_3d(load_3d(path_3d), str(path_3d), list(TAKES), HUMANEVA)
    positions_2d = normalise_gt_2d(*load_2d(path_2d), positions_3d, str(path_3d), str(path_2d), HUMANEVA)
    ours_3d, ours_2d = tmp_path / "ours_3d.npz", tmp_path / "ours_2d.npz"
    save_3d(ours_3d, positions_3d)
    save_2d(ours_2d, positions_2d, HUMANEVA.layout.metadata())
    # read back the way VideoPose3D's HumanEvaDataset and run.py do
    theirs_3d = np.load(ours_3d, allow_pickle=True)["positions_3d"].item()
    theirs = np.load(ours_2d, allow_pickle=True)
    theirs_2d, metadata = theirs["positions_2d"].item(), theirs["metadata"].item()
    assert metadata == {"layout_name": "humaneva15", "num_joints": 15,
                        "keypoints_symmetry": [[2, 3, 4, 8, 9, 10], [5, 6, 7, 11, 12, 13]]}
    for subject, takes in TAKES.items():
        assert sorted(theirs_3d[subject]) == sorted(takes) == sorted(theirs_2d[subject])
        for action in takes:
            np.testing.assert_array_equal(theirs_3d[subject][action], d3[subject][action])
            assert len(theirs_2d[subject][action]) == 3
            for ours, original in zip(theirs_2d[subject][action], d2[subject][action], strict=True):
                np.testing.assert_array_equal(ours, original)
    # and back: their writer, our reader
    again = tmp_path / "again.npz"
    np.savez_compressed(again, positions_3d=theirs_3d)
    assert load_3d(again).keys() == positions_3d.keys()


def test_sequences_go_to_camera_frame_with_the_published_extrinsics(tmp_path):
    path_3d, path_2d, _, _ = humaneva_files(tmp_path)
    positions_3d, (positions_2d, metadata) = load_3d(path_3d), load_2d(path_2d)
    _, symmetry = layout_symmetry(metadata, HUMANEVA, str(path_2d))
    sequences = build_sequences(positions_3d, positions_2d, metadata, ["Train/S1"], ["Walking"], HUMANEVA)
    assert [(s.action, s.camera_id) for s in sequences] == [
        (a, c) for a in ("Walking 1 chunk0", "Walking 1 chunk2") for c in ("C1", "C2", "C3")]
    first = sequences[0]
    assert first.base_action == "Walking" and first.poses_3d.shape == (40, 15, 3)
    assert symmetry.joints_left == (2, 3, 4, 8, 9, 10)
    # joints 1.. are root-relative in the camera frame: their distances to the root are the world ones
    world = positions_3d["Train/S1"]["Walking 1 chunk0"]
    np.testing.assert_allclose(np.linalg.norm(first.poses_3d[:, 1:], axis=-1),
                               np.linalg.norm(world[:, 1:] - world[:, :1], axis=-1), rtol=1e-4, atol=1e-6)
    # normalised screen coordinates of 640 x 480 images: x in [-1, 1], y in [-0.75, 0.75]
    assert np.abs(first.poses_2d[..., 0]).max() <= 1.0 and np.abs(first.poses_2d[..., 1]).max() <= 0.75


def test_missing_camera_and_short_camera_name_file_subject_action_and_camera(tmp_path):
    path_3d, _, _, d2 = humaneva_files(tmp_path)
    d2["Validate/S2"]["Jog 1 chunk0"] = d2["Validate/S2"]["Jog 1 chunk0"][:2]
    d2["Train/S1"]["Walking 1 chunk2"][2] = d2["Train/S1"]["Walking 1 chunk2"][2][:20]
    bad = tmp_path / "data_2d_humaneva15_bad.npz"
    np.savez_compressed(bad, positions_2d=d2, metadata=LAYOUTS["humaneva15"].metadata())
    positions_3d, (positions_2d, metadata) = load_3d(path_3d), load_2d(bad)
    problems = [str(p) for p in check_pair(positions_3d, positions_2d, metadata, str(path_3d), str(bad), HUMANEVA)]
    assert problems == [
        f"{bad}, subject Validate/S2, action 'Jog 1 chunk0': expected a list of 3 cameras, got 2",
        f"{bad}, subject Train/S1, action 'Walking 1 chunk2', camera 2 (C3): 2D has 20 frames, fewer than the 25 "
        "of the 3D poses",
    ]
    with pytest.raises(ValidationError, match=re.escape("camera 2 (C3)")):
        normalise_gt_2d(positions_2d, metadata, positions_3d, str(path_3d), str(bad), HUMANEVA)


def test_a_detection_file_with_unlabeled_subjects_imports(tmp_path):
    path_3d, _, _, _ = humaneva_files(tmp_path)
    positions_3d = load_3d(path_3d)
    detections = {s: {a: [RNG.uniform(0, 640, (n + 4, 17, 2)).astype(np.float32) for _ in range(3)]
                      for a, n in takes.items()} for s, takes in TAKES.items()}
    detections["Unlabeled/Train/S1"] = {"Walking 1 chunk1": [np.zeros((6, 17, 2), np.float32)] * 3}
    detections["Unlabeled/S4"] = {"Box 2": [np.zeros((50, 17, 2), np.float32)] * 3}
    path = tmp_path / "data_2d_humaneva15_detectron_pt_coco.npz"
    np.savez_compressed(path, positions_2d=detections, metadata=LAYOUTS["coco"].metadata())
    keypoints, metadata, notes = import_detections(path, positions_3d, str(path_3d), "detectron_pt_coco", HUMANEVA)
    assert metadata["layout_name"] == "coco"
    assert keypoints["Train/S1"]["Walking 1 chunk2"][0].shape == (25, 17, 2)  # trimmed to the 3D
    assert set(keypoints["Unlabeled/S4"]) == {"Box 2"}
    assert any("kept subject(s) without 3D poses (unlabeled): Unlabeled/S4, Unlabeled/Train/S1" in n for n in notes)
    detections["Validate/S7"] = detections.pop("Unlabeled/S4")
    np.savez_compressed(path, positions_2d=detections, metadata=LAYOUTS["coco"].metadata())
    with pytest.raises(ValidationError, match=re.escape(f"{path}, subject Validate/S7: unknown subject (no "
                                                        "HumanEva-I camera calibration)")):
        import_detections(path, positions_3d, str(path_3d), "detectron_pt_coco", HUMANEVA)


def test_ground_truth_cannot_be_projected_without_published_intrinsics(tmp_path):
    path_3d, _, _, _ = humaneva_files(tmp_path)
    with pytest.raises(ValueError, match="intrinsics are not published"):
        ground_truth_2d(load_3d(path_3d), HUMANEVA)
