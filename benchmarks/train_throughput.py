"""Training and evaluation throughput of the temporal model on data of Human3.6M's shape.

Measures, on this machine:
- `train_samples_per_s`: training samples per second of our loop (batch assembly by index from the
  on-device data bank, strided model forward, backward, Amsgrad step);
- with `--precision fp32 tf32 bf16` (any of them), that step for each, from the same initial weights,
  in `train`: fp32 (strict float32 products), tf32 (float32 with TensorFloat-32 products, CUDA only:
  on a CPU it is fp32) and bf16 (`train.precision: bf16`: bfloat16 products in the blocks); the
  top-level `train_*` keys are the first precision's;
- `eval_frames_per_s`: frames per second of the dilated model over whole sequences with test-time
  flip augmentation (what `evaluate` does, always float32: strict, or TF32 when tf32 is the first
  float32 precision given; per float32 precision in `eval`);
- with `--reference`, `reference_train_samples_per_s`: the same step done the way VideoPose3D's
  `run.py` does it (a Python loop over the batch's chunks into float64 buffers with edge padding and
  flips, then strided `Conv1d` + `BatchNorm1d` + `ReLU` + `Dropout` modules, channels-first), for a
  same-machine comparison.

Writes JSON (default `benchmarks/results/train_throughput_<arch>_c<channels>_b<batch>_<device>.json`).
Example: python benchmarks/train_throughput.py --architecture 3,3,3 --channels 1024 --batch-size 1024
         python benchmarks/train_throughput.py --precision fp32 bf16   (fp32 against bf16 in one run)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from poselift.datasets.h36m import H36M
from poselift.geometry.layouts import LAYOUTS
from poselift.io.atomic import write_text
from poselift.lifting.evaluation import predict
from poselift.lifting.metrics import mpjpe
from poselift.lifting.model import ModelConfig, TemporalModel, TemporalModelOptimized1f
from poselift.lifting.sequences import Sequence, Symmetry
from poselift.lifting.training import PRECISIONS, resolve_device
from poselift.lifting.windows import WindowBank

SYMMETRY = Symmetry.of(LAYOUTS["h36m"], H36M)


def h36m_shaped_sequences(count: int, frames: int, seed: int = 0) -> list[Sequence]:
    """Random poses shaped like Human3.6M's camera sequences: (T, 17, 2) inputs, (T, 17, 3) targets."""
    rng = np.random.default_rng(seed)
    return [Sequence("S1", f"Walking {i}", "Walking", i % 4, H36M.camera_ids[i % 4],
                     rng.uniform(-1, 1, (frames, 17, 2)).astype(np.float32),
                     rng.normal(0, 0.3, (frames, 17, 3)).astype(np.float32)) for i in range(count)]


def measure_train(model, optimizer, next_batch, steps: int, warmup: int, device) -> float:
    """Seconds per step, median of `steps` after `warmup`."""
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        x, y = next_batch()
        optimizer.zero_grad(set_to_none=True)
        loss = mpjpe(model(x), y)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return float(np.median(times))


@contextlib.contextmanager
def float32_products(mode: str):
    """CUDA's float32 matrix products and convolutions as `mode` says: 'ieee' (strict) or 'tf32'."""
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn.conv
    before = matmul.fp32_precision, conv.fp32_precision
    matmul.fp32_precision = conv.fp32_precision = mode
    try:
        yield
    finally:
        matmul.fp32_precision, conv.fp32_precision = before


def measure_eval(model: TemporalModel, inputs: list[torch.Tensor], device: torch.device) -> float:
    """Frames per second of `predict` with flip augmentation over `inputs` (after a warm-up)."""
    predict(model, inputs[:1], SYMMETRY, tta=True)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    predict(model, inputs, SYMMETRY, tta=True)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return sum(len(x) for x in inputs) / (time.perf_counter() - start)


def reference_batch_maker(sequences: list[Sequence], rf: int, batch_size: int, rng: np.random.Generator):
    """VideoPose3D-style batch assembly: one Python iteration per chunk, float64 buffers."""
    pad = (rf - 1) // 2
    pairs = [(i, t, flip) for i, s in enumerate(sequences) for t in range(s.frames) for flip in (False, True)]
    kps_l, kps_r = list(SYMMETRY.kps_left), list(SYMMETRY.kps_right)
    jl, jr = list(SYMMETRY.joints_left), list(SYMMETRY.joints_right)

    def next_batch():
        x = np.empty((batch_size, rf, 17, 2))
        y = np.empty((batch_size, 1, 17, 3))
        for k, p in enumerate(rng.integers(0, len(pairs), batch_size)):
            i, t, flip = pairs[p]
            seq_2d, seq_3d = sequences[i].poses_2d, sequences[i].poses_3d
            low, high = t - pad, t + pad + 1
            low_c, high_c = max(low, 0), min(high, len(seq_2d))
            chunk = seq_2d[low_c:high_c]
            if (low_c - low) or (high - high_c):
                chunk = np.pad(chunk, ((low_c - low, high - high_c), (0, 0), (0, 0)), "edge")
            x[k] = chunk
            y[k, 0] = seq_3d[t]
            if flip:
                x[k, :, :, 0] *= -1
                x[k, :, kps_l + kps_r] = x[k, :, kps_r + kps_l]
                y[k, :, :, 0] *= -1
                y[k, :, jl + jr] = y[k, :, jr + jl]
        y[:, :, 0] = 0
        return torch.from_numpy(x.astype("float32")), torch.from_numpy(y.astype("float32"))

    return next_batch


class ReferenceStrided(torch.nn.Module):
    """The strided single-frame model as VideoPose3D runs it: Conv1d modules, channels-first."""

    def __init__(self, model: TemporalModelOptimized1f):
        super().__init__()
        self.m = model

    def forward(self, x):
        m = self.m
        b, t = x.shape[:2]
        x = m.drop(torch.relu(m.expand_bn(m.expand_conv(x.reshape(b, t, -1).transpose(1, 2)))))
        for i in range(len(m.pad) - 1):
            w = m.filter_widths[i + 1]
            res = x[:, :, w // 2 :: w]
            x = m.drop(torch.relu(m.layers_bn[2 * i](m.layers_conv[2 * i](x))))
            x = res + m.drop(torch.relu(m.layers_bn[2 * i + 1](m.layers_conv[2 * i + 1](x))))
        return m.shrink(x).transpose(1, 2).reshape(b, -1, 17, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--architecture", default="3,3,3", help="filter widths, e.g. 3,3,3 (27 frames)")
    parser.add_argument("--channels", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=10, help="timed training steps")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--sequences", type=int, default=40, help="sequences of the synthetic data bank")
    parser.add_argument("--frames", type=int, default=2000, help="frames per sequence")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--precision", nargs="+", default=["fp32"], choices=["fp32", "tf32", "bf16"],
                        help="training precisions to time, each from the same initial weights (tf32: CUDA only)")
    parser.add_argument("--reference", action="store_true", help="also time a VideoPose3D-style step")
    parser.add_argument("--out", type=Path, default=None, help="output JSON")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = resolve_device(args.device)
    widths = tuple(int(w) for w in args.architecture.split(","))
    config = ModelConfig(filter_widths=widths, channels=args.channels)
    rf = config.receptive_field
    sequences = h36m_shaped_sequences(args.sequences, args.frames)
    bank = WindowBank(sequences, rf, 0, SYMMETRY, flip=True, device=device)
    generator = torch.Generator().manual_seed(0)
    batches = iter(())

    def next_batch():
        nonlocal batches
        ids = next(batches, None)
        if ids is None or len(ids) < args.batch_size:
            batches = iter(bank.epoch_batches(args.batch_size, generator))
            ids = next(batches)
        return bank.batch(ids)

    initial = TemporalModelOptimized1f(config).state_dict()
    train = {}
    for precision in dict.fromkeys(args.precision):
        model = TemporalModelOptimized1f(config)
        model.load_state_dict(initial)
        model.compute_dtype = PRECISIONS.get(precision, torch.float32)
        model = model.to(device).train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, amsgrad=True, fused=True)
        with float32_products("tf32" if precision == "tf32" else "ieee"):
            step_s = measure_train(model, optimizer, next_batch, args.steps, args.warmup, device)
        train[precision] = {"step_s": step_s, "samples_per_s": args.batch_size / step_s}
    first = train[args.precision[0]]
    result = {
        "benchmark": "train_throughput", "architecture": list(widths), "receptive_field": rf,
        "channels": args.channels, "batch_size": args.batch_size, "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
        or platform.machine(), "threads": args.threads, "torch": torch.__version__,
        "python": platform.python_version(), "steps": args.steps, "warmup": args.warmup,
        "precision": args.precision[0], "train_step_s": first["step_s"], "train_samples_per_s": first["samples_per_s"],
        "train": train,
    }

    # evaluation is float32 (train.precision changes training only): strict, and TF32 where asked for
    evaluator = TemporalModel(config).to(device).eval()
    evaluator.load_state_dict(model.state_dict())
    inputs = [torch.from_numpy(s.poses_2d).to(device) for s in sequences[:8]]
    modes = list(dict.fromkeys("tf32" if p == "tf32" else "fp32" for p in args.precision))
    evaluation = {}
    for mode in modes:
        with float32_products("tf32" if mode == "tf32" else "ieee"):
            evaluation[mode] = {"frames_per_s": measure_eval(evaluator, inputs, device)}
    result.update(eval_precision=modes[0], eval_frames_per_s=evaluation[modes[0]]["frames_per_s"], eval=evaluation)

    if args.reference:
        reference = ReferenceStrided(TemporalModelOptimized1f(config)).to(device).train()
        ref_optimizer = torch.optim.Adam(reference.parameters(), lr=1e-3, amsgrad=True)
        make = reference_batch_maker(sequences, rf, args.batch_size, np.random.default_rng(0))

        def reference_batch():
            x, y = make()
            return x.to(device), y.to(device)

        ref_s = measure_train(reference, ref_optimizer, reference_batch, max(3, args.steps // 2), 1, device)
        result.update(reference_train_step_s=ref_s, reference_train_samples_per_s=args.batch_size / ref_s,
                      speedup_vs_reference=ref_s / first["step_s"],
                      speedups_vs_reference={p: ref_s / t["step_s"] for p, t in train.items()})

    precisions = "" if args.precision == ["fp32"] else "_" + "-".join(dict.fromkeys(args.precision))
    out = args.out or Path(__file__).parent / "results" / (
        f"train_throughput_{'-'.join(map(str, widths))}_c{args.channels}_b{args.batch_size}_{device.type}"
        f"{precisions}.json")
    write_text(out, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
