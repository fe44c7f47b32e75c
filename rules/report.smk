# Report: Tables 1-4 and figures of every experiment, and one readable page, from metrics and training histories only.


rule report:
    input:
        code=stage_code("report"),
        # experiments in name order, then models: the order the report stage pairs them in
        summaries=expand(rules.evaluate.output.summary, experiment=sorted(EXPERIMENTS), model=MODELS),
        rows=expand(rules.evaluate.output.rows, experiment=sorted(EXPERIMENTS), model=MODELS),
        histories=expand(rules.train.output.history, experiment=sorted(EXPERIMENTS), model=MODELS),
        provenance=DATA_PROVENANCE,  # what the 3D data are, checked against every evaluation
        keypoints=[] if KEYPOINTS_SOURCE == "gt" else [KEYPOINTS_REPORT],  # what the 2D input is (gt: prepare's)
    output:
        report=report(f"{RESULTS}/report.md", caption="../report/report_md.rst", category="Report"),
        summary=f"{RESULTS}/summary.json",  # headline numbers: DVC's metrics
        # every table and figure as a file: Snakemake 9 plans no jobs for an added experiment when this rule
        # has a directory output (as well as changed params and new outputs); CSV and PNG go to its HTML report
        tables=[report(f"{RESULTS}/tables/{experiment}/{name}.csv", caption="../report/tables.rst",
                       category="Tables", subcategory=experiment)
                for experiment in EXPERIMENTS for name in EXPERIMENT_TABLES],
        tables_md_tex=expand(f"{RESULTS}/tables/{{experiment}}/{{name}}.{{fmt}}", experiment=EXPERIMENTS,
                             name=EXPERIMENT_TABLES, fmt=("md", "tex")),
        combined_tables=expand(f"{RESULTS}/tables/{{name}}.{{fmt}}", name=COMBINED_TABLES, fmt=TABLE_FORMATS),
        figures=[report(f"{RESULTS}/figures/{experiment}/{name}.png", caption="../report/figures.rst",
                        category="Figures", subcategory=experiment)
                 for experiment in EXPERIMENTS for name in EXPERIMENT_FIGURES],
        figures_svg=expand(f"{RESULTS}/figures/{{experiment}}/{{name}}.svg", experiment=EXPERIMENTS,
                           name=EXPERIMENT_FIGURES),
        overview=report(multiext(f"{RESULTS}/figures/overview_avg", ".png", ".svg"),
                        caption="../report/overview.rst", category="Figures"),
    params:
        json=stage_params("report", "train", "experiments", "keypoints", "data"),  # data: names the data set
        tables_dir=lambda wildcards, output: Path(output.combined_tables[0]).parent,
        keypoints=lambda wildcards, input: " ".join(f"--keypoints-report {shlex.quote(p)}" for p in input.keypoints),
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
        " --data-provenance {input.provenance:q} {params.keypoints}"
        " --tables-dir {params.tables_dir:q} --figures-dir {params.figures_dir:q} --out {output.report:q}"
        " --summary {output.summary:q} > {log:q} 2>&1"
