"""The embedded synthetic data set in HumanEva-I's layout (poselift.datasets.synthetic.humaneva): VideoPose3D's two
files as its conversion writes them, poses that could be captured, in every image, and actions that differ.

Measures are computed from joint positions (the files' or the generator's 32-joint body), on the default seed.
"""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from poselift.datasets.humaneva import ACTIONS, HUMANEVA, HUMANEVA_15, LAYOUT, SUBJECTS_TEST, SUBJECTS_TRAIN
from poselift.datasets.synthetic import embedded
from poselift.datasets.synthetic import humaneva as synthetic_humaneva
from poselift.datasets.synthetic.dataset import subject_style
from poselift.datasets.synthetic.humaneva import (
    INTRINSICS,
    SUBJECTS,
    actions,
    cameras,
    chunks,
    figure_camera,
    generate_take,
    humaneva_joints,
    person_style,
    problems,
    sources,
)
from poselift.datasets.synthetic.kinematics import CONTACT_RADIUS
from poselift.datasets.synthetic.motions import walking
from poselift.datasets.synthetic.posture import pose_sequence
from poselift.geometry.cameras import camera_to_world, project_world_to_pixels
from poselift.io.formats import load_2d, load_3d
from stages import prepare as prepare_stage
from stages import synthesize as synthesize_stage
from tests.conftest import data_params

SEED = 1234
FRAMES = 240  # 4 s at 60 Hz per take, before the split
MOTION_FRAMES = 600  # 10 s takes for the measures of motion
NAME = {name: j for j, name in enumerate(HUMANEVA_15.names)}
WRISTS, SHOULDERS = [NAME["LWrist"], NAME["RWrist"]], [NAME["LShoulder"], NAME["RShoulder"]]


def settings(frames: int = FRAMES, subjects=SUBJECTS) -> dict:
    return {"frames": frames, "subjects": list(subjects), "figure_frames": 2}


def stage_params(seed: int = SEED) -> dict:
    return {"seed": seed, "data": data_params("synthetic", (*SUBJECTS_TRAIN, *SUBJECTS_TEST), dataset="humaneva"),
            "synthetic": settings()}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    """The directory the synthesize stage wrote for all three people (and its figure beside it)."""
    root = tmp_path_factory.mktemp("humaneva")
    synthesize_stage.main(stage_params(), root / "synthetic", root / "motions.png")
    return root / "synthetic"


@pytest.fixture(scope="module")
def files(written) -> tuple[dict, dict, dict]:
    path_3d, path_2d = sources(written)
    return load_3d(path_3d), *load_2d(path_2d)


@pytest.fixture(scope="module")
def takes() -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """(person, action) -> (the body's poses (N, 32, 3), HumanEva's joints (N, 15, 3)), mm, of 10 s takes."""
    out = {}
    for person in SUBJECTS:
        style = person_style(SEED, person)
        for action in actions(person):
            body = generate_take(SEED, person, action, MOTION_FRAMES, style)
            out[person, action] = body, humaneva_joints(body, style.body)
    return out


def per_action(takes, measure) -> dict[str, list[float]]:
    """action -> `measure(body poses, joints)` of each person's take."""
    found: dict[str, list[float]] = {}
    for (_, action), (body, joints) in takes.items():
        found.setdefault(action, []).append(measure(body, joints))
    return found


def root_speed(body: np.ndarray, joints: np.ndarray) -> float:
    """Mean horizontal speed of the pelvis, mm/s."""
    return float(np.linalg.norm(np.diff(joints[:, 0, :2], axis=0), axis=1).mean() * HUMANEVA.fps)


# --- the files, as VideoPose3D's conversion writes them -------------------------------------------------

def test_the_data_set_is_registered_and_the_stage_writes_both_files_and_the_figure(written):
    assert embedded("humaneva") is synthetic_humaneva
    assert sorted(p.name for p in written.iterdir()) == ["data_2d_humaneva15_gt.npz", "data_3d_humaneva15.npz"]
    assert (written.parent / "motions.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_subjects_are_the_splits_and_S3_has_no_throw_catch(files):
    positions_3d, positions_2d, metadata = files
    expected = {"Train/S1", "Train/S2", "Train/S3", "Validate/S1", "Validate/S2", "Validate/S3"}
    assert set(positions_3d) == set(positions_2d) == expected
    assert metadata == LAYOUT.metadata()
    for subject, sequences in positions_3d.items():
        assert set(sequences) == set(positions_2d[subject])
        found = {HUMANEVA.parse_action(name) for name in sequences}
        assert found == set(ACTIONS) - ({"ThrowCatch"} if subject.endswith("S3") else set()), subject


def test_sequence_names_are_chunks_of_take_one(files):
    for sequences in files[0].values():
        for name in sequences:
            match = HUMANEVA.sequence_pattern.match(name)
            assert match is not None and match.group("take") == "1" and match.group("chunk") is not None, name
            assert HUMANEVA.parse_action(name) in ACTIONS, name


def test_chunks_are_the_valid_stretches_numbered_with_the_lost_ones(files):
    positions_3d = files[0]
    gaps = 0
    for person in SUBJECTS:
        for action in actions(person):
            plan = chunks(SEED, person, action, FRAMES)
            assert plan[0].start == 0 and plan[-1].stop == FRAMES
            assert all(a.stop == b.start for a, b in pairwise(plan))
            validate = sum(c.stop - c.start for c in plan if c.split == "Validate")
            assert 0.44 < validate / FRAMES <= 0.5  # the first part of the take
            kept = 0
            for split in ("Validate", "Train"):
                names = {n for n in positions_3d[f"{split}/{person}"] if HUMANEVA.parse_action(n) == action}
                part = [c for c in plan if c.split == split]
                assert names == {c.name(action) for c in part if c.valid}
                numbers = sorted(int(HUMANEVA.sequence_pattern.match(n).group("chunk")) for n in names)
                gaps += numbers != list(range(len(numbers)))
                for c in part:
                    if c.valid:
                        assert len(positions_3d[f"{split}/{person}"][c.name(action)]) == c.stop - c.start
                        kept += c.stop - c.start
            lost = sum(c.stop - c.start for c in plan if not c.valid)
            assert kept + lost == FRAMES, f"{person} {action}"
    assert gaps >= 3  # several sequences miss a chunk number


def test_a_chunk_is_its_stretch_of_the_take(files):
    style = person_style(SEED, "S2")
    joints = humaneva_joints(generate_take(SEED, "S2", "Box", FRAMES, style), style.body)
    for c in chunks(SEED, "S2", "Box", FRAMES):
        if c.valid:
            np.testing.assert_array_equal(files[0][f"{c.split}/S2"][c.name("Box")],
                                          (joints[c.start:c.stop] / 1000.0).astype(np.float32))


def test_arrays_are_float32_with_15_joints_and_3_cameras(files):
    positions_3d, positions_2d, _ = files
    for subject, sequences in positions_3d.items():
        for name, poses in sequences.items():
            views = positions_2d[subject][name]
            assert poses.dtype == np.float32 and poses.shape[1:] == (15, 3) and len(poses) >= 5
            assert len(views) == 3
            for view in views:
                assert view.dtype == np.float32 and view.shape == (len(poses), 15, 2)


def test_ground_truth_2d_is_the_3d_seen_by_the_synthetic_cameras(files):
    positions_3d, positions_2d, _ = files
    for subject, sequences in positions_3d.items():
        rig = cameras(subject)
        assert [c.id for c in rig] == list(HUMANEVA.camera_ids) and all(c.has_intrinsics for c in rig)
        for name, poses in sequences.items():
            for camera, view in zip(rig, positions_2d[subject][name], strict=True):
                np.testing.assert_allclose(project_world_to_pixels(poses, camera), view, atol=1e-3)
    shown, first = figure_camera("S2"), cameras("Validate/S2")[0]
    assert shown.id == "C1" and np.array_equal(shown.intrinsic, first.intrinsic)
    assert np.array_equal(shown.translation, first.translation)


def test_the_intrinsics_are_those_documented():
    for camera in cameras("S1"):
        chosen = INTRINSICS[camera.id]
        ahead = camera_to_world(np.array([[0.0, 0.0, 4.0]], dtype=np.float32), camera.orientation,
                                camera.translation)  # (1, 3), m: on the optical axis
        np.testing.assert_allclose(project_world_to_pixels(ahead[None], camera)[0, 0], chosen["center"], atol=1e-3)
        np.testing.assert_allclose(camera.intrinsic[:2] * camera.res_w / 2, chosen["focal_length"], rtol=1e-6)
        assert 0 < -camera.intrinsic[4] < 0.2 and np.abs(camera.intrinsic[7:]).max() < 0.002  # mild distortion


def test_prepare_reads_the_files_as_humaneva(written, tmp_path):
    params = stage_params()
    path_3d, path_2d = sources(written)
    out_3d, out_2d = tmp_path / "data_3d.npz", tmp_path / "data_2d_gt.npz"
    prepare_stage.main(params, path_3d, out_3d, out_2d, out_3d.with_name("prepare.json"), path_2d)
    positions_3d, (positions_2d, _) = load_3d(path_3d), load_2d(path_2d)
    prepared_3d, (prepared_2d, _) = load_3d(out_3d), load_2d(out_2d)
    assert prepared_3d.keys() == positions_3d.keys()
    for subject, sequences in positions_3d.items():
        assert prepared_3d[subject].keys() == sequences.keys()
        for name, poses in sequences.items():
            np.testing.assert_array_equal(prepared_3d[subject][name], poses)
            for prepared, view in zip(prepared_2d[subject][name], positions_2d[subject][name], strict=True):
                np.testing.assert_array_equal(prepared, view)


# --- poses that could be captured ---------------------------------------------------------------------

def test_bones_are_rigid_the_same_in_every_take_and_differ_between_people(files):
    lengths = {}
    for subject, sequences in files[0].items():
        for name, poses in sequences.items():
            bones = HUMANEVA_15.bone_lengths(poses.astype(np.float64) * 1000.0)  # (N, 14), mm
            assert np.ptp(bones, axis=0).max() < 0.05, f"{subject} {name}: a bone changes length"
            lengths.setdefault(subject.split("/")[1], []).append(bones.mean(axis=0))
    for person, per_sequence in lengths.items():
        assert np.ptp(per_sequence, axis=0).max() < 0.05, f"{person}: bone lengths differ between sequences"
    assert np.abs(lengths["S1"][0] - lengths["S2"][0]).max() > 5.0


def test_everything_is_above_the_floor_and_inside_every_image(files):
    positions_3d, positions_2d, _ = files
    for subject, sequences in positions_3d.items():
        for name, poses in sequences.items():
            assert poses[..., 2].min() > 0.0, f"{subject} {name}: a joint below the floor"
            for camera, view in zip(cameras(subject), positions_2d[subject][name], strict=True):
                margin = np.minimum(view, np.array([camera.res_w, camera.res_h]) - view).min()
                assert margin > 10, f"{subject} {name}: a joint {margin:.0f} px from the edge of camera {camera.id}"


def test_implausible_takes_are_named_with_person_sequence_and_camera(monkeypatch, tmp_path):
    style = person_style(SEED, "S1")
    joints = humaneva_joints(generate_take(SEED, "S1", "Gestures", 120, style), style.body)
    assert problems("S1", joints) == []
    sunk = joints.copy()
    sunk[10, NAME["LFoot"], 2] = -30.0
    found = problems("S1", sunk)
    assert any("below the floor" in p for p in found) and any("bone length" in p for p in found)
    assert any("leaves the image of camera C" in p for p in problems("S1", joints + np.array([0.0, 3500.0, 0.0])))

    def away(*args, **kwargs):
        return generate_take(*args, **kwargs) + np.array([0.0, 3500.0, 0.0])

    monkeypatch.setattr(synthetic_humaneva, "generate_take", away)
    with pytest.raises(ValueError, match=r"S1 'Walking 1'.*leaves the image of camera C\d"):
        synthetic_humaneva.write(SEED, settings(subjects=["S1"]), tmp_path)


# --- reproducibility ------------------------------------------------------------------------------------

def test_same_seed_same_bytes_another_seed_differs(written, tmp_path, monkeypatch):
    later = time.time() + 3600.0
    monkeypatch.setattr(time, "time", lambda: later)  # the same run an hour later
    synthetic_humaneva.write(SEED, settings(), tmp_path / "again")
    for first, second in zip(sources(written), sources(tmp_path / "again"), strict=True):
        assert first.read_bytes() == second.read_bytes()
    everyone = load_3d(sources(written)[0])
    for seed in (SEED, SEED + 1):  # S1 alone: the same takes as with the others, and other ones for another seed
        synthetic_humaneva.write(seed, settings(subjects=["S1"]), tmp_path / str(seed))
        alone = load_3d(sources(tmp_path / str(seed))[0])
        assert set(alone) == {"Train/S1", "Validate/S1"}
        same = all(alone[s].keys() == everyone[s].keys() and all(np.array_equal(alone[s][n], everyone[s][n])
                                                                 for n in alone[s]) for s in alone)
        assert same == (seed == SEED)


def test_people_differ_from_human36m_subjects_of_the_same_name():
    assert person_style(SEED, "S1").body.leg != subject_style(SEED, "S1").body.leg


def test_unknown_people_and_short_takes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="S4"):
        synthetic_humaneva.write(SEED, settings(subjects=["S4"]), tmp_path)
    with pytest.raises(ValueError, match="64 frames"):
        synthetic_humaneva.write(SEED, settings(frames=40), tmp_path)


# --- 60 Hz, and actions that differ ---------------------------------------------------------------------

def test_the_frame_rate_is_that_of_the_times():
    """The same script sampled at 50 and 60 Hz walks the same path in the same seconds."""
    style = subject_style(SEED, "S1")
    places = {}
    for fps in (50, 60):
        t = np.arange(5 * fps) / fps
        poses = pose_sequence(style.body, walking(t, np.random.default_rng(7), style, fps))
        places[fps] = poses[::fps, 0, :2]  # (5, 2), mm, the pelvis at whole seconds
    assert np.abs(places[50] - places[60]).max() < 5.0


def test_jogging_is_faster_than_walking_with_flights_and_bent_knees(takes):
    speed = per_action(takes, root_speed)
    assert min(speed["Walking"]) > 900 and max(speed["Walking"]) < 1600
    assert min(speed["Jog"]) > 1.4 * max(speed["Walking"])

    def airborne(body: np.ndarray, joints: np.ndarray) -> float:
        """Share of frames with every joint at least 25 mm above its resting height on the floor."""
        return float(((body[..., 2] - CONTACT_RADIUS).min(axis=1) > 25).mean())

    flight = per_action(takes, airborne)
    assert min(flight["Jog"]) > 0.05 and max(flight["Walking"]) == 0.0

    def knee_flexion(body: np.ndarray, joints: np.ndarray) -> float:
        """95th percentile of the left knee's flexion, degrees."""
        thigh = joints[:, NAME["LHip"]] - joints[:, NAME["LKnee"]]
        shin = joints[:, NAME["LFoot"]] - joints[:, NAME["LKnee"]]
        cos = np.sum(thigh * shin, axis=1) / np.linalg.norm(thigh, axis=1) / np.linalg.norm(shin, axis=1)
        return float(np.percentile(180.0 - np.degrees(np.arccos(np.clip(cos, -1, 1))), 95))

    knee = per_action(takes, knee_flexion)
    assert min(knee["Jog"]) > max(knee["Walking"]) + 15


def wrist_speed(body: np.ndarray, joints: np.ndarray) -> float:
    """95th percentile of the wrists' speed relative to the pelvis, mm/s."""
    relative = joints[:, WRISTS] - joints[:, None, 0]
    return float(np.percentile(np.linalg.norm(np.diff(relative, axis=0), axis=-1), 95) * HUMANEVA.fps)


def test_boxing_punches_fast_at_shoulder_height_on_the_spot(takes):
    speed, hands = per_action(takes, root_speed), per_action(takes, wrist_speed)
    height = per_action(takes, lambda b, j: float(np.median(j[:, WRISTS, 2] - j[:, SHOULDERS, 2])))  # mm
    assert max(speed["Box"]) < 150
    assert min(hands["Box"]) > 2000 and min(hands["Box"]) > 1.5 * max(hands["Walking"])
    assert min(height["Box"]) > -100 and max(height["Walking"]) < -350


def test_throwing_and_catching_holds_the_ball_in_both_hands(takes):
    together = per_action(takes, lambda b, j: float((np.linalg.norm(j[:, WRISTS[0]] - j[:, WRISTS[1]], axis=1)
                                                      < 150).mean()))
    speed = per_action(takes, root_speed)
    assert min(together["ThrowCatch"]) > 0.1
    assert max(max(together[a]) for a in ("Walking", "Jog", "Gestures")) < 0.02
    assert max(speed["ThrowCatch"]) < 150 and max(speed["Gestures"]) < 150
