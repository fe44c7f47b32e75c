"""Per-video detections -> VideoPose3D's 2D file: gap filling, camera order, refusals, the stage's output."""

import json
from pathlib import Path

import numpy as np
import pytest

from poselift.io.formats import load_2d
from poselift.keypoints.assembly import VideoDetections, assemble, fill_missing, read_detections, write_detections
from stages import assemble as assemble_stage
from tests.conftest import data_params

CAMERAS = ["54138969", "55011271", "58860488", "60457274"]


def linear_track(frames: int, offset: float = 0.0) -> np.ndarray:
    """(T, 17, 3): keypoints moving linearly in time (x = 2 t + j, y = 3 t - j + offset), score 1."""
    t = np.arange(frames, dtype=np.float32)[:, None]
    j = np.arange(17, dtype=np.float32)[None]
    return np.stack([2 * t + j, 3 * t - j + offset, np.ones((frames, 17), np.float32)], axis=-1)


def detections(frames: int, missing_frames=(), offset: float = 0.0) -> VideoDetections:
    keypoints = linear_track(frames, offset)
    missing = np.zeros(frames, bool)
    missing[list(missing_frames)] = True
    keypoints[missing] = np.nan
    boxes = np.tile(np.array([0, 0, 100, 200], np.float32), (frames, 1))
    boxes[missing] = np.nan
    return VideoDetections(keypoints, boxes, missing)


def test_interior_gaps_are_filled_exactly_on_linear_motion_and_ends_take_the_nearest_detection():
    track = linear_track(20)[..., :2]
    missing = np.zeros(20, bool)
    missing[[0, 1, 7, 8, 9, 19]] = True
    given = track.copy()
    given[missing] = np.nan
    filled = fill_missing(given, missing, "here")
    inside = ~missing | (np.arange(20) > 1) & (np.arange(20) < 19)
    np.testing.assert_allclose(filled[inside], track[inside], atol=1e-5)  # interpolation is exact on lines
    np.testing.assert_array_equal(filled[0], track[2])  # before the first detection: the first detection
    np.testing.assert_array_equal(filled[19], track[18])
    assert np.isfinite(filled).all()


def test_a_frame_with_a_non_finite_keypoint_counts_as_missing():
    track = linear_track(5)[..., :2]
    track[2, 4, 0] = np.nan
    filled = fill_missing(track, np.zeros(5, bool), "here")
    np.testing.assert_allclose(filled[2], linear_track(5)[2, :, :2], atol=1e-5)


def test_a_video_without_any_detection_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"S9.*Walking 1.*no frame of 6 has a detection"):
        fill_missing(np.full((6, 17, 2), np.nan), np.ones(6, bool), "S9 'Walking 1'")


def test_detection_files_round_trip(tmp_path):
    videos = {"Walking 1": detections(12, [3]), "Sitting 2": detections(9)}
    path = write_detections(tmp_path / "S9.54138969.npz", "S9", "54138969", videos, "cpn")
    subject, camera, detector, back = read_detections(path)
    assert (subject, camera, detector, list(back)) == ("S9", "54138969", "cpn", ["Walking 1", "Sitting 2"])
    for name in videos:
        np.testing.assert_array_equal(back[name].keypoints, videos[name].keypoints)
        np.testing.assert_array_equal(back[name].missing, videos[name].missing)


def test_assembly_orders_cameras_and_counts_filled_frames(tmp_path):
    files = [write_detections(tmp_path / f"S9.{c}.npz", "S9", c, {"Walking 1": detections(10, [4] * k, offset=k)},
                              "cpn") for k, c in reversed(list(enumerate(CAMERAS)))]  # files in reverse order
    positions, filled = assemble(files, CAMERAS)
    cams = positions["S9"]["Walking 1"]
    assert len(cams) == 4 and all(c.shape == (10, 17, 2) and c.dtype == np.float32 for c in cams)
    for k, cam in enumerate(cams):  # camera k has y offset k: the list is in CAMERAS order
        np.testing.assert_allclose(cam[..., 1] - linear_track(10)[..., 1], k, atol=1e-5)
    assert [r["filled"] for r in filled] == [0, 1, 1, 1]


def test_assembly_refuses_a_missing_camera_or_differing_sequences(tmp_path):
    files = [write_detections(tmp_path / f"S9.{c}.npz", "S9", c, {"Walking 1": detections(10)}, "cpn")
             for c in CAMERAS[:3]]
    with pytest.raises(ValueError, match="subject S9: no detections of camera\\(s\\) 60457274"):
        assemble(files, CAMERAS)
    files.append(write_detections(tmp_path / "S9.last.npz", "S9", CAMERAS[3], {"Walking 2": detections(10)}, "cpn"))
    with pytest.raises(ValueError, match=r"camera 60457274.*'Walking 1', 'Walking 2'"):
        assemble(files, CAMERAS)


def test_the_stage_writes_a_videopose3d_file_and_its_report(tmp_path):
    files = [write_detections(tmp_path / f"{s}.{c}.npz", s, c, {"Walking 1": detections(8, [2])}, "cpn")
             for s in ("S1", "S9") for c in CAMERAS]
    out, report = tmp_path / "data_2d_h36m_cpn.npz", tmp_path / "assemble.json"
    assemble_stage.main({"data": data_params()}, "cpn", files, out, report)
    positions, metadata = load_2d(out)
    assert sorted(positions) == ["S1", "S9"] and metadata["layout_name"] == "coco"
    raw = np.load(out, allow_pickle=True)  # as VideoPose3D's run.py reads it
    keypoints = raw["positions_2d"].item()["S9"]["Walking 1"]
    assert len(keypoints) == 4 and keypoints[0].shape == (8, 17, 2)
    assert raw["metadata"].item()["keypoints_symmetry"][0] == [1, 3, 5, 7, 9, 11, 13, 15]
    summary = json.loads(Path(report).read_text())
    assert (summary["frames"], summary["filled"]) == (64, 8)
