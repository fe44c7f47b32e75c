"""Compare two finished studies number by number, measured times aside: `results/summary.json` and every table.

A change that should not move the study's numbers (a refactoring) proves it with this: run the default
study before and after, then

    python tools/compare_results.py OLD_RESULTS NEW_RESULTS

Everything must be identical except what measures time: Table 3's training costs (TC) and the TPRs
computed from them. The tables are compared as files: CSV cells, and the Markdown and LaTeX lines, with
the rows of those quantities left out. Exit status 0 when identical, 1 with a list of differences.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

TIMED = ("tc_half_s", "tc_s", "mpjpe_tpr", "mpjve_tpr")  # Table 3 quantities that depend on wall time
TIMED_ROWS = ("TC up to T/2 (s)", "TC (s)", "MPJPE TPR", "MPJVE TPR")  # the same, as printed


def _without_times(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k not in TIMED}
    return value


def _lines(path: Path) -> list[str]:
    keep = []
    for line in path.read_text().splitlines():
        if path.name.startswith("table3") and any(name in line or name.replace("_", r"\_") in line
                                                  for name in (*TIMED, *TIMED_ROWS)):
            continue
        keep.append(line)
    return keep


def compare(old: Path, new: Path) -> list[str]:
    """Differences between two results folders (empty when they agree)."""
    differences = []
    summaries = [_without_times(json.loads((d / "summary.json").read_text())) for d in (old, new)]
    if summaries[0] != summaries[1]:
        differences.append("summary.json differs (measured times aside)")
    tables = [sorted(p.relative_to(d / "tables") for p in (d / "tables").rglob("*")
                     if p.is_file() and not p.name.startswith(".")) for d in (old, new)]
    if tables[0] != tables[1]:
        differences.append(f"different table files: {sorted(set(tables[0]) ^ set(tables[1]))}")
    for name in sorted(set(tables[0]) & set(tables[1])):
        if _lines(old / "tables" / name) != _lines(new / "tables" / name):
            differences.append(f"tables/{name} differs")
    return differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path, help="results folder of the first run")
    parser.add_argument("new", type=Path, help="results folder of the second run")
    args = parser.parse_args()
    differences = compare(args.old, args.new)
    tables = sum(1 for p in (args.new / "tables").rglob("*") if p.is_file() and not p.name.startswith("."))
    if differences:
        print("\n".join(differences))
        sys.exit(1)
    print(f"identical: summary.json and {tables} table files (Table 3's TC and TPR rows aside)")


if __name__ == "__main__":
    main()
