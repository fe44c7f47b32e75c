"""World frame of in-the-wild predictions: VideoPose3D's reference camera rotation and floor rebase."""

import numpy as np
import pytest

from poselift.datasets.h36m import H36M, calibration
from poselift.geometry.cameras import world_to_camera
from poselift.lifting.wild import REFERENCE_AZIMUTH, REFERENCE_ORIENTATION, to_world

# A standing figure, world frame, metres, z up: feet, knees, hips, pelvis, thorax, shoulders, head.
STANDING_WORLD = np.array([
    [1.10, 2.0, 0.05], [0.90, 2.0, 0.05], [1.10, 2.0, 0.50], [0.90, 2.0, 0.50], [1.12, 2.0, 0.95],
    [0.88, 2.0, 0.95], [1.00, 2.0, 0.95], [1.00, 2.0, 1.45], [1.18, 2.0, 1.45], [0.82, 2.0, 1.45],
    [1.00, 2.05, 1.72],
])  # (11, 3)
FEET, HEAD = [0, 1], 10


def test_the_reference_orientation_is_human36m_s1_first_camera():
    camera = H36M.cameras("S1")[0]
    assert camera.id == "54138969" and camera.azimuth == REFERENCE_AZIMUTH
    np.testing.assert_allclose(REFERENCE_ORIENTATION, calibration.EXTRINSICS["S1"][0][0], rtol=1e-7)
    np.testing.assert_array_equal(REFERENCE_ORIENTATION, camera.orientation)


def unit_reference_orientation() -> np.ndarray:
    """The reference orientation in float64, normalised (float32 leaves it 1e-8 off unit length)."""
    q = REFERENCE_ORIENTATION.astype(np.float64)
    return q / np.linalg.norm(q)


def test_camera_frame_pose_returns_to_the_world_pose_without_rebase():
    q = unit_reference_orientation()
    world = STANDING_WORLD[None] + np.array([0.0, 0.1, 0.0]) * np.arange(4)[:, None, None]  # (4, 11, 3), walking
    cam = world_to_camera(world, q, np.zeros(3))
    assert not np.allclose(cam, world, atol=0.1)
    np.testing.assert_allclose(to_world(cam, q, rebase_floor=False), world, atol=1e-12)
    # in float32 with the stored quaternion, as a model's prediction would be
    q32 = REFERENCE_ORIENTATION
    cam32 = world_to_camera(world.astype(np.float32), q32, np.zeros(3, np.float32))
    np.testing.assert_allclose(to_world(cam32, q32, rebase_floor=False), world, atol=2e-6)


def test_rebase_puts_the_lowest_point_of_the_sequence_on_the_floor_and_keeps_the_rest():
    q = unit_reference_orientation()
    world = np.stack([STANDING_WORLD, STANDING_WORLD + np.array([0, 0, 0.3])])  # (2, 11, 3): the second frame jumps
    cam = world_to_camera(world - [0, 0, 0.7], q, np.zeros(3))  # a camera that filmed it 0.7 m lower
    rebased = to_world(cam, q)
    assert rebased[..., 2].min() == 0
    np.testing.assert_allclose(rebased[0, FEET, 2], 0, atol=1e-9)  # the lowest point is in frame 0 only
    np.testing.assert_allclose(rebased[1, FEET, 2], 0.3, atol=1e-9)
    shift = rebased - to_world(cam, q, rebase_floor=False)
    np.testing.assert_allclose(shift[..., :2], 0, atol=1e-15)
    np.testing.assert_allclose(shift[..., 2], shift[0, 0, 2], atol=1e-15)  # one shift for the whole sequence


def test_a_person_standing_in_camera_space_stands_in_the_world():
    # y down in the camera: the head above the feet, the person 4 m in front of the camera.
    cam = np.zeros((1, 11, 3), dtype=np.float32)
    cam[..., 2] = 4.0
    cam[0, :, 1] = 1.0 - STANDING_WORLD[:, 2]
    world = to_world(cam, REFERENCE_ORIENTATION)
    assert world.dtype == np.float32 and world.shape == cam.shape
    height = world[0, HEAD, 2] - world[0, FEET, 2].mean()
    assert 1.6 < height <= 1.67 + 1e-6  # the camera looks down a little: almost the full 1.67 m
    np.testing.assert_allclose(world[0, FEET, 2], 0, atol=1e-6)


@pytest.mark.parametrize(("shape", "q_shape"), [((11, 3), (4,)), ((2, 11, 2), (4,)), ((0, 11, 3), (4,)),
                                                ((2, 11, 3), (3,))])
def test_bad_shapes_are_refused(shape, q_shape):
    with pytest.raises(ValueError, match=r"expected camera-frame poses|orientation must be"):
        to_world(np.zeros(shape), np.ones(q_shape))
