"""The temporal model: VideoPose3D's parameter counts and names, and the two forms agreeing."""

import copy

import pytest
import torch

from poselift.lifting.fused import batch_norm_relu_dropout, keep_mask
from poselift.lifting.model import (
    ModelConfig,
    TemporalModel,
    TemporalModelOptimized1f,
    count_parameters,
    trajectory_config,
)


@pytest.mark.parametrize(("widths", "count"), [
    ((3, 3, 3), 8_555_571), ((3, 3, 3, 3), 12_753_971), ((3, 3, 3, 3, 3), 16_952_371), ((1,), 89_139),
])
def test_parameter_counts_match_videopose3d(widths, count):
    config = ModelConfig(filter_widths=widths)
    assert count_parameters(TemporalModel(config)) == count
    assert count_parameters(TemporalModelOptimized1f(config)) == count


def test_trajectory_model_count():
    assert count_parameters(TemporalModel(trajectory_config(ModelConfig(filter_widths=(3, 3, 3))))) == 8_506_371


def test_state_dict_names_and_shapes_match_videopose3d():
    state = TemporalModelOptimized1f(ModelConfig(filter_widths=(3, 3, 3))).state_dict()
    assert state["expand_conv.weight"].shape == (1024, 34, 3)
    assert state["layers_conv.0.weight"].shape == (1024, 1024, 3)
    assert state["layers_conv.1.weight"].shape == (1024, 1024, 1)
    assert state["shrink.weight"].shape == (51, 1024, 1) and state["shrink.bias"].shape == (51,)
    assert {k.split(".")[0] for k in state} == {"expand_conv", "expand_bn", "layers_conv", "layers_bn", "shrink"}
    assert "layers_bn.3.running_var" in state and "layers_bn.4.weight" not in state


@pytest.mark.parametrize("widths", [(3, 3, 3), (3, 3, 3, 3), (3, 3, 3, 3, 3), (3, 5, 3)])
@pytest.mark.parametrize("causal", [False, True])
def test_receptive_field_and_output_length(widths, causal):
    model = TemporalModel(ModelConfig(filter_widths=widths, channels=16, causal=causal)).eval()
    rf = model.config.receptive_field
    assert rf == torch.tensor(widths).prod().item()
    assert model.total_causal_shift() == ((rf - 1) // 2 if causal else 0)
    x = torch.randn(2, rf + 17, 17, 2)
    assert model(x).shape == (2, 18, 17, 3)
    with pytest.raises(ValueError, match="receptive field"):
        model(x[:, : rf - 1])


@pytest.mark.parametrize("widths", [(3, 3, 3), (3, 3, 3, 3), (3, 3, 3, 3, 3)])
@pytest.mark.parametrize("causal", [False, True])
def test_strided_and_dilated_models_agree_on_shared_weights(widths, causal):
    torch.manual_seed(0)
    config = ModelConfig(filter_widths=widths, channels=64, causal=causal)
    dilated, strided = TemporalModel(config), TemporalModelOptimized1f(config)
    for bn in [dilated.expand_bn, *dilated.layers_bn]:  # non-trivial batch-norm statistics
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
    strided.load_state_dict(dilated.state_dict())
    dilated.eval()
    strided.eval()
    rf = dilated.config.receptive_field
    x = torch.randn(3, rf + 8, 17, 2)
    with torch.no_grad():
        full = dilated(x)  # (3, 9, 17, 3)
        windows = torch.cat([strided(x[:, i : i + rf]) for i in range(9)], dim=1)
    assert (full - windows).abs().max() < 1e-5


def test_strided_training_step_equals_reference_autograd():
    """The fused training path (channels-last products, fused BN-ReLU, in-place residual gradient)
    gives the outputs, gradients and running statistics of plain strided Conv1d + BatchNorm1d + ReLU."""
    torch.manual_seed(1)
    config = ModelConfig(filter_widths=(3, 3, 3), channels=32, dropout=0.0)
    fast = TemporalModelOptimized1f(config).train()
    ref = copy.deepcopy(fast)

    def reference_forward(m, x):
        b, t = x.shape[:2]
        x = torch.relu(m.expand_bn(m.expand_conv(x.reshape(b, t, -1).transpose(1, 2))))
        for i in range(len(m.pad) - 1):
            w = m.filter_widths[i + 1]
            res = x[:, :, w // 2 :: w]
            x = torch.relu(m.layers_bn[2 * i](m.layers_conv[2 * i](x)))
            x = res + torch.relu(m.layers_bn[2 * i + 1](m.layers_conv[2 * i + 1](x)))
        return m.shrink(x).transpose(1, 2).reshape(b, -1, 17, 3)

    x = torch.randn(64, 27, 17, 2)
    y_fast, y_ref = fast(x), reference_forward(ref, x)
    assert (y_fast - y_ref).abs().max() < 1e-5
    y_fast.square().sum().backward()
    y_ref.square().sum().backward()
    for (name, p_fast), p_ref in zip(fast.named_parameters(), ref.parameters(), strict=True):
        scale = p_ref.grad.abs().max()
        assert (p_fast.grad - p_ref.grad).abs().max() <= 1e-4 * scale, name
    for b_fast, b_ref in zip(fast.buffers(), ref.buffers(), strict=True):
        assert torch.allclose(b_fast.float(), b_ref.float(), atol=1e-6)


def test_dropout_keeps_the_expected_fraction_and_scales():
    torch.manual_seed(2)
    model = TemporalModelOptimized1f(ModelConfig(filter_widths=(3,), channels=4096, dropout=0.25)).train()
    mask = keep_mask(torch.Size([1000, 1000]), 0.25, torch.device("cpu"))
    assert abs(mask.float().mean().item() - 0.75) < 0.002
    y = torch.randn(256, 4096)
    with torch.no_grad():
        out = batch_norm_relu_dropout(y, model.expand_bn, 0.25)
        plain = torch.relu((y - y.mean(0)) / torch.sqrt(y.var(0, unbiased=False) + 1e-5))
    kept = out != 0
    assert abs(kept.float().mean().item() - 0.75 * (plain > 0).float().mean().item()) < 0.01
    torch.testing.assert_close(out[kept], plain[kept] / 0.75, rtol=1e-4, atol=1e-5)


def test_config_rejects_even_widths_and_dense_strided():
    with pytest.raises(ValueError, match="odd"):
        ModelConfig(filter_widths=(3, 2))
    with pytest.raises(ValueError, match="dense"):
        TemporalModelOptimized1f(ModelConfig(dense=True))
    dense = TemporalModel(ModelConfig(filter_widths=(3, 3, 3), channels=8, dense=True))
    assert dense.layers_conv[2].kernel_size == (19,) and dense.config.receptive_field == 27
