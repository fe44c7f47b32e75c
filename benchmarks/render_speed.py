"""Speed of the render stage's drawing and encoding, per frame, on one CPU thread.

Measures, on this machine, for `--frames` frames of the embedded data set's S1 `Walking 1` (a body that
walks through the room, so its size on screen varies) seen by each of S1's four cameras at `--scale`:
- `render_ms_per_frame`: drawing a frame (poselift.datasets.synthetic.render.iter_frames), the mean over
  cameras; `render_ms_per_frame_by_camera` for each;
- `encode_ms_per_frame`: writing the drawn frames as H.264 (poselift.io.video.write_video, crf 18);
- `background_ms`: drawing one camera's room, once per video, the mean over cameras.

Writes JSON to `--out`. Example: python benchmarks/render_speed.py --out benchmarks/results/render_speed.json
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from poselift.datasets.h36m import H36M
from poselift.datasets.synthetic import render
from poselift.datasets.synthetic.dataset import generate_sequence
from poselift.io.atomic import write_text
from poselift.io.video import write_video

SEED, SUBJECT, SEQUENCE = 1234, "S1", "Walking 1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=200, help="frames per camera")
    parser.add_argument("--scale", type=float, default=0.25, help="video pixels per full-resolution pixel")
    parser.add_argument("--out", type=Path, required=True, help="output JSON")
    args = parser.parse_args()
    torch.set_num_threads(1)  # the projection goes through torch; the drawing is single-threaded numpy

    poses = generate_sequence(SEED, SUBJECT, SEQUENCE, args.frames) / 1000  # (T, 32, 3) mm -> metres
    style = render.body_style(SEED, SUBJECT)
    render_ms, background_ms, encode_s, sizes = {}, [], 0.0, []
    with tempfile.TemporaryDirectory() as tmp:
        for camera in H36M.cameras(SUBJECT):
            start = time.perf_counter()
            background = render.background_image(SEED, SUBJECT, camera, args.scale)  # (h, w, 3) uint8
            background_ms.append(1000 * (time.perf_counter() - start))
            start = time.perf_counter()
            frames = render.render_frames(poses, camera, args.scale, background, style)  # (T, h, w, 3) uint8
            render_ms[camera.id] = 1000 * (time.perf_counter() - start) / len(frames)
            start = time.perf_counter()
            write_video(Path(tmp) / f"{camera.id}.mp4", frames, fps=H36M.fps, crf=18)
            encode_s += time.perf_counter() - start
            sizes.append(render.video_size(camera, args.scale))
    result = {
        "render_ms_per_frame": float(np.mean(list(render_ms.values()))),
        "render_ms_per_frame_by_camera": render_ms,
        "encode_ms_per_frame": 1000 * encode_s / (len(render_ms) * args.frames),
        "background_ms": float(np.mean(background_ms)),
        "frames": args.frames, "scale": args.scale, "video_sizes": sorted(set(sizes)),
        "sequence": f"{SUBJECT} {SEQUENCE} (embedded data set, seed {SEED})", "threads": 1,
        "cpu": platform.processor() or platform.machine(), "python": platform.python_version(),
        "numpy": np.__version__,
    }
    write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
