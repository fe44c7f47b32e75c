"""CPN as a 2D keypoint detector: crop and heatmap geometry, flip test, the model and its checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from poselift.detectors.cpn import CPN, CPNConfig, ResNet, load_cpn, save_cpn
from poselift.detectors.heatmaps import (
    COCO_LEFT,
    COCO_RIGHT,
    apply_affine,
    cells_to_crop,
    crop_frames,
    crop_regions,
    crop_to_cells,
    crop_transforms,
    decode_heatmaps,
    detect_keypoints,
    flip_heatmaps,
    gaussian_heatmaps,
    invert_affine,
    predict_heatmaps,
)

FRAME = (1000, 1000)  # (height, width), a Human3.6M video frame
BOXES = {  # (x0, y0, x1, y1) in frame pixels
    "tall": (450.0, 100.0, 570.0, 700.0),
    "wide": (100.0, 400.0, 700.0, 550.0),
    "border": (-40.0, 600.0, 160.0, 1010.0),  # partly outside the frame
    "small": (500.0, 500.0, 540.0, 580.0),  # smaller than the crop
}
SMALL = CPNConfig.pytorch_cpn(depth=18, input_size=(64, 32))


pytestmark = pytest.mark.usefixtures("one_thread")


def _roundtrip(box: tuple[float, ...], crop_points: np.ndarray, input_size=(256, 192),
               sigma=2.0) -> tuple[np.ndarray, float]:
    """Full-frame keypoints at `crop_points` (J, 2) -> Gaussian targets -> decoded full-frame keypoints."""
    affine = crop_transforms(np.array([box]), input_size)
    frame_points = apply_affine(invert_affine(affine), crop_points[None])  # the known keypoints
    targets = gaussian_heatmaps(apply_affine(affine, frame_points), (input_size[0] // 4, input_size[1] // 4), sigma)
    cells, _ = decode_heatmaps(targets.double())
    decoded = apply_affine(invert_affine(affine), cells_to_crop(cells.numpy()))
    return decoded[0] - frame_points[0], affine[0, 0, 0]


@pytest.mark.parametrize("name", list(BOXES))
def test_round_trip_is_exact_where_the_quarter_rule_is(name):
    """Joints a quarter cell from a cell centre, along x or y, decode to the full-frame pixel they were
    encoded from (max error about 1e-12 px; a half-pixel convention slip would be 0.5 px / scale)."""
    rng = np.random.default_rng(0)
    region = crop_regions(np.array([BOXES[name]]), (256, 192))[0]
    affine = crop_transforms(np.array([BOXES[name]]), (256, 192))
    inside = apply_affine(affine, region.reshape(1, 2, 2))[0]  # the whole crop, (0, 0) to (192, 256)
    assert np.allclose(inside, [[0, 0], [192, 256]])
    cells = rng.integers([8, 8], [40, 56], size=(17, 2)).astype(float)  # (x, y), away from the map's edge
    quarter = np.array([[0.25, 0], [-0.25, 0], [0, 0.25], [0, -0.25]])[rng.integers(0, 4, 17)]
    error, _ = _roundtrip(BOXES[name], cells_to_crop(cells + quarter))
    assert np.abs(error).max() < 1e-6


@pytest.mark.parametrize("name", list(BOXES))
def test_round_trip_anywhere_is_within_the_rules_resolution(name):
    """Elsewhere the error is that of a quarter-cell rule: at most half a cell (2 crop pixels) per axis."""
    rng = np.random.default_rng(1)
    crop_points = rng.uniform([40, 40], [152, 216], size=(17, 2))
    error, scale = _roundtrip(BOXES[name], crop_points)
    assert np.abs(error).max() <= 2 / scale + 1e-9


def test_crop_is_the_box_widened_and_grown_to_the_input_aspect():
    tall, wide = crop_regions(np.array([BOXES["tall"], BOXES["wide"]]), (256, 192))
    assert np.allclose(tall, [510 - 0.75 * 390, 10, 510 + 0.75 * 390, 790])  # height 600 * 1.3, width 3/4
    assert np.allclose(wide, [400 - 360, 475 - 480, 400 + 360, 475 + 480])  # width 600 * 1.2, height 4/3
    with pytest.raises(ValueError, match="box 1"):
        crop_regions(np.array([BOXES["tall"], (5, 5, 5, 9)]), (256, 192))


def test_crop_samples_bilinearly_at_pixel_centres_and_pads_with_the_mean():
    """A frame whose pixel column c holds the value c reads x - 0.5 at frame position x (the pixel
    centres are at c + 0.5); outside the frame a crop holds the mean pixel, zero once normalised."""
    frame = np.broadcast_to(np.arange(200, dtype=np.uint8)[None, :, None], (120, 200, 3))
    box = np.array([[-50.0, 20.0, 100.0, 100.0]])
    affine = crop_transforms(box, (64, 32))
    crop = crop_frames([frame], affine, (64, 32), SMALL.pixel_mean)[0]  # (3, 64, 32)
    pixels = crop * 255 + torch.tensor(SMALL.pixel_mean)[:, None, None]
    x = apply_affine(invert_affine(affine), np.stack([np.arange(32) + 0.5, np.full(32, 30.5)], 1)[None])[0, :, 0]
    inside = (x > 0.5) & (x < 199.5)
    assert np.allclose(pixels[:, 30, inside].numpy(), x[inside] - 0.5, atol=1e-3)
    assert torch.equal(crop[:, :, x < -0.5], torch.zeros_like(crop[:, :, x < -0.5]))


def test_quarter_offset_toward_the_second_maximum():
    heatmap = torch.zeros(1, 2, 8, 6)
    heatmap[0, 0, 3, 2], heatmap[0, 0, 3, 3] = 1.0, 0.5  # second maximum to the right
    heatmap[0, 1, 5, 4], heatmap[0, 1, 4, 4] = 0.8, 0.3  # second maximum above
    for sigma in (0.0, 1.0, 3.5):
        cells, maxima = decode_heatmaps(heatmap, smooth_sigma=sigma)
        assert cells.tolist() == [[[2.25, 3.0], [4.0, 4.75]]]
        assert maxima[0].tolist() == pytest.approx([1.0, 0.8])
    assert cells_to_crop(cells)[0, 0].tolist() == [11.0, 14.0]
    assert crop_to_cells(cells_to_crop(cells)).tolist() == cells.tolist()


def test_flip_back_mirrors_and_swaps_left_and_right():
    heatmap = torch.zeros(1, 17, 16, 12)
    heatmap[0, 5, 7, 2] = 1.0  # LShoulder at cell x = 2 of the mirrored crop
    back = flip_heatmaps(heatmap)
    assert back[0, 6, 7, 12 - 1 - 2] == 1.0 and back.sum() == 1.0  # RShoulder at x = 9
    assert torch.equal(flip_heatmaps(back), heatmap)


class FixedHeatmaps(nn.Module):
    """A stand-in detector: heatmaps that are a fixed, asymmetric function of the crop."""

    def __init__(self, config: CPNConfig):
        super().__init__()
        self.config = config
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, config.num_joints, 5, stride=4, padding=2)

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        return self.conv(crops).exp()  # (B, 17, H/4, W/4)


def test_flip_test_is_exactly_equivariant_to_mirroring():
    model = FixedHeatmaps(SMALL).eval()
    crops = torch.randn(3, 3, 64, 32)
    with torch.no_grad():
        mirrored = predict_heatmaps(model, crops.flip(-1))
        assert torch.equal(mirrored, flip_heatmaps(predict_heatmaps(model, crops)))
        plain = model(crops.flip(-1))
        assert not torch.allclose(plain, flip_heatmaps(model(crops)))  # the model alone is not


def test_detect_keypoints_on_a_mirrored_frame_mirrors_and_swaps_the_joints():
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 256, size=(240, 320, 3), dtype=np.uint8)
    box = np.array([60.0, 30.0, 150.0, 220.0])
    mirrored_box = np.array([320 - box[2], box[1], 320 - box[0], box[3]])
    model = FixedHeatmaps(SMALL).eval()
    frames = [frame, frame[:, ::-1], frame]
    kp = detect_keypoints(model, frames, np.stack([box, mirrored_box, np.full(4, np.nan)]), batch_size=2)
    assert kp.shape == (3, 17, 3) and kp.dtype == np.float32
    swap = list(range(17))
    for a, b in zip(COCO_LEFT, COCO_RIGHT, strict=True):
        swap[a], swap[b] = b, a
    assert np.allclose(320 - kp[1, swap, 0], kp[0, :, 0], atol=1e-3)
    assert np.allclose(kp[1, swap, 1:], kp[0, :, 1:], atol=1e-3)
    assert np.isnan(kp[2]).all()  # no person box, no keypoints
    with pytest.raises(ValueError, match="3 frames but 2 boxes"):
        detect_keypoints(model, frames, np.stack([box, box]))


@pytest.mark.parametrize(("depth", "size"), [(50, (256, 192)), (18, (128, 96))])
def test_model_gives_stride_4_heatmaps(depth, size):
    model = CPN(CPNConfig(depth=depth, input_size=size)).eval()
    with torch.no_grad():
        global_heatmaps, refined = model(torch.randn(2, 3, *size), with_global=True)
    assert refined.shape == (2, 17, size[0] // 4, size[1] // 4)
    assert [g.shape for g in global_heatmaps] == [refined.shape] * 4
    with pytest.raises(ValueError, match="expected crops"):
        model(torch.randn(1, 3, 64, 48))


@pytest.mark.parametrize(("depth", "count"), [(18, 11_176_512), (34, 21_284_672), (50, 23_508_032),
                                              (101, 42_500_160)])
def test_backbone_has_torchvisions_parameter_count_without_fc(depth, count):
    assert sum(p.numel() for p in ResNet(depth).parameters()) == count


def test_state_dict_has_pytorch_cpns_layout():
    """Keys and shapes of pytorch-cpn's CPN50 (networks/{resnet,globalNet,refineNet}.py): 582 entries."""
    state = CPN(CPNConfig.pytorch_cpn(50)).state_dict()
    assert len(state) == 582
    shapes = {
        "resnet.conv1.weight": (64, 3, 7, 7), "resnet.layer3.5.conv3.weight": (1024, 256, 1, 1),
        "resnet.layer2.0.downsample.0.weight": (512, 256, 1, 1), "resnet.layer4.2.bn3.running_var": (2048,),
        "global_net.laterals.0.0.weight": (256, 2048, 1, 1), "global_net.laterals.3.1.weight": (256,),
        "global_net.upsamples.2.1.weight": (256, 256, 1, 1), "global_net.upsamples.2.2.bias": (256,),
        "global_net.predict.0.0.weight": (256, 256, 1, 1), "global_net.predict.3.3.weight": (17, 256, 3, 3),
        "global_net.predict.3.5.running_mean": (17,), "refine_net.cascade.0.2.conv3.weight": (256, 128, 1, 1),
        "refine_net.cascade.2.0.downsample.0.weight": (256, 256, 1, 1),
        "refine_net.final_predict.0.downsample.0.weight": (256, 1024, 1, 1),
        "refine_net.final_predict.1.weight": (17, 256, 3, 3), "refine_net.final_predict.2.weight": (17,),
    }
    assert {k: tuple(state[k].shape) for k in shapes} == shapes
    assert not any((k.endswith(".bias") and ".conv" in k) or "fc." in k for k in state)
    assert not any(k.startswith("refine_net.cascade.3.") for k in state)  # C2: no bottleneck, only resizing
    paper = CPN(CPNConfig(50)).state_dict()
    assert "refine_net.final_predict.2.weight" not in paper and "global_net.predict.0.5.weight" not in paper
    assert "refine_net.cascade.0.0.downsample.0.weight" not in paper
    assert "refine_net.final_predict.0.downsample.0.weight" in paper  # 1024 -> 256 channels needs it


def _randomised(config: CPNConfig) -> CPN:
    """A CPN with non-trivial batch-norm statistics, in eval mode."""
    torch.manual_seed(0)
    model = CPN(config)
    for name, buffer in model.named_buffers():
        if name.endswith("running_mean"):
            buffer.normal_(0, 0.1)
        elif name.endswith("running_var"):
            buffer.uniform_(0.5, 1.5)
    return model.eval()


@pytest.mark.parametrize("prefix", ["module.", ""])  # saved from DataParallel, or from the bare model
def test_pytorch_cpn_checkpoint_loads_strictly_and_gives_the_same_heatmaps(tmp_path, prefix):
    model = _randomised(SMALL)
    state = {f"{prefix}{k}": v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    first = next(model.parameters())
    optimizer = {"state": {0: {"step": torch.tensor(1.0), "exp_avg": torch.zeros_like(first),
                               "exp_avg_sq": torch.zeros_like(first)}},
                 "param_groups": [{"lr": 5e-4, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-5,
                                   "amsgrad": False, "params": list(range(len(list(model.parameters()))))}]}
    path = tmp_path / "epoch12checkpoint.pth.tar"
    torch.save({"epoch": 12, "state_dict": state, "optimizer": optimizer}, path)
    loaded, extra = load_cpn(path, input_size=(64, 32))
    assert loaded.config == SMALL and extra == {"source": "pytorch-cpn", "epoch": 12} and not loaded.training
    crops = torch.randn(2, 3, 64, 32)
    with torch.no_grad():
        assert torch.equal(loaded(crops), model(crops))
    with pytest.raises(ValueError, match=r"epoch12checkpoint.pth.tar: .*input_size"):
        load_cpn(path)


def test_our_checkpoint_round_trips_with_the_safe_loader(tmp_path):
    config = CPNConfig(depth=18, input_size=(64, 32))
    model = _randomised(config)
    extra = {"epoch": 3, "params": {"lr": 1e-3, "sizes": [64, 32]}, "history": [{"loss": 0.5}], "note": None}
    path = tmp_path / "cpn.pt"
    save_cpn(path, model, config, extra)
    raw = torch.load(path, weights_only=True)
    assert raw["config"]["input_size"] == [64, 32]
    loaded, loaded_extra = load_cpn(path)
    assert loaded.config == config and loaded_extra == extra
    crops = torch.randn(2, 3, 64, 32)
    with torch.no_grad():
        assert torch.equal(loaded(crops), model(crops))
    with pytest.raises(ValueError, match=r"extra\['params'\]\['sizes'\] is a ndarray"):
        save_cpn(tmp_path / "bad.pt", model, config, {"params": {"sizes": np.array([64, 32])}})
    with pytest.raises(ValueError, match="not the model's"):
        save_cpn(tmp_path / "bad.pt", model, SMALL)
    assert not (tmp_path / "bad.pt").exists()


def test_wrong_files_are_refused_naming_the_file_and_keys(tmp_path):
    text = tmp_path / "notes.pth.tar"
    text.write_text("not a checkpoint")
    with pytest.raises(ValueError, match=r"notes.pth.tar: not a torch checkpoint"):
        load_cpn(text)
    other = tmp_path / "other.pt"
    torch.save({"model_pos": {}}, other)
    with pytest.raises(ValueError, match=r"other.pt: neither .* \(keys: model_pos\)"):
        load_cpn(other)
    state = CPN(SMALL).state_dict()
    state["extra.weight"] = state.pop("global_net.laterals.0.0.weight")
    state["refine_net.final_predict.1.weight"] = torch.zeros(16, 256, 3, 3)
    broken = tmp_path / "broken.pth.tar"
    torch.save({"epoch": 1, "state_dict": state, "optimizer": {}}, broken)
    with pytest.raises(ValueError, match=r"broken.pth.tar: does not match a CPN-18 with 16 joints \(missing: "
                                         r"global_net.laterals.0.0.weight; unexpected: extra.weight; shape: "
                                         r"global_net.predict.0.3.weight"):
        load_cpn(broken, input_size=(64, 32))
