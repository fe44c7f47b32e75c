"""The report's text and numbers: Tables 1-4 and Figures 5-6 of each experiment, the headline metrics, and
the labelled-data curve (Table 9, Figure 9) of a study that has one, and the Markdown page that holds them all
with their definitions, consistency checks and provenance.

Pure: experiments' artifacts (`ExperimentRuns`) in, `Table`s, figures and text out; the report stage
reads the files and writes these.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd
import yaml
from matplotlib.figure import Figure

from poselift.io.atomic import sha256_file
from poselift.io.figures import FIGURE_FORMATS
from poselift.lifting.model import receptive_field
from poselift.study import experts, figures, labelled, tables, tpr
from poselift.study.models import models
from poselift.study.params import LABELLED_KEY
from poselift.study.render import Table
from poselift.study.tables import ExperimentRuns

PARAM_SECTIONS = ("data", "keypoints", "train", "experiments", "report")
TITLES = {"table1_mpjpe": "Table 1: MPJPE per action", "table1b_p_mpjpe": "Table 1b: P-MPJPE per action",
          "table2_mpjve": "Table 2: MPJVE per action", "table3_tpr": "Table 3: training cost and TPR",
          "table4_epochs": "Table 4: test MPJPE against epoch",
          "table5_by_subject": "Table 5: per action and test subject, SA against MA (VideoPose3D's Table 4)",
          "table6_significance": "Table 6: baseline against Ours, paired tests",
          "table7_routing": "Table 7: experts without test labels (routing)",
          "table8_transfer": "Table 8: transfer matrix, every model on every test action",
          labelled.TABLE: labelled.TITLE}
PER_ACTION_TABLES = {"table1_mpjpe": "mpjpe", "table1b_p_mpjpe": "p_mpjpe", "table2_mpjve": "mpjve"}
EXPERIMENT_FIGURES = ("fig5_mpjpe", "fig5_mpjve", "fig6_epochs")  # each experiment's figures (experiment_figures)
ROUTING_FIGURES = ("fig7_confusion", "fig8_transfer")  # and those of an experiment with routing
ROUTING_TABLES = ("table7_routing", "table8_transfer")


TABLE_FORMATS = ("md", "csv", "tex")


def table_names(report: Mapping, settings: Iterable[Mapping]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The stems of each experiment's tables (routing tables aside: `ROUTING_TABLES`) and of the tables across
    experiments (`report`: params `report`; `settings`: every experiment's, `experiment_settings`), as
    `experiment_tables` and `combined_tables` make them: what the workflow declares as outputs."""
    by_subject = ("table5_by_subject",) if report["by_subject"] is not None else ()
    curve = (labelled.TABLE,) if labelled.has_curve(settings) else ()
    return ((*PER_ACTION_TABLES, "table3_tpr", "table4_epochs", *by_subject, "table6_significance"),
            (*PER_ACTION_TABLES, *by_subject, *curve))


def combined_figure_names(settings: Iterable[Mapping]) -> tuple[str, ...]:
    """The stems of the figures across experiments besides the overview, as `combined_figures` makes them
    (`settings`: every experiment's): Figure 9 when the study has the labelled-data curve."""
    return (labelled.FIGURE,) if labelled.has_curve(settings) else ()


def experiment_tables(runs: ExperimentRuns, report: Mapping) -> dict[str, Table]:
    """Tables 1, 1b, 2, 3, 4 and 6 of one experiment (5 when asked for, 7 and 8 with routing; `report`:
    params `report`)."""
    per_action = {stem: tables.per_action_table([runs], metric, report["decimals"], report["alpha"])
                  for stem, metric in PER_ACTION_TABLES.items()}
    built = {
        **per_action,
        "table3_tpr": tpr.tpr_table(runs, report["k"], report["decimals"]),
        "table4_epochs": tables.epoch_table(runs, report["table4_action"], report["decimals"]),
    }
    if report["by_subject"] is not None:
        built["table5_by_subject"] = tables.by_subject_table([runs], report["by_subject"], report["decimals"])
    built["table6_significance"] = tables.significance_table(runs, "mpjpe", report["decimals"], report["alpha"])
    if runs.routing is not None:
        built["table7_routing"] = experts.routing_table(runs, report["decimals"])
        built["table8_transfer"] = experts.transfer_table(runs, report["decimals"])
    return built


def combined_tables(runs_list: list[ExperimentRuns], report: Mapping) -> dict[str, Table]:
    """Tables 1, 1b and 2 (and 5, when asked for) with a row pair per experiment (the paper's layout), and
    Table 9 (a row per experiment) when the study has the labelled-data curve."""
    combined = {stem: tables.per_action_table(runs_list, metric, report["decimals"], report["alpha"])
                for stem, metric in PER_ACTION_TABLES.items()}
    if report["by_subject"] is not None:
        combined["table5_by_subject"] = tables.by_subject_table(runs_list, report["by_subject"], report["decimals"])
    if labelled.has_curve(r.settings for r in runs_list):
        combined[labelled.TABLE] = labelled.curve_table(labelled.curve_rows(runs_list), report["decimals"])
    return combined


def combined_figures(runs_list: list[ExperimentRuns]) -> dict[str, Figure]:
    """Figure 9 (error against labelled frames) when the study has the labelled-data curve."""
    if not labelled.has_curve(r.settings for r in runs_list):
        return {}
    return {labelled.FIGURE: labelled.curve_figure(labelled.curve_rows(runs_list))}


def experiment_figures(runs: ExperimentRuns, report: Mapping) -> dict[str, Figure]:
    """Figure 5 (MPJPE and MPJVE per action) and Figure 6 (error against epoch) of one experiment."""
    label = tables.arguments_label(runs.settings)
    out = {}
    for metric in ("mpjpe", "mpjve"):
        name, unit, _ = tables.PROTOCOLS[metric]
        out[f"fig5_{metric}"] = figures.per_action_bars(tables.per_action_errors(runs, metric), f"{name} ({unit})",
                                                        f"{name} per action, {label}", runs.dataset.short_names)
    out["fig6_epochs"] = figures.error_against_epoch(tables.progress_curves(runs, report["table4_action"]),
                                                     f"Test MPJPE against epoch, {label}")
    if runs.routing is not None:
        out["fig7_confusion"] = experts.confusion_figure(runs)
        out["fig8_transfer"] = experts.transfer_figure(runs)
    return out


def overview_figure(runs_list: list[ExperimentRuns]) -> Figure:
    """Avg of baseline and Ours per experiment, MPJPE and MPJVE."""
    averages = {}
    for metric in ("mpjpe", "mpjve"):
        averages[tables.PROTOCOLS[metric][0]] = pd.DataFrame(
            {f"{r.name}\nF={receptive_field(r.settings['architecture'])}, UE={r.settings['unit_epochs']}":
             tables.per_action_errors(r, metric)[tables.AVG] for r in runs_list}).T
    return figures.experiment_overview(
        averages, {tables.PROTOCOLS[m][0]: f"{tables.PROTOCOLS[m][0]} ({tables.PROTOCOLS[m][1]})"
                   for m in ("mpjpe", "mpjve")})


def _rel(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


DEFINITIONS = """\
- **Tables 1, 1b, 2** (MPJPE = Protocol #1, P-MPJPE = Protocol #2, MPJVE = mean per-joint velocity error, mm
  per frame at {fps:g} Hz). Row *{baseline}*: the baseline model's error per action, from `per_action` of
  `metrics/<exp>/baseline.json`. Row *{ours}*: for each action A, the error of A's own model, `per_action[A]` of
  `metrics/<exp>/<A>.json`. Within an action the error is the frame-weighted mean over its test sequences
  (subjects, sub-actions, cameras); **Avg** is the unweighted mean over the {n} actions (VideoPose3D's
  action-wise average). Lower is better; the better value of each pair, as printed, is bold.
- **Table 3**. TC (training cost) = seconds of training = the sum of `train_wall_s` over a job's log rows
  (evaluation and checkpoint time excluded). eps_T is the job's test error (`test_mpjpe`, `test_mpjve` of
  the training history) after its last epoch T, eps_T/2 after epoch ceil(T/2) (the paper writes floor(T/2), which is
  epoch 0 for T = 1; both give 40 for the paper's T = 80). For Ours each eps is the mean over the {n} action
  jobs, each taken at its own T_a and ceil(T_a/2). eps0 = k (eps_T/2^baseline + eps_T/2^Ours) / 2 with
  k = {k:g}; the precision-time rate (TPR) of model i is theta_i = (eps0 - eps_T^i) / TC_i, in mm/s
  (MPJVE: mm per frame per s), higher is better. Ours' TC is given two ways: summed over the {n} action jobs
  (one GPU, jobs one after another) and as parallel wall time, the longest of the {n} jobs ({n} GPUs). The
  paper's TC_Ours (56,921 s) was the time of a single Eating-only job, neither of these
  (`reference/videopose3d-facts.md`, section 2); its TPR is therefore not comparable with ours. An epoch
  that was not evaluated (eval_every > 1) is replaced by the nearest evaluated epoch before it, and a note
  under the table says so.
- **Table 4 and Figure 6**. Test MPJPE against training progress x in baseline-equivalent epochs: the
  baseline's epoch, and for an action job with T_a epochs x = epoch T_b / T_a (T_b = the baseline's epochs),
  so every curve ends at x = T_b. Ours-Avg is the mean over the {n} action jobs, each interpolated linearly at
  x; the single-action columns are the baseline's `test_mpjpe_<A>` and A's own job. At most 15 rows are
  printed (the first, the last and evenly spaced ones); the CSV holds every point.
- **Figure 5**: the rows of Tables 1 and 2 as bars.
- **Replicates** (`train.replicates` R > 1): replicate k > 1 of experiment E is the experiment instance `E@k`, a
  full set of jobs whose seeds derive from that name (`models/E@k/...`, `metrics/E@k/...`). Tables 1, 1b, 2 then
  print the mean over the R replicates ± the half-width of its 95% confidence interval (Student's t, R - 1
  degrees of freedom); Tables 3 and 4 and Figure 6 are those of the first replicate.
- **Bold and Table 6**: for each action a two-sided paired comparison of the baseline and the action's model:
  the Wilcoxon signed-rank test over the action's test sequences (subject, sub-action, camera; each the mean
  over replicates) and, with R >= 2, the paired t-test over replicates; the p-values of each test are adjusted
  over the {n} actions (Benjamini-Hochberg, scipy's `false_discovery_control`). Avg: the signed-rank test over
  the actions and the t-test of the Avg over replicates, not adjusted. The better of the pair is bold only where
  every adjusted p-value is below alpha = {alpha:g}.
- **Routed rows, Tables 7 and 8, Figures 7 and 8** (experiments with `routing`): an action classifier (the
  lifting model's temporal convolutions ending in one logit per action, `models/E/classifier.pt`, trained on the
  training subjects' 2D input of all actions) decides which expert lifts a test clip without its label. Routed
  (sequence): the whole sequence to the expert of the action with the highest mean probability; routed (window):
  each frame to the expert of the action predicted around it; mixture: the experts' predictions weighted by the
  probabilities. All rows are scored on the same frames with the same protocol as Ours (`metrics/E/routing.parquet`;
  the oracle route, each sequence to its true action's expert, must equal Ours, a consistency check). Table 8 and
  Figure 8: every model on every test action (`metrics/E/transfer.parquet`). Figure 7: the classifier's votes per
  test sequence (`metrics/E/routing.json`)."""


BY_SUBJECT_DEFINITION = """\
- **Table 5** ({metric} per action and test subject; VideoPose3D's HumanEva-I table, papers/002 Table 4). Row
  *{sa}*: for action A and test subject s, A's own model on s's test sequences of A; row *{ma}*: the baseline
  on the same sequences. Each value is the frame-weighted mean over those sequences (takes, chunks, cameras),
  from the per-sequence rows `metrics/<exp>/<model>.parquet`."""


def _experiments_overview(runs_list: list[ExperimentRuns]) -> str:
    rows = []
    for runs in runs_list:
        s = runs.settings
        tta = sorted({bool(runs.summaries[m].get("tta")) for m in models(runs.dataset)})
        sources = sorted({str(runs.summaries[m].get("checkpoint_source", "?")) for m in models(runs.dataset)})
        rows.append({
            "experiment": runs.name, "F": receptive_field(s["architecture"]),
            "architecture": ",".join(str(w) for w in s["architecture"]), "channels": s["channels"],
            "UE": s["unit_epochs"], "baseline epochs": s["baseline_epochs"], "budget": s["budget"],
            "lr decay by": s["lr_decay_by"], "BN statistics": s.get("bn_statistics", "running"),
            "eval every": s["eval_every"], "replicates": len(runs.instances),
            "routing": "yes" if runs.routing is not None else "no",
            "train / test subjects": f"{','.join(s['subjects_train'])} / {','.join(s['subjects_test'])}",
            "test-time flip": "/".join("on" if t else "off" for t in tta), "checkpoints": "/".join(sources)})
    return pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True) + "\n"


def _data_statement(prepared: Mapping, keypoints: Mapping | None) -> list[str]:
    """What the data were, as the artifacts recorded them: prepare's provenance and keypoints' report."""
    title = prepared["title"]
    data_3d = prepared["outputs"]["data_3d"]
    where = "the embedded synthetic data set" if prepared["source"] == "synthetic" else f"`{prepared['source']}`"
    gt = f", ground-truth 2D from `{prepared['gt_2d']}`" if prepared.get("gt_2d") else ""
    lines = [f"- 3D data: `{data_3d['path']}` (sha256 `{data_3d['sha256'][:16]}`), {title}, prepared from {where} "
             f"read at `{prepared['read']}`{gt}: {len(prepared['subjects'])} subjects, {prepared['sequences']} "
             f"sequences, {prepared['frames']} frames."]
    if keypoints is None:
        data_2d = prepared["outputs"]["data_2d_gt"]
        kp = "`gt` (the ground-truth 2D)"
    else:
        data_2d = keypoints["output"]
        kp = f"`{keypoints['source']}`"
        if keypoints.get("imported"):
            kp += f", imported from `{keypoints['imported']}`"
        elif keypoints["source"] == "noisy":
            kp += " (ground-truth 2D with the detector-error model of the `keypoints.noisy` parameters)"
    lines.append(f"- 2D keypoints (input of training and evaluation): {kp}: `{data_2d['path']}` (sha256 "
                 f"`{data_2d['sha256'][:16]}`).")
    if prepared["source"] == "synthetic":
        lines += ["", f"> **These results come from the embedded synthetic data set, not from {title}.** "
                  "They show that the pipeline runs end to end and how the tables are made; "
                  f"they say nothing about accuracy on {title} or about the paper's claims."]
    return lines


def table_block(table: Table, stem: Path, out_dir: Path, title: str) -> list[str]:
    links = ", ".join(f"[{fmt.upper()}]({_rel(stem.with_suffix('.' + fmt), out_dir)})" for fmt in ("csv", "tex"))
    lines = [f"### {title}", "", f"*{table.caption}* ({links})", "", table.markdown().rstrip("\n")]
    if table.notes:
        lines += ["", *(f"- Note: {n}" for n in table.notes)]
    return [*lines, ""]


def figure_line(stem: Path, out_dir: Path, alt: str) -> str:
    png, svg = (_rel(stem.with_suffix(f".{fmt}"), out_dir) for fmt in FIGURE_FORMATS)
    return f"![{alt}]({png})  \n[SVG]({svg})\n"


def predictions_block(record: Mapping, files: Mapping[str, Path], out_dir: Path) -> list[str]:
    """The section on an experiment's test predictions: which sequences the animate stage shows (`record`,
    its JSON), links to its animation (`files`: `mp4`, `gif`) and its still figure (`figure`, the stem)."""
    shown = record["shown"]
    first = shown[0]
    frames, step = first["frames"], record["animation"]["step"]
    flip = "on" if record["tta"] else "off"
    links = ", ".join(f"[{kind.upper()}]({_rel(files[kind], out_dir)})" for kind in ("mp4", "gif"))
    return [
        f"### Test predictions: {record['experiment']}", "",
        f"Ground truth, the baseline and each action's own model on one test sequence per action: test subject "
        f"{first['subject']} (the experiment's first), camera {first['camera']} ({first['camera_id']}), of each "
        f"action its first sequence in name order ({', '.join(s['sequence'] for s in shown)}), frames "
        f"{frames[0]} to {frames[-1]} in steps of {step} ({len(frames)} per action). The predictions are those of "
        f"the checkpoints scored above (`poselift.lifting.evaluation.predict`, test-time flip {flip}), made "
        "root-relative and moved along the ground-truth trajectory; ground truth and predictions are turned into "
        "the world frame by the camera, as VideoPose3D's `run.py --render` does. Left panel: the 2D input the "
        "models read, over a grey ground (no video frame).", "",
        f"Animation ({record['animation_frames']} frames at {record['animation']['fps']:g} fps, the actions one after "
        f"another): {links}. The still: each action at its middle frame shown, the three poses drawn over each "
        "other.", "",
        figure_line(files["figure"], out_dir, "test predictions, one sequence per action"),
    ]


def render_report(params: dict, runs_list: list[ExperimentRuns], built: Mapping[str, Mapping[str, Table]],
                  combined: Mapping[str, Table], checks: Mapping[str, pd.DataFrame], inputs: list[Path],
                  tables_dir: Path, figures_dir: Path, out: Path, prepared: Mapping,
                  keypoints: Mapping | None, detection_section: Sequence[str] = (),
                  prediction_sections: Mapping[str, Sequence[str]] | None = None) -> str:
    """The Markdown report; `inputs` are the files read (listed with their sha256), `tables_dir`,
    `figures_dir` and `out` where the tables, figures and report itself are (for relative links);
    `prepared` and `keypoints` the records of the data (prepare's provenance, keypoints' report);
    `detection_section` the lines on keypoints detected on video (`poselift.study.detection.section`);
    `prediction_sections` experiment -> the lines on its test predictions (`predictions_block`)."""
    out_dir = out.parent
    dataset = runs_list[0].dataset
    jobs = len(models(dataset))
    sections = {k: params[k] for k in PARAM_SECTIONS}
    lines = [
        "# Action-based training of VideoPose3D: results",
        "",
        "Generated by the `report` stage (`python -m stages.report`) from the artifacts of the run; do not edit. "
        "Every number below is computed from the files listed under *Provenance*.",
        "",
        "## What was run",
        "",
        f"- {len(runs_list)} experiment(s), each {jobs} training jobs: the baseline (VideoPose3D, one model on all "
        f"{jobs - 1} actions) and one model per action (Ours).",
        *_data_statement(prepared, keypoints),
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
        DEFINITIONS.format(baseline=tables.BASELINE_ROW, ours=tables.OURS_ROW, k=params["report"]["k"], n=jobs - 1,
                           fps=dataset.fps, alpha=params["report"]["alpha"]),
        *([] if params["report"]["by_subject"] is None else [BY_SUBJECT_DEFINITION.format(
            metric=tables.PROTOCOLS[params["report"]["by_subject"]][0], sa=tables.SA_ROW, ma=tables.MA_ROW)]),
        "",
        "## All experiments",
        "",
    ]
    for stem, table in combined.items():
        if stem != labelled.TABLE:
            lines += table_block(table, tables_dir / stem, out_dir, TITLES[stem])
    lines += [figure_line(figures_dir / "overview_avg", out_dir, "Avg MPJPE and MPJVE per experiment"), ""]
    if labelled.TABLE in combined:
        lines += ["## Labelled frames: supervised against semi-supervised", "", labelled.DEFINITION, "",
                  *table_block(combined[labelled.TABLE], tables_dir / labelled.TABLE, out_dir, TITLES[labelled.TABLE]),
                  "### Figure 9: error against labelled frames", "",
                  figure_line(figures_dir / labelled.FIGURE, out_dir, "MPJPE and N-MPJPE against labelled frames")]
    for runs in runs_list:
        lines += [f"## Experiment `{runs.name}`: {tables.arguments_label(runs.settings)}", ""]
        for stem, table in built[runs.name].items():
            lines += table_block(table, tables_dir / runs.name / stem, out_dir, TITLES[stem])
            if stem == "table2_mpjve":
                lines += [f"### Figure 5: {runs.name}", "",
                          figure_line(figures_dir / runs.name / "fig5_mpjpe", out_dir, "MPJPE per action"),
                          figure_line(figures_dir / runs.name / "fig5_mpjve", out_dir, "MPJVE per action")]
        lines += [f"### Figure 6: {runs.name}", "",
                  figure_line(figures_dir / runs.name / "fig6_epochs", out_dir, "test MPJPE against epoch")]
        if runs.routing is not None:
            lines += [f"### Figures 7 and 8: {runs.name}", "",
                      figure_line(figures_dir / runs.name / "fig7_confusion", out_dir, "classifier confusion matrix"),
                      figure_line(figures_dir / runs.name / "fig8_transfer", out_dir, "transfer matrix")]
        lines += list((prediction_sections or {}).get(runs.name, ()))
    lines += list(detection_section)
    lines += ["## Consistency checks", "",
              "Artifacts that should agree, and their largest disagreement. A check whose limit is exceeded "
              "stops the report.", ""]
    check_rows = pd.DataFrame([
        {"experiment": e, "check": row["check"], "largest difference": f"{row['max_abs_difference']:.3g} {row['unit']}",
         "limit": f"{row['limit']:g} {row['unit']}"}
        for e, c in checks.items() for _, row in c.iterrows()])
    lines += [check_rows.to_markdown(index=False, disable_numparse=True), ""]
    lines += [
        "## Provenance", "",
        "- Tables 1, 1b, 2 and Figure 5 of experiment E: `metrics/E/baseline.json` (`per_action`, baseline row) "
        "and `metrics/E/<A>.json` (`per_action[A]`, Ours row); Avg computed here.",
        f"- Table 3: `history/E/<model>.parquet` (`train_wall_s`, `test_mpjpe`, `test_mpjve`, `epochs`) of all "
        f"{jobs} jobs.",
        "- Table 4 and Figure 6: `history/E/baseline.parquet` (`test_mpjpe`, "
        f"`test_mpjpe_{params['report']['table4_action']}`) and `history/E/<A>.parquet` (`test_mpjpe`).",
        "- Consistency checks: also `metrics/E/<model>.parquet` (per-sequence rows).",
        "- Table 6 and the bold marks: `metrics/E/<model>.parquet` of every replicate E, E@2, ... (per-sequence rows).",
        *(["- Table 9 and Figure 9: `history/E/<model>.parquet` (`train_frames`, `unlabelled_frames`) and "
           "`metrics/E/<model>.parquet` (`mpjpe`, `n_mpjpe`) of every replicate."] if labelled.TABLE in combined
          else []),
        *(["- Test predictions of experiment E: `animations/E/predictions.json` (the animate stage's record: the "
           "sequences and frames shown, the sha256 of the checkpoints and data it read, checked against the "
           "evaluations')."] if prediction_sections else []),
        "- Tables 7, 8 and Figures 7, 8: `metrics/E/routing.parquet`, `transfer.parquet`, `routing.json` of every "
        "replicate (the route stage), `history/E/classifier.parquet`.",
        *(["- Tables D1, D2 and the fine-tuning figure: `data/keypoints_<source>.json` (`per_joint`, `overall`, "
           "`per_subject`, `noise_model_reference`), `detections/<source>/assemble.json` (frames filled) and "
           "`detectors/cpn_history.parquet`."] if detection_section else []),
        "",
        f"Files read (paths relative to `{out_dir.as_posix()}`):",
        "",
        "| file | bytes | sha256 |",
        "|---|---:|---|",
        *(f"| `{_rel(p, out_dir)}` | {p.stat().st_size} | `{sha256_file(p)}` |" for p in inputs),
        "",
    ]
    return "\n".join(lines)


def headline_metrics(runs_list: list[ExperimentRuns], k: float, by_subject: str | None = None) -> dict:
    """Per experiment, the averages of Tables 1, 1b and 2 (baseline and Ours), Table 3's numbers and, with
    `by_subject` (a metric), Table 5's; and the rows of Table 9 (`labelled_curve`) when the study has the
    labelled-data curve: the small summary DVC shows as metrics (`dvc metrics show`)."""
    out = {}
    for runs in runs_list:
        averages = {metric: tables.per_action_errors(runs, metric)[tables.AVG] for metric in PER_ACTION_TABLES.values()}
        table3, _ = tpr.tpr_values(runs, k)
        out[runs.name] = {
            "baseline": {m: float(v[tables.BASELINE_ROW]) for m, v in averages.items()},
            "ours": {m: float(v[tables.OURS_ROW]) for m, v in averages.items()},
            "table3": {column: {q: float(table3.at[q, column]) for q in table3.index} for column in table3.columns},
        }
        if len(runs.instances) > 1:
            out[runs.name]["replicates"] = len(runs.instances)
            out[runs.name]["ci95"] = {m: {row: float(v) for row, v in tables.per_action_ci(runs, m)[tables.AVG].items()}
                                      for m in PER_ACTION_TABLES.values()}
        if runs.routing is not None:
            routes = experts.routing_values(runs)
            out[runs.name]["routing"] = {
                "classifier_accuracy": experts.classifier_accuracy(runs),
                **{route: {"mpjpe": float(r["mpjpe"]), "mpjve": float(r["mpjve"]),
                           "right_expert": float(r["right_expert"])} for route, r in routes.iterrows()}}
        if by_subject is not None:
            values = tables.by_subject_errors(runs, by_subject)
            out[runs.name]["table5"] = {
                row: {f"{a} {s}": float(values.at[row, (a, s)]) for a, s in values.columns} for row in values.index}
    if labelled.has_curve(r.settings for r in runs_list):
        out[LABELLED_KEY] = labelled.curve_rows(runs_list)
    return out
