# The in-the-wild route (`snakemake wild`; not part of the default target): every video of wild.videos (files,
# or folders of them), or the demonstration take rendered by wild_demo when that list is empty, through
# person boxes and a 2D detector to 3D poses and an animation, one lift_wild job per video. The lifting
# checkpoint is wild.checkpoint or the study's wild.experiment / wild.model; the CPN is wild.cpn_weights,
# detect.cpn_weights, or the one finetune_cpn trains (keypoints.source cpn).

wildcard_constraints:
    name=r"[^/]+",


localrules:
    wild,


rule wild:
    input:
        lambda wildcards: wild_outputs(),


rule wild_demo:
    input:
        code=stage_code("wild_demo"),
    output:
        video=f"{WILD_DEMO}.mp4",
        boxes=f"{WILD_DEMO}.boxes.npz",
        truth=f"{WILD_DEMO}.truth.npy",
    params:
        json=stage_params("seed", "data", "render", "wild"),
    log:
        f"{JOB_LOGS}/wild_demo.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        ENV
    shell:
        "python -m stages.wild_demo --params {params.json:q} --video {output.video:q} --boxes {output.boxes:q}"
        " --truth {output.truth:q} > {log:q} 2>&1"


rule lift_wild:
    input:
        unpack(wild_inputs),
    output:
        custom=f"{WILD}/{{name}}/data_2d_custom_{{name}}.npz",
        prediction=f"{WILD}/{{name}}/prediction.npy",
        table=f"{WILD}/{{name}}/prediction.parquet",
        animation=f"{WILD}/{{name}}/animation.mp4",
        gif=[f"{WILD}/{{name}}/animation.gif"] if config["wild"]["animation"]["gif"] else [],
        record=f"{WILD}/{{name}}/wild.json",
    params:
        json=stage_params("data", "detect", "wild"),
        optional=wild_arguments,
        gif=lambda wildcards, output: f"--gif {shlex.quote(output.gif[0])}" if output.gif else "",
    log:
        f"{JOB_LOGS}/wild/{{name}}.log",
    threads: lambda wildcards: config["detect"]["threads"]
    resources:
        mem_mb=8000,
        runtime=60,
        gpu=1,
    conda:
        ENV
    shell:
        "python -m stages.wild --params {params.json:q} --checkpoint {input.checkpoint:q}"
        " {params.optional} {params.gif} --custom {output.custom:q} --prediction {output.prediction:q} --table {output.table:q}"
        " --animation {output.animation:q} --record {output.record:q} > {log:q} 2>&1"
