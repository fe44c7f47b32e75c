"""Stage `animate`: one experiment's test predictions shown, the ground truth beside the baseline and each
action's own model, on one test sequence per action.

The sequence of an action: of the experiment's first test subject (`subjects_test[0]`) and the camera
`report.animation.camera`, the first of the action's sequences in name order (its first sub-action). Each
of the experiment's checkpoints (the baseline and one per study action; 16 for Human3.6M) is read and checked
as the evaluate stage reads and checks it (trained as this experiment and model, on these data), then predicts
with `poselift.lifting.evaluation.predict` (test-time flip as params `evaluate.tta`): the baseline every
shown sequence, an action's model its own. A few sequences on one CPU thread: rendering is the cost.
Writes (every file atomically):
    --out-mp4, --out-gif  the animation (H.264 mp4 and GIF): the actions one after another, each
                          the frames `report.animation.frames` (every `step`-th) of the 2D input, ground
                          truth, baseline and own model
    --out-figure          <stem>.png and .svg: one 3D view per action at its middle frame shown, the ground
                          truth, the baseline and the action's model drawn over each other
    --out-record          JSON: what is shown (per action: subject, sequence, camera, frames), the settings,
                          and the checkpoints and data read (sha256)
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from poselift.datasets import Dataset
from poselift.geometry.layouts import Layout
from poselift.io.animation import Bones, write_animation
from poselift.io.atomic import file_record, write_json
from poselift.io.figures import save_figure
from poselift.io.formats import load_2d, load_3d
from poselift.lifting.evaluation import predict
from poselift.lifting.restore import pose_model
from poselift.lifting.sequences import Sequence, Symmetry, evaluation_sequences, layout_symmetry
from poselift.study import animations
from poselift.study.models import BASELINE, model_actions, models
from poselift.study.params import validate
from poselift.study.provenance import load_job_checkpoint
from stages import _cli

DEVICE = torch.device("cpu")  # a few sequences per model: no GPU is worth asking for


def check_checkpoints(checkpoints: Mapping[str, Path], experiment: str, dataset: Dataset) -> None:
    """ValueError naming the experiment and the models where a model of the experiment has no checkpoint or a
    checkpoint is of no model of the study; FileNotFoundError naming the model where its file does not exist."""
    names = models(dataset)
    missing = [m for m in names if m not in checkpoints]
    unknown = [m for m in checkpoints if m not in names]
    if missing or unknown:
        raise ValueError(f"animate {experiment}: " + "; ".join(
            [*([f"no checkpoint of model(s) {', '.join(missing)}"] if missing else []),
             *([f"checkpoint(s) of unknown model(s) {', '.join(unknown)}"] if unknown else [])])
            + f" (the experiment's models: {', '.join(names)})")
    for model, path in checkpoints.items():
        if not Path(path).is_file():
            raise FileNotFoundError(f"animate {experiment}/{model}: the checkpoint {path} does not exist")


def predictions(settings: dict, experiment: str, checkpoints: Mapping[str, Path], chosen: Mapping[str, Sequence],
                inputs: dict, data_2d: Path, layout: Layout, symmetry: Symmetry, dataset: Dataset, tta: bool,
                external: bool) -> dict[str, dict[str, np.ndarray]]:
    """action -> model (the baseline and the action's own) -> its prediction of the action's chosen
    sequence, (T, J_out, 3) metres, camera frame."""
    predicted: dict[str, dict[str, np.ndarray]] = {action: {} for action in chosen}
    for model, path in checkpoints.items():
        ckpt = load_job_checkpoint(path, settings, experiment, model, inputs, external)
        net = pose_model(ckpt, path, layout, data_2d, dataset, DEVICE)
        actions = model_actions(model, dataset)
        outputs = predict(net, [torch.from_numpy(chosen[a].poses_2d) for a in actions], symmetry, tta)
        for action, output in zip(actions, outputs, strict=True):
            predicted[action][model] = output.numpy()
    return predicted


def shown_sequences(params: dict, settings: dict, animation: dict, *, experiment: str,
                    checkpoints: Mapping[str, Path], data_3d: Path, data_2d: Path,
                    external: bool = False) -> tuple[list[animations.ShownSequence], Bones, dict]:
    """What is shown of every study action (in the data set's order), the 2D input's bones and the data read."""
    dataset = _cli.dataset_of(params)
    check_checkpoints(checkpoints, experiment, dataset)
    camera = animation["camera"]
    if camera >= len(dataset.camera_ids):
        raise ValueError(f"report.animation.camera is {camera}, but {dataset.title} has {len(dataset.camera_ids)} "
                         f"cameras (0 to {len(dataset.camera_ids) - 1})")
    inputs = {"data_3d": file_record(data_3d), "data_2d": file_record(data_2d)}
    positions_3d = load_3d(data_3d)
    positions_2d, metadata = load_2d(data_2d)
    layout, symmetry = layout_symmetry(metadata, dataset, str(data_2d))
    sequences = evaluation_sequences(settings, positions_3d, positions_2d, metadata, dataset.study_actions, dataset,
                                     str(data_3d), str(data_2d), params["data"]["expected_absent"])
    subject = settings["subjects_test"][0]
    chosen = animations.chosen_sequences(sequences, dataset.study_actions, subject, camera)
    predicted = predictions(settings, experiment, checkpoints, chosen, inputs, data_2d, layout, symmetry, dataset,
                            params["evaluate"]["tta"], external)
    shown = []
    for action, sequence in chosen.items():
        frames = animations.shown_frames(sequence.frames, animation["frames"], animation["step"],
                                         f"test sequence {subject} {sequence.action!r}")
        shown.append(animations.shown_sequence(action, sequence, dataset.cameras(subject)[camera],
                                               predicted[action][BASELINE], predicted[action][action], frames))
    return shown, animations.input_bones(layout, dataset), inputs


def main(params: dict, settings: dict, animation: dict, *, experiment: str, checkpoints: Mapping[str, Path],
         data_3d: Path, data_2d: Path, out_mp4: Path, out_gif: Path, out_figure: Path, out_record: Path,
         external: bool = False) -> None:
    """`params`: the sections `data` and `evaluate`; `settings`: the experiment's training settings;
    `animation`: params `report.animation`; `checkpoints`: model -> its checkpoint, every model of the
    experiment; `external`: show checkpoints not trained as this experiment's jobs."""
    start = time.perf_counter()
    torch.set_num_threads(1)
    dataset = _cli.dataset_of(params)
    shown, bones_2d, inputs = shown_sequences(params, settings, animation, experiment=experiment,
                                              checkpoints=checkpoints, data_3d=data_3d, data_2d=data_2d,
                                              external=external)
    bones_3d = Bones.from_skeleton(dataset.lifted_skeleton)
    frames = list(animations.animation(shown, bones_2d, bones_3d, tuple(animation["size"])))  # (H, W, 3) uint8 each
    write_animation(out_mp4, frames, animation["fps"], animation["crf"])
    write_animation(out_gif, frames, animation["fps"])
    sequence = shown[0].sequence
    title = (f"Test predictions of {experiment}: subject {sequence.subject}, camera {sequence.camera_id}, "
             "the first sub-action of each action")
    save_figure(animations.still_figure(shown, bones_3d, title), out_figure)
    record = {"stage": "animate", "experiment": experiment, "tta": params["evaluate"]["tta"],
              "animation": animation, "animation_frames": len(frames), "shown": animations.shown_record(shown),
              "checkpoints": {model: file_record(path) for model, path in checkpoints.items()}, "inputs": inputs}
    write_json(out_record, record)
    print(f"[{experiment}/animate] {len(frames)} frames of {len(shown)} actions, {out_mp4}, {out_gif}, "
          f"{out_figure}.png: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)


def animation_settings(params: dict, inline: str | None) -> dict:
    """`--animation` (inline JSON of params `report.animation`, checked against its schema) or, without it,
    the `report.animation` of the parameters file."""
    if inline is None:
        if "report" not in params:
            raise ValueError("without --animation, --params must hold the section 'report'")
        return params["report"]["animation"]
    animation = json.loads(inline)
    validate(animation, _cli.schema()["properties"]["report"]["properties"]["animation"])
    return animation


def cli(argv: list[str] | None = None) -> None:
    parser = _cli.job_parser(__doc__.split("\n\n")[0], model=False)
    parser.add_argument("--animation", default=None,
                        help="params report.animation as inline JSON (default: from --params)")
    parser.add_argument("--checkpoints", type=Path, nargs="+", required=True,
                        help="the experiment's checkpoints: baseline, then each study action in order")
    parser.add_argument("--external", action="store_true",
                        help="show checkpoints not trained as this experiment's jobs (VideoPose3D's, another's)")
    parser.add_argument("--out-mp4", type=Path, required=True, help="output: the animation (.mp4)")
    parser.add_argument("--out-gif", type=Path, required=True, help="output: the animation (.gif)")
    parser.add_argument("--out-figure", type=Path, required=True, help="output: the still figure's stem (.png, .svg)")
    parser.add_argument("--out-record", type=Path, required=True, help="output: what is shown (.json)")
    args = parser.parse_args(argv)

    def run() -> None:
        params = _cli.load_params(args.params)
        names = models(_cli.dataset_of(params))
        if len(args.checkpoints) != len(names):
            raise ValueError(f"animate {args.experiment}: {len(args.checkpoints)} checkpoints for the {len(names)} "
                             f"models {', '.join(names)}")
        main(params, _cli.job_settings(params, args.experiment, args.settings),
             animation_settings(params, args.animation), experiment=args.experiment,
             checkpoints=dict(zip(names, args.checkpoints, strict=True)), data_3d=args.data_3d, data_2d=args.data_2d,
             out_mp4=args.out_mp4, out_gif=args.out_gif, out_figure=args.out_figure, out_record=args.out_record,
             external=args.external)

    _cli.run(run)


if __name__ == "__main__":
    cli()
