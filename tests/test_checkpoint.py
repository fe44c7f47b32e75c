"""Checkpoints: ours load in VideoPose3D's way and theirs load here."""

import numpy as np
import pytest
import torch

from poselift.io.checkpoint import Checkpoint, CheckpointError, infer_config, load_checkpoint, save_checkpoint
from poselift.lifting.model import ModelConfig, TemporalModel, TemporalModelOptimized1f


def videopose3d_checkpoint(path, widths=(3, 3, 3), channels=64, with_traj_none=True):
    """A checkpoint laid out as VideoPose3D's run.py saves one (strided training model, RandomState)."""
    model = TemporalModelOptimized1f(ModelConfig(filter_widths=widths, channels=channels))
    optimizer = torch.optim.Adam(model.parameters(), amsgrad=True)
    data = {"epoch": 80, "lr": 0.001 * 0.95**80, "random_state": np.random.RandomState(1234),
            "optimizer": optimizer.state_dict(), "model_pos": model.state_dict()}
    if with_traj_none:
        data.update(model_traj=None, random_state_semi=None)
    torch.save(data, path)
    return model


def test_our_checkpoint_loads_with_torch_safe_loader_like_videopose3d(tmp_path):
    config = ModelConfig(filter_widths=(3, 3), channels=16)
    model = TemporalModelOptimized1f(config)
    path = tmp_path / "m.pt"
    save_checkpoint(path, Checkpoint(model_pos=model.state_dict(), config=config, epoch=3, lr=0.0009,
                                     optimizer=torch.optim.Adam(model.parameters()).state_dict(),
                                     params={"a": 1}, history=[{"epoch": 1, "test_mpjpe": 50.0}]))
    raw = torch.load(path, weights_only=True)  # what VideoPose3D's `torch.load` does on torch >= 2.6
    assert {"epoch", "lr", "optimizer", "model_pos"} <= set(raw)
    assert "model_traj" not in raw  # VideoPose3D's --evaluate fails on model_traj: None
    dilated = TemporalModel(config)
    dilated.load_state_dict(raw["model_pos"])  # VideoPose3D evaluates with the dilated model
    back = load_checkpoint(path)
    assert back.config == config and back.epoch == 3 and back.history[0]["test_mpjpe"] == 50.0
    assert back.source == "poselift"


def test_videopose3d_checkpoint_loads_and_its_architecture_is_inferred(tmp_path):
    path = tmp_path / "epoch_80.bin"
    model = videopose3d_checkpoint(path, widths=(3, 3, 3, 3), channels=32)
    ckpt = load_checkpoint(path)
    assert ckpt.source == "videopose3d" and ckpt.epoch == 80 and ckpt.model_traj is None
    assert ckpt.config.filter_widths == (3, 3, 3, 3) and ckpt.config.channels == 32
    assert ckpt.config.num_joints_in == 17 and ckpt.config.num_joints_out == 17
    dilated = TemporalModel(ckpt.config)
    dilated.load_state_dict(ckpt.model_pos)
    for name, tensor in model.state_dict().items():
        assert torch.equal(dilated.state_dict()[name], tensor)


def test_infer_config_with_three_input_features():
    state = TemporalModel(ModelConfig(in_features=3, filter_widths=(3, 3), channels=8)).state_dict()
    assert infer_config(state, in_features=3).num_joints_in == 17
    with pytest.raises(CheckpointError, match="not a VideoPose3D"):
        infer_config({"foo": torch.zeros(1)})


def test_corrupt_and_foreign_checkpoints_give_clear_errors(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(CheckpointError, match=r"bad\.pt: not a readable torch checkpoint"):
        load_checkpoint(bad)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match=r"foreign\.pt: no 'model_pos'"):
        load_checkpoint(foreign)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt")


def test_failed_save_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    config = ModelConfig(filter_widths=(3,), channels=8)
    path = tmp_path / "m.pt"
    save_checkpoint(path, Checkpoint(model_pos=TemporalModel(config).state_dict(), config=config, epoch=1))
    before = path.read_bytes()

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, Checkpoint(model_pos=TemporalModel(config).state_dict(), config=config, epoch=2))
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]
