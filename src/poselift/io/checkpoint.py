"""Checkpoints interchangeable with VideoPose3D's.

Ours hold VideoPose3D's keys (`epoch`, `lr`, `optimizer`, `model_pos` with its parameter names) plus
`architecture` (the ModelConfig), `params` (what trained it), `history` (the per-epoch log) and the
random-number state for an exact resume. Everything is tensors, numbers, strings, lists and dicts,
so torch's safe `weights_only` loader reads them, VideoPose3D's `run.py --evaluate` included.
There is no `model_traj` key unless a trajectory model exists: VideoPose3D's evaluation fails on
`model_traj: None` (its issues #191, #145).

VideoPose3D's own checkpoints pickle a NumPy `RandomState` (`random_state`), which torch >= 2.6
refuses by default; the few NumPy globals that needs are allow-listed here, and `model_traj: None`
is treated as absent. They store no architecture: it is inferred from the parameter shapes.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from numpy.random import _pickle as np_random_pickle

from poselift.io.atomic import atomic_path
from poselift.lifting.model import ModelConfig


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not hold a VideoPose3D-style model."""


@dataclass
class Checkpoint:
    model_pos: dict[str, torch.Tensor]
    config: ModelConfig
    epoch: int = 0
    lr: float | None = None
    optimizer: dict | None = None
    model_traj: dict[str, torch.Tensor] | None = None
    params: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    rng_state: dict | None = None
    source: str = "poselift"  # "poselift" or "videopose3d"


def _numpy_safe_globals() -> list:
    """NumPy objects a VideoPose3D checkpoint pickles (its shuffling RandomState), under both the
    NumPy 1 and NumPy 2 module names."""
    ctor = getattr(np_random_pickle, "__randomstate_ctor")
    bit_ctor = getattr(np_random_pickle, "__bit_generator_ctor")
    reconstruct = np._core.multiarray._reconstruct
    objects = [ctor, bit_ctor, np.random.RandomState, np.random.MT19937, np.ndarray, np.dtype, reconstruct,
               (reconstruct, "numpy.core.multiarray._reconstruct")]
    objects += [type(np.dtype(t)) for t in ("uint32", "int64", "float64", "float32", "uint8")]
    return objects


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:200]


def _unsupported_global(err: Exception) -> str:
    for line in str(err).splitlines():
        if "Unsupported global" in line:
            return line.strip()[:200]
    return _first_line(err)


def _torch_load(path: Path) -> dict:
    weights_only = os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "") in ("", "0")
    try:
        with torch.serialization.safe_globals(_numpy_safe_globals()):
            data = torch.load(path, map_location="cpu", weights_only=weights_only)
    except FileNotFoundError:
        raise
    except pickle.UnpicklingError as err:
        if "Unsupported global" not in str(err):
            raise CheckpointError(f"{path}: not a readable torch checkpoint ({_first_line(err)})") from err
        raise CheckpointError(
            f"{path}: holds objects beyond tensors and plain data, which torch's safe loader refuses "
            f"({_unsupported_global(err)}). If you trust the file, set TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1."
        ) from err
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError) as err:
        raise CheckpointError(f"{path}: not a readable torch checkpoint ({_first_line(err)})") from err
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: holds a {type(data).__name__}, expected a dict with 'model_pos'")
    return data


def infer_config(state_dict: dict[str, torch.Tensor], in_features: int = 2, causal: bool = False,
                 dropout: float = 0.25) -> ModelConfig:
    """The architecture of a VideoPose3D `model_pos` state dict, from its parameter shapes.

    Shapes fix the joints, channels and filter widths; `causal` and the input features per joint
    (2 for x, y; 3 for VideoPose3D's old x, y, score models) do not show in them.
    """
    try:
        channels, in_dim, fw0 = state_dict["expand_conv.weight"].shape
        widths = [int(fw0)]
        i = 0
        while f"layers_conv.{2 * i}.weight" in state_dict:
            widths.append(int(state_dict[f"layers_conv.{2 * i}.weight"].shape[2]))
            i += 1
        out_dim = state_dict["shrink.weight"].shape[0]
    except (KeyError, AttributeError, ValueError) as err:
        raise CheckpointError(f"not a VideoPose3D temporal model state dict (missing or odd {err})") from err
    if in_dim % in_features or out_dim % 3:
        raise CheckpointError(f"input size {in_dim} is not a multiple of {in_features} features, "
                              f"or output size {out_dim} not a multiple of 3")
    return ModelConfig(num_joints_in=in_dim // in_features, in_features=in_features, num_joints_out=out_dim // 3,
                       filter_widths=tuple(widths), causal=causal, dropout=dropout, channels=int(channels))


def load_checkpoint(path: str | os.PathLike, in_features: int = 2, causal: bool = False,
                    dropout: float = 0.25) -> Checkpoint:
    """Read one of our checkpoints or a VideoPose3D one (`epoch_N.bin`, `pretrained_h36m_cpn.bin`).

    `in_features`, `causal` and `dropout` describe a VideoPose3D checkpoint, which does not record
    them; ours carry their architecture and ignore these arguments.
    """
    path = Path(path)
    data = _torch_load(path)
    if not isinstance(data.get("model_pos"), dict):
        raise CheckpointError(f"{path}: no 'model_pos' state dict (keys: {', '.join(map(str, data))})")
    model_pos = data["model_pos"]
    if "architecture" in data:
        config = ModelConfig(**data["architecture"])
        source = "poselift"
    else:
        try:
            config = infer_config(model_pos, in_features, causal, dropout)
        except CheckpointError as err:
            raise CheckpointError(f"{path}: {err}") from err
        source = "videopose3d"
    return Checkpoint(
        model_pos=model_pos, config=config, epoch=int(data.get("epoch", 0)), lr=data.get("lr"),
        optimizer=data.get("optimizer"), model_traj=data.get("model_traj"),  # None when absent or None
        params=data.get("params", {}), history=list(data.get("history", [])), rng_state=data.get("rng_state"),
        source=source,
    )


def save_checkpoint(path: str | os.PathLike, checkpoint: Checkpoint) -> None:
    """Write atomically: VideoPose3D's keys first, then ours."""
    data = {
        "epoch": checkpoint.epoch,
        "lr": checkpoint.lr,
        "optimizer": checkpoint.optimizer,
        "model_pos": {k: v.detach().cpu() for k, v in checkpoint.model_pos.items()},
        "architecture": checkpoint.config.to_dict(),
        "params": checkpoint.params,
        "history": checkpoint.history,
        "rng_state": checkpoint.rng_state,
    }
    if checkpoint.model_traj is not None:
        data["model_traj"] = {k: v.detach().cpu() for k, v in checkpoint.model_traj.items()}
    with atomic_path(path) as tmp:
        torch.save(data, tmp)
