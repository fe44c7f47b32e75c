# 2D keypoints: the configured source (keypoints.source). `gt` is prepare's own output, so only the
# other sources (noisy, or detections imported from VideoPose3D's files) have a job here.

if KEYPOINTS_SOURCE != "gt":

    rule keypoints:
        input:
            code=stage_code("keypoints"),
            data_3d=DATA_3D,
            data_2d_gt=DATA_2D_GT,
            detections=imported_detections(),
        output:
            data_2d=DATA_2D,
            error_report=KEYPOINTS_REPORT,
        params:
            json=stage_params("seed", "data", "keypoints"),
            import_arg=" ".join(f"--import-path {shlex.quote(path)}" for path in imported_detections()),
        log:
            f"{JOB_LOGS}/keypoints/{KEYPOINTS_SOURCE}.log",
        threads: 1
        resources:
            mem_mb=4000,
            runtime=60,
        conda:
            ENV
        shell:
            "python -m stages.keypoints --params {params.json:q}"
            " --data-3d {input.data_3d:q} --data-2d-gt {input.data_2d_gt:q} {params.import_arg}"
            " --out {output.data_2d:q} --error-report {output.error_report:q} > {log:q} 2>&1"
