"""Stage `keypoints`: the 2D keypoints that training and evaluation lift, `data_2d_h36m_<source>.npz`.

`keypoints.source` picks them:
- `gt`: the ground-truth projection made by `prepare` (checked, and given `layout_name`);
- `noisy`: the ground truth passed through the detector-error model of `poselift.detector_noise`
  (`keypoints.noisy`), seeded per subject, action and camera from the root seed;
- any other name (`cpn_ft_h36m_dbb`, `detectron_ft_h36m`, `detectron_pt_coco`, `sh_ft_h36m`, ...):
  VideoPose3D's detection file at `--import-path` (default `keypoints.import_path`), validated against
  the 3D poses, trimmed to their length; unlabeled subjects (S2-S4) kept.

Always writes `--error-report`, JSON: the 2D error against the ground truth in pixels, per joint
(mean, median, p90), overall and per subject, with the joints compared and why (keypoints of the
coco and mpii layouts are compared at the joints with an h36m counterpart only), and for `noisy` the
model's parameters and how often swaps and misses happened. A short table goes to stdout.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from poselift.atomic import atomic_path, write_text
from poselift.detections import COUNTERPARTS, import_detections
from poselift.detector_noise import NoiseModel, corrupt, keypoint_errors, limb_pairs
from poselift.formats import Poses2D, Poses3D, load_2d, load_3d, save_2d
from poselift.params import job_seed
from poselift.skeleton import H36M_17, infer_layout
from poselift.validation import check_pair, require, trim_2d_to_3d
from stages import _cli


def noisy_keypoints(gt_2d: Poses2D, positions_3d: Poses3D, noisy: dict, seed: int) -> tuple[Poses2D, dict]:
    """The detector-error model applied to every labeled sequence and camera; returns the keypoints
    and the fraction of frames with swaps (per limb pair) and misses (per joint)."""
    model = NoiseModel.from_params(noisy)
    out: Poses2D = {}
    swapped = np.zeros(len(limb_pairs()))
    missed = np.zeros(H36M_17.num_joints)
    frames = 0
    for subject in positions_3d:
        start = time.perf_counter()
        out[subject] = {}
        for action in positions_3d[subject]:
            out[subject][action] = []
            for camera, gt in enumerate(gt_2d[subject][action]):
                rng = np.random.default_rng(job_seed(seed, "keypoints", subject, action, str(camera)))
                detected, events = corrupt(gt, model, rng)  # (N, 17, 2), pixels
                out[subject][action].append(detected)
                swapped += events.swapped.sum(axis=0)
                missed += events.missed.sum(axis=0)
                frames += len(gt)
        print(f"  {subject}: {len(out[subject])} sequences ({time.perf_counter() - start:.1f} s)", flush=True)
    names = H36M_17.names
    events = {
        "swapped_fraction": {f"{names[left]}/{names[right]}": float(s / frames)
                             for (left, right), s in zip(limb_pairs(), swapped, strict=True)},
        "missed_fraction": {name: float(m / frames) for name, m in zip(names, missed, strict=True)},
    }
    return out, events


def error_report(keypoints: Poses2D, layout_name: str, gt_2d: Poses2D) -> dict:
    """2D error of `keypoints` against the h36m ground truth at the joints both have, pixels."""
    if layout_name == "h36m":
        names = list(H36M_17.names)
        source_index = list(range(H36M_17.num_joints))
        comparison = "all 17 h36m joints"
    elif layout_name in COUNTERPARTS:
        names = list(COUNTERPARTS[layout_name])
        source_index = list(COUNTERPARTS[layout_name].values())
        comparison = (f"the {len(names)} {layout_name} keypoints with an h36m counterpart; the joint definitions "
                      f"differ, so these errors include a definition offset")
    else:
        return {"comparison": f"none: no h36m counterparts are defined for layout {layout_name!r}"}
    gt_index = [H36M_17.names.index(n) for n in names]
    subjects = [s for s in keypoints if s in gt_2d]

    def pairs(subject):
        for action, cams in gt_2d[subject].items():
            for kp, gt in zip(keypoints[subject][action], cams, strict=True):
                n = min(len(kp), len(gt))
                yield kp[:n, source_index], gt[:n, gt_index]

    errors = keypoint_errors((p for s in subjects for p in pairs(s)), names)
    return {
        "comparison": comparison,
        **errors,
        "per_subject": {s: keypoint_errors(pairs(s), names)["overall"] for s in subjects},
        "not_compared": sorted(set(keypoints) - set(subjects)),
    }


def _table(report: dict) -> str:
    if "per_joint" not in report:
        return f"2D error vs ground truth: {report['comparison']}"
    lines = [f"2D error vs ground truth, pixels ({report['comparison']}; {report['frames']} camera frames)",
             f"{'joint':<12}{'mean':>8}{'median':>8}{'p90':>8}"]
    rows = [*report["per_joint"].items(), ("overall", report["overall"])]
    lines += [f"{name:<12}{s['mean']:>8.2f}{s['median']:>8.2f}{s['p90']:>8.2f}" for name, s in rows]
    return "\n".join(lines)


def main(params: dict, data_3d: Path, data_2d_gt: Path, out: Path, report_path: Path,
         import_path: Path | None = None) -> None:
    settings = params["keypoints"]
    source = settings["source"]
    positions_3d = load_3d(data_3d)
    gt_2d, gt_meta = load_2d(data_2d_gt)
    require(check_pair(positions_3d, gt_2d, gt_meta, str(data_3d), str(data_2d_gt)))
    gt_layout = infer_layout(gt_meta)
    if gt_layout.name != "h36m":
        raise ValueError(f"{data_2d_gt}: ground truth in layout {gt_layout.name!r}, expected h36m")
    gt_2d = trim_2d_to_3d(positions_3d, gt_2d)
    report: dict = {"source": source, "reference": str(data_2d_gt), "units": "pixels"}
    start = time.perf_counter()
    if source == "gt":
        keypoints, metadata, notes = gt_2d, {**gt_meta, **gt_layout.metadata()}, []
    elif source == "noisy":
        print("applying the detector-error model to the ground truth", flush=True)
        keypoints, events = noisy_keypoints(gt_2d, positions_3d, settings["noisy"], params["seed"])
        metadata, notes = gt_layout.metadata(), []
        report.update(noise_model=settings["noisy"], events=events)
    else:
        path = import_path if import_path is not None else settings["import_path"]
        if path is None:
            raise ValueError(f"keypoints source {source!r} is imported: give --import-path or keypoints.import_path")
        print(f"importing {path}", flush=True)
        keypoints, metadata, notes = import_detections(path, positions_3d, str(data_3d), source)
        report["imported"] = str(path)
    report.update(layout=metadata["layout_name"], notes=notes)
    report.update(error_report(keypoints, metadata["layout_name"], gt_2d))
    with atomic_path(out) as tmp_out, atomic_path(report_path) as tmp_report:  # both files or neither
        save_2d(tmp_out, keypoints, metadata)
        write_text(tmp_report, json.dumps(report, indent=2) + "\n")
    for note in notes:
        print(f"note: {note}")
    print(_table(report))
    print(f"wrote {out} and {report_path} ({time.perf_counter() - start:.1f} s)")


def cli() -> None:
    p = _cli.parser(__doc__)
    p.add_argument("--data-3d", type=Path, required=True, help="data_3d_h36m.npz (from prepare)")
    p.add_argument("--data-2d-gt", type=Path, required=True, help="data_2d_h36m_gt.npz (from prepare)")
    p.add_argument("--import-path", type=Path, default=None,
                   help="VideoPose3D detection file to import (default: keypoints.import_path)")
    p.add_argument("--out", type=Path, required=True, help="data_2d_h36m_<source>.npz to write")
    p.add_argument("--error-report", type=Path, required=True, help="JSON report of the 2D error vs the ground truth")
    args = p.parse_args()
    main(_cli.load_params(args.params), args.data_3d, args.data_2d_gt, args.out, args.error_report, args.import_path)


if __name__ == "__main__":
    _cli.run(cli)
