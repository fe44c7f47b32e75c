"""Test predictions shown: one test sequence per action, its ground truth beside the baseline's and the
action's own model's predictions, as an animation and as a still figure.

The sequence of an action is chosen deterministically: of the experiment's first test subject and one
camera, the first sequence of the action in name order (its first sub-action). Poses are placed as
VideoPose3D's `run.py --render` places them when the ground truth is known: the predictions made
root-relative and moved along the ground-truth trajectory (the root joint in the camera frame), then
ground truth and predictions turned into the world frame by the camera's orientation and translation
(`camera_to_world`), where z is up and the floor is z = 0.

Pure: sequences, predictions and cameras in; world-frame poses, animation frames and a Figure out.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter
from mpl_toolkits.mplot3d.art3d import Line3DCollection

from poselift.datasets.description import Dataset
from poselift.geometry.cameras import Camera, camera_to_world, image_coordinates
from poselift.geometry.layouts import Layout
from poselift.io.animation import COCO_BONES, ELEVATION, RADIUS, Bones, animation_frames
from poselift.lifting.sequences import Sequence as TestSequence
from poselift.study.models import BASELINE

GROUND_TRUTH = "ground truth"  # the title of the ground truth's panel
POSE_COLOURS = ("black", "tab:blue", "tab:orange")  # the still figure's ground truth, baseline, action's model
STILL_COLUMNS = 5  # actions per row of the still figure
GROUND_WIDTH = 200  # pixels, the width of the grey ground the animation draws the 2D input on


@dataclass(frozen=True)
class ShownSequence:
    """One action's test sequence as shown: the frames shown of its 2D input and of its pose sets."""

    action: str  # the base action (its model's name)
    sequence: TestSequence
    camera: Camera  # the sequence's camera
    frames: tuple[int, ...]  # indices of the frames shown, into the sequence
    keypoints_px: np.ndarray  # (F, J_in, 2) pixels of the camera's image: the 2D input of the frames shown
    poses_world: dict[str, np.ndarray]  # title -> (F, J_out, 3) metres, world frame, z up: truth, baseline, own


def input_bones(layout: Layout, dataset: Dataset) -> Bones:
    """The bones of the 2D input: the data set's tree for its own layout, COCO's for COCO keypoints, none
    (keypoints only) for another layout."""
    if layout.name == dataset.layout.name:
        return Bones.from_skeleton(dataset.lifted_skeleton)
    if layout.name == "coco":
        return COCO_BONES
    return Bones(())


def chosen_sequences(sequences: Sequence[TestSequence], actions: Sequence[str], subject: str,
                     camera: int) -> dict[str, TestSequence]:
    """action -> the sequence shown: of `subject` and camera index `camera`, the first of the action's
    sequences in name order (its first sub-action). ValueError naming what is missing."""
    chosen = {}
    for action in actions:
        candidates = [s for s in sequences if s.subject == subject and s.camera == camera and s.base_action == action]
        if not candidates:
            raise ValueError(f"no test sequence of action {action} for subject {subject} and camera {camera}")
        chosen[action] = min(candidates, key=lambda s: s.action)
    return chosen


def shown_frames(total: int, frames: Sequence[int], step: int, what: str) -> tuple[int, ...]:
    """The indices of `frames` ([start, stop)), every `step`-th, all within a sequence of `total` frames."""
    start, stop = frames
    if not 0 <= start < stop <= total:
        raise ValueError(f"{what} has {total} frames, report.animation.frames asks for [{start}, {stop}): "
                         f"lower them to within the sequence")
    return tuple(range(start, stop, step))


def world_poses(root_relative: np.ndarray, trajectory: np.ndarray, camera: Camera) -> np.ndarray:
    """Root-relative camera-frame poses (T, J, 3) and the root's trajectory (T, 3), metres, camera frame ->
    world-frame poses (T, J, 3), metres: `root_relative` with its joint 0 moved onto `trajectory`, turned
    and moved by the camera's extrinsics."""
    relative = root_relative - root_relative[:, :1]  # (T, J, 3): joint 0 at the origin
    return camera_to_world(relative + trajectory[:, None], camera.orientation, camera.translation)


def shown_sequence(action: str, sequence: TestSequence, camera: Camera, baseline: np.ndarray, own: np.ndarray,
                   frames: tuple[int, ...]) -> ShownSequence:
    """What is shown of `sequence` (of `action`, filmed by `camera`): the baseline's and the action model's
    predictions (T, J_out, 3), metres, camera frame (`poselift.lifting.evaluation.predict`'s), and the
    ground truth, at `frames`."""
    index = list(frames)
    truth = sequence.poses_3d[index]  # (F, J_out, 3): joints 1.. relative to joint 0, joint 0 in the camera frame
    trajectory = truth[:, 0]  # (F, 3)
    truth_relative = np.concatenate([np.zeros_like(truth[:, :1]), truth[:, 1:]], axis=1)
    poses = {GROUND_TRUTH: truth_relative, BASELINE: baseline[index], f"{action} model": own[index]}
    keypoints = image_coordinates(sequence.poses_2d[index], camera.res_w, camera.res_h)  # (F, J_in, 2) pixels
    return ShownSequence(action, sequence, camera, tuple(frames), keypoints,
                         {title: world_poses(p, trajectory, camera) for title, p in poses.items()})


def animation(shown: Sequence[ShownSequence], bones_2d: Bones, bones_3d: Bones,
              size: tuple[int, int]) -> Iterator[np.ndarray]:
    """The animation: each action's frames one after another, (height, width, 3) uint8 RGB each, with four
    panels: the 2D input over a grey ground (no video), the ground truth, the baseline, the action's model."""
    for s in shown:
        # Without video the ground need not have the camera's resolution: a small one, of the same aspect,
        # is much faster to redraw every frame, and the keypoints are scaled with it.
        scale = GROUND_WIDTH / s.camera.res_w
        ground = (GROUND_WIDTH, round(s.camera.res_h * scale))
        yield from animation_frames(None, s.keypoints_px * scale, s.poses_world, bones_2d=bones_2d,
                                    bones_3d=bones_3d, image_size=ground, size=size, azimuth=s.camera.azimuth)


def still_figure(shown: Sequence[ShownSequence], bones_3d: Bones, title: str) -> Figure:
    """One 3D view per action at the middle frame shown, the ground truth, the baseline and the action's
    model drawn over each other (VideoPose3D's view: `RADIUS` metres wide, centred on the ground truth's
    root, from the floor up, seen from the camera's azimuth)."""
    columns = min(STILL_COLUMNS, len(shown))
    rows = math.ceil(len(shown) / columns)
    fig = Figure(figsize=(2.4 * columns, 2.6 * rows + 0.6), layout="constrained")
    for k, s in enumerate(shown):
        middle = len(s.frames) // 2
        ax = fig.add_subplot(rows, columns, k + 1, projection="3d")
        ax.view_init(elev=ELEVATION, azim=s.camera.azimuth)
        root_x, root_y = s.poses_world[GROUND_TRUTH][middle, 0, :2]
        ax.set_xlim3d(root_x - RADIUS / 2, root_x + RADIUS / 2)
        ax.set_ylim3d(root_y - RADIUS / 2, root_y + RADIUS / 2)
        ax.set_zlim3d(0, RADIUS)
        ax.set_box_aspect((1, 1, 1))
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
            axis.set_major_formatter(NullFormatter())
        for poses, colour in zip(s.poses_world.values(), POSE_COLOURS, strict=True):
            segments = bones_3d.segments(poses[middle])  # (B, 2, 3)
            ax.add_collection(Line3DCollection(segments, colors=colour, linewidths=1.5), autolim=False)
        ax.set_title(f"{s.sequence.action}, frame {s.frames[middle]}", fontsize="small")
    handles = [Line2D([], [], color=colour, label=label)
               for label, colour in zip((GROUND_TRUTH, BASELINE, "the action's own model"), POSE_COLOURS,
                                        strict=True)]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize="small", frameon=False)
    fig.suptitle(title, fontsize="medium")
    return fig


def shown_record(shown: Sequence[ShownSequence]) -> list[dict]:
    """What is shown, per action: the sequence (subject, name, camera) and its frames, for the report."""
    return [{"action": s.action, "subject": s.sequence.subject, "sequence": s.sequence.action,
             "camera": s.sequence.camera, "camera_id": s.sequence.camera_id, "sequence_frames": s.sequence.frames,
             "frames": list(s.frames), "still_frame": s.frames[len(s.frames) // 2]} for s in shown]
