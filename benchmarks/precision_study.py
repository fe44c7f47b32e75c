"""What bfloat16 training costs in accuracy: Table 1 of a study trained in fp32 beside the same study in bf16.

Run the default study (results/) and its bf16 twin (params/bf16.yaml: results/bf16/), then

    python benchmarks/precision_study.py results results/bf16

It checks that the two studies evaluated the same 3D and 2D data (the sha256 each evaluation recorded) and
that their checkpoints were trained with the same settings except `precision` (fp32 against bf16), then
reads both `tables/table1_mpjpe.csv` and gives, per experiment and row (the baseline, Ours), the action-wise
average MPJPE of each and their relative difference, and per action the largest relative difference.
Nothing is recomputed. Writes JSON (default benchmarks/results/precision_study.json) and prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
import torch

from poselift.io.atomic import write_text

KEY = ["experiment", "model"]


def evaluation_inputs(results: Path) -> set[str]:
    """The 3D and 2D data every evaluation of a study read, as sha256 pairs."""
    found = {json.dumps({k: v["sha256"] for k, v in json.loads(p.read_text())["inputs"].items()}, sort_keys=True)
             for p in sorted(results.glob("metrics/*/*.json")) if p.stem != "routing"}
    if not found:
        raise SystemExit(f"{results}: no evaluation summaries under metrics/: is the study finished?")
    return found


def training_settings(results: Path) -> dict[str, dict]:
    """experiment/model -> the settings its checkpoint records."""
    settings = {}
    for path in sorted(results.glob("models/*/*.pt")):
        if path.stem == "classifier" or ".resume" in path.name:
            continue
        record = torch.load(path, map_location="cpu", weights_only=True)["params"]
        settings[f"{path.parent.name}/{path.stem}"] = record["settings"]
    return settings


def check_twins(fp32: Path, bf16: Path) -> None:
    if evaluation_inputs(fp32) != evaluation_inputs(bf16) or len(evaluation_inputs(fp32)) != 1:
        raise SystemExit(f"{fp32} and {bf16} did not evaluate the same 3D and 2D data")
    a, b = training_settings(fp32), training_settings(bf16)
    if set(a) != set(b):
        raise SystemExit(f"the studies trained different models: {sorted(set(a) ^ set(b))[:5]}")
    for job in a:
        precisions = a[job].get("precision"), b[job].get("precision")
        if precisions != ("fp32", "bf16"):
            raise SystemExit(f"{job}: trained in {precisions[0]} and {precisions[1]}, expected fp32 and bf16")
        other = sorted(k for k in set(a[job]) | set(b[job]) if k != "precision" and a[job].get(k) != b[job].get(k))
        if other:
            raise SystemExit(f"{job}: the studies' settings differ in {', '.join(other)}, not only in precision")


def comparison(fp32: Path, bf16: Path) -> dict:
    check_twins(fp32, bf16)
    tables = [pd.read_csv(study / "tables" / "table1_mpjpe.csv").set_index(KEY) for study in (fp32, bf16)]
    actions = [c for c in tables[0].columns if c not in ("receptive_field", "unit_epochs", "baseline_epochs",
                                                           "budget", "average")]
    rows = []
    for key in tables[0].index:
        a, b = tables[0].loc[key], tables[1].loc[key]
        relative = (b[actions] - a[actions]) / a[actions]
        rows.append({"experiment": key[0], "model": key[1], "fp32_avg_mm": float(a[actions].mean()),
                     "bf16_avg_mm": float(b[actions].mean()),
                     "avg_relative": float(b[actions].mean() / a[actions].mean() - 1),
                     "largest_action_relative": float(relative.abs().max()),
                     "largest_action": str(relative.abs().idxmax()),
                     "per_action_relative": {k: float(v) for k, v in relative.items()}})
    return {"fp32": str(fp32), "bf16": str(bf16), "metric": "MPJPE (mm), Table 1", "rows": rows,
            "largest_avg_relative": max(abs(r["avg_relative"]) for r in rows)}


def markdown(result: dict) -> str:
    lines = ["| experiment | model | fp32 Avg (mm) | bf16 Avg (mm) | Avg difference | largest action difference |",
             "|---|---|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| {r['experiment']} | {r['model']} | {r['fp32_avg_mm']:.1f} | {r['bf16_avg_mm']:.1f} | "
                     f"{100 * r['avg_relative']:+.1f}% | {100 * r['largest_action_relative']:.1f}% "
                     f"({r['largest_action']}) |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("fp32", type=Path, help="the fp32 study's results folder, e.g. results")
    p.add_argument("bf16", type=Path, help="its bf16 twin's, e.g. results/bf16")
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "precision_study.json")
    args = p.parse_args(argv)
    result = comparison(args.fp32, args.bf16)
    write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    largest = 100 * result["largest_avg_relative"]
    print(f"largest difference of an action-wise average: {largest:.2f}%; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
