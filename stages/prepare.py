"""Stage `prepare`: a data set's 3D poses in VideoPose3D's format, and the ground-truth 2D keypoints.

Reads, per `data.source`:
- a raw tree the data set's module reads (Human3.6M: `cdf`, `<source>/<S>/MyPoseFeatures/D3_Positions/*.cdf`,
  or `h5`, Martinez et al.'s `<source>/<S>/MyPoses/3D_positions/*.h5`); the embedded synthetic data set
  is written in the data set's own raw layout, so it takes the same code path;
- `npz`: an existing VideoPose3D `data_3d_<dataset>.npz` (validated and normalised).
Writes `data_3d_<dataset>.npz` ({subject: {action: float32 (N, J, 3)}}, metres, world frame) and
`data_2d_<dataset>_gt.npz`: the lifted joints projected through the calibrated cameras (pixels, with
`layout_name`), or, for a data set whose intrinsics are not published (HumanEva-I), its ground-truth 2D
file (`--gt-2d`), validated against the 3D poses and trimmed to them; and `--provenance`, JSON: what was
read (data set, source, path, subjects) and the sha256 of both files written, which the report states
and checks the other artifacts against. Everything is computed before anything is written; on any error
nothing is touched.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from poselift.datasets.prepare import ground_truth_2d, normalise_3d, normalise_gt_2d
from poselift.io.atomic import atomic_path, sha256_file
from poselift.io.formats import load_2d, load_3d, save_2d, save_3d
from stages import _cli


def main(params: dict, source: Path, out_3d: Path, out_2d: Path, provenance: Path, gt_2d: Path | None = None) -> None:
    """`params`: the section `data`."""
    data = params["data"]
    dataset = _cli.dataset_of(params)
    start = time.perf_counter()
    route = data["source"] if data["source"] != "synthetic" else dataset.synthetic_route
    if route == "npz":
        positions_3d = normalise_3d(load_3d(source), str(source), data["subjects"], dataset)
        print(f"read {source}: {len(positions_3d)} subjects", flush=True)
    elif route in dataset.raw_formats:
        print(f"reading the {data['source']} tree {source}", flush=True)
        positions_3d = dataset.read_raw(source, route, data["subjects"],
                                        progress=lambda line: print(f"  {line}", flush=True))
    else:
        raise ValueError(f"data.source {data['source']!r}: {dataset.title} is read from "
                         f"{', '.join(['npz', *dataset.raw_formats])}")
    if gt_2d is not None:
        positions_2d = normalise_gt_2d(*load_2d(gt_2d), positions_3d, str(source), str(gt_2d), dataset)
        print(f"read the ground-truth 2D {gt_2d}", flush=True)
    elif dataset.has_intrinsics:
        positions_2d = ground_truth_2d(positions_3d, dataset)
    else:
        raise ValueError(f"{dataset.title}'s camera intrinsics are not published, so its ground-truth 2D cannot "
                         f"be projected: set data.gt_2d_path to its data_2d_{dataset.name}_gt.npz")
    sequences = sum(len(a) for a in positions_3d.values())
    frames = sum(len(p) for a in positions_3d.values() for p in a.values())
    record = {"stage": "prepare", "dataset": dataset.key, "title": dataset.title, "source": data["source"],
              "read": str(source), "gt_2d": None if gt_2d is None else str(gt_2d), "subjects": list(positions_3d),
              "sequences": sequences, "frames": frames}
    with (atomic_path(out_3d) as tmp_3d, atomic_path(out_2d) as tmp_2d,  # all three files or none
          atomic_path(provenance) as tmp_record):
        save_3d(tmp_3d, positions_3d)
        save_2d(tmp_2d, positions_2d, dataset.layout.metadata())
        record["outputs"] = {"data_3d": {"path": str(out_3d), "sha256": sha256_file(tmp_3d)},
                             "data_2d_gt": {"path": str(out_2d), "sha256": sha256_file(tmp_2d)}}
        tmp_record.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out_3d} and {out_2d}: {len(positions_3d)} subjects, {sequences} sequences, {frames} frames "
          f"({time.perf_counter() - start:.1f} s)")


def cli() -> None:
    p = _cli.parser(__doc__)
    p.add_argument("--source", type=Path, required=True,
                   help="raw tree root (synthetic, cdf, h5) or VideoPose3D's data_3d_<dataset>.npz (npz)")
    p.add_argument("--gt-2d", type=Path, default=None,
                   help="the data set's own ground-truth 2D file, instead of projecting (data sets without "
                        "published intrinsics)")
    p.add_argument("--out-3d", type=Path, required=True, help="data_3d_<dataset>.npz to write")
    p.add_argument("--out-2d", type=Path, required=True, help="data_2d_<dataset>_gt.npz to write")
    p.add_argument("--provenance", type=Path, required=True, help="JSON of what was read and written")
    args = p.parse_args()
    main(_cli.load_params(args.params), args.source, args.out_3d, args.out_2d, args.provenance, args.gt_2d)


if __name__ == "__main__":
    _cli.run(cli)
