"""COCO-17 keypoints of Human3.6M bodies: left joints on the subject's left, a face above the shoulders and in
front of the neck, body joints that are the mocap joints of their name, in 3D and projected."""

import numpy as np
import pytest

from poselift.datasets.h36m import H36M
from poselift.datasets.h36m.coco import coco_from_h36m_32, coco_keypoints_2d
from poselift.datasets.h36m.skeleton import H36M_32
from poselift.datasets.synthetic.dataset import generate_sequence
from poselift.geometry.cameras import project_world_to_pixels
from poselift.geometry.layouts import LAYOUTS

COCO = LAYOUTS["coco"].names
JOINT = {name: j for j, name in enumerate(H36M_32.names)}


@pytest.fixture(scope="module")
def bodies() -> np.ndarray:
    """(T, 32, 3) metres: synthetic Human3.6M bodies standing, walking and sitting (world frame, z up)."""
    return np.concatenate([generate_sequence(0, "S1", sequence, 40)[::4] / 1000
                           for sequence in ("Directions 1", "Walking 1", "Sitting 1", "Phoning 1")])


def facing(bodies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 3) forward and left of each body, from its feet alone (toes point forward; left = up x forward)."""
    toes = bodies[:, [JOINT["LToe"], JOINT["RToe"]]].mean(1) - bodies[:, [JOINT["LFoot"], JOINT["RFoot"]]].mean(1)
    forward = toes * [1, 1, 0]
    forward /= np.linalg.norm(forward, axis=1, keepdims=True)
    return forward, np.cross([0, 0, 1.0], forward)


def test_left_joints_are_on_the_subjects_left(bodies):
    coco = coco_from_h36m_32(bodies)
    _, left = facing(bodies)
    for lj, rj in zip(LAYOUTS["coco"].keypoints_left, LAYOUTS["coco"].keypoints_right, strict=True):
        assert COCO[lj] == "L" + COCO[rj][1:]
        side = np.sum((coco[:, lj] - coco[:, rj]) * left, axis=1)  # (T,), metres
        assert (side > 0.02).all(), f"{COCO[lj]} is not left of {COCO[rj]} in every pose"


def test_the_face_is_above_the_shoulders_and_in_front_of_the_neck(bodies):
    coco = coco_from_h36m_32(bodies)
    forward, _ = facing(bodies)
    face = coco[:, :5]  # (T, 5, 3): nose, eyes, ears
    shoulders = bodies[:, [JOINT["LShoulder"], JOINT["RShoulder"]], 2].max(axis=1)  # (T,), highest shoulder
    assert (face[..., 2] > shoulders[:, None] + 0.05).all()
    neck = bodies[:, JOINT["Thorax"]]  # the base of the neck
    assert (np.einsum("tjc,tc->tj", face - neck[:, None], forward) > 0).all()
    nose_eyes = np.einsum("tjc,tc->tj", face[:, :3] - bodies[:, None, JOINT["Neck/Nose"]], forward)
    assert (nose_eyes > 0.03).all(), "nose and eyes must be in front of the Neck/Nose joint"


def test_the_nose_is_near_the_head_joints(bodies):
    nose = coco_from_h36m_32(bodies)[:, 0]
    assert (np.linalg.norm(nose - bodies[:, JOINT["Neck/Nose"]], axis=1) < 0.12).all()
    assert (np.linalg.norm(nose - bodies[:, JOINT["Head"]], axis=1) < 0.2).all()


def test_body_joints_are_the_mocap_joints_of_their_name_in_3d_and_in_pixels(bodies):
    body = [JOINT[name] for name in COCO[5:]]
    np.testing.assert_array_equal(coco_from_h36m_32(bodies)[:, 5:], bodies[:, body])
    camera = H36M.cameras("S1")[0]
    pixels = coco_keypoints_2d(bodies, camera)
    assert pixels.shape == (len(bodies), 17, 2) and pixels.dtype == np.float32
    np.testing.assert_allclose(pixels[:, 5:], project_world_to_pixels(bodies[:, body], camera), atol=1e-3)


def test_a_pose_without_a_head_frame_has_no_face_and_other_shapes_are_refused(bodies):
    pose = bodies[:1].copy()
    pose[0, JOINT["Head"]] = pose[0, JOINT["Neck/Nose"]] + (pose[0, JOINT["LShoulder"]] - pose[0, JOINT["RShoulder"]])
    coco = coco_from_h36m_32(pose)
    assert np.isnan(coco[0, :5]).all() and np.isfinite(coco[0, 5:]).all()
    with pytest.raises(ValueError, match="32, 3"):
        coco_from_h36m_32(bodies[:, :17])
