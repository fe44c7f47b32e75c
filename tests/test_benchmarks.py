"""The benchmarks run (tiny settings) and write their JSON: speed claims need scripts that still work."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_train_throughput_writes_its_json(tmp_path):
    out = tmp_path / "throughput.json"
    subprocess.run([sys.executable, "benchmarks/train_throughput.py", "--architecture", "3,3", "--channels", "16",
                    "--batch-size", "32", "--steps", "1", "--warmup", "0", "--sequences", "4", "--frames", "60",
                    "--reference", "--out", str(out)], cwd=ROOT, check=True, capture_output=True, text=True)
    result = json.loads(out.read_text())
    assert result["train_samples_per_s"] > 0 and result["eval_frames_per_s"] > 0


def test_render_speed_writes_its_json(tmp_path):
    out = tmp_path / "render.json"
    subprocess.run([sys.executable, "benchmarks/render_speed.py", "--frames", "3", "--scale", "0.05",
                    "--out", str(out)], cwd=ROOT, check=True, capture_output=True, text=True)
    result = json.loads(out.read_text())
    assert result["render_ms_per_frame"] > 0 and result["encode_ms_per_frame"] > 0
