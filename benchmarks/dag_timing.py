"""How Snakemake's planning grows with the grid: the time of a dry run (the DAG of a fresh study built and
every job planned) against the number of experiments.

    python benchmarks/dag_timing.py --experiments 3 30 300

For each count N it writes a grid of N small F = 1 experiments into a scratch copy of the workflow and times
`snakemake -n` (32 N + 5 jobs: 16 training and 16 evaluation jobs per experiment, synthesize, prepare,
keypoints, report, all). Writes JSON (default benchmarks/results/dag_timing.json) and a figure next to it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml
from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parent.parent
FILES = ["Snakefile", "rules", "report", "stages", "src", "schemas", "envs", "params.yaml", "params", "profiles"]


def timed(args: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiments", type=int, nargs="+", default=[3, 30, 300])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/poselift-dag-timing"))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "dag_timing.json")
    args = parser.parse_args()
    snakemake = str(Path(sys.executable).parent / "snakemake")
    rows = []
    for n in args.experiments:
        work = args.workdir / f"n{n}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        for name in FILES:
            src = ROOT / name
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, work / name)
        grid = {"experiments": {f"e{i:03d}": {"architecture": [1], "channels": 16} for i in range(n)}}
        (work / "grid.yaml").write_text(yaml.safe_dump(grid))
        base = [snakemake, "--cores", "1", "--configfile", "grid.yaml"]
        plan_s, _ = timed([*base, "-n", "--quiet", "rules"], work)
        rows.append({"experiments": n, "jobs": 32 * n + 5, "dry_run_s": plan_s})
        print(f"{n} experiments ({32 * n + 5} jobs): dry run {plan_s:.1f} s", flush=True)
    result = {"host": platform.node(), "python": sys.version.split()[0], "written": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    fig = Figure(figsize=(5, 3.2), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([r["jobs"] for r in rows], [r["dry_run_s"] for r in rows], "o-")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("jobs in the DAG")
    ax.set_ylabel("snakemake -n (s)")
    ax.set_title("Planning time against grid size", fontsize=10)
    fig.savefig(args.out.with_suffix(".png"), dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
