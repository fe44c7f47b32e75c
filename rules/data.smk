# 3D poses: the embedded synthetic data set in the data set's raw layout (when data.source is synthetic),
# then VideoPose3D's npz files.


rule synthesize:
    input:
        code=stage_code("synthesize"),
    output:
        raw=directory(SYNTHETIC_RAW),
        figure=report(SYNTHETIC_FIGURE, caption="../report/synthetic.rst", category="Data"),
        figure_svg=SYNTHETIC_FIGURE_SVG,  # written beside the PNG
    params:
        json=stage_params("seed", "data", "synthetic"),
    log:
        f"{JOB_LOGS}/synthesize.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        ENV
    shell:
        "python -m stages.synthesize --params {params.json:q}"
        " --out-dir {output.raw:q} --figure {output.figure:q} > {log:q} 2>&1"


rule prepare:
    input:
        code=stage_code("prepare"),
        source=data_source(),
        gt_2d=data_gt_2d(),
    output:
        data_3d=DATA_3D,
        data_2d_gt=DATA_2D_GT,
        provenance=DATA_PROVENANCE,
    params:
        json=stage_params("data"),
        sources=prepare_arguments,
    log:
        f"{JOB_LOGS}/prepare.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        ENV
    shell:
        "python -m stages.prepare --params {params.json:q} {params.sources}"
        " --out-3d {output.data_3d:q} --out-2d {output.data_2d_gt:q} --provenance {output.provenance:q}"
        " > {log:q} 2>&1"
