# Test predictions shown: per experiment, the ground truth beside the baseline and each action's own model on
# one test sequence per action (params report.animation), an animation and a still figure for the report.


rule animate:
    input:
        code=stage_code("animate"),
        # baseline, then the study actions in order: the order the animate stage pairs them with the models
        checkpoints=lambda wildcards: expand(rules.train.output.checkpoint, experiment=wildcards.experiment,
                                             model=MODELS),
        data_3d=DATA_3D,
        data_2d=DATA_2D,
    output:
        mp4=report(f"{RESULTS}/animations/{{experiment}}/predictions.mp4", caption="../report/predictions.rst",
                   category="Test predictions", subcategory="{experiment}"),
        gif=report(f"{RESULTS}/animations/{{experiment}}/predictions.gif", caption="../report/predictions.rst",
                   category="Test predictions", subcategory="{experiment}"),
        record=f"{RESULTS}/animations/{{experiment}}/predictions.json",
        figure=report(f"{RESULTS}/figures/{{experiment}}/predictions.png", caption="../report/predictions.rst",
                      category="Test predictions", subcategory="{experiment}"),
        figure_svg=f"{RESULTS}/figures/{{experiment}}/predictions.svg",
    params:
        json=stage_params("data", "evaluate"),
        settings=job_settings,
        # report.animation alone, so that the report's other parameters do not rerun the animations
        animation=json.dumps(config["report"]["animation"], sort_keys=True, separators=(",", ":")),
        figure=lambda wildcards, output: Path(output.figure).with_suffix(""),
    log:
        f"{JOB_LOGS}/animate/{{experiment}}.log",
    benchmark:
        f"{BENCHMARKS}/animate/{{experiment}}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        ENV
    shell:
        "python -m stages.animate --params {params.json:q} --settings {params.settings:q}"
        " --animation {params.animation:q} --experiment {wildcards.experiment} --checkpoints {input.checkpoints:q}"
        " --data-3d {input.data_3d:q} --data-2d {input.data_2d:q} --out-mp4 {output.mp4:q}"
        " --out-gif {output.gif:q} --out-figure {params.figure:q} --out-record {output.record:q} > {log:q} 2>&1"
