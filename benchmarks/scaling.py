"""How the cost of training and evaluation grows: one sweep per factor, in one run, on this machine.

Each training point times our step (batch assembly from the data bank, strided model forward and backward,
fused Amsgrad) on data of Human3.6M's shape, as `train_throughput.py` does, changing one factor at a time
from a base case (27 frames, 256 channels, batch 1024, every thread of the process):

- batch size (`--batches`), receptive field (`--architectures`), channels (`--channels`), threads
  (`--threads`): training samples per second;
- sequence length (`--lengths`): evaluation frames per second of the dilated model over whole sequences
  with flip augmentation (what `evaluate` does).

Ratios between points of one run hold on a noisy machine better than figures from separate runs. Writes
JSON (default benchmarks/results/scaling_<device>.json) and a figure of the five sweeps next to it.

    python benchmarks/scaling.py                 # the default sweeps, about 5 minutes on 2 cores
    python benchmarks/scaling.py --quick         # tiny sizes: checks the script, numbers meaningless
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_throughput import SYMMETRY, h36m_shaped_sequences, measure_eval, measure_train

from poselift.io.atomic import write_text
from poselift.io.figures import save_figure
from poselift.lifting.model import ModelConfig, TemporalModel, TemporalModelOptimized1f
from poselift.lifting.training import resolve_device
from poselift.lifting.windows import WindowBank


def train_rate(sequences, widths: tuple[int, ...], channels: int, batch_size: int, threads: int, steps: int,
               device: torch.device) -> dict:
    """Training samples per second at one setting (median step of `steps`, after one warm-up step)."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = ModelConfig(filter_widths=widths, channels=channels)
    bank = WindowBank(sequences, config.receptive_field, 0, SYMMETRY, flip=True, device=device)
    generator = torch.Generator().manual_seed(0)
    batches = iter(())

    def next_batch():
        nonlocal batches
        ids = next(batches, None)
        if ids is None or len(ids) < batch_size:
            batches = iter(bank.epoch_batches(batch_size, generator))
            ids = next(batches)
        return bank.batch(ids)

    model = TemporalModelOptimized1f(config).to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, amsgrad=True, fused=True)
    step_s = measure_train(model, optimizer, next_batch, steps, 1, device)
    return {"receptive_field": config.receptive_field, "architecture": list(widths), "channels": channels,
            "batch_size": batch_size, "threads": threads, "step_s": step_s, "samples_per_s": batch_size / step_s}


def eval_rate(length: int, widths: tuple[int, ...], channels: int, threads: int, device: torch.device,
              total_frames: int) -> dict:
    """Evaluation frames per second over sequences of `length` frames (about `total_frames` in all)."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = TemporalModel(ModelConfig(filter_widths=widths, channels=channels)).to(device).eval()
    count = max(1, total_frames // length)
    inputs = [torch.from_numpy(s.poses_2d).to(device) for s in h36m_shaped_sequences(count, length, seed=1)]
    with torch.no_grad():
        frames_per_s = measure_eval(model, inputs, device)
    return {"length": length, "sequences": count, "frames": count * length, "seconds": count * length / frames_per_s,
            "frames_per_s": frames_per_s}


def cpu_name() -> str:
    """The processor's model name (Linux), else what platform says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def widths_of(text: str) -> tuple[int, ...]:
    return tuple(int(w) for w in text.split(","))


def draw(result: dict, stem: Path) -> list[Path]:
    """One panel per sweep: samples/s (training) or frames/s (evaluation) against the factor, log-log."""
    panels = [("batch_size", "batch size", "train"), ("receptive_field", "receptive field F (frames)", "train"),
              ("channels", "channels", "train"), ("threads", "threads", "train"),
              ("length", "sequence length (frames)", "eval")]
    fig = Figure(figsize=(13, 2.9), layout="constrained")
    base = result["base"]
    for ax, (key, label, kind) in zip(fig.subplots(1, len(panels)), panels, strict=True):
        rows = result["sweeps"][key]
        x = [r[key] for r in rows]
        y = [r["samples_per_s" if kind == "train" else "frames_per_s"] for r in rows]
        ax.plot(x, y, "o-")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(x, [str(v) for v in x], fontsize=7)
        ax.minorticks_off()
        ax.set_xlabel(label, fontsize=8)
        ax.set_ylabel("training samples/s" if kind == "train" else "evaluation frames/s (TTA)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle(f"Cost growth on {result['device_name']} ({result['device']}): one factor at a time from "
                 f"F = {base['receptive_field']}, {base['channels']} channels, batch {base['batch_size']}, "
                 f"{base['threads']} threads", fontsize=9)
    return save_figure(fig, stem, dpi=120)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--architecture", default="3,3,3", help="base filter widths (27 frames)")
    p.add_argument("--base-channels", type=int, default=256)
    p.add_argument("--base-batch", type=int, default=1024)
    p.add_argument("--batches", type=int, nargs="+", default=[64, 256, 1024, 4096])
    p.add_argument("--architectures", nargs="+", default=["1", "3", "3,3", "3,3,3", "3,3,3,3", "3,3,3,3,3"])
    p.add_argument("--channels", type=int, nargs="+", default=[64, 128, 256, 512, 1024])
    p.add_argument("--threads", type=int, nargs="+", default=None, help="default: 1, 2, ... up to the cores")
    p.add_argument("--lengths", type=int, nargs="+", default=[64, 256, 1024, 4096, 16384])
    p.add_argument("--eval-frames", type=int, default=65536, help="frames per evaluation point")
    p.add_argument("--steps", type=int, default=5, help="timed training steps per point")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--quick", action="store_true", help="tiny sizes, to check the script")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)

    device = resolve_device(args.device)
    cores = torch.get_num_threads()
    threads = args.threads or sorted({1, *[2 ** k for k in range(1, 8) if 2 ** k <= cores], cores})
    if args.quick:
        args.base_channels, args.base_batch, args.steps, args.eval_frames = 16, 64, 2, 512
        args.batches, args.channels, args.lengths = [16, 64], [8, 16], [64, 256]
        args.architectures = ["1", "3,3"]
    base_widths = widths_of(args.architecture)
    sequences = h36m_shaped_sequences(8 if args.quick else 40, 300 if args.quick else 2000)
    base = {"architecture": list(base_widths), "receptive_field": int(np.prod(base_widths)),
            "channels": args.base_channels, "batch_size": args.base_batch, "threads": cores}

    def train_point(widths=base_widths, channels=args.base_channels, batch=args.base_batch, n_threads=cores):
        row = train_rate(sequences, widths, channels, batch, n_threads, args.steps, device)
        print(f"train F={row['receptive_field']:>3} C={channels:>4} batch={batch:>5} threads={n_threads}: "
              f"{row['step_s'] * 1e3:9.1f} ms/step, {row['samples_per_s']:10.0f} samples/s", flush=True)
        return row

    started = time.perf_counter()
    sweeps = {
        "batch_size": [train_point(batch=b) for b in args.batches],
        "receptive_field": [train_point(widths=widths_of(a)) for a in args.architectures],
        "channels": [train_point(channels=c) for c in args.channels],
        "threads": [train_point(n_threads=t) for t in threads],
        "length": [],
    }
    for length in args.lengths:
        row = eval_rate(length, base_widths, args.base_channels, cores, device, max(args.eval_frames, length))
        print(f"eval  F={base['receptive_field']:>3} C={args.base_channels:>4} length={length:>6}: "
              f"{row['frames_per_s']:10.0f} frames/s", flush=True)
        sweeps["length"].append(row)
    torch.set_num_threads(cores)
    result = {
        "benchmark": "scaling", "device": device.type,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name(),
        "cores": cores, "torch": torch.__version__, "python": platform.python_version(), "quick": args.quick,
        "steps": args.steps, "written": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "seconds": time.perf_counter() - started, "base": base, "sweeps": sweeps,
    }
    out = args.out or Path(__file__).parent / "results" / f"scaling_{device.type}{'_quick' if args.quick else ''}.json"
    write_text(out, json.dumps(result, indent=2) + "\n")
    figures = draw(result, out.with_suffix(""))
    print(f"wrote {out} and {', '.join(str(f) for f in figures)} in {result['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
