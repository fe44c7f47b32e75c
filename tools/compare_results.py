"""Compare two finished studies number by number, measured times aside: `results/summary.json` and every table.

A change that should not move the study's numbers (a refactoring) proves it with this: run the default
study before and after, then

    python tools/compare_results.py OLD_RESULTS NEW_RESULTS

Everything must be identical except what measures time: Table 3's training costs (TC) and the TPRs
computed from them. The tables are compared as files: CSV cells, and the Markdown and LaTeX lines, with
the rows of those quantities left out. Exit status 0 when identical, 1 with a list of differences.

With `--numbers`, for a change that adds results and changes how tables are printed (captions, bold marks):
every number of the old `summary.json` must be in the new one, unchanged, and every column of every old CSV
table must be in the new CSV with the same values; new tables, columns and keys are listed, not errors, and
the Markdown and LaTeX files are not compared.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

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


def _leaves(value: object, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        return {k: v for key, sub in value.items() for k, v in _leaves(sub, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): value}


def compare_numbers(old: Path, new: Path) -> tuple[list[str], list[str]]:
    """(differences, additions) for `--numbers`."""
    differences, additions = [], []
    leaves = [_leaves(_without_times(json.loads((d / "summary.json").read_text()))) for d in (old, new)]
    differences += [f"summary.json: {k} was {v!r}, is {leaves[1].get(k, 'absent')!r}" for k, v in leaves[0].items()
                    if leaves[1].get(k, object()) != v]
    additions += [f"summary.json: {k}" for k in leaves[1] if k not in leaves[0]]
    csvs = [{p.relative_to(d / "tables") for p in (d / "tables").rglob("*.csv")} for d in (old, new)]
    differences += [f"tables/{name}: missing" for name in sorted(csvs[0] - csvs[1])]
    additions += [f"tables/{name}" for name in sorted(csvs[1] - csvs[0])]
    for name in sorted(csvs[0] & csvs[1]):
        a, b = (pd.read_csv(d / "tables" / name) for d in (old, new))
        if name.name.startswith("table3"):
            a, b = (f[~f.iloc[:, 1].astype(str).isin(TIMED)] if len(f.columns) > 1 else f for f in (a, b))
        absent = [c for c in a.columns if c not in b.columns]
        if absent or len(a) != len(b) or not a.equals(b[list(a.columns)]):
            differences.append(f"tables/{name} differs" + (f" (columns {absent} absent)" if absent else ""))
        additions += [f"tables/{name}: column {c}" for c in b.columns if c not in a.columns]
    return differences, additions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path, help="results folder of the first run")
    parser.add_argument("new", type=Path, help="results folder of the second run")
    parser.add_argument("--numbers", action="store_true",
                        help="only the old numbers must be unchanged (additions listed; Markdown/LaTeX not compared)")
    args = parser.parse_args()
    if args.numbers:
        differences, additions = compare_numbers(args.old, args.new)
        if differences:
            print("\n".join(differences))
            sys.exit(1)
        print(f"identical numbers: every value of summary.json and every column of the old CSV tables (Table 3's "
              f"TC and TPR aside); added: {len(additions)}")
        print("\n".join(f"  + {a}" for a in additions))
        return
    differences = compare(args.old, args.new)
    tables = sum(1 for p in (args.new / "tables").rglob("*") if p.is_file() and not p.name.startswith("."))
    if differences:
        print("\n".join(differences))
        sys.exit(1)
    print(f"identical: summary.json and {tables} table files (Table 3's TC and TPR rows aside)")


if __name__ == "__main__":
    main()
