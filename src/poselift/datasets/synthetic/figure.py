"""A figure of the synthetic motions: per action, sample frames as 2D skeletons seen by one camera."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from poselift.datasets.description import Dataset
from poselift.geometry.cameras import Camera, project_world_to_pixels

_LEFT, _RIGHT, _MIDDLE = "tab:blue", "tab:red", "0.25"


def _bone_colour(child: int, dataset: Dataset) -> str:
    if child in dataset.lifted_skeleton.joints_left:
        return _LEFT
    if child in dataset.lifted_skeleton.joints_right:
        return _RIGHT
    return _MIDDLE


def plot_motions(sequences: dict[str, np.ndarray], camera: Camera, frames: int, title: str,
                 dataset: Dataset) -> Figure:
    """Draw `frames` evenly spaced frames of each sequence (one row each) as camera `camera` sees them.

    sequences: row label -> poses (N, J, 3) of the data set's skeleton, millimetres, world frame. Each
    panel is centred on the skeleton; all panels of a row share one scale, so the rows show postures, not
    where the subject stood.
    """
    rows = len(sequences)
    width, height = 1.7 * frames + 0.6, 1.9 * rows + 0.5  # inches
    fig = Figure(figsize=(width, height))
    axes = fig.subplots(rows, frames, squeeze=False)
    fig.subplots_adjust(left=0.6 / width, right=0.99, bottom=0.05 / height, top=1 - 0.6 / height, wspace=0.05,
                        hspace=0.25)
    bones = np.array(dataset.lifted_skeleton.bones())  # (J - 1, 2): parent, child
    colours = [_bone_colour(child, dataset) for child in bones[:, 1]]
    for row, (label, poses) in enumerate(sequences.items()):
        picks = np.linspace(0, len(poses) - 1, frames).round().astype(int)
        lifted = dataset.lift_joints(poses[picks] / 1000.0)  # (frames, J', 3), metres
        pixels = project_world_to_pixels(lifted, camera)  # (frames, J', 2), px
        centres = (pixels.max(axis=1) + pixels.min(axis=1)) / 2
        half = 0.55 * float(np.max(pixels.max(axis=1) - pixels.min(axis=1)))
        for col, frame in enumerate(picks):
            ax = axes[row, col]
            ax.add_collection(LineCollection(pixels[col][bones], colors=colours, linewidths=2.0, capstyle="round"))
            ax.plot(pixels[col, :, 0], pixels[col, :, 1], "o", color="black", markersize=1.5)
            cx, cy = centres[col]
            ax.set_xlim(cx - half, cx + half)
            ax.set_ylim(cy + half, cy - half)  # image rows grow downwards
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"t = {frame / dataset.fps:.1f} s", fontsize=7, pad=2)
            if col == 0:
                ax.set_ylabel(label, fontsize=9)
    fig.suptitle(f"{title}\nleft side blue, right side red", fontsize=10, y=1 - 0.08 / height, va="top")
    return fig
