"""Semi-supervised back-projection: its loss terms against known poses, the layouts it compares, the
warm-up, the unlabelled windows and cameras, the labelled subset, bad settings, and a killed job."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch

from poselift.datasets.h36m import H36M
from poselift.datasets.humaneva import HUMANEVA
from poselift.geometry.cameras import project_to_2d, project_to_2d_linear, project_world_to_pixels
from poselift.geometry.layouts import LAYOUTS
from poselift.io.checkpoint import load_checkpoint
from poselift.io.formats import load_2d, load_3d, save_2d
from poselift.lifting.model import ModelConfig, TemporalModel, TemporalModelOptimized1f, trajectory_config
from poselift.lifting.semi import (
    Correspondence,
    SemiSupervised,
    back_projection_loss,
    bone_length_loss,
    bone_lengths,
    trajectory_loss,
)
from poselift.lifting.sequences import build_sequences, build_unlabelled_sequences, layout_symmetry
from poselift.lifting.training import Models
from poselift.lifting.windows import WindowBank
from poselift.study.budget import subset_ranges
from poselift.study.params import ParamsError, check_params
from stages import train as train_stage
from tests.conftest import data_params

pytestmark = pytest.mark.usefixtures("one_thread")

TIMING = ["train_wall_s", "eval_wall_s", "wall_s", "cum_train_wall_s", "samples_per_s"]
PARENTS = H36M.lifted_skeleton.parents
SEMI = {"subjects_unlabelled": ["S5"], "warmup": 1, "projection": "distorted", "bone_length": True}


@pytest.fixture(scope="module")
def tiny(tiny_dataset):
    d3, (d2, meta) = load_3d(tiny_dataset[0]), load_2d(tiny_dataset[1])
    layout, symmetry = layout_symmetry(meta, H36M)
    return d3, d2, meta, layout, symmetry


def known_pose(tiny):
    """A labelled batch of the tiny data set: poses (B, 1, 17, 3) root-relative, trajectory (B, 1, 1, 3),
    the intrinsics (B, 9) and the 2D (B, 1, 17, 2) projected from them through the real cameras."""
    d3, d2, meta, _, _ = tiny
    seqs = build_sequences(d3, d2, meta, ["S1"], ["Walking"], H36M)
    poses = torch.from_numpy(np.stack([s.poses_3d[10] for s in seqs]))[:, None]  # (4, 1, 17, 3)
    trajectory = poses[:, :, :1].clone()
    poses[:, :, 0] = 0
    intrinsics = torch.from_numpy(np.stack([s.intrinsic for s in seqs]))  # (4, 9)
    keypoints = project_to_2d(poses + trajectory, intrinsics)
    return poses, trajectory, intrinsics, keypoints


def test_back_projection_of_the_true_pose_and_trajectory_is_zero_and_of_a_perturbed_one_is_not(tiny):
    poses, trajectory, intrinsics, keypoints = known_pose(tiny)
    h36m = Correspondence.between(H36M.layout, LAYOUTS["h36m"])
    assert back_projection_loss(poses, trajectory, intrinsics, keypoints, h36m) < 1e-7
    moved = poses.clone()
    moved[:, :, 13, 0] += 0.05  # the left wrist 5 cm to the side
    assert back_projection_loss(moved, trajectory, intrinsics, keypoints, h36m) > 1e-3
    assert back_projection_loss(poses, trajectory + torch.tensor([0.0, 0.0, 0.3]), intrinsics, keypoints, h36m) > 1e-3
    # the linear projection is exact for keypoints drawn without distortion, and the distorted one then is not
    linear = project_to_2d_linear(poses + trajectory, intrinsics)
    assert back_projection_loss(poses, trajectory, intrinsics, linear, h36m, "linear") < 1e-7
    assert back_projection_loss(poses, trajectory, intrinsics, linear, h36m, "distorted") > 1e-6


def test_coco_keypoints_are_compared_by_joint_name_never_by_index(tiny):
    """VideoPose3D issue #165: COCO detections hold other joints at the same indices."""
    poses, trajectory, intrinsics, keypoints = known_pose(tiny)
    coco, h36m = LAYOUTS["coco"], H36M.layout
    # the true keypoints laid out as a COCO detector would give them; face joints (not projected) are noise
    detections = torch.randn(len(poses), 1, coco.num_joints, 2)
    for j, name in enumerate(coco.names):
        if name in h36m.names:
            detections[:, :, j] = keypoints[:, :, h36m.names.index(name)]
    by_name = Correspondence.between(h36m, coco)
    assert set(by_name.names) == {"LShoulder", "RShoulder", "LElbow", "RElbow", "LWrist", "RWrist", "LHip", "RHip",
                                  "LKnee", "RKnee", "LFoot", "RFoot"}
    assert back_projection_loss(poses, trajectory, intrinsics, detections, by_name) < 1e-7
    by_index = Correspondence.between(h36m, LAYOUTS["h36m"])  # what reading COCO as h36m would compare
    assert back_projection_loss(poses, trajectory, intrinsics, detections, by_index) > 0.05
    with pytest.raises(ValueError, match="share 0 joint"):
        Correspondence.between(h36m, type(coco)("other", ("A", "B"), (), ()))


def test_a_coco_layout_file_trains_with_the_back_projection_on_the_shared_joints(tmp_path, tiny_dataset, tiny,
                                                                                 tiny_train_settings, capfd):
    _, d2, _, _, _ = tiny
    coco = LAYOUTS["coco"]
    order = [H36M.layout.names.index(n) if n in H36M.layout.names else 0 for n in coco.names]
    coco_2d = {s: {a: [v[:, order] for v in views] for a, views in actions.items()} for s, actions in d2.items()}
    save_2d(tmp_path / "data_2d_h36m_coco.npz", coco_2d, coco.metadata())
    settings = dict(tiny_train_settings, subjects_train=["S1"], semi_supervised=SEMI, baseline_epochs=2)
    params = {"seed": 7, "data": data_params(), "evaluate": {"tta": True}}
    train_stage.main(params, settings, experiment="exp", model="baseline", data_3d=tiny_dataset[0],
                     data_2d=tmp_path / "data_2d_h36m_coco.npz", checkpoint=tmp_path / "m.pt",
                     history=tmp_path / "h.parquet")
    err = capfd.readouterr().err
    assert "back-projection on LShoulder, RShoulder, LElbow" in err and "Nose" not in err.split("back-projection")[1]
    assert np.isfinite(pd.read_parquet(tmp_path / "h.parquet")["train_loss_2d"].iloc[-1])


def test_bone_length_term_is_zero_for_the_labelled_mean_bone_lengths_and_not_otherwise(tiny):
    poses, _, _, _ = known_pose(tiny)
    labelled = poses * torch.linspace(0.9, 1.1, len(poses))[:, None, None, None]  # bones of several lengths
    mean = bone_lengths(labelled, PARENTS).mean(dim=(0, 1))  # (16,)
    # one pose rebuilt from its bone directions with the labelled mean lengths
    directions = poses[:1] - poses[:1, :, list(max(p, 0) for p in PARENTS)]
    unlabelled = torch.zeros_like(poses[:1])
    for j, parent in enumerate(PARENTS):
        if parent >= 0:
            unit = directions[:, :, j] / torch.linalg.vector_norm(directions[:, :, j], dim=-1, keepdim=True)
            unlabelled[:, :, j] = unlabelled[:, :, parent] + unit * mean[j - 1]
    assert bone_length_loss(labelled, unlabelled, PARENTS) < 1e-7
    assert bone_length_loss(labelled, unlabelled * 1.1, PARENTS) > 1e-3


def test_trajectory_loss_weights_each_frame_by_inverse_depth():
    target = torch.tensor([[[[0.0, 0.0, 2.0]]], [[[0.0, 0.0, 8.0]]]])  # (2, 1, 1, 3): 2 m and 8 m away
    predicted = target + torch.tensor([0.1, 0.0, 0.0])
    assert trajectory_loss(predicted, target) == pytest.approx((0.1 / 2 + 0.1 / 8) / 2)


def semi_objective(tiny, warmup, bone_length=True, unlabelled_inputs=None):
    d3, d2, meta, layout, symmetry = tiny
    labelled = WindowBank(build_sequences(d3, d2, meta, ["S1"], ["Walking"], H36M), 9, 0, symmetry, True)
    unlabelled = WindowBank(build_unlabelled_sequences(d2, ["S5"], ["Walking"], H36M, 17), 9, 0, symmetry, True)
    if unlabelled_inputs is not None:
        unlabelled.inputs[:] = unlabelled_inputs
    objective = SemiSupervised([], symmetry, unlabelled, Correspondence.between(H36M.layout, layout), PARENTS,
                               warmup, "distorted", bone_length, seed=3)
    config = ModelConfig(17, 2, 17, (3, 3), channels=16)
    torch.manual_seed(0)
    models = Models(TemporalModelOptimized1f(config), TemporalModelOptimized1f(trajectory_config(config)))
    return objective, labelled, models


def test_warm_up_epochs_leave_the_unlabelled_batch_out(tiny):
    # unlabelled 2D of NaN: any use of it poisons the loss
    objective, labelled, models = semi_objective(tiny, warmup=2, unlabelled_inputs=float("nan"))
    ids = torch.arange(64)
    models.pos.eval(), models.traj.eval()
    x, target = labelled.batch(ids)
    with torch.no_grad():
        supervised = (torch.linalg.vector_norm(models.pos(x) - target, dim=-1).mean()
                      + trajectory_loss(models.traj(x), labelled.batch_trajectory(ids)))
        for epoch in (1, 2):
            objective.start_epoch(epoch)
            assert torch.equal(objective.loss(models, labelled, ids), supervised)
            terms = objective.terms()
            assert np.isnan(terms["train_loss_2d"]) and np.isnan(terms["train_loss_bone"])
            assert terms["train_loss_3d"] > 0
        objective.start_epoch(3)
        assert torch.isnan(objective.loss(models, labelled, ids))


def test_after_warm_up_the_loss_adds_the_back_projection_and_bone_terms(tiny):
    objective, labelled, models = semi_objective(tiny, warmup=0)
    ids = torch.arange(64)
    objective.start_epoch(1)
    with torch.no_grad():
        total = objective.loss(models, labelled, ids)
    terms = objective.terms()
    assert all(np.isfinite(terms[f"train_{t}"]) and terms[f"train_{t}"] > 0
               for t in ("loss_3d", "loss_traj", "loss_2d", "loss_bone"))
    assert float(total) * 1000 == pytest.approx(sum(terms[f"train_{t}"] for t in ("loss_3d", "loss_traj", "loss_2d",
                                                                                    "loss_bone")), rel=1e-5)
    objective, labelled, models = semi_objective(tiny, warmup=0, bone_length=False)
    objective.start_epoch(1)
    with torch.no_grad():
        objective.loss(models, labelled, ids)
    assert np.isnan(objective.terms()["train_loss_bone"])


def test_labelled_and_unlabelled_windows_share_one_forward_pass(tiny):
    """Batch norm sees both halves of a step: in training mode the labelled predictions depend on the unlabelled
    windows drawn with them."""
    losses = []
    for scale in (1.0, 3.0):
        objective, labelled, models = semi_objective(tiny, warmup=0)
        objective.unlabelled.inputs.mul_(scale)
        models.pos.drop.p = models.traj.drop.p = 0.0  # no dropout: only batch norm couples the halves
        objective.start_epoch(1)
        with torch.no_grad():
            objective.loss(models, labelled, torch.arange(64))
        losses.append(objective.terms()["train_loss_3d"])
    assert losses[0] != pytest.approx(losses[1], rel=1e-3)


def test_unlabelled_draws_repeat_per_epoch_and_differ_between_epochs(tiny):
    objective, _, _ = semi_objective(tiny, warmup=0)
    objective.start_epoch(2)
    first = torch.cat([objective.stream.take(300) for _ in range(10)])  # more than the bank: reshuffled
    objective.start_epoch(2)
    assert torch.equal(first, objective.stream.take(3000))
    objective.start_epoch(3)
    assert not torch.equal(first[:300], objective.stream.take(300))
    n = len(objective.unlabelled)
    assert sorted(first[:n].tolist()) == list(range(n))  # each sample once before any repeats


@pytest.mark.parametrize(("rf", "causal_shift"), [(1, 0), (9, 0), (9, 4)])
def test_mirrored_samples_project_onto_their_mirrored_2d_at_the_predicted_frame(tiny, rf, causal_shift):
    """Flipping a sample negates x of its pose and trajectory, and cx and p1 of its camera: the projection of
    the mirrored 3D through the mirrored camera is the mirrored 2D, the window's frame `centre` (the last one of
    a causal model's window)."""
    d3, _, meta, _, symmetry = tiny
    seqs = build_sequences(d3, {s: {a: [project_camera(d3, s, a, c) for c in range(4)] for a in d3[s]}
                                for s in ["S1"]}, meta, ["S1"], ["Walking"], H36M)
    bank = WindowBank(seqs, rf, causal_shift, symmetry, True)
    assert bank.centre == (rf - 1) // 2 + causal_shift
    ids = torch.arange(len(bank))
    x, target = bank.batch(ids)  # targets root-relative
    projected = project_to_2d(target + bank.batch_trajectory(ids), bank.batch_intrinsics(ids))
    np.testing.assert_allclose(projected.numpy(), x[:, bank.centre:bank.centre + 1].numpy(), atol=1e-5)
    if rf > 1:  # a neighbouring frame of the window is another pose
        assert np.abs(projected.numpy() - x[:, bank.centre - 1:bank.centre].numpy()).max() > 1e-3
    flipped = ids >= bank.frames
    assert flipped.any() and (bank.batch_intrinsics(ids)[flipped, 2] == -bank.batch_intrinsics(ids)[~flipped, 2]).all()


def project_camera(d3, subject, action, camera):
    """2D of the 3D poses through camera `camera`, in pixels (distortion included)."""
    return project_world_to_pixels(H36M.lift_joints(d3[subject][action]), H36M.cameras(subject)[camera])


def test_unlabelled_sequences_never_read_3d_and_need_intrinsics(tiny):
    _, d2, _, _, _ = tiny
    seqs = build_unlabelled_sequences(d2, ["S5"], ["Walking", "Sitting"], H36M, 17)
    assert seqs and all(s.poses_3d is None and s.intrinsic is not None for s in seqs)
    bank = WindowBank(seqs, 9, 0, layout_symmetry({"layout_name": "h36m"}, H36M)[1], False)
    with pytest.raises(ValueError, match="unlabelled sequences: no 3D targets"):
        bank.batch(torch.arange(3))
    with pytest.raises(ValueError, match="no 2D keypoints of unlabelled subject S7"):
        build_unlabelled_sequences(d2, ["S7"], ["Walking"], H36M, 17)
    fake = {"Train/S1": {"Walking 1": [np.zeros((5, 15, 2), np.float32)] * len(HUMANEVA.cameras("Train/S1"))}}
    with pytest.raises(ValueError, match=r"unlabelled subject Train/S1: camera.* no intrinsics"):
        build_unlabelled_sequences(fake, ["Train/S1"], ["Walking"], HUMANEVA, 15)


def test_subset_is_one_contiguous_chunk_per_sequence_the_same_for_every_camera_and_model(tiny):
    d3, d2, meta, _, _ = tiny
    seqs = build_sequences(d3, d2, meta, ["S1", "S5"], ["Walking", "Sitting", "SittingDown"], H36M)
    ranges = subset_ranges(seqs, 0.1, 1234)
    for seq, (start, stop) in zip(seqs, ranges, strict=True):
        assert stop - start == round(seq.frames * 0.1) and start >= 0 and stop <= seq.frames
    by_take = {}
    for seq, r in zip(seqs, ranges, strict=True):
        by_take.setdefault((seq.subject, seq.action), set()).add(r)
    assert all(len(r) == 1 for r in by_take.values())  # the cameras of a take share their chunk
    walking = [s for s in seqs if s.base_action == "Walking"]
    assert subset_ranges(walking, 0.1, 1234) == [r for s, r in zip(seqs, ranges, strict=True) if s in walking]
    assert subset_ranges(seqs, 0.1, 99) != ranges
    with pytest.raises(ValueError, match="keep no labelled frame"):
        subset_ranges(seqs, 0.001, 1234)


@pytest.mark.parametrize(("change", "message"), [
    ({"subjects_unlabelled": ["S1"]}, "unlabelled subject\\(s\\) S1 are also labelled"),
    ({"subjects_unlabelled": ["S9"]}, "unlabelled subject\\(s\\) S9 are also test"),
    ({"warmup": 1}, "warm-up of 1 epoch\\(s\\) leaves none of the baseline's 1 epochs"),
])
def test_bad_semi_supervised_settings_are_named(default_params, change, message):
    default_params["train"]["semi_supervised"] = {**SEMI, "subjects_unlabelled": ["S6"], "warmup": 0, **change}
    with pytest.raises(ParamsError, match=message):
        check_params(default_params)


def test_semi_supervision_needs_camera_intrinsics(default_params):
    default_params["data"].update(dataset="humaneva", subjects=list(HUMANEVA.subjects))
    default_params["train"].update(subjects_train=["Train/S1"], subjects_test=["Validate/S1"],
                                   semi_supervised={**SEMI, "subjects_unlabelled": ["Train/S2"], "warmup": 0})
    default_params["report"]["table4_action"] = "Walking"
    default_params.pop("synthetic")
    with pytest.raises(ParamsError, match="unlabelled 2D without cameras"):
        check_params(default_params)


@pytest.mark.parametrize(("change", "message"), [
    ({"budget": "fixed_data", "data_budget_frames": 100}, "budget 'fixed_data' chooses its frames itself"),
    ({"routing": True}, "routing trains its classifier on every labelled frame"),
])
def test_a_subset_with_the_fixed_data_budget_or_routing_is_refused(default_params, change, message):
    default_params["train"].update(subset=0.5, **change)
    with pytest.raises(ParamsError, match=message):
        check_params(default_params)


def test_recomputed_batch_norm_statistics_are_refused_with_semi_supervision(default_params):
    default_params["train"].update(bn_statistics="recomputed", baseline_epochs=2,
                                   semi_supervised={**SEMI, "subjects_unlabelled": ["S6"]})
    with pytest.raises(ParamsError, match="labelled windows alone"):
        check_params(default_params)


def test_the_learning_rate_of_a_subset_decays_per_epoch_of_the_baseline_subset(tmp_path, tiny_dataset,
                                                                                tiny_train_settings):
    """lr_decay_by frames: one decay step per baseline epoch's worth of the frames it trains on (its subset)."""
    settings = dict(tiny_train_settings, subset=0.25, lr_decay_by="frames", baseline_epochs=3, unit_epochs=3)
    _, history = run_stage(tmp_path, tiny_dataset, settings)
    np.testing.assert_allclose(history["lr"], 1e-3 * 0.95 ** np.arange(3))
    _, walking = run_stage(tmp_path, tiny_dataset, settings, model="Walking", name="walking")
    share = walking["train_frames"].iloc[0] / history["train_frames"].iloc[0]
    np.testing.assert_allclose(walking["lr"], 1e-3 * 0.95 ** (share * np.arange(3)))


def run_stage(tmp_path, tiny_dataset, settings, model="baseline", name="run"):
    params = {"seed": 7, "data": data_params(), "evaluate": {"tta": True}}
    out = tmp_path / name
    train_stage.main(params, settings, experiment="exp", model=model, data_3d=tiny_dataset[0],
                     data_2d=tiny_dataset[1], checkpoint=out / "model.pt", history=out / "history.parquet")
    return load_checkpoint(out / "model.pt"), pd.read_parquet(out / "history.parquet")


def test_a_semi_supervised_checkpoint_carries_a_trajectory_model_that_videopose3d_loads(tmp_path, tiny_dataset,
                                                                                       tiny_train_settings):
    settings = dict(tiny_train_settings, subjects_train=["S1"], subset=0.5, semi_supervised=SEMI)
    ckpt, history = run_stage(tmp_path, tiny_dataset, settings)
    assert list(history["unlabelled_frames"].unique()) == [4 * sum(len(v[0]) for v in load_2d(tiny_dataset[1])[0]["S5"]
                                                                    .values())]
    assert np.isnan(history["train_loss_2d"].iloc[0]) and np.isfinite(history["train_loss_2d"].iloc[1:]).all()
    raw = torch.load(tmp_path / "run" / "model.pt", weights_only=True)  # as VideoPose3D's run.py reads it
    # run.py --evaluate builds the trajectory model as the pose model with one output joint
    traj = TemporalModel(ModelConfig(17, 2, 1, tuple(settings["architecture"]), channels=settings["channels"]))
    traj.load_state_dict(raw["model_traj"])
    assert ckpt.model_traj is not None and ckpt.params["layout_2d"] == "h36m"
    # the subset: round(frames x 0.5) per sequence of S1
    d3 = load_3d(tiny_dataset[0])
    assert history["train_frames"].iloc[0] == sum(4 * round(len(p) * 0.5) for p in d3["S1"].values())


def test_a_killed_semi_supervised_job_resumes_to_the_same_weights(tmp_path, tiny_dataset, tiny_train_settings):
    settings = dict(tiny_train_settings, subjects_train=["S1"], semi_supervised=SEMI, baseline_epochs=6,
                    channels=48)
    reference, reference_history = run_stage(tmp_path, tiny_dataset, settings, name="reference")
    out = tmp_path / "killed"
    params = json.dumps({"seed": 7, "data": data_params(), "evaluate": {"tta": True}})
    command = [sys.executable, "-m", "stages.train", "--params", params, "--settings", json.dumps(settings),
               "--experiment", "exp", "--model", "baseline", "--data-3d", str(tiny_dataset[0]),
               "--data-2d", str(tiny_dataset[1]), "--checkpoint", str(out / "model.pt"),
               "--history", str(out / "history.parquet")]
    resume = out / "model.resume.pt"
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        deadline = time.monotonic() + 120
        while not resume.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # into the next epoch, past the warm-up
        process.send_signal(signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    done_before_kill = load_checkpoint(resume).epoch
    assert 1 <= done_before_kill < 6
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert f"resumed from {resume} after epoch {done_before_kill}" in finished.stderr
    resumed, resumed_history = load_checkpoint(out / "model.pt"), pd.read_parquet(out / "history.parquet")
    for name in ("model_pos", "model_traj"):
        for key, tensor in getattr(reference, name).items():
            assert torch.equal(tensor, getattr(resumed, name)[key]), (name, key)
    pd.testing.assert_frame_equal(reference_history.drop(columns=TIMING), resumed_history.drop(columns=TIMING))


def test_semi_supervised_stage_errors_name_the_experiment_and_model(tmp_path, tiny_dataset, tiny_train_settings):
    settings = dict(tiny_train_settings, subjects_train=["S1"], semi_supervised={**SEMI, "warmup": 3})
    with pytest.raises(ValueError, match="experiment 'exp', model baseline: a warm-up of 3 epoch"):
        run_stage(tmp_path, tiny_dataset, settings)
    settings = dict(tiny_train_settings, subjects_train=["S1"], subset=0.001)
    with pytest.raises(ValueError, match=r"experiment 'exp', model Walking, subjects S1 .*keep no labelled frame"):
        run_stage(tmp_path, tiny_dataset, settings, model="Walking")
