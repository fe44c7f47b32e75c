"""Camera geometry: calibration normalisation, rigid transforms and projection."""

import numpy as np
import pytest
import torch

from poselift.datasets.h36m import H36M, calibration
from poselift.geometry.cameras import (
    camera_to_world,
    image_coordinates,
    normalize_screen_coordinates,
    project_to_2d,
    project_to_2d_linear,
    project_world_to_pixels,
    qinverse,
    qrot,
    world_to_camera,
)


def test_normalisation_of_calibration_as_videopose3d():
    cam = H36M.cameras("S1")[0]
    raw = calibration.INTRINSICS["54138969"]
    # focal / w * 2 and the centre mapped with [0, w] -> [-1, 1]
    np.testing.assert_allclose(cam.intrinsic[:2], np.array(raw["focal_length"]) / 1000 * 2, rtol=1e-6)
    np.testing.assert_allclose(cam.intrinsic[2:4], np.array(raw["center"]) / 1000 * 2 - [1, 1002 / 1000], atol=1e-6)
    assert cam.intrinsic.dtype == np.float32 and cam.intrinsic.shape == (9,)
    np.testing.assert_allclose(cam.translation, np.array(calibration.EXTRINSICS["S1"][0][1]) / 1000, rtol=1e-6)
    assert [c.id for c in H36M.cameras("S9")] == ["54138969", "55011271", "58860488", "60457274"]


def test_unlabeled_subjects_have_intrinsics_only_and_unknown_subjects_fail():
    cams = H36M.cameras("S3")
    assert len(cams) == 4 and not cams[0].has_extrinsics
    with pytest.raises(ValueError, match="no extrinsics"):
        project_world_to_pixels(np.zeros((1, 17, 3)), cams[0])
    with pytest.raises(KeyError, match="S10"):
        H36M.cameras("S10")


def test_quaternions_are_unit_and_rotation_preserves_length():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(100, 3))
    for subject in ("S1", "S11"):
        for cam in H36M.cameras(subject):
            assert abs(np.linalg.norm(cam.orientation) - 1) < 1e-5
            np.testing.assert_allclose(np.linalg.norm(qrot(cam.orientation.astype(np.float64), v), axis=-1),
                                       np.linalg.norm(v, axis=-1), rtol=1e-6)


def test_qrot_matches_rotation_matrix():
    q = np.array([np.cos(np.pi / 8), 0, 0, np.sin(np.pi / 8)])  # 45 degrees about z
    np.testing.assert_allclose(qrot(q, np.array([1.0, 0, 0])), [np.sqrt(0.5), np.sqrt(0.5), 0], atol=1e-12)
    np.testing.assert_allclose(qrot(qinverse(q), qrot(q, np.array([0.3, -2, 5.0]))), [0.3, -2, 5.0], atol=1e-12)


def test_world_camera_world_round_trip():
    rng = np.random.default_rng(1)
    points = rng.normal(size=(50, 17, 3)) + np.array([0, 0, 1])
    for cam in H36M.cameras("S5"):
        q, t = cam.orientation.astype(np.float64), cam.translation.astype(np.float64)
        back = camera_to_world(world_to_camera(points, q, t), q, t)
        np.testing.assert_allclose(back, points, atol=1e-6)  # the published quaternions are unit to ~1e-7


def test_cameras_look_at_the_capture_volume():
    # The world origin (centre of the capture area) lies in front of every camera, near its axis.
    for cam in H36M.cameras("S1"):
        p = world_to_camera(np.array([[0.0, 0.0, 1.0]]), cam.orientation.astype(np.float64),
                            cam.translation.astype(np.float64))
        assert 4 < p[0, 2] < 7  # metres in front
        px = project_world_to_pixels(np.array([[[0.0, 0.0, 1.0]]]), cam)
        assert 0 < px[0, 0, 0] < cam.res_w and 0 < px[0, 0, 1] < cam.res_h


def test_point_on_optical_axis_projects_to_principal_point():
    for cam in H36M.cameras("S9"):
        x = np.array([[0.0, 0.0, 4.2]], dtype=np.float32)
        np.testing.assert_allclose(project_to_2d(x, cam.intrinsic), cam.intrinsic[None, 2:4], atol=1e-7)
        np.testing.assert_allclose(project_to_2d_linear(x, cam.intrinsic), cam.intrinsic[None, 2:4], atol=1e-7)
        pixels = image_coordinates(project_to_2d(x, cam.intrinsic), cam.res_w, cam.res_h)
        np.testing.assert_allclose(pixels[0], calibration.INTRINSICS[cam.id]["center"], atol=1e-3)


def test_distortion_vanishes_near_the_axis_and_linear_projection_is_pinhole():
    cam = H36M.cameras("S1")[1]
    near = np.array([[1e-4, -2e-4, 3.0]])
    np.testing.assert_allclose(project_to_2d(near, cam.intrinsic.astype(np.float64)),
                               project_to_2d_linear(near, cam.intrinsic.astype(np.float64)), atol=1e-8)
    far = np.array([[0.8, 0.5, 3.0]])
    f, c = cam.intrinsic[:2].astype(np.float64), cam.intrinsic[2:4].astype(np.float64)
    np.testing.assert_allclose(project_to_2d_linear(far, cam.intrinsic.astype(np.float64))[0], f * far[0, :2] / 3 + c)
    assert np.abs(project_to_2d(far, cam.intrinsic.astype(np.float64)) - f * far[0, :2] / 3 - c).max() > 1e-4


def test_projection_broadcasts_a_camera_per_batch_item():
    cams = np.stack([c.intrinsic for c in H36M.cameras("S1")])  # (4, 9)
    x = torch.rand(4, 10, 17, 3) + torch.tensor([0, 0, 3.0])
    out = project_to_2d(x, torch.from_numpy(cams))
    assert out.shape == (4, 10, 17, 2)
    for i in range(4):
        torch.testing.assert_close(out[i], project_to_2d(x[i], torch.from_numpy(cams[i])))


def test_screen_coordinates_round_trip_and_range():
    x = np.array([[0.0, 0.0], [1000.0, 1002.0], [500.0, 501.0]], dtype=np.float32)
    n = normalize_screen_coordinates(x, 1000, 1002)
    np.testing.assert_allclose(n[0], [-1, -1.002], atol=1e-6)
    np.testing.assert_allclose(n[1, 0], 1, atol=1e-6)
    np.testing.assert_allclose(image_coordinates(n, 1000, 1002), x, atol=1e-3)
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        normalize_screen_coordinates(np.zeros((3, 3)), 1000, 1000)
