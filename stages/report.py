"""Stage `report`: the paper's Tables 1-4 and Figures 5-6 for every experiment, and one readable report.

Reads, for every experiment of params `experiments` and every model (`baseline` and the 15 actions):
    <results>/metrics/<exp>/<model>.json     evaluation summary (Tables 1, 1b, 2)
    <results>/metrics/<exp>/<model>.parquet  per-sequence evaluation rows (checked against the summary)
    <results>/logs/<exp>/<model>.parquet     per-epoch training log (Tables 3, 4)
Writes (every file atomically):
    <tables>/<exp>/table1_mpjpe, table1b_p_mpjpe, table2_mpjve, table3_tpr, table4_epochs .{md,csv,tex}
    <tables>/table1_mpjpe, table1b_p_mpjpe, table2_mpjve .{md,csv,tex}   all experiments, the paper's layout
    <figures>/<exp>/fig5_mpjpe, fig5_mpjve, fig6_epochs .{png,svg}
    <figures>/overview_avg.{png,svg}
    <out> (report.md): what was run, the parameters, the definitions, all tables and figures, consistency
    checks and the provenance (sha256) of every file read.
The definitions of the tables are in `poselift.tables`; nothing here computes a number.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
import yaml
from matplotlib.figure import Figure

from poselift import figures, tables
from poselift.actions import BASELINE, MODELS, model_actions
from poselift.aggregation import METRICS
from poselift.atomic import atomic_path, sha256_file, write_json, write_text
from poselift.params import experiment_settings
from poselift.tables import ExperimentRuns, Table
from stages import _cli

PARAM_SECTIONS = ("data", "keypoints", "train", "experiments", "report")  # `data` is optional
LOG_COLUMNS = ("experiment", "model", "epoch", "epochs", "train_wall_s", "cum_train_wall_s", "test_mpjpe",
               "test_mpjve")
ROW_COLUMNS = ("experiment", "model", "subject", "action", "base_action", "sub_action", "camera", "frames",
               *METRICS)
TITLES = {"table1_mpjpe": "Table 1: MPJPE per action", "table1b_p_mpjpe": "Table 1b: P-MPJPE per action",
          "table2_mpjve": "Table 2: MPJVE per action", "table3_tpr": "Table 3: training cost and TPR",
          "table4_epochs": "Table 4: test MPJPE against epoch"}
PER_ACTION_TABLES = {"table1_mpjpe": "mpjpe", "table1b_p_mpjpe": "p_mpjpe", "table2_mpjve": "mpjve"}
FIGURE_FORMATS = ("png", "svg")


# ----------------------------------------------------------------------------------------------------------
# Inputs

def input_paths(results_dir: Path, experiment: str, model: str) -> dict[str, Path]:
    return {"summary": results_dir / "metrics" / experiment / f"{model}.json",
            "rows": results_dir / "metrics" / experiment / f"{model}.parquet",
            "log": results_dir / "logs" / experiment / f"{model}.parquet"}


def check_inputs(results_dir: Path, experiments: list[str]) -> list[Path]:
    """All input files in reading order; FileNotFoundError naming every missing one and its producer."""
    producers = {"summary": "evaluate", "rows": "evaluate", "log": "train"}
    paths, missing = [], []
    for experiment in experiments:
        for model in MODELS:
            for kind, path in input_paths(results_dir, experiment, model).items():
                paths.append(path)
                if not path.is_file():
                    missing.append(f"  {path} ({producers[kind]} output of experiment {experiment}, model {model})")
    if missing:
        raise FileNotFoundError(f"report: {len(missing)} input file(s) missing:\n" + "\n".join(missing))
    return paths


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], path: Path) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"{path}: missing column(s) {', '.join(absent)}")


def load_summary(path: Path, experiment: str, model: str) -> dict[str, Any]:
    try:
        summary = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from err
    for key in ("experiment", "model", "per_action", "average"):
        if key not in summary:
            raise ValueError(f"{path}: no key {key!r}")
    if (summary["experiment"], summary["model"]) != (experiment, model):
        raise ValueError(f"{path}: holds experiment {summary['experiment']!r}, model {summary['model']!r}; "
                         f"expected {experiment!r}, {model!r}")
    for action in model_actions(model):
        values = summary["per_action"].get(action)
        if values is None:
            raise ValueError(f"{path}: per_action lacks action {action}")
        absent = [m for m in (*METRICS, "frames") if m not in values]
        if absent:
            raise ValueError(f"{path}: per_action[{action}] lacks {', '.join(absent)}")
    return summary


def load_rows(path: Path, experiment: str, model: str) -> pd.DataFrame:
    rows = pd.read_parquet(path)
    _require_columns(rows, ROW_COLUMNS, path)
    actions = set(rows["base_action"])
    if actions != set(model_actions(model)):
        raise ValueError(f"{path}: rows cover actions {sorted(actions)}; model {model} is scored on "
                         f"{', '.join(model_actions(model))}")
    return rows


def load_log(path: Path, experiment: str, model: str, table4_action: str) -> pd.DataFrame:
    log = pd.read_parquet(path)
    columns = LOG_COLUMNS + ((f"test_mpjpe_{table4_action}",) if model == BASELINE else ())
    _require_columns(log, columns, path)
    if log.empty:
        raise ValueError(f"{path}: no epochs logged")
    log = log.sort_values("epoch", kind="stable").reset_index(drop=True)
    epochs = int(log["epochs"].iloc[0])
    if (log["epochs"] != epochs).any() or log["epoch"].tolist() != list(range(1, epochs + 1)):
        raise ValueError(f"{path}: expected epochs 1..{epochs} once each (an unfinished job?), "
                         f"found {log['epoch'].min()}..{log['epoch'].max()} in {len(log)} rows")
    if pd.isna(log["test_mpjpe"].iloc[-1]) or pd.isna(log["test_mpjve"].iloc[-1]):
        raise ValueError(f"{path}: the last epoch ({epochs}) has no test evaluation")
    names = set(log["experiment"]), set(log["model"])
    if names != ({experiment}, {model}):
        raise ValueError(f"{path}: holds experiment(s) {sorted(names[0])}, model(s) {sorted(names[1])}; "
                         f"expected {experiment!r}, {model!r}")
    return log


def load_experiment(params: dict, results_dir: Path, experiment: str) -> ExperimentRuns:
    summaries, rows, logs = {}, {}, {}
    for model in MODELS:
        paths = input_paths(results_dir, experiment, model)
        summaries[model] = load_summary(paths["summary"], experiment, model)
        rows[model] = load_rows(paths["rows"], experiment, model)
        logs[model] = load_log(paths["log"], experiment, model, params["report"]["table4_action"])
    return ExperimentRuns(name=experiment, settings=experiment_settings(params, experiment), summaries=summaries,
                          rows=rows, logs=logs)


# ----------------------------------------------------------------------------------------------------------
# Outputs

def write_table(table: Table, stem: Path, label: str) -> None:
    write_text(stem.with_suffix(".csv"), table.csv())
    write_text(stem.with_suffix(".md"), table.markdown())
    write_text(stem.with_suffix(".tex"), table.latex(label))


def save_figure(fig: Figure, stem: Path) -> None:
    """PNG and SVG, byte-identical for identical numbers (no date, fixed SVG ids)."""
    with matplotlib.rc_context({"svg.hashsalt": "poselift", "svg.fonttype": "path"}):
        for fmt in FIGURE_FORMATS:
            with atomic_path(stem.with_suffix(f".{fmt}")) as tmp:
                fig.savefig(tmp, format=fmt, dpi=150, metadata={"Date": None} if fmt == "svg" else None)


def _rel(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


# ----------------------------------------------------------------------------------------------------------
# The report text

DEFINITIONS = """\
- **Tables 1, 1b, 2** (MPJPE = Protocol #1, P-MPJPE = Protocol #2, MPJVE = mean per-joint velocity error, mm
  per frame at 50 Hz). Row *{baseline}*: the baseline model's error per action, from `per_action` of
  `metrics/<exp>/baseline.json`. Row *{ours}*: for each action A, the error of A's own model, `per_action[A]` of
  `metrics/<exp>/<A>.json`. Within an action the error is the frame-weighted mean over its test sequences
  (subjects, sub-actions, cameras); **Avg** is the unweighted mean over the 15 actions (VideoPose3D's
  action-wise average). Lower is better; the better value of each pair, as printed, is bold.
- **Table 3**. TC (training cost) = seconds of training = the sum of `train_wall_s` over a job's log rows
  (evaluation and checkpoint time excluded). eps_T is the job's test error (`test_mpjpe`, `test_mpjve` of
  the log) after its last epoch T, eps_T/2 after epoch ceil(T/2) (the paper writes floor(T/2), which is
  epoch 0 for T = 1; both give 40 for the paper's T = 80). For Ours each eps is the mean over the 15 action
  jobs, each taken at its own T_a and ceil(T_a/2). eps0 = k (eps_T/2^baseline + eps_T/2^Ours) / 2 with
  k = {k:g}; the precision-time rate (TPR) of model i is theta_i = (eps0 - eps_T^i) / TC_i, in mm/s
  (MPJVE: mm per frame per s), higher is better. Ours' TC is given two ways: summed over the 15 action jobs
  (one GPU, jobs one after another) and as parallel wall time, the longest of the 15 jobs (15 GPUs). The
  paper's TC_Ours (56,921 s) was the time of a single Eating-only job, neither of these
  (`reference/videopose3d-facts.md`, section 2); its TPR is therefore not comparable with ours. An epoch
  that was not evaluated (eval_every > 1) is replaced by the nearest evaluated epoch before it, and a note
  under the table says so.
- **Table 4 and Figure 6**. Test MPJPE against training progress x in baseline-equivalent epochs: the
  baseline's epoch, and for an action job with T_a epochs x = epoch T_b / T_a (T_b = the baseline's epochs),
  so every curve ends at x = T_b. Ours-Avg is the mean over the 15 action jobs, each interpolated linearly at
  x; the single-action columns are the baseline's `test_mpjpe_<A>` and A's own job. At most 15 rows are
  printed (the first, the last and evenly spaced ones); the CSV holds every point.
- **Figure 5**: the rows of Tables 1 and 2 as bars."""


def _experiments_overview(runs_list: list[ExperimentRuns]) -> str:
    rows = []
    for runs in runs_list:
        s = runs.settings
        tta = sorted({bool(runs.summaries[m].get("tta")) for m in MODELS})
        sources = sorted({str(runs.summaries[m].get("checkpoint_source", "?")) for m in MODELS})
        rows.append({
            "experiment": runs.name, "F": tables.receptive_field(s["architecture"]),
            "architecture": ",".join(str(w) for w in s["architecture"]), "channels": s["channels"],
            "UE": s["unit_epochs"], "baseline epochs": s["baseline_epochs"], "budget": s["budget"],
            "lr decay by": s["lr_decay_by"], "BN statistics": s.get("bn_statistics", "running"),
            "eval every": s["eval_every"],
            "train / test subjects": f"{','.join(s['subjects_train'])} / {','.join(s['subjects_test'])}",
            "test-time flip": "/".join("on" if t else "off" for t in tta), "checkpoints": "/".join(sources)})
    return pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True) + "\n"


def _data_statement(params: dict) -> list[str]:
    data = params.get("data")
    keypoints = params["keypoints"]
    lines = []
    if data is None:
        lines.append("- 3D data: not stated (the `data` parameters were not given to the report stage).")
    else:
        where = f" from `{data['path']}`" if data.get("path") else ""
        lines.append(f"- 3D data: `{data['source']}`{where}.")
    kp = f"- 2D keypoints (input of training and evaluation): `{keypoints['source']}`"
    if keypoints.get("import_path"):
        kp += f", imported from `{keypoints['import_path']}`"
    elif keypoints["source"] == "noisy":
        kp += " (ground-truth 2D with the detector-error model of the `keypoints.noisy` parameters)"
    lines.append(kp + ".")
    if data is not None and data["source"] == "synthetic":
        lines += ["", "> **These results come from the embedded synthetic data set, not from Human3.6M.** "
                  "They show that the pipeline runs end to end and how the tables are made; "
                  "they say nothing about accuracy on Human3.6M or about the paper's claims."]
    return lines


def _table_block(table: Table, stem: Path, out_dir: Path, title: str) -> list[str]:
    links = ", ".join(f"[{fmt.upper()}]({_rel(stem.with_suffix('.' + fmt), out_dir)})" for fmt in ("csv", "tex"))
    lines = [f"### {title}", "", f"*{table.caption}* ({links})", "", table.markdown().rstrip("\n")]
    if table.notes:
        lines += ["", *(f"- Note: {n}" for n in table.notes)]
    return [*lines, ""]


def _figure_line(stem: Path, out_dir: Path, alt: str) -> str:
    png, svg = (_rel(stem.with_suffix(f".{fmt}"), out_dir) for fmt in FIGURE_FORMATS)
    return f"![{alt}]({png})  \n[SVG]({svg})\n"


def render_report(params: dict, runs_list: list[ExperimentRuns], built: Mapping[str, Mapping[str, Table]],
                  combined: Mapping[str, Table], checks: Mapping[str, pd.DataFrame], inputs: list[Path],
                  results_dir: Path, tables_dir: Path, figures_dir: Path, out: Path) -> str:
    out_dir = out.parent
    sections = {k: params[k] for k in PARAM_SECTIONS if k in params}
    lines = [
        "# Action-based training of VideoPose3D: results",
        "",
        "Generated by the `report` stage (`python -m stages.report`) from the artifacts of the run; do not edit. "
        "Every number below is computed from the files listed under *Provenance*.",
        "",
        "## What was run",
        "",
        f"- {len(runs_list)} experiment(s), each 16 training jobs: the baseline (VideoPose3D, one model on all "
        "15 actions) and one model per action (Ours).",
        *_data_statement(params),
        "",
        _experiments_overview(runs_list),
        "Parameters that produced this report (the sections the report stage reads):",
        "",
        "```yaml",
        yaml.safe_dump(sections, sort_keys=False, default_flow_style=None, width=110).rstrip("\n"),
        "```",
        "",
        "## Definitions",
        "",
        DEFINITIONS.format(baseline=tables.BASELINE_ROW, ours=tables.OURS_ROW, k=params["report"]["k"]),
        "",
        "## All experiments",
        "",
    ]
    for stem, table in combined.items():
        lines += _table_block(table, tables_dir / stem, out_dir, TITLES[stem])
    lines += [_figure_line(figures_dir / "overview_avg", out_dir, "Avg MPJPE and MPJVE per experiment"), ""]
    for runs in runs_list:
        lines += [f"## Experiment `{runs.name}`: {tables.arguments_label(runs.settings)}", ""]
        for stem, table in built[runs.name].items():
            lines += _table_block(table, tables_dir / runs.name / stem, out_dir, TITLES[stem])
            if stem == "table2_mpjve":
                lines += [f"### Figure 5: {runs.name}", "",
                          _figure_line(figures_dir / runs.name / "fig5_mpjpe", out_dir, "MPJPE per action"),
                          _figure_line(figures_dir / runs.name / "fig5_mpjve", out_dir, "MPJVE per action")]
        lines += [f"### Figure 6: {runs.name}", "",
                  _figure_line(figures_dir / runs.name / "fig6_epochs", out_dir, "test MPJPE against epoch")]
    lines += ["## Consistency checks", "",
              "Artifacts that should agree, and their largest disagreement. A check with a limit stops the "
              "report when exceeded.", ""]
    check_rows = pd.DataFrame([
        {"experiment": e, "check": row["check"], "largest difference": f"{row['max_abs_difference']:.3g} {row['unit']}",
         "limit": "reported only" if pd.isna(row["limit"]) else f"{row['limit']:g} {row['unit']}"}
        for e, c in checks.items() for _, row in c.iterrows()])
    lines += [check_rows.to_markdown(index=False, disable_numparse=True), ""]
    lines += [
        "## Provenance", "",
        "- Tables 1, 1b, 2 and Figure 5 of experiment E: `metrics/E/baseline.json` (`per_action`, baseline row) "
        "and `metrics/E/<A>.json` (`per_action[A]`, Ours row); Avg computed here.",
        "- Table 3: `logs/E/<model>.parquet` (`train_wall_s`, `test_mpjpe`, `test_mpjve`, `epochs`) of all 16 jobs.",
        "- Table 4 and Figure 6: `logs/E/baseline.parquet` (`test_mpjpe`, "
        f"`test_mpjpe_{params['report']['table4_action']}`) and `logs/E/<A>.parquet` (`test_mpjpe`).",
        "- Consistency checks: also `metrics/E/<model>.parquet` (per-sequence rows).",
        "",
        f"Files read (paths relative to `{results_dir.as_posix()}`):",
        "",
        "| file | bytes | sha256 |",
        "|---|---:|---|",
        *(f"| `{_rel(p, results_dir)}` | {p.stat().st_size} | `{sha256_file(p)}` |" for p in inputs),
        "",
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------

def headline_metrics(runs_list: list[tables.ExperimentRuns], k: float) -> dict:
    """Per experiment, the averages of Tables 1, 1b and 2 (baseline and Ours) and Table 3's numbers:
    the small summary DVC shows as metrics (`dvc metrics show`, `dvc exp show`)."""
    out = {}
    for runs in runs_list:
        averages = {metric: tables.per_action_errors(runs, metric)[tables.AVG] for metric in PER_ACTION_TABLES.values()}
        tpr, _ = tables.tpr_values(runs, k)
        out[runs.name] = {
            "baseline": {m: float(v[tables.BASELINE_ROW]) for m, v in averages.items()},
            "ours": {m: float(v[tables.OURS_ROW]) for m, v in averages.items()},
            "table3": {column: {q: float(tpr.at[q, column]) for q in tpr.index} for column in tpr.columns},
        }
    return out


def main(params: dict, results_dir: str | os.PathLike, tables_dir: str | os.PathLike,
         figures_dir: str | os.PathLike, out: str | os.PathLike, summary: str | os.PathLike | None = None) -> None:
    """Tables, figures and the report; with `summary`, also the headline numbers as JSON."""
    results_dir, tables_dir, figures_dir, out = (Path(p) for p in (results_dir, tables_dir, figures_dir, out))
    report = params["report"]
    experiments = list(params["experiments"])
    inputs = check_inputs(results_dir, experiments)
    runs_list, built, checks = [], {}, {}
    for experiment in experiments:
        start = time.perf_counter()
        runs = load_experiment(params, results_dir, experiment)
        check = tables.consistency(runs)
        exceeded = check[check["max_abs_difference"] > check["limit"]]
        if not exceeded.empty:
            first = exceeded.iloc[0]
            raise ValueError(f"experiment {experiment}: {first['check']} differ by up to "
                             f"{first['max_abs_difference']:.3g} {first['unit']} (limit {first['limit']:g}): "
                             f"rerun evaluate for {results_dir / 'metrics' / experiment}")
        built[experiment] = {
            **{stem: tables.per_action_table([runs], metric, report["decimals"])
               for stem, metric in PER_ACTION_TABLES.items()},
            "table3_tpr": tables.tpr_table(runs, report["k"], report["decimals"]),
            "table4_epochs": tables.epoch_table(runs, report["table4_action"], report["decimals"]),
        }
        for stem, table in built[experiment].items():
            write_table(table, tables_dir / experiment / stem, f"tab:{experiment}:{stem}")
        label = tables.arguments_label(runs.settings)
        for metric in ("mpjpe", "mpjve"):
            name, unit, _ = tables.PROTOCOLS[metric]
            save_figure(figures.per_action_bars(tables.per_action_errors(runs, metric), f"{name} ({unit})",
                                                f"{name} per action, {label}"),
                        figures_dir / experiment / f"fig5_{metric}")
        save_figure(figures.error_against_epoch(tables.progress_curves(runs, report["table4_action"]),
                                                f"Test MPJPE against epoch, {label}"),
                    figures_dir / experiment / "fig6_epochs")
        runs_list.append(runs)
        checks[experiment] = check
        print(f"report: {experiment}: tables and figures in {time.perf_counter() - start:.1f} s", flush=True)

    combined = {stem: tables.per_action_table(runs_list, metric, report["decimals"])
                for stem, metric in PER_ACTION_TABLES.items()}
    for stem, table in combined.items():
        write_table(table, tables_dir / stem, f"tab:{stem}")
    averages = {}
    for metric in ("mpjpe", "mpjve"):
        averages[tables.PROTOCOLS[metric][0]] = pd.DataFrame(
            {f"{r.name}\nF={tables.receptive_field(r.settings['architecture'])}, UE={r.settings['unit_epochs']}":
             tables.per_action_errors(r, metric)[tables.AVG] for r in runs_list}).T
    save_figure(figures.experiment_overview(
        averages, {tables.PROTOCOLS[m][0]: f"{tables.PROTOCOLS[m][0]} ({tables.PROTOCOLS[m][1]})"
                   for m in ("mpjpe", "mpjve")}), figures_dir / "overview_avg")
    if summary is not None:
        write_json(summary, headline_metrics(runs_list, report["k"]))
    write_text(out, render_report(params, runs_list, built, combined, checks, inputs, results_dir, tables_dir,
                                  figures_dir, out))
    print(f"report: wrote {out}", flush=True)


def cli() -> None:
    p = _cli.parser(__doc__.split("\n\n")[0])
    p.add_argument("--results", required=True, help="results directory holding metrics/ and logs/")
    p.add_argument("--tables-dir", required=True, help="where the tables go (one folder per experiment)")
    p.add_argument("--figures-dir", required=True, help="where the figures go (one folder per experiment)")
    p.add_argument("--out", required=True, help="the report (Markdown), e.g. results/report.md")
    p.add_argument("--summary", default=None, help="also the headline numbers as JSON (DVC's metrics)")
    args = p.parse_args()
    main(_cli.load_params(args.params), args.results, args.tables_dir, args.figures_dir, args.out, args.summary)


if __name__ == "__main__":
    _cli.run(cli)
