# The action-based training study as one DAG: data -> 2D keypoints -> 16 training jobs per experiment
# (baseline + one model per action) -> evaluation -> report. `snakemake --cores N` from the repository
# root runs it; `--profile profiles/slurm` or `profiles/lsf` runs it on a cluster.
#
# Output paths (the convention every stage, rule, test and check relies on), under R = results/ for the
# default study and results/<study>/ for any other (params `study`); <dataset> is h36m or humaneva15:
#   R/raw/synthetic/...                                      synthesize (data.source: synthetic), the data set's raw layout
#   R/figures/synthetic_motions.{png,svg}                    synthesize
#   R/data/data_3d_<dataset>.npz, data_2d_<dataset>_gt.npz   prepare
#   R/data/data_2d_<dataset>_<source>.npz, keypoints_<source>.json   keypoints (source != gt)
#   R/models/<experiment>/<model>.pt                         train; <model> = baseline | one of the study actions
#   R/history/<experiment>/<model>.parquet                   train: the training history, one row per epoch
#   R/metrics/<experiment>/<model>.parquet|.json             evaluate: per sequence and camera | summary
#   R/models/<experiment>/classifier.pt, R/history/<experiment>/classifier.parquet   train_classifier (routing)
#   R/metrics/<experiment>/routing|transfer|classification.parquet, routing.json     route (routing)
#   R/animations/<experiment>/predictions.{mp4,gif,json}     animate: test predictions shown (and its record)
#   R/figures/<experiment>/predictions.{png,svg}             animate: their still figure
#   R/tables/<experiment>/table{1,1b,2,3,4}_*.{md,csv,tex}   report: per experiment
#   R/tables/table{1,1b,2}_*.{md,csv,tex}                    report: all experiments
#   R/tables/table9_labelled.*, R/figures/fig9_labelled.*    report: labelled-data curve (subset < 1 or semi_supervised)
#   R/figures/<experiment>/*, R/figures/overview_avg.*       report
#   R/report.md, R/summary.json                              report
#   (<experiment>: an experiment instance: the experiment, or its replicate k > 1, "<experiment>@k")
#   R/tables/<exp>/table{5,6,7,8}_*: by subject (report.by_subject), paired tests, routing, transfer matrix
#   R/boxes/maskrcnn/<subject>.<camera>/...                  boxes (keypoints.source cpn, detect.boxes maskrcnn)
#   R/detections/<source>/<subject>.<camera>.npz             detect (keypoints.source cpn | keypointrcnn, on video.path)
#   R/detections/<source>/data_2d_<dataset>_<source>.npz, assemble.json   assemble: VideoPose3D's 2D file
#   R/logs/<rule>/...log                                     each job's log (its stdout and stderr)
#   R/benchmarks/<rule>/<experiment>/<model>.tsv             Snakemake's benchmark of train and evaluate
#   R/wild/demo/input.{mp4,boxes.npz,truth.npy}              wild_demo (target wild, wild.videos empty): the take to lift
#   R/wild/<name>/data_2d_custom_<name>.npz, prediction.{npy,parquet}, animation.{mp4,gif}, wild.json   lift_wild

import yaml
from snakemake.utils import min_version, validate

from poselift.study.params import check_params

min_version("9.0")


configfile: "params.yaml"


# A grid file passed with --configfile runs its own experiments: where such files define `experiments`,
# those replace params.yaml's grid (every other section is merged key by key, as Snakemake does).
grids = [yaml.safe_load(open(path)) or {} for path in workflow.overwrite_configfiles or []]
if any("experiments" in grid for grid in grids):
    config["experiments"] = {name: settings for grid in grids for name, settings in grid.get("experiments", {}).items()}


validate(config, "schemas/params.schema.yaml")
check_params(config)  # what only the data set's description can tell: its subjects, actions, the split


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/video.smk"
include: "rules/keypoints.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"
include: "rules/route.smk"
include: "rules/animate.smk"
include: "rules/report.smk"
include: "rules/wild.smk"


localrules:
    all,


rule all:
    default_target: True
    input:
        final_outputs(),
