"""The `keypoints` stage: gt, the noisy detector-error model, and imported VideoPose3D detection files."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from poselift.datasets.h36m.skeleton import H36M_17
from poselift.datasets.validation import ValidationError
from poselift.geometry.layouts import LAYOUTS
from poselift.io.atomic import sha256_file
from poselift.io.formats import load_2d, load_3d
from poselift.keypoints.errors import keypoint_errors
from poselift.keypoints.noise import NoiseModel, corrupt
from stages import _cli
from stages import keypoints as keypoints_stage
from tests.conftest import data_params

ROOT = Path(__file__).resolve().parent.parent
QUIET = dict(sigma_px=0.0, joint_scale=dict.fromkeys(("hip", "knee", "foot", "spine", "thorax", "neck", "head",
                                                        "shoulder", "elbow", "wrist"), 1.0),
             temporal_correlation=0.0, swap_rate=0.0, swap_frames=1, miss_rate=0.0, miss_frames=1, miss_sigma_px=0.0)
OFFSET = np.array([3.0, 4.0], dtype=np.float32)  # a 5 px error


H36M_LAYOUT = LAYOUTS["h36m"]


def joint_type(name: str) -> str:
    """'RKnee' -> 'knee', 'Neck/Nose' -> 'neck': the key of joint_scale."""
    return {"Hip": "hip", "Spine": "spine", "Thorax": "thorax", "Neck/Nose": "neck", "Head": "head"}.get(
        name, name[1:].lower())


def model(**changes) -> NoiseModel:
    return NoiseModel.from_params({**copy.deepcopy(QUIET), **changes})


def still_keypoints(frames: int) -> np.ndarray:
    """(frames, 17, 2) pixels: a fixed h36m pose, joints at distinct places."""
    return np.tile(np.stack([np.arange(17) * 20.0 + 100, np.arange(17) * 7.0 + 300], axis=-1), (frames, 1, 1))


# --- the detector-error model -------------------------------------------------------------------

def test_quiet_model_returns_the_ground_truth():
    gt = still_keypoints(50).astype(np.float32)
    out, events = corrupt(gt, model(), np.random.default_rng(0), H36M_LAYOUT)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, gt)
    assert not events.swapped.any()
    assert not events.missed.any()


def test_noise_has_the_documented_spread_and_temporal_correlation():
    scales = {**QUIET["joint_scale"], "wrist": 2.0}
    gt = np.zeros((20000, 17, 2))
    out, _ = corrupt(gt, model(sigma_px=3.0, joint_scale=scales, temporal_correlation=0.8), np.random.default_rng(1),
                     H36M_LAYOUT)
    wrists = [H36M_17.names.index("LWrist"), H36M_17.names.index("RWrist")]
    others = [j for j in range(17) if j not in wrists]
    assert out[:, others].std() == pytest.approx(3.0, rel=0.05)
    assert out[:, wrists].std() == pytest.approx(6.0, rel=0.05)
    lag1 = np.mean(out[1:] * out[:-1]) / np.mean(out * out)
    assert lag1 == pytest.approx(0.8, abs=0.02)
    mean_error = np.linalg.norm(out[:, others], axis=-1).mean()
    assert mean_error == pytest.approx(3.0 * np.sqrt(np.pi / 2), rel=0.05)  # Rayleigh mean


def test_swaps_exchange_left_and_right_for_short_runs():
    gt = still_keypoints(20000)
    out, events = corrupt(gt, model(swap_rate=0.01, swap_frames=4), np.random.default_rng(2), H36M_LAYOUT)
    assert events.swapped.shape == (20000, 6)
    for p, (left, right) in enumerate(H36M_LAYOUT.limb_pairs()):
        frames = events.swapped[:, p]
        np.testing.assert_array_equal(out[frames, left], gt[frames, right])
        np.testing.assert_array_equal(out[frames, right], gt[frames, left])
        np.testing.assert_array_equal(out[~frames, left], gt[~frames, left])
        runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], frames.astype(int), [0]]))))[::2]
        assert runs.max() >= 7
    # Runs start as a Bernoulli process and overlapping runs merge: a frame is covered with probability
    # about 1 - exp(-rate x mean length).
    assert events.swapped.mean() == pytest.approx(1 - np.exp(-0.01 * 4), rel=0.1)
    untouched = [j for j in range(17) if j not in np.array(H36M_LAYOUT.limb_pairs()).ravel()]
    np.testing.assert_array_equal(out[:, untouched], gt[:, untouched])


def test_misses_displace_a_keypoint_for_a_few_frames():
    gt = still_keypoints(5000)
    out, events = corrupt(gt, model(miss_rate=0.01, miss_frames=4, miss_sigma_px=50.0), np.random.default_rng(3),
                          H36M_LAYOUT)
    displacement = np.linalg.norm(out - gt, axis=-1)  # (N, 17)
    assert (displacement[events.missed] > 0).all()
    assert (displacement[~events.missed] == 0).all()
    assert events.missed.mean() == pytest.approx(1 - np.exp(-0.01 * 4), rel=0.15)
    assert displacement[events.missed].mean() == pytest.approx(50 * np.sqrt(np.pi / 2), rel=0.15)
    # One offset per miss: a keypoint stays at the same wrong place from frame to frame.
    both = events.missed[1:] & events.missed[:-1]
    same = np.all(out[1:] == out[:-1], axis=-1)
    assert same[both].mean() > 0.7


def test_random_streams_do_not_depend_on_other_knobs():
    gt = still_keypoints(400)
    base, _ = corrupt(gt, model(sigma_px=2.0, temporal_correlation=0.5), np.random.default_rng(4), H36M_LAYOUT)
    with_events, events = corrupt(gt, model(sigma_px=2.0, temporal_correlation=0.5, swap_rate=0.01, swap_frames=2,
                                            miss_rate=0.01, miss_frames=2, miss_sigma_px=30.0),
                                  np.random.default_rng(4), H36M_LAYOUT)
    clean = ~events.missed
    for p, (left, right) in enumerate(H36M_LAYOUT.limb_pairs()):
        clean[events.swapped[:, p], left] = clean[events.swapped[:, p], right] = False
    assert clean.mean() > 0.9
    np.testing.assert_array_equal(base[clean], with_events[clean])


def test_seeded_noise_is_reproducible():
    gt = still_keypoints(100)
    noisy = model(sigma_px=4.0, temporal_correlation=0.8, swap_rate=0.01, swap_frames=3, miss_rate=0.01,
                  miss_frames=3, miss_sigma_px=30.0)
    a, _ = corrupt(gt, noisy, np.random.default_rng(5), H36M_LAYOUT)
    b, _ = corrupt(gt, noisy, np.random.default_rng(5), H36M_LAYOUT)
    c, _ = corrupt(gt, noisy, np.random.default_rng(6), H36M_LAYOUT)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_model_needs_h36m_keypoints():
    with pytest.raises(ValueError, match=r"expected h36m keypoints \(N, 17, 2\)"):
        corrupt(np.zeros((10, 16, 2)), model(), np.random.default_rng(0), H36M_LAYOUT)


def test_keypoint_errors_statistics():
    gt = np.zeros((10, 2, 2))
    kp = gt.copy()
    kp[:, 0] = OFFSET
    kp[:, 1, 0] = np.arange(1, 11)  # distances 1 .. 10
    errors = keypoint_errors([(kp[:4], gt[:4]), (kp[4:], gt[4:])], ["a", "b"])
    assert errors["frames"] == 10
    assert errors["per_joint"]["a"] == pytest.approx({"mean": 5.0, "median": 5.0, "p90": 5.0})
    assert errors["per_joint"]["b"] == pytest.approx({"mean": 5.5, "median": 5.5, "p90": 9.1})
    assert errors["overall"]["mean"] == pytest.approx(5.25)
    with pytest.raises(ValueError, match="2 joints but 3 names"):
        keypoint_errors([(kp, gt)], ["a", "b", "c"])


# --- the stage ------------------------------------------------------------------------------------

def stage_params(default_params, source: str, **noisy) -> dict:
    settings = copy.deepcopy(default_params["keypoints"])
    settings["source"] = source
    settings["noisy"].update(noisy)
    return {"seed": default_params["seed"], "data": data_params(), "keypoints": settings}


def run_stage(tmp_path, tiny_dataset, params, import_path=None, name="out"):
    path_3d, path_2d = tiny_dataset
    out, report = tmp_path / f"{name}.npz", tmp_path / f"{name}.json"
    keypoints_stage.main(params, path_3d, path_2d, out, report, import_path)
    return out, report


def test_gt_source_is_the_ground_truth_trimmed_to_3d(tmp_path, tiny_dataset, default_params):
    out, report_path = run_stage(tmp_path, tiny_dataset, stage_params(default_params, "gt"))
    positions_3d = load_3d(tiny_dataset[0])
    gt, _ = load_2d(tiny_dataset[1])
    keypoints, metadata = load_2d(out)
    assert metadata == LAYOUTS["h36m"].metadata()
    for subject, actions in positions_3d.items():
        for action, poses in actions.items():
            for kp, ref in zip(keypoints[subject][action], gt[subject][action], strict=True):
                assert len(ref) == len(poses) + 2  # the fixture's 2D is longer, as Human3.6M's videos
                np.testing.assert_array_equal(kp, ref[: len(poses)])
    report = json.loads(report_path.read_text())
    assert report["overall"] == {"mean": 0.0, "median": 0.0, "p90": 0.0}


def test_noisy_source(tmp_path, tiny_dataset, default_params):
    params = stage_params(default_params, "noisy")
    out, report_path = run_stage(tmp_path, tiny_dataset, params)
    positions_3d = load_3d(tiny_dataset[0])
    keypoints, metadata = load_2d(out)
    assert metadata["layout_name"] == "h36m"
    assert {s: set(a) for s, a in keypoints.items()} == {s: set(a) for s, a in positions_3d.items()}
    cams = keypoints["S1"]["Walking 1"]
    assert [c.shape for c in cams] == [(len(positions_3d["S1"]["Walking 1"]), 17, 2)] * 4
    assert all(c.dtype == np.float32 for c in cams)
    gt = load_2d(tiny_dataset[1])[0]["S1"]["Walking 1"]
    noise = [c - ref[: len(c)] for c, ref in zip(cams, gt, strict=True)]  # each camera draws its own noise
    assert np.abs(noise[0] - noise[1]).mean() > 1.0

    report = json.loads(report_path.read_text())
    assert list(report["per_joint"]) == list(H36M_17.names)
    assert report["frames"] == 4 * sum(len(p) for a in positions_3d.values() for p in a.values())
    assert report["noise_model"] == params["keypoints"]["noisy"]
    noisy = params["keypoints"]["noisy"]
    for name, stats in report["per_joint"].items():
        sigma = noisy["sigma_px"] * noisy["joint_scale"][joint_type(name)]
        assert stats["median"] == pytest.approx(sigma * np.sqrt(2 * np.log(2)), rel=0.2), name  # Rayleigh median
    assert set(report["events"]["swapped_fraction"]) == {"LHip/RHip", "LKnee/RKnee", "LFoot/RFoot",
                                                         "LShoulder/RShoulder", "LElbow/RElbow", "LWrist/RWrist"}

    again, again_report = run_stage(tmp_path, tiny_dataset, params, name="again")
    assert again.read_bytes() == out.read_bytes()
    second = json.loads(again_report.read_text())
    assert second.pop("output") == {"path": str(again), "sha256": sha256_file(out)}
    assert {k: v for k, v in report.items() if k != "output"} == second


def vp3d_detections(tiny_dataset, layout: str, extra_frames: int = 3) -> dict:
    """Detections as VideoPose3D distributes them: the gt 2D off by 5 px in `layout`, longer videos,
    and the unlabeled subject S2."""
    gt, _ = load_2d(tiny_dataset[1])
    counterparts = {"h36m": {j: j for j in range(17)},
                    "coco": {5: 11, 6: 14, 7: 12, 8: 15, 9: 13, 10: 16, 11: 4, 12: 1, 13: 5, 14: 2, 15: 6, 16: 3},
                    "mpii": {0: 3, 1: 2, 2: 1, 3: 4, 4: 5, 5: 6, 6: 0, 7: 8, 8: 9, 9: 10, 10: 16, 11: 15, 12: 14,
                             13: 11, 14: 12, 15: 13}}[layout]
    rng = np.random.default_rng(7)

    def convert(kp):
        out = rng.uniform(0, 1000, size=(len(kp) + extra_frames, LAYOUTS[layout].num_joints, 2))
        for target, source in counterparts.items():
            out[: len(kp), target] = kp[:, source] + OFFSET
        return out.astype(np.float32)

    detections = {s: {a: [convert(c) for c in cams] for a, cams in acts.items()} for s, acts in gt.items()}
    detections["S2"] = {"Walking 1": [rng.uniform(0, 1000, (50, LAYOUTS[layout].num_joints, 2)).astype(np.float32)
                                      for _ in range(4)]}
    return detections


def write_vp3d(path: Path, positions_2d: dict, metadata: dict) -> Path:
    np.savez_compressed(path, positions_2d=positions_2d, metadata=metadata)  # as VideoPose3D writes them
    return path


def test_import_h36m_detections(tmp_path, tiny_dataset, default_params):
    vp3d_metadata = {"num_joints": 17, "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}
    source = write_vp3d(tmp_path / "data_2d_h36m_cpn_ft_h36m_dbb.npz", vp3d_detections(tiny_dataset, "h36m"),
                        vp3d_metadata)
    out, report_path = run_stage(tmp_path, tiny_dataset, stage_params(default_params, "cpn_ft_h36m_dbb"), source)
    keypoints, metadata = load_2d(out)
    assert metadata == LAYOUTS["h36m"].metadata()
    positions_3d = load_3d(tiny_dataset[0])
    assert len(keypoints["S5"]["Sitting 2"][3]) == len(positions_3d["S5"]["Sitting 2"])
    assert [len(c) for c in keypoints["S2"]["Walking 1"]] == [50] * 4  # unlabeled subject kept whole
    report = json.loads(report_path.read_text())
    assert report["layout"] == "h36m"
    assert report["not_compared"] == ["S2"]
    for stats in report["per_joint"].values():
        assert stats == pytest.approx({"mean": 5.0, "median": 5.0, "p90": 5.0}, abs=1e-3)
    assert any("S2" in note for note in report["notes"])
    assert any("trimmed" in note for note in report["notes"])


@pytest.mark.parametrize(("layout", "name", "metadata", "joints"), [
    ("coco", "detectron_pt_coco", LAYOUTS["coco"].metadata(), 12),
    # Stacked Hourglass files hold no layout_name; the name suggests h36m, the symmetry says mpii.
    ("mpii", "sh_ft_h36m", {"num_joints": 16, "keypoints_symmetry": [[3, 4, 5, 13, 14, 15], [0, 1, 2, 10, 11, 12]]},
     16),
])
def test_import_other_layouts(tmp_path, tiny_dataset, default_params, layout, name, metadata, joints):
    source = write_vp3d(tmp_path / f"data_2d_h36m_{name}.npz", vp3d_detections(tiny_dataset, layout), metadata)
    out, report_path = run_stage(tmp_path, tiny_dataset, stage_params(default_params, name), source)
    assert load_2d(out)[1] == LAYOUTS[layout].metadata()
    report = json.loads(report_path.read_text())
    assert report["layout"] == layout
    assert "definition offset" in report["comparison"]
    assert len(report["per_joint"]) == joints
    assert report["overall"] == pytest.approx({"mean": 5.0, "median": 5.0, "p90": 5.0}, abs=1e-3)
    # beside it, what the detector-error model gives at the same joints: the noisy source's own numbers
    reference = report["noise_model_reference"]
    assert list(reference["per_joint"]) == list(report["per_joint"])
    _, noisy_path = run_stage(tmp_path, tiny_dataset, stage_params(default_params, "noisy"), name="noisy")
    noisy = json.loads(noisy_path.read_text())
    assert reference["per_joint"] == {name: noisy["per_joint"][name] for name in report["per_joint"]}
    assert reference["parameters"] == noisy["noise_model"] and reference["frames"] == noisy["frames"]


def test_malformed_detections_are_rejected_and_nothing_is_written(tmp_path, tiny_dataset, default_params):
    detections = vp3d_detections(tiny_dataset, "h36m")
    del detections["S1"]["Sitting 1"]  # missing action
    detections["S5"]["Walking 2"][2] = detections["S5"]["Walking 2"][2][:10]  # short camera
    detections["S9"]["SittingDown 1"][1] = detections["S9"]["SittingDown 1"][1][:, :16]  # wrong joint count
    detections["S9"]["Walking 1"][3][4, 2, 0] = np.nan
    source = write_vp3d(tmp_path / "data_2d_h36m_cpn_ft_h36m_dbb.npz", detections, LAYOUTS["h36m"].metadata())
    with pytest.raises(ValidationError) as err:
        run_stage(tmp_path, tiny_dataset, stage_params(default_params, "cpn_ft_h36m_dbb"), source)
    message = str(err.value)
    file = str(source)
    assert "4 problem(s)" in message
    assert f"{file}, subject S1, action 'Sitting 1': action missing" in message
    assert f"{file}, subject S5, action 'Walking 2', camera 2 (58860488): 2D has 10 frames, fewer than" in message
    assert f"{file}, subject S9, action 'SittingDown 1', camera 1 (55011271): 2D keypoints (h36m layout) has " \
           f"shape" in message
    assert f"{file}, subject S9, action 'Walking 1', camera 3 (60457274): 2D keypoints (h36m layout) has 1 " \
           f"non-finite" in message
    assert not (tmp_path / "out.npz").exists()
    assert not (tmp_path / "out.json").exists()


def test_import_needs_a_path(tmp_path, tiny_dataset, default_params):
    with pytest.raises(ValueError, match=r"give --import-path or keypoints\.import_path"):
        run_stage(tmp_path, tiny_dataset, stage_params(default_params, "cpn_ft_h36m_dbb"))


def test_import_with_unusable_metadata(tmp_path, tiny_dataset, default_params):
    source = write_vp3d(tmp_path / "data_2d_h36m_mydetector.npz", vp3d_detections(tiny_dataset, "h36m"),
                        {"num_joints": 17})
    with pytest.raises(ValidationError, match="metadata names no layout and cannot tell the 2D layout"):
        run_stage(tmp_path, tiny_dataset, stage_params(default_params, "mydetector"), source)


def test_cli_help():
    run = subprocess.run([sys.executable, "-m", "stages.keypoints", "--help"], cwd=ROOT, capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0
    assert "--error-report" in run.stdout


def test_cli_runs_and_reports_errors(tmp_path, tiny_dataset, default_params, monkeypatch, capsys):
    path_3d, path_2d = tiny_dataset
    args = ["keypoints", "--params", json.dumps(stage_params(default_params, "noisy")), "--data-3d", str(path_3d),
            "--data-2d-gt", str(path_2d), "--out", str(tmp_path / "n.npz"), "--error-report", str(tmp_path / "n.json")]
    monkeypatch.setattr(sys, "argv", args)
    _cli.run(keypoints_stage.cli)
    assert "overall" in capsys.readouterr().out
    assert json.loads((tmp_path / "n.json").read_text())["source"] == "noisy"
    monkeypatch.setattr(sys, "argv", [*args[:3], "--data-3d", str(tmp_path / "missing.npz"), *args[5:]])
    with pytest.raises(SystemExit) as exit_info:
        _cli.run(keypoints_stage.cli)
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "missing.npz" in err
