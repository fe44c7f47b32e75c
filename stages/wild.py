"""Stage `wild`: one video in the wild to 2D keypoints, to 3D poses, to an animation.

The route VideoPose3D's users ask for most (its issues #2, #48), without its external binaries:
1. keypoints: `wild.detector` `cpn` on person boxes (`wild.boxes`: `file`, a boxes file beside the video
   (`--boxes`, `poselift.io.video.write_boxes`, the video's pixels), or `maskrcnn`, torchvision's Mask R-CNN
   with `detect.maskrcnn_weights`), with the flip test; or `keypointrcnn` on whole frames. Frames without a
   person are filled by linear interpolation between the nearest detected ones (counted in the record); a
   video without a person in any frame is an error.
2. the 2D file in VideoPose3D's custom-data format (`--custom`, `data_2d_custom_<name>.npz`, the keypoints'
   layout: COCO when detected, which VideoPose3D's `CustomDataset` reads); or, with `--keypoints`, such a file
   (ours or VideoPose3D's) is read instead of detecting;
3. 3D poses lifted by `--checkpoint` (ours, or VideoPose3D's, whose 2D layout `wild.checkpoint_layout` names):
   COCO keypoints for a model of another layout are converted only with `wild.convert_layout`; TTA as
   `wild.tta`; the trajectory is added when the checkpoint has a trajectory model. Written in the camera's
   frame, metres: `--prediction` (.npy (T, J, 3), what VideoPose3D's `--viz-export` saves) and
   `--table` (Parquet, a row per frame and joint);
4. `--animation` (.mp4, and `--gif` with `wild.animation.gif`): the video with its keypoints beside the
   3D poses, turned to a world frame by the reference camera and rebased to the floor (`poselift.lifting.wild`);
5. `--record` (JSON): what was read, what was filled, the timings, and, with `--truth` (the 3D poses of a
   rendered demonstration video, camera frame), the prediction's errors against it.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from poselift.detectors.rcnn import person_boxes
from poselift.detectors.video import detect_video, load_detector, load_person_detector
from poselift.geometry.layouts import layout
from poselift.io.animation import Bones, animation_frames, write_animation
from poselift.io.atomic import atomic_path, file_record, write_json, write_parquet
from poselift.io.checkpoint import load_checkpoint
from poselift.io.video import VideoError, VideoInfo, check_video, iter_video, read_boxes, video_info
from poselift.keypoints.assembly import fill_missing
from poselift.keypoints.custom import read_custom, write_custom
from poselift.lifting.evaluation import sequence_errors
from poselift.lifting.restore import lifting_models
from poselift.lifting.sequences import Symmetry
from poselift.lifting.training import resolve_device
from poselift.lifting.wild import (
    REFERENCE_AZIMUTH,
    REFERENCE_ORIENTATION,
    lift,
    match_layout,
    model_layout,
    to_world,
)
from poselift.study.animations import input_bones
from stages import _cli

DETECTED_LAYOUT = "coco"  # CPN and Keypoint R-CNN give COCO-17 keypoints
DECODE_CHUNK = 256  # frames decoded at a time


def person_boxes_of(params: dict, video: Path, info: VideoInfo, boxes: Path | None, device) -> np.ndarray:
    """(T, 4) person boxes in the video's pixels (a row of NaN where there is none), as `wild.boxes` says."""
    if params["wild"]["boxes"] == "file":
        if boxes is None:
            raise ValueError(f"{video}: wild.boxes is file: give --boxes (a boxes file of the video)")
        found, size = read_boxes(boxes)
        if len(found) != info.frames or tuple(size) != (info.width, info.height):
            raise VideoError(f"{boxes}: {len(found)} boxes of a {size[0]}x{size[1]} frame, but {video} has "
                             f"{info.frames} frames of {info.width}x{info.height}")
        return found
    settings = params["detect"]
    model = load_person_detector(settings, device)
    frames = itertools.chain.from_iterable(iter_video(video))
    return person_boxes(model, frames, settings["person_threshold"], batch_size=settings["batch_size"]).boxes


def frame_table(prediction: np.ndarray, names: tuple[str, ...]) -> pd.DataFrame:
    """(T, J, 3) metres -> a row per frame and joint: frame, joint index and name (`names`, J of them), x, y, z
    (camera frame, metres)."""
    frames, joints = prediction.shape[:2]
    return pd.DataFrame({
        "frame": np.repeat(np.arange(frames), joints), "joint": np.tile(np.arange(joints), frames),
        "name": np.tile(np.array(names), frames),
        "x": prediction[..., 0].ravel(), "y": prediction[..., 1].ravel(), "z": prediction[..., 2].ravel(),
    })


def truth_errors(prediction: np.ndarray, truth: np.ndarray, where: str) -> dict[str, float]:
    """Protocols #1-#3 and MPJVE of the prediction against the truth (T, J, 3) m, camera frame, root-relative."""
    if truth.shape != prediction.shape:
        raise ValueError(f"{where}: the truth is {truth.shape}, the prediction {prediction.shape}")
    relative = truth - truth[:, :1]
    pose = prediction - prediction[:, :1]
    return sequence_errors(torch.from_numpy(pose), torch.from_numpy(relative))


def detected_keypoints(params: dict, video: Path, info: VideoInfo, cpn: Path | None, boxes: Path | None, device,
                       times: dict) -> tuple[np.ndarray, int]:
    """The video's COCO keypoints (T, 17, 2) in its pixels, the frames without a person filled, and how many
    were filled. The video is decoded in chunks (a long one need not fit in memory)."""
    settings = params["wild"]
    start = time.perf_counter()
    found_boxes = person_boxes_of(params, video, info, boxes, device) if settings["detector"] == "cpn" else None
    detector = load_detector(settings["detector"], params["detect"], cpn, device)
    keypoints, missing, done = [], [], 0
    for frames in iter_video(video, DECODE_CHUNK):  # (t, H, W, 3) uint8
        part = None if found_boxes is None else found_boxes[done:done + len(frames)]
        found = detect_video(detector, settings["detector"], params["detect"], frames, part, 1.0)
        keypoints.append(found.keypoints[..., :2])
        missing.append(found.missing | ~np.isfinite(found.keypoints[..., :2]).all(axis=(1, 2)))
        done += len(frames)
    times["detect_s"] = time.perf_counter() - start
    keypoints, missing = np.concatenate(keypoints), np.concatenate(missing)
    if missing.all():
        how = f"{settings['boxes']} boxes" if settings["detector"] == "cpn" else "keypointrcnn"
        raise ValueError(f"{video}: no person detected in any of its {len(missing)} frames ({how}): nothing to lift")
    return fill_missing(keypoints, missing, str(video)), int(missing.sum())


def imported_keypoints(path: Path, name: str | None, video: Path | None
                       ) -> tuple[np.ndarray, tuple[int, int], str, str]:
    """One video's keypoints (T, J, 2) pixels from a custom-data file (ours or VideoPose3D's), its frame size,
    the file's layout and the video's name in it (`name`, or the file's only video)."""
    keypoints, sizes, file_layout = read_custom(path)
    if name is None:
        if len(keypoints) != 1:
            raise ValueError(f"{path}: holds {len(keypoints)} videos ({', '.join(keypoints)}): name one")
        name = next(iter(keypoints))
    if name not in keypoints:
        raise ValueError(f"{path}: no video {name!r}; it holds {', '.join(keypoints)}")
    if video is not None:  # the animation's background: the frames the keypoints were detected on
        check_video(video, len(keypoints[name]), sizes[name])
    return keypoints[name], sizes[name], file_layout.name, name


def main(params: dict, video: Path | None, checkpoint: Path, cpn: Path | None, boxes: Path | None,
         truth: Path | None, custom: Path, prediction_path: Path, table: Path, animation: Path, record: Path,
         keypoints_file: Path | None = None, video_name: str | None = None, gif: Path | None = None) -> None:
    """`params`: the sections `data`, `detect` and `wild`. With `keypoints_file` (a custom-data file, ours or
    VideoPose3D's) the keypoints of its video `video_name` are lifted instead of detected; `video`, if given,
    is then only the animation's background. `gif`: the animation also as a GIF."""
    settings, detect = params["wild"], params["detect"]
    dataset = _cli.dataset_of(params)
    torch.set_num_threads(detect["threads"])
    device = resolve_device(detect["device"])
    times: dict[str, float] = {}
    if video is None and keypoints_file is None:
        raise ValueError("the wild stage needs a video or a custom-data keypoints file")
    source = keypoints_file or video
    if keypoints_file is not None:
        keypoints, size, detected, name = imported_keypoints(keypoints_file, video_name, video)
    else:
        detected, name = DETECTED_LAYOUT, video.name

    # the lifting checkpoint before the detector: a wrong one fails before minutes of detection
    ckpt = load_checkpoint(checkpoint, causal=settings["causal"])
    wanted = model_layout(ckpt, settings["checkpoint_layout"], checkpoint)
    if ckpt.config.num_joints_out != dataset.layout.num_joints:
        raise ValueError(f"{checkpoint}: the model predicts {ckpt.config.num_joints_out} joints, the "
                         f"{dataset.title} skeleton drawn has {dataset.layout.num_joints}")
    match_layout(np.zeros((1, layout(detected).num_joints, 2), np.float32), detected, wanted.name,
                 settings["convert_layout"], str(source))
    pose_model, trajectory_model = lifting_models(ckpt, checkpoint, device)

    if keypoints_file is None:
        info = check_video(video)
        keypoints, filled = detected_keypoints(params, video, info, cpn, boxes, device, times)
        size, fps = (info.width, info.height), info.fps
    else:
        filled, fps = None, video_info(video).fps if video is not None else dataset.fps

    start = time.perf_counter()
    inputs = match_layout(keypoints, detected, wanted.name, settings["convert_layout"], str(source))
    prediction = lift(pose_model, trajectory_model, inputs, size, Symmetry.of(wanted, dataset), settings["tta"],
                      device)  # (T, 17, 3) metres, camera frame
    times["lift_s"] = time.perf_counter() - start

    poses = {"Reconstruction": to_world(prediction, REFERENCE_ORIENTATION)}
    errors = None
    if truth is not None:
        known = np.load(truth).astype(np.float32)
        errors = truth_errors(prediction, known, f"{source} against {truth}")
        poses = {"Ground truth": to_world(known, REFERENCE_ORIENTATION), **poses}
    shown = settings["animation"]
    frame_range = tuple(shown["frames"]) if shown["frames"] else (0, len(keypoints))
    if not 0 <= frame_range[0] < frame_range[1] <= len(keypoints):
        raise ValueError(f"{source}: wild.animation.frames {list(frame_range)} is not within its {len(keypoints)} "
                         "frames")
    fps = shown["fps"] or fps
    bones_2d = input_bones(layout(detected), dataset)

    def drawn():
        frames = None if video is None else itertools.chain.from_iterable(iter_video(video, DECODE_CHUNK))
        return animation_frames(frames, keypoints, poses, bones_2d=bones_2d,
                                bones_3d=Bones.from_skeleton(dataset.lifted_skeleton), image_size=size,
                                size=tuple(shown["size"]), azimuth=REFERENCE_AZIMUTH, frame_range=frame_range)

    start = time.perf_counter()
    write_animation(animation, drawn(), fps, crf=shown["crf"], bitrate_kbps=shown["bitrate_kbps"])
    written = [str(animation)]
    if gif is not None:
        write_animation(gif, drawn(), fps)
        written.append(str(gif))
    times["animation_s"] = time.perf_counter() - start
    # the animation (the slowest step, the likeliest to fail) first; then the small files, the record last
    write_custom(custom, {name: keypoints}, {name: size}, detected)
    with atomic_path(prediction_path, suffix=".npy") as tmp:
        np.save(tmp, prediction)
    write_parquet(table, frame_table(prediction, dataset.layout.names))
    frames_count = len(keypoints)
    result = {
        "video": file_record(video) if video is not None else None, "name": name,
        "keypoints_file": file_record(keypoints_file) if keypoints_file is not None else None,
        "frames": frames_count, "size": list(size), "fps": fps,
        "detector": None if keypoints_file is not None else settings["detector"],
        "boxes": settings["boxes"] if keypoints_file is None and settings["detector"] == "cpn" else None,
        "cpn": file_record(cpn) if cpn is not None and keypoints_file is None else None,
        "checkpoint": file_record(checkpoint), "checkpoint_source": ckpt.source,
        "receptive_field": ckpt.config.receptive_field, "trajectory_model": trajectory_model is not None,
        "tta": settings["tta"], "detected_layout": detected, "model_layout": wanted.name,
        "converted": wanted.name != detected, "frames_filled": filled, "animation": written,
        "animation_frames": list(frame_range), "seconds": times,
        "ms_per_frame": {k.removesuffix("_s"): 1000 * v / frames_count for k, v in times.items()},
        "truth": file_record(truth) if truth is not None else None, "errors_mm": errors,
    }
    write_json(record, result)
    what = "imported" if filled is None else f"{filled} without a person (filled)"
    print(f"{name}: {frames_count} frames {size[0]}x{size[1]}, keypoints {what}, lifted by {checkpoint.name} "
          f"({ckpt.source}, F = {ckpt.config.receptive_field}, {wanted.name} input"
          f"{f', converted from {detected}' if wanted.name != detected else ''}); "
          + ", ".join(f"{k} {1000 * v / frames_count:.1f} ms/frame" for k, v in times.items()), file=sys.stderr)
    if errors is not None:
        print(f"{name} against its ground truth: MPJPE {errors['mpjpe']:.1f} mm, P-MPJPE {errors['p_mpjpe']:.1f} mm, "
              f"N-MPJPE {errors['n_mpjpe']:.1f} mm, MPJVE {errors['mpjve']:.2f} mm", file=sys.stderr)


def cli() -> None:
    p = _cli.parser(__doc__.split("\n\n")[0])
    p.add_argument("--video", type=Path, default=None, help="the video (or, with --keypoints, its background)")
    p.add_argument("--keypoints", type=Path, default=None,
                   help="a custom-data 2D file (data_2d_custom_<name>.npz) to lift instead of detecting")
    p.add_argument("--video-name", default=None, help="the video of --keypoints to lift (default: its only one)")
    p.add_argument("--checkpoint", type=Path, required=True, help="the lifting checkpoint (ours or VideoPose3D's)")
    p.add_argument("--cpn", type=Path, default=None, help="the CPN checkpoint (wild.detector cpn)")
    p.add_argument("--boxes", type=Path, default=None, help="the video's person boxes (wild.boxes file)")
    p.add_argument("--truth", type=Path, default=None, help="the video's 3D poses, camera frame (.npy), to score")
    p.add_argument("--custom", type=Path, required=True, help="output: data_2d_custom_<name>.npz")
    p.add_argument("--prediction", type=Path, required=True, help="output: (T, J, 3) camera frame, metres (.npy)")
    p.add_argument("--table", type=Path, required=True, help="output: the prediction as Parquet")
    p.add_argument("--animation", type=Path, required=True, help="output: the animation (.mp4)")
    p.add_argument("--record", type=Path, required=True, help="output: what the route read and did (.json)")
    p.add_argument("--gif", type=Path, default=None, help="output: the animation as a GIF too")
    args = p.parse_args()
    main(_cli.load_params(args.params), args.video, args.checkpoint, args.cpn, args.boxes, args.truth, args.custom,
         args.prediction, args.table, args.animation, args.record, args.keypoints, args.video_name, args.gif)


if __name__ == "__main__":
    _cli.run(cli)
