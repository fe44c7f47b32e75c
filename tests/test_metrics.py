"""Protocols #1-#3, MPJVE and VideoPose3D's aggregation, against invariants and hand-computed values."""

import numpy as np
import pandas as pd
import pytest
import torch

from poselift.lifting.aggregation import action_wise_average, per_action, per_subject
from poselift.lifting.metrics import mpjpe, mpjve, n_mpjpe, p_mpjpe, procrustes_align, weighted_mpjpe


def random_rotation(rng) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] *= -1
    return q


@pytest.fixture
def poses():
    rng = np.random.default_rng(0)
    return rng.normal(size=(20, 17, 3)) * 0.3, rng


def test_mpjpe_hand_computed():
    target = np.zeros((1, 2, 3))
    predicted = np.array([[[3.0, 4.0, 0.0], [0.0, 0.0, 1.0]]])
    assert mpjpe(predicted, target) == pytest.approx(3.0)  # (5 + 1) / 2
    assert weighted_mpjpe(predicted, target, np.array([[2.0]])) == pytest.approx(6.0)


def test_p_mpjpe_of_similarity_transformed_copy_is_zero(poses):
    target, rng = poses
    r, s, t = random_rotation(rng), 1.7, np.array([0.5, -1.0, 2.0])
    predicted = s * target @ r.T + t
    assert mpjpe(predicted, target) > 0.1
    assert p_mpjpe(predicted, target) < 1e-10
    np.testing.assert_allclose(procrustes_align(predicted, target), target, atol=1e-10)


def test_p_mpjpe_does_not_undo_a_reflection(poses):
    target, _ = poses
    mirrored = target * np.array([-1.0, 1.0, 1.0])
    assert p_mpjpe(mirrored, target) > 0.05  # a rotation cannot produce a mirror image


def test_p_mpjpe_is_at_most_mpjpe_and_per_frame(poses):
    target, rng = poses
    predicted = target + rng.normal(scale=0.05, size=target.shape)
    assert p_mpjpe(predicted, target) <= mpjpe(predicted, target) + 1e-12
    per_frame = [p_mpjpe(predicted[i : i + 1], target[i : i + 1]) for i in range(len(target))]
    assert p_mpjpe(predicted, target) == pytest.approx(np.mean(per_frame))


def test_n_mpjpe_is_scale_invariant(poses):
    target, rng = poses
    predicted = target + rng.normal(scale=0.02, size=target.shape)
    assert n_mpjpe(3.0 * predicted, target) == pytest.approx(n_mpjpe(predicted, target), rel=1e-9)
    assert n_mpjpe(0.5 * target, target) < 1e-12
    assert mpjpe(0.5 * target, target) > 0.1


def test_mpjve_of_constant_offset_is_zero_and_of_a_drift_is_its_speed(poses):
    target, _ = poses
    assert mpjve(target + np.array([0.3, -0.1, 0.2]), target) < 1e-12
    drift = target + np.arange(len(target))[:, None, None] * np.array([0.003, 0.004, 0.0])
    assert mpjve(drift, target) == pytest.approx(0.005)
    with pytest.raises(ValueError, match="sequence"):
        mpjve(target[:1], target[:1])


def test_numpy_and_torch_give_the_same_numbers(poses):
    target, rng = poses
    predicted = target + rng.normal(scale=0.05, size=target.shape)
    for metric in (mpjpe, p_mpjpe, n_mpjpe, mpjve):
        a = metric(predicted.astype(np.float32), target.astype(np.float32))
        b = metric(torch.from_numpy(predicted).float(), torch.from_numpy(target).float())
        assert isinstance(b, torch.Tensor) and float(a) == pytest.approx(float(b), rel=1e-5)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="differ in shape"):
        mpjpe(np.zeros((2, 17, 3)), np.zeros((2, 16, 3)))


def rows(values):
    return pd.DataFrame(values, columns=["subject", "base_action", "frames", "mpjpe", "p_mpjpe", "n_mpjpe", "mpjve"])


def test_aggregation_weights_frames_within_actions_not_across():
    r = rows([
        ("S9", "Walking", 100, 10.0, 8.0, 9.0, 1.0),
        ("S9", "Walking", 300, 20.0, 16.0, 18.0, 2.0),
        ("S11", "Eating", 1000, 50.0, 40.0, 45.0, 3.0),
    ])
    table = per_action(r)
    assert table.loc["Walking", "mpjpe"] == pytest.approx(17.5)  # (10*100 + 20*300) / 400
    assert table.loc["Walking", "frames"] == 400 and table.loc["Walking", "sequences"] == 2
    avg = action_wise_average(r)
    assert avg["mpjpe"] == pytest.approx((17.5 + 50.0) / 2)  # unweighted over actions
    assert avg["mpjpe"] != pytest.approx((10 * 100 + 20 * 300 + 50 * 1000) / 1400)
    by_subject = per_subject(r)
    assert by_subject.loc["S9", "mpjpe"] == pytest.approx(17.5)
    assert by_subject.loc["S11", "mpjve"] == pytest.approx(3.0)


def test_aggregation_rejects_missing_columns_and_empty_rows():
    with pytest.raises(ValueError, match="frames"):
        per_action(pd.DataFrame({"base_action": ["A"], "mpjpe": [1.0]}), ("mpjpe",))
    with pytest.raises(ValueError, match="no per-sequence rows"):
        per_action(rows([]))
