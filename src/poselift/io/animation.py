"""Animations of a lifted sequence: the input video with its 2D keypoints beside one 3D view per pose set.

The picture is VideoPose3D's (`run.py --viz-output`): on the left the video frame (a grey background
without video) with the 2D keypoints and bones; then, per pose set ("ground truth", a model's
prediction, ...), a titled 3D view of equal axes spanning `radius` metres, centred each frame on that
set's root joint in x and y, from z = 0 (the floor) to z = `radius`. Bones whose joint is on the right
side are red, the others black.

Frames are drawn with matplotlib's object API on an Agg canvas, without pyplot. The figure and its
artists are made once and only their data change per frame.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter
from mpl_toolkits.mplot3d import Axes3D
from mpl_toolkits.mplot3d.art3d import Line3DCollection

from poselift.geometry.layouts import LAYOUTS, Layout
from poselift.geometry.skeleton import Skeleton
from poselift.io.video import write_gif, write_video

DPI = 100  # pixels per figure inch; fonts and line widths (points) scale with it
RADIUS = 1.7  # metres, the side of VideoPose3D's 3D view
ELEVATION = 15.0  # degrees, VideoPose3D's view elevation
RIGHT_COLOUR, OTHER_COLOUR = "tab:red", "black"
GREY = 128  # background without video, uint8
TITLE_SPACE = 0.12  # fraction of the height above the panels, for their titles


@dataclass(frozen=True)
class Bones:
    """The segments to draw between joints, (a, b) joint index pairs, and the joints of the right side.

    A bone is drawn in the right side's colour when b is on the right and a is not on the left (so
    the bone across the hips or the shoulders is not).
    """

    pairs: tuple[tuple[int, int], ...]
    right: frozenset[int] = frozenset()
    left: frozenset[int] = frozenset()

    @classmethod
    def from_skeleton(cls, skeleton: Skeleton) -> Bones:
        """One bone from each joint's parent to the joint."""
        return cls(tuple(skeleton.bones()), frozenset(skeleton.joints_right), frozenset(skeleton.joints_left))

    @classmethod
    def from_names(cls, layout: Layout, pairs: Sequence[tuple[str, str]]) -> Bones:
        index = {name: j for j, name in enumerate(layout.names)}
        return cls(tuple((index[a], index[b]) for a, b in pairs), frozenset(layout.keypoints_right),
                   frozenset(layout.keypoints_left))

    def colours(self) -> list[str]:
        return [RIGHT_COLOUR if b in self.right and a not in self.left else OTHER_COLOUR for a, b in self.pairs]

    def segments(self, pose: np.ndarray) -> np.ndarray:
        """Pose (J, C) -> segments (B, 2, C), same unit."""
        return pose[np.asarray(self.pairs, dtype=np.intp).reshape(-1, 2)]


# COCO-17 has no kinematic tree: its bones by joint name (face, arms, shoulders and hips, legs).
COCO_BONES = Bones.from_names(LAYOUTS["coco"], (
    ("Nose", "LEye"), ("Nose", "REye"), ("LEye", "LEar"), ("REye", "REar"),
    ("LShoulder", "LElbow"), ("LElbow", "LWrist"), ("RShoulder", "RElbow"), ("RElbow", "RWrist"),
    ("LShoulder", "RShoulder"), ("LShoulder", "LHip"), ("RShoulder", "RHip"), ("LHip", "RHip"),
    ("LHip", "LKnee"), ("LKnee", "LFoot"), ("RHip", "RKnee"), ("RKnee", "RFoot"),
))


def _check_pair(name: str, value: Sequence[int]) -> tuple[int, int]:
    try:
        a, b = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be (width, height) in pixels, got {value!r}") from None
    if a <= 0 or b <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return a, b


def _check_poses(name: str, poses: np.ndarray, frames: int, channels: int, bones: Bones,
                 allow_nan: bool) -> np.ndarray:
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim != 3 or poses.shape[0] != frames or poses.shape[2] != channels:
        raise ValueError(f"{name} must be ({frames}, J, {channels}), got shape {poses.shape}")
    if bones.pairs and max(max(pair) for pair in bones.pairs) >= poses.shape[1]:
        raise ValueError(f"{name} has {poses.shape[1]} joints, fewer than its bones use")
    if not allow_nan and not np.isfinite(poses).all():
        raise ValueError(f"{name} has non-finite values")
    return poses


def animation_frames(video_frames: Iterable[np.ndarray] | None, keypoints_2d: np.ndarray,
                     poses_3d: Mapping[str, np.ndarray], *, bones_2d: Bones, bones_3d: Bones,
                     image_size: tuple[int, int], size: tuple[int, int], azimuth: float,
                     frame_range: tuple[int, int] | None = None, elevation: float = ELEVATION,
                     radius: float = RADIUS) -> Iterator[np.ndarray]:
    """The animation's frames, (height, width, 3) uint8 RGB each, one per frame of `frame_range`.

    video_frames: the input video, (h, w, 3) uint8 RGB frames of `image_size` from its first frame
      (a chunked video: `itertools.chain.from_iterable(iter_video(path))`), or None for a grey ground.
    keypoints_2d: (T, J2, 2) pixels of the video frame, x right, y down; NaN joints are not drawn.
    poses_3d: title -> (T, J3, 3) world frame, metres, z up (e.g. `poselift.lifting.wild.to_world`).
    image_size: (w, h) pixels of the video frame, the space of `keypoints_2d`.
    size: (width, height) pixels of the animation; the panels share the width equally.
    azimuth: degrees, the 3D view's (VideoPose3D uses the camera's `azimuth`).
    frame_range: (start, stop) frame indices, stop exclusive; None for all T frames.
    """
    width, height = _check_pair("size", size)
    image_size = _check_pair("image_size", image_size)
    frames = len(keypoints_2d)
    keypoints_2d = _check_poses("keypoints_2d", keypoints_2d, frames, 2, bones_2d, allow_nan=True)
    poses_3d = {title: _check_poses(f"poses_3d[{title!r}]", p, frames, 3, bones_3d, allow_nan=False)
                for title, p in poses_3d.items()}
    start, stop = (0, frames) if frame_range is None else frame_range
    if not 0 <= start < stop <= frames:
        raise ValueError(f"frame_range {frame_range} is not within the {frames} frames")
    video = None if video_frames is None else itertools.islice(video_frames, start, stop)
    panels = _Panels((width, height), image_size, bones_2d, bones_3d, list(poses_3d), azimuth, elevation, radius)
    return (panels.draw(frame, keypoints_2d[i], {t: p[i] for t, p in poses_3d.items()})
            for i, frame in zip(range(start, stop), _video_or_none(video, image_size, stop - start), strict=True))


def _video_or_none(video: Iterator[np.ndarray] | None, image_size: tuple[int, int],
                   count: int) -> Iterator[np.ndarray | None]:
    """`count` video frames, each checked to be (h, w, 3) uint8, or `count` Nones without video."""
    if video is None:
        yield from itertools.repeat(None, count)
        return
    w, h = image_size
    shown = 0
    for frame in video:
        frame = np.asarray(frame)
        if frame.shape != (h, w, 3) or frame.dtype != np.uint8:
            raise ValueError(f"video frame {shown} of the range is {frame.dtype} {frame.shape}, expected uint8 "
                             f"({h}, {w}, 3) for image_size {image_size}")
        yield frame
        shown += 1
    if shown < count:
        raise ValueError(f"the video ended after {shown} frames of the range, the animation needs {count}")


class _Panels:
    """The figure, made once: the input panel and one 3D panel per pose set, with their artists."""

    def __init__(self, size: tuple[int, int], image_size: tuple[int, int], bones_2d: Bones, bones_3d: Bones,
                 titles: list[str], azimuth: float, elevation: float, radius: float) -> None:
        self.size, self.bones_2d, self.bones_3d, self.radius = size, bones_2d, bones_3d, radius
        width, height = size
        self.figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        fontsize = TITLE_SPACE * 0.6 * height * 72 / DPI  # points: the title fills 60% of its space
        count = 1 + len(titles)
        rects = [(i / count, 0.0, 1 / count, 1 - TITLE_SPACE) for i in range(count)]  # figure fractions
        self._input_panel(rects[0], image_size, fontsize)
        self.views = [self._view_panel(rect, title, azimuth, elevation, fontsize)
                      for rect, title in zip(rects[1:], titles, strict=True)]

    def _input_panel(self, rect: tuple[float, ...], image_size: tuple[int, int], fontsize: float) -> None:
        w, h = image_size
        ax: Axes = self.figure.add_axes(rect)
        ax.set_axis_off()
        ax.set_title("Input", fontsize=fontsize)
        # extent: pixel coordinates run over [0, w] x [0, h], y down, as the keypoints' do
        self.image = ax.imshow(np.full((h, w, 3), GREY, dtype=np.uint8), extent=(0, w, h, 0))
        self.lines_2d = LineCollection([], colors=self.bones_2d.colours(), linewidths=1.5)
        ax.add_collection(self.lines_2d, autolim=False)
        self.points_2d = Line2D([], [], linestyle="none", marker="o", markersize=2.5, color="white",
                                markeredgecolor="black", markeredgewidth=0.5)
        ax.add_line(self.points_2d)
        ax.set_xlim(0, w)
        ax.set_ylim(h, 0)

    def _view_panel(self, rect: tuple[float, ...], title: str, azimuth: float, elevation: float,
                    fontsize: float) -> tuple[Axes3D, Line3DCollection]:
        ax: Axes3D = self.figure.add_axes(rect, projection="3d")
        ax.view_init(elev=elevation, azim=azimuth)
        ax.set_box_aspect((1, 1, 1))  # with equal ranges on the three axes: equal aspect
        ax.set_zlim3d(0, self.radius)  # the floor at z = 0
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
            axis.set_major_formatter(NullFormatter())
        ax.set_title(title, fontsize=fontsize)
        lines = Line3DCollection([], colors=self.bones_3d.colours(), linewidths=2)
        ax.add_collection(lines, autolim=False)  # limits are set per frame
        return ax, lines

    def draw(self, video_frame: np.ndarray | None, keypoints: np.ndarray, poses: dict[str, np.ndarray]) -> np.ndarray:
        """One frame: keypoints (J2, 2) pixels, poses title -> (J3, 3) metres -> (height, width, 3) uint8."""
        if video_frame is not None:
            self.image.set_data(video_frame)
        self.lines_2d.set_segments(self.bones_2d.segments(keypoints))  # (B, 2, 2)
        self.points_2d.set_data(keypoints[:, 0], keypoints[:, 1])
        for (ax, lines), pose in zip(self.views, poses.values(), strict=True):
            root_x, root_y = pose[0, :2]
            ax.set_xlim3d(root_x - self.radius / 2, root_x + self.radius / 2)
            ax.set_ylim3d(root_y - self.radius / 2, root_y + self.radius / 2)
            lines.set_segments(self.bones_3d.segments(pose))  # (B, 2, 3)
        self.canvas.draw()
        rgb = np.asarray(self.canvas.buffer_rgba())[..., :3]  # (height, width, 3), a view of the canvas
        width, height = self.size
        if rgb.shape[:2] != (height, width):
            raise RuntimeError(f"the canvas is {rgb.shape[1]}x{rgb.shape[0]} pixels, not {width}x{height}")
        return rgb.copy()


def write_animation(path: str | os.PathLike, frames: Iterable[np.ndarray], fps: float, crf: int = 18,
                    bitrate_kbps: float | None = None) -> Path:
    """Write animation frames ((H, W, 3) uint8 RGB each) as H.264 mp4 or as GIF, by the suffix of `path`.

    crf: the mp4's x264 quality (0 to 51, 18 visually lossless; see `write_video`), or `bitrate_kbps`, an
    average bit rate instead (VideoPose3D's `--viz-bitrate`); a GIF has 256 colours a frame and ignores both.
    The file is written atomically.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".mp4":
        return write_video(path, frames, fps, crf=crf, bitrate_kbps=bitrate_kbps)
    if suffix == ".gif":
        return write_gif(path, frames, fps)
    raise ValueError(f"{path}: cannot write an animation as {suffix!r}; the suffix must be .mp4 or .gif")
