"""Batch norm, ReLU and dropout in one autograd node, for training the strided model fast on CPU.

In training, the elementwise work around each matrix product (batch norm, ReLU, dropout and their
backward passes) costs as much as the products themselves on a 2-core CPU, because torch runs each
as a separate pass over memory and draws dropout masks one Bernoulli sample at a time. This node
makes fewer passes:
- the dropout scale 1/(1-p) is folded into the batch-norm affine map (ReLU commutes with a positive
  scale), so the forward is one multiply-add, one clamp and one masked fill;
- the dropout mask is drawn as 16-bit random integers (four per int64 draw) compared against a
  threshold, so p is applied with a resolution of 1/65536;
- the backward pass needs no stored mask: an output is non-zero exactly where the unit was kept and
  its ReLU was active.
Results equal `Dropout(ReLU(BatchNorm1d(x)))` up to float rounding, except that the dropout masks
come from a different (equally seeded, equally deterministic) random stream.

Mixed precision (bfloat16 activations, `out_dtype`): the batch statistics, the running averages, the
affine map and every gradient reduction are computed in float32 whatever the activations' dtype;
only the stored output (and the input gradient) is rounded to the activations' dtype. With float32
activations the casts are no-ops and the results are the float32 ones bit for bit.

`strided_conv_with_residual` does the same for a block's strided convolution and its residual
branch: the residual's gradient is added in place into the convolution's input gradient instead of
autograd's zero-filled scatter followed by a sum.
"""

from __future__ import annotations

import torch
from torch import nn


def keep_mask(shape: torch.Size, p: float, device: torch.device,
              generator: torch.Generator | None = None) -> torch.Tensor:
    """Boolean mask of `shape`, True with probability 1 - p (rounded to a multiple of 1/65536), drawn from
    `generator` (None: torch's global generator)."""
    n = 1
    for s in shape:
        n *= s
    words = torch.randint(-(2**63), 2**63 - 1, ((n + 3) // 4,), dtype=torch.int64, device=device,
                          generator=generator)
    lanes = words.view(torch.int16)[:n]  # four uniform 16-bit lanes per draw
    threshold = -32768 + round(p * 65536)
    return (lanes >= threshold).view(shape)


class _BatchNormReLUDropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, y, weight, bias, running_mean, running_var, momentum, eps, p, generator, out_dtype):
        # y: (N, C) pre-activations of one layer (float32 or bfloat16); weight, bias, statistics: float32.
        n = y.shape[0]
        y32 = y.float()  # the same tensor when y is float32
        var, mean = torch.var_mean(y32, dim=0, correction=0)  # (C,), batch statistics
        invstd = torch.rsqrt(var + eps)
        scale = 1.0 / (1.0 - p)
        a = weight * invstd * scale  # (C,)
        b = (bias - mean * weight * invstd) * scale
        out = torch.addcmul(b, y32, a).clamp_min_(0).to(out_dtype)  # (N, C) = scale * relu(bn(y))
        if p > 0:
            out.masked_fill_(~keep_mask(out.shape, p, out.device, generator), 0)
        with torch.no_grad():
            running_mean.mul_(1 - momentum).add_(mean, alpha=momentum)
            running_var.mul_(1 - momentum).add_(var * (n / (n - 1)), alpha=momentum)
        ctx.save_for_backward(y, out, weight, mean, invstd)
        ctx.scale = scale
        return out

    @staticmethod
    def backward(ctx, grad_out):
        y, out, weight, mean, invstd = ctx.saved_tensors
        n = y.shape[0]
        s = ctx.scale
        y_dtype, y = y.dtype, y.float()  # reductions in float32 (no-ops for float32 activations)
        h = grad_out.masked_fill(out <= 0, 0).float()  # (N, C): grad through dropout and ReLU, without the scale
        sum_h = h.sum(dim=0)  # (C,)
        sum_hy = (h * y).sum(dim=0)
        grad_bias = s * sum_h  # sum of the grad w.r.t. the normalised-and-affine output
        grad_weight = (s * sum_hy - mean * grad_bias) * invstd  # sum(grad * x_hat)
        k1 = weight * invstd  # dy = k1 * (g - mean(g) - x_hat * mean(g * x_hat)), g = s * h
        k2 = -k1 * invstd * grad_weight / n
        k3 = -k1 * grad_bias / n - k2 * mean
        grad_y = torch.addcmul(k3, y, k2).addcmul_(h, k1 * s).to(y_dtype)
        return grad_y, grad_weight, grad_bias, None, None, None, None, None, None, None


def batch_norm_relu_dropout(y: torch.Tensor, bn: nn.BatchNorm1d, p: float,
                            generator: torch.Generator | None = None,
                            out_dtype: torch.dtype | None = None) -> torch.Tensor:
    """`Dropout(p)(ReLU(bn(y)))` for y (N, C); one fused node when training (dropout masks from
    `generator`), plain ops otherwise. The output has dtype `out_dtype` (None: y's); the statistics
    are float32 (see the module docstring)."""
    out_dtype = out_dtype or y.dtype
    if not bn.training:
        return torch.relu(bn(y.float())).to(out_dtype)
    if y.shape[0] < 2:
        raise ValueError("batch norm in training needs more than one value per channel")
    bn.num_batches_tracked.add_(1)
    # momentum None: a cumulative average of the batch statistics, as nn.BatchNorm1d does
    momentum = bn.momentum if bn.momentum is not None else 1.0 / float(bn.num_batches_tracked)
    return _BatchNormReLUDropout.apply(y, bn.weight, bn.bias, bn.running_mean, bn.running_var, momentum, bn.eps, p,
                                       generator, out_dtype)


class _StridedConvWithResidual(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, offset):
        # x: (B, T, C_in) channels-last; weight: (C_out, C_in, k) Conv1d layout, kernel == stride == k.
        # The product runs in x's dtype (bfloat16 under mixed precision: the float32 weight is cast).
        b, t, c_in = x.shape
        c_out, _, k = weight.shape
        w2 = weight.permute(0, 2, 1).reshape(c_out, k * c_in).to(x.dtype)  # (C_out, k*C_in), time-major like x
        y = (x.reshape(b * (t // k), k * c_in) @ w2.T).view(b, t // k, c_out)
        res = x[:, offset::k].contiguous()  # (B, T/k, C_in): the step each group is centred on
        ctx.save_for_backward(x, w2)
        ctx.offset, ctx.k, ctx.weight_dtype = offset, k, weight.dtype
        return y, res

    @staticmethod
    def backward(ctx, grad_y, grad_res):
        x, w2 = ctx.saved_tensors
        b, t, c_in = x.shape
        c_out = w2.shape[0]
        gy = grad_y.reshape(-1, c_out)
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_x = (gy @ w2).view(b, t, c_in)
            if grad_res is not None:
                grad_x[:, ctx.offset::ctx.k] += grad_res
        if ctx.needs_input_grad[1]:
            grad_w2 = gy.T @ x.reshape(-1, ctx.k * c_in)  # (C_out, k*C_in)
            grad_w = grad_w2.view(c_out, ctx.k, c_in).permute(0, 2, 1).to(ctx.weight_dtype).contiguous()
        return grad_x, grad_w, None


def strided_conv_with_residual(x: torch.Tensor, conv: nn.Conv1d, offset: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A kernel == stride Conv1d (no bias) on channels-last x (B, T, C_in), and the residual branch
    x[:, offset::k]: returns ((B, T/k, C_out), (B, T/k, C_in))."""
    if conv.bias is not None:
        raise ValueError("the block convolutions of the temporal model have no bias")
    return _StridedConvWithResidual.apply(x, conv.weight, offset)
