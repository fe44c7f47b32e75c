# Report: Tables 1-4 and figures of every experiment, and one readable page, from metrics and training histories only.


DETECTION_OUTPUTS = detection_outputs()  # tables, figures


rule report:
    input:
        code=stage_code("report"),
        # experiments in name order, then models: the order the report stage pairs them in
        # experiments in name order, each one's instances (replicates) in order, then models: the order the
        # report stage pairs them in
        summaries=expand(rules.evaluate.output.summary, experiment=INSTANCES, model=MODELS),
        rows=expand(rules.evaluate.output.rows, experiment=INSTANCES, model=MODELS),
        histories=expand(rules.train.output.history, experiment=INSTANCES, model=MODELS),
        # the instances with routing, in the same order
        routing_summary=expand(rules.route.output.summary, experiment=ROUTED),
        routing_routes=expand(rules.route.output.routing, experiment=ROUTED),
        routing_transfer=expand(rules.route.output.transfer, experiment=ROUTED),
        routing_classification=expand(rules.route.output.classification, experiment=ROUTED),
        routing_history=expand(rules.train_classifier.output.history, experiment=ROUTED),
        # every experiment's test predictions shown (its first instance), in name order: linked from its section
        animation_record=expand(rules.animate.output.record, experiment=EXPERIMENTS),
        animation_mp4=expand(rules.animate.output.mp4, experiment=EXPERIMENTS),
        animation_gif=expand(rules.animate.output.gif, experiment=EXPERIMENTS),
        animation_figure=expand(rules.animate.output.figure, experiment=EXPERIMENTS),
        provenance=DATA_PROVENANCE,  # what the 3D data are, checked against every evaluation
        keypoints=[] if KEYPOINTS_SOURCE == "gt" else [KEYPOINTS_REPORT],  # what the 2D input is (gt: prepare's)
        **detection_records(),  # keypoints detected on video: assemble's record, CPN's history, sample frames
    output:
        report=report(f"{RESULTS}/report.md", caption="../report/report_md.rst", category="Report"),
        summary=f"{RESULTS}/summary.json",  # headline numbers: DVC's metrics
        # every table and figure as a file: Snakemake 9 plans no jobs for an added experiment when this rule
        # has a directory output (as well as changed params and new outputs); CSV and PNG go to its HTML report
        tables=[report(f"{RESULTS}/tables/{experiment}/{name}.csv", caption="../report/tables.rst",
                       category="Tables", subcategory=experiment)
                for experiment in EXPERIMENTS for name in experiment_tables(experiment)],
        tables_md_tex=[f"{RESULTS}/tables/{experiment}/{name}.{fmt}" for experiment in EXPERIMENTS
                       for name in experiment_tables(experiment) for fmt in ("md", "tex")],
        combined_tables=expand(f"{RESULTS}/tables/{{name}}.{{fmt}}", name=COMBINED_TABLES, fmt=TABLE_FORMATS),
        figures=[report(f"{RESULTS}/figures/{experiment}/{name}.png", caption="../report/figures.rst",
                        category="Figures", subcategory=experiment)
                 for experiment in EXPERIMENTS for name in experiment_figures(experiment)],
        figures_svg=[f"{RESULTS}/figures/{experiment}/{name}.svg" for experiment in EXPERIMENTS
                     for name in experiment_figures(experiment)],
        overview=report(multiext(f"{RESULTS}/figures/overview_avg", ".png", ".svg"),
                        caption="../report/overview.rst", category="Figures"),
        combined_figures=[report(f"{RESULTS}/figures/{name}.png", caption=f"../report/{name}.rst", category="Figures")
                          for name in COMBINED_FIGURES],
        combined_figures_svg=[f"{RESULTS}/figures/{name}.svg" for name in COMBINED_FIGURES],
        detection_tables=DETECTION_OUTPUTS[0],
        detection_figures=DETECTION_OUTPUTS[1],
    params:
        json=stage_params("report", "train", "experiments", "keypoints", "data"),  # data: names the data set
        routing=lambda wildcards, input: " ".join(
            f"--routing-{kind} " + " ".join(shlex.quote(p) for p in input[f"routing_{kind}"])
            for kind in ("summary", "routes", "transfer", "classification", "history") if input[f"routing_{kind}"]),
        animations=lambda wildcards, input: " ".join(
            f"--animation-{kind} " + " ".join(shlex.quote(p) for p in input[f"animation_{kind}"])
            for kind in ("record", "mp4", "gif", "figure")),
        tables_dir=lambda wildcards, output: Path(output.combined_tables[0]).parent,
        keypoints=lambda wildcards, input: " ".join(f"--keypoints-report {shlex.quote(p)}" for p in input.keypoints),
        detection=lambda wildcards, input: " ".join(
            f"--{flag} " + " ".join(shlex.quote(p) for p in input[kind])
            for kind, flag in (("assembly", "assembly-report"), ("detector_history", "detector-history"),
                               ("video_figures", "video-figures")) if input[kind]),
        figures_dir=lambda wildcards, output: Path(output.overview[0]).parent,
    log:
        f"{JOB_LOGS}/report.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        ENV
    shell:
        "python -m stages.report --params {params.json:q}"
        " --summaries {input.summaries:q} --rows {input.rows:q} --histories {input.histories:q}"
        " --data-provenance {input.provenance:q} {params.keypoints} {params.detection} {params.routing}"
        " {params.animations}"
        " --tables-dir {params.tables_dir:q} --figures-dir {params.figures_dir:q} --out {output.report:q}"
        " --summary {output.summary:q} > {log:q} 2>&1"
