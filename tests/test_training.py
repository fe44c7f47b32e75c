"""Training: it learns, it is deterministic, a killed job resumes to the same result, bad input fails cleanly."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch

from poselift.datasets.h36m import H36M
from poselift.io.checkpoint import load_checkpoint
from poselift.io.formats import load_2d, load_3d
from poselift.lifting.model import ModelConfig, TemporalModel, TemporalModelOptimized1f
from poselift.lifting.sequences import build_sequences, layout_symmetry
from poselift.lifting.training import Lifting, Schedule, Trainer
from poselift.lifting.windows import WindowBank
from stages import train as train_stage
from tests.conftest import data_params, write_tiny_dataset

TIMING = ["train_wall_s", "eval_wall_s", "wall_s", "cum_train_wall_s", "samples_per_s"]


def run_train(tmp_path, settings, model="baseline", name="run", seed=7):
    data_3d, data_2d = tmp_path.parent / "data_3d_h36m.npz", tmp_path.parent / "data_2d_h36m_gt.npz"
    params = {"seed": seed, "data": data_params(), "evaluate": {"tta": True}}
    out = tmp_path / name
    train_stage.main(params, settings, experiment="exp", model=model, data_3d=data_3d, data_2d=data_2d,
                     checkpoint=out / "model.pt", history=out / "history.parquet")
    return load_checkpoint(out / "model.pt"), pd.read_parquet(out / "history.parquet")


@pytest.fixture
def workdir(tmp_path, tiny_dataset):
    """A directory whose parent holds the tiny data set (links), so runs share it."""
    data_3d, data_2d = tiny_dataset
    (tmp_path / "data_3d_h36m.npz").symlink_to(data_3d)
    (tmp_path / "data_2d_h36m_gt.npz").symlink_to(data_2d)
    (tmp_path / "runs").mkdir()
    return tmp_path / "runs"


def test_training_learns_and_both_forms_agree_on_trained_weights(workdir, tiny_train_settings):
    settings = dict(tiny_train_settings, baseline_epochs=6, channels=64)
    ckpt, history = run_train(workdir, settings)
    assert list(history["epoch"]) == [1, 2, 3, 4, 5, 6]
    assert history["test_mpjpe"].iloc[-1] < 0.85 * history["test_mpjpe"].iloc[0]
    assert history["train_loss"].iloc[-1] < 0.3 * history["train_loss"].iloc[0]
    # lr decays x0.95 per epoch, recorded per row
    np.testing.assert_allclose(history["lr"], 1e-3 * 0.95 ** np.arange(6))
    assert set(history["experiment"]) == {"exp"} and set(history["epochs"]) == {6}
    assert {"test_mpjpe_Walking", "test_mpjpe_Sitting", "test_mpjpe_SittingDown"} <= set(history.columns)
    dilated, strided = TemporalModel(ckpt.config).eval(), TemporalModelOptimized1f(ckpt.config).eval()
    dilated.load_state_dict(ckpt.model_pos)
    strided.load_state_dict(ckpt.model_pos)
    rf = dilated.config.receptive_field
    x = torch.randn(2, rf + 5, 17, 2)
    with torch.no_grad():
        windows = torch.cat([strided(x[:, i : i + rf]) for i in range(6)], dim=1)
        assert (dilated(x) - windows).abs().max() < 1e-5


def test_same_seed_same_weights_and_log_other_seed_differs(workdir, tiny_train_settings):
    a, history_a = run_train(workdir, tiny_train_settings, name="a")
    b, history_b = run_train(workdir, tiny_train_settings, name="b")
    c, _ = run_train(workdir, tiny_train_settings, name="c", seed=8)
    for key, tensor in a.model_pos.items():
        assert torch.equal(tensor, b.model_pos[key]), key
    pd.testing.assert_frame_equal(history_a.drop(columns=TIMING), history_b.drop(columns=TIMING))
    assert not torch.equal(a.model_pos["shrink.weight"], c.model_pos["shrink.weight"])


def test_action_model_trains_on_its_action_only(workdir, tiny_train_settings):
    _, history = run_train(workdir, tiny_train_settings, model="Sitting")
    assert [c for c in history.columns if c.startswith("test_mpjpe_")] == ["test_mpjpe_Sitting"]  # not SittingDown
    # 2 subjects x 2 takes x 4 cameras of Sitting, take lengths 127 and 134 frames
    assert history["train_frames"].iloc[0] == 2 * 4 * (127 + 134)


def test_killed_job_resumes_to_the_same_weights_and_history(workdir, tiny_train_settings):
    settings = dict(tiny_train_settings, baseline_epochs=8, channels=48)
    reference, reference_history = run_train(workdir, settings, name="reference")
    out = workdir / "killed"
    params = json.dumps({"seed": 7, "data": data_params(), "evaluate": {"tta": True}})
    command = [sys.executable, "-m", "stages.train", "--params", params, "--settings", json.dumps(settings),
               "--experiment", "exp", "--model", "baseline", "--data-3d", str(workdir.parent / "data_3d_h36m.npz"),
               "--data-2d", str(workdir.parent / "data_2d_h36m_gt.npz"),
               "--checkpoint", str(out / "model.pt"), "--history", str(out / "history.parquet")]
    resume = out / "model.resume.pt"
    stderr = workdir / "killed.stderr"
    with open(stderr, "w") as err, subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err) as process:
        deadline = time.monotonic() + 120
        while not resume.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.15)  # into the next epoch
        process.send_signal(signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL, stderr.read_text()
    assert resume.exists() and not (out / "model.pt").exists()
    done_before_kill = load_checkpoint(resume).epoch
    assert 1 <= done_before_kill < 8
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert f"resumed from {resume} after epoch {done_before_kill}" in finished.stderr
    assert not resume.exists()
    resumed, resumed_history = load_checkpoint(out / "model.pt"), pd.read_parquet(out / "history.parquet")
    for key, tensor in reference.model_pos.items():
        assert torch.equal(tensor, resumed.model_pos[key]), key
    pd.testing.assert_frame_equal(reference_history.drop(columns=TIMING), resumed_history.drop(columns=TIMING))


def test_resume_checkpoint_of_other_parameters_is_ignored(workdir, tiny_train_settings, capsys):
    run_train(workdir, dict(tiny_train_settings, baseline_epochs=1), name="x")
    out = workdir / "x"
    (out / "model.pt").rename(out / "model.resume.pt")  # a leftover from a run with other settings
    _, history = run_train(workdir, dict(tiny_train_settings, baseline_epochs=2), name="x")
    assert "ignoring" in capsys.readouterr().err
    assert list(history["epoch"]) == [1, 2]


def test_budget_rules_set_epochs_and_data(workdir, tiny_train_settings):
    _, equal_frames = run_train(workdir, dict(tiny_train_settings, budget="equal_frames", unit_epochs=2),
                                model="Walking", name="ef")
    assert equal_frames["epochs"].iloc[0] == 2  # every tiny action has the same frames: mean / own = 1
    _, fixed = run_train(workdir, dict(tiny_train_settings, budget="fixed_data", data_budget_frames=300,
                                       unit_epochs=1), model="Walking", name="fd")
    assert abs(fixed["train_frames"].iloc[0] - 300) <= 8  # rounding per sequence
    _, fixed_base = run_train(workdir, dict(tiny_train_settings, budget="fixed_data", data_budget_frames=300,
                                            baseline_epochs=1), name="fdb")
    assert abs(fixed_base["train_frames"].iloc[0] - 3 * 300 / 15) <= 24  # 3 actions x budget/15


def test_lr_decay_by_frames_follows_samples_seen():
    schedule = Schedule(epochs=4, lr=1e-3, lr_decay=0.95, lr_decay_by="frames", reference_samples=1000)
    assert schedule.learning_rate(1, 0) == pytest.approx(1e-3)
    assert schedule.learning_rate(3, 500) == pytest.approx(1e-3 * 0.95**0.5)
    by_epoch = Schedule(epochs=80)
    assert by_epoch.learning_rate(81, 0) == pytest.approx(1e-3 * 0.95**80)
    # batch-norm momentum: 0.1 in the first epoch, decaying towards 0.001 over the job
    assert by_epoch.bn_momentum(1) == pytest.approx(0.1)
    assert by_epoch.bn_momentum(41) == pytest.approx(0.1 * 0.01**0.5)
    with pytest.raises(ValueError, match="baseline epoch"):
        Schedule(epochs=1, lr_decay_by="frames")


@pytest.mark.parametrize(("model", "subjects", "message"), [
    ("Jumping", ["S1"], "unknown model 'Jumping'"),
    ("baseline", ["S7"], "no 3D poses for subject"),
])
def test_bad_input_fails_clearly_and_writes_nothing(workdir, tiny_train_settings, model, subjects, message):
    settings = dict(tiny_train_settings, subjects_train=subjects)
    with pytest.raises(ValueError, match=message):
        run_train(workdir, settings, model=model, name="bad")
    assert not (workdir / "bad").exists() or not any((workdir / "bad").iterdir())


def test_empty_selection_and_mismatched_2d_fail_clearly(tmp_path, tiny_train_settings):
    data_3d, data_2d = write_tiny_dataset(tmp_path, subjects=("S1", "S5", "S9"), actions=("Walking",), frames=60)
    params = {"seed": 1, "data": data_params(), "evaluate": {"tta": True}}
    kwargs = dict(experiment="e", data_3d=data_3d, data_2d=data_2d, checkpoint=tmp_path / "o/m.pt",
                  history=tmp_path / "o/l.parquet")
    with pytest.raises(ValueError, match=r"no sequences of action\(s\) Eating"):
        train_stage.main(params, tiny_train_settings, model="Eating", **kwargs)
    other_3d, _ = write_tiny_dataset(tmp_path / "longer", actions=("Walking",), frames=90)
    with pytest.raises(ValueError, match=r"subject S1, action 'Walking 1', camera 0 \(54138969\): 2D has 69 frames"):
        train_stage.main(params, tiny_train_settings, model="baseline", **{**kwargs, "data_3d": other_3d})
    assert not (tmp_path / "o").exists()


def test_cli_reports_errors_without_traceback(workdir, tiny_train_settings):
    params = json.dumps({"seed": 1, "data": data_params(), "evaluate": {"tta": True}})
    result = subprocess.run([sys.executable, "-m", "stages.train", "--params", params, "--experiment", "e",
                             "--settings", json.dumps(dict(tiny_train_settings, lr=-1)),
                             "--model", "baseline", "--data-3d", "x.npz", "--data-2d", "y.npz",
                             "--checkpoint", "m.pt", "--history", "l.parquet"], capture_output=True, text=True,
                            cwd=os.getcwd())
    assert result.returncode == 1
    assert "  - lr: -1 is less than" in result.stderr and "Traceback" not in result.stderr


def test_recomputed_batch_norm_statistics_are_training_set_averages(tiny_dataset, tiny_train_settings):
    d3, (d2, meta) = load_3d(tiny_dataset[0]), load_2d(tiny_dataset[1])
    _, symmetry = layout_symmetry(meta, H36M)
    train = build_sequences(d3, d2, meta, ["S1"], ["Walking"], H36M)
    bank = WindowBank(train, 9, 0, symmetry, flip=True)
    assert len(bank) % 8 == 0
    trainer = Trainer(ModelConfig(filter_widths=(3, 3), channels=16), bank, Lifting([], symmetry),
                      Schedule(epochs=1), batch_size=len(bank) // 8, seed=0, recompute_bn=True)
    trainer.model.expand_bn.running_mean.fill_(5.0)  # stale statistics
    trainer.recompute_bn_statistics()
    with torch.no_grad():
        x, _ = bank.batch(torch.arange(len(bank)))
        expanded = trainer.model._strided(x.reshape(len(x), 9, -1), trainer.model.expand_conv)  # (N, 3, C)
    flat = expanded.reshape(-1, expanded.shape[-1])
    torch.testing.assert_close(trainer.model.expand_bn.running_mean, flat.mean(0), atol=1e-5, rtol=1e-4)
    # the average of 8 equal batches' unbiased variances, close to the variance of the whole set
    torch.testing.assert_close(trainer.model.expand_bn.running_var, flat.var(0), rtol=0.05, atol=1e-4)
    assert trainer.model.expand_bn.momentum == 0.1 and trainer.model.drop.p == 0.25  # restored
    state = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.recompute_bn_statistics()
    for key, value in trainer.model.state_dict().items():
        assert torch.equal(value, state[key]), key  # deterministic, and the weights are untouched


def test_recomputed_statistics_end_in_the_checkpoint_and_the_history(workdir, tiny_train_settings):
    settings = dict(tiny_train_settings, bn_statistics="recomputed", unit_epochs=2)
    ckpt, history = run_train(workdir, settings, model="Sitting", name="recomputed")
    assert set(history["bn_statistics"]) == {"recomputed"}
    running, _ = run_train(workdir, dict(settings, bn_statistics="running"), model="Sitting", name="running")
    # same weights (recomputation changes only statistics), other statistics and test errors
    assert torch.equal(ckpt.model_pos["shrink.weight"], running.model_pos["shrink.weight"])
    assert not torch.equal(ckpt.model_pos["expand_bn.running_var"], running.model_pos["expand_bn.running_var"])
