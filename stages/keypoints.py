"""Stage `keypoints`: the 2D keypoints that training and evaluation lift, `data_2d_<dataset>_<source>.npz`.

`keypoints.source` picks them:
- `gt`: the ground-truth projection made by `prepare` (checked, and given `layout_name`);
- `noisy`: the ground truth passed through the detector-error model of `poselift.keypoints.noise`
  (`keypoints.noisy`), seeded per subject, action and camera from the root seed;
- any other name (`cpn_ft_h36m_dbb`, `detectron_pt_coco`, `sh_ft_h36m`, ...): VideoPose3D's detection
  file at `--import-path` (default `keypoints.import_path`), validated against the 3D poses, trimmed to
  their length; unlabeled subjects kept.

Always writes `--error-report`, JSON: what was read and written (with sha256), the 2D error against the
ground truth in pixels, per joint
(mean, median, p90), overall and per subject, with the joints compared and why (keypoints of another
layout are compared at the joints both layouts have), and for `noisy` the model's parameters and how
often swaps and misses happened; for any other source also `noise_model_reference`: the error the detector-error
model gives on the same sequences at the same joints (what `noisy` would have been). A short table goes
to stdout.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from poselift.datasets.validation import check_pair, require, trim_2d_to_3d
from poselift.geometry.layouts import infer_layout
from poselift.io.atomic import atomic_path, file_record, sha256_file, write_text
from poselift.io.formats import load_2d, load_3d, save_2d
from poselift.keypoints.detections import import_detections
from poselift.keypoints.errors import error_report, error_table
from poselift.keypoints.noise import noisy_keypoints
from stages import _cli


def main(params: dict, data_3d: Path, data_2d_gt: Path, out: Path, report_path: Path,
         import_path: Path | None = None) -> None:
    """`params`: the sections `seed`, `data` and `keypoints`."""
    settings = params["keypoints"]
    source = settings["source"]
    dataset = _cli.dataset_of(params)
    positions_3d = load_3d(data_3d)
    gt_2d, gt_meta = load_2d(data_2d_gt)
    require(check_pair(positions_3d, gt_2d, gt_meta, str(data_3d), str(data_2d_gt), dataset))
    gt_layout = infer_layout(gt_meta)
    if gt_layout.name != dataset.layout.name:
        raise ValueError(f"{data_2d_gt}: ground truth in layout {gt_layout.name!r}, expected {dataset.layout.name!r} "
                         f"({dataset.title})")
    gt_2d = trim_2d_to_3d(positions_3d, gt_2d)
    report: dict = {"source": source, "reference": str(data_2d_gt), "units": "pixels"}
    start = time.perf_counter()
    if source == "gt":
        keypoints, metadata, notes = gt_2d, {**gt_meta, **gt_layout.metadata()}, []
    elif source == "noisy":
        print("applying the detector-error model to the ground truth", flush=True)
        keypoints, events = noisy_keypoints(gt_2d, positions_3d, settings["noisy"], params["seed"], dataset)
        metadata, notes = gt_layout.metadata(), []
        report.update(noise_model=settings["noisy"], events=events)
    else:
        path = import_path if import_path is not None else settings["import_path"]
        if path is None:
            raise ValueError(f"keypoints source {source!r} is imported: give --import-path or keypoints.import_path")
        print(f"importing {path}", flush=True)
        keypoints, metadata, notes = import_detections(path, positions_3d, str(data_3d), source, dataset)
        report["imported"] = str(path)
    report.update(layout=metadata["layout_name"], notes=notes)
    report.update(error_report(keypoints, infer_layout(metadata), gt_2d, gt_layout))
    if source not in ("gt", "noisy") and "per_joint" in report:  # the detector-error model at the same joints
        reference, _ = noisy_keypoints(gt_2d, positions_3d, settings["noisy"], params["seed"], dataset)
        same_joints = error_report(reference, gt_layout, gt_2d, gt_layout, joints=list(report["per_joint"]))
        report["noise_model_reference"] = {"parameters": settings["noisy"], **same_joints}
    report["data_3d"] = file_record(data_3d)
    with atomic_path(out) as tmp_out, atomic_path(report_path) as tmp_report:  # both files or neither
        save_2d(tmp_out, keypoints, metadata)
        report["output"] = {"path": str(out), "sha256": sha256_file(tmp_out)}
        write_text(tmp_report, json.dumps(report, indent=2) + "\n")
    for note in notes:
        print(f"note: {note}")
    print(error_table(report))
    if "noise_model_reference" in report:
        print("the detector-error model (keypoints.noisy) on the same sequences:")
        print(error_table(report["noise_model_reference"]))
    print(f"wrote {out} and {report_path} ({time.perf_counter() - start:.1f} s)")


def cli() -> None:
    p = _cli.parser(__doc__)
    p.add_argument("--data-3d", type=Path, required=True, help="data_3d_<dataset>.npz (from prepare)")
    p.add_argument("--data-2d-gt", type=Path, required=True, help="data_2d_<dataset>_gt.npz (from prepare)")
    p.add_argument("--import-path", type=Path, default=None,
                   help="VideoPose3D detection file to import (default: keypoints.import_path)")
    p.add_argument("--out", type=Path, required=True, help="data_2d_<dataset>_<source>.npz to write")
    p.add_argument("--error-report", type=Path, required=True, help="JSON report of the 2D error vs the ground truth")
    args = p.parse_args()
    main(_cli.load_params(args.params), args.data_3d, args.data_2d_gt, args.out, args.error_report, args.import_path)


if __name__ == "__main__":
    _cli.run(cli)
