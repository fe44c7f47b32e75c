# Training: one job per (experiment, model), model = baseline (all the study actions) or one action.


rule train:
    input:
        code=stage_code("train"),
        data_3d=DATA_3D,
        data_2d=DATA_2D,
    output:
        checkpoint=f"{RESULTS}/models/{{experiment}}/{{model}}.pt",
        history=f"{RESULTS}/history/{{experiment}}/{{model}}.parquet",
    params:
        json=stage_params("seed", "data", "evaluate"),
        settings=job_settings,
    log:
        f"{JOB_LOGS}/train/{{experiment}}/{{model}}.log",
    benchmark:
        f"{BENCHMARKS}/train/{{experiment}}/{{model}}.tsv"
    threads: experiment_threads
    retries: 1  # a job killed for memory gets a second attempt with twice the memory
    resources:
        mem_mb=lambda wildcards, attempt: 8000 * attempt,
        runtime=lambda wildcards, attempt: 120 * attempt,
        gpu=1,
    conda:
        ENV
    shell:
        "python -m stages.train --params {params.json:q} --settings {params.settings:q}"
        " --experiment {wildcards.experiment} --model {wildcards.model}"
        " --data-3d {input.data_3d:q} --data-2d {input.data_2d:q}"
        " --checkpoint {output.checkpoint:q} --history {output.history:q} > {log:q} 2>&1"
