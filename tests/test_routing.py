"""The action classifier (poselift.actions.classifier) on a separable toy problem, and routing to the experts
(poselift.actions.routing): a perfect classifier reproduces the oracle, one-hot mixtures reproduce routing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from poselift.actions.classifier import (
    Classification,
    accuracy_summary,
    action_probabilities,
    classification_rows,
    classifier_config,
    labels_of,
)
from poselift.actions.routing import ROUTES, routed_predictions, routing_rows, transfer_rows
from poselift.datasets.h36m import H36M
from poselift.geometry.layouts import LAYOUTS
from poselift.lifting.model import TemporalModel
from poselift.lifting.sequences import Sequence, Symmetry
from poselift.lifting.training import Schedule, Trainer
from poselift.lifting.windows import WindowBank

TOY_ACTIONS = ("Waving", "Bowing", "Jumping")


def toy_sequences(seed: int, per_action: int, frames: int = 40) -> list[Sequence]:
    """Clips of 17 joints whose motion tells the action: joint 16 (a wrist) swings sideways, the head
    (joint 10) dips, or every joint bobs up, each with its own frequency, over noise."""
    rng, rng_3d = np.random.default_rng(seed), np.random.default_rng(seed + 100)
    out = []
    t = np.arange(frames) / 50.0
    for label, action in enumerate(TOY_ACTIONS):
        for k in range(per_action):
            pose = rng.normal(0, 0.05, (frames, 17, 2)).astype(np.float32)
            phase = rng.uniform(0, 2 * np.pi)
            wave = 0.3 * np.sin(2 * np.pi * (1.5 + label) * t + phase)
            if label == 0:
                pose[:, 16, 0] += wave
            elif label == 1:
                pose[:, 10, 1] += wave
            else:
                pose[:, :, 1] += wave[:, None]
            pose_3d = rng_3d.normal(0, 0.2, (frames, 17, 3)).astype(np.float32)
            pose_3d[:, 0] = 0  # the root at the origin, as the target of the errors
            out.append(Sequence(subject=f"S{k}", action=action, base_action=action, camera=k % 4, camera_id=str(k % 4),
                                poses_2d=pose, poses_3d=pose_3d))
    return out


def train_classifier(train: list[Sequence], test: list[Sequence], labels: list[int]) -> dict:
    torch.set_num_threads(1)
    symmetry = Symmetry.of(LAYOUTS["h36m"], H36M)
    config = classifier_config(17, len(TOY_ACTIONS), [3, 3], channels=32, dropout=0.1)
    bank = WindowBank(train, config.receptive_field, 0, symmetry, flip=False, labels=labels)
    objective = Classification(test, TOY_ACTIONS, symmetry, tta=False)
    trainer = Trainer(config, bank, objective, Schedule(epochs=12, lr=3e-3, lr_decay=0.95), batch_size=128, seed=3)
    while not trainer.done:
        row = trainer.train_epoch()
    return row


def test_classifier_learns_a_separable_problem_and_fails_on_shuffled_labels():
    train, test = toy_sequences(0, per_action=6), toy_sequences(1, per_action=4)
    learned = train_classifier(train, test, labels_of(train, TOY_ACTIONS))
    assert learned["test_accuracy"] > 0.9
    assert learned["test_sequence_accuracy"] == 1.0
    shuffled = list(np.random.default_rng(5).permutation(labels_of(train, TOY_ACTIONS)))
    chance = train_classifier(train, test, shuffled)
    assert chance["test_sequence_accuracy"] < 0.7  # chance is 1/3


def test_accuracy_summary_counts_votes_and_windows():
    seqs = toy_sequences(2, per_action=2, frames=10)
    probabilities = []
    for s in seqs:  # every frame right, except: the first Waving clip is voted Bowing in 6 of 10 frames
        p = torch.zeros(10, 3)
        p[:, TOY_ACTIONS.index(s.base_action)] = 1
        probabilities.append(p)
    probabilities[0][:6] = torch.tensor([0.0, 1.0, 0.0])
    rows = classification_rows(probabilities, seqs, TOY_ACTIONS)
    summary = accuracy_summary(rows, TOY_ACTIONS)
    assert summary["sequence"] == pytest.approx(5 / 6)
    assert summary["window"] == pytest.approx(54 / 60)
    assert summary["per_action"]["Waving"] == pytest.approx({"window": 0.7, "sequence": 0.5, "sequences": 2})
    assert summary["confusion"]["Waving"] == {"Waving": 1, "Bowing": 1, "Jumping": 0}


def _experts(seqs: list[Sequence]) -> dict[str, list[torch.Tensor]]:
    """Each action's 'expert' predicts a distinct constant offset of the truth (so every choice is visible)."""
    gen = torch.Generator().manual_seed(0)
    return {a: [torch.from_numpy(s.poses_3d) + 0.01 * (i + 1) + 0.001 * torch.randn(s.frames, 17, 3, generator=gen)
                for s in seqs] for i, a in enumerate(TOY_ACTIONS)}


def test_perfect_classifier_routes_exactly_like_the_oracle_and_one_hot_mixture_like_routing():
    seqs = toy_sequences(3, per_action=2, frames=12)
    experts = _experts(seqs)
    one_hot = [torch.nn.functional.one_hot(torch.full((s.frames,), TOY_ACTIONS.index(s.base_action)), 3).double()
               for s in seqs]
    routed = routed_predictions(experts, one_hot, seqs, TOY_ACTIONS)
    assert set(routed) == set(ROUTES)
    for i, s in enumerate(seqs):
        own = experts[s.base_action][i]
        for route in ROUTES:
            assert torch.equal(routed[route][0][i], own), (route, i)
    rows = routing_rows(routed, seqs, TOY_ACTIONS)
    by_route = {r: g.drop(columns="route").reset_index(drop=True) for r, g in rows.groupby("route")}
    for route in ROUTES:
        assert by_route[route].equals(by_route["oracle"]), route
    assert (rows["right_expert"] == 1.0).all()

    # the window route follows the per-frame decision; a one-hot mixture equals it exactly
    switching = []
    for s in seqs:
        choice = torch.arange(s.frames) % 3  # (T,): the expert changes every frame
        switching.append(torch.nn.functional.one_hot(choice, 3).double())
    routed = routed_predictions(experts, switching, seqs, TOY_ACTIONS)
    for i, s in enumerate(seqs):
        expected = torch.stack([experts[TOY_ACTIONS[t % 3]][i][t] for t in range(s.frames)])
        assert torch.equal(routed["window"][0][i], expected)
        assert torch.equal(routed["mixture"][0][i], expected)
    # and a soft mixture is the weighted mean
    soft = [torch.full((s.frames, 3), 1 / 3, dtype=torch.float64) for s in seqs]
    mixed = routed_predictions(experts, soft, seqs, TOY_ACTIONS)["mixture"][0]
    for i in range(len(seqs)):
        assert torch.allclose(mixed[i], sum(experts[a][i] for a in TOY_ACTIONS) / 3, atol=1e-6)


def test_transfer_rows_score_every_model_on_every_sequence():
    seqs = toy_sequences(4, per_action=1, frames=8)
    rows = transfer_rows(_experts(seqs), seqs)
    assert len(rows) == len(TOY_ACTIONS) * len(seqs)
    # expert i is off by 0.01 (i + 1) m per coordinate on every joint: MPJPE ~ 10 sqrt(3) (i + 1) mm
    means = rows.groupby("model")["mpjpe"].mean()
    assert means[list(TOY_ACTIONS)].tolist() == pytest.approx([17.3 * (i + 1) for i in range(3)], rel=0.05)


def test_action_probabilities_average_mirrored_logits_with_tta():
    seqs = toy_sequences(5, per_action=1, frames=20)
    symmetry = Symmetry.of(LAYOUTS["h36m"], H36M)
    torch.manual_seed(0)
    model = TemporalModel(classifier_config(17, 3, [3], channels=8, dropout=0.0)).eval()
    plain = action_probabilities(model, seqs, symmetry, tta=False)
    with_tta = action_probabilities(model, seqs, symmetry, tta=True)
    for p, q in zip(plain, with_tta, strict=True):
        assert p.shape == (20, 3)
        assert torch.allclose(p.sum(dim=-1), torch.ones(20))
        assert torch.allclose(q.sum(dim=-1), torch.ones(20))
    assert not all(torch.allclose(p, q) for p, q in zip(plain, with_tta, strict=True))
