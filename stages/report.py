"""Stage `report`: the paper's Tables 1-4 and Figures 5-6 for every experiment, and one readable report.

Reads, for every experiment of params `experiments` and every model (`baseline` and each study action),
the files the workflow passes, experiments in name order, then models (the first experiment's models,
then the second's):
    --summaries  evaluation summaries (JSON; Tables 1, 1b, 2)
    --rows       per-sequence evaluation rows (Parquet; checked against the summaries)
    --histories  training histories (Parquet, one row per epoch; Tables 3, 4)
(an experiment with replicates contributes each instance E, E@2, ..., in order), for the instances with
routing the route stage's outputs and the classifier's history (`--routing-summary`, `--routing-routes`,
`--routing-transfer`, `--routing-classification`, `--routing-history`), and what the data were:
`--data-provenance` (prepare's record) and `--keypoints-report` (the keypoints stage's, unless the 2D input
is prepare's ground truth), and for keypoints detected on video `--assembly-report` (the assemble stage's
record), `--detector-history` (the fine-tuned CPN's history, when one was fine-tuned) and `--video-figures`
(the render stage's sample frames, when the videos were rendered), and per experiment the animate stage's
outputs, linked from its section (`--animation-record`, `--animation-mp4`, `--animation-gif`,
`--animation-figure`). The report states the data from these records, and fails, naming both sides, where
an evaluation read other data than those, a checkpoint was trained on other data than it was evaluated on,
the parameters describe other data than were read, the animations show other checkpoints or data than are
scored, or a consistency check between the artifacts fails.
Writes (every file atomically):
    <tables>/<exp>/table1_mpjpe, table1b_p_mpjpe, table2_mpjve, table3_tpr, table4_epochs, table6_significance
                  (and table5_by_subject; with routing table7_routing, table8_transfer) .{md,csv,tex}
    <tables>/table1_mpjpe, table1b_p_mpjpe, table2_mpjve .{md,csv,tex}   all experiments, the paper's layout
    <tables>/table9_labelled.{md,csv,tex}, <figures>/fig9_labelled.{png,svg}   the labelled-data curve, when an
                  experiment has subset < 1 or semi_supervised
    <figures>/<exp>/fig5_mpjpe, fig5_mpjve, fig6_epochs (with routing fig7_confusion, fig8_transfer) .{png,svg}
    <figures>/overview_avg.{png,svg}
    <tables>/video/table_d1_detector_error, table_d2_finetune .{md,csv,tex}, <figures>/video/finetune_history
                  .{png,svg}   keypoints detected on video (table_d2 and the figure: when CPN was fine-tuned)
    <out> (report.md): what was run, the parameters, the definitions, all tables and figures, consistency
    checks and the provenance (sha256) of every file read.
The numbers and the text come from `poselift.study`; nothing here computes one.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

from poselift.io.atomic import write_json, write_text
from poselift.io.figures import save_figure
from poselift.study import consistency, detection, report
from poselift.study.artifacts import check_inputs, load_detector_history, load_experiment, load_record, load_routing
from poselift.study.models import models
from poselift.study.params import DETECTION_KEY, experiment_instances, experiment_settings
from poselift.study.provenance import animation_mismatches, provenance_problems
from poselift.study.render import Table
from poselift.study.tables import ExperimentRuns
from stages import _cli

ANIMATION_ARGUMENTS = {  # the animate stage's outputs per experiment -> what the file is
    "record": "its records of what is shown (.json)", "mp4": "its animations (.mp4)", "gif": "its animations (.gif)",
    "figure": "its still figures (.png, the .svg beside)"}

ROUTING_ARGUMENTS = {  # artifacts.ROUTING_KINDS -> what the file is
    "summary": "the route stage's summaries (.json)", "routes": "its per route and sequence rows (.parquet)",
    "transfer": "its per model and sequence rows (.parquet)",
    "classification": "its per sequence classifier rows (.parquet)",
    "history": "the classifier's training histories (.parquet)"}


def write_table(table: Table, stem: Path, label: str) -> None:
    write_text(stem.with_suffix(".csv"), table.csv())
    write_text(stem.with_suffix(".md"), table.markdown())
    write_text(stem.with_suffix(".tex"), table.latex(label))


def job_files(params: dict, summaries: list[Path], rows: list[Path], histories: list[Path]) -> dict:
    """instance -> model -> {summary, rows, history}: the paths, paired with the jobs (experiments in name
    order, each experiment's instances in replicate order, then models)."""
    instances = [i for e in sorted(params["experiments"]) for i in experiment_instances(params, e)]
    jobs = [(i, m) for i in instances for m in models(_cli.dataset_of(params))]
    for kind, paths in (("summaries", summaries), ("rows", rows), ("histories", histories)):
        if len(paths) != len(jobs):
            raise ValueError(f"report: {len(paths)} {kind} for {len(jobs)} jobs ({len(instances)} experiment "
                             f"instance(s) x {len(jobs) // len(instances)} models)")
    files: dict = {}
    for (instance, model), summary, row, history in zip(jobs, summaries, rows, histories, strict=True):
        files.setdefault(instance, {})[model] = {"summary": Path(summary), "rows": Path(row),
                                                 "history": Path(history)}
    return files


def routing_files(params: dict, lists: dict[str, list[Path]]) -> dict:
    """instance -> ROUTING_KINDS -> path for the instances with routing (in `job_files`' order)."""
    routed = [i for e in sorted(params["experiments"]) for i in experiment_instances(params, e)
              if experiment_settings(params, i)["routing"]]
    for kind, paths in lists.items():
        if len(paths) != len(routed):
            raise ValueError(f"report: {len(paths)} routing {kind} file(s) for {len(routed)} instance(s) with routing")
    return {instance: {kind: Path(paths[k]) for kind, paths in lists.items()} for k, instance in enumerate(routed)}


def animation_files(params: dict, lists: dict[str, list[Path]]) -> dict | None:
    """experiment -> ANIMATION_ARGUMENTS -> path (experiments in name order), None when none are given."""
    if not any(lists.values()):
        return None
    experiments = sorted(params["experiments"])
    for kind, paths in lists.items():
        if len(paths) != len(experiments):
            raise ValueError(f"report: {len(paths)} animation {kind} file(s) for {len(experiments)} experiment(s)")
    return {experiment: {kind: Path(paths[k]) for kind, paths in lists.items()}
            for k, experiment in enumerate(experiments)}


def prediction_section(files: dict, runs: ExperimentRuns, out_dir: Path) -> list[str]:
    """The report's lines on an experiment's test predictions (`files`: `animation_files`' of it), once the
    animate stage's record is checked to show the checkpoints and data the report scores."""
    missing = [f"  {path} ({kind} of the test predictions of {runs.name})" for kind, path in files.items()
               if not path.is_file()]
    if missing:
        raise FileNotFoundError("report: animate output file(s) missing:\n" + "\n".join(missing))
    record = load_record(files["record"], "animate")
    mismatches = animation_mismatches(record, runs)
    if mismatches:
        raise ValueError(f"report: {files['record']} is not of the runs the report scores: " + "; ".join(mismatches)
                         + f": rerun animate for experiment {runs.name}")
    return report.predictions_block(record, {**files, "figure": files["figure"].with_suffix("")}, out_dir)


def detection_files(assembly: Path | None, history: Path | None, figures: list[Path]) -> dict | None:
    """The records of keypoints detected on video, None when the 2D input was not (no `assembly`)."""
    if assembly is None:
        if history is not None or figures:
            raise ValueError("report: --detector-history and --video-figures need --assembly-report")
        return None
    return {"assembly": assembly, "history": history, "figures": list(figures)}


def write_detection(keypoints: dict | None, files: dict, decimals: int, tables_dir: Path, figures_dir: Path,
                    out_dir: Path) -> tuple[list[str], dict]:
    """The tables and figure of keypoints detected on video, written; the report's section and headline."""
    if keypoints is None:
        raise ValueError("report: --assembly-report needs --keypoints-report (the keypoints detected on video)")
    assembly = load_record(files["assembly"])
    detection.check_records(keypoints, assembly)
    history = None if files["history"] is None else load_detector_history(files["history"])
    built = {"table_d1_detector_error": detection.error_table(keypoints, decimals)}
    if history is not None:
        built["table_d2_finetune"] = detection.finetune_table(history, decimals)
    blocks = []
    for name, table in built.items():
        write_table(table, tables_dir / "video" / name, f"tab:video:{name}")
        blocks += report.table_block(table, tables_dir / "video" / name, out_dir, detection.TITLES[name])
    if history is not None:
        stem = figures_dir / "video" / detection.FINETUNE_FIGURE
        save_figure(detection.finetune_figure(history), stem)
        blocks += [report.figure_line(stem, out_dir, "CPN fine-tuning history"), ""]
    lines = detection.section(assembly, detection.sample_frame_links(files["figures"], out_dir), blocks)
    return lines, detection.headline(keypoints, assembly, history)


def main(params: dict, files: dict, provenance: Path, keypoints_report: Path | None, tables_dir: str | os.PathLike,
         figures_dir: str | os.PathLike, out: str | os.PathLike, summary: str | os.PathLike | None = None,
         routing: dict | None = None, detected: dict | None = None, animations: dict | None = None) -> None:
    """Tables, figures and the report; with `summary`, also the headline numbers as JSON.
    `params`: the sections `data`, `keypoints`, `train`, `experiments` and `report`; `files`: `job_files`;
    `routing`: `routing_files` (the instances with routing); `detected`: `detection_files`; `animations`:
    `animation_files` (the test predictions shown, linked from each experiment's section)."""
    tables_dir, figures_dir, out = Path(tables_dir), Path(figures_dir), Path(out)
    settings = params["report"]
    dataset = _cli.dataset_of(params)
    inputs = [*check_inputs(files), provenance, *([keypoints_report] if keypoints_report is not None else [])]
    prepared = load_record(provenance, "prepare")
    keypoints = None if keypoints_report is None else load_record(keypoints_report)
    routing = routing or {}
    inputs += [path for kinds in routing.values() for path in kinds.values()]
    if detected is not None:
        inputs += [detected["assembly"], *([detected["history"]] if detected["history"] else []), *detected["figures"]]
    if animations is not None:
        inputs += [kinds["record"] for kinds in animations.values()]
    runs_list, built, checks, predictions = [], {}, {}, {}
    for experiment in sorted(params["experiments"]):
        start = time.perf_counter()
        instances = []
        for instance in experiment_instances(params, experiment):
            routed = None if instance not in routing else load_routing(instance, routing[instance], dataset)
            runs = load_experiment(instance, experiment_settings(params, instance), files[instance], dataset,
                                   settings["table4_action"], routed)
            disagreements = provenance_problems([runs], prepared, keypoints, params)
            if disagreements:
                raise ValueError(f"report: the artifacts disagree about the data ({provenance}"
                                 f"{', ' + str(keypoints_report) if keypoints_report else ''}):\n"
                                 + "\n".join(f"  - {line}" for line in disagreements)
                                 + "\nrerun the study (snakemake) so that every job reads the same data")
            check = consistency.consistency(runs)
            exceeded = check[check["max_abs_difference"] > check["limit"]]
            if not exceeded.empty:
                first = exceeded.iloc[0]
                raise ValueError(f"experiment {instance}: {first['check']} differ by up to "
                                 f"{first['max_abs_difference']:.3g} {first['unit']} (limit {first['limit']:g}): "
                                 f"rerun evaluate (and route) for experiment {instance}")
            checks[instance] = check
            instances.append(runs)
        runs = dataclasses.replace(instances[0], replicates=tuple(instances[1:]))
        if animations is not None:
            predictions[experiment] = prediction_section(animations[experiment], runs, out.parent)
        built[experiment] = report.experiment_tables(runs, settings)
        runs_list.append(runs)
        for stem, table in built[experiment].items():
            write_table(table, tables_dir / experiment / stem, f"tab:{experiment}:{stem}")
        for name, fig in report.experiment_figures(runs, settings).items():
            save_figure(fig, figures_dir / experiment / name)
        print(f"report: {experiment}: tables and figures in {time.perf_counter() - start:.1f} s", flush=True)

    combined = report.combined_tables(runs_list, settings)
    for stem, table in combined.items():
        write_table(table, tables_dir / stem, f"tab:{stem}")
    save_figure(report.overview_figure(runs_list), figures_dir / "overview_avg")
    for name, fig in report.combined_figures(runs_list).items():
        save_figure(fig, figures_dir / name)
    headline = report.headline_metrics(runs_list, settings["k"], settings["by_subject"])
    section = []
    if detected is not None:
        section, headline[DETECTION_KEY] = write_detection(keypoints, detected, settings["decimals"], tables_dir,
                                                           figures_dir, out.parent)
    if summary is not None:
        write_json(summary, headline)
    write_text(out, report.render_report(params, runs_list, built, combined, checks, inputs, tables_dir,
                                         figures_dir, out, prepared, keypoints, section, predictions))
    print(f"report: wrote {out}", flush=True)


def cli() -> None:
    p = _cli.parser(__doc__.split("\n\n")[0])
    p.add_argument("--summaries", nargs="+", required=True,
                   help="evaluation summaries (.json), experiments in name order, then models")
    p.add_argument("--rows", nargs="+", required=True, help="per-sequence evaluation rows (.parquet), same order")
    p.add_argument("--histories", nargs="+", required=True, help="training histories (.parquet), same order")
    p.add_argument("--data-provenance", type=Path, required=True, help="prepare's record of the data (.json)")
    p.add_argument("--keypoints-report", type=Path, default=None,
                   help="the keypoints stage's report (.json); omitted when the 2D input is the ground truth")
    p.add_argument("--tables-dir", required=True, help="where the tables go (one folder per experiment)")
    p.add_argument("--figures-dir", required=True, help="where the figures go (one folder per experiment)")
    p.add_argument("--out", required=True, help="the report (Markdown), e.g. results/report.md")
    p.add_argument("--summary", default=None, help="also the headline numbers as JSON (DVC's metrics)")
    p.add_argument("--assembly-report", type=Path, default=None,
                   help="the assemble stage's record (.json), for keypoints detected on video")
    p.add_argument("--detector-history", type=Path, default=None, help="the fine-tuned CPN's history (.parquet)")
    p.add_argument("--video-figures", type=Path, nargs="*", default=[],
                   help="the render stage's sample frames (.png), one per subject")
    for kind, what in ROUTING_ARGUMENTS.items():
        p.add_argument(f"--routing-{kind}", type=Path, nargs="*", default=[],
                       help=f"{what}, one per experiment instance with routing, in the order of --summaries")
    for kind, what in ANIMATION_ARGUMENTS.items():
        p.add_argument(f"--animation-{kind}", type=Path, nargs="*", default=[],
                       help=f"the animate stage's {what.removeprefix('its ')}, one per experiment in name order")
    args = p.parse_args()
    params = _cli.load_params(args.params)
    routing = routing_files(params, {kind: getattr(args, f"routing_{kind}") for kind in ROUTING_ARGUMENTS})
    main(params, job_files(params, args.summaries, args.rows, args.histories), args.data_provenance,
         args.keypoints_report, args.tables_dir, args.figures_dir, args.out, args.summary, routing,
         detection_files(args.assembly_report, args.detector_history, args.video_figures),
         animation_files(params, {kind: getattr(args, f"animation_{kind}") for kind in ANIMATION_ARGUMENTS}))


if __name__ == "__main__":
    _cli.run(cli)
