"""VideoPose3D's temporal convolutional model (Pavllo et al., CVPR 2019, section 3).

A 2D pose sequence (B, T, J_in, F) is lifted to 3D poses (B, T - RF + 1, J_out, 3), where the
receptive field RF is the product of the filter widths. Two forms share one set of parameters, with
VideoPose3D's module names and shapes, so a `model_pos` state dict loads in either direction:

- `TemporalModel`: dilated convolutions over whole sequences, for evaluation;
- `TemporalModelOptimized1f`: the "single-frame" form for training, where each dilated convolution
  becomes a strided one on windows of exactly RF frames; here it runs as matrix products in
  channels-last layout, which is much faster on CPU than strided Conv1d.

Block i >= 1 has a filter of width fw[i] and dilation fw[0] * ... * fw[i-1], a 1x1 convolution and a
residual connection; every convolution is followed by batch norm, ReLU and dropout.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from poselift.lifting.fused import batch_norm_relu_dropout, strided_conv_with_residual


def receptive_field(filter_widths: Sequence[int]) -> int:
    """Input frames per output frame: the product of the filter widths (3,3,3 -> 27)."""
    return math.prod(int(w) for w in filter_widths)


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a temporal model. Defaults: VideoPose3D's for Human3.6M, 27 frames."""

    num_joints_in: int = 17  # input joints (17 for Human3.6M, COCO)
    in_features: int = 2  # features per input joint (2: x, y)
    num_joints_out: int = 17  # output joints (1 for the trajectory model; the actions for the action classifier)
    filter_widths: tuple[int, ...] = (3, 3, 3)  # odd widths; their product is the receptive field
    causal: bool = False  # use only past frames (real-time setting)
    dropout: float = 0.25
    channels: int = 1024
    dense: bool = False  # ablation: dense (undilated) kernels of the same span
    out_features: int = 3  # values per output joint: 3 for a 3D position, 1 for an action's logit

    def __post_init__(self) -> None:
        object.__setattr__(self, "filter_widths", tuple(int(w) for w in self.filter_widths))
        if not self.filter_widths or any(w < 1 or w % 2 == 0 for w in self.filter_widths):
            raise ValueError(f"filter widths must be odd and positive, got {self.filter_widths}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["filter_widths"] = list(self.filter_widths)
        return d

    @property
    def receptive_field(self) -> int:
        return receptive_field(self.filter_widths)


class TemporalModelBase(nn.Module):
    """Parameters and bookkeeping shared by both forms of the temporal model."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        fw = config.filter_widths
        self.filter_widths = fw
        self.drop = nn.Dropout(config.dropout)
        self.relu = nn.ReLU(inplace=True)
        # pad[i]: frames block i consumes on each side; in the causal setting it looks back that far
        # instead, so causal_shift[i] = pad[i] (the residual takes the last frame, not the centre).
        self.pad = [fw[0] // 2]
        dilation = fw[0]
        for w in fw[1:]:
            self.pad.append((w - 1) * dilation // 2)
            dilation *= w
        self.causal_shift = [p if config.causal else 0 for p in self.pad]
        c = config.channels
        self.expand_bn = nn.BatchNorm1d(c, momentum=0.1)
        self.layers_bn = nn.ModuleList(nn.BatchNorm1d(c, momentum=0.1) for _ in range(2 * (len(fw) - 1)))
        self.shrink = nn.Conv1d(c, config.num_joints_out * config.out_features, 1)

    def total_causal_shift(self) -> int:
        """Frames by which the 2D window is shifted into the past so that the output frame is the
        last input frame: (RF - 1) / 2 in the causal setting, else 0."""
        return sum(self.causal_shift)

    def set_bn_momentum(self, momentum: float) -> None:
        self.expand_bn.momentum = momentum
        for bn in self.layers_bn:
            bn.momentum = momentum

    def _check_input(self, x: torch.Tensor) -> None:
        cfg = self.config
        if x.ndim != 4 or x.shape[-2] != cfg.num_joints_in or x.shape[-1] != cfg.in_features:
            raise ValueError(f"expected input (B, T, {cfg.num_joints_in}, {cfg.in_features}), got {tuple(x.shape)}")
        if x.shape[1] < cfg.receptive_field:
            raise ValueError(f"input has {x.shape[1]} frames, fewer than the receptive field {cfg.receptive_field}")


class TemporalModel(TemporalModelBase):
    """Dilated form: any input length T >= RF, output length T - RF + 1 (evaluation)."""

    def __init__(self, config: ModelConfig):
        super().__init__(config)
        fw, c = config.filter_widths, config.channels
        self.expand_conv = nn.Conv1d(config.num_joints_in * config.in_features, c, fw[0], bias=False)
        layers = []
        dilation = fw[0]
        for i, w in enumerate(fw[1:], start=1):
            kernel = 2 * self.pad[i] + 1 if config.dense else w
            layers.append(nn.Conv1d(c, c, kernel, dilation=1 if config.dense else dilation, bias=False))
            layers.append(nn.Conv1d(c, c, 1, bias=False))
            dilation *= w
        self.layers_conv = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, J_in, F) 2D poses -> (B, T - RF + 1, J_out, 3) (out_features values per output joint)."""
        self._check_input(x)
        b, t = x.shape[:2]
        x = x.reshape(b, t, -1).transpose(1, 2)  # (B, J_in*F, T)
        x = self.drop(self.relu(self.expand_bn(self.expand_conv(x))))  # (B, C, T - fw0 + 1)
        for i in range(len(self.pad) - 1):
            pad, shift = self.pad[i + 1], self.causal_shift[i + 1]
            res = x[:, :, pad + shift: x.shape[2] - pad + shift]
            x = self.drop(self.relu(self.layers_bn[2 * i](self.layers_conv[2 * i](x))))
            x = res + self.drop(self.relu(self.layers_bn[2 * i + 1](self.layers_conv[2 * i + 1](x))))
        x = self.shrink(x)  # (B, J_out*3, T')
        return x.transpose(1, 2).reshape(b, -1, self.config.num_joints_out, self.config.out_features)


class TemporalModelOptimized1f(TemporalModelBase):
    """Strided form for training on windows of exactly RF frames (one output frame per window).

    The convolution of block i has stride fw[i] instead of dilation, so each window is computed once
    instead of being recomputed at every dilation. Since kernel == stride, the convolution is a
    matrix product over non-overlapping groups of fw[i] time steps; the forward pass keeps
    activations channels-last (B, T, C) and multiplies by the conv weights reshaped to
    (C_out, fw[i] * C_in), which needs no im2col and suits BLAS.

    `compute_dtype` bfloat16 (mixed precision): the blocks' C x C products and the activations between
    them are bfloat16, with the float32 weights cast per step (they stay the master copy, and their
    gradients are float32). The first product (2D input to C channels) and the last (C channels to the
    joints) stay float32: at 1024 channels they are about 5% of the products' work, and they decide the
    input's and the output's resolution (bfloat16 keeps 8 significant bits, so a 0.5 m coordinate would
    sit on a 4 mm grid). Batch norm is float32 throughout (`batch_norm_relu_dropout`).
    """

    def __init__(self, config: ModelConfig, dropout_generator: torch.Generator | None = None):
        if config.dense:
            raise ValueError("the strided single-frame model does not support dense kernels")
        super().__init__(config)
        self.dropout_generator = dropout_generator  # where training draws its dropout masks (None: torch's global)
        self.compute_dtype = torch.float32  # dtype of the blocks' products: float32 | bfloat16 (mixed precision)
        fw, c = config.filter_widths, config.channels
        self.expand_conv = nn.Conv1d(config.num_joints_in * config.in_features, c, fw[0], stride=fw[0], bias=False)
        layers = []
        for w in fw[1:]:
            layers.append(nn.Conv1d(c, c, w, stride=w, bias=False))
            layers.append(nn.Conv1d(c, c, 1, bias=False))
        self.layers_conv = nn.ModuleList(layers)

    @staticmethod
    def _strided(x: torch.Tensor, conv: nn.Conv1d) -> torch.Tensor:
        """Kernel == stride Conv1d on channels-last x (B, T, C_in) -> (B, T / k, C_out)."""
        c_out, c_in, k = conv.weight.shape
        weight = conv.weight.permute(0, 2, 1).reshape(c_out, k * c_in)  # (C_out, k*C_in), time-major
        b, t, _ = x.shape
        return F.linear(x.reshape(b, t // k, k * c_in), weight, conv.bias)

    def _activate(self, y: torch.Tensor, bn: nn.BatchNorm1d) -> torch.Tensor:
        """Dropout(ReLU(BN(y))) of channels-last y (B, T, C), fused in training; out in `compute_dtype`."""
        b, t, c = y.shape
        p = self.drop.p if self.training else 0.0
        out = batch_norm_relu_dropout(y.reshape(b * t, c), bn, p, self.dropout_generator, self.compute_dtype)
        return out.view(b, t, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, RF * k, J_in, F) 2D poses -> (B, k, J_out, 3); training uses k = 1."""
        self._check_input(x)
        b, t = x.shape[:2]
        if t % self.config.receptive_field != 0:
            raise ValueError(f"the strided model takes windows of a multiple of {self.config.receptive_field} "
                             f"frames, got {t}")
        x = x.reshape(b, t, -1)  # (B, T, J_in*F), channels-last
        x = self._activate(self._strided(x, self.expand_conv), self.expand_bn)  # (B, T/fw0, C)
        for i in range(len(self.pad) - 1):
            w = self.filter_widths[i + 1]
            offset = w - 1 if self.config.causal else w // 2
            # res (B, T', C): the centre (causal: last) step of each group of w, the residual branch
            y, res = strided_conv_with_residual(x, self.layers_conv[2 * i], offset)
            x = self._activate(y, self.layers_bn[2 * i])
            pointwise = self.layers_conv[2 * i + 1].weight[:, :, 0].to(x.dtype)  # (C, C)
            x = res + self._activate(F.linear(x, pointwise), self.layers_bn[2 * i + 1])
        x = F.linear(x.float(), self.shrink.weight[:, :, 0], self.shrink.bias)  # (B, T', J_out*3), float32
        return x.reshape(b, -1, self.config.num_joints_out, self.config.out_features)


def trajectory_config(config: ModelConfig) -> ModelConfig:
    """The semi-supervised trajectory model: same architecture, one output joint (the root path)."""
    return ModelConfig(**{**config.to_dict(), "num_joints_out": 1})


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
