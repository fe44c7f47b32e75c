"""VideoPose3D's npz formats: our files are byte-for-byte the kind VideoPose3D writes and reads.

The reference is reference/videopose3d-facts.md 1.1-1.3: dicts pickled into 0-d object arrays by
`np.savez_compressed`, float32 arrays, a list of 4 cameras per action, `metadata` with the symmetry
lists; and the rules of VideoPose3D's loader in `run.py`, re-implemented below from those notes.
"""

from __future__ import annotations

import copy
import zipfile

import numpy as np
import pytest

from poselift.geometry.layouts import LAYOUTS
from poselift.io.formats import FormatError, load_2d, load_3d, save_2d, save_3d
from stages import keypoints as keypoints_stage
from stages import prepare as prepare_stage
from tests.conftest import data_params

# From the reference notes, independent of poselift: cameras (id -> res_w, res_h) in file order, the
# subjects VideoPose3D's camera table knows, and the 17 joints kept of the 32.
VP3D_CAMERAS = [("54138969", 1000, 1002), ("55011271", 1000, 1000), ("58860488", 1000, 1000),
                ("60457274", 1000, 1002)]
VP3D_SUBJECTS = {"S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S11"}
VP3D_KEPT_JOINTS = [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27]


def videopose3d_load(path_3d, path_2d) -> dict:
    """VideoPose3D's loading of a 3D/2D pair (run.py, h36m_dataset.py), as assertions; returns the
    normalised 2D keypoints per subject, action and camera."""
    positions_3d = np.load(path_3d, allow_pickle=True)["positions_3d"].item()
    dataset = {}
    for subject, actions in positions_3d.items():
        assert subject in VP3D_SUBJECTS
        dataset[subject] = {}
        for action, positions in actions.items():
            assert positions.ndim == 3
            assert positions.shape[1:] == (32, 3)
            dataset[subject][action] = positions[:, VP3D_KEPT_JOINTS]  # remove_static_joints
    npz = np.load(path_2d, allow_pickle=True)
    metadata = npz["metadata"].item()
    keypoints_left, keypoints_right = metadata["keypoints_symmetry"]
    assert not set(keypoints_left) & set(keypoints_right)
    keypoints = npz["positions_2d"].item()
    for subject, actions in dataset.items():
        assert subject in keypoints, f"Subject {subject} is missing from the 2D detections dataset"
        for action, positions in actions.items():
            assert action in keypoints[subject], f"Action {action} of subject {subject} is missing"
            assert len(keypoints[subject][action]) == len(VP3D_CAMERAS)
            for cam_index, kp in enumerate(keypoints[subject][action]):
                assert kp.shape[0] >= positions.shape[0]
                keypoints[subject][action][cam_index] = kp[: positions.shape[0]]
    normalised = {}
    for subject, actions in keypoints.items():
        assert subject in VP3D_SUBJECTS
        normalised[subject] = {}
        for action, cams in actions.items():
            normalised[subject][action] = []
            for kp, (_, w, h) in zip(cams, VP3D_CAMERAS, strict=True):
                assert kp.shape[1] == metadata["num_joints"]
                normalised[subject][action].append(kp[..., :2] / w * 2 - [1, h / w])
    return normalised


def assert_videopose3d_2d(path, layout_name: str) -> None:
    """The exact structure of a 2D npz as VideoPose3D writes it (plus `layout_name`)."""
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["metadata.npy", "positions_2d.npy"]
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in z.infolist())
    with np.load(path, allow_pickle=True) as npz:
        for key in ("positions_2d", "metadata"):
            assert npz[key].dtype == object
            assert npz[key].shape == ()
        positions_2d, metadata = npz["positions_2d"].item(), npz["metadata"].item()
    assert type(positions_2d) is dict
    assert type(metadata) is dict
    assert set(metadata) == {"layout_name", "num_joints", "keypoints_symmetry"}
    assert metadata["layout_name"] == layout_name
    assert type(metadata["num_joints"]) is int
    left, right = metadata["keypoints_symmetry"]
    assert all(type(i) is int for i in [*left, *right])
    for actions in positions_2d.values():
        assert type(actions) is dict
        for cams in actions.values():
            assert type(cams) is list
            assert len(cams) == 4
            for kp in cams:
                assert type(kp) is np.ndarray
                assert kp.dtype == np.float32
                assert kp.shape[1:] == (metadata["num_joints"], 2)


def assert_videopose3d_3d(path) -> None:
    with zipfile.ZipFile(path) as z:
        assert z.namelist() == ["positions_3d.npy"]
    with np.load(path, allow_pickle=True) as npz:
        assert npz["positions_3d"].dtype == object
        assert npz["positions_3d"].shape == ()
        positions_3d = npz["positions_3d"].item()
    assert type(positions_3d) is dict
    for actions in positions_3d.values():
        assert type(actions) is dict
        for positions in actions.values():
            assert type(positions) is np.ndarray
            assert positions.dtype == np.float32
            assert positions.shape[1:] == (32, 3)


@pytest.fixture(scope="module")
def our_files(tmp_path_factory, tiny_dataset):
    """Files made by our stages: prepare (npz route on the tiny data set) and keypoints (noisy)."""
    out = tmp_path_factory.mktemp("ours")
    params = {"data": data_params()}
    prepare_stage.main(params, tiny_dataset[0], out / "data_3d_h36m.npz", out / "data_2d_h36m_gt.npz",
                       out / "prepare.json")
    noisy = {"seed": 1, "data": data_params(), "keypoints": {"source": "noisy", "import_path": None, "noisy": {
        "sigma_px": 4.0, "joint_scale": dict.fromkeys(("hip", "knee", "foot", "spine", "thorax", "neck", "head",
                                                       "shoulder", "elbow", "wrist"), 1.0),
        "temporal_correlation": 0.8, "swap_rate": 0.01, "swap_frames": 3, "miss_rate": 0.01, "miss_frames": 3,
        "miss_sigma_px": 30.0}}}
    keypoints_stage.main(noisy, out / "data_3d_h36m.npz", out / "data_2d_h36m_gt.npz", out / "data_2d_h36m_noisy.npz",
                         out / "keypoints_noisy.json")
    return out


def test_prepared_files_have_videopose3d_structure(our_files):
    assert_videopose3d_3d(our_files / "data_3d_h36m.npz")
    assert_videopose3d_2d(our_files / "data_2d_h36m_gt.npz", "h36m")
    assert_videopose3d_2d(our_files / "data_2d_h36m_noisy.npz", "h36m")


@pytest.mark.parametrize("source", ["gt", "noisy"])
def test_videopose3d_loader_accepts_our_files(our_files, source):
    normalised = videopose3d_load(our_files / "data_3d_h36m.npz", our_files / f"data_2d_h36m_{source}.npz")
    assert set(normalised) == {"S1", "S5", "S9"}
    kp = normalised["S9"]["Sitting 2"][0]
    assert np.abs(kp).max() < 1.5  # on screen: normalised coordinates in [-1, 1]


def test_videopose3d_loader_rules_catch_a_missing_action(our_files, tmp_path):
    positions_2d, metadata = load_2d(our_files / "data_2d_h36m_gt.npz")
    del positions_2d["S5"]["Walking 1"]
    save_2d(tmp_path / "bad.npz", positions_2d, metadata)
    with pytest.raises(AssertionError, match="Action Walking 1 of subject S5 is missing"):
        videopose3d_load(our_files / "data_3d_h36m.npz", tmp_path / "bad.npz")


def test_round_trip_3d(tmp_path):
    rng = np.random.default_rng(0)
    data = {"S1": {"Walking 1": rng.normal(size=(5, 32, 3)), "Photo": rng.normal(size=(3, 32, 3))},
            "S9": {"Sitting 2": rng.normal(size=(4, 32, 3)).astype(np.float32)}}
    save_3d(tmp_path / "d3.npz", data)
    back = load_3d(tmp_path / "d3.npz")
    assert list(back) == ["S1", "S9"]
    assert list(back["S1"]) == ["Walking 1", "Photo"]
    for subject, actions in data.items():
        for action, positions in actions.items():
            assert back[subject][action].dtype == np.float32
            np.testing.assert_array_equal(back[subject][action], positions.astype(np.float32))
    assert_videopose3d_3d(tmp_path / "d3.npz")


def test_round_trip_2d(tmp_path):
    rng = np.random.default_rng(1)
    data = {"S2": {"Eating": [rng.uniform(0, 1000, size=(6, 16, 2)) for _ in range(4)]}}
    save_2d(tmp_path / "d2.npz", data, LAYOUTS["mpii"].metadata())
    back, metadata = load_2d(tmp_path / "d2.npz")
    assert metadata == LAYOUTS["mpii"].metadata()
    for got, sent in zip(back["S2"]["Eating"], data["S2"]["Eating"], strict=True):
        np.testing.assert_array_equal(got, sent.astype(np.float32))
    assert_videopose3d_2d(tmp_path / "d2.npz", "mpii")


def test_files_written_by_videopose3d_load_here(tmp_path):
    positions_3d = {"S11": {"WalkDog 1": np.zeros((3, 32, 3), dtype=np.float32)}}
    positions_2d = {"S11": {"WalkDog 1": [np.zeros((4, 17, 2), dtype=np.float32)] * 4}}
    vp3d_gt_metadata = {"num_joints": 17, "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}
    np.savez_compressed(tmp_path / "d3.npz", positions_3d=positions_3d)
    np.savez_compressed(tmp_path / "d2.npz", positions_2d=positions_2d, metadata=vp3d_gt_metadata)
    assert load_3d(tmp_path / "d3.npz")["S11"]["WalkDog 1"].shape == (3, 32, 3)
    back, metadata = load_2d(tmp_path / "d2.npz")
    assert metadata == vp3d_gt_metadata
    assert len(back["S11"]["WalkDog 1"]) == 4


def test_same_content_same_bytes(tmp_path):
    data = {"S1": {"Walking": np.arange(32 * 3 * 2, dtype=np.float32).reshape(2, 32, 3)}}
    save_3d(tmp_path / "a.npz", data)
    save_3d(tmp_path / "b.npz", copy.deepcopy(data))
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


@pytest.mark.parametrize("damage", ["truncated", "junk"])
def test_damaged_files_raise_format_error(tmp_path, damage):
    save_3d(tmp_path / "whole.npz", {"S1": {"Walking": np.zeros((100, 32, 3))}})
    data = (tmp_path / "whole.npz").read_bytes()[:300] if damage == "truncated" else b"not an npz file"
    (tmp_path / "damaged.npz").write_bytes(data)
    with pytest.raises(FormatError, match=r"damaged\.npz: not a readable npz file"):
        load_3d(tmp_path / "damaged.npz")


def test_load_errors_name_the_file(tmp_path):
    np.savez_compressed(tmp_path / "plain.npz", positions_3d=np.zeros(3))
    with pytest.raises(FormatError, match=r"plain\.npz: 'positions_3d' is an array of shape \(3,\)"):
        load_3d(tmp_path / "plain.npz")
    with pytest.raises(FormatError, match=r"plain\.npz: no key 'positions_2d'"):
        load_2d(tmp_path / "plain.npz")
