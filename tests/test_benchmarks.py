"""The benchmarks run (tiny settings) and write their JSON: speed claims need scripts that still work."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import precision_study  # noqa: E402  (a script of benchmarks/, not a package)


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


def test_scaling_writes_every_sweep_and_its_figure(tmp_path):
    out = tmp_path / "scaling.json"
    subprocess.run([sys.executable, "benchmarks/scaling.py", "--quick", "--threads", "1", "--out", str(out)], cwd=ROOT,
                   check=True, capture_output=True, text=True)
    result = json.loads(out.read_text())
    sweeps = result["sweeps"]
    assert [r["batch_size"] for r in sweeps["batch_size"]] == [16, 64]
    assert [r["receptive_field"] for r in sweeps["receptive_field"]] == [1, 9]
    assert [r["channels"] for r in sweeps["channels"]] == [8, 16] and [r["threads"] for r in sweeps["threads"]] == [1]
    assert [r["length"] for r in sweeps["length"]] == [64, 256]
    assert all(r["samples_per_s"] > 0 for key in ("batch_size", "receptive_field", "channels", "threads")
               for r in sweeps[key]) and all(r["frames_per_s"] > 0 for r in sweeps["length"])
    assert out.with_suffix(".png").stat().st_size > 0 and out.with_suffix(".svg").stat().st_size > 0


def precision_study_twin(root: Path, precision: str, average: float) -> Path:
    """A finished study's artifacts as benchmarks/precision_study.py reads them: one evaluation summary, one
    checkpoint record, Table 1."""
    (root / "metrics" / "e").mkdir(parents=True)
    (root / "metrics" / "e" / "baseline.json").write_text(json.dumps(
        {"inputs": {"data_3d": {"sha256": "a"}, "data_2d": {"sha256": "b"}}}))
    (root / "models" / "e").mkdir(parents=True)
    torch.save({"params": {"settings": {"channels": 8, "precision": precision}}}, root / "models" / "e" / "baseline.pt")
    (root / "tables").mkdir()
    pd.DataFrame({"experiment": ["e"], "model": ["VideoPose3D (baseline)"], "receptive_field": [1],
                  "Walking": [average - 1], "Eating": [average + 1], "average": [average]}).to_csv(
        root / "tables" / "table1_mpjpe.csv", index=False)
    return root


def test_precision_study_reads_both_tables_and_refuses_twins_that_differ_elsewhere(tmp_path):
    fp32 = precision_study_twin(tmp_path / "fp32", "fp32", 100.0)
    bf16 = precision_study_twin(tmp_path / "bf16", "bf16", 101.0)
    result = precision_study.comparison(fp32, bf16)
    (row,) = result["rows"]
    assert row["fp32_avg_mm"] == 100.0 and row["bf16_avg_mm"] == 101.0
    assert abs(row["avg_relative"] - 0.01) < 1e-12 and row["largest_action"] == "Walking"
    with pytest.raises(SystemExit, match="trained in fp32 and fp32"):
        precision_study.comparison(fp32, fp32)
