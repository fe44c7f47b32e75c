# Helpers of the rules: the data set, the experiment grid, the model names, the files each rule reads and
# writes, the parameters each stage receives and the code each stage runs.

import json
import re
import shlex
from functools import cache
from pathlib import Path

from poselift.codegraph import import_closure
from poselift.datasets import get_dataset
from poselift.datasets.synthetic import embedded
from poselift.keypoints.assembly import VIDEO_DETECTORS
from poselift.keypoints.custom import read_custom
from poselift.io.figures import FIGURE_FORMATS
from poselift.study.detection import DETECTION_TABLES, FINETUNE_FIGURE
from poselift.study.models import models
from poselift.study.params import experiment_instances, experiment_settings, job_settings_of
from poselift.study.report import (EXPERIMENT_FIGURES, ROUTING_FIGURES, ROUTING_TABLES, TABLE_FORMATS,
                                   combined_figure_names, table_names)

DATASET = get_dataset(config["data"]["dataset"])
EXPERIMENTS = sorted(config["experiments"])  # the experiments, in name order (the order the report pairs files in)
# Every experiment's instances: the experiment itself, then its replicates "<experiment>@k" (train.replicates);
# the jobs of an instance are those of an experiment, with seeds from the instance's name.
INSTANCES = [instance for experiment in EXPERIMENTS for instance in experiment_instances(config, experiment)]
# Instances whose experts are also scored without test labels (train.routing): the classifier and route jobs.
ROUTED = [instance for instance in INSTANCES if experiment_settings(config, instance)["routing"]]
MODELS = list(models(DATASET))
EXPERIMENT_SETTINGS = [experiment_settings(config, experiment) for experiment in EXPERIMENTS]
EXPERIMENT_TABLES, COMBINED_TABLES = table_names(config["report"], EXPERIMENT_SETTINGS)
COMBINED_FIGURES = combined_figure_names(EXPERIMENT_SETTINGS)  # the labelled-data curve's, when there is one

DATA_SOURCE = config["data"]["source"]
KEYPOINTS_SOURCE = config["keypoints"]["source"]

# The default study writes to results/, any other (params `study`) to results/<study>/.
RESULTS = "results" if config["study"] == "default" else f"results/{config['study']}"
SYNTHETIC_RAW = f"{RESULTS}/raw/synthetic"
SYNTHETIC_FIGURE = f"{RESULTS}/figures/synthetic_motions.png"
SYNTHETIC_FIGURE_SVG = f"{RESULTS}/figures/synthetic_motions.svg"
DATA_3D = f"{RESULTS}/data/data_3d_{DATASET.name}.npz"
DATA_2D_GT = f"{RESULTS}/data/data_2d_{DATASET.name}_gt.npz"
DATA_PROVENANCE = f"{RESULTS}/data/prepare.json"  # what prepare read, and the sha256 of what it wrote
# Training and evaluation input; `gt` is prepare's own output (no keypoints job).
DATA_2D = f"{RESULTS}/data/data_2d_{DATASET.name}_{KEYPOINTS_SOURCE}.npz"
KEYPOINTS_REPORT = f"{RESULTS}/data/keypoints_{KEYPOINTS_SOURCE}.json"
JOB_LOGS = f"{RESULTS}/logs"  # each job's stdout and stderr: logs/<rule>/...
# Keypoints detected on video (rules/video.smk): keypoints.source names the detector.
VIDEO_ROOT = f"{RESULTS}/video" if config["video"]["source"] == "render" else config["video"]["path"]
BOXES_ROOT = f"{RESULTS}/boxes/maskrcnn"  # one folder per subject and camera, in the data set's boxes layout
DETECTIONS = f"{RESULTS}/detections/{KEYPOINTS_SOURCE}"  # <subject>.<camera>.npz per detection job
ASSEMBLED_2D = f"{DETECTIONS}/data_2d_{DATASET.name}_{KEYPOINTS_SOURCE}.npz"
CPN_CHECKPOINT = f"{RESULTS}/detectors/cpn.pt"  # finetune_cpn's (when detect.cpn_weights is null)
CPN_HISTORY = f"{RESULTS}/detectors/cpn_history.parquet"  # and its history, per epoch
ASSEMBLY_REPORT = f"{DETECTIONS}/assemble.json"  # assemble's record: frames filled per video
VIDEO_FIGURES = f"{RESULTS}/figures/video"  # render's <subject>.png; the report's fine-tuning figure
VIDEO_TABLES = f"{RESULTS}/tables/video"  # the report's tables of keypoints detected on video
FINETUNED = KEYPOINTS_SOURCE == "cpn" and not config["detect"]["cpn_weights"]  # CPN fine-tuned by the study
BENCHMARKS = f"{RESULTS}/benchmarks"

ENV = "../envs/pipeline.yaml"  # relative to rules/
CODE_ROOTS = {"stages": Path("stages"), "poselift": Path("src/poselift")}  # where the project's modules are


wildcard_constraints:
    experiment="|".join(re.escape(name) for name in INSTANCES),
    model="|".join(MODELS),


def experiment_tables(experiment):
    """The stems of an experiment's tables: Tables 1-6, and 7-8 when it has routing."""
    routed = experiment_settings(config, experiment)["routing"]
    return [*EXPERIMENT_TABLES, *(ROUTING_TABLES if routed else ())]


def experiment_figures(experiment):
    """The stems of an experiment's figures: Figures 5-6, and 7-8 when it has routing."""
    routed = experiment_settings(config, experiment)["routing"]
    return [*EXPERIMENT_FIGURES, *(ROUTING_FIGURES if routed else ())]


def final_outputs():
    """The default target: every output of the report (asking for report.md alone would not do: Snakemake
    then checks only that file, and a new experiment's tables and figures, which it has no record of, would
    not make the report rerun), and the figure of the embedded data set when it is used."""
    outputs = list(rules.report.output)
    if DATA_SOURCE == "synthetic":
        outputs.append(SYNTHETIC_FIGURE)
    return outputs


def existing(path, parameter):
    """`path` of a parameter, which must exist: Snakemake would take the outputs of a job whose input is
    missing (and that no rule makes) for up to date, and a changed path would rerun nothing."""
    if not Path(path).exists():
        raise ValueError(f"{parameter} is {path!r}, which does not exist")
    return path


def data_source():
    """prepare's input: the generated data set's directory, or the user's data (`data.path`)."""
    if DATA_SOURCE == "synthetic":
        return SYNTHETIC_RAW
    if not config["data"]["path"]:
        raise ValueError(f"data.source is {DATA_SOURCE!r}: set data.path to the {DATASET.title} data")
    return existing(config["data"]["path"], f"data.path (data.source {DATA_SOURCE})")


def data_gt_2d():
    """prepare's ground-truth 2D input: the user's file (`data.gt_2d_path`) where one is given."""
    path = config["data"]["gt_2d_path"]
    return [] if DATA_SOURCE == "synthetic" or path is None else [existing(path, "data.gt_2d_path")]


def prepare_arguments(wildcards, input):
    """prepare's `--source` (and `--gt-2d`) from its inputs: inside the generated directory for the
    embedded data set, the user's files otherwise."""
    if DATA_SOURCE == "synthetic":
        source, gt_2d = embedded(DATASET.key).sources(Path(input.source))
    else:
        source, gt_2d = input.source, (input.gt_2d[0] if input.gt_2d else None)
    return " ".join(f"--{name} {shlex.quote(str(path))}" for name, path in (("source", source), ("gt-2d", gt_2d))
                    if path is not None)


def imported_detections():
    """The VideoPose3D detection file an imported keypoints source reads (none for noisy): the user's, or
    the one assembled from the detections on video."""
    if KEYPOINTS_SOURCE == "noisy":
        return []
    if KEYPOINTS_SOURCE in VIDEO_DETECTORS:
        return [ASSEMBLED_2D]
    if not config["keypoints"]["import_path"]:
        raise ValueError(
            f"keypoints.source is {KEYPOINTS_SOURCE!r}: set keypoints.import_path to VideoPose3D's "
            f"data_2d_h36m_{KEYPOINTS_SOURCE}.npz"
        )
    parameter = f"keypoints.import_path (keypoints.source {KEYPOINTS_SOURCE})"
    return [existing(config["keypoints"]["import_path"], parameter)]


def detection_records():
    """The report's records of keypoints detected on video, each where the study makes it: assemble's record,
    the fine-tuned CPN's history, render's sample frames (one per subject)."""
    detected = KEYPOINTS_SOURCE in VIDEO_DETECTORS
    rendered = detected and config["video"]["source"] == "render"
    return {"assembly": [ASSEMBLY_REPORT] if detected else [],
            "detector_history": [CPN_HISTORY] if FINETUNED else [],
            "video_figures": [f"{VIDEO_FIGURES}/{s}.png" for s in config["data"]["subjects"]] if rendered else []}


def detection_outputs():
    """The report's tables (md, csv, tex) and fine-tuning figure (png, svg) of keypoints detected on video."""
    if KEYPOINTS_SOURCE not in VIDEO_DETECTORS:
        return [], []
    names = DETECTION_TABLES if FINETUNED else DETECTION_TABLES[:1]  # the second: the fine-tuning history
    figures = [f"{VIDEO_FIGURES}/{FINETUNE_FIGURE}.{fmt}" for fmt in FIGURE_FORMATS] if FINETUNED else []
    return [f"{VIDEO_TABLES}/{name}.{fmt}" for name in names for fmt in TABLE_FORMATS], figures


def stage_params(*sections, **replaced):
    """Inline JSON of exactly the params sections a stage reads: Snakemake's params trigger then reruns
    a job only when one of its own parameters changed."""
    params = {name: config[name] for name in sections}
    params.update(replaced)
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


def job_settings(wildcards):
    """A job's `--settings`: its experiment's training settings (the `train` defaults merged with the
    experiment's overrides, without replicates and routing, which decide the jobs, not what they do), so a
    change to one experiment reruns only its jobs."""
    settings = job_settings_of(experiment_settings(config, wildcards.experiment))
    return json.dumps(settings, sort_keys=True, separators=(",", ":"))


def experiment_threads(wildcards):
    return experiment_settings(config, wildcards.experiment)["threads"]


@cache
def stage_code(stage):
    """The Python files a stage runs: its module and every project module it imports, transitively.

    Snakemake's code trigger sees only a rule's own text, not what the stage imports; listing these
    files as inputs makes a change to the library rerun exactly the jobs that run it. A missing stage
    module is still listed, so that Snakemake names it.
    """
    files = import_closure(["stages", f"stages.{stage}"], CODE_ROOTS)
    return sorted({f"stages/{stage}.py", *map(str, files)})


def subject_videos(wildcards):
    """A subject's videos: its render job's folder, or the data set's video root."""
    if config["video"]["source"] == "render":
        return f"{VIDEO_ROOT}/{wildcards.subject}"
    return VIDEO_ROOT


def finetune_videos():
    """The videos finetune_cpn reads: the render folders of its subjects, or the data set's video root."""
    if config["video"]["source"] == "render":
        subjects = [*config["finetune"]["subjects_train"], *config["finetune"]["subjects_test"]]
        return [f"{VIDEO_ROOT}/{subject}" for subject in subjects]
    return [VIDEO_ROOT]


def detect_inputs(wildcards):
    """A detection job's videos, and its CPN checkpoint and Mask R-CNN boxes, or Keypoint R-CNN weights."""
    inputs = {"videos": subject_videos(wildcards)}
    if KEYPOINTS_SOURCE == "cpn":
        weights = config["detect"]["cpn_weights"]
        inputs["cpn"] = existing(weights, "detect.cpn_weights") if weights else CPN_CHECKPOINT
        if config["detect"]["boxes"] == "maskrcnn":
            inputs["boxes"] = f"{BOXES_ROOT}/{wildcards.subject}.{wildcards.camera}"
    elif config["detect"]["keypointrcnn_weights"]:
        inputs["weights"] = existing(config["detect"]["keypointrcnn_weights"], "detect.keypointrcnn_weights")
    return inputs


def detect_arguments(wildcards, input):
    """The detect stage's --cpn and --boxes-root, from its inputs."""
    args = []
    if "cpn" in input.keys():
        args.append(f"--cpn {shlex.quote(input.cpn)}")
    if "boxes" in input.keys():
        args.append(f"--boxes-root {shlex.quote(input.boxes)}")
    return " ".join(args)


# The in-the-wild route (rules/wild.smk).
WILD = f"{RESULTS}/wild"  # <name>/: the route's outputs per video; demo/: the demonstration take and its truth
WILD_DEMO = f"{WILD}/demo/input"  # .mp4, .boxes.npz, .truth.npy
WILD_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm")


@cache
def wild_videos():
    """name -> what a lift_wild job reads: `video` (a path, or None) and, for a custom-data 2D file, `keypoints`
    (its path) and `video_name` (the video's name in it). wild.videos' files and the videos in its folders are
    named by their stem; a custom-data file (`.npz`, ours or VideoPose3D's) gives one job per video in it, named
    `<file stem>.<video stem>`, with the video itself as background when it lies beside the file. The
    demonstration take when the list is empty. Read when a wild job is planned: a bad entry does not stop the
    study's own target."""
    if not config["wild"]["videos"]:
        return {"demo": {"video": f"{WILD_DEMO}.mp4"}}
    found = {}

    def add(name, entry, origin):
        if name in found:
            raise ValueError(f"wild.videos: two inputs named {name!r}: {found[name]['origin']} and {origin}")
        found[name] = {**entry, "origin": str(origin)}

    for item in config["wild"]["videos"]:
        path = Path(item)
        if path.suffix == ".npz" and path.is_file():
            for video_name in read_custom(path)[0]:
                beside = path.parent / video_name
                add(f"{path.stem}.{Path(video_name).stem}", {"video": str(beside) if beside.is_file() else None,
                    "keypoints": str(path), "video_name": video_name}, path)
            continue
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in WILD_SUFFIXES)
            if not files:
                raise ValueError(f"wild.videos: folder {path} holds no video ({', '.join(WILD_SUFFIXES)})")
        elif path.is_file():
            files = [path]
        else:
            raise ValueError(f"wild.videos: {path} is neither a video file, a custom-data .npz nor a folder")
        for file in files:
            add(file.stem, {"video": str(file)}, file)
    return found



def wild_boxes(name):
    """The boxes file of a video (wild.boxes file, CPN): the demonstration's own, or `<stem>.boxes.npz` beside it."""
    video = Path(wild_videos()[name]["video"])
    return str(video.with_name(f"{video.stem}.boxes.npz"))


def wild_cpn():
    weights = config["wild"]["cpn_weights"] or config["detect"]["cpn_weights"]
    if weights:
        return existing(weights, "wild.cpn_weights" if config["wild"]["cpn_weights"] else "detect.cpn_weights")
    if FINETUNED:
        return CPN_CHECKPOINT
    raise ValueError("wild.detector is cpn but there is no CPN: set wild.cpn_weights (or detect.cpn_weights), or "
                     "run the route in a study that fine-tunes one (keypoints.source cpn, e.g. params/video.yaml)")


def wild_checkpoint():
    if config["wild"]["checkpoint"]:
        return existing(config["wild"]["checkpoint"], "wild.checkpoint")
    experiment = config["wild"]["experiment"] or EXPERIMENTS[0]
    if experiment not in INSTANCES or config["wild"]["model"] not in MODELS:
        raise ValueError(f"wild.experiment {experiment!r} / wild.model {config['wild']['model']!r}: the study has "
                         f"experiments {', '.join(INSTANCES)} and models {', '.join(MODELS)}")
    return f"{RESULTS}/models/{experiment}/{config['wild']['model']}.pt"


def wild_inputs(wildcards):
    entry = wild_videos()[wildcards.name]
    inputs = {"code": stage_code("wild"), "checkpoint": wild_checkpoint()}
    if entry["video"]:
        inputs["video"] = entry["video"]
    if "keypoints" in entry:
        inputs["keypoints"] = entry["keypoints"]
    elif config["wild"]["detector"] == "cpn":
        inputs["cpn"] = wild_cpn()
        if config["wild"]["boxes"] == "file":
            inputs["boxes"] = wild_boxes(wildcards.name)
        else:
            inputs["weights"] = existing(config["detect"]["maskrcnn_weights"] or "", "detect.maskrcnn_weights")
    else:
        inputs["weights"] = existing(config["detect"]["keypointrcnn_weights"] or "", "detect.keypointrcnn_weights")
    if not config["wild"]["videos"]:
        inputs["truth"] = f"{WILD_DEMO}.truth.npy"
    return inputs


def wild_arguments(wildcards, input):
    optional = {flag: input.get(key) for flag, key in (("--video", "video"), ("--keypoints", "keypoints"),
                                                        ("--cpn", "cpn"), ("--boxes", "boxes"), ("--truth", "truth"))}
    optional["--video-name"] = wild_videos()[wildcards.name].get("video_name")
    return " ".join(f"{flag} {shlex.quote(value)}" for flag, value in optional.items() if value)


def wild_outputs():
    outputs = []
    for name in wild_videos():
        outputs += [f"{WILD}/{name}/animation.mp4", f"{WILD}/{name}/wild.json"]
        if config["wild"]["animation"]["gif"]:
            outputs.append(f"{WILD}/{name}/animation.gif")
    return outputs
