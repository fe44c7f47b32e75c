"""Stage `assemble`: the per-video detections of every subject and camera as one VideoPose3D 2D file.

Frames without a detection are filled by linear interpolation per coordinate (a gap at the start or end
takes the nearest detection, as VideoPose3D's prepare_data_2d_custom.py). Writes `--out`,
`data_2d_<dataset>_<detector>.npz` in VideoPose3D's format (positions_2d[subject][sequence] = one float32
(T, 17, 2) array per camera in the data set's camera order, COCO layout metadata), which the keypoints
stage then imports like any detection file, and `--report` (JSON): per sequence and camera the frames and
how many were filled, their totals, and the files read.
"""

from __future__ import annotations

import json
from pathlib import Path

from poselift.geometry.layouts import LAYOUTS
from poselift.io.atomic import atomic_path, file_record, sha256_file, write_text
from poselift.io.formats import save_2d
from poselift.keypoints.assembly import assemble
from stages import _cli


def main(params: dict, detector: str, detections: list[Path], out: Path, report_path: Path) -> None:
    """`params`: the section `data`; `detector`: the name of the detections (keypoints.source)."""
    dataset = _cli.dataset_of(params)
    positions, filled = assemble(detections, dataset.camera_ids)
    frames, missing = sum(r["frames"] for r in filled), sum(r["filled"] for r in filled)
    report = {"detector": detector, "frames": frames, "filled": missing,
              "filled_share": missing / frames, "videos": filled,
              "inputs": [file_record(path) for path in detections]}
    with atomic_path(out, suffix=".npz") as tmp_out, atomic_path(report_path) as tmp_report:  # both or neither
        save_2d(tmp_out, positions, LAYOUTS["coco"].metadata())
        report["output"] = {"path": str(out), "sha256": sha256_file(tmp_out)}
        write_text(tmp_report, json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}: {len(filled)} videos of {len(positions)} subjects, {frames} frames, {missing} without "
          f"a detection filled by interpolation ({100 * missing / frames:.2f}%)")


def cli() -> None:
    p = _cli.parser(__doc__.split("\n\n")[0])
    p.add_argument("--detector", required=True, help="the detector's name (keypoints.source)")
    p.add_argument("--detections", type=Path, nargs="+", required=True,
                   help="the detect stage's files, <subject>.<camera>.npz")
    p.add_argument("--out", type=Path, required=True, help="data_2d_<dataset>_<detector>.npz to write")
    p.add_argument("--report", type=Path, required=True, help="JSON: the frames filled per video")
    args = p.parse_args()
    main(_cli.load_params(args.params), args.detector, args.detections, args.out, args.report)


if __name__ == "__main__":
    _cli.run(cli)
