"""Binarized layers (XNOR-Net, Rastegari et al. 2016): BinConv2d and BinLinear (imports torch).

Both the layer's input and its weights are reduced to their signs (+1 or -1; 0 counts as +1), and
the product of the signs is scaled by the mean absolute weight of each output channel (alpha): the
layer computes alpha * (sign(x) (*) sign(w)) + bias. The sum of signs is a whole number, exact in
float32, so every runtime gets the same value (a scaled weight summed in another order would not,
and a tie at zero would then flip the next layer's sign). A runtime that fuses the scale into the
weights (ONNX Runtime's Conv+Mul fusion) rounds again; where a sum is exactly zero and nothing
shifts it (an untrained BatchNorm), the next sign can then differ from PyTorch's. Training uses a straight-through estimator:
the forward takes the sign, the backward passes the gradient unchanged where |value| <= 1 and
stops it elsewhere (the gradient of clamp(value, -1, 1)).

The arithmetic runs in floating point on the ±1 values: the outputs a bit-packed XNOR and popcount
kernel would give, none of its speed. Timings of these layers are *simulated* binarization, never a
binarization speed-up. In eval mode the sign is exact (no estimator); the ONNX export writes that
(GreaterOrEqual and Where on float ±1 values).

`engine.net.export_code` copies the block between the EXPORTED markers verbatim into the module it
writes, so the exported code computes what the builder's layers compute.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812 - the usual name

# --- EXPORTED: begin ---


def binarize(x, straight_through=False):
    """sign(x) as +1/-1 (0 counts as +1); straight_through: the backward passes the gradient where
    |x| <= 1 and stops it elsewhere (the forward value is the sign either way)."""
    signs = torch.where(x >= 0, 1.0, -1.0).to(x.dtype)
    if not straight_through:
        return signs
    clipped = x.clamp(-1.0, 1.0)
    return clipped + (signs - clipped).detach()


def channel_scale(w):
    """XNOR-Net's alpha: the mean absolute weight of each output channel, as a [channels] vector."""
    return w.abs().flatten(1).mean(dim=1)


class BinConv2d(nn.Conv2d):
    """Conv2d on binarized input and weights (XNOR-Net), as float arithmetic on +1/-1 values: the
    convolution of the signs is a whole number (exact in float32), then scaled per output channel."""

    def forward(self, x):
        ste = self.training and torch.is_grad_enabled()
        signs = self._conv_forward(binarize(x, ste), binarize(self.weight, ste), None)
        out = signs * channel_scale(self.weight)[:, None, None]
        return out if self.bias is None else out + self.bias[:, None, None]


class BinLinear(nn.Linear):
    """Linear on binarized input and weights (XNOR-Net), as float arithmetic on +1/-1 values: the
    product of the signs is a whole number (exact in float32), then scaled per output feature."""

    def forward(self, x):
        ste = self.training and torch.is_grad_enabled()
        return F.linear(binarize(x, ste), binarize(self.weight, ste)) * channel_scale(self.weight) + \
            (0 if self.bias is None else self.bias)

# --- EXPORTED: end ---
