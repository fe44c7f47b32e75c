# The per-action experts without test labels (experiments with train.routing): an action classifier per
# experiment instance, then every expert scored on every test action, routed by the classifier.


rule train_classifier:
    input:
        code=stage_code("train_classifier"),
        data_3d=DATA_3D,
        data_2d=DATA_2D,
    output:
        checkpoint=f"{RESULTS}/models/{{experiment}}/classifier.pt",
        history=f"{RESULTS}/history/{{experiment}}/classifier.parquet",
    params:
        json=stage_params("seed", "data", "classifier", "evaluate"),
        settings=job_settings,
    log:
        f"{JOB_LOGS}/train_classifier/{{experiment}}.log",
    benchmark:
        f"{BENCHMARKS}/train_classifier/{{experiment}}.tsv"
    threads: experiment_threads
    retries: 1  # a job killed for memory gets a second attempt with twice the memory
    resources:
        mem_mb=lambda wildcards, attempt: 8000 * attempt,
        runtime=lambda wildcards, attempt: 120 * attempt,
        gpu=1,
    conda:
        ENV
    shell:
        "python -m stages.train_classifier --params {params.json:q} --settings {params.settings:q}"
        " --experiment {wildcards.experiment} --data-3d {input.data_3d:q} --data-2d {input.data_2d:q}"
        " --checkpoint {output.checkpoint:q} --history {output.history:q} > {log:q} 2>&1"


rule route:
    input:
        code=stage_code("route"),
        # baseline, then the study actions in order: the order the route stage pairs them with the models
        checkpoints=lambda wildcards: expand(rules.train.output.checkpoint, experiment=wildcards.experiment,
                                             model=MODELS),
        classifier=rules.train_classifier.output.checkpoint,
        data_3d=DATA_3D,
        data_2d=DATA_2D,
    output:
        routing=f"{RESULTS}/metrics/{{experiment}}/routing.parquet",
        transfer=f"{RESULTS}/metrics/{{experiment}}/transfer.parquet",
        classification=f"{RESULTS}/metrics/{{experiment}}/classification.parquet",
        summary=f"{RESULTS}/metrics/{{experiment}}/routing.json",
    params:
        json=stage_params("data", "classifier", "evaluate"),
        settings=job_settings,
    log:
        f"{JOB_LOGS}/route/{{experiment}}.log",
    benchmark:
        f"{BENCHMARKS}/route/{{experiment}}.tsv"
    threads: experiment_threads
    resources:
        mem_mb=16000,
        runtime=60,
        gpu=1,
    conda:
        ENV
    shell:
        "python -m stages.route --params {params.json:q} --settings {params.settings:q}"
        " --experiment {wildcards.experiment} --checkpoints {input.checkpoints:q} --classifier {input.classifier:q}"
        " --data-3d {input.data_3d:q} --data-2d {input.data_2d:q} --out-routing {output.routing:q}"
        " --out-transfer {output.transfer:q} --out-classification {output.classification:q}"
        " --out-summary {output.summary:q} > {log:q} 2>&1"
