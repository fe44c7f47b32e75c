"""Training windows gathered by index equal VideoPose3D's per-chunk slicing with edge padding."""

import numpy as np
import pytest
import torch

from poselift.datasets.h36m import H36M
from poselift.geometry.layouts import LAYOUTS
from poselift.lifting.sequences import Sequence, Symmetry
from poselift.lifting.windows import WindowBank, flip_poses

SYMMETRY = Symmetry.of(LAYOUTS["h36m"], H36M)


def sequences():
    rng = np.random.default_rng(0)
    return [Sequence("S1", f"Walking {i}", "Walking", i, H36M.camera_ids[i],
                     rng.normal(size=(n, 17, 2)).astype(np.float32), rng.normal(size=(n, 17, 3)).astype(np.float32))
            for i, n in enumerate((5, 11, 8))]


def reference_window(seq, t, rf, causal_shift):
    """VideoPose3D's chunk: 2D frames [t - pad - shift, t + pad - shift] with edge padding at borders."""
    pad = (rf - 1) // 2
    index = np.clip(np.arange(t - pad - causal_shift, t + pad - causal_shift + 1), 0, seq.frames - 1)
    return seq.poses_2d[index]


@pytest.mark.parametrize(("rf", "causal_shift"), [(1, 0), (9, 0), (9, 4), (27, 0)])
def test_gathered_windows_equal_edge_padded_slices(rf, causal_shift):
    seqs = sequences()
    bank = WindowBank(seqs, rf, causal_shift, SYMMETRY, flip=False)
    assert bank.frames == len(bank) == 5 + 11 + 8
    x, y = bank.batch(torch.arange(bank.frames))
    assert x.shape == (24, rf, 17, 2) and y.shape == (24, 1, 17, 3)
    k = 0
    for seq in seqs:
        for t in range(seq.frames):
            np.testing.assert_array_equal(x[k].numpy(), reference_window(seq, t, rf, causal_shift))
            target = seq.poses_3d[t].copy()
            target[0] = 0
            np.testing.assert_array_equal(y[k, 0].numpy(), target)
            k += 1


def test_flipped_samples_are_mirror_images_with_sides_swapped():
    seqs = sequences()
    bank = WindowBank(seqs, 3, 0, SYMMETRY, flip=True)
    assert len(bank) == 2 * bank.frames
    x, y = bank.batch(torch.arange(bank.frames))
    xf, yf = bank.batch(torch.arange(bank.frames, 2 * bank.frames))
    torch.testing.assert_close(xf, flip_poses(x, SYMMETRY.kps_left, SYMMETRY.kps_right))
    torch.testing.assert_close(yf, flip_poses(y, SYMMETRY.joints_left, SYMMETRY.joints_right))
    # joint 1 (right hip) of the flip is joint 4 (left hip) mirrored
    torch.testing.assert_close(xf[:, :, 1, 0], -x[:, :, 4, 0])
    torch.testing.assert_close(flip_poses(flip_poses(x, (1,), (4,)), (1,), (4,)), x)


def test_epoch_covers_every_sample_once_in_near_equal_batches():
    bank = WindowBank(sequences(), 3, 0, SYMMETRY, flip=True)
    batches = bank.epoch_batches(10, torch.Generator().manual_seed(0))
    assert len(batches) == 5  # ceil(48 / 10)
    assert sorted(torch.cat(batches).tolist()) == list(range(48))
    assert {len(b) for b in batches} <= {9, 10}
    again = bank.epoch_batches(10, torch.Generator().manual_seed(0))
    assert all(torch.equal(a, b) for a, b in zip(batches, again, strict=True))


def test_frame_ranges_restrict_targets_not_context():
    seqs = sequences()
    bank = WindowBank(seqs, 5, 0, SYMMETRY, flip=False, frame_ranges=[(0, 1), (3, 6), (7, 8)])
    assert bank.frames == 5
    x, _ = bank.batch(torch.arange(5))
    np.testing.assert_array_equal(x[1].numpy(), reference_window(seqs[1], 3, 5, 0))  # reaches frames 1..5
