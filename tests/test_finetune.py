"""CPN fine-tuning: hard keypoint mining, augmented crops whose targets sit on the image points (mirrored crops
with left and right swapped), resuming that equals training straight through, a tiny problem learnt, and the
finetune_cpn stage on a few tiny videos in Human3.6M's layout."""

import contextlib
import io

import numpy as np
import pandas as pd
import pytest
import torch

from poselift.datasets.h36m import H36M
from poselift.datasets.h36m.coco import coco_keypoints_2d
from poselift.datasets.synthetic.dataset import generate_sequence
from poselift.detectors.cpn import CPN, CPNConfig, load_cpn, save_cpn
from poselift.detectors.finetune import (
    Augmentation,
    Finetuner,
    PersonFrames,
    Schedule,
    Targets,
    colour_jitter,
    initial_cpn,
    joint_losses,
    load_resume,
    ohkm,
    save_resume,
    training_batch,
    warp_crops,
)
from poselift.detectors.heatmaps import cells_to_crop, crop_frames, crop_transforms, gaussian_heatmaps
from poselift.geometry.layouts import LAYOUTS
from poselift.io.formats import save_3d
from poselift.io.video import VideoError, write_boxes, write_video
from stages import finetune_cpn
from tests.conftest import data_params

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = CPNConfig(depth=18, input_size=(64, 32))
COCO = {name: j for j, name in enumerate(LAYOUTS["coco"].names)}

# A front-facing figure in its box (x, y as fractions of the box; the subject's left on the image's right) and a
# colour per kind of joint, the same on both sides, so that a mirrored figure is a figure with left and right
# swapped.
TEMPLATE = np.array([(0.5, 0.1), (0.55, 0.07), (0.45, 0.07), (0.6, 0.09), (0.4, 0.09), (0.7, 0.25), (0.3, 0.25),
                     (0.8, 0.42), (0.2, 0.42), (0.85, 0.58), (0.15, 0.58), (0.62, 0.55), (0.38, 0.55), (0.64, 0.75),
                     (0.36, 0.75), (0.65, 0.95), (0.35, 0.95)])
KIND = [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8]
COLOURS = np.array([(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255), (0, 255, 255),
                    (255, 128, 0), (128, 0, 255), (255, 255, 255)], np.uint8)


def figures(n: int, seed: int, size: int = 96, scale: float = 0.5) -> PersonFrames:
    """n frames (size x size video pixels, `scale` of a 192-pixel full resolution), each a figure of coloured
    discs at its keypoints, jittered, at a random place and size."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] + 0.5  # video pixel centres
    frames, boxes, keypoints = [], [], []
    for _ in range(n):
        h = rng.uniform(100, 150)
        w, x0, y0 = h / 2, rng.uniform(0, size / scale - h / 2), rng.uniform(0, size / scale - h)
        points = (TEMPLATE + rng.uniform(-0.04, 0.04, TEMPLATE.shape)) * [w, h] + [x0, y0]  # (17, 2), full pixels
        image = np.zeros((size, size, 3), np.uint8)
        for j, (x, y) in enumerate(points * scale):
            image[(xx - x) ** 2 + (yy - y) ** 2 <= 4.0] = COLOURS[KIND[j]]
        frames.append(image)
        boxes.append([x0, y0, x0 + w, y0 + h])
        keypoints.append(points)
    return PersonFrames(frames, np.array(boxes), np.array(keypoints), np.full(n, scale))


def test_ohkm_averages_the_k_hardest_visible_joints_and_trains_only_them():
    c = torch.arange(1, 18, dtype=torch.float64) / 17  # joint j's target is constant c_j: its loss is c_j^2
    targets = torch.stack([c, c.flip(0)])[:, :, None, None].expand(2, 17, 4, 3)  # (2, 17, 4, 3)
    heatmaps = torch.zeros(2, 17, 4, 3, dtype=torch.float64, requires_grad=True)
    losses = joint_losses(heatmaps, targets)  # (2, 17)
    torch.testing.assert_close(losses, targets[:, :, 0, 0] ** 2)
    visible = torch.ones(2, 17, dtype=torch.float64)
    visible[0, 16] = 0  # sample 0's hardest joint is masked
    loss = ohkm(losses, visible, 8)
    hardest = [list(range(8, 16)), list(range(8))]  # sample 0: joints 8..15; sample 1 (reversed): joints 0..7
    expected = np.mean([np.mean(losses[b, j].detach().numpy()) for b, j in enumerate(hardest)])
    assert loss.item() == pytest.approx(expected)
    loss.backward()
    trained = heatmaps.grad.abs().sum(dim=(2, 3)) > 0  # (2, 17)
    for b, joints in enumerate(hardest):
        assert trained[b].nonzero().flatten().tolist() == joints


def test_crops_without_augmentation_are_those_of_detection():
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (100, 120, 3), dtype=np.uint8) for _ in range(3)]
    boxes = np.array([[10, 10, 60, 90], [-20, 30, 50, 120], [30, 5, 110, 60]], float)  # one partly outside
    affine = crop_transforms(boxes, TINY.input_size)
    torch.testing.assert_close(warp_crops(frames, affine, TINY.input_size, TINY.pixel_mean),
                               crop_frames(frames, affine, TINY.input_size, TINY.pixel_mean), atol=1e-4, rtol=0)


def test_augmented_targets_sit_on_the_image_points_and_mirroring_swaps_left_and_right():
    config = CPNConfig(depth=18, input_size=(128, 96))
    frame = np.zeros((120, 100, 3), np.uint8)  # video pixels; the full resolution is twice as large
    dots = {"LShoulder": (50.5, 40.5, 0), "RShoulder": (70.5, 60.5, 1)}  # video pixel centre, colour channel
    keypoints = np.full((17, 2), np.nan)  # full-resolution pixels; NaN: unlabelled
    for name, (x, y, channel) in dots.items():
        frame[int(y) - 1:int(y) + 2, int(x) - 1:int(x) + 2, channel] = 255  # 3x3 pixels centred on (x, y)
        keypoints[COCO[name]] = 2 * x, 2 * y
    keypoints[COCO["LElbow"]] = 120, 140  # labelled, no dot: visible (its right counterpart is unlabelled)
    keypoints[COCO["LWrist"]] = -30, 50  # outside the frame
    n = 16
    samples = PersonFrames([frame] * n, np.tile([60.0, 40, 180, 200], (n, 1)), np.tile(keypoints, (n, 1, 1)),
                           np.full(n, 0.5))
    batch = training_batch(samples, np.arange(n), config, Augmentation(scale=0.25, rotation=30, flip=True),
                           torch.Generator().manual_seed(0))
    assert 0 < batch.flipped.sum() < n
    cells = np.stack(np.meshgrid(np.arange(config.input_size[1]) + 0.5, np.arange(config.input_size[0]) + 0.5),
                     axis=-1)  # (H, W, 2), crop pixel centres
    heatmaps = gaussian_heatmaps(batch.keypoints, config.heatmap_size, sigma=1.5)  # (n, 17, h, w)
    directions = []
    for b in range(n):
        centroids = {}
        for name, (_, _, channel) in dots.items():
            weight = (batch.crops[b, channel] - batch.crops[b, 2]).clamp_min(0).numpy()  # the dot's colour
            centroid = centroids[name] = (weight[..., None] * cells).sum((0, 1)) / weight.sum()  # crop pixels
            joint = COCO[name] if not batch.flipped[b] else COCO["R" + name[1:] if name[0] == "L" else "L" + name[1:]]
            np.testing.assert_allclose(batch.keypoints[b, joint], centroid, atol=0.6)
            peak = np.unravel_index(heatmaps[b, joint].argmax().item(), config.heatmap_size)  # (row, column)
            np.testing.assert_allclose(cells_to_crop(np.array(peak[::-1], float)), centroid, atol=2.6)  # half a cell
        visible = {"LShoulder", "RShoulder", "RElbow" if batch.flipped[b] else "LElbow"}
        assert set(np.flatnonzero(batch.visible[b])) == {COCO[name] for name in visible}
        dx, dy = centroids["RShoulder"] - centroids["LShoulder"]  # (20, 20) video pixels, rotated by up to 30 deg
        assert dy > 0 and np.sign(dx) == (-1 if batch.flipped[b] else 1)  # mirrored left to right, upright
        directions.append(np.degrees(np.arctan2(dy, abs(dx))))  # the same in a mirror image
    assert np.ptp(directions) > 20  # the crops are rotated


def test_colour_jitter_shuffles_the_channels_and_bounds_contrast_and_brightness():
    """Crops of three flat channels (0.2, 0.5, 0.8): positive contrast and brightness factors keep the order of
    the channel values, so the output's ranks are the channel order drawn; the spread scales by their product."""
    mean = CPNConfig().pixel_mean
    flat = torch.tensor([0.2, 0.5, 0.8])[None, :, None, None].expand(600, 3, 4, 4)
    crops = flat - torch.tensor(mean)[:, None, None] / 255  # normalised
    generator = torch.Generator().manual_seed(1)
    assert torch.equal(colour_jitter(crops, 0.0, mean, generator), crops)
    assert not torch.equal(generator.get_state(), torch.Generator().manual_seed(1).get_state())  # drew anyway
    out = colour_jitter(crops, 0.3, mean, torch.Generator().manual_seed(1)) + torch.tensor(mean)[:, None, None] / 255
    values = out[:, :, 0, 0]  # (600, 3) pixels in [0, 1]
    orders, counts = torch.unique(values.argsort(dim=1), dim=0, return_counts=True)
    assert len(orders) == 6 and counts.min() > 60  # each of the six orders, about 100 times
    spread = values.max(dim=1).values - values.min(dim=1).values  # 0.6 before
    assert (spread >= 0.6 * 0.7**2 - 1e-6).all() and (spread <= 0.6 * 1.3**2 + 1e-6).all() and spread.std() > 0.05
    assert torch.equal(out[:, :, 1:, 1:], out[:, :, :1, :1].expand(-1, -1, 3, 3))  # flat crops stay flat


def test_colour_jitter_moves_no_keypoint():
    keypoints = np.full((1, 17, 2), np.nan)
    keypoints[0, :5] = [[100, 80], [120, 90], [110, 140], [90, 170], [130, 60]]
    samples = PersonFrames([np.full((120, 100, 3), 90, np.uint8)] * 4, np.tile([40.0, 40, 180, 200], (4, 1)),
                           np.tile(keypoints, (4, 1, 1)), np.full(4, 0.5))
    config = CPNConfig(depth=18, input_size=(64, 32))
    plain, coloured = (training_batch(samples, np.arange(4), config, Augmentation(colour=c),
                                      torch.Generator().manual_seed(3)) for c in (0.0, 0.4))
    np.testing.assert_array_equal(plain.keypoints, coloured.keypoints)
    assert not torch.equal(plain.crops, coloured.crops)


def test_joints_outside_the_frame_or_the_crop_are_masked():
    keypoints = np.full((1, 17, 2), np.nan)
    keypoints[0, [COCO["LShoulder"], COCO["LWrist"], COCO["RWrist"]]] = (60, 80), (-10, 100), (150, 100)
    samples = PersonFrames([np.zeros((120, 100, 3), np.uint8)], [[0.0, 40, 120, 200]], keypoints, [0.5])
    batch = training_batch(samples, np.arange(1), CPNConfig(depth=18, input_size=(128, 96)),
                           Augmentation(scale=0, rotation=0, flip=False), torch.Generator())
    assert 0 < batch.keypoints[0, COCO["LWrist"], 0] < 96  # inside the crop, outside the frame (x < 0)
    assert batch.keypoints[0, COCO["RWrist"], 0] > 96  # inside the frame (200 pixels wide), outside the crop
    assert np.flatnonzero(batch.visible[0]).tolist() == [COCO["LShoulder"]]


def finetuner(seed: int = 0, epochs: int = 2, train: PersonFrames | None = None, lr: float = 1e-3) -> Finetuner:
    train = figures(6, 0) if train is None else train  # batches of 4 and 2
    return Finetuner(initial_cpn(TINY, seed), train, figures(4, 1), Schedule(epochs=epochs, lr=lr, lr_decay_every=100),
                     Augmentation(scale=0.1, rotation=10), Targets((2, 2, 1.5, 1.5), 1.0), batch_size=4, seed=seed)


TIMES = ("train_wall_s", "cum_train_wall_s", "samples_per_s", "eval_wall_s")


def test_resuming_after_an_epoch_gives_the_weights_of_training_straight_through(tmp_path):
    straight = finetuner()
    while not straight.done:
        straight.train_epoch()
    first = finetuner()
    first.train_epoch()
    save_resume(tmp_path / "resume.pt", first, "job")
    assert load_resume(tmp_path / "resume.pt", "another job") is None
    resumed = finetuner()
    resumed.restore(load_resume(tmp_path / "resume.pt", "job"))
    assert resumed.epoch == 1
    resumed.train_epoch()
    assert resumed.done
    for key, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key
    assert [{k: v for k, v in row.items() if k not in TIMES} for row in straight.history] == \
           [{k: v for k, v in row.items() if k not in TIMES} for row in resumed.history]


def test_a_few_epochs_on_a_tiny_problem_reduce_the_pixel_error():
    job = finetuner(epochs=4, train=figures(40, 0))
    before = job.score()
    while not job.done:
        job.train_epoch()
    after = job.history[-1]
    assert after["train_loss"] < job.history[0]["train_loss"] / 4
    assert after["test_median_px"] < before["test_median_px"] / 2.5
    assert after["test_pck_20px"] > before["test_pck_20px"] + 0.3


def test_initial_weights_come_from_the_seed_or_a_checkpoint(tmp_path):
    state = torch.get_rng_state()
    a, b, other = initial_cpn(TINY, 1), initial_cpn(TINY, 1), initial_cpn(TINY, 2)
    assert torch.equal(torch.get_rng_state(), state)
    weight = "refine_net.final_predict.1.weight"
    assert torch.equal(a.state_dict()[weight], b.state_dict()[weight])
    assert not torch.equal(a.state_dict()[weight], other.state_dict()[weight])
    assert a.state_dict()[weight].std() < 0.01  # heatmap convolutions start small
    save_cpn(tmp_path / "coco.pt", other, TINY)
    loaded = initial_cpn(TINY, 1, tmp_path / "coco.pt")
    assert loaded.training and torch.equal(loaded.state_dict()[weight], other.state_dict()[weight])
    with pytest.raises(ValueError, match=r"coco\.pt.*CPN-18.*not the CPN-34"):
        initial_cpn(CPNConfig(depth=34, input_size=(64, 32)), 1, tmp_path / "coco.pt")


# --- The stage

SEQUENCE, FRAMES, SCALE = "Walking 1", 6, 0.1  # videos 100 pixels wide for the 1000-pixel cameras
VIDEOS = {"S1": 2, "S9": 1}  # subject -> its first cameras with a video (the others have none)
SETTINGS = {"subjects_train": ["S1"], "subjects_test": ["S9"], "depth": 18, "input_size": [64, 32],
            "init_weights": None, "epochs": 2, "batch_size": 4, "lr": 1e-3, "lr_decay": 0.5, "lr_decay_every": 6,
            "weight_decay": 1e-5, "sigma_global": [2, 2, 1.5, 1.5], "sigma_refine": 1.5, "ohkm_k": 8,
            "augment_scale": 0.25, "augment_rotation": 30, "augment_flip": True, "augment_colour": 0.3,
            "frame_stride": 2,
            "eval_frame_stride": 3, "pck_thresholds": [10, 20], "eval_batch_size": 4, "threads": 1, "device": "cpu"}


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """A 3D file of S1 and S9, and lossless videos at SCALE with boxes around the projected keypoints."""
    root = tmp_path_factory.mktemp("videos")
    rng = np.random.default_rng(0)
    positions = {s: {SEQUENCE: generate_sequence(0, s, SEQUENCE, FRAMES) / 1000} for s in VIDEOS}  # metres
    save_3d(root / "data_3d_h36m.npz", positions)
    for subject, cameras in VIDEOS.items():
        for camera in H36M.cameras(subject)[:cameras]:
            size = (round(camera.res_h * SCALE), round(camera.res_w * SCALE))
            write_video(H36M.video_path(root, subject, SEQUENCE, camera.id),
                        rng.integers(0, 255, size=(FRAMES, *size, 3), dtype=np.uint8), fps=50, lossless=True)
            keypoints = coco_keypoints_2d(positions[subject][SEQUENCE], camera)  # (T, 17, 2), full pixels
            boxes = np.concatenate([keypoints.min(1) - 20, keypoints.max(1) + 20], axis=1)
            boxes[2:4] = np.nan  # no person found in frames 2 and 3
            path = H36M.boxes_path(root, subject, SEQUENCE, camera.id)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_boxes(path, boxes, (camera.res_w, camera.res_h))
    return root


def run_stage(root, out, settings=SETTINGS):
    params = {"seed": 3, "data": data_params(subjects=list(VIDEOS)), "finetune": settings}
    finetune_cpn.main(params, root / "data_3d_h36m.npz", root, out / "cpn.pt", out / "history.parquet")


@pytest.fixture(scope="module")
def finetuned(videos, tmp_path_factory):
    """The stage's outputs from the tiny videos, and its log."""
    out, log = tmp_path_factory.mktemp("finetuned"), io.StringIO()
    with contextlib.redirect_stderr(log):
        run_stage(videos, out)
    return out, log.getvalue()


def test_the_stage_writes_a_checkpoint_and_history_that_read_back(finetuned):
    out, err = finetuned
    model, extra = load_cpn(out / "cpn.pt")
    assert model.config == TINY
    history = pd.read_parquet(out / "history.parquet")
    assert history["epoch"].tolist() == [1, 2] and history["samples"].tolist() == [4, 4]  # 2 videos x frames 0, 4
    assert history["test_frames"].tolist() == [1, 1] and history["test_mean_px"].notna().all()  # frame 0 (not 3)
    assert {"test_pck_10px", "test_pck_20px", "test_mean_px_LEar", "train_loss_refine"} <= set(history.columns)
    training = extra["training"]
    assert training["epochs"] == 2 and training["finetune"] == SETTINGS and len(extra["history"]) == 2
    assert len(training["inputs"]["train_videos"]) == 4 and all(len(f["sha256"]) == 64
                                                                 for f in training["inputs"]["train_videos"])
    assert not (out / "cpn.resume.pt").exists()
    assert "S1: 2 videos (2 missing" in err and "epoch 2/2" in err and "samples/s" in err


def test_a_killed_stage_resumes_after_its_last_epoch_and_ends_as_an_uninterrupted_one(finetuned, videos, tmp_path,
                                                                                     monkeypatch, capsys):
    def killed(path, finetuner, fingerprint):
        save_resume(path, finetuner, fingerprint)
        raise KeyboardInterrupt

    monkeypatch.setattr(finetune_cpn, "save_resume", killed)
    with pytest.raises(KeyboardInterrupt):
        run_stage(videos, tmp_path)
    assert (tmp_path / "cpn.resume.pt").exists() and not (tmp_path / "cpn.pt").exists()
    monkeypatch.setattr(finetune_cpn, "save_resume", save_resume)
    run_stage(videos, tmp_path)
    assert "resumed from" in capsys.readouterr().err
    straight, resumed = (pd.read_parquet(d / "history.parquet").drop(columns=list(TIMES)) for d in (finetuned[0],
                                                                                                      tmp_path))
    pd.testing.assert_frame_equal(straight, resumed)
    weights = [load_cpn(d / "cpn.pt")[0].state_dict() for d in (finetuned[0], tmp_path)]
    assert all(torch.equal(v, weights[1][k]) for k, v in weights[0].items())


def test_the_stage_names_file_subject_action_and_camera_of_a_bad_video(videos, tmp_path):
    camera = H36M.cameras("S1")[1].id
    boxes = H36M.boxes_path(videos, "S1", SEQUENCE, camera)
    boxes.rename(tmp_path / "aside.npz")
    try:
        with pytest.raises(VideoError, match=rf"{boxes.name}.*subject S1, action '{SEQUENCE}', camera {camera}"):
            run_stage(videos, tmp_path)
    finally:
        (tmp_path / "aside.npz").rename(boxes)
    assert not (tmp_path / "cpn.pt").exists()


def test_a_video_longer_than_its_3d_sequence_is_refused_as_by_detect(videos, tmp_path):
    short = tmp_path / "data_3d_h36m.npz"
    save_3d(short, {s: {SEQUENCE: generate_sequence(0, s, SEQUENCE, FRAMES - 1) / 1000} for s in VIDEOS})
    params = {"seed": 3, "data": data_params(subjects=list(VIDEOS)), "finetune": SETTINGS}
    camera = H36M.cameras("S1")[0].id
    with pytest.raises(VideoError, match=rf"the video has {FRAMES} frames, its sequence {FRAMES - 1}.*"
                                         rf"subject S1, action '{SEQUENCE}', camera {camera}"):
        finetune_cpn.main(params, short, videos, tmp_path / "cpn.pt", tmp_path / "history.parquet")
    assert not (tmp_path / "cpn.pt").exists()


def test_a_checkpoint_of_another_depth_is_refused(videos, tmp_path):
    save_cpn(tmp_path / "coco.pt", CPN(CPNConfig(depth=34, input_size=(64, 32))), CPNConfig(depth=34,
                                                                                            input_size=(64, 32)))
    with pytest.raises(ValueError, match="CPN-34"):
        run_stage(videos, tmp_path, {**SETTINGS, "init_weights": str(tmp_path / "coco.pt")})
