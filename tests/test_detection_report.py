"""The report's section on keypoints detected on video (poselift.study.detection, stages.report): its tables
hold the records' numbers, its figure and tables are the files the workflow declares, and records that
disagree stop it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from poselift.study import detection
from poselift.study.artifacts import load_detector_history
from stages import report as report_stage

JOINTS = ("LShoulder", "RShoulder", "LHip")


def stats(mean: float) -> dict:
    return {"mean": mean, "median": mean - 1, "p90": 2 * mean}


def keypoints_record(imported: str) -> dict:
    return {"source": "cpn", "imported": imported, "frames": 240, "comparison": "the 3 coco keypoints ...",
            "per_joint": {j: stats(10.0 + i) for i, j in enumerate(JOINTS)}, "overall": stats(11.0),
            "per_subject": {"S1": stats(9.0), "S9": stats(14.0)},
            "noise_model_reference": {"per_joint": {j: stats(4.0 + i) for i, j in enumerate(reversed(JOINTS))},
                                      "overall": stats(5.0), "per_subject": {"S1": stats(5.0), "S9": stats(5.5)}}}


def assembly_record(imported: str) -> dict:
    videos = [{"subject": "S9", "sequence": "Walking 1", "camera": "54138969", "frames": 64, "filled": 0},
              {"subject": "S9", "sequence": "Sitting", "camera": "55011271", "frames": 64, "filled": 5}]
    return {"detector": "cpn", "frames": 128, "filled": 5, "filled_share": 5 / 128, "videos": videos,
            "output": {"path": imported, "sha256": "0" * 64}}


def history(epochs: int = 3) -> pd.DataFrame:
    e = np.arange(1, epochs + 1)
    return pd.DataFrame({"epoch": e, "lr": 1e-3 / e, "train_loss": 0.2 / e, "samples_per_s": 40.0 + e,
                         "cum_train_wall_s": 45.0 * e, "test_frames": 480, "test_mean_px": 60.0 / e,
                         "test_median_px": 50.0 / e, "test_p95_px": 120.0 / e,
                         "test_pck_5px": 0.01 * e, "test_pck_10px": 0.05 * e, "test_pck_20px": 0.2 * e})


IMPORTED = "results/video/detections/cpn/data_2d_h36m_cpn.npz"


def test_table_d1_holds_the_detected_and_the_noise_model_errors_per_joint():
    record = keypoints_record(IMPORTED)
    table = detection.error_table(record, decimals=1)
    assert table.data["joint"].tolist() == [*JOINTS, "overall"]
    for _, row in table.data.iterrows():
        joint = row["joint"]
        detected = record["overall"] if joint == "overall" else record["per_joint"][joint]
        noise = (record["noise_model_reference"]["overall"] if joint == "overall"
                 else record["noise_model_reference"]["per_joint"][joint])  # paired by name, not by order
        for stat in detection.STATISTICS:
            assert row[f"detected_{stat}_px"] == detected[stat] and row[f"noise_model_{stat}_px"] == noise[stat]
    assert table.cells.iloc[0].tolist() == ["LShoulder", "10.0", "9.0", "20.0", "6.0", "5.0", "12.0"]
    assert "240 camera frames" in table.caption and "S9 14.0 (5.5)" in table.notes[0]


def test_records_that_disagree_stop_the_report():
    detection.check_records(keypoints_record(IMPORTED), assembly_record(IMPORTED))
    with pytest.raises(ValueError, match="are not the assembled detections"):
        detection.check_records(keypoints_record("elsewhere.npz"), assembly_record(IMPORTED))
    stale = keypoints_record(IMPORTED)
    del stale["noise_model_reference"]
    with pytest.raises(ValueError, match="no noise_model_reference: rerun the keypoints stage"):
        detection.check_records(stale, assembly_record(IMPORTED))


def test_the_stage_writes_the_declared_tables_and_figure_and_the_headline(tmp_path):
    history_path = tmp_path / "cpn_history.parquet"
    history(3).to_parquet(history_path)
    assembly_path = tmp_path / "assemble.json"
    assembly_path.write_text(pd.Series(assembly_record(IMPORTED)).to_json())
    figures = [tmp_path / "figures" / "video" / f"{s}.png" for s in ("S1", "S9")]
    files = report_stage.detection_files(assembly_path, history_path, figures)
    lines, headline = report_stage.write_detection(keypoints_record(IMPORTED), files, 1, tmp_path / "tables",
                                                   tmp_path / "figures", tmp_path)
    for stem in detection.DETECTION_TABLES:
        assert all((tmp_path / "tables" / "video" / f"{stem}.{fmt}").stat().st_size for fmt in ("md", "csv", "tex"))
    for fmt in ("png", "svg"):
        assert (tmp_path / "figures" / "video" / f"{detection.FINETUNE_FIGURE}.{fmt}").stat().st_size > 1000
    text = "\n".join(lines)
    assert "![S9: sample frames](figures/video/S9.png)" in text
    assert "5 of 128 (3.91%)" in text and "S9 Sitting camera 55011271: 5 of 64" in text
    assert "3.33e-04" in text  # the last epoch's learning rate
    d2 = pd.read_csv(tmp_path / "tables" / "video" / "table_d2_finetune.csv")
    assert d2["test_mean_px"].tolist() == pytest.approx([60.0, 30.0, 20.0])
    assert headline["finetune"]["test_mean_px"] == 20.0 and headline["finetune"]["test_pck_20px"] == pytest.approx(0.6)
    assert headline["detected_px"] == stats(11.0) and headline["noise_model_px"] == stats(5.0)
    assert (headline["frames"], headline["filled_frames"]) == (128, 5)

    without = report_stage.detection_files(assembly_path, None, [])  # CPN's weights given: nothing fine-tuned
    lines, headline = report_stage.write_detection(keypoints_record(IMPORTED), without, 1, tmp_path / "t2",
                                                   tmp_path / "f2", tmp_path)
    assert "finetune" not in headline and not (tmp_path / "t2" / "video" / "table_d2_finetune.md").exists()
    with pytest.raises(ValueError, match="need --assembly-report"):
        report_stage.detection_files(None, history_path, [])


def test_an_unfinished_fine_tuning_history_is_refused(tmp_path):
    path = tmp_path / "h.parquet"
    history(3).iloc[[0, 2]].to_parquet(path)
    with pytest.raises(ValueError, match=r"expected epochs 1\.\.n once each"):
        load_detector_history(path)
    history(2).drop(columns="test_p95_px").to_parquet(path)
    with pytest.raises(ValueError, match="missing column"):
        load_detector_history(path)
