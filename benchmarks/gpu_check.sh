#!/usr/bin/env bash
# One call on a machine with an NVIDIA GPU (H100/H200): the CUDA tests, then training throughput at
# F = 27, 81 and 243 (1024 channels; fp32, tf32 and bf16; batch 1024, 4096, 16384) and evaluation frames/s,
# then the scaling sweeps of benchmarks/scaling.py on the GPU.
#
#   bash benchmarks/gpu_check.sh             run it (a few minutes on an H100/H200, plus any install)
#   bash benchmarks/gpu_check.sh --dry-run   the same steps on tiny sizes, on whatever device there is
#
# Writes into $OUT (default benchmarks/results/gpu_check): pytest_cuda.xml and .log, one
# train_throughput_*.json per architecture and batch size, scaling.json/.png, and summary.json (device, nvidia-smi, all
# figures). Python: $PYTHON if set, else .venv/bin/python if it imports torch, else python3 if it
# imports torch and the pinned packages, else a new .venv built from the pinned files as the Makefile
# does (pip install torch==2.13.0, which pulls a CUDA build on Linux x86_64, then envs/requirements.lock).
# Exit status: 0 done (or, without a CUDA device, the CUDA tests skipped and a message), 1 a test or a
# benchmark failed, 2 no usable Python environment, 3 nvidia-smi sees a GPU that torch does not.
set -euo pipefail

cd "$(dirname "$0")/.."
DRY_RUN=0
[[ "${1:-}" == "--dry-run" ]] && DRY_RUN=1
OUT="${OUT:-benchmarks/results/gpu_check}"
mkdir -p "$OUT"
export PYTHONPATH="$PWD/src:$PWD${PYTHONPATH:+:$PYTHONPATH}"

has_deps() { "$1" -c "import torch, numpy, pandas, pyarrow, yaml, jsonschema, tqdm, pytest, scipy" 2>/dev/null; }

pick_python() {
    if [[ -n "${PYTHON:-}" ]]; then echo "$PYTHON"; return; fi
    if [[ -x .venv/bin/python ]] && has_deps .venv/bin/python; then echo .venv/bin/python; return; fi
    if command -v python3 >/dev/null && has_deps python3; then echo python3; return; fi
    echo "gpu_check: building .venv from the pinned files (torch==2.13.0, envs/requirements.lock)" >&2
    python3 -m venv --system-site-packages .venv >&2  # a torch the machine already has is used if it is 2.13.0
    .venv/bin/python -m pip install --quiet torch==2.13.0 >&2 \
        && .venv/bin/python -m pip install --quiet -r envs/requirements.lock >&2 \
        || { echo "gpu_check: pip could not install the pinned packages (no package index reachable?)" >&2; exit 2; }
    echo .venv/bin/python
}

PY="$(pick_python)"
echo "gpu_check: python $PY, torch $("$PY" -c 'import torch; print(torch.__version__)'), out $OUT"
CUDA="$("$PY" -c 'import torch; print(int(torch.cuda.is_available()))')"
if [[ "$CUDA" == 0 ]] && command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
    echo "gpu_check: nvidia-smi lists a GPU but torch sees no CUDA device (a CPU-only torch build?)" >&2
    nvidia-smi -L >&2
    exit 3
fi

# (a) the CUDA tests: skipped without a device
status=0
"$PY" -m pytest -m cuda tests/test_cuda.py -q -rs -p no:cacheprovider --junitxml="$OUT/pytest_cuda.xml" \
    2>&1 | tee "$OUT/pytest_cuda.log" || status=1

if [[ "$CUDA" == 0 && "$DRY_RUN" == 0 ]]; then
    echo "gpu_check: no CUDA device: the CUDA tests were skipped and no throughput was measured" \
         "(bash benchmarks/gpu_check.sh --dry-run runs every step on tiny sizes)"
    exit "$status"
fi

# (b) throughput: architectures x batch sizes, each with fp32, tf32 and bf16 training and fp32/tf32 evaluation
if [[ "$DRY_RUN" == 1 ]]; then
    ARCHS=(3,3 3,3,3) BATCHES=(32 64) SIZE=(--channels 16 --steps 1 --warmup 0 --sequences 4 --frames 100)
else
    ARCHS=(3,3,3 3,3,3,3 3,3,3,3,3) BATCHES=(1024 4096 16384) SIZE=(--channels 1024 --steps 20 --warmup 5)
fi
DEVICE=$([[ "$CUDA" == 1 ]] && echo cuda || echo cpu)
for arch in "${ARCHS[@]}"; do
    for batch in "${BATCHES[@]}"; do
        json="$OUT/train_throughput_${arch//,/-}_b${batch}.json"
        echo "gpu_check: architecture $arch, batch $batch -> $json"
        "$PY" benchmarks/train_throughput.py --architecture "$arch" --batch-size "$batch" "${SIZE[@]}" \
            --device "$DEVICE" --precision fp32 tf32 bf16 --out "$json" > "${json%.json}.log" 2>&1 \
            || { echo "gpu_check: the benchmark failed:" >&2; tail -20 "${json%.json}.log" >&2; status=1; }
    done
done

# (c) how the cost grows: samples/s against batch, receptive field, channels; evaluation against length
echo "gpu_check: scaling sweeps -> $OUT/scaling.json"
"$PY" benchmarks/scaling.py --device "$DEVICE" $([[ "$DRY_RUN" == 1 ]] && echo --quick) --out "$OUT/scaling.json" \
    > "$OUT/scaling.log" 2>&1 || { echo "gpu_check: the scaling sweeps failed:" >&2; tail -20 "$OUT/scaling.log" >&2; status=1; }

"$PY" - "$OUT" "$DRY_RUN" <<'EOF'
import json, platform, subprocess, sys
from pathlib import Path

import torch

out, dry_run = Path(sys.argv[1]), sys.argv[2] == "1"
runs = sorted((json.loads(p.read_text()) for p in out.glob("train_throughput_*.json")),
              key=lambda r: (r["receptive_field"], r["batch_size"]))
smi = subprocess.run(["nvidia-smi"], capture_output=True, text=True).stdout if torch.cuda.is_available() else ""
summary = {"dry_run": dry_run, "device_name": torch.cuda.get_device_name() if torch.cuda.is_available()
           else platform.processor() or platform.machine(), "torch": torch.__version__,
           "cuda": torch.version.cuda, "nvidia_smi": smi, "runs": runs}
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
print(f"{'F':>4} {'batch':>6} " + " ".join(f"{p + ' samples/s':>18}" for p in ("fp32", "tf32", "bf16"))
      + f" {'eval fp32 fr/s':>15} {'eval tf32 fr/s':>15}")
for r in runs:
    train, evaluation = r["train"], r["eval"]
    print(f"{r['receptive_field']:>4} {r['batch_size']:>6} "
          + " ".join(f"{train[p]['samples_per_s']:>18,.0f}" for p in ("fp32", "tf32", "bf16"))
          + "".join(f" {evaluation[m]['frames_per_s']:>15,.0f}" for m in ("fp32", "tf32")))
print(f"device: {summary['device_name']}; wrote {out / 'summary.json'}")
EOF
exit "$status"
