"""Stage `boxes`: Mask R-CNN person boxes of every video of one subject and camera (detect.boxes: maskrcnn).

torchvision's `maskrcnn_resnet50_fpn` with COCO weights from `detect.maskrcnn_weights` (torchvision's own
file, `maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth`; a missing or mismatching file is an error naming the
parameter), the highest-scoring person above `detect.person_threshold` per frame. Writes, per sequence of
the subject in the 3D file, the boxes in full-resolution pixels under `--out-root` in the data set's boxes
layout (NaN rows: frames without a person), and a line per video with frames per second.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

from poselift.detectors.rcnn import person_boxes
from poselift.detectors.video import load_person_detector, video_scale
from poselift.io.formats import load_3d
from poselift.io.video import check_video, read_video, write_boxes
from poselift.lifting.training import resolve_device
from stages import _cli


def main(params: dict, data_3d: Path, subject: str, camera_id: str, video_root: Path, out_root: Path) -> None:
    """`params`: the sections `data` and `detect`."""
    settings = params["detect"]
    dataset = _cli.dataset_of(params)
    if dataset.video_path is None:
        raise ValueError(f"{dataset.title} has no video layout: boxes cannot read its videos")
    camera = {c.id: c for c in dataset.cameras(subject)}.get(camera_id)
    if camera is None:
        raise ValueError(f"subject {subject}: no camera {camera_id!r}")
    positions_3d = load_3d(data_3d)
    if subject not in positions_3d:
        raise ValueError(f"{data_3d}: no subject {subject}; it has {', '.join(sorted(positions_3d))}")
    torch.set_num_threads(settings["threads"])
    model = load_person_detector(settings, resolve_device(settings["device"]))
    out_root.mkdir(parents=True, exist_ok=True)
    for sequence in sorted(positions_3d[subject]):
        if dataset.is_dropped(subject, sequence):
            continue
        path = dataset.video_path(video_root, subject, sequence, camera_id)
        info = check_video(path, len(positions_3d[subject][sequence]), subject=subject, action=sequence,
                           camera=camera_id)
        scale = video_scale(info, camera, f"{path} [subject {subject}, action {sequence!r}, camera {camera_id}]")
        start = time.perf_counter()
        frames, _ = read_video(path)
        found = person_boxes(model, frames, settings["person_threshold"], batch_size=settings["batch_size"])
        out = dataset.boxes_path(out_root, subject, sequence, camera_id)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_boxes(out, (found.boxes / scale).astype(np.float32), (camera.res_w, camera.res_h))
        print(f"[{subject} {camera_id}] {sequence}: {info.frames} frames, {int(found.missing.sum())} without a "
              f"person, {info.frames / (time.perf_counter() - start):.1f} frames/s", file=sys.stderr, flush=True)


def cli() -> None:
    p = _cli.parser(__doc__.split("\n\n")[0])
    p.add_argument("--data-3d", type=Path, required=True, help="data_3d_<dataset>.npz: the sequences and lengths")
    p.add_argument("--subject", required=True)
    p.add_argument("--camera", required=True, help="camera id")
    p.add_argument("--video-root", type=Path, required=True, help="root of the data set's videos")
    p.add_argument("--out-root", type=Path, required=True, help="root to write the boxes under")
    args = p.parse_args()
    main(_cli.load_params(args.params), args.data_3d, args.subject, args.camera, args.video_root, args.out_root)


if __name__ == "__main__":
    _cli.run(cli)
