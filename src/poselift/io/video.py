"""Video files, decoded and encoded in-process with PyAV (FFmpeg bundled in its wheel), and person-box files.

Frames are uint8 RGB arrays `(T, H, W, 3)`. Videos are written as H.264 in mp4 (yuv420p), atomically. Where a
data set keeps its videos is the data set's business (`poselift.datasets.h36m.videos`).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import itertools
import math
import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from poselift.io.atomic import atomic_path

X264_THREADS = 1  # encoder threads, pinned: x264's bytes depend on them (see `write_video`)
_M_PERTURB = -6  # glibc's mallopt parameter: fill each heap block with a byte when allocated (and freed)
_HEAP_FILL = 0x55


@functools.cache
def _mallopt():
    """glibc's `mallopt` in this process, or None where the C library has none."""
    return getattr(ctypes.CDLL(None), "mallopt", None)


@contextlib.contextmanager
def _constant_fresh_heap() -> Iterator[None]:
    """While inside, glibc fills every heap block it hands out with the same byte, then stops.

    The x264 in PyAV's wheel reads heap memory it has not written while it chooses how to code a frame:
    the same frames, encoded 200 times in one process, gave up to 20 different bitstreams (and decoded
    frames one level apart at a few pixels), depending on what earlier allocations had left on the heap.
    With the fresh heap filled with a constant (glibc's `M_PERTURB`, as `MALLOC_PERTURB_` sets it at start
    up) every encode gave the same bytes. Outside glibc (no `mallopt`) this does nothing.
    """
    mallopt = _mallopt()
    if mallopt is None or not mallopt(_M_PERTURB, _HEAP_FILL):
        yield
        return
    try:
        yield
    finally:
        mallopt(_M_PERTURB, 0)


class VideoError(ValueError):
    """A video file that cannot be used: its message names the file and what is wrong."""


@dataclass(frozen=True)
class VideoInfo:
    frames: int
    width: int  # pixels
    height: int
    fps: float


def _open(path: Path) -> av.container.InputContainer:
    if not path.exists():
        raise VideoError(f"{path}: no such video file")
    if not path.is_file():
        raise VideoError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: the video file is empty (0 bytes)")
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as e:
        raise VideoError(f"{path}: not a readable video file ({e.strerror or e})") from e
    if not container.streams.video:
        container.close()
        raise VideoError(f"{path}: the file has no video stream")
    return container


def _info(path: Path, container: av.container.InputContainer) -> VideoInfo:
    stream = container.streams.video[0]
    rate = stream.average_rate or stream.guessed_rate
    if not rate:
        raise VideoError(f"{path}: the video stream has no frame rate")
    frames = stream.frames
    if frames <= 0:  # the container does not say: count the packets, which needs no decoding
        try:
            frames = sum(1 for packet in container.demux(stream) if packet.size)
        except av.error.FFmpegError as e:
            raise VideoError(f"{path}: cannot read the video stream ({e.strerror or e})") from e
    return VideoInfo(frames, stream.codec_context.width, stream.codec_context.height, float(rate))


def video_info(path: str | os.PathLike) -> VideoInfo:
    """Frame count, size and frame rate from the container's header (mp4 records them), without decoding."""
    path = Path(path)
    with _open(path) as container:
        return _info(path, container)


def iter_video(path: str | os.PathLike, chunk: int = 64) -> Iterator[np.ndarray]:
    """Decode a video in chunks of up to `chunk` frames, each `(t, H, W, 3)` uint8 RGB, so that a long video
    need not be held in memory."""
    if chunk < 1:
        raise ValueError(f"chunk must be positive, got {chunk}")
    path = Path(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        # slice threads only: frame-threaded decoding gave a pixel of a video's last frame one level apart
        # between two reads in CI; decoded frames (and what is detected on them) must be the same every time
        stream.thread_type = "SLICE"
        decoded = 0
        batch = []
        try:
            for frame in container.decode(stream):
                batch.append(frame.to_ndarray(format="rgb24"))  # (H, W, 3) uint8 RGB
                decoded += 1
                if len(batch) == chunk:
                    yield np.stack(batch)
                    batch = []
        except av.error.FFmpegError as e:
            raise VideoError(f"{path}: corrupt video, decoding failed after {decoded} frames "
                             f"({e.strerror or e})") from e
        if batch:
            yield np.stack(batch)
        if decoded == 0:
            raise VideoError(f"{path}: the video stream has no frames")


def read_video(path: str | os.PathLike) -> tuple[np.ndarray, VideoInfo]:
    """All frames `(T, H, W, 3)` uint8 RGB and the video's `VideoInfo`. A video that decodes to fewer or
    more frames than its header records, or to frames of another size, is refused as corrupt."""
    path = Path(path)
    info = video_info(path)
    frames = np.concatenate(list(iter_video(path)))
    if len(frames) != info.frames or frames.shape[1:3] != (info.height, info.width):
        raise VideoError(f"{path}: corrupt video, its header records {info.frames} frames of {info.width}x"
                         f"{info.height} pixels, decoding gave {len(frames)} of {frames.shape[2]}x{frames.shape[1]}")
    return frames, info


def _frames_of(path: Path, frames: np.ndarray | Iterable[np.ndarray]) -> tuple[np.ndarray, Iterator[np.ndarray]]:
    """The first frame and an iterator over all frames, each checked to be (H, W, 3) uint8 of the first's size."""
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise VideoError(f"{path}: no frames to write")

    def checked(frame: np.ndarray) -> np.ndarray:
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.shape != first.shape:
            raise VideoError(f"{path}: frames must all be (H, W, 3) uint8 RGB of shape {first.shape}, got "
                             f"{frame.dtype} {frame.shape}")
        return frame

    first = np.asarray(first)
    if first.ndim != 3 or first.shape[2] != 3 or first.dtype != np.uint8:
        raise VideoError(f"{path}: frames must be (H, W, 3) uint8 RGB, got {first.dtype} {first.shape}")
    return first, (checked(f) for f in itertools.chain([first], frames))


def write_video(path: str | os.PathLike, frames: np.ndarray | Iterable[np.ndarray], fps: float,
                crf: int = 18, preset: str = "veryfast", lossless: bool = False,
                bitrate_kbps: float | None = None) -> Path:
    """Write frames as H.264 in mp4, atomically: the file appears complete or not at all.

    frames: (T, H, W, 3) uint8 RGB, or an iterable of (H, W, 3) frames. By default the video is yuv420p,
    which every player reads; it halves the chroma resolution, so an odd width or height is padded to
    even by repeating the last column or row. crf: x264's constant rate factor, 0 to 51; 18 is
    visually lossless. preset: x264's speed/size trade-off (`ultrafast` ... `veryslow`); it changes
    the quality at a given crf little. `lossless`: H.264 in RGB (libx264rgb, crf 0), which decodes to
    exactly the frames written, at any size, but which few players other than FFmpeg read.
    `bitrate_kbps`: an average bit rate (kilobits per second) instead of the constant rate factor.

    x264 runs on one thread (`X264_THREADS`): its bytes depend on its thread count, which by default
    follows the machine's cores, and with frame threads its rate control can vary from run to run; on
    one thread the same frames give the same file on every machine (and small videos encode faster).
    It encodes with the fresh heap filled with a constant (`_constant_fresh_heap`): x264 reads memory it
    has not written, and its bytes followed what was left there.
    """
    path = Path(path)
    first, frames = _frames_of(path, frames)
    if not 0 <= crf <= 51:
        raise VideoError(f"{path}: crf must be in 0..51, got {crf}")
    if not (math.isfinite(fps) and fps > 0):
        raise VideoError(f"{path}: fps must be positive, got {fps}")
    if bitrate_kbps is not None and not (math.isfinite(bitrate_kbps) and bitrate_kbps > 0 and not lossless):
        raise VideoError(f"{path}: bitrate_kbps must be positive (and the video not lossless), got {bitrate_kbps}")
    height, width = first.shape[:2]
    pad = ((0, 0), (0, 0), (0, 0)) if lossless else ((0, height % 2), (0, width % 2), (0, 0))
    with (atomic_path(path) as tmp, _constant_fresh_heap(),
          av.open(str(tmp), mode="w", format="mp4") as container):
        stream = container.add_stream("libx264rgb" if lossless else "libx264",
                                      rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height = width + pad[1][1], height + pad[0][1]
        stream.pix_fmt = "rgb24" if lossless else "yuv420p"
        stream.options = {"crf": "0" if lossless else str(crf), "preset": preset, "threads": str(X264_THREADS)}
        if bitrate_kbps is not None:
            del stream.options["crf"]
            stream.bit_rate = int(bitrate_kbps * 1000)
        for frame in frames:
            image = av.VideoFrame.from_ndarray(np.pad(frame, pad, mode="edge"), format="rgb24")
            container.mux(stream.encode(image))
        container.mux(stream.encode())  # flush the encoder's delayed frames
    return path


def write_gif(path: str | os.PathLike, frames: np.ndarray | Iterable[np.ndarray], fps: float, loop: int = 0) -> Path:
    """Write frames (T, H, W, 3) uint8 RGB as an animated GIF (256 colours per frame), atomically.

    GIF frame delays are in hundredths of a second, so `fps` is rounded to the nearest such delay.
    loop: times to repeat, 0 for ever.
    """
    path = Path(path)
    _, frames = _frames_of(path, frames)
    images = [Image.fromarray(frame) for frame in frames]
    with atomic_path(path, suffix=".gif") as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                       duration=round(100 / fps) * 10, loop=loop)
    return path


def check_video(path: str | os.PathLike, expected_frames: int | None = None,
                expected_size: tuple[int, int] | None = None, *, subject: str | None = None,
                action: str | None = None, camera: str | None = None) -> VideoInfo:
    """Check a video against what its sequence needs: `expected_frames` frames (those of its 3D sequence)
    and `expected_size` (width, height), the camera's resolution; None skips a check. Every error names
    the file, and the subject, action and camera of those given."""
    path = Path(path)
    given = [f"subject {subject}" if subject is not None else "", f"action {action!r}" if action is not None else "",
             f"camera {camera}" if camera is not None else ""]
    where = f" [{', '.join(g for g in given if g)}]" if any(given) else ""
    try:
        info = video_info(path)
    except VideoError as e:
        raise VideoError(f"{e}{where}") from e
    if expected_frames is not None and info.frames != expected_frames:
        raise VideoError(f"{path}: the video has {info.frames} frames, its sequence {expected_frames}{where}")
    if expected_size is not None and (info.width, info.height) != tuple(expected_size):
        raise VideoError(f"{path}: the video is {info.width}x{info.height} pixels, expected "
                         f"{expected_size[0]}x{expected_size[1]}{where}")
    return info


def write_boxes(path: str | os.PathLike, boxes: np.ndarray, size: tuple[int, int]) -> Path:
    """Write a video's person boxes, atomically, as npz: `boxes` (T, 4) float32 x1 y1 x2 y2 in pixels of a
    `size` = (width, height) frame (NaN where no person is seen), `frames` T. The data set's boxes are in its
    cameras' full resolution; those of a video in the wild in the video's own pixels."""
    boxes = np.asarray(boxes, dtype=np.float32)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{path}: boxes must be (T, 4), got shape {boxes.shape}")
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, boxes=boxes, frames=np.int64(len(boxes)), size=np.asarray(size, dtype=np.int64))
    return Path(path)


def read_boxes(path: str | os.PathLike) -> tuple[np.ndarray, tuple[int, int]]:
    """The boxes (T, 4) float32 pixels and the (width, height) of the frame they refer to; see `write_boxes`."""
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"{path}: no such boxes file")
    try:
        with np.load(path) as data:
            boxes, frames, size = data["boxes"], int(data["frames"]), tuple(int(v) for v in data["size"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
        raise VideoError(f"{path}: not a boxes file written by write_boxes ({e})") from e
    if boxes.shape != (frames, 4):
        raise VideoError(f"{path}: boxes of shape {boxes.shape}, expected ({frames}, 4)")
    return boxes, size
