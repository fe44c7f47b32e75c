"""The detect stage on small videos in Human3.6M's layout: full-resolution pixels from a smaller video, frames
without a box, errors naming file, subject, action and camera; then assembly into VideoPose3D's file."""

import numpy as np
import pytest
import torch

from poselift.datasets.h36m import H36M
from poselift.detectors.cpn import CPN, CPNConfig, save_cpn
from poselift.detectors.heatmaps import crop_regions
from poselift.io.formats import load_2d, save_3d
from poselift.io.video import VideoError, write_boxes, write_video
from poselift.keypoints.assembly import read_detections
from stages import assemble as assemble_stage
from stages import detect as detect_stage
from tests.conftest import data_params

pytestmark = pytest.mark.usefixtures("one_thread")

SUBJECT, SCALE = "S9", 0.1  # videos 100 pixels wide for the 1000-pixel cameras
SEQUENCES = {"Walking 1": 6, "Eating 2": 5}  # sequence -> frames
CONFIG = CPNConfig(depth=18, input_size=(64, 32))
# cpn_input_size is for pytorch-cpn's checkpoints: ours record theirs (64x32 here), which wins
SETTINGS = {"boxes": "gt", "person_threshold": 0.7, "maskrcnn_weights": None, "keypointrcnn_weights": None,
            "rcnn_min_size": 64, "rcnn_max_size": 64, "cpn_weights": None, "cpn_input_size": [256, 192],
            "flip_test": True, "batch_size": 4, "threads": 1, "device": "cpu"}


def full_box(frame: int) -> list[float]:
    """A person box in full-resolution pixels that moves with the frame."""
    return [300.0 + 20 * frame, 200.0, 600.0 + 20 * frame, 900.0]


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """A 3D file, one video per sequence and camera at SCALE with its boxes (frame 1 of 'Walking 1': no person),
    and a CPN checkpoint."""
    root = tmp_path_factory.mktemp("videos")
    rng = np.random.default_rng(0)
    save_3d(root / "data_3d_h36m.npz", {SUBJECT: {s: rng.normal(size=(n, 32, 3)) for s, n in SEQUENCES.items()}})
    for sequence, frames in SEQUENCES.items():
        for camera in H36M.cameras(SUBJECT):
            size = (round(camera.res_h * SCALE), round(camera.res_w * SCALE))
            write_video(H36M.video_path(root, SUBJECT, sequence, camera.id),
                        rng.integers(0, 255, size=(frames, *size, 3), dtype=np.uint8), fps=50, lossless=True)
            boxes = np.array([full_box(t) for t in range(frames)], np.float32)
            if sequence == "Walking 1":
                boxes[1] = np.nan
            path = H36M.boxes_path(root, SUBJECT, sequence, camera.id)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_boxes(path, boxes, (camera.res_w, camera.res_h))
    torch.manual_seed(0)
    save_cpn(root / "cpn.pt", CPN(CONFIG), CONFIG)
    return root


def run_detect(videos, out, camera="54138969"):
    detect_stage.main({"data": data_params(subjects=[SUBJECT]), "detect": SETTINGS}, "cpn",
                      videos / "data_3d_h36m.npz", SUBJECT, camera, videos, None, videos / "cpn.pt", out)


def test_keypoints_come_back_in_full_resolution_pixels_inside_their_crops(videos, tmp_path):
    run_detect(videos, tmp_path / "S9.54138969.npz")
    subject, camera, detector, found = read_detections(tmp_path / "S9.54138969.npz")
    assert (subject, camera, detector, sorted(found)) == (SUBJECT, "54138969", "cpn", sorted(SEQUENCES))
    walking = found["Walking 1"]
    assert walking.keypoints.shape == (6, 17, 3) and walking.missing.tolist() == [False, True] + [False] * 4
    assert np.isnan(walking.keypoints[1]).all()
    for t in (0, 2, 5):  # a CPN's keypoints lie in its crop; in video pixels they would be 10 times too small
        x0, y0, x1, y1 = crop_regions(np.array([full_box(t)]), CONFIG.input_size)[0]
        xy = walking.keypoints[t, :, :2]
        assert ((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)).all()


def test_a_video_with_another_frame_count_is_refused_naming_file_subject_action_camera(videos, tmp_path):
    data = videos / "short_3d.npz"
    save_3d(data, {SUBJECT: {"Walking 1": np.zeros((4, 32, 3)), "Eating 2": np.zeros((5, 32, 3))}})
    with pytest.raises(VideoError, match=r"Walking 1\.54138969\.mp4: the video has 6 frames, its sequence 4 "
                                         r"\[subject S9, action 'Walking 1', camera 54138969\]"):
        detect_stage.main({"data": data_params(subjects=[SUBJECT]), "detect": SETTINGS}, "cpn", data, SUBJECT,
                          "54138969", videos, None, videos / "cpn.pt", tmp_path / "out.npz")
    assert not (tmp_path / "out.npz").exists()


def test_a_missing_boxes_file_or_checkpoint_is_named(videos, tmp_path):
    with pytest.raises(ValueError, match="needs --cpn"):
        detect_stage.main({"data": data_params(subjects=[SUBJECT]), "detect": SETTINGS}, "cpn",
                          videos / "data_3d_h36m.npz", SUBJECT, "54138969", videos, None, None, tmp_path / "o.npz")
    with pytest.raises(VideoError, match=r"ground_truth_bb/Eating 2\.54138969\.npz: no such boxes file"):
        detect_stage.main({"data": data_params(subjects=[SUBJECT]), "detect": {**SETTINGS, "boxes": "maskrcnn"}},
                          "cpn", videos / "data_3d_h36m.npz", SUBJECT, "54138969", videos, tmp_path,
                          videos / "cpn.pt", tmp_path / "o.npz")


def test_every_camera_assembles_into_a_file_the_keypoints_stage_can_import(videos, tmp_path):
    files = []
    for camera in H36M.camera_ids:
        files.append(tmp_path / f"S9.{camera}.npz")
        run_detect(videos, files[-1], camera)
    out, report = tmp_path / "data_2d_h36m_cpn.npz", tmp_path / "assemble.json"
    assemble_stage.main({"data": data_params(subjects=[SUBJECT])}, "cpn", files, out, report)
    positions, metadata = load_2d(out)
    assert metadata["layout_name"] == "coco"
    assert [len(k) for k in positions[SUBJECT]["Walking 1"][0]] == [17] * 6
    assert np.isfinite(positions[SUBJECT]["Walking 1"][3]).all()  # frame 1 filled from frames 0 and 2
