"""What a grid of the study costs on Human3.6M: every training job's samples and time, and the wall time of the
whole grid on N devices.

    python benchmarks/grid_cost.py --grid params/paper.yaml --rate 1=3000 --rate 27=1070 --rate 243=79
    python benchmarks/grid_cost.py --grid params/paper.yaml --flop-rate 2.1e14    # a device's sustained FLOP/s

A job's samples are its training camera-frames x 2 (flip augmentation) x its epochs (the budget rule of
`poselift.study.budget.job_epochs`); Human3.6M's training frames per action are VideoPose3D's (its logs'
"Training on N frames", S1, S5-S8, 4 cameras; `../shared/reference/videopose3d-facts.md`, section 1.8). A job's
time is its samples over the training rate at its receptive field: given per receptive field (`--rate F=samples/s`,
measured with `benchmarks/train_throughput.py` at the grid's channels and batch size), or derived from a
sustained FLOP rate and the strided model's exact FLOPs per sample (`--flop-rate`). Evaluation and start-up are
not counted. The wall time on N devices is the longest-processing-time-first schedule of the jobs (each job on one
device), with its lower bound max(longest job, total / N). Writes JSON (default benchmarks/results/grid_cost.json)
and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import copy
import heapq
import json
import math
import platform
import time
from pathlib import Path

import yaml

from poselift.lifting.model import receptive_field
from poselift.study.budget import job_epochs
from poselift.study.models import BASELINE

ROOT = Path(__file__).resolve().parent.parent

# Human3.6M training camera-frames per action (S1, S5, S6, S7, S8 x 4 cameras, exact-name partition): VideoPose3D's
# and the paper's logs (reference/videopose3d-facts.md, section 1.8). Their sum is 1,559,752.
H36M_TRAIN_FRAMES = {
    "Directions": 100_936, "Discussion": 158_788, "Eating": 109_424, "Greeting": 72_436, "Phoning": 115_832,
    "Photo": 76_048, "Posing": 69_468, "Purchases": 63_080, "Sitting": 116_472, "SittingDown": 129_232,
    "Smoking": 133_252, "Waiting": 115_296, "WalkDog": 79_412, "Walking": 132_744, "WalkTogether": 87_332,
}


def grid_params(grid: Path) -> dict:
    """params.yaml with `grid` merged over it as the Snakefile does: sections key by key, `experiments` replaced."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    overrides = yaml.safe_load(grid.read_text()) or {}
    for key, value in overrides.items():
        if key == "experiments" or not isinstance(value, dict):
            params[key] = copy.deepcopy(value)
        else:
            params[key].update(copy.deepcopy(value))
    return params


def strided_flops_per_sample(filter_widths: list[int], channels: int, joints_in: int = 17,
                             joints_out: int = 17) -> float:
    """Forward and backward FLOPs of one training sample of the strided model (VideoPose3D's
    TemporalModelOptimized1f): 2 per multiply-add, x3 for the backward pass; batch norm and ReLU left out."""
    outputs = math.prod(filter_widths)
    macs = 0
    for i, width in enumerate(filter_widths):
        outputs //= width  # output frames of this block for one sample
        if i == 0:
            macs += outputs * joints_in * 2 * width * channels
        else:
            macs += outputs * (channels * channels * width + channels * channels)  # dilated conv and 1x1 conv
    macs += joints_out * 3 * channels
    return 6.0 * macs


def job_costs(params: dict, rate) -> list[dict]:
    """Every training job of the grid: experiment, model, receptive field, epochs, samples, seconds."""
    jobs = []
    for experiment, overrides in params["experiments"].items():
        settings = {**params["train"], **(overrides or {})}
        rf = receptive_field(settings["architecture"])
        flips = 2 if settings["flip_augment"] else 1
        for model in (BASELINE, *H36M_TRAIN_FRAMES):
            epochs = job_epochs(settings, model, H36M_TRAIN_FRAMES)
            if settings["budget"] == "fixed_data":
                frames = settings["data_budget_frames"]
            else:
                frames = sum(H36M_TRAIN_FRAMES.values()) if model == BASELINE else H36M_TRAIN_FRAMES[model]
            samples = frames * flips * epochs
            per_second = rate(settings)
            jobs.append({"experiment": experiment, "model": model, "receptive_field": rf,
                         "channels": settings["channels"], "epochs": epochs, "samples": samples,
                         "samples_per_s": per_second, "seconds": samples / per_second})
    return jobs


def schedule(seconds: list[float], devices: int) -> float:
    """Wall time of the longest-processing-time-first list schedule on `devices` devices."""
    loads = [0.0] * devices
    for s in sorted(seconds, reverse=True):
        heapq.heapreplace(loads, loads[0] + s)
    return max(loads)


def hours(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:,.1f} h"
    return f"{seconds / 60:,.1f} min" if seconds >= 60 else f"{seconds:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", type=Path, default=ROOT / "params" / "paper.yaml", help="a grid file (params/*.yaml)")
    parser.add_argument("--rate", action="append", default=[], metavar="F=SAMPLES_PER_S",
                        help="measured training samples/s at receptive field F (repeat for each F of the grid)")
    parser.add_argument("--flop-rate", type=float, default=None,
                        help="instead: a sustained FLOP/s; each F's rate is this over its FLOPs per sample")
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 4, 16, 80], help="devices to schedule on")
    parser.add_argument("--label", default="", help="what the rates are (machine, precision), for the JSON")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "grid_cost.json")
    args = parser.parse_args()
    rates = {int(k): float(v) for k, v in (r.split("=", 1) for r in args.rate)}
    if (args.flop_rate is None) == (not rates):
        parser.error("give either --rate for every receptive field of the grid or --flop-rate")

    def rate(settings: dict) -> float:
        rf = receptive_field(settings["architecture"])
        if args.flop_rate is not None:
            return args.flop_rate / strided_flops_per_sample(settings["architecture"], settings["channels"])
        if rf not in rates:
            parser.error(f"no --rate for receptive field {rf}")
        return rates[rf]

    params = grid_params(args.grid)
    jobs = job_costs(params, rate)
    seconds = [j["seconds"] for j in jobs]
    total, longest = sum(seconds), max(seconds)
    walls = {n: {"schedule_s": schedule(seconds, n), "lower_bound_s": max(longest, total / n)} for n in args.devices}
    per_experiment = {}
    for j in jobs:
        e = per_experiment.setdefault(j["experiment"], {"receptive_field": j["receptive_field"], "jobs": 0,
                                                        "samples": 0, "seconds": 0.0, "longest_s": 0.0})
        e["jobs"] += 1
        e["samples"] += j["samples"]
        e["seconds"] += j["seconds"]
        e["longest_s"] = max(e["longest_s"], j["seconds"])
    result = {"grid": str(args.grid), "label": args.label, "rates": {str(k): v for k, v in rates.items()},
              "flop_rate": args.flop_rate, "host": platform.node(), "written": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "jobs": jobs, "experiments": per_experiment, "total_s": total, "longest_job_s": longest,
              "wall": {str(n): w for n, w in walls.items()}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print("| experiment | F | jobs | samples | device time | longest job |")
    print("|---|---|---|---|---|---|")
    for name, e in per_experiment.items():
        print(f"| `{name}` | {e['receptive_field']} | {e['jobs']} | {e['samples']:,} | {hours(e['seconds'])} | "
              f"{hours(e['longest_s'])} |")
    print(f"| **grid** | | {len(jobs)} | {sum(j['samples'] for j in jobs):,} | {hours(total)} | {hours(longest)} |")
    print()
    print("| devices | wall time (LPT schedule) | lower bound |")
    print("|---|---|---|")
    for n, w in walls.items():
        print(f"| {n} | {hours(w['schedule_s'])} | {hours(w['lower_bound_s'])} |")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
