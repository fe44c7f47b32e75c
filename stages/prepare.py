"""Stage `prepare`: Human3.6M 3D poses in VideoPose3D's format, and the ground-truth 2D keypoints.

Reads, per `data.source`:
- `synthetic` or `cdf`: a raw tree `<source>/<S>/MyPoseFeatures/D3_Positions/*.cdf` (the synthetic
  data set is written in Human3.6M's own layout, so it takes the same code path);
- `h5`: Martinez et al.'s tree `<source>/<S>/MyPoses/3D_positions/*.h5`;
- `npz`: an existing VideoPose3D `data_3d_h36m.npz` (validated and normalised).
Writes `data_3d_h36m.npz` ({subject: {action: float32 (N, 32, 3)}}, metres, world frame) and
`data_2d_h36m_gt.npz` (the 17 joints projected through the four real cameras, pixels, with
`layout_name`). Both are computed before either is written; on any error neither is touched.
"""

from __future__ import annotations

import time
from pathlib import Path

from poselift.atomic import atomic_path
from poselift.formats import load_3d, save_2d, save_3d
from poselift.prepare import ground_truth_2d, gt_metadata, normalise_3d, read_raw_tree
from stages import _cli

RAW_FORMAT = {"synthetic": "cdf", "cdf": "cdf", "h5": "h5"}


def main(params: dict, source: Path, out_3d: Path, out_2d: Path) -> None:
    data = params["data"]
    start = time.perf_counter()
    if data["source"] == "npz":
        positions_3d = normalise_3d(load_3d(source), str(source), data["subjects"])
        print(f"read {source}: {len(positions_3d)} subjects", flush=True)
    else:
        fmt = RAW_FORMAT[data["source"]]
        print(f"reading the {data['source']} tree {source}", flush=True)
        positions_3d = read_raw_tree(source, fmt, data["subjects"],
                                     progress=lambda line: print(f"  {line}", flush=True))
    positions_2d = ground_truth_2d(positions_3d)
    with atomic_path(out_3d) as tmp_3d, atomic_path(out_2d) as tmp_2d:  # both files or neither
        save_3d(tmp_3d, positions_3d)
        save_2d(tmp_2d, positions_2d, gt_metadata())
    sequences = sum(len(a) for a in positions_3d.values())
    frames = sum(len(p) for a in positions_3d.values() for p in a.values())
    print(f"wrote {out_3d} and {out_2d}: {len(positions_3d)} subjects, {sequences} sequences, {frames} frames "
          f"({time.perf_counter() - start:.1f} s)")


def cli() -> None:
    p = _cli.parser(__doc__)
    p.add_argument("--source", type=Path, required=True,
                   help="raw tree root (synthetic, cdf, h5) or VideoPose3D's data_3d_h36m.npz (npz)")
    p.add_argument("--out-3d", type=Path, required=True, help="data_3d_h36m.npz to write")
    p.add_argument("--out-2d", type=Path, required=True, help="data_2d_h36m_gt.npz to write")
    args = p.parse_args()
    main(_cli.load_params(args.params), args.source, args.out_3d, args.out_2d)


if __name__ == "__main__":
    _cli.run(cli)
