"""VideoPose3D's custom-data 2D file: written as `prepare_data_2d_custom.py` lays it out, read back, refused
when `CustomDataset` could not use it."""

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from poselift.geometry.layouts import LAYOUTS
from poselift.io.formats import FormatError
from poselift.keypoints.custom import read_custom, write_custom

VIDEO = "input_video.mp4"
# VideoPose3D's COCO metadata (`data/data_utils.py`), written out by hand
COCO_METADATA = {"layout_name": "coco", "num_joints": 17,
                 "keypoints_symmetry": [[1, 3, 5, 7, 9, 11, 13, 15], [2, 4, 6, 8, 10, 12, 14, 16]]}


def keypoints(frames: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1000, size=(frames, 17, 2)).astype(np.float32)  # pixels


def videopose3d_dicts(frames: int = 6) -> tuple[dict, dict]:
    """positions_2d and metadata as `prepare_data_2d_custom.py` builds them, for one video of 1920x1080."""
    positions_2d = {VIDEO: {"custom": [keypoints(frames)]}}
    metadata = dict(COCO_METADATA, video_metadata={VIDEO: {"w": 1920, "h": 1080}})
    return positions_2d, metadata


def test_round_trip(tmp_path):
    path = tmp_path / "data_2d_custom_myvideos.npz"
    kp = {"a.mp4": keypoints(5, seed=1), "b.mp4": keypoints(9, seed=2).astype(np.float64)}
    sizes = {"a.mp4": (640, 480), "b.mp4": (1000, 1002)}
    assert write_custom(path, kp, sizes) == path
    read_kp, read_sizes, lay = read_custom(path)
    assert lay == LAYOUTS["coco"] and read_sizes == sizes and set(read_kp) == set(kp)
    for video, expected in kp.items():
        assert read_kp[video].dtype == np.float32
        np.testing.assert_array_equal(read_kp[video], expected.astype(np.float32))


def test_written_file_has_the_layout_videopose3d_custom_dataset_reads(tmp_path):
    path = tmp_path / "data_2d_custom_myvideos.npz"
    write_custom(path, {VIDEO: keypoints(7)}, {VIDEO: (np.int64(1920), np.int64(1080))})  # as from an array
    with np.load(path, allow_pickle=True) as npz:
        assert sorted(npz.files) == ["metadata", "positions_2d"]
        positions_2d, metadata = npz["positions_2d"].item(), npz["metadata"].item()
    cameras = positions_2d[VIDEO]["custom"]
    assert isinstance(cameras, list) and len(cameras) == 1
    assert cameras[0].shape == (7, 17, 2) and cameras[0].dtype == np.float32
    assert metadata["video_metadata"] == {VIDEO: {"w": 1920, "h": 1080}}
    assert {type(v) for v in metadata["video_metadata"][VIDEO].values()} == {int}  # plain ints, as VideoPose3D's
    assert metadata["layout_name"] == "coco" and metadata["num_joints"] == 17
    assert metadata["keypoints_symmetry"] == COCO_METADATA["keypoints_symmetry"]


def test_a_file_written_in_videopose3d_layout_is_read(tmp_path):
    path = tmp_path / "data_2d_custom_myvideos.npz"
    positions_2d, metadata = videopose3d_dicts()
    np.savez_compressed(path, positions_2d=positions_2d, metadata=metadata)
    kp, sizes, lay = read_custom(path)
    assert lay.name == "coco" and sizes == {VIDEO: (1920, 1080)}
    np.testing.assert_array_equal(kp[VIDEO], positions_2d[VIDEO]["custom"][0])


def _set_keypoints(value: np.ndarray) -> Callable[[dict, dict], None]:
    def edit(positions_2d: dict, metadata: dict) -> None:
        positions_2d[VIDEO]["custom"] = [value]
    return edit


def _with_nan(positions_2d: dict, metadata: dict) -> None:
    positions_2d[VIDEO]["custom"][0][3, 5, 1] = np.nan


def _rename_action(positions_2d: dict, metadata: dict) -> None:
    positions_2d[VIDEO] = {"Walking": positions_2d[VIDEO]["custom"]}


def _two_cameras(positions_2d: dict, metadata: dict) -> None:
    positions_2d[VIDEO]["custom"].append(keypoints(6))


def _drop_size(positions_2d: dict, metadata: dict) -> None:
    metadata["video_metadata"].pop(VIDEO)


def _extra_size(positions_2d: dict, metadata: dict) -> None:
    metadata["video_metadata"]["other.mp4"] = {"w": 10, "h": 10}


def _bad_size(positions_2d: dict, metadata: dict) -> None:
    metadata["video_metadata"][VIDEO] = {"w": 1920}


BAD_FILES = {
    "video without 'custom'": (_rename_action, VIDEO, "has no 'custom' entry"),
    "video without video_metadata": (_drop_size, VIDEO, "has no 'video_metadata' entry"),
    "video_metadata without video": (_extra_size, "other.mp4", "has a 'video_metadata' entry but no keypoints"),
    "no width": (_bad_size, VIDEO, "frame size"),
    "three coordinates": (_set_keypoints(np.zeros((6, 17, 3), np.float32)), VIDEO, r"shape \(6, 17, 3\)"),
    "16 joints": (_set_keypoints(np.zeros((6, 16, 2), np.float32)), VIDEO, r"expected \(T, 17, 2\) for layout 'coco'"),
    "one frame without time axis": (_set_keypoints(np.zeros((17, 2), np.float32)), VIDEO, r"shape \(17, 2\)"),
    "no frames": (_set_keypoints(np.zeros((0, 17, 2), np.float32)), VIDEO, r"no frames \(T = 0\)"),
    "NaN": (_with_nan, VIDEO, r"non-finite keypoints in 1 frames \(first: 3\)"),
    "two cameras": (_two_cameras, VIDEO, "list of one array"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_video_is_refused_naming_file_and_video(tmp_path, case):
    edit, video, message = BAD_FILES[case]
    path = tmp_path / "data_2d_custom_bad.npz"
    positions_2d, metadata = videopose3d_dicts()
    edit(positions_2d, metadata)
    np.savez_compressed(path, positions_2d=positions_2d, metadata=metadata)
    with pytest.raises(FormatError, match=f"^{re.escape(str(path))}: video {re.escape(repr(video))}.*{message}"):
        read_custom(path)


@pytest.mark.parametrize(("drop", "message"), [("positions_2d", "no key 'positions_2d'"),
                                               ("metadata", "no key 'metadata'"),
                                               ("video_metadata", "no 'video_metadata'")])
def test_missing_keys_are_refused_naming_the_file(tmp_path, drop, message):
    path = tmp_path / "data_2d_custom_bad.npz"
    positions_2d, metadata = videopose3d_dicts()
    metadata.pop(drop, None)
    arrays = {k: v for k, v in {"positions_2d": positions_2d, "metadata": metadata}.items() if k != drop}
    np.savez_compressed(path, **arrays)
    with pytest.raises(FormatError, match=f"^{re.escape(str(path))}: .*{message}"):
        read_custom(path)


def test_invalid_keypoints_are_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "data_2d_custom_bad.npz"
    bad = keypoints(4)
    bad[2, 0, 0] = np.inf
    with pytest.raises(ValueError, match=r"video 'b\.mp4': non-finite keypoints"):
        write_custom(path, {"a.mp4": keypoints(4), "b.mp4": bad}, {"a.mp4": (10, 10), "b.mp4": (10, 10)})
    with pytest.raises(ValueError, match=r"only keypoints: \['a\.mp4'\], only sizes: \['c\.mp4'\]"):
        write_custom(path, {"a.mp4": keypoints(4)}, {"c.mp4": (10, 10)})
    with pytest.raises(ValueError, match=r"video 'a\.mp4': frame size \(10, 0\)"):
        write_custom(path, {"a.mp4": keypoints(4)}, {"a.mp4": (10, 0)})
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_no_file_behind(tmp_path, monkeypatch):
    path = tmp_path / "data_2d_custom_myvideos.npz"

    def half_written(file, **arrays):
        file.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", half_written)
    with pytest.raises(OSError, match="disk full"):
        write_custom(path, {VIDEO: keypoints(3)}, {VIDEO: (64, 48)})
    assert list(tmp_path.iterdir()) == []
    # an earlier file stays as it was
    path.write_bytes(b"old")
    with pytest.raises(OSError, match="disk full"):
        write_custom(path, {VIDEO: keypoints(3)}, {VIDEO: (64, 48)})
    assert list(tmp_path.iterdir()) == [path] and Path(path).read_bytes() == b"old"
