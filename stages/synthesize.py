"""Stage `synthesize`: the embedded synthetic data set in Human3.6M's raw layout, and a figure of its motions.

Writes `<out-dir>/<S>/MyPoseFeatures/D3_Positions/<Action>[ n].cdf` (variable `Pose`, (1, N, 96) float32,
millimetres, world frame, 50 Hz; raw names such as `TakingPhoto 1`, S11 `Directions` included) for each
subject of `synthetic.subjects`, 30 sequences of `synthetic.frames` frames each, so that `prepare` reads it
exactly as it reads Human3.6M. The directory appears complete or not at all (built beside it, then renamed
into place). The figure shows `synthetic.figure_frames` frames of every action of the first subject as
its camera 0 sees them (PNG, and SVG beside it).

Numbers measured on this data say nothing about accuracy on Human3.6M (see poselift.synthetic: what it can and
cannot tell).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from poselift.actions import ACTIONS, base_action
from poselift.cameras import h36m_cameras
from poselift.h36m_raw import CDF_SUBDIR, raw_sequence_name, write_pose_cdf
from poselift.synthetic.dataset import SEQUENCES, check_subject, generate_sequence, problems, subject_style
from poselift.synthetic.figure import plot_motions
from stages import _cli


def _replace_dir(new: Path, target: Path) -> None:
    """Put the complete directory `new` at `target`, replacing what was there."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        os.rename(target, old / target.name)
        os.rename(new, target)
        shutil.rmtree(old)
    else:
        os.rename(new, target)


def main(params: dict, out_dir: Path, figure: Path) -> None:
    seed, settings = params["seed"], params["synthetic"]
    frames, subjects = settings["frames"], settings["subjects"]
    for subject in subjects:
        check_subject(subject)
    out_dir, figure = Path(out_dir), Path(figure)
    start = time.perf_counter()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new.", dir=out_dir.parent))
    try:
        shown: dict[str, tuple[str, np.ndarray]] = {}  # action -> the first subject's first take
        styles = {subject: subject_style(seed, subject) for subject in subjects}
        jobs = [(subject, sequence) for subject in subjects for sequence in SEQUENCES]
        for subject, sequence in tqdm(jobs, desc="synthesize", unit="sequence", mininterval=1.0):
            poses = generate_sequence(seed, subject, sequence, frames, styles[subject])  # (N, 32, 3), mm
            found = problems(subject, poses)
            if found:
                raise ValueError(f"synthetic {subject} {sequence!r} (seed {seed}, {frames} frames) is implausible: "
                                 + "; ".join(found))
            write_pose_cdf(staging / subject / CDF_SUBDIR / f"{raw_sequence_name(sequence)}.cdf", poses)
            action = base_action(sequence)
            if subject == subjects[0] and action not in shown:
                shown[action] = (sequence, poses)
        camera = h36m_cameras(subjects[0])[0]
        written = plot_motions(dict(shown[a] for a in ACTIONS), camera, settings["figure_frames"], figure,
                               f"Synthetic motions of {subjects[0]} seen by camera {camera.id} (seed {seed})")
        _replace_dir(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    print(f"wrote {len(jobs)} sequences of {frames} frames for {', '.join(subjects)} to {out_dir}, and "
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
