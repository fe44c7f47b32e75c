"""Stage `render`: videos of one subject's 3D sequences in the data set's video layout, with their person boxes.

Draws every sequence of `--subject` in the 3D file (sequences the data set leaves out skipped) as each of
the subject's cameras sees it (poselift.datasets.synthetic.render: shaded capsule bodies in a textured
room, through the real camera models, distortion included), so that a 2D detector can be fine-tuned on
the videos and run on them as on the data set's own. Writes, under `--out-root`, each video where the
data set keeps it (H.264 mp4, the data set's frame rate, `render.crf`), at `render.scale` of the camera's
resolution (its intrinsics scale with it), and the ground-truth person boxes of each video where the
data set keeps them (`poselift.io.video.write_boxes`: full-resolution pixels, whatever the video's size).
Clothes, skin and room come from the root `seed` and the subject's name: same parameters, same videos.
Prints a line per sequence with frames per second. `--figure`: a PNG of sample frames (a few actions,
every camera) with their boxes drawn.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from poselift.datasets.synthetic import render
from poselift.io.atomic import atomic_path
from poselift.io.formats import load_3d
from poselift.io.video import write_boxes, write_video
from stages import _cli

FIGURE_ACTIONS = 4  # rows of the figure: the first takes of this many actions, spread over the subject's


def _figure_sequences(sequences: list[str], base_action) -> list[str]:
    """The first take of up to FIGURE_ACTIONS actions, evenly spread over the actions in `sequences`."""
    firsts: dict[str, str] = {}
    for sequence in sequences:
        firsts.setdefault(base_action(sequence), sequence)
    chosen = list(firsts.values())
    if len(chosen) <= FIGURE_ACTIONS:
        return chosen
    return [chosen[i] for i in np.linspace(0, len(chosen) - 1, FIGURE_ACTIONS).round().astype(int)]


def _keeping(frames: Iterator[np.ndarray], index: int, kept: list[np.ndarray]) -> Iterator[np.ndarray]:
    """Pass `frames` through, appending frame `index` to `kept` on the way."""
    for i, frame in enumerate(frames):
        if i == index:
            kept.append(frame)
        yield frame


def _write_figure(path: Path, samples: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]], scale: float,
                  title: str) -> None:
    """samples: (sequence, camera id) -> (frame (h, w, 3) uint8, box (4,) full-resolution pixels)."""
    rows = list(dict.fromkeys(sequence for sequence, _ in samples))
    cols = list(dict.fromkeys(camera for _, camera in samples))
    fig = Figure(figsize=(2.2 * len(cols), 2.3 * len(rows) + 0.4), layout="constrained")
    axes = fig.subplots(len(rows), len(cols), squeeze=False)
    for (sequence, camera), (frame, box) in samples.items():
        ax = axes[rows.index(sequence), cols.index(camera)]
        ax.imshow(frame)
        if np.isfinite(box).all():
            x0, y0, x1, y1 = box * scale  # full-resolution pixels -> this video's
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="yellow", linewidth=0.8))
        ax.set_title(f"{sequence} · {camera}", fontsize=7)
        ax.set_axis_off()
    fig.suptitle(title, fontsize=9)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)


def main(params: dict, data_3d: Path, subject: str, out_root: Path, figure: Path | None = None) -> None:
    """`params`: the sections `seed`, `data` and `render`."""
    seed, settings = params["seed"], params["render"]
    scale, crf = settings["scale"], settings["crf"]
    dataset = _cli.dataset_of(params)
    if dataset.video_path is None:
        raise ValueError(f"{dataset.title} has no video layout to render into")
    if dataset.skeleton != render.SKELETON:
        raise ValueError(f"render draws bodies of the 32-joint tree; the 3D poses of {dataset.title} have "
                         f"{dataset.skeleton.num_joints} joints")
    positions_3d = load_3d(data_3d)
    if subject not in positions_3d:
        raise ValueError(f"{data_3d}: no subject {subject}; it has {', '.join(sorted(positions_3d))}")
    try:
        cameras = dataset.cameras(subject)
    except KeyError:
        raise ValueError(f"{data_3d}: subject {subject} has no calibrated cameras in {dataset.title}") from None
    for camera in cameras:
        if not (camera.has_intrinsics and camera.has_extrinsics):
            raise ValueError(f"{data_3d}: subject {subject}, camera {camera.id}: no full calibration to render with")
    sequences = [s for s in sorted(positions_3d[subject]) if not dataset.is_dropped(subject, s)]
    if not sequences:
        raise ValueError(f"{data_3d}: subject {subject} has no sequence to render")
    style = render.body_style(seed, subject)
    backgrounds = {c.id: render.background_image(seed, subject, c, scale) for c in cameras}  # (h, w, 3) uint8
    sizes = ", ".join(dict.fromkeys("{}x{}".format(*render.video_size(c, scale)) for c in cameras))
    shown = set(_figure_sequences(sequences, dataset.base_action)) if figure is not None else set()
    samples = {}
    for sequence in sequences:
        poses = np.asarray(positions_3d[subject][sequence])  # (T, 32, 3) metres, world frame
        if poses.ndim != 3 or poses.shape[1:] != (render.SKELETON.num_joints, 3) or not np.isfinite(poses).all():
            raise ValueError(f"{data_3d}: subject {subject}, action {sequence!r}: expected finite poses "
                             f"(T, {render.SKELETON.num_joints}, 3), got {poses.dtype} {poses.shape}")
        start = time.perf_counter()
        for camera in cameras:
            where = f" [subject {subject}, action {sequence!r}, camera {camera.id}]"
            video = dataset.video_path(out_root, subject, sequence, camera.id)
            try:
                boxes = render.person_boxes_gt(poses, camera, style)  # (T, 4) full-resolution pixels
                frames = render.iter_frames(poses, camera, scale, backgrounds[camera.id], style)
                kept: list[np.ndarray] = []
                write_video(video, _keeping(frames, len(poses) // 2 if sequence in shown else -1, kept),
                            fps=dataset.fps, crf=crf)
                if kept:
                    samples[sequence, camera.id] = kept[0], boxes[len(poses) // 2]
                write_boxes(dataset.boxes_path(out_root, subject, sequence, camera.id), boxes,
                            size=(camera.res_w, camera.res_h))
            except ValueError as err:  # the writers' errors, which name their file
                raise ValueError(f"{err}{where}") from err
        seconds = time.perf_counter() - start
        print(f"[{subject}] {sequence}: {len(cameras)} cameras x {len(poses)} frames at {sizes}, "
              f"{len(cameras) * len(poses) / seconds:.0f} frames/s", file=sys.stderr, flush=True)
    if figure is not None:
        _write_figure(Path(figure), samples, scale, f"Rendered {subject} (seed {seed}, scale {scale}), with the "
                      "ground-truth boxes")
    print(f"wrote {len(sequences) * len(cameras)} videos of {subject} and their boxes under {out_root}"
          + (f", and {figure}" if figure is not None else ""), file=sys.stderr)


def cli() -> None:
    p = _cli.parser(__doc__.split("\n\n")[0])
    p.add_argument("--data-3d", type=Path, required=True, help="data_3d_<dataset>.npz: the poses to draw")
    p.add_argument("--subject", required=True)
    p.add_argument("--out-root", type=Path, required=True, help="root of the video layout to write into")
    p.add_argument("--figure", type=Path, default=None, help="PNG of sample frames with their boxes")
    args = p.parse_args()
    main(_cli.load_params(args.params), args.data_3d, args.subject, args.out_root, args.figure)


if __name__ == "__main__":
    _cli.run(cli)
