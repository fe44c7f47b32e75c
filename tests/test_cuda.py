"""Training on CUDA: it matches the CPU, bf16 matches fp32 there, and a step never waits for the host.

Skipped without a CUDA device; benchmarks/gpu_check.sh runs them (`pytest -m cuda`) on a GPU machine.
"""

import warnings

import pytest
import torch

from poselift.lifting.model import ModelConfig, TemporalModelOptimized1f
from poselift.lifting.training import Lifting, Schedule, Trainer
from poselift.lifting.windows import WindowBank
from tests.test_precision import plain_strided

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

CONFIG = ModelConfig(filter_widths=(3, 3), channels=64, dropout=0.0)  # no dropout: CPU and CUDA draw other masks


@pytest.fixture(autouse=True)
def strict_float32():
    """IEEE float32 products and convolutions (no TF32), so that CUDA can be compared with the CPU."""
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn.conv
    before = matmul.fp32_precision, conv.fp32_precision
    matmul.fp32_precision = conv.fp32_precision = "ieee"
    yield
    matmul.fp32_precision, conv.fp32_precision = before


def train(split, device: str, precision: str = "fp32", epochs: int = 3, batch_size: int = 256) -> Trainer:
    sequences, test, symmetry = split
    bank = WindowBank(sequences, CONFIG.receptive_field, 0, symmetry, flip=True, device=device)
    trainer = Trainer(CONFIG, bank, Lifting(test, symmetry, device=device), Schedule(epochs=epochs),
                      batch_size=batch_size, seed=0, device=device, precision=precision)
    while not trainer.done:
        trainer.train_epoch()
    return trainer


def test_cuda_step_matches_cpu():
    torch.manual_seed(0)
    cpu = TemporalModelOptimized1f(CONFIG).train()
    cuda = TemporalModelOptimized1f(CONFIG).cuda().train()
    cuda.load_state_dict(cpu.state_dict())
    x, y = torch.randn(256, 9, 17, 2), torch.randn(256, 1, 17, 3)
    losses, grads = [], []
    for model, device in ((cpu, "cpu"), (cuda, "cuda")):
        loss = torch.nn.functional.mse_loss(model(x.to(device)), y.to(device))
        loss.backward()
        losses.append(float(loss.detach()))
        grads.append({n: p.grad.cpu() for n, p in model.named_parameters()})
    assert losses[1] == pytest.approx(losses[0], rel=1e-5)
    for name, grad in grads[0].items():
        torch.testing.assert_close(grads[1][name], grad, rtol=0, atol=1e-4 * float(grad.abs().max()), msg=name)
    for name, stat in cpu.state_dict().items():  # batch-norm running statistics
        torch.testing.assert_close(cuda.state_dict()[name].cpu(), stat, rtol=1e-5, atol=1e-6, msg=name)


def test_cuda_training_matches_cpu(two_action_split):
    """The same job on both: the weights drift apart (Adam amplifies a 1e-6 perturbation to a few % of
    some weights in 3 epochs, as on a CPU alone), the losses and test errors stay within 1%."""
    cpu, cuda = train(two_action_split, "cpu"), train(two_action_split, "cuda")
    for a, b in zip(cpu.history, cuda.history, strict=True):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-2)
        assert b["test_mpjpe"] == pytest.approx(a["test_mpjpe"], rel=1e-2)


def test_cuda_bf16_training_reaches_fp32_accuracy(two_action_split):
    fp32, bf16 = train(two_action_split, "cuda"), train(two_action_split, "cuda", "bf16")
    assert bf16.history[-1]["test_mpjpe"] == pytest.approx(fp32.history[-1]["test_mpjpe"], rel=0.05)
    assert not torch.equal(fp32.model.shrink.weight, bf16.model.shrink.weight)
    assert all(p.dtype == torch.float32 for p in bf16.model.parameters())


def test_cuda_bf16_gradients_match_a_plain_reference():
    torch.manual_seed(0)
    model = TemporalModelOptimized1f(CONFIG).cuda().train()
    model.compute_dtype = torch.bfloat16
    x, y = torch.randn(64, 9, 17, 2, device="cuda"), torch.randn(64, 1, 17, 3, device="cuda")
    grads = []
    for forward in (lambda: model(x), lambda: plain_strided(model, x, torch.bfloat16)):
        model.zero_grad()
        torch.nn.functional.mse_loss(forward(), y).backward()
        grads.append({n: p.grad.clone() for n, p in model.named_parameters()})
    for name, grad in grads[0].items():
        scale = float(grads[1][name].abs().max())
        torch.testing.assert_close(grad, grads[1][name], rtol=0, atol=2e-2 * scale, msg=name)


def synchronisations(trainer: Trainer) -> int:
    """Host synchronisations (device-to-host copies, blocking copies, explicit syncs) of one epoch."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            trainer.train_epoch()
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("synchronizing" in str(w.message) for w in caught)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_a_training_step_never_synchronises_with_the_host(two_action_split, precision):
    """An epoch synchronises a fixed number of times (its loss, its wall time), however many steps it has."""
    counts = {}
    for batch_size in (512, 64):  # 17 and 131 steps per epoch of the tiny data set
        trainer = train(two_action_split, "cuda", precision, epochs=1, batch_size=batch_size)
        trainer.schedule = Schedule(epochs=3)  # the next epoch is not the last: no evaluation in it
        trainer.eval_every = 10
        steps = len(trainer.bank.epoch_batches(batch_size, torch.Generator().manual_seed(0)))
        counts[steps] = synchronisations(trainer)
    (few, few_syncs), (many, many_syncs) = sorted(counts.items())
    assert many > 4 * few
    assert many_syncs == few_syncs <= 4, counts
