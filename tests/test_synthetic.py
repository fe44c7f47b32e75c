"""The embedded synthetic data set (poselift.datasets.synthetic) and its stage: reproducible, physically plausible,
inside every camera's image, and with actions that differ the way the real ones do.

Measures are computed here from joint positions only (not with the generator's own helpers), on
the default seed; the thresholds hold with a wide margin for every seed tried while writing them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import cdflib
import numpy as np
import pytest

from poselift.datasets.h36m import H36M
from poselift.datasets.h36m.names import ACTIONS, raw_sequence_name
from poselift.datasets.h36m.raw import CDF_SUBDIR, read_pose_cdf
from poselift.datasets.h36m.skeleton import H36M_32
from poselift.datasets.synthetic import h36m as synthetic_h36m
from poselift.datasets.synthetic.dataset import generate_sequence, generate_subject, problems, subject_style
from poselift.datasets.synthetic.footing import drift_corrections
from poselift.datasets.synthetic.kinematics import ELBOW, KNEE, forward_kinematics, make_body, rot_x, rot_y, two_bone_ik
from poselift.datasets.synthetic.signals import cycle_curve, keyframes
from poselift.geometry.cameras import project_world_to_pixels
from stages import _cli
from stages import synthesize as synthesize_stage
from tests.conftest import data_params

ROOT = Path(__file__).resolve().parent.parent
SEED = 1234  # params.yaml's
FRAMES = 250  # 5 s at 50 Hz, like the default study's 256
SUBJECTS = ("S1", "S9")
NAME = {name: j for j, name in enumerate(H36M_32.names)}
FEET = [NAME[n] for n in ("RFoot", "RToe", "RToeSite", "LFoot", "LToe", "LToeSite")]
SEATED = ("Sitting", "Eating", "SittingDown")


@pytest.fixture(scope="module")
def dataset() -> dict[tuple[str, str], np.ndarray]:
    """(subject, sequence) -> poses (N, 32, 3), mm, for two subjects' 30 sequences."""
    return {(s, name): poses for s in SUBJECTS for name, poses in generate_subject(SEED, s, FRAMES)}


def by_action(dataset, measure) -> dict[str, float]:
    """The mean of `measure(poses)` over every sequence of each action."""
    return {a: float(np.mean([measure(p) for (_, name), p in dataset.items() if H36M.is_action(name, a)]))
            for a in ACTIONS}


def root_speed(p: np.ndarray) -> float:
    """Mean horizontal speed of the pelvis, mm/s."""
    return float(np.linalg.norm(np.diff(p[:, 0, :2], axis=0), axis=1).mean() * 50)


def wrist_to_nose(p: np.ndarray) -> np.ndarray:
    """(N, 2) distances of the left and right wrist from the nose joint, mm."""
    nose = p[:, NAME["Neck/Nose"]]
    return np.stack([np.linalg.norm(p[:, NAME[w]] - nose, axis=-1) for w in ("LWrist", "RWrist")], axis=-1)


def hand_at_face(p: np.ndarray) -> float:
    """Share of frames with a wrist within 25 cm of the face."""
    return float((wrist_to_nose(p).min(axis=1) < 250).mean())


def trips_to_face(p: np.ndarray) -> float:
    """How often a wrist comes to the face (closer than 25 cm after being farther than 35 cm), per minute."""
    distance = wrist_to_nose(p).min(axis=1)
    near, trips = bool(distance[0] < 250), 0
    for d in distance[1:]:
        if not near and d < 250:
            near, trips = True, trips + 1
        elif near and d > 350:
            near = False
    return trips / (len(p) / 50 / 60)


def camera_at_eyes(p: np.ndarray) -> float:
    """Share of frames with both wrists at the face and not below it (a camera held to the eyes)."""
    both = wrist_to_nose(p).max(axis=1) < 250
    level = (p[:, NAME["LWrist"], 2] + p[:, NAME["RWrist"], 2]) / 2 > p[:, NAME["Neck/Nose"], 2] - 60
    return float((both & level).mean())


def hand_raised(p: np.ndarray) -> float:
    """Share of frames with a wrist 5 cm or more above the shoulders."""
    shoulders = np.maximum(p[:, NAME["LShoulder"], 2], p[:, NAME["RShoulder"], 2])
    return float((np.maximum(p[:, NAME["LWrist"], 2], p[:, NAME["RWrist"], 2]) > shoulders + 50).mean())


# --- reproducibility -----------------------------------------------------------------------------

def test_a_sequence_is_the_same_alone_or_with_the_others(dataset):
    alone = generate_sequence(SEED, "S9", "Phoning 1", FRAMES)
    np.testing.assert_array_equal(alone, dataset["S9", "Phoning 1"])
    np.testing.assert_array_equal(alone, generate_sequence(SEED, "S9", "Phoning 1", FRAMES))
    assert not np.allclose(alone, generate_sequence(SEED + 1, "S9", "Phoning 1", FRAMES))


def test_takes_and_subjects_differ(dataset):
    assert not np.allclose(dataset["S1", "Walking 1"], dataset["S1", "Walking"])
    assert not np.allclose(dataset["S1", "Eating 2"], dataset["S9", "Eating 2"])
    # every sequence of a subject is its own
    flat = [p[:, 0].round(1).tobytes() for (s, _), p in dataset.items() if s == "S1"]
    assert len(set(flat)) == 30


def test_same_parameters_same_cdf_bytes(tmp_path, monkeypatch):
    poses = generate_sequence(SEED, "S1", "Walking 1", 64)
    params = {"seed": SEED, "data": data_params("synthetic"),
              "synthetic": {"frames": 64, "subjects": ["S1"], "figure_frames": 1}}
    first, second = tmp_path / "a", tmp_path / "b"
    synthesize_stage.main(params, first, tmp_path / "a.png")
    later = time.time() + 3600.0
    monkeypatch.setattr(time, "time", lambda: later)  # the same run an hour later
    synthesize_stage.main(params, second, tmp_path / "b.png")
    np.testing.assert_array_equal(read_pose_cdf(first / "S1" / CDF_SUBDIR / "Walking 1.cdf"), poses.astype(np.float32))
    assert (first / "S1" / CDF_SUBDIR / "Walking 1.cdf").read_bytes() == \
        (second / "S1" / CDF_SUBDIR / "Walking 1.cdf").read_bytes()


# --- a body that could be real ----------------------------------------------------------------------

def test_bones_are_rigid_and_differ_between_subjects(dataset):
    lengths = {}
    for (subject, name), poses in dataset.items():
        bones = H36M_32.bone_lengths(poses.astype(np.float32).astype(np.float64))  # as written to the CDF
        assert bones.std(axis=0).max() < 0.1, f"{subject} {name}: a bone changes length"
        lengths.setdefault(subject, []).append(bones.mean(axis=0))
    for subject, per_sequence in lengths.items():
        assert np.ptp(per_sequence, axis=0).max() < 0.1, f"{subject}: bone lengths differ between sequences"
    assert np.abs(lengths["S1"][0] - lengths["S9"][0]).max() > 5.0


def test_subjects_are_adults_of_different_heights():
    heads = []
    for subject in ("S1", "S5", "S6", "S7", "S8", "S9", "S11"):
        walking = generate_sequence(SEED, subject, "Walking", 100)
        head = float(np.median(walking[:, NAME["Head"], 2]))  # the Head joint is ~6 cm below the top of the head
        assert 1500 < head < 1850, f"{subject}: head joint at {head:.0f} mm while walking"
        style = subject_style(SEED, subject)
        assert 780 < style.body.leg < 980 and 470 < style.body.arm < 600
        heads.append(head)
    assert np.ptp(heads) > 50


def test_feet_on_the_floor_and_nothing_below_it(dataset):
    for (subject, name), poses in dataset.items():
        assert poses[..., 2].min() > -1e-6, f"{subject} {name}: a joint below the floor"
        if not any(H36M.is_action(name, a) for a in SEATED):
            lowest_foot = poses[:, FEET, 2].min(axis=1)  # (N,) mm; toes resting on the floor are ~2 cm up
            assert lowest_foot.max() < 60, f"{subject} {name}: both feet {lowest_foot.max():.0f} mm up while standing"
            assert np.median(lowest_foot) < 30, f"{subject} {name}: feet mostly off the floor"


def test_feet_on_the_floor_do_not_slide(dataset):
    for (subject, name), poses in dataset.items():
        if H36M.is_action(name, "SittingDown"):  # getting down to the floor and up again moves the feet
            continue
        heights = poses[:, FEET, 2]  # (N, 6), mm
        on_floor = heights < heights.min(axis=0) + 10  # each joint near its own lowest height: heel, ball, toes
        still = on_floor[1:] & on_floor[:-1]
        speed = np.linalg.norm(np.diff(poses[:, FEET, :2], axis=0), axis=2) * 50  # (N - 1, 6), mm/s
        slide = float(speed[still].mean())
        assert slide < 60, f"{subject} {name}: feet on the floor slide {slide:.0f} mm/s"
        if H36M.is_action(name, "Walking") or H36M.is_action(name, "WalkTogether"):
            assert slide < 0.06 * root_speed(poses), f"{subject} {name}: feet slide {slide:.0f} mm/s"


def test_every_joint_stays_in_every_camera_image(dataset):
    sequences = dict(dataset)
    for subject in ("S5", "S6", "S7", "S8", "S11"):
        sequences.update({(subject, name): p for name, p in generate_subject(SEED, subject, 120)})
    for (subject, name), poses in sequences.items():
        for camera in H36M.cameras(subject):
            pixels = project_world_to_pixels(poses / 1000.0, camera)  # (N, 32, 2)
            margin = np.minimum(pixels, np.array([camera.res_w, camera.res_h]) - pixels).min()
            assert margin > 10, f"{subject} {name}: a joint {margin:.0f} px from the edge of camera {camera.id}"


# --- actions that differ ------------------------------------------------------------------------------

def test_walking_actions_move_and_the_others_stay(dataset):
    speed = by_action(dataset, root_speed)  # mm/s
    stationary = max(v for a, v in speed.items() if a not in ("Walking", "WalkTogether", "WalkDog"))
    assert speed["Walking"] > 3 * max(speed["Sitting"], speed["Eating"])
    assert 900 < speed["Walking"] < 1600
    assert speed["Walking"] > speed["WalkTogether"] > 1.5 * speed["WalkDog"]
    assert speed["WalkDog"] > 2 * stationary


def test_seated_actions_have_low_hips(dataset):
    height = by_action(dataset, lambda p: p[:, 0, 2].mean())  # mm, pelvis
    for action in ("Sitting", "Eating"):
        assert height[action] < 0.7 * height["Walking"]
        assert 400 < height[action] < 650  # on a chair
    lowest = by_action(dataset, lambda p: p[:, 0, 2].min())
    assert lowest["SittingDown"] < 250  # on the floor
    assert lowest["Sitting"] > 400 and lowest["Walking"] > 800


def test_hands_go_to_the_face_in_phoning_eating_smoking(dataset):
    face = by_action(dataset, hand_at_face)
    for action in ("Walking", "WalkTogether", "WalkDog", "Waiting", "Directions"):
        assert face[action] < 0.01, action
    assert face["Phoning"] > 0.5  # the phone stays at the ear
    for action in ("Eating", "Smoking"):  # a bite or a puff every few seconds
        assert 0.1 < face[action] < face["Phoning"], action


def test_bites_come_oftener_than_puffs_and_the_phone_stays(dataset):
    trips = by_action(dataset, trips_to_face)  # per minute
    assert trips["Eating"] > trips["Smoking"] > trips["Phoning"]
    assert trips["Eating"] > 8 and trips["Eating"] > 2 * trips["Sitting"]
    assert trips["Walking"] == 0


def test_photo_holds_a_camera_at_the_eyes(dataset):
    eyes = by_action(dataset, camera_at_eyes)
    assert eyes["Photo"] > 0.05
    assert max(v for a, v in eyes.items() if a != "Photo") < 0.03


def test_hands_are_raised_in_greeting_directions_posing(dataset):
    raised = by_action(dataset, hand_raised)
    for action in ("Greeting", "Directions", "Posing"):
        assert raised[action] > 0.02, action
    for action in ("Walking", "Sitting", "Eating", "Waiting", "Discussion"):
        assert raised[action] < 0.01, action


# --- the pieces ---------------------------------------------------------------------------------------

def test_two_bone_ik_reaches_the_target_with_the_middle_joint_towards_the_pole():
    rng = np.random.default_rng(0)
    upper, lower = 280.0, 250.0
    direction = rng.normal(size=(50, 3))
    target = direction / np.linalg.norm(direction, axis=1, keepdims=True) * rng.uniform(60, 520, size=(50, 1))
    pole = rng.normal(size=(50, 3))
    for axis in (ELBOW, KNEE):
        r_root, r_middle = two_bone_ik(target, pole, upper, lower, bend_axis=axis)
        middle = r_root @ np.array([0, 0, -upper])
        end = middle + r_root @ r_middle @ np.array([0, 0, -lower])
        np.testing.assert_allclose(end, target, atol=1e-6)
        across = pole - np.sum(pole * target, axis=1, keepdims=True) * target / np.sum(target**2, axis=1, keepdims=True)
        assert (np.sum(middle * across, axis=1) > 0).all()  # the elbow or knee points where it is told
        identity = np.broadcast_to(np.eye(3), (50, 3, 3))
        np.testing.assert_allclose(r_root @ np.swapaxes(r_root, 1, 2), identity, atol=1e-9)


def test_forward_kinematics_keeps_bone_lengths():
    body = make_body(1.03, {"thigh": 1.04})
    rng = np.random.default_rng(1)
    angles = rng.uniform(-1.5, 1.5, size=(20, 32, 2))
    rotations = rot_x(angles[..., 0]) @ rot_y(angles[..., 1])  # (20, 32, 3, 3)
    positions, frames = forward_kinematics(body.offsets, rotations)
    np.testing.assert_allclose(H36M_32.bone_lengths(positions), np.broadcast_to(
        np.linalg.norm(body.offsets[1:], axis=1), (20, 31)), atol=1e-9)
    np.testing.assert_allclose(frames[:, 0], rotations[:, 0])


def test_keyframes_ease_and_hold():
    t = np.array([-1.0, 0.0, 0.25, 0.5, 1.0, 1.5, 3.0])
    eased = keyframes(t, [0.0, 1.0, 2.0], [0.0, 10.0, 10.0])
    np.testing.assert_allclose(eased, [0, 0, 1.5625, 5, 10, 10, 10])  # smoothstep: slow start, slow end
    curve = cycle_curve(np.linspace(0, 3, 301), ((0.2, -1.0), (0.5, 0.3), (0.7, 2.0)))
    assert curve.min() >= -1.0 - 1e-12 and curve.max() <= 2.0 + 1e-12  # no overshoot past the extremes
    np.testing.assert_allclose(cycle_curve(np.array([0.2, 1.5, 2.7]), ((0.2, -1.0), (0.5, 0.3), (0.7, 2.0))),
                               [-1.0, 0.3, 2.0])
    assert np.abs(np.diff(curve)).max() < 0.15  # no jumps: the steepest slope is ~3 per 0.5 cycle


def test_a_sliding_foot_on_the_floor_is_held_still():
    n = 100
    x = np.linspace(0, 500, n)  # the foot drifts 0.5 m
    xy = np.stack([np.stack([x, np.zeros(n)], -1)] * 3, axis=1)  # (N, 3 joints, 2)
    clearance = np.full((n, 3), 50.0)
    clearance[20:60, 0] = 0.0  # touching from frame 20 to 59
    held = xy[:, 0] + drift_corrections(xy, clearance)
    np.testing.assert_allclose(held[20:60], np.broadcast_to(held[20], (40, 2)), atol=1e-9)
    assert abs(held[20, 0] - x[20:60].mean()) < 1e-9  # planted where it was on average
    np.testing.assert_allclose(drift_corrections(xy, np.full((n, 3), 50.0)), 0.0)  # in the air: untouched


def test_implausible_poses_are_named():
    poses = generate_sequence(SEED, "S1", "Waiting", 60)
    assert problems("S1", poses) == []
    sunk = poses.copy()
    sunk[10, NAME["LToe"], 2] = -30.0
    found = problems("S1", sunk)
    assert any("below the floor" in p for p in found) and any("bone length" in p for p in found)
    away = poses + np.array([4000.0, 0.0, 0.0])
    assert any("leaves the image of camera" in p for p in problems("S1", away))


# --- the stage ---------------------------------------------------------------------------------------

def test_stage_writes_the_raw_tree_and_the_figure(tmp_path):
    params = {"seed": SEED, "data": data_params("synthetic"),
              "synthetic": {"frames": 64, "subjects": ["S1", "S11"], "figure_frames": 2}}
    out, figure = tmp_path / "raw" / "synthetic", tmp_path / "figures" / "synthetic_motions.png"
    synthesize_stage.main(params, out, figure)
    for subject in ("S1", "S11"):
        folder = out / subject / CDF_SUBDIR
        names = sorted(f.name for f in folder.iterdir())
        assert len(names) == 30 and "TakingPhoto 1.cdf" in names and "WalkingDog.cdf" in names
        assert "Directions.cdf" in names  # S11's too: prepare drops it, as VideoPose3D does
        for sequence in ("Walking 1", "Photo", "Sitting 2"):
            raw = cdflib.CDF(str(folder / f"{raw_sequence_name(sequence)}.cdf"))
            pose = np.asarray(raw.varget("Pose"))
            assert pose.shape == (1, 64, 96) and pose.dtype == np.float32
            expected = generate_sequence(SEED, subject, sequence, 64).astype(np.float32)
            np.testing.assert_array_equal(pose.reshape(64, 32, 3), expected)
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert figure.with_suffix(".svg").read_text().lstrip().startswith("<?xml")
    assert sorted(p.name for p in out.parent.iterdir()) == ["synthetic"]  # no staging left behind


def test_stage_replaces_the_tree_only_when_the_new_one_is_complete(tmp_path, monkeypatch):
    out, figure = tmp_path / "synthetic", tmp_path / "motions.png"
    (out / "S1").mkdir(parents=True)
    (out / "S1" / "stale.cdf").write_text("old")
    params = {"seed": SEED, "data": data_params("synthetic"),
              "synthetic": {"frames": 64, "subjects": ["S9"], "figure_frames": 1}}
    calls = []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == 5:
            raise ValueError("generator failed")
        return generate_sequence(*args, **kwargs)

    monkeypatch.setattr(synthetic_h36m, "generate_sequence", failing)
    with pytest.raises(ValueError, match="generator failed"):
        synthesize_stage.main(params, out, figure)
    assert (out / "S1" / "stale.cdf").read_text() == "old" and not (out / "S9").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["synthetic"]
    monkeypatch.undo()
    synthesize_stage.main(params, out, figure)
    assert sorted(p.name for p in out.iterdir()) == ["S9"] and len(list((out / "S9" / CDF_SUBDIR).iterdir())) == 30


def test_unknown_subjects_are_refused():
    with pytest.raises(ValueError, match="S2"):
        _cli.load_params(json.dumps({"data": data_params("synthetic", ["S1"]),
                                     "synthetic": {"frames": 64, "subjects": ["S2"], "figure_frames": 1}}))
    with pytest.raises(ValueError, match="S3"):
        generate_sequence(SEED, "S3", "Walking", 64)


def test_cli_help():
    done = subprocess.run([sys.executable, "-m", "stages.synthesize", "--help"], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert "--out-dir" in done.stdout and "--figure" in done.stdout and "--params" in done.stdout
