"""A figure of the synthetic motions: per action, sample frames as 2D skeletons seen by one camera."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection

from poselift.atomic import atomic_path
from poselift.cameras import Camera, project_world_to_pixels
from poselift.skeleton import H36M_17, reduce_to_17

_LEFT, _RIGHT, _MIDDLE = "tab:blue", "tab:red", "0.25"


def _bone_colour(child: int) -> str:
    if child in H36M_17.joints_left:
        return _LEFT
    if child in H36M_17.joints_right:
        return _RIGHT
    return _MIDDLE


def plot_motions(sequences: dict[str, np.ndarray], camera: Camera, frames: int, path: str | os.PathLike,
                 title: str) -> list[Path]:
    """Draw `frames` evenly spaced frames of each sequence (one row each) as camera `camera` sees them.

    sequences: row label -> poses (N, 32, 3), millimetres, world frame. Each panel is centred on the
    skeleton; all panels of a row share one scale, so the rows show postures, not where the subject
    stood. Writes `path` (PNG) and the same figure as SVG beside it; returns both paths.
    """
    rows = len(sequences)
    width, height = 1.7 * frames + 0.6, 1.9 * rows + 0.5  # inches
    fig, axes = plt.subplots(rows, frames, figsize=(width, height), squeeze=False)
    fig.subplots_adjust(left=0.6 / width, right=0.99, bottom=0.05 / height, top=1 - 0.6 / height, wspace=0.05,
                        hspace=0.25)
    bones = np.array(H36M_17.bones())  # (16, 2): parent, child
    colours = [_bone_colour(child) for child in bones[:, 1]]
    for row, (label, poses) in enumerate(sequences.items()):
        picks = np.linspace(0, len(poses) - 1, frames).round().astype(int)
        pixels = reduce_to_17(project_world_to_pixels(poses[picks] / 1000.0, camera))  # (frames, 17, 2), px
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
            ax.set_title(f"t = {frame / 50:.1f} s", fontsize=7, pad=2)
            if col == 0:
                ax.set_ylabel(label, fontsize=9)
    fig.suptitle(f"{title}\nleft side blue, right side red", fontsize=10, y=1 - 0.08 / height, va="top")
    path = Path(path)
    written = []
    # Same data, same bytes: no date in the SVG, fixed ids.
    with plt.rc_context({"svg.hashsalt": "poselift"}):
        for target in dict.fromkeys([path, path.with_suffix(".svg")]):
            kind = target.suffix.lstrip(".")
            with atomic_path(target) as tmp:
                fig.savefig(tmp, dpi=80, format=kind, metadata={"Date": None} if kind == "svg" else None)
            written.append(target)
    plt.close(fig)
    return written
