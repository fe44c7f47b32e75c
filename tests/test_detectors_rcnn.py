"""torchvision's detectors offline on a CPU: the fallback NMS and RoIAlign kernels against hand-computed
values and torchvision's own, strict loading of weights in torchvision's format, person selection, and
one real forward of Mask R-CNN and Keypoint R-CNN (random weights saved and loaded like real ones)."""

import importlib
import math

import numpy as np
import pytest
import torch
from torch import nn

from poselift.detectors import rcnn
from poselift.detectors.rcnn import WeightsError, keypointrcnn_keypoints, load_rcnn, person_boxes, select_person
from poselift.detectors.torchvision_ops import import_torchvision, nms_kernel, roi_align_kernel, uses_fallback_ops

OPTIONS = {"min_size": 64, "max_size": 64, "box_score_thresh": 0.0}  # tiny images; every box reaches the heads
DETECTIONS = 2  # per image, so that the mask and keypoint heads run on two boxes only
PARAM = "keypoints.maskrcnn_weights"


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def torchvision():
    return import_torchvision()


@pytest.fixture(scope="module")
def saved(torchvision, tmp_path_factory):
    """Per model: torchvision's own model (weights=None: random, fixed by the seed) and its state dict file."""
    folder = tmp_path_factory.mktemp("rcnn")
    built = {}
    for kind, spec in rcnn.MODELS.items():
        torch.manual_seed(0)
        model = getattr(torchvision.models.detection, spec.constructor)(
            weights=None, weights_backbone=None, box_detections_per_img=DETECTIONS, **OPTIONS)
        torch.save(model.state_dict(), folder / spec.weights_file)
        built[kind] = (model.eval(), folder / spec.weights_file)
    yield built
    for _, path in built.values():
        path.unlink()  # 400 MB


@pytest.fixture(scope="module")
def loaded(saved):
    return {kind: load_rcnn(kind, path, PARAM, detections_per_img=DETECTIONS, **OPTIONS)
            for kind, (_, path) in saved.items()}


def test_import_states_its_path(torchvision):
    extension = importlib.import_module("torchvision.extension")
    assert uses_fallback_ops() is (not extension._has_ops())
    assert import_torchvision() is torchvision  # idempotent
    if uses_fallback_ops():
        assert torchvision.ops.poolers.roi_align is torchvision.ops.roi_align is not None
        assert torchvision.ops.boxes.nms is torchvision.ops.nms


# ---- NMS ----

def boxes(*rows):
    return torch.tensor(rows, dtype=torch.float32)


def test_nms_three_overlapping_boxes():
    # a (score .9) and b (.8): IoU 81/119 = 0.68; a and c (.7): 25/175 = 0.14; b and c: 36/164 = 0.22
    c, a, b = [5, 5, 15, 15], [0, 0, 10, 10], [1, 1, 11, 11]
    dets, scores = boxes(c, a, b), torch.tensor([0.7, 0.9, 0.8])
    assert nms_kernel(dets, scores, 0.5).tolist() == [1, 0]  # a, then c; b suppressed by a
    assert nms_kernel(dets, scores, 0.7).tolist() == [1, 2, 0]  # by decreasing score
    assert nms_kernel(dets, scores, 0.1).tolist() == [1]  # c suppressed by a, not by the suppressed b
    assert nms_kernel(dets, scores, 0.5).dtype == torch.int64


def test_nms_suppresses_only_above_the_threshold_compared_in_double():
    assert nms_kernel(boxes([0, 0, 4, 1], [2, 0, 4, 1]), torch.tensor([0.9, 0.8]), 0.5).tolist() == [0, 1]
    # IoU 3/10 in float32 is 0.30000001 > 0.3: torchvision compares in double, so it suppresses
    assert nms_kernel(boxes([0, 0, 10, 1], [0, 0, 3, 1]), torch.tensor([0.9, 0.8]), 0.3).tolist() == [0]


def test_nms_equal_scores_keep_index_order():
    assert nms_kernel(boxes([0, 0, 1, 1], [0, 0, 1, 1]), torch.tensor([0.5, 0.5]), 0.5).tolist() == [0]
    n = 10  # disjoint boxes, two scores: a stable sort (torchvision's); torch's default descending sort is not one
    x = torch.arange(2 * n, dtype=torch.float32)[:, None] * 2
    dets = torch.cat([x, torch.zeros_like(x), x + 1, torch.ones_like(x)], dim=1)
    scores = torch.tensor([0.5] * n + [0.9] * n)
    assert nms_kernel(dets, scores, 0.5).tolist() == list(range(n, 2 * n)) + list(range(n))


def iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(w, 0) * max(h, 0)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def nms_reference(dets, scores, threshold):
    """Greedy NMS written plainly: by decreasing score (ties by index), keep a box unless it overlaps a
    kept one by more than `threshold`."""
    dets, scores = dets.tolist(), scores.tolist()
    keep = []
    for i in sorted(range(len(dets)), key=lambda i: (-scores[i], i)):
        if all(iou(dets[i], dets[k]) <= threshold for k in keep):
            keep.append(i)
    return keep


def random_boxes(n, seed, size=100.0, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=generator, dtype=dtype) * size
    return torch.cat([xy, xy + torch.rand(n, 2, generator=generator, dtype=dtype) * 30 + 1], dim=1)


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.7])
def test_nms_matches_a_brute_force_reference(threshold):
    dets = random_boxes(150, seed=int(10 * threshold))
    scores = torch.rand(150, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    scores[::7] = 0.5  # ties
    keep = nms_kernel(dets, scores, threshold).tolist()
    assert keep == nms_reference(dets, scores, threshold)
    assert 1 < len(keep) < 150


def test_nms_empty_and_through_torchvision(torchvision):
    assert nms_kernel(torch.zeros(0, 4), torch.zeros(0), 0.5).tolist() == []
    generator = torch.Generator().manual_seed(1)
    dets = random_boxes(200, seed=1, dtype=torch.float32)
    scores = torch.rand(200, generator=generator)
    assert torchvision.ops.nms(dets, scores, 0.4).tolist() == nms_reference(dets, scores, 0.4)
    classes = torch.randint(0, 3, (200,), generator=generator)
    per_class = [i for c in range(3) for i in torch.nonzero(classes == c).flatten()[
        nms_reference(dets[classes == c], scores[classes == c], 0.4)].tolist()]
    batched = torchvision.ops.batched_nms(dets, scores, classes, 0.4)
    assert sorted(batched.tolist()) == sorted(per_class)


# ---- RoIAlign ----

def ramp(n=4):
    """An n x n feature map with value 4 y + x at cell (y, x): bilinear sampling of it is exact, so a bin's
    value is 4 mean(y) + mean(x) of its (clamped) sample positions."""
    return torch.arange(n * n, dtype=torch.float32).reshape(1, 1, n, n)


def align(box, out=(2, 2), scale=1.0, sampling_ratio=2, aligned=False):
    """The RoI's pooled ramp, rounded to 5 decimals: float32 bilinear weights are exact to about 1e-7,
    and every expected value here has 3 decimals at most."""
    rois = torch.tensor([[0.0, *box]])
    pooled = roi_align_kernel(ramp(), rois, scale, *out, sampling_ratio, aligned)[0, 0]
    return torch.round(pooled.double(), decimals=5).tolist()


def test_roi_align_hand_computed():
    # box 0..2, bins of 1 cell, 2 samples at 0.25 0.75 | 1.25 1.75: means 0.5 | 1.5
    assert align([0, 0, 2, 2]) == [[2.5, 3.5], [6.5, 7.5]]
    assert align([0, 0, 4, 4], scale=0.5) == [[2.5, 3.5], [6.5, 7.5]]  # the same box on a half-size map
    # aligned: shifted by -0.5 cell; sample -0.25 is within a cell of the map, so it takes the border (0)
    assert align([0, 0, 2, 2], aligned=True) == [[0.625, 1.5], [4.125, 5.0]]
    # one sample per bin at the bin centre 1 | 3
    assert align([0, 0, 4, 4], sampling_ratio=1) == [[5, 7], [13, 15]]
    # a box smaller than a cell counts as 1 x 1 cell without `aligned`: samples 1.125 1.375 | 1.625 1.875
    assert align([1, 1, 1, 1]) == [[6.25, 6.75], [8.25, 8.75]]


@pytest.mark.parametrize("sampling_ratio", [-1, 0])
def test_roi_align_adaptive_sampling(sampling_ratio):
    # ceil(RoI side / bins) samples per side: 4 cells over 2 bins -> 2 in x (0.5 1.5 | 2.5 3.5, clamped to 3),
    # 1 cell over 1 bin -> 1 in y (0.5)
    assert align([0, 0, 4, 1], out=(1, 2), sampling_ratio=sampling_ratio) == [[3.0, 4.75]]
    # an empty aligned box has no samples (0 per side) and gives 0; with 2 samples it gives the point's value
    assert align([1, 1, 1, 1], sampling_ratio=sampling_ratio, aligned=True) == [[0, 0], [0, 0]]
    assert align([1, 1, 1, 1], aligned=True) == [[2.5, 2.5], [2.5, 2.5]]


def test_roi_align_samples_beyond_a_cell_outside_count_as_zero():
    # x samples 3.5 (clamped to 3) and 4.5 (> width 4: 0) | 5.5 6.5 (0); y samples 0.25 0.75
    assert align([3, 0, 7, 1], out=(1, 2)) == [[(4 * 0.25 + 3 + 4 * 0.75 + 3) / 4, 0.0]]


def test_roi_align_batch_index_and_torchvision_api(torchvision):
    features = torch.cat([ramp(), ramp() + 100])
    rois = torch.tensor([[1.0, 0, 0, 2, 2], [0.0, 0, 0, 2, 2]])
    out = roi_align_kernel(features, rois, 1.0, 2, 2, 2, False)
    torch.testing.assert_close(out[:, 0], torch.tensor([[[102.5, 103.5], [106.5, 107.5]], [[2.5, 3.5], [6.5, 7.5]]]))
    by_list = torchvision.ops.roi_align(features, [rois[1:, 1:], rois[:1, 1:]], output_size=2, sampling_ratio=2)
    assert torch.allclose(by_list, out[[1, 0]], atol=1e-5)
    module = torchvision.ops.RoIAlign(output_size=(2, 2), spatial_scale=1.0, sampling_ratio=2)
    assert torch.allclose(module(features, rois), out, atol=1e-5)


def bilinear(feature, y, x):
    """Bilinear interpolation of `feature` (C, H, W) at cell coordinates (y, x), torchvision's border rule:
    0 more than one cell outside the map, else the position clamped to the map."""
    height, width = feature.shape[-2:]
    if y < -1 or y > height or x < -1 or x > width:
        return torch.zeros(feature.shape[0], dtype=torch.float64)
    y, x = min(max(y, 0.0), height - 1), min(max(x, 0.0), width - 1)
    y0, x0 = math.floor(y), math.floor(x)
    y1, x1 = min(y0 + 1, height - 1), min(x0 + 1, width - 1)
    ly, lx = y - y0, x - x0
    f = feature.double()
    return ((1 - ly) * (1 - lx) * f[:, y0, x0] + (1 - ly) * lx * f[:, y0, x1]
            + ly * (1 - lx) * f[:, y1, x0] + ly * lx * f[:, y1, x1])


def roi_align_reference(features, rois, scale, pooled_height, pooled_width, sampling_ratio, aligned):
    """RoIAlign (He et al. 2017) written plainly, in double precision: per bin, the mean of a regular grid
    of bilinear samples."""
    out = torch.zeros(len(rois), features.shape[1], pooled_height, pooled_width, dtype=torch.float64)
    offset = 0.5 if aligned else 0.0
    for k, (b, x1, y1, x2, y2) in enumerate(rois.tolist()):
        x1, y1, x2, y2 = (v * scale - offset for v in (x1, y1, x2, y2))
        width, height = x2 - x1, y2 - y1
        if not aligned:
            width, height = max(width, 1.0), max(height, 1.0)
        bin_w, bin_h = width / pooled_width, height / pooled_height
        gw = sampling_ratio if sampling_ratio > 0 else math.ceil(width / pooled_width)
        gh = sampling_ratio if sampling_ratio > 0 else math.ceil(height / pooled_height)
        for py in range(pooled_height):
            for px in range(pooled_width):
                total = torch.zeros(features.shape[1], dtype=torch.float64)
                for iy in range(gh):
                    for ix in range(gw):
                        y = y1 + py * bin_h + (iy + 0.5) * bin_h / gh
                        x = x1 + px * bin_w + (ix + 0.5) * bin_w / gw
                        total += bilinear(features[int(b)], y, x)
                out[k, :, py, px] = total / max(gh * gw, 1)
    return out


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("sampling_ratio", [-1, 2])
def test_roi_align_matches_a_brute_force_reference(dtype, aligned, sampling_ratio):
    """Random boxes over a quarter-size map, some partly or wholly outside it, some thinner than a cell."""
    generator = torch.Generator().manual_seed(sampling_ratio + 10 * aligned)
    features = torch.randn(2, 3, 10, 12, generator=generator, dtype=dtype)
    xy = torch.rand(12, 2, generator=generator, dtype=dtype) * torch.tensor([60.0, 52.0], dtype=dtype) - 6
    wh = torch.rand(12, 2, generator=generator, dtype=dtype) * torch.tensor([20.0, 16.0], dtype=dtype)
    image = torch.randint(0, 2, (12, 1), generator=generator).to(dtype)
    rois = torch.cat([image, xy, xy + wh], dim=1)  # image pixels
    ours = roi_align_kernel(features, rois, 0.25, 3, 2, sampling_ratio, aligned)
    assert ours.shape == (12, 3, 3, 2) and ours.dtype == dtype
    expected = roi_align_reference(features, rois, 0.25, 3, 2, sampling_ratio, aligned)
    torch.testing.assert_close(ours.double(), expected, atol=1e-5 if dtype == torch.float32 else 1e-12, rtol=0)


@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_matches_torchvisions_own(torchvision, aligned):
    """torchvision's compiled operator where it loads, else its pure-Python `_roi_align` (unwrapped from
    the torch.compile it would otherwise apply on the first call); boxes inside the map, where that
    Python version agrees with the compiled kernels."""
    theirs = (importlib.import_module("torchvision.ops.roi_align")._roi_align.__wrapped__ if uses_fallback_ops()
              else torch.ops.torchvision.roi_align)
    generator = torch.Generator().manual_seed(int(aligned))
    features = torch.randn(2, 3, 20, 24, generator=generator)
    xy = torch.rand(40, 2, generator=generator) * torch.tensor([80.0, 64.0])
    wh = torch.rand(40, 2, generator=generator) * 15 + 0.5
    rois = torch.cat([torch.randint(0, 2, (40, 1), generator=generator).float(), xy, xy + wh], dim=1)
    for sampling_ratio in (-1, 2):
        torch.testing.assert_close(roi_align_kernel(features, rois, 0.25, 7, 5, sampling_ratio, aligned),
                                   theirs(features, rois, 0.25, 7, 5, sampling_ratio, aligned), atol=1e-5, rtol=0)


def test_roi_align_is_differentiable():
    features = torch.randn(1, 2, 6, 6, dtype=torch.float64, requires_grad=True)
    rois = torch.tensor([[0.0, 0.3, 0.7, 4.1, 3.9]], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda f: roi_align_kernel(f, rois, 1.0, 2, 2, 2, True), (features,))


# ---- weights ----

FRAME = np.random.default_rng(2).integers(0, 256, (48, 64, 3), dtype=np.uint8)  # the one test frame


def test_state_dict_of_torchvisions_constructor_loads_strictly_and_gives_its_outputs(torchvision, saved, loaded):
    """One forward of each model on one tiny frame: the loaded model's detections are the reference's."""
    for kind, (reference, _) in saved.items():
        model = loaded[kind]
        assert not model.training
        norms = [m for m in model.modules() if isinstance(m, torchvision.ops.misc.FrozenBatchNorm2d)]
        assert len(norms) == 53 and all(m.eps == 0.0 for m in norms)  # torchvision's COCO models
        assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
        assert not [k for k in model.state_dict() if k.endswith("num_batches_tracked")]  # the hub files' layout
        for m in reference.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eps = 0.0  # what torchvision sets for its COCO weights, and the loader with them
        image = torch.from_numpy(FRAME).permute(2, 0, 1).float() / 255
        with torch.no_grad():
            expected, got = reference([image])[0], model([image])[0]
        assert expected.keys() == got.keys() and len(got["boxes"]) == DETECTIONS
        for key in expected:
            torch.testing.assert_close(got[key], expected[key])
        assert ("keypoints" in got) is (kind == "keypointrcnn") and ("masks" in got) is (kind == "maskrcnn")


def test_person_keypoints_from_a_real_forward(loaded):
    """Keypoint R-CNN (one class, every box kept at threshold 0) finds a person; its keypoints lie in its
    box, widened by the one pixel torchvision's decoding may add to a thin box, in full-frame pixels."""
    found = keypointrcnn_keypoints(loaded["keypointrcnn"], [FRAME], 0.0, batch_size=1)
    assert not found.missing.any() and found.keypoints.shape == (1, 17, 2) and found.keypoint_scores.shape == (1, 17)
    box = found.boxes[0]
    assert (box[:2] >= 0).all() and (box[2:] <= [64, 48]).all()
    assert ((found.keypoints[0] >= box[:2] - 1e-3) & (found.keypoints[0] <= box[2:] + 1 + 1e-3)).all()


def tiny_state(model):
    """The model's keys and shapes, every tensor a broadcast zero: a file of a few kB."""
    return {key: torch.zeros((), dtype=value.dtype).expand(value.shape) for key, value in model.state_dict().items()}


def refused(path, kind="maskrcnn"):
    with pytest.raises(WeightsError) as info:
        load_rcnn(kind, path, PARAM, **OPTIONS)
    message = str(info.value)
    assert PARAM in message and str(path) in message and rcnn.MODELS[kind].weights_file in message
    return message


def test_weights_that_do_not_fit_are_refused_naming_parameter_file_and_keys(loaded, saved, tmp_path):
    state = tiny_state(loaded["maskrcnn"])
    key = "roi_heads.mask_predictor.mask_fcn_logits.weight"
    cases = {
        "missing": ({k: v for k, v in state.items() if k != key}, ["1 keys missing", key]),
        "extra": ({**state, "roi_heads.extra.weight": torch.zeros(1)}, ["1 unexpected keys", "roi_heads.extra.weight"]),
        "shape": ({**state, key: torch.zeros(2, 256, 1, 1)}, ["1 shapes differ", f"{key} (2, 256, 1, 1) in the file"]),
    }
    for name, (content, expected) in cases.items():
        torch.save(content, tmp_path / f"{name}.pth")
        message = refused(tmp_path / f"{name}.pth")
        assert all(text in message for text in expected), message
    # the Keypoint R-CNN file given for Mask R-CNN: every kind of mismatch, the first keys named
    message = refused(saved["keypointrcnn"][1])
    assert "keys missing (roi_heads.mask_head" in message and "unexpected keys (roi_heads.keypoint_head" in message
    assert "shapes differ (roi_heads.box_predictor.cls_score.weight (2, 1024) in the file, (91, 1024)" in message


def test_files_that_are_no_state_dict_are_refused(tmp_path):
    assert "no such file" in refused(tmp_path / "maskrcnn.pth")
    torch.save([1, 2], tmp_path / "list.pth")
    assert "holds a list, not a state dict" in refused(tmp_path / "list.pth")
    torch.save({"epoch": 3, "model": {}}, tmp_path / "checkpoint.pth")
    assert "not a state dict of parameter names and tensors: 'epoch' (int), 'model' (dict)" in refused(
        tmp_path / "checkpoint.pth")
    torch.save(nn.Linear(2, 2), tmp_path / "module.pth")  # a whole pickled model
    assert "cannot be read as a state dict" in refused(tmp_path / "module.pth")
    (tmp_path / "text.pth").write_text("not a torch file")
    assert "cannot be read as a state dict" in refused(tmp_path / "text.pth")
    with pytest.raises(ValueError, match="unknown detector 'cpn'"):
        load_rcnn("cpn", tmp_path / "list.pth", PARAM, **OPTIONS)


# ---- person selection, on fabricated detections ----

def detection(labels, scores, with_keypoints=False):
    n = len(labels)
    out = {"boxes": torch.arange(4 * n, dtype=torch.float32).reshape(n, 4),
           "labels": torch.tensor(labels, dtype=torch.int64), "scores": torch.tensor(scores, dtype=torch.float32)}
    if with_keypoints:
        out["keypoints"] = torch.arange(n * 17 * 3, dtype=torch.float32).reshape(n, 17, 3)
        out["keypoints_scores"] = torch.arange(n * 17, dtype=torch.float32).reshape(n, 17)
    return out


FRAMES = [  # car .99, person .6, person .95, dog .97, person .3 -> the person at 2
    ([3, 1, 1, 18, 1], [0.99, 0.6, 0.95, 0.97, 0.3]),
    ([3, 18], [0.99, 0.9]),  # no person
    ([1, 1], [0.5, 0.2]),  # persons, none above 0.5
    ([], []),  # nothing
    ([1], [0.51]),
]


def test_select_person_takes_the_best_person_above_the_threshold():
    assert [select_person(detection(*frame), 0.5) for frame in FRAMES] == [2, None, None, None, 0]
    assert select_person(detection(*FRAMES[2]), 0.4) == 0


class Fabricated(nn.Module):
    """Stands in for a detector: returns the given detections, one per image, and records its calls."""

    def __init__(self, detections):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.detections, self.calls = iter(detections), []

    def forward(self, images):
        self.calls.append(([tuple(image.shape) for image in images], self.training, torch.is_grad_enabled(),
                           max(float(image.max()) for image in images)))
        return [next(self.detections) for _ in images]


def frames(n, height=48, width=64):
    return [np.full((height, width, 3), 255, np.uint8) for _ in range(n)]


def test_person_boxes_per_frame_in_batches_with_frames_without_person_flagged():
    model = Fabricated([detection(*frame) for frame in FRAMES]).train()
    result = person_boxes(model, frames(5), 0.5, batch_size=2)
    assert [len(shapes) for shapes, *_ in model.calls] == [2, 2, 1]
    assert all(shapes[0] == (3, 48, 64) and not training and not grad and top == 1.0
               for shapes, training, grad, top in model.calls)  # float in [0, 1], eval mode, no gradients
    assert result.missing.tolist() == [False, True, True, True, False]
    assert result.boxes.shape == (5, 4) and result.boxes.dtype == np.float32
    np.testing.assert_array_equal(result.boxes[0], [8, 9, 10, 11])
    np.testing.assert_array_equal(result.boxes[4], [0, 1, 2, 3])
    assert np.isnan(result.boxes[1:4]).all() and np.isnan(result.scores[1:4]).all()
    np.testing.assert_allclose(result.scores[[0, 4]], [0.95, 0.51])


def test_keypoints_of_the_selected_person():
    model = Fabricated([detection(*frame, with_keypoints=True) for frame in FRAMES])
    result = keypointrcnn_keypoints(model, frames(5), 0.5, batch_size=3)
    assert result.keypoints.shape == (5, 17, 2) and result.keypoint_scores.shape == (5, 17)
    assert result.missing.tolist() == [False, True, True, True, False]
    np.testing.assert_array_equal(result.keypoints[0], np.arange(2 * 51, 3 * 51).reshape(17, 3)[:, :2])
    np.testing.assert_array_equal(result.keypoint_scores[4], np.arange(17))
    assert np.isnan(result.keypoints[1:4]).all() and np.isnan(result.keypoint_scores[1:4]).all()
    with pytest.raises(ValueError, match="needs a Keypoint R-CNN"):
        keypointrcnn_keypoints(Fabricated([detection([1], [0.9])]), frames(1), 0.5, batch_size=1)


def test_frames_must_be_uint8_rgb():
    with pytest.raises(ValueError, match=r"frame 1: expected a uint8 RGB image \(H, W, 3\), got float32"):
        person_boxes(Fabricated([]), [frames(1)[0], np.zeros((4, 4, 3), np.float32)], 0.5, batch_size=4)
