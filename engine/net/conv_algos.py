"""Convolution algorithms written with torch tensor ops, and the module that runs one in place of
nn.Conv2d (same weights, same state dict keys), so a built network can be switched layer by layer.

    conv2d_with(algo, x, weight, bias, stride, padding, dilation, groups) -> y
    AlgoConv2d.replacing(conv, algo) -> a Conv2d sharing conv's parameters

library   F.conv2d: what torch calls (cuDNN on NVIDIA GPUs, oneDNN on CPUs)
direct    sum over kernel positions (i, j) of shifted input slices times the weight slice: for teaching, slow
im2col    F.unfold + one matrix product (GEMM); its buffer is batch x C*kh*kw x out_h*out_w
fft       rfft2 of the padded input and kernel, multiply (correlation: conjugate), irfft2, crop and stride
winograd  F(2x2,3x3) (Lavin & Gray 2016): 4x4 input tiles d, V = Bt d B, U = G g Gt, M = sum over
          channels of U * V (16 batched GEMMs), y = At M A; 3x3, stride 1, dilation 1, groups 1 only

Every algorithm is differentiable through torch's autograd, so training works with each. Precision:
each computes in the dtype the library would (the autocast dtype when autocast is on, else the
input's), with autocast off inside so the arithmetic is exactly what is written here. direct
accumulates the kernel positions in fp32; fft computes in fp32 (cuFFT has no bf16) and rounds the
result; winograd's transforms are fp32 and its batched GEMMs run in the compute dtype.
"""
from __future__ import annotations

import functools
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812 - the usual name

from engine.net.conv_rules import CONV_ALGOS, algo_problem

Pair = tuple[int, int]


def compute_dtype(x: torch.Tensor) -> torch.dtype:
    """The dtype F.conv2d would compute in: autocast's where autocast is on, else the input's."""
    kind = x.device.type
    if torch.is_autocast_enabled(kind) and x.is_floating_point():
        return torch.get_autocast_dtype(kind)
    return x.dtype


def _out_size(size: int, kernel: int, stride: int, pad: int, dilation: int) -> int:
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def direct(x: torch.Tensor, w: torch.Tensor, stride: Pair, padding: Pair, dilation: Pair, groups: int) -> torch.Tensor:
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh, ow = _out_size(h, kh, stride[0], padding[0], dilation[0]), _out_size(wd, kw, stride[1], padding[1], dilation[1])
    xp = F.pad(x, (padding[1], padding[1], padding[0], padding[0]))
    acc = x.new_zeros((n, groups, o // groups, oh, ow), dtype=torch.float32)
    wg = w.reshape(groups, o // groups, cg, kh, kw)
    for i in range(kh):
        for j in range(kw):
            r, s = i * dilation[0], j * dilation[1]
            window = xp[:, :, r:r + stride[0] * (oh - 1) + 1:stride[0], s:s + stride[1] * (ow - 1) + 1:stride[1]]
            acc = acc + torch.einsum("ngchw,goc->ngohw", window.reshape(n, groups, cg, oh, ow), wg[..., i, j]).float()
    return acc.reshape(n, o, oh, ow).to(x.dtype)


def im2col(x: torch.Tensor, w: torch.Tensor, stride: Pair, padding: Pair, dilation: Pair, groups: int) -> torch.Tensor:
    n, _c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh, ow = _out_size(h, kh, stride[0], padding[0], dilation[0]), _out_size(wd, kw, stride[1], padding[1], dilation[1])
    cols = F.unfold(x, (kh, kw), dilation=dilation, padding=padding, stride=stride)  # [N, C*kh*kw, oh*ow]
    out = torch.matmul(w.reshape(groups, o // groups, cg * kh * kw), cols.view(n, groups, cg * kh * kw, oh * ow))
    return out.reshape(n, o, oh, ow)


def fft(x: torch.Tensor, w: torch.Tensor, stride: Pair, padding: Pair, dilation: Pair, groups: int) -> torch.Tensor:
    n, _c, _h, _w = x.shape
    o, cg, kh, kw = w.shape
    xp = F.pad(x.float(), (padding[1], padding[1], padding[0], padding[0]))
    hp, wp = xp.shape[-2:]
    if dilation != (1, 1):  # a dilated kernel is the kernel with zeros between its taps
        wd = w.new_zeros((o, cg, (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1), dtype=torch.float32)
        wd[:, :, ::dilation[0], ::dilation[1]] = w.float()
    else:
        wd = w.float()
    ekh, ekw = wd.shape[-2:]
    f = wp // 2 + 1
    # One matrix product per frequency, summing over channels: frequency-major contiguous copies
    # (a complex einsum on strided views ran ~50x slower on a CPU).
    xf = torch.fft.rfft2(xp, s=(hp, wp)).reshape(n, groups, cg, hp, f).permute(3, 4, 1, 0, 2).contiguous()
    wf = torch.fft.rfft2(wd, s=(hp, wp)).reshape(groups, o // groups, cg, hp, f).permute(3, 4, 0, 2, 1)
    # Cross-correlation (what Conv2d computes) is a product with the kernel's conjugate spectrum;
    # the circular result equals the linear one on the first hp - ekh + 1 rows (no wrap-around there).
    yf = torch.matmul(xf, wf.conj().resolve_conj().contiguous())  # [hp, f, G, N, O/G]
    y = torch.fft.irfft2(yf.permute(3, 2, 4, 0, 1).reshape(n, o, hp, f), s=(hp, wp))
    return y[:, :, :hp - ekh + 1:stride[0], :wp - ekw + 1:stride[1]].to(x.dtype)


_BT = ((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1))
_G = ((1, 0, 0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0, 0, 1))
_AT = ((1, 1, 1, 0), (0, 1, -1, -1))


@functools.lru_cache(maxsize=8)
def _winograd_matrices(device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Bt, G, At on the device, made once: no host-to-device copy per call (which a CUDA graph's
    capture would refuse). Made outside inference mode even when first asked for inside it: a cached
    inference tensor could never again take part in a training step's autograd."""
    with torch.inference_mode(False):
        return tuple(torch.tensor(m, dtype=torch.float32, device=device) for m in (_BT, _G, _AT))  # type: ignore[return-value]


def winograd(x: torch.Tensor, w: torch.Tensor, stride: Pair, padding: Pair, dilation: Pair, groups: int) -> torch.Tensor:
    n, c, h, wd = x.shape
    o = w.shape[0]
    bt, g, at = _winograd_matrices(x.device)
    oh, ow = h + 2 * padding[0] - 2, wd + 2 * padding[1] - 2
    th, tw = (oh + 1) // 2, (ow + 1) // 2  # 2x2 output tiles; the last may hang over and is cropped
    xp = F.pad(x.float(), (padding[1], padding[1] + 2 * tw + 2 - (wd + 2 * padding[1]),
                           padding[0], padding[0] + 2 * th + 2 - (h + 2 * padding[0])))
    d = xp.unfold(2, 4, 2).unfold(3, 4, 2)  # [N, C, th, tw, 4, 4]: overlapping 4x4 input tiles
    v = bt @ d @ bt.T  # Bt d B
    u = g @ w.float() @ g.T  # G g Gt: [O, C, 4, 4]
    dtype = x.dtype
    v16 = v.permute(4, 5, 1, 0, 2, 3).reshape(16, c, n * th * tw).to(dtype)
    u16 = u.permute(2, 3, 0, 1).reshape(16, o, c).to(dtype)
    m = torch.bmm(u16, v16).float()  # [16, O, N*th*tw]: the element-wise products, summed over channels
    m = m.view(4, 4, o, n, th, tw).permute(3, 2, 4, 5, 0, 1)  # [N, O, th, tw, 4, 4]
    y = at @ m @ at.T  # At M A: [N, O, th, tw, 2, 2]
    y = y.permute(0, 1, 2, 4, 3, 5).reshape(n, o, 2 * th, 2 * tw)[:, :, :oh, :ow]
    return y.to(dtype)


_BODIES = {"direct": direct, "im2col": im2col, "fft": fft, "winograd": winograd}


def conv2d_with(algo: str, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, stride: Pair,
                padding: Pair, dilation: Pair, groups: int) -> torch.Tensor:
    """F.conv2d(x, weight, bias, stride, padding, dilation, groups) computed by `algo`."""
    if algo == "library":
        return F.conv2d(x, weight, bias, stride, padding, dilation, groups)
    dtype = compute_dtype(x)
    with torch.autocast(x.device.type, enabled=False):
        y = _BODIES[algo](x.to(dtype), weight.to(dtype), stride, padding, dilation, groups)
        if bias is not None:
            y = y + bias.to(dtype).view(1, -1, 1, 1)
    return y


class AlgoConv2d(nn.Conv2d):
    """nn.Conv2d computed by one of CONV_ALGOS; its parameters and state dict are nn.Conv2d's."""

    def __init__(self, *args: Any, algo: str = "library", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.algo = algo

    @classmethod
    def replacing(cls, conv: nn.Conv2d, algo: str) -> AlgoConv2d:
        """A module computing `conv` with `algo`, sharing its weight and bias (no copy). ValueError
        when the algorithm cannot compute this convolution (the reason, from conv_rules)."""
        if algo not in CONV_ALGOS:
            raise ValueError(f"unknown convolution algorithm {algo!r} (known: {', '.join(CONV_ALGOS)})")
        if conv.padding_mode != "zeros" or isinstance(conv.padding, str):
            raise ValueError(f"{algo} needs numeric zero padding; this layer has {conv.padding_mode} {conv.padding!r}")
        why = algo_problem(algo, {"kernel_size": list(conv.kernel_size), "stride": list(conv.stride),
                                  "dilation": list(conv.dilation), "groups": conv.groups})
        if why:
            raise ValueError(why)
        new = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation,
                  conv.groups, conv.bias is not None, device="meta", algo=algo)
        new.weight = conv.weight
        new.bias = conv.bias
        new.train(conv.training)
        return new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return conv2d_with(self.algo, x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", algo={self.algo}"
