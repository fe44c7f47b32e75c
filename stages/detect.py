"""Stage `detect`: COCO-17 keypoints of every video of one subject and camera.

`--detector` (the rules pass keypoints.source) picks the detector:
- `cpn`: the Cascaded Pyramid Network on person boxes (`detect.boxes`: the data set's ground-truth boxes
  from the video root, or those of the `boxes` stage (Mask R-CNN) under `--boxes-root`), with the flip
  test; weights `--cpn` (ours, or a pytorch-cpn checkpoint with `detect.cpn_input_size`);
- `keypointrcnn`: torchvision's Keypoint R-CNN on the whole frame (VideoPose3D's Detectron route), the
  highest-scoring person above `detect.person_threshold`, weights `detect.keypointrcnn_weights`.

Reads, per sequence of the subject in the 3D file (sequences left out of the data set skipped), the video in
the data set's layout under `--video-root`; each must have its 3D sequence's frame count and the camera's
aspect ratio (a video smaller than the camera's resolution is detected at its size and its
keypoints are mapped to full-resolution pixels). Writes `--out` (poselift.keypoints.assembly's detections
file) and prints a line per video with frames per second.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from poselift.detectors.video import detect_video, gt_boxes, load_detector, video_scale
from poselift.io.formats import load_3d
from poselift.io.video import check_video, read_video
from poselift.keypoints.assembly import VIDEO_DETECTORS, write_detections
from poselift.lifting.training import resolve_device
from stages import _cli


def main(params: dict, detector: str, data_3d: Path, subject: str, camera_id: str, video_root: Path,
         boxes_root: Path | None, cpn: Path | None, out: Path) -> None:
    """`params`: the sections `data` and `detect`."""
    settings = params["detect"]
    dataset = _cli.dataset_of(params)
    if dataset.video_path is None:
        raise ValueError(f"{dataset.title} has no video layout: detect cannot read its videos")
    cameras = {c.id: c for c in dataset.cameras(subject)}
    if camera_id not in cameras:
        raise ValueError(f"subject {subject}: no camera {camera_id!r}; its cameras: {', '.join(cameras)}")
    camera = cameras[camera_id]
    positions_3d = load_3d(data_3d)
    if subject not in positions_3d:
        raise ValueError(f"{data_3d}: no subject {subject}; it has {', '.join(sorted(positions_3d))}")
    torch.set_num_threads(settings["threads"])
    device = resolve_device(settings["device"])
    model = load_detector(detector, settings, cpn, device)
    if detector == "cpn" and settings["boxes"] != "gt" and boxes_root is None:
        raise ValueError(f"detect.boxes is {settings['boxes']}: give --boxes-root (the boxes stage's output)")
    root_of_boxes = video_root if settings["boxes"] == "gt" else boxes_root
    videos = {}
    for sequence in sorted(positions_3d[subject]):
        if dataset.is_dropped(subject, sequence):
            continue
        where = f" [subject {subject}, action {sequence!r}, camera {camera_id}]"
        path = dataset.video_path(video_root, subject, sequence, camera_id)
        info = check_video(path, len(positions_3d[subject][sequence]), subject=subject, action=sequence,
                           camera=camera_id)
        scale = video_scale(info, camera, f"{path}{where}")
        boxes = (gt_boxes(dataset.boxes_path(root_of_boxes, subject, sequence, camera_id), info.frames, camera,
                          where) if detector == "cpn" else None)
        start = time.perf_counter()
        frames, _ = read_video(path)
        videos[sequence] = detect_video(model, detector, settings, frames, boxes, scale)
        seconds = time.perf_counter() - start
        print(f"[{subject} {camera_id}] {sequence}: {info.frames} frames at {info.width}x{info.height}, "
              f"{int(videos[sequence].missing.sum())} without a person, {info.frames / seconds:.1f} frames/s",
              file=sys.stderr, flush=True)
    if not videos:
        raise ValueError(f"{data_3d}: subject {subject} has no sequence with a video")
    write_detections(out, subject, camera_id, videos, detector)
    print(f"wrote {out}: {len(videos)} videos", file=sys.stderr)


def cli() -> None:
    p = _cli.parser(__doc__.split("\n\n")[0])
    p.add_argument("--detector", choices=VIDEO_DETECTORS, required=True)
    p.add_argument("--data-3d", type=Path, required=True, help="data_3d_<dataset>.npz: the sequences and lengths")
    p.add_argument("--subject", required=True)
    p.add_argument("--camera", required=True, help="camera id")
    p.add_argument("--video-root", type=Path, required=True, help="root of the data set's videos (and GT boxes)")
    p.add_argument("--boxes-root", type=Path, default=None, help="root of the boxes stage's boxes (detect.boxes)")
    p.add_argument("--cpn", type=Path, default=None, help="CPN checkpoint (detect.detector cpn)")
    p.add_argument("--out", type=Path, required=True, help="the detections file to write (.npz)")
    args = p.parse_args()
    main(_cli.load_params(args.params), args.detector, args.data_3d, args.subject, args.camera, args.video_root,
         args.boxes_root, args.cpn, args.out)


if __name__ == "__main__":
    _cli.run(cli)
