"""Keypoint conversion COCO-17 <-> Human3.6M-17 on hand-made poses."""

import numpy as np
import pytest

from poselift.geometry.layouts import LAYOUTS, convert_keypoints

COCO, H36M = LAYOUTS["coco"], LAYOUTS["h36m"]
LIMBS = ("LShoulder", "RShoulder", "LElbow", "RElbow", "LWrist", "RWrist", "LHip", "RHip", "LKnee", "RKnee",
         "LFoot", "RFoot")

# A T-pose facing +y, metres, z up; the subject's left is +x.
T_POSE_COCO = {
    "Nose": (0.0, 0.10, 1.60), "LEye": (0.03, 0.08, 1.66), "REye": (-0.03, 0.08, 1.66),
    "LEar": (0.07, 0.0, 1.62), "REar": (-0.07, 0.0, 1.62),
    "LShoulder": (0.18, 0.0, 1.45), "RShoulder": (-0.18, 0.0, 1.45),
    "LElbow": (0.45, 0.0, 1.45), "RElbow": (-0.45, 0.0, 1.45),
    "LWrist": (0.70, 0.0, 1.45), "RWrist": (-0.70, 0.0, 1.45),
    "LHip": (0.12, 0.0, 0.95), "RHip": (-0.12, 0.0, 0.95),
    "LKnee": (0.12, 0.0, 0.50), "RKnee": (-0.12, 0.0, 0.50),
    "LFoot": (0.12, 0.0, 0.08), "RFoot": (-0.12, 0.0, 0.08),
}
# What the documented conventions give for it, worked out by hand.
EXPECTED_SYNTHESIZED_H36M = {
    "Hip": (0.0, 0.0, 0.95),  # mean of the hips
    "Thorax": (0.0, 0.0, 1.45),  # mean of the shoulders
    "Spine": (0.0, 0.0, 1.20),  # midpoint of Hip and Thorax
    "Neck/Nose": (0.0, 0.10, 1.60),  # the nose
    "Head": (0.0, 0.08, 1.66),  # mean of the eyes
}


def as_array(joints: dict[str, tuple[float, float, float]], names: tuple[str, ...]) -> np.ndarray:
    return np.array([joints[name] for name in names])  # (J, 3)


def joint(pose: np.ndarray, layout_name: str, name: str) -> np.ndarray:
    return pose[..., LAYOUTS[layout_name].names.index(name), :]


def mirror(pose: np.ndarray, layout_name: str) -> np.ndarray:
    """Flip x and swap the left and right joints of the layout."""
    lay = LAYOUTS[layout_name]
    out = pose.copy()
    out[..., 0] *= -1
    left, right = list(lay.keypoints_left), list(lay.keypoints_right)
    out[..., left + right, :] = out[..., right + left, :]
    return out


def random_pose(layout_name: str, shape: tuple[int, ...] = (5,), channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(*shape, LAYOUTS[layout_name].num_joints, channels))


@pytest.mark.parametrize("channels", [2, 3])
def test_coco_to_h36m_synthesizes_pelvis_spine_thorax_and_head(channels):
    coco = as_array(T_POSE_COCO, COCO.names)[:, :channels]
    h36m = convert_keypoints(coco, "coco", "h36m")
    assert h36m.shape == (17, channels)
    for name, expected in EXPECTED_SYNTHESIZED_H36M.items():
        np.testing.assert_allclose(joint(h36m, "h36m", name), expected[:channels], atol=1e-12, err_msg=name)


def test_coco_to_h36m_copies_the_limbs_without_swapping_sides():
    h36m = convert_keypoints(as_array(T_POSE_COCO, COCO.names), "coco", "h36m")
    for name in LIMBS:
        np.testing.assert_array_equal(joint(h36m, "h36m", name), T_POSE_COCO[name], err_msg=name)
    assert joint(h36m, "h36m", "LWrist")[0] > 0 > joint(h36m, "h36m", "RWrist")[0]


def test_h36m_to_coco_puts_the_face_on_neck_and_head():
    h36m = random_pose("h36m", shape=())
    coco = convert_keypoints(h36m, "h36m", "coco")
    np.testing.assert_array_equal(joint(coco, "coco", "Nose"), joint(h36m, "h36m", "Neck/Nose"))
    for name in ("LEye", "REye", "LEar", "REar"):
        np.testing.assert_array_equal(joint(coco, "coco", name), joint(h36m, "h36m", "Head"), err_msg=name)
    for name in LIMBS:
        np.testing.assert_array_equal(joint(coco, "coco", name), joint(h36m, "h36m", name), err_msg=name)


def test_round_trip_h36m_coco_h36m_keeps_limbs_neck_and_head_exactly():
    h36m = random_pose("h36m", shape=(4, 6))
    back = convert_keypoints(convert_keypoints(h36m, "h36m", "coco"), "coco", "h36m")
    assert back.shape == h36m.shape
    for name in (*LIMBS, "Neck/Nose", "Head"):
        np.testing.assert_array_equal(joint(back, "h36m", name), joint(h36m, "h36m", name), err_msg=name)
    # the pelvis comes back as the mean of the hips, not as the pelvis it was
    np.testing.assert_allclose(joint(back, "h36m", "Hip"),
                               (joint(h36m, "h36m", "LHip") + joint(h36m, "h36m", "RHip")) / 2)


def test_round_trip_coco_h36m_coco_loses_only_the_face():
    coco = as_array(T_POSE_COCO, COCO.names)
    back = convert_keypoints(convert_keypoints(coco, "coco", "h36m"), "h36m", "coco")
    for name in (*LIMBS, "Nose"):
        np.testing.assert_array_equal(joint(back, "coco", name), T_POSE_COCO[name], err_msg=name)
    for name in ("LEye", "REye", "LEar", "REar"):
        np.testing.assert_allclose(joint(back, "coco", name), EXPECTED_SYNTHESIZED_H36M["Head"], err_msg=name)


@pytest.mark.parametrize(("source", "target"), [("coco", "h36m"), ("h36m", "coco")])
@pytest.mark.parametrize("channels", [2, 3])
def test_flip_commutes_with_conversion(source, target, channels):
    pose = random_pose(source, shape=(3,), channels=channels, seed=1)
    np.testing.assert_allclose(convert_keypoints(mirror(pose, source), source, target),
                               mirror(convert_keypoints(pose, source, target), target), atol=1e-12)


def test_a_missing_face_joint_spoils_only_the_joints_made_from_it():
    coco = as_array(T_POSE_COCO, COCO.names)
    coco[COCO.names.index("LEar")] = np.nan  # used by no Human3.6M joint
    coco[COCO.names.index("LEye")] = np.nan  # the head is made from it
    h36m = convert_keypoints(coco, "coco", "h36m")
    assert [H36M.names[j] for j in np.flatnonzero(np.isnan(h36m).any(axis=-1))] == ["Head"]


def test_same_layout_is_a_copy():
    pose = random_pose("coco", channels=2)
    out = convert_keypoints(pose, "coco", "coco")
    np.testing.assert_array_equal(out, pose)
    out[...] = 0
    assert np.all(pose != 0)


def test_unsupported_pair_and_unknown_layout_are_named():
    with pytest.raises(ValueError, match=r"from layout 'coco' to 'mpii'.*coco -> h36m"):
        convert_keypoints(random_pose("coco"), "coco", "mpii")
    with pytest.raises(ValueError, match="unknown 2D layout 'openpose'"):
        convert_keypoints(random_pose("coco"), "coco", "openpose")


@pytest.mark.parametrize("shape", [(5, 16, 2), (5, 17, 4), (17,)])
def test_keypoints_not_of_the_source_layout_are_refused(shape):
    with pytest.raises(ValueError, match=r"layout 'coco' must be \(\.\.\., 17, 2 or 3\)"):
        convert_keypoints(np.zeros(shape), "coco", "h36m")
    with pytest.raises(ValueError, match="layout 'h36m'"):
        convert_keypoints(np.zeros((5, 16, 3)), "h36m", "coco")
