"""The `prepare` stage: raw CDF/h5 trees and VideoPose3D npz files -> VideoPose3D's 3D and gt 2D files.

Reference behaviour (VideoPose3D's `prepare_data_h36m.py`, see reference/videopose3d-facts.md 1.2):
30 files per subject, `TakingPhoto` -> `Photo`, `WalkingDog` -> `WalkDog`, S11 `Directions` dropped,
millimetres / 1000 as float32; gt 2D = 17 joints -> world_to_camera -> distorted projection -> pixels.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from cdflib.cdfwrite import CDF as CDFWriter

from poselift.datasets.h36m import H36M, calibration
from poselift.datasets.h36m.names import S1_SEQUENCES, raw_sequence_name
from poselift.datasets.h36m.raw import (
    CDF_SUBDIR,
    H5_SUBDIR,
    RawDataError,
    read_raw_tree,
    write_pose_cdf,
    write_pose_h5,
)
from poselift.datasets.prepare import ground_truth_2d, normalise_3d
from poselift.datasets.synthetic.dataset import SEQUENCES, generate_sequence, subject_style
from poselift.datasets.validation import ValidationError
from poselift.io.atomic import sha256_file
from poselift.io.formats import load_2d, load_3d, save_3d
from stages import _cli
from stages import prepare as prepare_stage
from stages import synthesize as synthesize_stage
from tests.conftest import data_params

ROOT = Path(__file__).resolve().parent.parent
FRAMES = 6
SUBDIR = {"cdf": CDF_SUBDIR, "h5": H5_SUBDIR}
WRITER = {"cdf": write_pose_cdf, "h5": write_pose_h5}
# VideoPose3D's 17 kept joints of the 32 (reference notes 1.3), written out independently of poselift.skeleton.
KEPT_17 = [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27]


def raw_poses(rng: np.random.Generator, frames: int = FRAMES) -> np.ndarray:
    """(frames, 32, 3) millimetres: a body-sized cloud of joints near the origin, random-walking."""
    body = rng.uniform([-300, -300, 0], [300, 300, 1800], size=(32, 3))
    walk = np.cumsum(rng.normal(0, 8, size=(frames, 1, 3)), axis=0) + rng.normal(0, 3, size=(frames, 32, 3))
    return body + walk


def write_raw_tree(root: Path, fmt: str, subjects=("S1", "S11"), seed: int = 0) -> dict:
    """A raw tree with Human3.6M's 30 sequence files per subject; returns {(subject, raw name): poses mm}."""
    rng = np.random.default_rng(seed)
    written = {}
    for subject in subjects:
        for name in S1_SEQUENCES:
            raw = raw_sequence_name(name)
            poses = raw_poses(rng)
            WRITER[fmt](root / subject / SUBDIR[fmt] / f"{raw}.{fmt}", poses)
            written[subject, raw] = poses
    return written


@pytest.fixture(scope="module", params=["cdf", "h5"])
def raw_tree(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"raw_{request.param}")
    return request.param, root, write_raw_tree(root, request.param)


@pytest.fixture
def cdf_tree(tmp_path):
    root = tmp_path / "raw"
    return root, write_raw_tree(root, "cdf")


def params(source: str = "cdf", subjects=("S1", "S11")) -> dict:
    return {"data": data_params(source, subjects)}


def test_raw_tree_round_trip_renames_drops_and_converts(raw_tree):
    fmt, root, written = raw_tree
    positions_3d = read_raw_tree(root, fmt, ["S1", "S11"])
    assert list(positions_3d) == ["S1", "S11"]
    assert len(positions_3d["S1"]) == 30
    assert len(positions_3d["S11"]) == 29  # S11 Directions dropped
    assert "Directions" not in positions_3d["S11"]
    assert "Directions 1" in positions_3d["S11"]
    assert {"Photo", "Photo 1", "WalkDog", "WalkDog 1"} <= set(positions_3d["S1"])
    assert not any(a.startswith(("TakingPhoto", "WalkingDog")) for a in positions_3d["S1"])
    for (subject, raw), poses_mm in written.items():
        action = raw.replace("TakingPhoto", "Photo").replace("WalkingDog", "WalkDog")
        if (subject, action) == ("S11", "Directions"):
            continue
        got = positions_3d[subject][action]
        assert got.dtype == np.float32
        assert got.shape == (FRAMES, 32, 3)
        np.testing.assert_allclose(got, poses_mm / 1000, rtol=1e-6, atol=1e-7, err_msg=f"{subject} {raw}")


def test_missing_subject_names_its_folder(cdf_tree):
    root, _ = cdf_tree
    with pytest.raises(RawDataError, match=r"S5/MyPoseFeatures/D3_Positions: missing"):
        read_raw_tree(root, "cdf", ["S1", "S5"])


def test_wrong_file_count_names_the_folder(cdf_tree):
    root, _ = cdf_tree
    (root / "S1" / CDF_SUBDIR / "Eating.cdf").unlink()
    with pytest.raises(RawDataError, match=r"S1/MyPoseFeatures/D3_Positions: 29 \.cdf files, expected 30"):
        read_raw_tree(root, "cdf", ["S1"])


@pytest.mark.parametrize("fmt", ["cdf", "h5"])
def test_unreadable_file_is_named(tmp_path, fmt):
    write_raw_tree(tmp_path, fmt, subjects=("S1",))
    bad = tmp_path / "S1" / SUBDIR[fmt] / f"Smoking 1.{fmt}"
    bad.write_bytes(b"this is not a pose file" * 10)
    with pytest.raises(RawDataError) as err:
        read_raw_tree(tmp_path, fmt, ["S1"])
    assert str(bad) in str(err.value)
    assert "not a readable" in str(err.value)


def test_variable_of_wrong_shape_is_named(tmp_path):
    write_raw_tree(tmp_path, "cdf", subjects=("S1",))
    bad_cdf = tmp_path / "S1" / CDF_SUBDIR / "Waiting.cdf"
    bad_cdf.unlink()
    writer = CDFWriter(str(bad_cdf), cdf_spec={"Majority": "Row_major", "Encoding": 6}, delete=True)
    writer.write_var({"Variable": "Pose", "Data_Type": 21, "Num_Elements": 1, "Rec_Vary": True, "Dim_Sizes": [5, 64]},
                     var_attrs={}, var_data=np.zeros((1, 5, 64), dtype=np.float32))  # a D2_Positions-like file
    writer.close()
    with pytest.raises(RawDataError, match=r"Waiting\.cdf: variable 'Pose' has shape \(1, 5, 64\)"):
        read_raw_tree(tmp_path, "cdf", ["S1"])


def test_h5_dataset_of_wrong_shape_is_named(tmp_path):
    write_raw_tree(tmp_path, "h5", subjects=("S1",))
    bad = tmp_path / "S1" / H5_SUBDIR / "Posing.h5"
    with h5py.File(bad, "w") as f:
        f.create_dataset("3D_positions", data=np.zeros((64, 5)))
    with pytest.raises(RawDataError, match=r"Posing\.h5: dataset '3D_positions' has shape \(64, 5\)"):
        read_raw_tree(tmp_path, "h5", ["S1"])


def test_non_finite_values_are_named(cdf_tree):
    root, written = cdf_tree
    poses = written["S1", "Greeting"].copy()
    poses[3, 7, 1] = np.nan
    write_pose_cdf(root / "S1" / CDF_SUBDIR / "Greeting.cdf", poses)
    with pytest.raises(RawDataError, match=r"Greeting\.cdf: non-finite values .* first at frame 3"):
        read_raw_tree(root, "cdf", ["S1"])


def test_all_problems_reported_at_once(cdf_tree):
    root, _ = cdf_tree
    (root / "S1" / CDF_SUBDIR / "Eating.cdf").rename(root / "S1" / CDF_SUBDIR / "Dancing.cdf")
    (root / "S11" / CDF_SUBDIR / "Eating.cdf").unlink()
    with pytest.raises(RawDataError) as err:
        read_raw_tree(root, "cdf", ["S1", "S5", "S11"])
    message = str(err.value)
    assert "3 problem(s)" in message
    assert "Dancing.cdf: 'Dancing' is not a Human3.6M action name" in message
    assert "S5/MyPoseFeatures/D3_Positions: missing" in message
    assert "S11/MyPoseFeatures/D3_Positions: 29 .cdf files" in message


def test_raw_and_renamed_names_of_one_action_collide(cdf_tree):
    root, _ = cdf_tree
    folder = root / "S1" / CDF_SUBDIR
    (folder / "Eating.cdf").rename(folder / "Photo.cdf")  # now 'Photo' and 'TakingPhoto' both exist
    with pytest.raises(RawDataError, match=r"TakingPhoto\.cdf: same action 'Photo' as Photo\.cdf"):
        read_raw_tree(root, "cdf", ["S1"])


def test_subject_without_3d_is_refused(cdf_tree):
    root, _ = cdf_tree
    with pytest.raises(RawDataError, match=r"subject S2: Human3\.6M has 3D poses"):
        read_raw_tree(root, "cdf", ["S1", "S2"])


def test_hidden_leftovers_are_ignored(cdf_tree):
    root, _ = cdf_tree
    (root / "S1" / CDF_SUBDIR / ".Walking.cdf.x1y2.cdf").write_bytes(b"partial")  # an interrupted atomic write
    assert len(read_raw_tree(root, "cdf", ["S1"])["S1"]) == 30


def _quaternion_matrix(q) -> np.ndarray:
    """3x3 rotation matrix of a unit quaternion (w, x, y, z)."""
    w, x, y, z = np.asarray(q, dtype=np.float64) / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


def reference_pixels(world_mm: np.ndarray, subject: str, camera: int) -> np.ndarray:
    """Float64 re-implementation of VideoPose3D's projection in pixel units, from the raw calibration.

    Camera frame: R^T (X - t). Distortion as VideoPose3D's `project_to_2d`: with (x, y) = X/Z and
    r2 = x^2 + y^2, x_d = x (1 + k1 r2 + k2 r2^2 + k3 r2^3 + p1 x + p2 y) + p1 r2 (y alike with p2);
    pixels u = f_x x_d + c_x (the normalised units of VideoPose3D cancel out).
    """
    intr = calibration.INTRINSICS[calibration.CAMERA_IDS[camera]]
    q, t = calibration.EXTRINSICS[subject][camera]
    cam = (world_mm - np.asarray(t)) @ _quaternion_matrix(q)  # row vectors: R^T (X - t), mm
    xy = cam[..., :2] / cam[..., 2:]
    assert np.abs(xy).max() < 1, "points must be in view (VideoPose3D clamps x/z to [-1, 1])"
    k1, k2, k3 = intr["radial_distortion"]
    p = np.asarray(intr["tangential_distortion"])
    r2 = np.sum(xy**2, axis=-1, keepdims=True)
    radial = 1 + k1 * r2 + k2 * r2**2 + k3 * r2**3
    tangential = np.sum(p * xy, axis=-1, keepdims=True)
    distorted = xy * (radial + tangential) + p * r2
    return np.asarray(intr["focal_length"]) * distorted + np.asarray(intr["center"])


def test_gt_2d_equals_an_independent_projection(raw_tree):
    fmt, root, written = raw_tree
    positions_2d = ground_truth_2d(read_raw_tree(root, fmt, ["S1", "S11"]), H36M)
    worst = 0.0
    for (subject, raw), poses_mm in written.items():
        action = raw.replace("TakingPhoto", "Photo").replace("WalkingDog", "WalkDog")
        if (subject, action) == ("S11", "Directions"):
            assert action not in positions_2d[subject]
            continue
        cams = positions_2d[subject][action]
        assert isinstance(cams, list)
        assert len(cams) == 4
        for camera, kp in enumerate(cams):
            assert kp.dtype == np.float32
            assert kp.shape == (FRAMES, 17, 2)
            expected = reference_pixels(poses_mm[:, KEPT_17].astype(np.float32).astype(np.float64), subject, camera)
            worst = max(worst, float(np.abs(kp - expected).max()))
    assert worst < 1e-3


def test_stage_writes_both_files(tmp_path, cdf_tree):
    root, written = cdf_tree
    out_3d, out_2d = tmp_path / "out" / "data_3d_h36m.npz", tmp_path / "out" / "data_2d_h36m_gt.npz"
    prepare_stage.main(params(), root, out_3d, out_2d, out_3d.with_name("prepare.json"))
    positions_3d = load_3d(out_3d)
    positions_2d, metadata = load_2d(out_2d)
    assert metadata == {"layout_name": "h36m", "num_joints": 17,
                        "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}
    np.testing.assert_allclose(positions_3d["S1"]["Photo 1"], written["S1", "TakingPhoto 1"] / 1000, rtol=1e-6)
    assert {s: set(a) for s, a in positions_2d.items()} == {s: set(a) for s, a in positions_3d.items()}
    assert sorted(p.name for p in out_3d.parent.iterdir()) == ["data_2d_h36m_gt.npz", "data_3d_h36m.npz",
                                                               "prepare.json"]
    record = json.loads((out_3d.parent / "prepare.json").read_text())
    assert record["dataset"] == "h36m" and record["source"] == "cdf" and record["read"] == str(root)
    assert record["outputs"]["data_3d"] == {"path": str(out_3d), "sha256": sha256_file(out_3d)}
    assert record["outputs"]["data_2d_gt"] == {"path": str(out_2d), "sha256": sha256_file(out_2d)}
    assert record["sequences"] == 59 and record["subjects"] == ["S1", "S11"]


def test_stage_writes_nothing_on_error(tmp_path, cdf_tree):
    root, _ = cdf_tree
    (root / "S11" / CDF_SUBDIR / "Sitting 2.cdf").write_bytes(b"garbage")
    out_3d, out_2d = tmp_path / "out" / "data_3d_h36m.npz", tmp_path / "out" / "data_2d_h36m_gt.npz"
    out_3d.parent.mkdir()
    out_3d.write_bytes(b"old 3D")
    with pytest.raises(RawDataError, match=r"Sitting 2\.cdf"):
        prepare_stage.main(params(), root, out_3d, out_2d, out_3d.with_name("prepare.json"))
    assert out_3d.read_bytes() == b"old 3D"
    assert sorted(p.name for p in out_3d.parent.iterdir()) == ["data_3d_h36m.npz"]


def test_stage_reads_h5_tree(tmp_path):
    written = write_raw_tree(tmp_path / "h36m", "h5", subjects=("S9",))
    out_3d, out_2d = tmp_path / "d3.npz", tmp_path / "d2.npz"
    prepare_stage.main(params("h5", ["S9"]), tmp_path / "h36m", out_3d, out_2d,
                       out_3d.with_name("prepare.json"))
    np.testing.assert_allclose(load_3d(out_3d)["S9"]["WalkDog"], written["S9", "WalkingDog"] / 1000, rtol=1e-6)


def test_synthesize_then_prepare_gives_back_the_generator_poses(tmp_path):
    seed, frames = 3, 64
    synthetic = {"frames": frames, "subjects": ["S1", "S11"], "figure_frames": 1}
    synthesize_stage.main({"seed": seed, "data": data_params("synthetic"), "synthetic": synthetic}, tmp_path / "raw",
                          tmp_path / "motions.png")
    out_3d, out_2d = tmp_path / "d3.npz", tmp_path / "d2.npz"
    prepare_stage.main(params("synthetic"), tmp_path / "raw", out_3d, out_2d,
                       out_3d.with_name("prepare.json"))
    positions_3d = load_3d(out_3d)
    positions_2d, _ = load_2d(out_2d)
    worst_px = 0.0
    for subject in ("S1", "S11"):
        style = subject_style(seed, subject)
        expected_actions = [s for s in SEQUENCES if (subject, s) != ("S11", "Directions")]
        assert sorted(positions_3d[subject]) == sorted(expected_actions)
        for sequence in expected_actions:
            generated_mm = generate_sequence(seed, subject, sequence, frames, style)  # (N, 32, 3), mm
            np.testing.assert_allclose(positions_3d[subject][sequence], generated_mm / 1000, rtol=0, atol=1e-6,
                                       err_msg=f"{subject} {sequence}")
            for camera, kp in enumerate(positions_2d[subject][sequence]):
                expected_px = reference_pixels(generated_mm[:, KEPT_17].astype(np.float32).astype(np.float64),
                                               subject, camera)
                worst_px = max(worst_px, float(np.abs(kp - expected_px).max()))
    assert worst_px < 1e-3


def videopose3d_3d_dict(rng) -> dict:
    """A data_3d_h36m.npz as someone may have it: float64, raw names, S11 Directions still in."""
    return {
        "S1": {"TakingPhoto 1": raw_poses(rng) / 1000, "Walking": raw_poses(rng) / 1000},
        "S11": {"Directions": raw_poses(rng) / 1000, "WalkingDog 1": raw_poses(rng) / 1000},
    }


def test_npz_route_normalises(tmp_path):
    source = videopose3d_3d_dict(np.random.default_rng(1))
    path = tmp_path / "vp3d" / "data_3d_h36m.npz"
    path.parent.mkdir()
    np.savez_compressed(path, positions_3d=source)  # as VideoPose3D writes it (float64 kept here)
    out_3d, out_2d = tmp_path / "d3.npz", tmp_path / "d2.npz"
    prepare_stage.main(params("npz"), path, out_3d, out_2d, out_3d.with_name("prepare.json"))
    positions_3d = load_3d(out_3d)
    assert {s: sorted(a) for s, a in positions_3d.items()} == {"S1": ["Photo 1", "Walking"], "S11": ["WalkDog 1"]}
    assert positions_3d["S1"]["Photo 1"].dtype == np.float32
    np.testing.assert_allclose(positions_3d["S11"]["WalkDog 1"], source["S11"]["WalkingDog 1"], rtol=1e-6)
    assert set(load_2d(out_2d)[0]["S11"]) == {"WalkDog 1"}


def test_npz_route_rejects_bad_files(tmp_path):
    source = videopose3d_3d_dict(np.random.default_rng(2))
    source["S1"]["Walking"][2, 5, 0] = np.nan
    source["S11"]["WalkingDog 1"] = source["S11"]["WalkingDog 1"][:, :17]
    with pytest.raises(ValidationError) as err:
        normalise_3d(source, "in.npz", ["S1", "S5", "S11"], H36M)
    message = str(err.value)
    assert "in.npz, subject S5: subject missing" in message
    assert "in.npz, subject S1, action 'Walking': 3D poses has 1 non-finite values" in message
    assert "in.npz, subject S11, action 'WalkingDog 1': 3D poses has shape (6, 17, 3), expected (N, 32, 3)" in message


def test_npz_route_keeps_only_the_chosen_subjects(tmp_path):
    path = tmp_path / "data_3d_h36m.npz"
    save_3d(path, videopose3d_3d_dict(np.random.default_rng(3)))
    out_3d, out_2d = tmp_path / "d3.npz", tmp_path / "d2.npz"
    prepare_stage.main(params("npz", ["S11"]), path, out_3d, out_2d, out_3d.with_name("prepare.json"))
    assert list(load_3d(out_3d)) == ["S11"]


def test_cli_help():
    run = subprocess.run([sys.executable, "-m", "stages.prepare", "--help"], cwd=ROOT, capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0
    assert "--out-3d" in run.stdout


def test_cli_error_exit(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["prepare", "--params", json.dumps(params(subjects=["S1"])), "--source",
                                      str(tmp_path / "nowhere"), "--out-3d", str(tmp_path / "a.npz"), "--out-2d",
                                      str(tmp_path / "b.npz"), "--provenance", str(tmp_path / "p.json")])
    with pytest.raises(SystemExit) as exit_info:
        _cli.run(prepare_stage.cli)
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.startswith("error: raw cdf tree not found")
    assert not (tmp_path / "a.npz").exists()
