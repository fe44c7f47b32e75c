"""The in-the-wild route on a rendered take: video -> boxes -> CPN -> VideoPose3D's custom 2D file -> 3D -> animation,
the demonstration's truth scored, the checkpoint's 2D layout checked, and every bad input named, leaving nothing."""

import copy
import json

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

from poselift.datasets.h36m import H36M
from poselift.datasets.h36m.skeleton import H36M_32
from poselift.datasets.synthetic.dataset import SUBJECTS, generate_sequence, generate_take
from poselift.detectors.cpn import CPN, CPNConfig, save_cpn
from poselift.geometry.layouts import LAYOUTS
from poselift.io.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from poselift.io.video import VideoError, read_boxes, read_video, write_boxes
from poselift.keypoints.custom import read_custom
from poselift.lifting.evaluation import predict
from poselift.lifting.model import ModelConfig, TemporalModel, trajectory_config
from poselift.lifting.sequences import Symmetry
from stages import wild as wild_stage
from stages import wild_demo
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("one_thread")

FRAMES = 12
CPN_CONFIG = CPNConfig(depth=18, input_size=(64, 32))


def route_params(**wild) -> dict:
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params = {key: copy.deepcopy(params[key]) for key in ("seed", "data", "render", "detect", "wild")}
    params["render"]["scale"] = 0.1  # 100x100 frames
    params["detect"].update(threads=1, device="cpu", batch_size=8)
    params["wild"]["demo"].update(frames=FRAMES)
    params["wild"]["animation"].update(size=[150, 50], gif=False)
    params["wild"].update(wild)
    return params


def lifting_checkpoint(path, layout_2d: str | None = "coco", trajectory: bool = False, source_ours: bool = True):
    torch.manual_seed(0)
    config = ModelConfig(filter_widths=(3, 3), channels=16)
    traj = TemporalModel(trajectory_config(config)).state_dict() if trajectory else None
    params = {"layout_2d": layout_2d} if layout_2d else {}
    save_checkpoint(path, Checkpoint(TemporalModel(config).state_dict(), config, params=params, model_traj=traj))
    if not source_ours:  # VideoPose3D's keys only: no architecture, nothing of what trained it
        data = torch.load(path, weights_only=True)
        torch.save({k: data[k] for k in ("epoch", "lr", "optimizer", "model_pos")}, path)
    return path


@pytest.fixture(scope="module")
def take(tmp_path_factory):
    """The demonstration take (FRAMES frames), a CPN, and a lifting checkpoint of COCO input."""
    root = tmp_path_factory.mktemp("wild")
    wild_demo.main(route_params(), root / "input.mp4", root / "input.boxes.npz", root / "input.truth.npy")
    torch.manual_seed(0)
    save_cpn(root / "cpn.pt", CPN(CPN_CONFIG), CPN_CONFIG)
    lifting_checkpoint(root / "lift.pt")
    return root


def outputs(out):
    return {"custom": out / "data_2d_custom_input.npz", "prediction": out / "prediction.npy",
            "table": out / "prediction.parquet", "animation": out / "animation.mp4", "record": out / "wild.json"}


def run_route(take, out, params=None, video=None, boxes=None, checkpoint=None, truth=True):
    files = outputs(out)
    wild_stage.main(params or route_params(), video or take / "input.mp4", checkpoint or take / "lift.pt",
                    take / "cpn.pt", boxes or take / "input.boxes.npz", take / "input.truth.npy" if truth else None,
                    files["custom"], files["prediction"], files["table"], files["animation"], files["record"])
    return files


def test_the_demonstration_take_is_another_person_and_its_truth_is_in_the_camera_frame(take):
    frames, _ = read_video(take / "input.mp4")
    boxes, size = read_boxes(take / "input.boxes.npz")
    truth = np.load(take / "input.truth.npy")
    assert frames.shape == (FRAMES, 100, 100, 3) and size == (100, 100) and boxes.shape == (FRAMES, 4)
    assert truth.shape == (FRAMES, 17, 3) and truth.dtype == np.float32
    assert (truth[..., 2] > 1).all()  # in front of the camera, metres
    inside = (boxes[:, :2] >= 0).all() and (boxes[:, 2:] <= 100).all()
    assert inside and (boxes[:, 2:] > boxes[:, :2]).all()
    # another body than every subject's: bone lengths (mm) unlike those of each subject's walk
    seed = route_params()["seed"]
    demo = H36M_32.bone_lengths(generate_take(seed, "demo", "Walking", 2))[0]
    for subject in SUBJECTS:
        own = H36M_32.bone_lengths(generate_sequence(seed, subject, "Walking 1", 2))[0]
        assert np.abs(demo - own).max() > 5, subject


def test_the_route_writes_every_file_and_scores_the_take_against_its_truth(take, tmp_path, capsys):
    files = run_route(take, tmp_path)
    keypoints, sizes, layout = read_custom(files["custom"])
    assert list(keypoints) == ["input.mp4"] and sizes == {"input.mp4": (100, 100)} and layout.name == "coco"
    prediction = np.load(files["prediction"])
    assert prediction.shape == (FRAMES, 17, 3) and np.isfinite(prediction).all()
    assert np.allclose(prediction[:, 0], 0)  # no trajectory model: root-relative, as VideoPose3D renders it
    table = pd.read_parquet(files["table"])
    assert len(table) == FRAMES * 17 and table["name"].iloc[1] == "RHip"
    assert np.allclose(table[["x", "y", "z"]].to_numpy(), prediction.reshape(-1, 3))
    frames, info = read_video(files["animation"])
    assert frames.shape == (FRAMES, 50, 150, 3) and info.fps == pytest.approx(50)
    record = json.loads(files["record"].read_text())
    assert record["frames"] == FRAMES and record["frames_filled"] == 0 and record["model_layout"] == "coco"
    assert not record["converted"] and record["errors_mm"]["mpjpe"] > 0
    # the errors are those of the prediction against the truth, root-relative
    truth = np.load(take / "input.truth.npy")
    expected = 1000 * np.linalg.norm((prediction - prediction[:, :1]) - (truth - truth[:, :1]), axis=-1).mean()
    assert record["errors_mm"]["mpjpe"] == pytest.approx(expected, rel=1e-5)
    assert f"MPJPE {record['errors_mm']['mpjpe']:.1f} mm" in capsys.readouterr().err


def test_the_lifted_poses_are_the_models_prediction_of_the_written_keypoints(take, tmp_path):
    files = run_route(take, tmp_path, truth=False)
    keypoints, _, _ = read_custom(files["custom"])
    net = TemporalModel(ModelConfig(filter_widths=(3, 3), channels=16)).eval()
    net.load_state_dict(load_checkpoint(take / "lift.pt").model_pos)
    x = torch.from_numpy(keypoints["input.mp4"] / 100 * 2 - 1)  # 100x100 pixels -> [-1, 1]
    with torch.no_grad():
        (expected,) = predict(net, [x], Symmetry.of(LAYOUTS["coco"], H36M), tta=True)
    expected[:, 0] = 0  # the root: no trajectory model
    assert np.allclose(np.load(files["prediction"]), expected.numpy(), atol=1e-5)


def test_the_gif_is_written_where_asked(take, tmp_path):
    files = outputs(tmp_path)
    wild_stage.main(route_params(), take / "input.mp4", take / "lift.pt", take / "cpn.pt", take / "input.boxes.npz",
                    None, *files.values(), gif=tmp_path / "elsewhere.gif")
    with Image.open(tmp_path / "elsewhere.gif") as gif:
        assert gif.n_frames == FRAMES and gif.size == (150, 50)
    assert str(tmp_path / "elsewhere.gif") in json.loads(files["record"].read_text())["animation"]


def test_a_trajectory_model_adds_the_root_path(take, tmp_path):
    checkpoint = lifting_checkpoint(tmp_path / "traj.pt", trajectory=True)
    files = run_route(take, tmp_path / "out", checkpoint=checkpoint)
    prediction = np.load(files["prediction"])
    assert not np.allclose(prediction[:, 0], 0)
    assert json.loads(files["record"].read_text())["trajectory_model"] is True


def test_frames_without_a_person_are_filled_and_counted(take, tmp_path):
    boxes, size = read_boxes(take / "input.boxes.npz")
    boxes[[0, 5, 6]] = np.nan
    write_boxes(tmp_path / "partial.boxes.npz", boxes, size)
    files = run_route(take, tmp_path / "out", boxes=tmp_path / "partial.boxes.npz")
    keypoints, _, _ = read_custom(files["custom"])
    assert np.isfinite(keypoints["input.mp4"]).all()
    assert np.allclose(keypoints["input.mp4"][0], keypoints["input.mp4"][1])  # a leading gap takes the next
    assert np.allclose(keypoints["input.mp4"][5], (2 * keypoints["input.mp4"][4] + keypoints["input.mp4"][7]) / 3,
                       atol=1e-3)  # linear between frames 4 and 7
    assert json.loads(files["record"].read_text())["frames_filled"] == 3


def assert_nothing_written(out):
    assert not out.exists() or not any(out.iterdir()), sorted(out.iterdir())


def test_a_video_without_a_person_fails_and_leaves_nothing(take, tmp_path):
    boxes, size = read_boxes(take / "input.boxes.npz")
    write_boxes(tmp_path / "empty.boxes.npz", np.full_like(boxes, np.nan), size)
    with pytest.raises(ValueError, match=r"input\.mp4: no person detected in any of its 12 frames"):
        run_route(take, tmp_path / "out", boxes=tmp_path / "empty.boxes.npz")
    assert_nothing_written(tmp_path / "out")


@pytest.mark.parametrize(("content", "message"), [(b"", "empty"), (b"not a video at all" * 50, "not a readable video")])
def test_an_unreadable_or_empty_video_is_named(take, tmp_path, content, message):
    video = tmp_path / "bad.mp4"
    video.write_bytes(content)
    with pytest.raises(VideoError, match=rf"bad\.mp4: .*{message}"):
        run_route(take, tmp_path / "out", video=video)
    assert_nothing_written(tmp_path / "out")


def test_a_checkpoint_of_another_layout_is_refused_unless_converted(take, tmp_path):
    checkpoint = lifting_checkpoint(tmp_path / "h36m.pt", layout_2d="h36m")
    with pytest.raises(ValueError, match=r"coco layout but the lifting checkpoint takes h36m keypoints.*convert"):
        run_route(take, tmp_path / "refused", checkpoint=checkpoint)
    assert_nothing_written(tmp_path / "refused")
    files = run_route(take, tmp_path / "converted", params=route_params(convert_layout=True), checkpoint=checkpoint)
    record = json.loads(files["record"].read_text())
    assert record["converted"] and record["model_layout"] == "h36m"


def test_a_videopose3d_checkpoint_needs_its_layout_named(take, tmp_path):
    checkpoint = lifting_checkpoint(tmp_path / "pretrained.bin", layout_2d=None, source_ours=False)
    with pytest.raises(ValueError, match=r"does not record the 2D layout.*wild\.checkpoint_layout"):
        run_route(take, tmp_path / "out", checkpoint=checkpoint)
    files = run_route(take, tmp_path / "named", params=route_params(checkpoint_layout="coco"), checkpoint=checkpoint)
    assert json.loads(files["record"].read_text())["checkpoint_source"] == "videopose3d"


def videopose3d_custom_file(path, keypoints, size, layout_name="coco"):
    """A 2D file as VideoPose3D's prepare_data_2d_custom.py writes it: its dicts, np.savez_compressed."""
    metadata = {**LAYOUTS[layout_name].metadata(), "video_metadata": {"input.mp4": {"w": size[0], "h": size[1]}}}
    np.savez_compressed(path, positions_2d={"input.mp4": {"custom": [keypoints.astype(np.float32)]}},
                        metadata=metadata)
    return path


def test_a_videopose3d_custom_file_is_lifted_as_the_detections_it_holds(take, tmp_path):
    detected = run_route(take, tmp_path / "detected", truth=False)
    keypoints, _, _ = read_custom(detected["custom"])
    theirs = videopose3d_custom_file(tmp_path / "data_2d_custom_theirs.npz", keypoints["input.mp4"], (100, 100))
    files = outputs(tmp_path / "imported")
    wild_stage.main(route_params(), None, take / "lift.pt", None, None, None, files["custom"], files["prediction"],
                    files["table"], files["animation"], files["record"], keypoints_file=theirs)
    assert np.array_equal(np.load(files["prediction"]), np.load(detected["prediction"]))
    record = json.loads(files["record"].read_text())
    assert record["detector"] is None and record["frames_filled"] is None and record["name"] == "input.mp4"
    assert read_video(files["animation"])[0].shape == (FRAMES, 50, 150, 3)  # grey ground without the video


def test_an_h36m_custom_file_feeds_an_h36m_checkpoint_without_conversion(take, tmp_path):
    rng = np.random.default_rng(0)
    theirs = videopose3d_custom_file(tmp_path / "data_2d_custom_h36m.npz", rng.uniform(20, 80, (FRAMES, 17, 2)),
                                     (100, 100), "h36m")
    files = outputs(tmp_path / "out")
    checkpoint = lifting_checkpoint(tmp_path / "h36m.pt", layout_2d="h36m")
    wild_stage.main(route_params(), take / "input.mp4", checkpoint, None, None, None, files["custom"],
                    files["prediction"], files["table"], files["animation"], files["record"], keypoints_file=theirs,
                    video_name="input.mp4")
    record = json.loads(files["record"].read_text())
    assert record["detected_layout"] == "h36m" and not record["converted"]
    with pytest.raises(ValueError, match=r"no video 'other\.mp4'"):
        wild_stage.main(route_params(), None, checkpoint, None, None, None, *outputs(tmp_path / "x").values(),
                        keypoints_file=theirs, video_name="other.mp4")
