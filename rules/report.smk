# Report: Tables 1-4 and figures of every experiment, and one readable page, from metrics and logs only.


rule report:
    input:
        code=stage_code("report"),
        summaries=expand(rules.evaluate.output.summary, experiment=EXPERIMENTS, model=MODELS),
        rows=expand(rules.evaluate.output.rows, experiment=EXPERIMENTS, model=MODELS),
        histories=expand(rules.train.output.history, experiment=EXPERIMENTS, model=MODELS),
    output:
        report=report(f"{RESULTS}/report.md", caption="../report/report_md.rst", category="Report"),
        summary=f"{RESULTS}/summary.json",  # headline numbers: DVC's metrics
        tables=report(directory(f"{RESULTS}/tables"), patterns=["{experiment}/{table}.csv"],
                      caption="../report/tables.rst", category="Tables", subcategory="{experiment}"),
        figures=[report(directory(path), patterns=["{figure}.png"], caption="../report/figures.rst",
                        category="Figures", subcategory=Path(path).name)
                 for path in expand(f"{RESULTS}/figures/{{experiment}}", experiment=EXPERIMENTS)],
        overview=report(multiext(f"{RESULTS}/figures/overview_avg", ".png", ".svg"),
                        caption="../report/overview.rst", category="Figures"),
    params:
        json=stage_params("report", "train", "experiments", "keypoints", "data"),  # data: names the data set
        results=lambda wildcards, output: Path(output.report).parent,
        tables_dir=lambda wildcards, output: output.tables,
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
        "python -m stages.report --params {params.json:q} --results {params.results:q}"
        " --tables-dir {params.tables_dir:q} --figures-dir {params.figures_dir:q} --out {output.report:q}"
        " --summary {output.summary:q} > {log:q} 2>&1"
