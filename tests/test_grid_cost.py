"""benchmarks/grid_cost.py: the strided model's FLOPs per sample, job sizes under the paper's budget, the schedule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import grid_cost  # noqa: E402  (a script of benchmarks/, not a package)


def test_flops_per_sample_match_the_published_arithmetic():
    # issue 14's figures: about 0.1 GFLOP at F = 27 and 1.05 GFLOP at F = 243 with 1024 channels
    assert grid_cost.strided_flops_per_sample([3, 3, 3], 1024) == pytest.approx(0.1066e9, rel=1e-3)
    assert grid_cost.strided_flops_per_sample([3, 3, 3, 3, 3], 1024) == pytest.approx(1.0577e9, rel=1e-3)
    # F = 1: one 34 -> C layer and the 1x1 shrink: 6 (34 C + 51 C) FLOPs
    assert grid_cost.strided_flops_per_sample([1], 1024) == 6 * (34 * 1024 + 51 * 1024)


def test_training_frames_are_videopose3ds():
    assert sum(grid_cost.H36M_TRAIN_FRAMES.values()) == 1_559_752
    assert len(grid_cost.H36M_TRAIN_FRAMES) == 15


def test_lpt_schedule_and_its_bound():
    # LPT puts 5, 4, then each 3 on the lighter device: 5+3 | 4+3+3 = 10 (the optimum, 5+4 | 3+3+3, is 9)
    assert grid_cost.schedule([5, 4, 3, 3, 3], 2) == 10
    assert grid_cost.schedule([10, 1, 1], 3) == 10
    assert grid_cost.schedule([2, 2, 2, 2], 1) == 8


def test_paper_grid_cost(tmp_path):
    out = tmp_path / "cost.json"
    subprocess.run([sys.executable, "benchmarks/grid_cost.py", "--grid", "params/paper.yaml", "--rate", "1=1000",
                    "--rate", "27=1000", "--rate", "243=1000", "--devices", "1", "16", "--out", str(out)],
                   cwd=ROOT, check=True, capture_output=True, text=True)
    result = json.loads(out.read_text())
    assert len(result["jobs"]) == 80
    # F = 243, UE = 1200: the Discussion model trains 1200 epochs over its 158,788 frames, flipped
    job = next(j for j in result["jobs"] if j["experiment"] == "f243_ue1200" and j["model"] == "Discussion")
    assert job["samples"] == 158_788 * 2 * 1200
    assert result["longest_job_s"] == pytest.approx(job["samples"] / 1000)
    assert result["wall"]["1"]["schedule_s"] == pytest.approx(result["total_s"])
    assert result["wall"]["16"]["schedule_s"] >= result["wall"]["16"]["lower_bound_s"]
