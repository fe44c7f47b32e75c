"""Set finished studies of the same sequences side by side, one per 2D input: Table 1 (or 1b, 2) of each.

The video study and its companions on ground-truth and on noisy 2D (params/video.yaml, then the same with
params/video_gt.yaml or params/video_noisy.yaml) differ only in the 2D keypoints. After running the three,

    python tools/compare_studies.py results/video_gt results/video_noisy results/video

prints, per experiment, the baseline and Ours rows of each study's `tables/table1_mpjpe.csv` with the study's
2D input (the `data_2d` file its evaluations read) and that input's mean 2D error against the ground truth
(`data/keypoints_<source>.json`; 0 for the ground truth itself). Nothing is recomputed: every number is read
from the studies' artifacts. The studies must have evaluated the same 3D data (equal sha256 in every
evaluation summary) and the same experiments; otherwise it stops and says which differ. `--out` also writes
the Markdown to a file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import pandas as pd

from poselift.io.atomic import write_text

TABLES = {"mpjpe": "table1_mpjpe", "p_mpjpe": "table1b_p_mpjpe", "mpjve": "table2_mpjve"}
LABEL_COLUMNS = ("experiment", "receptive_field", "unit_epochs", "baseline_epochs", "budget", "model")


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SystemExit(f"{path}: missing: is the study finished (snakemake --configfile ...)?") from None


def study_inputs(results: Path) -> dict:
    """The 3D data and 2D input every evaluation of the study read (one of each, else SystemExit)."""
    inputs = [_read_json(p)["inputs"] for p in sorted(results.glob("metrics/*/*.json")) if p.stem != "routing"]
    if not inputs:
        raise SystemExit(f"{results}: no evaluation summaries under metrics/: is the study finished?")
    records = {key: {json.dumps(record[key], sort_keys=True) for record in inputs} for key in ("data_3d", "data_2d")}
    for key, found in records.items():
        if len(found) != 1:
            raise SystemExit(f"{results}: its evaluations read {len(found)} different {key} files; rerun the study")
    data_3d, data_2d = (json.loads(next(iter(records[key]))) for key in ("data_3d", "data_2d"))
    match = re.fullmatch(r"data_2d_[a-z0-9]+_(.+)\.npz", Path(data_2d["path"]).name)
    if match is None:
        raise SystemExit(f"{results}: cannot tell the 2D source from {data_2d['path']}")
    return {"data_3d": data_3d, "data_2d": data_2d, "source": match.group(1)}


def mean_2d_error(results: Path, source: str) -> float:
    """The 2D input's mean error against the ground truth, pixels, as the keypoints stage recorded it."""
    if source == "gt":
        return 0.0
    return float(_read_json(results / "data" / f"keypoints_{source}.json")["overall"]["mean"])


def comparison(studies: list[Path], metric: str = "mpjpe") -> str:
    """The Markdown: per experiment, each study's baseline and Ours rows with its 2D input and error."""
    inputs = {study: study_inputs(study) for study in studies}
    hashes = {study: record["data_3d"]["sha256"] for study, record in inputs.items()}
    if len(set(hashes.values())) != 1:
        raise SystemExit("the studies evaluated different 3D data: " + "; ".join(
            f"{study}: {h[:16]}" for study, h in hashes.items()))
    tables = {study: pd.read_csv(study / "tables" / f"{TABLES[metric]}.csv") for study in studies}
    names = {study: sorted(set(t["experiment"])) for study, t in tables.items()}
    if len({tuple(n) for n in names.values()}) != 1:
        raise SystemExit("the studies ran different experiments: " + "; ".join(
            f"{study}: {', '.join(n)}" for study, n in names.items()))
    lines = [f"{metric.upper()} per action, one study per 2D input, on the same 3D data (sha256 "
             f"{next(iter(hashes.values()))[:16]}); 2D error: mean pixels against the ground truth.", ""]
    for experiment in names[studies[0]]:
        rows = []
        for study, table in tables.items():
            source = inputs[study]["source"]
            part = table[table["experiment"] == experiment]
            part = part.drop(columns=[c for c in LABEL_COLUMNS if c != "model"])
            part.insert(0, "2D error (px)", f"{mean_2d_error(study, source):.1f}")
            part.insert(0, "2D input", f"{source} ({study.name})")
            rows.append(part)
        merged = pd.concat(rows, ignore_index=True)
        numeric = merged.columns[3:]
        merged[numeric] = merged[numeric].map(lambda v: f"{v:.1f}")
        lines += [f"Experiment `{experiment}`:", "", merged.to_markdown(index=False, disable_numparse=True), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("studies", nargs="+", type=Path, help="results folders of finished studies, e.g. results/video")
    p.add_argument("--metric", choices=sorted(TABLES), default="mpjpe")
    p.add_argument("--out", type=Path, default=None, help="also write the Markdown here")
    args = p.parse_args(argv)
    text = comparison(args.studies, args.metric)
    print(text)
    if args.out is not None:
        write_text(args.out, text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
