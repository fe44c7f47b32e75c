"""Evaluation: hand-computed errors, edge padding, test-time augmentation, the evaluate stage."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from poselift.datasets.h36m import H36M
from poselift.geometry.layouts import LAYOUTS
from poselift.io.checkpoint import CheckpointError
from poselift.lifting.evaluation import evaluate
from poselift.lifting.model import ModelConfig, TemporalModel, TemporalModelOptimized1f
from poselift.lifting.sequences import Sequence, Symmetry
from stages import evaluate as evaluate_stage
from stages import train as train_stage
from tests.conftest import data_params

SYMMETRY = Symmetry.of(LAYOUTS["h36m"], H36M)


class WindowMeanLifter(nn.Module):
    """A stand-in model: each output frame is (mean x + bias, mean y, 0) of its window of `rf` frames."""

    def __init__(self, rf: int, bias: float = 0.0, causal: bool = False):
        super().__init__()
        self.rf, self.bias, self.causal = rf, bias, causal
        self.config = SimpleNamespace(receptive_field=rf)

    def total_causal_shift(self) -> int:
        return (self.rf - 1) // 2 if self.causal else 0

    def forward(self, x):  # (B, T, 17, 2) -> (B, T - rf + 1, 17, 3)
        windows = x.unfold(1, self.rf, 1).mean(-1)  # (B, T', 17, 2)
        return torch.cat([windows[..., :1] + self.bias, windows[..., 1:], torch.zeros_like(windows[..., :1])], -1)


def make_sequence(frames=6, seed=0):
    rng = np.random.default_rng(seed)
    poses_2d = rng.uniform(-0.5, 0.5, size=(frames, 17, 2)).astype(np.float32)
    poses_3d = rng.uniform(-0.5, 0.5, size=(frames, 17, 3)).astype(np.float32)
    return Sequence("S9", "Walking 1", "Walking", 0, "54138969", poses_2d, poses_3d)


def expected_prediction(seq, rf, bias, causal=False):
    pad, shift = (rf - 1) // 2, ((rf - 1) // 2 if causal else 0)
    padded = np.pad(seq.poses_2d, ((pad + shift, pad - shift), (0, 0), (0, 0)), mode="edge")
    means = np.stack([padded[t : t + rf].mean(0) for t in range(seq.frames)])
    return np.concatenate([means[..., :1] + bias, means[..., 1:], np.zeros_like(means[..., :1])], -1)


def hand_errors(pred, target):
    target = target.copy()
    target[:, 0] = 0  # VideoPose3D zeroes the target's root, not the prediction's
    mpjpe = np.linalg.norm(pred - target, axis=-1).mean()
    mpjve = np.linalg.norm(np.diff(pred, axis=0) - np.diff(target, axis=0), axis=-1).mean()
    return mpjpe * 1000, mpjve * 1000


@pytest.mark.parametrize(("rf", "causal"), [(1, False), (3, False), (5, False), (5, True)])
def test_errors_match_a_hand_computation_with_edge_padding(rf, causal):
    seq = make_sequence(frames=7)
    rows = evaluate(WindowMeanLifter(rf, causal=causal), [seq], SYMMETRY, tta=False)
    mpjpe, mpjve = hand_errors(expected_prediction(seq, rf, 0.0, causal), seq.poses_3d)
    assert rows.loc[0, "mpjpe"] == pytest.approx(mpjpe, rel=1e-5)
    assert rows.loc[0, "mpjve"] == pytest.approx(mpjve, rel=1e-5)
    assert rows.loc[0, "frames"] == 7 and rows.loc[0, "camera_id"] == "54138969"
    assert rows.loc[0, "base_action"] == "Walking" and rows.loc[0, "sub_action"] == "1"


def test_test_time_augmentation_unflips_and_averages():
    seq = make_sequence(frames=9, seed=3)
    biased = WindowMeanLifter(3, bias=0.2)
    without = evaluate(biased, [seq], SYMMETRY, tta=False)
    with_tta = evaluate(biased, [seq], SYMMETRY, tta=True)
    # The mirrored prediction is (-x' + 0.2) for mirrored input -x'; mirrored back it is x - 0.2, so
    # the average cancels the bias: TTA equals the unbiased model's prediction.
    unbiased = evaluate(WindowMeanLifter(3), [seq], SYMMETRY, tta=False)
    assert with_tta.loc[0, "mpjpe"] == pytest.approx(unbiased.loc[0, "mpjpe"], rel=1e-5)
    assert without.loc[0, "mpjpe"] == pytest.approx(hand_errors(expected_prediction(seq, 3, 0.2), seq.poses_3d)[0],
                                                     rel=1e-5)
    assert abs(without.loc[0, "mpjpe"] - with_tta.loc[0, "mpjpe"]) > 1.0  # mm


def test_batched_sequences_of_different_lengths_match_one_at_a_time():
    torch.manual_seed(0)
    model = TemporalModel(ModelConfig(filter_widths=(3, 3), channels=16)).eval()
    sequences = [make_sequence(frames=n, seed=n) for n in (5, 12, 30, 7)]
    together = evaluate(model, sequences, SYMMETRY, tta=True)
    alone = pd.concat([evaluate(model, [s], SYMMETRY, tta=True) for s in sequences], ignore_index=True)
    pd.testing.assert_frame_equal(together, alone, rtol=1e-5)


STAGE_PARAMS = {"data": data_params(), "evaluate": {"tta": True}}


def run_evaluate(tmp_path, tiny_dataset, settings, checkpoint, model="baseline", external=False):
    data_3d, data_2d = tiny_dataset
    evaluate_stage.main(STAGE_PARAMS, settings, experiment="exp", model=model, checkpoint=checkpoint,
                        data_3d=data_3d, data_2d=data_2d, out_rows=tmp_path / "rows.parquet",
                        out_summary=tmp_path / "summary.json", external=external)
    return pd.read_parquet(tmp_path / "rows.parquet"), json.loads((tmp_path / "summary.json").read_text())


def test_evaluate_stage_agrees_with_the_training_history(tmp_path, tiny_dataset, tiny_train_settings):
    data_3d, data_2d = tiny_dataset
    train_stage.main({"seed": 3, **STAGE_PARAMS}, tiny_train_settings, experiment="exp", model="Sitting",
                     data_3d=data_3d, data_2d=data_2d, checkpoint=tmp_path / "m.pt",
                     history=tmp_path / "history.parquet")
    rows, summary = run_evaluate(tmp_path, tiny_dataset, tiny_train_settings, tmp_path / "m.pt", model="Sitting")
    assert set(rows["action"]) == {"Sitting 1", "Sitting 2"}  # its own action only, not SittingDown
    assert len(rows) == 2 * 4 and summary["actions"] == ["Sitting"]
    history = pd.read_parquet(tmp_path / "history.parquet")
    assert summary["average"]["mpjpe"] == pytest.approx(history["test_mpjpe"].iloc[-1], rel=1e-6)
    assert summary["per_action"]["Sitting"]["frames"] == rows["frames"].sum()
    assert summary["per_subject"]["S9"]["mpjpe"] == pytest.approx(summary["average"]["mpjpe"])


def test_a_videopose3d_state_dict_evaluates_here(tmp_path, tiny_dataset, tiny_train_settings):
    model = TemporalModelOptimized1f(ModelConfig(filter_widths=(3, 3), channels=32))
    torch.save({"epoch": 5, "lr": 0.0007, "random_state": np.random.RandomState(1234),
                "optimizer": torch.optim.Adam(model.parameters(), amsgrad=True).state_dict(),
                "model_pos": model.state_dict(), "model_traj": None, "random_state_semi": None},
               tmp_path / "epoch_5.bin")
    rows, summary = run_evaluate(tmp_path, tiny_dataset, tiny_train_settings, tmp_path / "epoch_5.bin", external=True)
    assert summary["checkpoint_source"] == "external (videopose3d)" and summary["epochs"] == 5
    assert summary["actions"] == ["Sitting", "SittingDown", "Walking"] and len(rows) == 3 * 2 * 4
    assert np.isfinite(rows[["mpjpe", "p_mpjpe", "n_mpjpe", "mpjve"]].to_numpy()).all()


def test_corrupt_or_mismatched_checkpoint_fails_and_writes_nothing(tmp_path, tiny_dataset, tiny_train_settings):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CheckpointError, match=r"bad\.pt: not a readable torch checkpoint"):
        run_evaluate(tmp_path, tiny_dataset, tiny_train_settings, bad, external=True)
    coco = TemporalModelOptimized1f(ModelConfig(num_joints_in=16, filter_widths=(3,), channels=8))
    torch.save({"epoch": 1, "model_pos": coco.state_dict()}, tmp_path / "mpii.bin")
    with pytest.raises(CheckpointError, match="takes 16 joints"):
        run_evaluate(tmp_path, tiny_dataset, tiny_train_settings, tmp_path / "mpii.bin", external=True)
    assert not (tmp_path / "rows.parquet").exists() and not (tmp_path / "summary.json").exists()
