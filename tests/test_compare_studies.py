"""tools/compare_studies.py: the studies' own numbers side by side, and a refusal of studies of other data."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import compare_studies


def write_study(root: Path, source: str, data_3d_sha: str, baseline: float, ours: float) -> Path:
    data_2d = {"path": f"{root}/data/data_2d_h36m_{source}.npz", "sha256": "2" * 64}
    for model in ("baseline", "Walking"):
        path = root / "metrics" / "f27" / f"{model}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"inputs": {"data_3d": {"path": "d3.npz", "sha256": data_3d_sha},
                                               "data_2d": data_2d}}))
    (root / "tables").mkdir()
    table = pd.DataFrame({"experiment": "f27", "receptive_field": 27, "unit_epochs": 15, "baseline_epochs": 1,
                          "budget": "equal_epochs", "model": ["VideoPose3D (baseline)", "Ours (per-action)"],
                          "Walking": [baseline, ours], "average": [baseline, ours]})
    table.to_csv(root / "tables" / "table1_mpjpe.csv", index=False)
    if source != "gt":
        (root / "data" / f"keypoints_{source}.json").parent.mkdir(parents=True, exist_ok=True)
        (root / "data" / f"keypoints_{source}.json").write_text(json.dumps({"overall": {"mean": 32.24}}))
    return root


def test_each_study_brings_its_own_rows_2d_input_and_error(tmp_path):
    gt = write_study(tmp_path / "video_gt", "gt", "a" * 64, 172.94, 313.2)
    cpn = write_study(tmp_path / "video", "cpn", "a" * 64, 193.66, 318.3)
    lines = compare_studies.comparison([gt, cpn]).splitlines()
    rows = [line for line in lines if line.startswith("| gt") or line.startswith("| cpn")]
    cells = [[c.strip() for c in r.split("|")[1:-1]] for r in rows]
    assert [c[:3] for c in cells] == [["gt (video_gt)", "0.0", "VideoPose3D (baseline)"],
                                      ["gt (video_gt)", "0.0", "Ours (per-action)"],
                                      ["cpn (video)", "32.2", "VideoPose3D (baseline)"],
                                      ["cpn (video)", "32.2", "Ours (per-action)"]]
    assert [c[-1] for c in cells] == ["172.9", "313.2", "193.7", "318.3"]  # Avg, as the studies wrote it


def test_studies_of_other_3d_data_are_refused(tmp_path):
    gt = write_study(tmp_path / "video_gt", "gt", "a" * 64, 172.9, 313.2)
    other = write_study(tmp_path / "video", "cpn", "b" * 64, 193.7, 318.3)
    with pytest.raises(SystemExit, match="evaluated different 3D data"):
        compare_studies.comparison([gt, other])
