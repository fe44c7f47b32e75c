"""How Snakemake's planning grows with the grid: the time of a dry run of a fresh study (the DAG built and
every job planned) and of a finished one (the no-op: every output checked, nothing to do) against the number
of experiments.

    python benchmarks/dag_timing.py --experiments 3 30 300

For each count N it writes a grid of N small F = 1 experiments into a scratch copy of the workflow and times
`snakemake -n` (33 N + 5 jobs: 16 training, 16 evaluation and one animation job per experiment, synthesize,
prepare, keypoints, report, all; the count is read from the dry run). Then it creates every output the plan
lists (`snakemake --summary`) as an empty file newer than the workflow's sources, checks that Snakemake now
has nothing to do, and times that dry run again (nothing is ever run for real). Writes JSON (default
benchmarks/results/dag_timing.json) and a figure next to it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml
from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parent.parent
FILES = ["Snakefile", "rules", "report", "stages", "src", "schemas", "envs", "params.yaml", "params", "profiles"]


def timed(args: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start, done


def planned(done: subprocess.CompletedProcess) -> int:
    """The jobs of a dry run: the total of the "Job stats" table Snakemake prints."""
    match = re.search(r"^total\s+(\d+)$", done.stdout + done.stderr, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no job count in the dry run's output:\n{(done.stdout + done.stderr)[-2000:]}")
    return int(match.group(1))


def finish(work: Path, summary: str) -> int:
    """Create every output file `snakemake --summary` lists as an empty file, all with one modification time
    later than the workflow's sources, so that the study looks finished; returns how many."""
    lines = [line.split("\t") for line in summary.splitlines()]
    start = next(i for i, cells in enumerate(lines) if cells[0] == "output_file") + 1
    paths = [work / cells[0] for cells in lines[start:] if len(cells) > 1 and cells[0]]
    if any(not path.resolve().is_relative_to(work.resolve()) for path in paths):
        raise RuntimeError(f"{work}: snakemake --summary lists an output outside the workflow")
    now = time.time() + 1
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        os.utime(path, (now, now))
    return len(paths)


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
        plan_s, plan = timed([*base, "-n", "--quiet", "rules"], work)
        jobs = planned(plan)
        outputs = finish(work, timed([*base, "--summary"], work)[1].stdout)
        noop_s, noop = timed([*base, "-n"], work)
        if "Nothing to be done" not in noop.stdout + noop.stderr:
            raise RuntimeError(f"{work}: with every output in place Snakemake still plans jobs:\n{noop.stdout[-2000:]}")
        rows.append({"experiments": n, "jobs": jobs, "outputs": outputs, "dry_run_s": plan_s, "noop_s": noop_s})
        print(f"{n} experiments ({jobs} jobs, {outputs} outputs): dry run {plan_s:.1f} s, no-op {noop_s:.1f} s",
              flush=True)
    result = {"host": platform.node(), "python": sys.version.split()[0], "written": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    fig = Figure(figsize=(5, 3.2), layout="constrained")
    ax = fig.add_subplot()
    jobs = [r["jobs"] for r in rows]
    ax.plot(jobs, [r["dry_run_s"] for r in rows], "o-", label="fresh study (every job planned)")
    ax.plot(jobs, [r["noop_s"] for r in rows], "s--", label="finished study (no-op)")
    ax.legend(fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("jobs in the DAG")
    ax.set_ylabel("snakemake -n (s)")
    ax.set_title("Planning time against grid size", fontsize=10)
    fig.savefig(args.out.with_suffix(".png"), dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
