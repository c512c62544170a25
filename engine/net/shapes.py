"""Per-layer shape and cost rules, torch-free: what each layer type does to its input's shape, and
its parameter count and forward FLOPs per sample.

FLOPs count 2 per multiply-add (for BinConv2d and BinLinear: binary multiply-adds, XNOR + popcount). For Conv2d and Linear they count the multiply-adds only, as
`torch.utils.flop_counter.FlopCounterMode` does (the bias add is left out), so the two agree; for
the other layers they are a rough count of element operations (1 per compare or add, a few for
exp/tanh), since no GEMM-based counter measures them.

Each rule takes the checked parameter values and the input shapes (per sample, without the batch
dimension) and returns (output shape, params, flops), or raises `ShapeError` naming the problem.
"""
from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any

from engine.errors import BadInput
from engine.net.conv_rules import FOLLOW_RUN, algo_problem
from engine.net.layers import pair

Shape = tuple[int, ...]
Rule = Callable[[dict[str, Any], list[Shape]], tuple[Shape, int, int]]


class ShapeError(BadInput):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def fmt(shape: Shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _image(kind: str, shape: Shape) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ShapeError(f"{kind} needs a [channels, height, width] input, got {fmt(shape)}", "inputs")
    return shape  # type: ignore[return-value]


def _window_out(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's conv/pool output size (aten pooling_output_shape)."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    if span < 0:
        return 0
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + pad:  # the last window must start inside the input or left padding
        out -= 1
    return out


def _too_small(kind: str, h: int, w: int, oh: int, ow: int, what: str) -> ShapeError:
    return ShapeError(f"{kind} output would be {oh}x{ow} (smaller than 1x1): the {h}x{w} input is too small "
                      f"for its {what}", "kernel_size")


def conv2d(v: dict[str, Any], ins: list[Shape]) -> tuple[Shape, int, int]:
    c, h, w = _image("Conv2d", ins[0])
    out, groups = v["out_channels"], v["groups"]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (pair(v[k]) for k in ("kernel_size", "stride", "padding", "dilation"))
    if c % groups:
        raise ShapeError(f"groups {groups} does not divide the {c} input channels", "groups")
    if out % groups:
        raise ShapeError(f"groups {groups} does not divide out_channels {out}", "groups")
    oh, ow = _window_out(h, kh, sh, ph, dh, False), _window_out(w, kw, sw, pw, dw, False)
    if oh < 1 or ow < 1:
        raise _too_small("Conv2d", h, w, oh, ow, f"{kh}x{kw} kernel (dilation {dh}x{dw}, padding {ph}x{pw})")
    why = algo_problem(v.get("algo", FOLLOW_RUN), v)
    if why:
        raise ShapeError(f"algo {v['algo']}: {why}", "algo")
    macs_per_out = (c // groups) * kh * kw
    params = out * macs_per_out + (out if v["bias"] else 0)
    return (out, oh, ow), params, 2 * out * oh * ow * macs_per_out


def _pool(kind: str, v: dict[str, Any], ins: list[Shape], dilated: bool) -> tuple[Shape, int, int]:
    c, h, w = _image(kind, ins[0])
    kh, kw = pair(v["kernel_size"])
    sh, sw = pair(v["stride"]) if v["stride"] is not None else (kh, kw)
    ph, pw = pair(v["padding"])
    dh, dw = pair(v["dilation"]) if dilated else (1, 1)
    if ph > kh // 2 or pw > kw // 2:
        raise ShapeError(f"padding {ph}x{pw} is more than half the {kh}x{kw} kernel", "padding")
    oh = _window_out(h, kh, sh, ph, dh, v["ceil_mode"])
    ow = _window_out(w, kw, sw, pw, dw, v["ceil_mode"])
    if oh < 1 or ow < 1:
        raise _too_small(kind, h, w, oh, ow, f"{kh}x{kw} window")
    return (c, oh, ow), 0, c * oh * ow * kh * kw


def _adaptive(kind: str, v: dict[str, Any], ins: list[Shape]) -> tuple[Shape, int, int]:
    c, h, w = _image(kind, ins[0])
    oh, ow = pair(v["output_size"])
    return (c, oh, ow), 0, c * h * w


def _elementwise(ops_per_element: int) -> Rule:
    def rule(v: dict[str, Any], ins: list[Shape]) -> tuple[Shape, int, int]:
        return ins[0], 0, ops_per_element * prod(ins[0])
    return rule


def batchnorm2d(v: dict[str, Any], ins: list[Shape]) -> tuple[Shape, int, int]:
    c, h, w = _image("BatchNorm2d", ins[0])
    return ins[0], (2 * c if v["affine"] else 0), 2 * c * h * w


def linear(v: dict[str, Any], ins: list[Shape]) -> tuple[Shape, int, int]:
    shape = ins[0]
    if len(shape) != 1:
        raise ShapeError(f"Linear needs a flat feature vector but gets {fmt(shape)}; insert a Flatten before it",
                         "inputs")
    n_in, n_out = shape[0], v["out_features"]
    return (n_out,), n_in * n_out + (n_out if v["bias"] else 0), 2 * n_in * n_out


def flatten(v: dict[str, Any], ins: list[Shape]) -> tuple[Shape, int, int]:
    return (prod(ins[0]),), 0, 0


def add(v: dict[str, Any], ins: list[Shape]) -> tuple[Shape, int, int]:
    if any(s != ins[0] for s in ins[1:]):
        shapes = " and ".join(fmt(s) for s in ins)
        raise ShapeError(f"Add needs inputs of equal shape, got {shapes}", "inputs")
    return ins[0], 0, (len(ins) - 1) * prod(ins[0])


def concat(v: dict[str, Any], ins: list[Shape]) -> tuple[Shape, int, int]:
    first = ins[0]
    if any(len(s) != len(first) or s[1:] != first[1:] for s in ins[1:]):
        shapes = " and ".join(fmt(s) for s in ins)
        what = "height and width" if len(first) == 3 else "rank"
        raise ShapeError(f"Concat joins along channels; the inputs' {what} must match, got {shapes}", "inputs")
    return (sum(s[0] for s in ins), *first[1:]), 0, 0


RULES: dict[str, Rule] = {
    "Conv2d": conv2d,
    "MaxPool2d": lambda v, ins: _pool("MaxPool2d", v, ins, dilated=True),
    "AvgPool2d": lambda v, ins: _pool("AvgPool2d", v, ins, dilated=False),
    "AdaptiveAvgPool2d": lambda v, ins: _adaptive("AdaptiveAvgPool2d", v, ins),
    "AdaptiveMaxPool2d": lambda v, ins: _adaptive("AdaptiveMaxPool2d", v, ins),
    "ReLU": _elementwise(1),
    "LeakyReLU": _elementwise(2),
    "GELU": _elementwise(8),
    "Sigmoid": _elementwise(4),
    "Tanh": _elementwise(4),
    "Dropout": _elementwise(1),
    "Softmax": _elementwise(3),
    "BatchNorm2d": batchnorm2d,
    "Linear": linear,
    "BinConv2d": conv2d,  # the shape of a Conv2d; its messages say Conv2d
    "BinLinear": linear,
    "Flatten": flatten,
    "Add": add,
    "Concat": concat,
}
