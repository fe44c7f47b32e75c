# Evaluation: each checkpoint on its own test actions (the baseline on all), per sequence and camera.


rule evaluate:
    input:
        code=stage_code("evaluate"),
        checkpoint=rules.train.output.checkpoint,
        data_3d=DATA_3D,
        data_2d=DATA_2D,
    output:
        rows=f"{RESULTS}/metrics/{{experiment}}/{{model}}.parquet",
        summary=f"{RESULTS}/metrics/{{experiment}}/{{model}}.json",
    params:
        json=stage_params("data", "evaluate"),
        settings=job_settings,
    log:
        f"{JOB_LOGS}/evaluate/{{experiment}}/{{model}}.log",
    benchmark:
        f"{BENCHMARKS}/evaluate/{{experiment}}/{{model}}.tsv"
    threads: experiment_threads
    resources:
        mem_mb=8000,
        runtime=60,
        gpu=1,
    conda:
        ENV
    shell:
        "python -m stages.evaluate --params {params.json:q} --settings {params.settings:q}"
        " --experiment {wildcards.experiment} --model {wildcards.model} --checkpoint {input.checkpoint:q}"
        " --data-3d {input.data_3d:q} --data-2d {input.data_2d:q}"
        " --out-rows {output.rows:q} --out-summary {output.summary:q} > {log:q} 2>&1"
