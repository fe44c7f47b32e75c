"""The Human3.6M skeletons and 2D layouts against VideoPose3D's published lists."""

import numpy as np
import pytest

from poselift.datasets.h36m.skeleton import H36M_17, H36M_32, H36M_KEPT_JOINTS, reduce_to_17
from poselift.geometry.layouts import LAYOUTS, infer_layout, suggest_layout


def test_reduction_to_17_matches_videopose3d():
    # VideoPose3D (common/h36m_dataset.py): kept joints and the rewired 17-joint parents.
    assert H36M_KEPT_JOINTS == (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)
    assert H36M_17.parents == (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
    assert H36M_17.joints_left == (4, 5, 6, 11, 12, 13)
    assert H36M_17.joints_right == (1, 2, 3, 14, 15, 16)
    assert H36M_17.names[0] == "Hip" and H36M_17.names[8] == "Thorax" and H36M_17.names[16] == "RWrist"


def test_32_joint_tree_is_well_formed():
    assert H36M_32.num_joints == 32 and len(H36M_32.bones()) == 31
    assert sorted(H36M_32.joints_left + H36M_32.joints_right) == sorted(set(range(32)) - {0, 11, 12, 13, 14, 15})
    children = H36M_32.children()
    assert children[0] == [1, 6, 11] and children[12] == [13, 16, 24]


def test_reduce_to_17_selects_the_kept_joints():
    poses = np.arange(2 * 32 * 3, dtype=np.float32).reshape(2, 32, 3)
    reduced = reduce_to_17(poses)
    assert reduced.shape == (2, 17, 3)
    np.testing.assert_array_equal(reduced[:, 11], poses[:, 17])
    with pytest.raises(ValueError, match="32 joints"):
        reduce_to_17(poses[:, :17])


def test_bone_lengths_are_invariant_to_rigid_motion():
    rng = np.random.default_rng(0)
    pose = rng.normal(size=(32, 3))
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    moved = pose @ q.T + np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(H36M_32.bone_lengths(moved), H36M_32.bone_lengths(pose), atol=1e-12)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_layouts_have_disjoint_symmetric_lists(name):
    layout = LAYOUTS[name]
    assert len(layout.keypoints_left) == len(layout.keypoints_right)
    assert not set(layout.keypoints_left) & set(layout.keypoints_right)
    assert max(layout.keypoints_left + layout.keypoints_right) < layout.num_joints
    assert infer_layout(layout.metadata()) == layout


def test_infer_layout_without_layout_name_uses_joint_count_and_symmetry():
    # VideoPose3D's own gt file carries only num_joints and keypoints_symmetry.
    meta = {"num_joints": 17, "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}
    assert infer_layout(meta).name == "h36m"
    mpii = {"num_joints": 16, "keypoints_symmetry": [[3, 4, 5, 13, 14, 15], [0, 1, 2, 10, 11, 12]]}
    assert infer_layout(mpii).name == "mpii"
    with pytest.raises(ValueError, match="matches no known"):
        infer_layout({"num_joints": 17, "keypoints_symmetry": [[0], [1]]})
    with pytest.raises(ValueError, match="has 17"):
        infer_layout({"layout_name": "coco", "num_joints": 16})


def test_suggest_layout_by_detection_name():
    assert suggest_layout("cpn_ft_h36m_dbb").name == "h36m"
    assert suggest_layout("detectron_pt_coco").name == "coco"
    assert suggest_layout("sh_pt_mpii").name == "mpii"
