"""Animation frames (input panel with 2D keypoints, one 3D view per pose set) and their mp4/GIF files."""

import numpy as np
import pytest
from PIL import Image

from poselift.datasets.h36m.skeleton import H36M_17
from poselift.io.animation import COCO_BONES, Bones, animation_frames, write_animation
from poselift.io.video import read_video

BONES_3D = Bones.from_skeleton(H36M_17)
IMAGE = (100, 100)  # (w, h) pixels of the input video
FRAMES = 6


def standing_poses(frames: int = FRAMES) -> np.ndarray:
    """(frames, 17, 3) metres, world frame: a stick figure, feet on the floor, walking along y."""
    pose = np.zeros((17, 3))
    pose[:, 2] = np.linspace(1.7, 0.1, 17)  # the joints stacked from head to feet
    pose[[1, 2, 3, 14, 15, 16], 0] = -0.15  # right side
    pose[[4, 5, 6, 11, 12, 13], 0] = 0.15
    pose[0] = (0, 0, 0.95)
    return pose + np.array([0, 0.05, 0]) * np.arange(frames)[:, None, None]


def keypoints_at(x: float, y: float, frames: int = FRAMES) -> np.ndarray:
    """(frames, 17, 2): every COCO keypoint at pixel (x, y)."""
    return np.tile(np.array([x, y], dtype=np.float64), (frames, 17, 1))


def render(keypoints_2d=None, poses_3d=None, video=None, size=(200, 100), frame_range=None) -> list[np.ndarray]:
    keypoints_2d = keypoints_at(50, 50) if keypoints_2d is None else keypoints_2d
    poses_3d = {"ground truth": standing_poses()} if poses_3d is None else poses_3d
    return list(animation_frames(video, keypoints_2d, poses_3d, bones_2d=COCO_BONES, bones_3d=BONES_3D,
                                 image_size=IMAGE, size=size, azimuth=70, frame_range=frame_range))


def changed_centroid(frame: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(x, y) pixels: the centre of the pixels that differ between two frames."""
    ys, xs = np.nonzero(np.any(frame != reference, axis=-1))
    assert len(xs) > 0, "nothing changed"
    return np.array([xs.mean(), ys.mean()])


@pytest.mark.parametrize("size", [(240, 80), (161, 75)])
def test_frames_have_the_requested_size_and_dtype(size):
    frames = render(poses_3d={"ground truth": standing_poses(), "baseline": standing_poses()}, size=size,
                    frame_range=(0, 2))
    assert all(f.shape == (size[1], size[0], 3) and f.dtype == np.uint8 for f in frames)


def test_one_frame_per_frame_of_the_range_and_the_video_frames_of_the_range():
    video = [np.full((100, 100, 3), 20 * i, dtype=np.uint8) for i in range(FRAMES)]  # frame i: grey level 20 i
    nan = np.full((FRAMES, 17, 2), np.nan)  # nothing drawn over the video
    assert len(render(nan)) == FRAMES
    frames = render(nan, video=iter(video), frame_range=(2, 5))
    assert len(frames) == 3
    # the middle of the input panel shows the video frame of the same index
    assert [int(f[55, 50, 0]) for f in frames] == [40, 60, 80]


def test_the_video_frame_is_shown_upright():
    frame = np.zeros((100, 100, 3), dtype=np.uint8)
    frame[:50, :, 0] = 255  # top half red
    frame[50:, :, 2] = 255  # bottom half blue
    shown = render(np.full((FRAMES, 17, 2), np.nan), video=[frame] * FRAMES, frame_range=(0, 1))[0]
    column = shown[:, 50].astype(int)  # the middle of the input panel, top to bottom
    red_rows = np.flatnonzero((column[:, 0] > 200) & (column[:, 2] < 50))
    blue_rows = np.flatnonzero((column[:, 2] > 200) & (column[:, 0] < 50))
    assert len(red_rows) > 20 and len(blue_rows) > 20 and red_rows.max() < blue_rows.min()


def test_the_3d_axes_have_equal_aspect():
    # Seen side on (elevation 0, looking along +y): a horizontal and a vertical metre through the view's
    # centre are drawn equally long.
    def extent(ends: np.ndarray) -> np.ndarray:
        centre = np.array([0.0, 0.0, 0.85])  # the middle of the 1.7 m view
        pose = np.stack([centre, centre + ends, centre - ends])[None]  # (1, 3, 3): joint 0 the root
        dot = np.repeat(pose[:, :1], 3, axis=1)
        frames = [next(animation_frames(None, np.zeros((1, 2, 2)), {"a": p}, bones_2d=Bones(()),
                                        bones_3d=Bones(((0, 1), (0, 2))), image_size=IMAGE, size=(300, 150),
                                        azimuth=-90, elevation=0)) for p in (pose, dot)]
        ys, xs = np.nonzero(np.any(frames[0][:, 150:] != frames[1][:, 150:], axis=-1))
        return np.array([xs.max() - xs.min(), ys.max() - ys.min()])  # (width, height) pixels

    horizontal, vertical = extent(np.array([0.5, 0, 0])), extent(np.array([0, 0, 0.5]))
    assert horizontal[0] > 40 and horizontal[1] < 8 and vertical[0] < 8
    np.testing.assert_allclose(vertical[1], horizontal[0], rtol=0.05)


def test_a_short_video_or_a_bad_range_is_refused():
    video = [np.zeros((100, 100, 3), dtype=np.uint8)] * 3
    with pytest.raises(ValueError, match="the video ended after 1 frames of the range, the animation needs 3"):
        render(video=video, frame_range=(2, 5))
    with pytest.raises(ValueError, match=r"expected uint8 \(100, 100, 3\)"):
        render(video=[np.zeros((50, 100, 3), dtype=np.uint8)] * FRAMES)
    with pytest.raises(ValueError, match=r"frame_range \(4, 7\) is not within the 6 frames"):
        render(frame_range=(4, 7))
    with pytest.raises(ValueError, match=r"poses_3d\['gt'\] must be \(6, J, 3\)"):
        render(poses_3d={"gt": standing_poses(5)})
    with pytest.raises(ValueError, match=r"poses_3d\['gt'\] has non-finite values"):
        render(poses_3d={"gt": np.full((FRAMES, 17, 3), np.nan)})
    with pytest.raises(ValueError, match="keypoints_2d has 16 joints, fewer than its bones use"):
        render(keypoints_at(50, 50)[:, :16])


def test_a_keypoint_is_drawn_where_its_pixel_is_in_the_input_panel():
    nothing = render(np.full((FRAMES, 17, 2), np.nan), frame_range=(0, 1))[0]
    centres = {xy: changed_centroid(render(keypoints_at(*xy), frame_range=(0, 1))[0], nothing)
               for xy in [(20, 30), (80, 30), (20, 70)]}
    assert all(c[0] < 100 for c in centres.values())  # in the left panel (width 200 / 2 panels)
    right = centres[80, 30] - centres[20, 30]  # 60 px to the right in the image
    down = centres[20, 70] - centres[20, 30]  # 40 px down
    assert right[0] > 30 and abs(right[1]) < 1
    assert down[1] > 20 and abs(down[0]) < 1
    np.testing.assert_allclose(right[0] / 60, down[1] / 40, rtol=0.05)  # the image keeps its aspect ratio


def test_a_3d_pose_moved_up_changes_its_panel_only():
    poses = standing_poses()
    before = render(poses_3d={"a": poses, "b": poses}, size=(240, 80), frame_range=(0, 1))[0]
    after = render(poses_3d={"a": poses + np.array([0, 0, 0.3]), "b": poses}, size=(240, 80), frame_range=(0, 1))[0]
    np.testing.assert_array_equal(after[:, :80], before[:, :80])  # the input panel
    np.testing.assert_array_equal(after[:, 160:], before[:, 160:])  # the other pose set's panel
    assert np.any(after[:, 80:160] != before[:, 80:160])
    assert changed_centroid(after, before)[0] > 80


def test_the_3d_view_follows_the_root_in_x_and_y():
    # a whole metre-multiple step: the grid lines of the floor land on the same places
    poses = standing_poses()
    here = render(poses_3d={"a": poses}, frame_range=(0, 1))[0]
    moved = render(poses_3d={"a": poses + np.array([2.0, -4.0, 0.0])}, frame_range=(0, 1))[0]
    np.testing.assert_array_equal(moved, here)


@pytest.mark.parametrize("suffix", [".mp4", ".gif", ".GIF"])
def test_animation_files_read_back_with_every_frame(tmp_path, suffix):
    frames = render(size=(64, 48), frame_range=(1, 5))
    path = write_animation(tmp_path / f"animation{suffix}", iter(frames), fps=10)
    if suffix == ".mp4":
        video, info = read_video(path)
        assert video.shape == (4, 48, 64, 3) and info.fps == 10
    else:
        with Image.open(path) as gif:
            assert gif.n_frames == 4 and gif.size == (64, 48)


def test_an_unknown_suffix_is_refused_and_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match=r"animation\.avi: cannot write an animation as '\.avi'.*\.mp4 or \.gif"):
        write_animation(tmp_path / "animation.avi", render(frame_range=(0, 1)), fps=10)
    assert list(tmp_path.iterdir()) == []
