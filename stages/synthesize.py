"""Stage `synthesize`: the embedded synthetic data set in a data set's own raw layout, and a figure of its motions.

For Human3.6M (`data.dataset: h36m`) it writes `<out-dir>/<S>/MyPoseFeatures/D3_Positions/<Action>[ n].cdf`
(variable `Pose`, (1, N, 96) float32, millimetres, world frame, 50 Hz; raw names such as `TakingPhoto 1`)
for each subject of `synthetic.subjects`, so that `prepare` reads it exactly as it reads Human3.6M; for
HumanEva-I (`humaneva`) VideoPose3D's `data_3d_humaneva15.npz` and `data_2d_humaneva15_gt.npz`, the files
HumanEva's MATLAB conversion makes. The directory appears complete or not at all (built beside it, then
swapped into place). The figure shows `synthetic.figure_frames` frames of every action of the first
subject as its first camera sees them (PNG, and SVG beside it).

Numbers measured on this data say nothing about accuracy on the real data sets (see
poselift.datasets.synthetic: what it can and cannot tell).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from poselift.datasets.synthetic import embedded
from poselift.datasets.synthetic.figure import plot_motions
from poselift.io.atomic import replace_directory
from poselift.io.figures import save_figure
from stages import _cli


def main(params: dict, out_dir: Path, figure: Path) -> None:
    """`params`: the sections `seed`, `data` and `synthetic`."""
    seed, settings = params["seed"], params["synthetic"]
    dataset = _cli.dataset_of(params)
    writer = embedded(dataset.key)
    out_dir, figure = Path(out_dir), Path(figure)
    start = time.perf_counter()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new.", dir=out_dir.parent))
    try:
        shown = writer.write(seed, settings, staging)  # action -> poses (N, J, 3), mm, of the first subject
        subject = settings["subjects"][0]
        camera = writer.figure_camera(subject)
        fig = plot_motions(shown, camera, settings["figure_frames"],
                           f"Synthetic motions of {subject} seen by camera {camera.id} (seed {seed})", dataset)
        written = save_figure(fig, figure.with_suffix(""), dpi=80)
        replace_directory(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    print(f"wrote the embedded {dataset.title} data set ({', '.join(settings['subjects'])}) to {out_dir}, and "
          f"{', '.join(str(p) for p in written)} ({time.perf_counter() - start:.1f} s)", flush=True)


def cli() -> None:
    p = _cli.parser(__doc__)
    p.add_argument("--out-dir", type=Path, required=True,
                   help="root of the raw tree to write (results/raw/synthetic); replaced when complete")
    p.add_argument("--figure", type=Path, required=True,
                   help="PNG of sample frames per action (results/figures/synthetic_motions.png); "
                        "an SVG is written beside it")
    args = p.parse_args()
    main(_cli.load_params(args.params), args.out_dir, args.figure)


if __name__ == "__main__":
    _cli.run(cli)
