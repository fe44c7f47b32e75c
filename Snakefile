# The action-based training study as one DAG: data -> 2D keypoints -> 16 training jobs per experiment
# (baseline + one model per action) -> evaluation -> report. `snakemake --cores N` from the repository
# root runs it; `--profile profiles/slurm` or `profiles/lsf` runs it on a cluster.
#
# Output paths (the convention every stage, rule, test and check relies on):
#   results/raw/synthetic/S*/MyPoseFeatures/D3_Positions/*.cdf   synthesize (data.source: synthetic)
#   results/figures/synthetic_motions.{png,svg}                   synthesize
#   results/data/data_3d_h36m.npz, data_2d_h36m_gt.npz            prepare
#   results/data/data_2d_h36m_<source>.npz, keypoints_<source>.json   keypoints (source != gt)
#   results/models/<experiment>/<model>.pt                        train; <model> = baseline | Directions | ... | WalkTogether
#   results/logs/<experiment>/<model>.parquet                     train: one row per epoch
#   results/metrics/<experiment>/<model>.parquet|.json            evaluate: per sequence and camera | summary
#   results/tables/<experiment>/table{1,1b,2,3,4}_*.{md,csv,tex}  report: per experiment
#   results/tables/table{1,1b,2}_*.{md,csv,tex}                   report: all experiments
#   results/figures/<experiment>/*, results/figures/overview_avg.*  report
#   results/report.md                                             report
#   results/logs/snakemake/<rule>/...log                          each job's stdout and stderr
#   results/benchmarks/<rule>/<experiment>/<model>.tsv            Snakemake's benchmark of train and evaluate

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "params.yaml"


validate(config, "schemas/params.schema.yaml")


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/keypoints.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"
include: "rules/report.smk"


localrules:
    all,


rule all:
    default_target: True
    input:
        final_outputs(),
