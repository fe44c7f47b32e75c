"""The embedded synthetic data set: Human3.6M's structure, scripted motion, no real capture.

What it is. Seven subjects (S1, S5-S9, S11), each with Human3.6M S1's 30 sequences (15 actions, two
takes each), written as `D3_Positions` CDF files: the 32-joint skeleton in millimetres in the world
frame of the real capture room, 50 Hz, staged so that the real calibrated cameras of each subject see
every joint in every frame. Each pose comes from joint angles through forward kinematics of a
parametric body (bones rigid, per-subject stature 1.6-1.86 m and proportions), placed on the floor
(the lowest joint rests on it, chairs hold the seated), with supporting feet held still
(`footing`). One motion model per action (`motions`) scripts what is done: gait along
closed paths at action-specific speeds, sitting on a chair or the floor, hands to the mouth, ear or
eyes, pointing, waving, reaching, holding poses, shifting weight. Subjects differ in body, tempo,
gesture size and handedness; takes differ in their random script. Everything derives from the
root seed (`dataset`): same parameters, same poses.

The HumanEva-I version (`humaneva`) uses the same body and building blocks at 60 Hz for HumanEva-I's
three people and five actions (Jog, Box and ThrowCatch with models of their own, `humaneva_motions`),
staged in HumanEva-I's capture volume, and writes VideoPose3D's `data_3d_humaneva15.npz` and
`data_2d_humaneva15_gt.npz` as its conversion makes them (Train/Validate parts, chunks cut at simulated
mocap dropouts); its camera intrinsics are chosen, not HumanEva-I's.

What it can tell:
- whether the pipeline works end to end on data of Human3.6M's layout and formats (prepare,
  keypoints, training, evaluation, tables, report), and how long each part takes per frame;
- whether a method can use regularities that differ by action, because here they do by
  construction (speed, hip height, where the hands are, periodic or held), so a per-action model
  has something to specialise on;
- regressions: numbers from the same parameters must not change.

What it cannot tell:
- any accuracy on Human3.6M. MPJPE, MPJVE and their ranking across actions or methods measured here
  say nothing about the real data set and must not be reported as such;
- how hard real actions are: real motion is far richer (many more postures, idiosyncrasies, contact
  with objects and other people, soft tissue and marker noise); here an action is a small family
  of scripted postures with eased transitions, and its difficulty reflects how many the script has;
- generalisation across people: the subjects are one parametric body family, scaled and styled;
- anything about 2D detectors: the 2D inputs are projections of these poses, exact or with a noise
  model (keypoints stage), not detections in images;
- effects of sequence length or data volume at Human3.6M's scale: the default is 256 frames per
  sequence (Human3.6M has 1,000-6,000) and 53,760 poses in all, against about 0.53 M at 50 Hz.

Known simplifications: no joint limits beyond what the scripts use, no collision between limbs and
body, no balance or dynamics; chairs, the dog and the companion are not there; supporting feet may
still slide a few centimetres per second where a leg cannot reach its planted foot.
"""

from __future__ import annotations

from types import ModuleType

from poselift.datasets.synthetic import h36m, humaneva


def embedded(dataset_key: str) -> ModuleType:
    """The module writing a data set's embedded version: `write(seed, settings, directory)` (the files,
    and a sample sequence per action), `figure_camera(subject)`, `sources(directory)` (what `prepare` reads)."""
    writers = {"h36m": h36m, "humaneva": humaneva}
    try:
        return writers[dataset_key]
    except KeyError:
        raise ValueError(f"no embedded synthetic data set for {dataset_key!r}; known: {', '.join(writers)}") from None
