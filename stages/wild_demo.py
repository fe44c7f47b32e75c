"""Stage `wild_demo`: a video for the in-the-wild route that is none of the data set's sequences, with its truth.

Generates a take of `wild.demo.action` by a person who is not one of the embedded data set's subjects (other
proportions and manner: `generate_take`), `wild.demo.frames` long, and renders it as camera `wild.demo.camera`
of subject `wild.demo.subject` films it in that subject's room (`render.scale`, `render.crf`, the clothes from
the root seed and the person's name). Writes `--video` (mp4), `--boxes` (the person boxes in the video's pixels,
`poselift.io.video.write_boxes`: what a box detector would give the route) and `--truth`, the lifted joints
in that camera's frame ((T, J, 3) float32 metres, `.npy`), against which the route's prediction is scored.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from poselift.datasets.synthetic import render
from poselift.datasets.synthetic.dataset import generate_take, implausible
from poselift.geometry.cameras import world_to_camera
from poselift.io.atomic import atomic_path
from poselift.io.video import video_info, write_boxes, write_video
from stages import _cli


def main(params: dict, video: Path, boxes: Path, truth: Path) -> None:
    """`params`: the sections `seed`, `data`, `render` and `wild`."""
    seed, demo, scale = params["seed"], params["wild"]["demo"], params["render"]["scale"]
    dataset = _cli.dataset_of(params)
    if dataset.skeleton != render.SKELETON:
        raise ValueError(f"wild_demo draws bodies of the 32-joint tree; {dataset.title} has "
                         f"{dataset.skeleton.num_joints} joints")
    cameras = dataset.cameras(demo["subject"])
    if not 0 <= demo["camera"] < len(cameras):
        raise ValueError(f"wild.demo.camera {demo['camera']}: subject {demo['subject']} has {len(cameras)} cameras")
    camera = cameras[demo["camera"]]
    where = f"the take of {demo['person']!r} ({demo['action']}, {demo['frames']} frames)"
    poses = generate_take(seed, demo["person"], demo["action"], demo["frames"]) / 1000.0  # (T, 32, 3) metres, world
    problems = implausible(poses * 1000.0, render.SKELETON, [camera])
    if problems:
        raise ValueError(f"{where} through camera {camera.id} of {demo['subject']}: {'; '.join(problems)}")
    style = render.body_style(seed, f"wild {demo['person']}")
    background = render.background_image(seed, demo["subject"], camera, scale)  # (h, w, 3) uint8
    start = time.perf_counter()
    write_video(video, render.iter_frames(poses, camera, scale, background, style), fps=dataset.fps,
                crf=params["render"]["crf"])
    info = video_info(video)  # the size as written: H.264 pads an odd width or height to even
    width, height = info.width, info.height
    write_boxes(boxes, render.person_boxes_gt(poses, camera, style) * scale, size=(width, height))
    lifted = dataset.lift_joints(poses).astype(np.float32)  # (T, J, 3) metres, world
    in_camera = world_to_camera(lifted, camera.orientation, camera.translation).astype(np.float32)
    with atomic_path(truth, suffix=".npy") as tmp:
        np.save(tmp, in_camera)
    seconds = time.perf_counter() - start
    print(f"rendered {where} through camera {camera.id} of {demo['subject']} at {width}x{height}: "
          f"{len(poses) / seconds:.0f} frames/s; wrote {video}, {boxes}, {truth}", file=sys.stderr)


def cli() -> None:
    p = _cli.parser(__doc__.split("\n\n")[0])
    p.add_argument("--video", type=Path, required=True, help="the video to write (.mp4)")
    p.add_argument("--boxes", type=Path, required=True, help="its person boxes (.npz)")
    p.add_argument("--truth", type=Path, required=True, help="its 3D poses in the camera's frame (.npy)")
    args = p.parse_args()
    main(_cli.load_params(args.params), args.video, args.boxes, args.truth)


if __name__ == "__main__":
    _cli.run(cli)
