# 2D keypoints detected on video (keypoints.source cpn or keypointrcnn): the 3D poses rendered to video (one
# render job per subject), or the data set's videos under video.path; person boxes (the data set's, or
# Mask R-CNN's: one boxes job per subject and camera); one detection job per subject and camera; their
# assembly into VideoPose3D's 2D file, which the keypoints rule imports. CPN is detect.cpn_weights, or, when
# that is null, the CPN that finetune_cpn trains on the videos of finetune.subjects_train.

if KEYPOINTS_SOURCE in VIDEO_DETECTORS:
    VIDEO_SUBJECTS = list(config["data"]["subjects"])
    CAMERA_IDS = list(DATASET.camera_ids)

    wildcard_constraints:
        subject="|".join(re.escape(s) for s in VIDEO_SUBJECTS),
        camera="|".join(CAMERA_IDS),

    if config["video"]["source"] == "path":
        if not config["video"]["path"]:
            raise ValueError(f"keypoints.source is {KEYPOINTS_SOURCE!r} on video.source path: set video.path")
        existing(VIDEO_ROOT, "video.path")

    if config["video"]["source"] == "render":

        rule render:
            input:
                code=stage_code("render"),
                data_3d=DATA_3D,
            output:
                videos=directory(f"{VIDEO_ROOT}/{{subject}}"),
                figure=f"{VIDEO_FIGURES}/{{subject}}.png",
            params:
                json=stage_params("seed", "data", "render"),
            log:
                f"{JOB_LOGS}/render/{{subject}}.log",
            threads: 1
            resources:
                mem_mb=4000,
                runtime=120,
            conda:
                ENV
            shell:
                "python -m stages.render --params {params.json:q} --data-3d {input.data_3d:q}"
                " --subject {wildcards.subject} --out-root {VIDEO_ROOT:q} --figure {output.figure:q} > {log:q} 2>&1"

    if KEYPOINTS_SOURCE == "cpn" and config["detect"]["boxes"] == "maskrcnn":

        rule boxes:
            input:
                code=stage_code("boxes"),
                data_3d=DATA_3D,
                videos=subject_videos,
                weights=existing(config["detect"]["maskrcnn_weights"] or "", "detect.maskrcnn_weights"),
            output:
                boxes=directory(f"{BOXES_ROOT}/{{subject}}.{{camera}}"),
            params:
                json=stage_params("data", "detect"),
            log:
                f"{JOB_LOGS}/boxes/{{subject}}.{{camera}}.log",
            threads: lambda wildcards: config["detect"]["threads"]
            resources:
                mem_mb=8000,
                runtime=120,
                gpu=1,
            conda:
                ENV
            shell:
                "python -m stages.boxes --params {params.json:q} --data-3d {input.data_3d:q}"
                " --subject {wildcards.subject} --camera {wildcards.camera} --video-root {VIDEO_ROOT:q}"
                " --out-root {output.boxes:q} > {log:q} 2>&1"

    if KEYPOINTS_SOURCE == "cpn" and not config["detect"]["cpn_weights"]:

        rule finetune_cpn:
            input:
                code=stage_code("finetune_cpn"),
                data_3d=DATA_3D,
                videos=finetune_videos(),
                init=[existing(config["finetune"]["init_weights"], "finetune.init_weights")]
                if config["finetune"]["init_weights"] else [],
            output:
                checkpoint=CPN_CHECKPOINT,
                history=CPN_HISTORY,
            params:
                json=stage_params("seed", "data", "finetune"),
            log:
                f"{JOB_LOGS}/finetune_cpn.log",
            threads: lambda wildcards: config["finetune"]["threads"]
            resources:
                mem_mb=16000,
                runtime=720,
                gpu=1,
            conda:
                ENV
            shell:
                "python -m stages.finetune_cpn --params {params.json:q} --data-3d {input.data_3d:q}"
                " --video-root {VIDEO_ROOT:q} --checkpoint {output.checkpoint:q} --history {output.history:q}"
                " > {log:q} 2>&1"

    rule detect:
        input:
            unpack(detect_inputs),
            code=stage_code("detect"),
            data_3d=DATA_3D,
        output:
            detections=f"{DETECTIONS}/{{subject}}.{{camera}}.npz",
        params:
            json=stage_params("data", "detect"),
            arguments=detect_arguments,
        log:
            f"{JOB_LOGS}/detect/{KEYPOINTS_SOURCE}/{{subject}}.{{camera}}.log",
        threads: lambda wildcards: config["detect"]["threads"]
        resources:
            mem_mb=8000,
            runtime=60,
            gpu=1,
        conda:
            ENV
        shell:
            "python -m stages.detect --params {params.json:q} --detector {KEYPOINTS_SOURCE} --data-3d {input.data_3d:q}"
            " --subject {wildcards.subject} --camera {wildcards.camera} --video-root {VIDEO_ROOT:q}"
            " {params.arguments} --out {output.detections:q} > {log:q} 2>&1"

    rule assemble:
        input:
            code=stage_code("assemble"),
            detections=expand(f"{DETECTIONS}/{{subject}}.{{camera}}.npz", subject=VIDEO_SUBJECTS, camera=CAMERA_IDS),
        output:
            data_2d=ASSEMBLED_2D,
            report=ASSEMBLY_REPORT,
        params:
            json=stage_params("data"),
        log:
            f"{JOB_LOGS}/assemble/{KEYPOINTS_SOURCE}.log",
        threads: 1
        resources:
            mem_mb=4000,
            runtime=30,
        conda:
            ENV
        shell:
            "python -m stages.assemble --params {params.json:q} --detector {KEYPOINTS_SOURCE}"
            " --detections {input.detections:q}"
            " --out {output.data_2d:q} --report {output.report:q} > {log:q} 2>&1"
