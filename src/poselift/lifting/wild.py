"""World frame for poses lifted from a video in the wild, as VideoPose3D's rendering places them.

A lifting model predicts camera-frame poses (x right, y down, z forward). To draw one with the floor
below it, VideoPose3D rotates it by a reference camera's orientation with zero translation (the camera
that filmed it is unknown) and, having no trajectory, rebases the height so that the lowest joint of
the whole sequence stands on the floor z = 0. Its `CustomDataset` gives every video the same dummy
extrinsics, those of Human3.6M subject S1's first camera (54138969): `REFERENCE_ORIENTATION` and
`REFERENCE_AZIMUTH` are that camera's (typed in from VideoPose3D's `common/custom_dataset.py`,
`custom_camera_params`; the same as our Human3.6M calibration, which a test checks).

The rest of the route lifts a video's keypoints with a checkpoint, ours or VideoPose3D's: `model_layout` is
the 2D layout the checkpoint takes (ours record it; VideoPose3D's must be told), `match_layout` refuses or
converts keypoints of another layout, `lift` predicts camera-frame poses (with the trajectory when the
checkpoint has a trajectory model).
"""

from __future__ import annotations

import os

import numpy as np
import torch

from poselift.geometry.cameras import camera_to_world, normalize_screen_coordinates
from poselift.geometry.layouts import Layout, convert_keypoints, layout
from poselift.io.checkpoint import Checkpoint, CheckpointError
from poselift.lifting.evaluation import predict
from poselift.lifting.model import TemporalModel
from poselift.lifting.sequences import Symmetry

# wxyz quaternion, camera to world, and the display azimuth (degrees) of Human3.6M S1's camera 54138969
REFERENCE_ORIENTATION = np.array([0.1407056450843811, -0.1500701755285263, -0.755240797996521, 0.6223280429840088],
                                 dtype=np.float32)
REFERENCE_AZIMUTH = 70.0


def to_world(prediction_cam: np.ndarray, orientation: np.ndarray, rebase_floor: bool = True) -> np.ndarray:
    """Camera-frame poses (T, J, 3), metres -> world frame (T, J, 3), metres, z up.

    orientation: (4,) wxyz quaternion rotating camera to world, e.g. `REFERENCE_ORIENTATION`.
    The translation is zero, so the camera sits at the world origin. rebase_floor: shift the sequence
    up or down, as one block, so that its lowest point over all frames and joints is at z = 0.
    """
    prediction_cam = np.asarray(prediction_cam)
    if prediction_cam.dtype.kind != "f":
        prediction_cam = prediction_cam.astype(np.float64)
    if prediction_cam.ndim != 3 or prediction_cam.shape[-1] != 3 or len(prediction_cam) == 0:
        raise ValueError(f"expected camera-frame poses (T, J, 3) with T > 0, got shape {prediction_cam.shape}")
    orientation = np.asarray(orientation, dtype=prediction_cam.dtype)
    if orientation.shape != (4,):
        raise ValueError(f"orientation must be a (4,) wxyz quaternion, got shape {orientation.shape}")
    world = camera_to_world(prediction_cam, orientation, np.zeros(3, dtype=prediction_cam.dtype))  # (T, J, 3)
    if rebase_floor:
        world[..., 2] -= world[..., 2].min()
    return world


def model_layout(checkpoint: Checkpoint, given: str | None, path: str | os.PathLike) -> Layout:
    """The 2D layout the lifting checkpoint at `path` takes: what ours record (`layout_2d`), or `given`
    (`wild.checkpoint_layout`), which a VideoPose3D checkpoint needs. CheckpointError when neither says, when
    they disagree, or when the layout's joint count is not the model's input."""
    recorded = checkpoint.params.get("layout_2d") if checkpoint.source == "poselift" else None
    if given and recorded and given != recorded:
        raise CheckpointError(f"{path}: trained on {recorded} 2D keypoints, but wild.checkpoint_layout is {given}")
    name = given or recorded
    if name is None:
        raise CheckpointError(f"{path}: the checkpoint ({checkpoint.source}) does not record the 2D layout it was "
                              "trained on: set wild.checkpoint_layout (coco for VideoPose3D's "
                              "pretrained_h36m_detectron_coco.bin, h36m for pretrained_h36m_cpn.bin)")
    try:
        found = layout(name)
    except ValueError as err:
        raise CheckpointError(f"{path}: {err}") from None
    if found.num_joints != checkpoint.config.num_joints_in:
        raise CheckpointError(f"{path}: the model takes {checkpoint.config.num_joints_in} 2D joints, the {found.name} "
                              f"layout has {found.num_joints}")
    return found


def match_layout(keypoints: np.ndarray, detected: str, wanted: str, convert: bool, where: str) -> np.ndarray:
    """Keypoints (T, J, 2) of layout `detected` in the layout the lifting model takes: the same array when
    they agree; converted (`convert_keypoints`, an approximation) when they differ and `convert` allows it;
    else ValueError naming `where` and both layouts."""
    if detected == wanted:
        return keypoints
    if not convert:
        raise ValueError(f"{where}: the keypoints are of the {detected} layout but the lifting checkpoint takes "
                         f"{wanted} keypoints: set wild.convert_layout: true to convert them (joints of one layout made"
                         f" from those of the other, an approximation), or use a checkpoint trained on {detected}")
    return convert_keypoints(keypoints, detected, wanted).astype(np.float32)


def lift(pose_model: TemporalModel, trajectory_model: TemporalModel | None, keypoints: np.ndarray,
         size: tuple[int, int], symmetry: Symmetry, tta: bool, device: torch.device) -> np.ndarray:
    """Keypoints (T, J_in, 2), pixels of a `size` = (width, height) frame -> 3D poses (T, J_out, 3), metres,
    camera frame: root-relative (root at the origin), plus the predicted root trajectory when there is a
    trajectory model, as VideoPose3D's `run.py --render` does without ground truth."""
    width, height = size
    x = torch.from_numpy(normalize_screen_coordinates(np.asarray(keypoints, dtype=np.float32), width, height))
    with torch.no_grad():
        (pose,) = predict(pose_model, [x.to(device)], symmetry, tta)  # (T, J_out, 3)
        pose = pose.clone()
        pose[:, 0] = 0
        if trajectory_model is not None:
            root_symmetry = Symmetry(symmetry.kps_left, symmetry.kps_right, (), ())  # the root has no mirror twin
            (trajectory,) = predict(trajectory_model, [x.to(device)], root_symmetry, tta)  # (T, 1, 3)
            pose = pose + trajectory
    return pose.cpu().numpy().astype(np.float32)
