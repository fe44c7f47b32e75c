"""The animate stage: the test sequences it chooses, what its panels show (the data set's ground truth, the
predictions `predict` gives for each checkpoint), the animation's frames and size, and the refusals.

The stage runs once per module on a tiny data set with all 15 actions and 16 untrained checkpoints that
record the jobs they stand for (training is not what is tested here); `animation_frames` is wrapped to
record what each action's frames are drawn from.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from poselift.datasets.h36m import H36M
from poselift.datasets.h36m.names import ACTIONS
from poselift.geometry.cameras import camera_to_world
from poselift.io.atomic import file_record
from poselift.io.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from poselift.io.formats import load_2d, load_3d
from poselift.io.video import read_video
from poselift.lifting.evaluation import predict
from poselift.lifting.model import ModelConfig, TemporalModel
from poselift.lifting.sequences import build_sequences, layout_symmetry
from poselift.study import animations
from poselift.study.models import BASELINE, models
from stages import animate
from tests.conftest import data_params, write_tiny_dataset

pytestmark = pytest.mark.usefixtures("one_thread")

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENT = "exp"
PARAMS = {"data": data_params(subjects=("S1", "S9")), "evaluate": {"tta": True}}
# camera 1, not the default 0, so that the choice is seen to follow the parameter
ANIMATION = {"camera": 1, "frames": [2, 8], "step": 3, "fps": 10, "size": [240, 80], "crf": 23}
SHOWN_FRAMES = [2, 5]
CAMERA = 1
SUBJECT = "S9"


def settings() -> dict:
    train = yaml.safe_load((ROOT / "params.yaml").read_text())["train"]
    return {k: v for k, v in train.items() if k not in ("replicates", "routing")} | {
        "subjects_train": ["S1"], "subjects_test": [SUBJECT], "architecture": [3], "channels": 16, "threads": 1,
        "device": "cpu"}


def write_checkpoints(directory: Path, data: tuple[Path, Path], job_settings: dict) -> dict[str, Path]:
    """An untrained checkpoint per model, each recording the job it stands for (as train records it)."""
    inputs = {"data_3d": file_record(data[0]), "data_2d": file_record(data[1])}
    config = ModelConfig(filter_widths=(3,), channels=16)
    paths = {}
    for k, model in enumerate(models(H36M)):
        torch.manual_seed(k)
        net = TemporalModel(config)
        paths[model] = directory / f"{model}.pt"
        save_checkpoint(paths[model], Checkpoint(model_pos=net.state_dict(), config=config, epoch=1, params={
            "experiment": EXPERIMENT, "model": model, "settings": job_settings, "inputs": inputs}))
    return paths


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("animate")
    data = write_tiny_dataset(tmp, subjects=("S1", "S9"), actions=ACTIONS, frames=24)
    job_settings = settings()
    checkpoints = write_checkpoints(tmp / "models", data, job_settings)
    outputs = {"out_mp4": tmp / "out" / "predictions.mp4", "out_gif": tmp / "out" / "predictions.gif",
               "out_figure": tmp / "out" / "predictions", "out_record": tmp / "out" / "predictions.json"}
    calls = []

    def recorded(*args, **kwargs):
        calls.append({"keypoints_2d": args[1], "poses_3d": args[2], **kwargs})
        return frames_of(*args, **kwargs)

    frames_of = animations.animation_frames
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(animations, "animation_frames", recorded)
        animate.main(PARAMS, job_settings, ANIMATION, experiment=EXPERIMENT, checkpoints=checkpoints,
                     data_3d=data[0], data_2d=data[1], **outputs)
    return {"tmp": tmp, "data": data, "settings": job_settings, "checkpoints": checkpoints, "calls": calls,
            "record": json.loads(outputs["out_record"].read_text()), **outputs}


def test_one_sequence_per_action_the_first_test_subjects_first_sub_action_on_the_chosen_camera(study):
    shown = study["record"]["shown"]
    assert [s["action"] for s in shown] == list(ACTIONS)
    assert {(s["subject"], s["camera"], s["camera_id"]) for s in shown} == {(SUBJECT, CAMERA, "55011271")}
    assert [s["sequence"] for s in shown] == [f"{a} 1" for a in ACTIONS]  # of the takes "A 1" and "A 2"
    assert all(s["frames"] == SHOWN_FRAMES and s["still_frame"] == 5 for s in shown)
    assert study["record"]["checkpoints"][BASELINE]["path"] == str(study["checkpoints"][BASELINE])


def test_the_choice_is_by_name_and_subject_not_by_order(tmp_path):
    d3, (d2, meta) = load_3d_2d(write_tiny_dataset(tmp_path, subjects=("S9", "S11"), actions=("Walking", "Sitting"),
                                                   frames=12))
    sequences = build_sequences(d3, d2, meta, ["S11", "S9"], ["Walking", "Sitting"], H36M)
    for order in (sequences, sequences[::-1]):  # S11's first, then S9's; and the takes from the last
        chosen = animations.chosen_sequences(order, ["Walking", "Sitting"], "S9", 2)
        assert {a: (s.subject, s.action, s.camera) for a, s in chosen.items()} == {
            "Walking": ("S9", "Walking 1", 2), "Sitting": ("S9", "Sitting 1", 2)}
    with pytest.raises(ValueError, match="no test sequence of action Eating for subject S9 and camera 2"):
        animations.chosen_sequences(sequences, ["Eating"], "S9", 2)


def load_3d_2d(paths: tuple[Path, Path]):
    return load_3d(paths[0]), load_2d(paths[1])


def test_the_animation_has_the_configured_frames_and_size(study):
    frames = len(ACTIONS) * len(SHOWN_FRAMES)
    width, height = ANIMATION["size"]
    video, info = read_video(study["out_mp4"])
    assert video.shape == (frames, height, width, 3) and info.fps == ANIMATION["fps"]
    with Image.open(study["out_gif"]) as gif:
        assert gif.n_frames == frames and gif.size == (width, height)
    assert study["record"]["animation_frames"] == frames
    png = study["out_figure"].with_suffix(".png").read_bytes()
    assert png.startswith(b"\x89PNG") and "<svg" in study["out_figure"].with_suffix(".svg").read_text()


def test_the_ground_truth_panel_and_the_input_are_the_data_sets_for_that_sequence(study):
    d3, (d2, _) = load_3d_2d(study["data"])
    camera = H36M.cameras(SUBJECT)[CAMERA]
    assert len(study["calls"]) == len(ACTIONS)
    for action, call in zip(ACTIONS, study["calls"], strict=True):
        name = f"{action} 1"
        assert list(call["poses_3d"]) == ["ground truth", BASELINE, f"{action} model"]
        truth = H36M.lift_joints(d3[SUBJECT][name])[SHOWN_FRAMES]  # (2, 17, 3) world metres
        np.testing.assert_allclose(call["poses_3d"]["ground truth"], truth, atol=1e-5)
        keypoints = call["keypoints_2d"] * camera.res_w / call["image_size"][0]  # back to the camera's pixels
        np.testing.assert_allclose(keypoints, d2[SUBJECT][name][CAMERA][SHOWN_FRAMES], atol=1e-3)
        assert call["azimuth"] == camera.azimuth


def test_the_predictions_are_those_predict_gives_for_each_checkpoint(study):
    d3, (d2, meta) = load_3d_2d(study["data"])
    _, symmetry = layout_symmetry(meta, H36M)
    camera = H36M.cameras(SUBJECT)[CAMERA]
    sequences = {(s.action, s.camera): s for s in build_sequences(d3, d2, meta, [SUBJECT], ACTIONS, H36M)}

    def direct(model: str, action: str) -> np.ndarray:
        """The checkpoint's prediction of the action's sequence, root-relative on the ground-truth root, world."""
        ckpt = load_checkpoint(study["checkpoints"][model])
        net = TemporalModel(ckpt.config)
        net.load_state_dict(ckpt.model_pos)
        sequence = sequences[f"{action} 1", CAMERA]
        pred = predict(net.eval(), [torch.from_numpy(sequence.poses_2d)], symmetry, tta=True)[0].numpy()
        placed = pred - pred[:, :1] + sequence.poses_3d[:, :1]  # (T, 17, 3), camera frame
        return camera_to_world(placed, camera.orientation, camera.translation)[SHOWN_FRAMES]

    for action, call in zip(ACTIONS, study["calls"], strict=True):
        if action not in ("Directions", "Sitting", "WalkTogether"):
            continue
        shown = call["poses_3d"]
        np.testing.assert_allclose(shown[BASELINE], direct(BASELINE, action), atol=1e-5)
        np.testing.assert_allclose(shown[f"{action} model"], direct(action, action), atol=1e-5)
        assert not np.allclose(shown[BASELINE], shown[f"{action} model"], atol=1e-3)  # two different models
        np.testing.assert_allclose(shown[BASELINE][:, 0], shown["ground truth"][:, 0], atol=1e-5)


def run(study: dict, tmp_path: Path, checkpoints: dict, animation: dict = ANIMATION) -> None:
    animate.main(PARAMS, study["settings"], animation, experiment=EXPERIMENT, checkpoints=checkpoints,
                 data_3d=study["data"][0], data_2d=study["data"][1], out_mp4=tmp_path / "a.mp4",
                 out_gif=tmp_path / "a.gif", out_figure=tmp_path / "a", out_record=tmp_path / "a.json")


def test_a_missing_or_wrong_checkpoint_names_the_experiment_and_the_model(study, tmp_path):
    without = {m: p for m, p in study["checkpoints"].items() if m != "Walking"}
    with pytest.raises(ValueError, match=r"animate exp: no checkpoint of model\(s\) Walking \(the experiment's models"):
        run(study, tmp_path, without)
    absent = {**study["checkpoints"], "Walking": tmp_path / "nowhere.pt"}
    with pytest.raises(FileNotFoundError, match=r"animate exp/Walking: the checkpoint .*nowhere\.pt does not exist"):
        run(study, tmp_path, absent)
    swapped = {**study["checkpoints"], "Walking": study["checkpoints"]["Sitting"]}
    with pytest.raises(CheckpointError, match="trained as exp/Sitting, asked to score it as exp/Walking"):
        run(study, tmp_path, swapped)
    assert list(tmp_path.iterdir()) == []


def test_frames_beyond_a_sequence_or_an_unknown_camera_are_refused(study, tmp_path):
    with pytest.raises(ValueError, match=re.escape("test sequence S9 'Directions 1' has 31 frames, "
                                                   "report.animation.frames asks for [20, 40)")):
        run(study, tmp_path, study["checkpoints"], {**ANIMATION, "frames": [20, 40]})
    with pytest.raises(ValueError, match=r"report\.animation\.camera is 4, but Human3\.6M has 4 cameras"):
        run(study, tmp_path, study["checkpoints"], {**ANIMATION, "camera": 4})
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_a_checkpoint_list_of_the_wrong_length_or_bad_animation_settings(study, tmp_path, capsys):
    def cli(checkpoints: list[Path], animation: dict) -> str:
        with pytest.raises(SystemExit) as exit_info:
            animate.cli(["--params", json.dumps(PARAMS), "--settings", json.dumps(study["settings"]),
                         "--animation", json.dumps(animation), "--experiment", EXPERIMENT,
                         "--checkpoints", *map(str, checkpoints), "--data-3d", str(study["data"][0]),
                         "--data-2d", str(study["data"][1]), "--out-mp4", str(tmp_path / "a.mp4"),
                         "--out-gif", str(tmp_path / "a.gif"), "--out-figure", str(tmp_path / "a"),
                         "--out-record", str(tmp_path / "a.json")])
        assert exit_info.value.code == 1
        return capsys.readouterr().err

    checkpoints = list(study["checkpoints"].values())
    assert "error: animate exp: 15 checkpoints for the 16 models baseline, Directions" in cli(checkpoints[:-1],
                                                                                             ANIMATION)
    assert "step: 0 is less than the minimum of 1" in cli(checkpoints, {**ANIMATION, "step": 0})
    assert list(tmp_path.iterdir()) == []
