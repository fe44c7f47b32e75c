"""Video files through PyAV: an encode/decode round trip, metadata, refusals naming the file, Human3.6M's layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from poselift.datasets.h36m.videos import h36m_boxes_path, h36m_video_path, h36m_videos
from poselift.io.video import (
    VideoError,
    VideoInfo,
    check_video,
    iter_video,
    read_boxes,
    read_video,
    video_info,
    write_boxes,
    write_gif,
    write_video,
)

T, H, W = 6, 48, 64


def smooth_frames(t=T, height=H, width=W) -> np.ndarray:
    """(t, height, width, 3) uint8: colour ramps that move from frame to frame, easy for H.264 at high quality."""
    y, x = np.mgrid[0:height, 0:width]
    frames = [np.stack([x * 3 + 10 * i + 5, y * 4 + 5 * i + 10, np.full_like(x, 60 + 20 * i)], -1)
              for i in range(t)]
    return np.asarray(frames, dtype=np.uint8)


def noise_frames(t=T, height=H, width=W) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (t, height, width, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> tuple[Path, np.ndarray]:
    frames = smooth_frames()
    path = write_video(tmp_path_factory.mktemp("video") / "clip.mp4", frames, fps=50, crf=0)
    return path, frames


def test_lossless_round_trip_gives_the_frames_back_exactly(tmp_path):
    frames = noise_frames(height=H - 1, width=W - 3)  # noise, odd sizes: nothing to hide an error
    path = write_video(tmp_path / "noise.mp4", frames, fps=25, lossless=True)
    decoded, info = read_video(path)
    assert info == VideoInfo(frames=T, width=W - 3, height=H - 1, fps=25.0)
    assert decoded.dtype == np.uint8 and decoded.shape == frames.shape
    np.testing.assert_array_equal(decoded, frames)


def test_high_quality_round_trip_is_close(video):
    path, frames = video
    assert video_info(path) == VideoInfo(frames=T, width=W, height=H, fps=50.0)
    decoded, info = read_video(path)
    assert info.frames == T and decoded.shape == (T, H, W, 3) and decoded.dtype == np.uint8
    error = np.abs(decoded.astype(int) - frames)
    assert error.mean() < 2 and error.max() <= 6  # yuv420p: colour conversion rounding, halved chroma
    assert not np.array_equal(decoded[0], decoded[1])  # the frames keep their order and differ


def test_the_encoder_thread_count_is_pinned_so_that_the_bytes_do_not_follow_the_machine(tmp_path):
    """x264 records its settings in the stream; at this size its default would be several threads."""
    frames = noise_frames(height=240, width=240)
    path = write_video(tmp_path / "pinned.mp4", frames, fps=50)
    settings = path.read_bytes()
    assert b" threads=1 " in settings and b" lookahead_threads=1 " in settings
    assert write_video(tmp_path / "again.mp4", frames, fps=50).read_bytes() == settings


def test_the_same_frames_give_the_same_bytes_on_every_encode_whatever_the_heap_holds(tmp_path):
    """x264 reads heap memory it has not written: without a constant-filled fresh heap, some of these
    encodes gave other bytes (and pixels one level apart) than the rest, in every process tried."""
    frames = np.cumsum(noise_frames(t=12, height=100, width=100), axis=2, dtype=np.uint8)  # wrapping ramps
    encodes = {write_video(tmp_path / "same.mp4", frames, fps=50).read_bytes() for _ in range(150)}
    assert len(encodes) == 1


def test_chunks_and_odd_sizes(tmp_path, video):
    path, _ = video
    assert [len(c) for c in iter_video(path, chunk=4)] == [4, 2]
    np.testing.assert_array_equal(np.concatenate(list(iter_video(path, chunk=4))), read_video(path)[0])
    with pytest.raises(ValueError, match="chunk must be positive"):
        next(iter_video(path, chunk=0))
    odd = write_video(tmp_path / "odd.mp4", smooth_frames(height=H - 1, width=W - 1), fps=30)
    assert (video_info(odd).width, video_info(odd).height) == (W, H)  # yuv420p: padded to even sizes


def test_fractional_frame_rate(tmp_path):
    path = write_video(tmp_path / "ntsc.mp4", smooth_frames(t=3), fps=30000 / 1001)
    assert video_info(path).fps == pytest.approx(29.97, abs=1e-3)


def test_a_failed_write_leaves_no_file(tmp_path):
    path = tmp_path / "bad.mp4"
    frames = [smooth_frames(t=1)[0], smooth_frames(t=1, width=W + 2)[0]]
    with pytest.raises(VideoError, match=r"bad.mp4: frames must all be .* of shape \(48, 64, 3\), got uint8 "
                                         r"\(48, 66, 3\)"):
        write_video(path, frames, fps=25)
    with pytest.raises(VideoError, match=r"bad\.mp4: no frames to write"):
        write_video(path, [], fps=25)
    with pytest.raises(VideoError, match=r"bad.mp4: frames must be \(H, W, 3\) uint8 RGB, got float32"):
        write_video(path, np.zeros((2, 8, 8, 3), np.float32), fps=25)
    with pytest.raises(VideoError, match=r"bad\.mp4: fps must be positive"):
        write_video(path, smooth_frames(t=1), fps=0)
    assert list(tmp_path.iterdir()) == []


def test_gif(tmp_path):
    path = write_gif(tmp_path / "clip.gif", smooth_frames(t=3), fps=10)
    assert path.read_bytes()[:6] == b"GIF89a"


# ---- refusals ----

def test_missing_empty_and_corrupt_files_are_refused_naming_the_file(tmp_path, video):
    with pytest.raises(VideoError, match=r"nothere.mp4: no such video file"):
        video_info(tmp_path / "nothere.mp4")
    (tmp_path / "empty.mp4").touch()
    with pytest.raises(VideoError, match=r"empty.mp4: the video file is empty \(0 bytes\)"):
        read_video(tmp_path / "empty.mp4")
    (tmp_path / "text.mp4").write_text("not a video at all " * 50)
    with pytest.raises(VideoError, match=r"text.mp4: not a readable video file"):
        read_video(tmp_path / "text.mp4")
    data = video[0].read_bytes()
    (tmp_path / "truncated.mp4").write_bytes(data[: len(data) // 2])  # mp4's index (moov) is at the end
    with pytest.raises(VideoError, match=r"truncated.mp4: not a readable video file"):
        video_info(tmp_path / "truncated.mp4")
    with pytest.raises(VideoError, match=r"truncated.mp4: not a readable video file"):
        list(iter_video(tmp_path / "truncated.mp4"))


def test_a_video_that_decodes_to_fewer_frames_than_its_header_is_corrupt(tmp_path, video):
    """Frames whose data is missing from the file (sample sizes cut to zero bytes) decode to nothing."""
    data = bytearray(video[0].read_bytes())
    stsz = data.index(b"stsz")  # sample sizes: version/flags, uniform size, count, then one size per sample
    count = int.from_bytes(data[stsz + 12:stsz + 16], "big")
    assert count == T
    for i in range(1, count):
        data[stsz + 16 + 4 * i:stsz + 20 + 4 * i] = bytes(4)
    (tmp_path / "holes.mp4").write_bytes(bytes(data))
    with pytest.raises(VideoError, match=r"holes.mp4: corrupt video, its header records 6 frames of 64x48 pixels, "
                                         r"decoding gave 1 of 64x48"):
        read_video(tmp_path / "holes.mp4")


def test_check_video_names_file_subject_action_and_camera(tmp_path, video):
    path, _ = video
    assert check_video(path, T, (W, H), subject="S1", action="Walking 1", camera="54138969").frames == T
    assert check_video(path).frames == T  # nothing to compare: only readable
    where = r"\[subject S9, action 'Photo 1', camera 60457274\]"
    with pytest.raises(VideoError, match=rf"clip.mp4: the video has 6 frames, its sequence 7 {where}"):
        check_video(path, T + 1, (W, H), subject="S9", action="Photo 1", camera="60457274")
    with pytest.raises(VideoError, match=rf"clip.mp4: the video is 64x48 pixels, expected 1000x1002 {where}"):
        check_video(path, T, (1000, 1002), subject="S9", action="Photo 1", camera="60457274")
    with pytest.raises(VideoError, match=r"clip.mp4: the video is 64x48 pixels, expected 64x50 \[camera 1\]$"):
        check_video(path, expected_size=(W, H + 2), camera="1")
    with pytest.raises(VideoError, match=r"S11/Videos/x.mp4: no such video file \[subject S11\]$"):
        check_video(tmp_path / "S11" / "Videos" / "x.mp4", T, subject="S11")
    with pytest.raises(VideoError, match=r"clip.mp4: the video has 6 frames, its sequence 5$"):
        check_video(path, T - 1)


# ---- Human3.6M layout and boxes ----

def test_h36m_paths_use_raw_action_names_and_leave_out_the_dropped_sequence(tmp_path):
    assert h36m_video_path(tmp_path, "S1", "Photo 1", "54138969") == tmp_path / "S1/Videos/TakingPhoto 1.54138969.mp4"
    assert h36m_boxes_path(tmp_path, "S5", "WalkDog", "55011271") == (
        tmp_path / "S5/MySegmentsMat/ground_truth_bb/WalkingDog.55011271.npz")
    with pytest.raises(VideoError, match=r"S11 'Directions' is left out"):
        h36m_video_path(tmp_path, "S11", "Directions", "54138969")
    listed = h36m_videos(tmp_path, ["S9", "S11"], ["Directions", "Eating 1"], cameras=["54138969", "55011271"])
    assert [(s, q, c) for s, q, c, _ in listed] == [
        ("S9", "Directions", "54138969"), ("S9", "Directions", "55011271"), ("S9", "Eating 1", "54138969"),
        ("S9", "Eating 1", "55011271"), ("S11", "Eating 1", "54138969"), ("S11", "Eating 1", "55011271")]


def test_boxes_round_trip_and_refusals(tmp_path):
    boxes = np.array([[1, 2, 30, 40], [np.nan] * 4, [3, 4, 33, 44]], dtype=np.float32)
    path = write_boxes(tmp_path / "b.npz", boxes, (1000, 1002))
    got, size = read_boxes(path)
    np.testing.assert_array_equal(got, boxes)
    assert size == (1000, 1002) and got.dtype == np.float32
    with pytest.raises(ValueError, match=r"boxes must be \(T, 4\)"):
        write_boxes(tmp_path / "c.npz", boxes[:, :3], (10, 10))
    with pytest.raises(VideoError, match=r"c\.npz: no such boxes file"):
        read_boxes(tmp_path / "c.npz")
    (tmp_path / "d.npz").write_text("not npz")
    with pytest.raises(VideoError, match=r"d\.npz: not a boxes file"):
        read_boxes(tmp_path / "d.npz")
