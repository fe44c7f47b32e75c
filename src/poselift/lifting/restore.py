"""A checkpoint's lifting networks, built and loaded: its pose model, and its trajectory model where it has one.

Errors name the checkpoint: weights that do not fit the architecture the checkpoint records, and a pose
model that does not lift the 2D file's layout to the data set's joints.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import torch

from poselift.io.checkpoint import Checkpoint, CheckpointError
from poselift.lifting.model import TemporalModel, trajectory_config

if TYPE_CHECKING:
    from poselift.datasets import Dataset
    from poselift.geometry.layouts import Layout


def lifting_models(checkpoint: Checkpoint, path: str | os.PathLike, device: torch.device
                   ) -> tuple[TemporalModel, TemporalModel | None]:
    """The dilated pose model of a checkpoint and its trajectory model (None without `model_traj`), in eval mode."""
    models = []
    for key, config in (("model_pos", checkpoint.config), ("model_traj", trajectory_config(checkpoint.config))):
        state = getattr(checkpoint, key)
        if state is None:
            models.append(None)
            continue
        net = TemporalModel(config).to(device).eval()
        try:
            net.load_state_dict(state)
        except RuntimeError as err:
            raise CheckpointError(f"{path}: {key!r} does not fit the architecture {config.filter_widths}: "
                                  f"{str(err).splitlines()[0]}") from err
        models.append(net)
    return models[0], models[1]


def pose_model(checkpoint: Checkpoint, path: str | os.PathLike, layout: Layout, data_2d: str | os.PathLike,
               dataset: Dataset, device: torch.device) -> TemporalModel:
    """The checkpoint's pose model on `device`, in eval mode; CheckpointError where it does not lift `layout`
    (the layout of the 2D file `data_2d`) to the data set's joints."""
    joints_out = dataset.layout.num_joints
    if checkpoint.config.num_joints_in != layout.num_joints or checkpoint.config.num_joints_out != joints_out:
        raise CheckpointError(f"{path}: model takes {checkpoint.config.num_joints_in} joints and predicts "
                              f"{checkpoint.config.num_joints_out}, but {data_2d} has {layout.num_joints} "
                              f"({layout.name} layout) and the {dataset.title} 3D targets {joints_out}")
    return lifting_models(checkpoint, path, device)[0]
