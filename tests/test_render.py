"""The render stage and its library: bodies drawn where the cameras see them, in depth order, with tight
ground-truth boxes, through the distorted camera model, at any scale; videos and boxes that read back."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from poselift.datasets.h36m import H36M
from poselift.datasets.synthetic import render
from poselift.datasets.synthetic.kinematics import forward_kinematics, make_body, rot_z
from poselift.datasets.synthetic.render import BodyStyle
from poselift.geometry.cameras import project_world_to_pixels, qrot
from poselift.io.formats import save_3d
from poselift.io.video import read_boxes, read_video
from stages import render as render_stage
from tests.conftest import data_params, write_tiny_dataset

pytestmark = pytest.mark.usefixtures("one_thread")

STYLE = BodyStyle(skin=(0.9, 0.6, 0.5), hair=(0.3, 0.2, 0.1), shirt=(0.2, 0.4, 0.8), trousers=(0.7, 0.5, 0.2),
                  shoes=(0.1, 0.1, 0.1), long_sleeves=False, girth=1.0)
JOINT = {name: j for j, name in enumerate(H36M.skeleton.names)}
FRONT = H36M.cameras("S1")[1]  # 55011271, 1000x1000: the rest pose faces it (it faces -y)
TALL = H36M.cameras("S1")[0]  # 54138969, 1000x1002


def standing(camera=FRONT) -> np.ndarray:
    """The synthetic data set's reference body standing with its arms down, (32, 3) metres, world frame: at
    the origin, feet on the floor, facing `camera`."""
    rest, _ = forward_kinematics(make_body(1.0).offsets, np.broadcast_to(np.eye(3), (1, 32, 3, 3)))
    yaw = np.arctan2(camera.translation[1], camera.translation[0])
    pose = rest[0] / 1000 @ rot_z(np.array(yaw)).T  # body axes (x forward, y left) turned towards the camera
    pose[:, 2] -= pose[:, 2].min() - 0.03
    return pose


def plain(camera, scale, value) -> np.ndarray:
    width, height = render.video_size(camera, scale)
    return np.full((height, width, 3), value, dtype=np.uint8)


def pixel(frame: np.ndarray, point_full: np.ndarray, scale: float) -> np.ndarray:
    """The pixel (3,) of `frame` that covers full-resolution point (2,)."""
    col, row = np.floor(np.asarray(point_full) * scale).astype(int)
    return frame[row, col].astype(float)


def is_shade_of(value: np.ndarray, colour) -> bool:
    """Whether an RGB pixel is `colour` (RGB in [0, 1]) times one brightness, as shading makes it."""
    ratio = value / (np.asarray(colour) * 255)
    return bool(ratio.min() > 0.2 and ratio.max() - ratio.min() < 0.04)


def body_mask(poses, camera, scale) -> np.ndarray:
    """(T, h, w) bool: pixels the body changes, from renders over a black and a white background."""
    black = render.render_frames(poses, camera, scale, plain(camera, scale, 0), STYLE)
    white = render.render_frames(poses, camera, scale, plain(camera, scale, 255), STYLE)
    return (black != 0).any(axis=-1) | (white != 255).any(axis=-1)


def test_joints_are_drawn_in_their_parts_colours_and_the_rest_is_background():
    poses, scale = standing()[None], 0.25
    frame = render.render_frames(poses, FRONT, scale, plain(FRONT, scale, 128), STYLE)[0]
    joints = project_world_to_pixels(poses, FRONT)[0]  # (32, 2) full-resolution pixels
    forearm = (joints[JOINT["LElbow"]] + joints[JOINT["LWrist"]]) / 2  # bare: STYLE has short sleeves
    for where, colour in (("Spine", STYLE.shirt), ("Thorax", STYLE.shirt), ("RKnee", STYLE.trousers),
                          ("LKnee", STYLE.trousers), ("Neck/Nose", STYLE.skin), (forearm, STYLE.skin)):
        value = pixel(frame, joints[JOINT[where]] if isinstance(where, str) else where, scale)
        assert is_shade_of(value, colour), (where, value)
    x0, y0, x1, y1 = render.person_boxes_gt(poses, FRONT, STYLE)[0] * scale  # video pixels
    outside = np.ones(frame.shape[:2], dtype=bool)
    outside[int(y0) - 1:int(np.ceil(y1)) + 1, int(x0) - 1:int(np.ceil(x1)) + 1] = False  # + the anti-aliased rim
    assert (frame[outside] == 128).all()
    assert (frame[~outside] != 128).any(axis=-1).mean() > 0.3  # the box is mostly body


def arm_at(pose: np.ndarray, elbow: np.ndarray, hand: np.ndarray) -> np.ndarray:
    """The pose with the right elbow at `elbow` (3,) and the wrist and hand joints at `hand` (3,), metres."""
    moved = pose.copy()
    moved[JOINT["RElbow"]] = elbow
    for joint in ("RWrist", "RThumb", "RThumbSite", "RHand", "RHandSite"):
        moved[JOINT[joint]] = hand
    return moved


def test_the_nearer_surface_hides_the_farther_one():
    """The right hand in front of the chest, then as far behind it, both on the camera's ray through the
    spine (so drawn at the same pixel): depth decides its colour. Then the forearm through the chest, from
    behind it to in front: the chest hides the forearm's far end and the forearm hides the chest near its
    hand, which no single order of whole parts can draw."""
    pose, scale = standing(), 0.5
    spine, elbow = pose[JOINT["Spine"]], pose[JOINT["RElbow"]]
    towards = (FRONT.translation - spine) / np.linalg.norm(FRONT.translation - spine)  # (3,) to the camera
    across = np.cross(towards, [0, 0, 1.0])  # (3,) horizontal, in the image plane
    poses = np.stack([arm_at(pose, elbow, spine + 0.3 * towards), arm_at(pose, elbow, spine - 0.3 * towards),
                      arm_at(pose, spine - 0.2 * towards + 0.05 * across, spine + 0.3 * towards - 0.05 * across)])
    frames = render.render_frames(poses, FRONT, scale, plain(FRONT, scale, 128), STYLE)
    at = project_world_to_pixels(spine[None, None], FRONT)[0, 0]
    assert is_shade_of(pixel(frames[0], at, scale), STYLE.skin)  # the hand, in front
    assert is_shade_of(pixel(frames[1], at, scale), STYLE.shirt)  # the chest, in front of the hand
    elbow, wrist = poses[2, JOINT["RElbow"]], poses[2, JOINT["RWrist"]]
    forearm = elbow + np.array([[0.2], [0.8]]) * (wrist - elbow)  # (2, 3): near the elbow, near the wrist
    behind, before = project_world_to_pixels(forearm[None], FRONT)[0]  # (2,) full-resolution pixels each
    assert is_shade_of(pixel(frames[2], behind, scale), STYLE.shirt)
    assert is_shade_of(pixel(frames[2], before, scale), STYLE.skin)


def test_the_box_holds_every_joint_and_is_tight_on_the_drawn_body():
    poses, scale = standing()[None], 0.5
    box = render.person_boxes_gt(poses, TALL, STYLE)[0]  # full-resolution pixels
    joints = project_world_to_pixels(poses, TALL)[0]  # (32, 2)
    assert (box[:2] <= joints.min(axis=0)).all() and (box[2:] >= joints.max(axis=0)).all()
    widest = 0.13 * 1145 / 5  # px: the thickest radius (m) at the body's distance (about 5 m, f about 1145 px)
    assert (box[:2] >= joints.min(axis=0) - widest).all() and (box[2:] <= joints.max(axis=0) + widest).all()
    rows, cols = np.nonzero(body_mask(poses, TALL, scale)[0])
    drawn = (np.array([cols.min(), rows.min(), cols.max(), rows.max()]) + 0.5) / scale  # pixel centres, full res
    assert np.all(np.abs(drawn - box) <= 1.5 / scale), (drawn, box)


def test_a_body_out_of_the_frame_or_behind_the_camera_has_no_box_and_one_half_out_a_clipped_one():
    pose = standing()
    right = qrot(TALL.orientation, np.array([1.0, 0, 0], dtype=np.float32))  # the camera's x axis, world frame
    behind = pose + 2 * (TALL.translation - pose[JOINT["Spine"]])  # mirrored through the camera centre
    poses = np.stack([pose, pose + 2.7 * right, pose + 20 * right, behind])
    boxes = render.person_boxes_gt(poses, TALL, STYLE)
    assert np.isfinite(boxes[:2]).all() and np.isnan(boxes[2:]).all()
    assert boxes[0, 2] < TALL.res_w and boxes[1, 0] < TALL.res_w == boxes[1, 2]  # half out: clipped to the frame
    frames = render.render_frames(poses, TALL, 0.1, plain(TALL, 0.1, 128), STYLE)
    assert (frames[2:] == 128).all()


def test_scale_sizes_the_frame_and_the_body_with_it():
    poses = standing()[None]
    half, quarter = body_mask(poses, TALL, 0.5)[0], body_mask(poses, TALL, 0.25)[0]
    assert half.shape == (501, 500) and quarter.shape == (250, 250)  # 1000x1002 rounded at each scale

    def centroid(mask, scale):  # full-resolution pixels
        rows, cols = np.nonzero(mask)
        return (np.array([cols.mean(), rows.mean()]) + 0.5) / scale

    assert np.allclose(centroid(half, 0.5), centroid(quarter, 0.25), atol=2.0)
    assert quarter.sum() == pytest.approx(half.sum() / 4, rel=0.1)
    col, row = project_world_to_pixels(poses, TALL)[0, JOINT["Head"]]
    assert half[int(row * 0.5), int(col * 0.5)] and quarter[int(row * 0.25), int(col * 0.25)]


def test_the_lens_distortion_is_drawn():
    """Near the image border the real camera's radial distortion moves the body by several pixels against
    the same camera without distortion: the box and the drawing follow the real one."""
    straight = dataclasses.replace(TALL, intrinsic=np.concatenate([TALL.intrinsic[:4], np.zeros(5, np.float32)]))
    right = qrot(TALL.orientation, np.array([1.0, 0, 0], dtype=np.float32))  # the camera's x axis, world frame
    poses = (standing() - 1.7 * right)[None]  # near the left border
    scale = 0.5
    real, undistorted = render.person_boxes_gt(poses, TALL, STYLE)[0], render.person_boxes_gt(poses, straight, STYLE)[0]
    assert real[0] < 250 and abs(real[0] - undistorted[0]) > 4 / scale
    cols = np.nonzero(body_mask(poses, TALL, scale)[0].any(axis=0))[0]
    left = (cols.min() + 0.5) / scale
    assert abs(left - real[0]) <= 1.5 / scale < abs(left - undistorted[0])


def stage_params(seed: int = 7, scale: float = 0.1) -> dict:
    return {"seed": seed, "data": data_params(subjects=("S1",)), "render": {"scale": scale, "crf": 18}}


def test_the_stage_writes_videos_and_boxes_that_read_back_the_same_on_every_run(tmp_path):
    data_3d, _ = write_tiny_dataset(tmp_path, subjects=("S1",), actions=("Walking",), frames=5)
    runs = []
    for run in ("a", "b"):
        render_stage.main(stage_params(), data_3d, "S1", tmp_path / run, tmp_path / f"{run}.png")
        videos = {}
        for sequence, frames in (("Walking 1", 12), ("Walking 2", 19)):
            for camera in H36M.cameras("S1"):
                video, info = read_video(H36M.video_path(tmp_path / run, "S1", sequence, camera.id))
                boxes, size = read_boxes(H36M.boxes_path(tmp_path / run, "S1", sequence, camera.id))
                assert video.shape == (frames, 100, 100, 3) and info.fps == 50
                assert boxes.shape == (frames, 4) and np.isfinite(boxes).all() and size == (camera.res_w, camera.res_h)
                videos[sequence, camera.id] = video, boxes
        assert (tmp_path / f"{run}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        runs.append(videos)
    assert runs[0].keys() == runs[1].keys()
    for key, (video, boxes) in runs[0].items():
        assert np.array_equal(video, runs[1][key][0]) and np.array_equal(boxes, runs[1][key][1])
    rooms = [render.background_image(seed, subject, FRONT, 0.1).mean(axis=(0, 1)) for seed, subject in
             ((7, "S1"), (8, "S1"), (7, "S5"))]  # (3,) mean RGB each: another seed or subject, another room
    assert np.abs(rooms[1] - rooms[0]).max() > 5 and np.abs(rooms[2] - rooms[0]).max() > 5


def test_the_stage_skips_the_sequences_the_data_set_leaves_out(tmp_path):
    poses = np.repeat(standing()[None].astype(np.float32), 3, axis=0)
    save_3d(tmp_path / "data_3d.npz", {"S11": {"Directions": poses, "Walking": poses}})
    params = stage_params(scale=0.05) | {"data": data_params(subjects=("S11",))}
    render_stage.main(params, tmp_path / "data_3d.npz", "S11", tmp_path / "out")
    written = sorted(p.name for p in (tmp_path / "out").rglob("*.mp4"))
    assert written == sorted(f"Walking.{c.id}.mp4" for c in H36M.cameras("S11"))


def test_a_subject_absent_from_the_file_is_named_with_the_file(tmp_path):
    data_3d, _ = write_tiny_dataset(tmp_path, subjects=("S1",), actions=("Walking",), frames=2)
    with pytest.raises(ValueError, match=rf"{data_3d}: no subject S5; it has S1"):
        render_stage.main(stage_params(), data_3d, "S5", tmp_path / "out")
    assert not (tmp_path / "out").exists()
