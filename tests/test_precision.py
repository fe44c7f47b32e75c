"""Mixed precision (train.precision: bf16): bfloat16 products, float32 everything else, about fp32's accuracy."""

import pytest
import torch
import yaml
from torch.nn import functional as F

from poselift.io.checkpoint import load_checkpoint
from poselift.lifting.model import ModelConfig, TemporalModel, TemporalModelOptimized1f
from poselift.lifting.training import Lifting, Schedule, Trainer
from poselift.lifting.windows import WindowBank
from poselift.study.params import ParamsError, validate_settings
from stages import train as train_stage
from stages._cli import SCHEMA_PATH
from tests.conftest import data_params

pytestmark = pytest.mark.usefixtures("one_thread")

CONFIG = ModelConfig(filter_widths=(3, 3), channels=32)
EPOCHS = 4


@pytest.fixture(scope="module")
def problem(two_action_split):
    """The tiny data set's training windows (S1, S5) and test sequences (S9) of two actions."""
    train, test, symmetry = two_action_split
    return WindowBank(train, CONFIG.receptive_field, 0, symmetry, flip=True), Lifting(test, symmetry)


def make_trainer(problem, precision: str, seed: int = 0) -> Trainer:
    bank, objective = problem
    return Trainer(CONFIG, bank, objective, Schedule(epochs=EPOCHS), batch_size=256, seed=seed,
                   eval_every=EPOCHS, precision=precision)


@pytest.fixture(scope="module")
def trained(problem):
    """fp32 and bf16 trainers after the same job (same seed, data and schedule)."""
    with torch.random.fork_rng(devices=[]):
        torch.set_num_threads(1)
        out = {}
        for precision in ("fp32", "bf16"):
            trainer = make_trainer(problem, precision)
            while not trainer.done:
                trainer.train_epoch()
            out[precision] = trainer
    return out


def test_bf16_training_reaches_fp32_accuracy(trained):
    fp32, bf16 = trained["fp32"].history[-1], trained["bf16"].history[-1]
    # 5%: two fp32 seeds of this job differ by about 2.5% in test MPJPE, bf16 and fp32 by about 1%
    assert bf16["test_mpjpe"] == pytest.approx(fp32["test_mpjpe"], rel=0.05)
    assert bf16["train_loss"] == pytest.approx(fp32["train_loss"], rel=0.05)
    assert bf16["test_mpjpe"] < 0.8 * trained["bf16"].history[0]["train_loss"]  # it learned


def test_bf16_keeps_float32_weights_optimizer_and_statistics(trained):
    trainer = trained["bf16"]
    for name, tensor in trainer.model.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            assert tensor.dtype == torch.float32, name
    for state in trainer.optimizer.state.values():
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            assert state[key].dtype == torch.float32, key
    for name, tensor in trainer.eval_model.state_dict().items():  # evaluation is float32
        if not name.endswith("num_batches_tracked"):
            assert tensor.dtype == torch.float32, name


def test_bf16_changes_the_numbers(trained):
    """bf16 is not fp32 in disguise: the weights differ after the same job, by a bfloat16-sized amount."""
    a, b = trained["fp32"].model.state_dict(), trained["bf16"].model.state_dict()
    for name in ("layers_conv.0.weight", "layers_conv.1.weight", "shrink.weight"):
        difference = (a[name] - b[name]).abs().max() / a[name].abs().max()
        assert 1e-5 < difference < 0.1, (name, float(difference))


def plain_strided(model: TemporalModelOptimized1f, x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The strided model in plain autograd ops (F.batch_norm in float32, no dropout), with the casts
    of `compute_dtype` = dtype: the reference of the fused nodes' mixed-precision backward."""

    def activate(y, bn):  # (B, T, C) -> (B, T, C) in dtype
        flat = y.reshape(-1, y.shape[-1]).float()
        return torch.relu(F.batch_norm(flat, None, None, bn.weight, bn.bias, training=True)).to(dtype).view(y.shape)

    b, t = x.shape[:2]
    x = activate(model._strided(x.reshape(b, t, -1), model.expand_conv), model.expand_bn)  # (B, T/3, C)
    for i in range(len(model.pad) - 1):
        w, conv, pointwise = model.filter_widths[i + 1], model.layers_conv[2 * i], model.layers_conv[2 * i + 1]
        res = x[:, w // 2 :: w]
        c_out, c_in, k = conv.weight.shape
        weight = conv.weight.permute(0, 2, 1).reshape(c_out, k * c_in).to(dtype)  # (C_out, k*C_in)
        x = activate(F.linear(x.reshape(b, -1, k * c_in), weight), model.layers_bn[2 * i])
        x = res + activate(F.linear(x, pointwise.weight[:, :, 0].to(dtype)), model.layers_bn[2 * i + 1])
    return F.linear(x.float(), model.shrink.weight[:, :, 0], model.shrink.bias).reshape(b, -1, 17, 3)


def test_bf16_forward_and_gradients_match_a_plain_reference_and_differ_from_fp32():
    torch.manual_seed(0)
    model = TemporalModelOptimized1f(ModelConfig(filter_widths=(3, 3), channels=64, dropout=0.0)).train()
    x, y = torch.randn(64, 9, 17, 2), torch.randn(64, 1, 17, 3)

    def run(forward):
        model.zero_grad()
        out = forward()
        assert out.dtype == torch.float32  # the loss is float32
        F.mse_loss(out, y).backward()
        return out.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}

    def fused(dtype):
        model.compute_dtype = dtype
        return model(x)

    out32, grads32 = run(lambda: fused(torch.float32))
    out16, grads16 = run(lambda: fused(torch.bfloat16))
    ref16, ref_grads16 = run(lambda: plain_strided(model, x, torch.bfloat16))
    forward_error = float((out16 - out32).abs().max() / out32.abs().max())
    assert 1e-4 < forward_error < 0.05  # bfloat16 rounding (2^-8 relative per product), not float32's 1e-7
    torch.testing.assert_close(out16, ref16, rtol=0, atol=1e-2 * float(ref16.abs().max()))
    for name, grad in grads16.items():
        assert grad.dtype == torch.float32, name
        scale = float(ref_grads16[name].abs().max())
        torch.testing.assert_close(grad, ref_grads16[name], rtol=0, atol=2e-2 * scale, msg=name)
        # near a random initialisation the gradients cancel a lot, so bfloat16 noise is up to ~30% of
        # the largest element: compare directions
        assert F.cosine_similarity(grad.flatten(), grads32[name].flatten(), dim=0) > 0.99, name


def test_bf16_batch_norm_statistics_are_not_rounded_to_bfloat16():
    torch.manual_seed(0)
    model = TemporalModelOptimized1f(ModelConfig(filter_widths=(3, 3), channels=64)).train()
    model.compute_dtype = torch.bfloat16
    model.set_bn_momentum(1.0)  # the running averages become this batch's statistics
    with torch.no_grad():
        model(torch.randn(64, 9, 17, 2))
    for bn in model.layers_bn:  # fed by bfloat16 products
        for stat in (bn.running_mean, bn.running_var):
            assert stat.dtype == torch.float32
            assert (stat.view(torch.int32) & 0xFFFF).any()  # low mantissa bits in use: not bfloat16 values


def test_recomputed_statistics_are_those_of_float32_activations(problem):
    fp32, bf16 = make_trainer(problem, "fp32"), make_trainer(problem, "bf16")  # same seed: same weights
    fp32.recompute_bn_statistics()
    bf16.recompute_bn_statistics()
    for name, tensor in fp32.model.state_dict().items():
        assert torch.equal(tensor, bf16.model.state_dict()[name]), name
    assert bf16.model.compute_dtype == torch.bfloat16  # restored


def test_bf16_evaluation_is_the_float32_evaluation_of_its_weights(trained, problem):
    trainer = trained["bf16"]
    model = TemporalModel(CONFIG).eval()
    model.load_state_dict(trainer.model.state_dict())
    assert problem[1].score(model)["test_mpjpe"] == trainer.history[-1]["test_mpjpe"]


def test_schema_accepts_fp32_and_bf16_only(default_params):
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    assert default_params["train"]["precision"] == "fp32"
    for precision in ("fp32", "bf16"):
        validate_settings(dict(default_params["train"], precision=precision), schema)
    with pytest.raises(ParamsError, match=r"precision: 'fp16' is not one of"):
        validate_settings(dict(default_params["train"], precision="fp16"), schema)
    without = {k: v for k, v in default_params["train"].items() if k != "precision"}
    with pytest.raises(ParamsError, match="'precision' is a required property"):
        validate_settings(without, schema)


def test_trainer_rejects_unknown_precision(problem):
    with pytest.raises(ValueError, match="precision must be one of"):
        make_trainer(problem, "fp16")


def test_the_train_stage_passes_and_records_the_precision(tmp_path, tiny_dataset, tiny_train_settings):
    params = {"seed": 7, "data": data_params(), "evaluate": {"tta": True}}
    checkpoints = {}
    for precision in ("fp32", "bf16"):
        settings = dict(tiny_train_settings, precision=precision, channels=16, unit_epochs=1)
        out = tmp_path / precision
        train_stage.main(params, settings, experiment="exp", model="Walking", data_3d=tiny_dataset[0],
                         data_2d=tiny_dataset[1], checkpoint=out / "model.pt", history=out / "history.parquet")
        checkpoints[precision] = load_checkpoint(out / "model.pt")
        assert checkpoints[precision].params["settings"]["precision"] == precision
    fp32, bf16 = (checkpoints[p].model_pos["layers_conv.0.weight"] for p in ("fp32", "bf16"))
    assert not torch.equal(fp32, bf16)  # same seed and data: only the precision differs
