"""The layer catalogue: every layer type a network spec may use, torch-free.

The GUI's palette reads `group` and `doc`, its inspector reads `params` (name, type, default,
constraints); `engine.net.analysis` checks a layer's parameters against the same schema
(`check_params`), so what the inspector offers and what the validator accepts cannot drift apart.

Parameter types:
  "int"          an integer (bools are refused although Python counts them as ints)
  "int_or_pair"  an integer or a pair [height, width], as PyTorch accepts for kernel_size etc.
  "float"        a number
  "bool"         true or false
  "choice"       one of `choices` (strings)
`nullable` parameters also accept null, whose meaning the doc says (pooling stride: the kernel size).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from engine.net.conv_rules import NODE_CHOICES, NODE_DOC

MAX_VALUE = 2**31 - 1  # no sensible size or count is larger; huge JSON ints would overflow float formatting
GROUPS: tuple[str, ...] = ("Convolution", "Pooling", "Activation", "Normalisation", "Affine", "Binarized", "Structure",
                           "Output")


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: str  # "int" | "int_or_pair" | "float" | "bool" | "choice"
    default: Any  # ignored when required
    doc: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    required: bool = False
    nullable: bool = False


@dataclass(frozen=True)
class LayerType:
    name: str
    group: str
    doc: str  # one line, for the palette's tooltip
    params: tuple[ParamSpec, ...] = ()
    min_inputs: int = 1
    max_inputs: int | None = 1  # None: any number (Add, Concat)
    _by_name: dict[str, ParamSpec] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({p.name: p for p in self.params})

    def param(self, name: str) -> ParamSpec | None:
        return self._by_name.get(name)

    def defaults(self) -> dict[str, Any]:
        """Parameters a newly dropped node starts with (required ones get their suggested default)."""
        return {p.name: p.default for p in self.params}


def _kernel(default: int = 3) -> ParamSpec:
    return ParamSpec("kernel_size", "int_or_pair", default, "window size, or [height, width]", min=1, required=False)


def _padding(doc: str = "zeros added on each side, or [height, width]") -> ParamSpec:
    return ParamSpec("padding", "int_or_pair", 0, doc, min=0)


_POOL_STRIDE = ParamSpec("stride", "int_or_pair", None, "step of the window; null: the kernel size", min=1, nullable=True)
_CEIL = ParamSpec("ceil_mode", "bool", False, "round the output size up instead of down")
_OUTPUT_SIZE = ParamSpec("output_size", "int_or_pair", 1, "output height and width, or [height, width]", min=1)

_TYPES: tuple[LayerType, ...] = (
    LayerType("Conv2d", "Convolution", "2-D convolution; groups = in channels makes it depthwise", (
        ParamSpec("out_channels", "int", 16, "number of output channels (filters)", min=1, required=True),
        _kernel(3),
        ParamSpec("stride", "int_or_pair", 1, "step of the kernel, or [height, width]", min=1),
        _padding(),
        ParamSpec("dilation", "int_or_pair", 1, "spacing between kernel taps, or [height, width]", min=1),
        ParamSpec("groups", "int", 1, "channel groups; must divide in and out channels", min=1),
        ParamSpec("bias", "bool", True, "add a learnable bias per output channel"),
        ParamSpec("algo", "choice", NODE_CHOICES[0], NODE_DOC, choices=NODE_CHOICES),
    )),
    LayerType("MaxPool2d", "Pooling", "maximum over each window", (
        _kernel(2), _POOL_STRIDE, _padding("implicit -inf padding; at most half the kernel"),
        ParamSpec("dilation", "int_or_pair", 1, "spacing between window taps", min=1), _CEIL,
    )),
    LayerType("AvgPool2d", "Pooling", "average over each window", (
        _kernel(2), _POOL_STRIDE, _padding("zero padding; at most half the kernel"), _CEIL,
        ParamSpec("count_include_pad", "bool", True, "count padded zeros in the average"),
    )),
    LayerType("AdaptiveAvgPool2d", "Pooling", "average pooling to a fixed output size (1: global average)",
              (_OUTPUT_SIZE,)),
    LayerType("AdaptiveMaxPool2d", "Pooling", "max pooling to a fixed output size (1: global max)", (_OUTPUT_SIZE,)),
    LayerType("ReLU", "Activation", "max(0, x)"),
    LayerType("LeakyReLU", "Activation", "x if x > 0 else negative_slope * x", (
        ParamSpec("negative_slope", "float", 0.01, "slope for negative inputs"),
    )),
    LayerType("GELU", "Activation", "Gaussian error linear unit", (
        ParamSpec("approximate", "choice", "none", "exact ('none') or the tanh approximation", choices=("none", "tanh")),
    )),
    LayerType("Sigmoid", "Activation", "1 / (1 + exp(-x))"),
    LayerType("Tanh", "Activation", "hyperbolic tangent"),
    LayerType("BatchNorm2d", "Normalisation", "normalise each channel over the batch, then scale and shift", (
        ParamSpec("eps", "float", 1e-5, "added to the variance for stability", min=0.0),
        ParamSpec("momentum", "float", 0.1, "weight of the newest batch in the running statistics", min=0.0, max=1.0),
        ParamSpec("affine", "bool", True, "learnable scale and shift per channel"),
        ParamSpec("track_running_stats", "bool", True, "keep running mean and variance for inference"),
    )),
    LayerType("Dropout", "Normalisation", "zero each element with probability p while training", (
        ParamSpec("p", "float", 0.5, "probability of zeroing an element", min=0.0, max=1.0),
    )),
    LayerType("Linear", "Affine", "fully connected (affine) layer on a flat feature vector", (
        ParamSpec("out_features", "int", 10, "number of output features", min=1, required=True),
        ParamSpec("bias", "bool", True, "add a learnable bias per output feature"),
    )),
    LayerType("Flatten", "Structure", "flatten each sample to a feature vector (needed before Linear)"),
    LayerType("Add", "Structure", "element-wise sum of two or more inputs of equal shape (residual)",
              min_inputs=2, max_inputs=None),
    LayerType("Concat", "Structure", "join two or more inputs along the channel (feature) axis",
              min_inputs=2, max_inputs=None),
    LayerType("Softmax", "Output", "probabilities over the channel (feature) axis; training uses the logits before it"),
)

LAYER_TYPES: dict[str, LayerType] = {t.name: t for t in _TYPES}


def _binarized(name: str, like: str, doc: str) -> LayerType:
    """A binarized twin of Conv2d or Linear: the same shape parameters (no algorithm choice: it has one)."""
    return LayerType(name, "Binarized", doc, tuple(p for p in LAYER_TYPES[like].params if p.name != "algo"))


# XNOR-Net layers (engine/net/binary.py). Their FLOPs count binary operations (XNOR + popcount), 2 per
# multiply-add like float ones; here they run as float arithmetic on +1/-1 values, so their speed is
# simulated, never a binarization speed-up.
BINARY_TYPES = ("BinConv2d", "BinLinear")
LAYER_TYPES.update({t.name: t for t in (
    _binarized("BinConv2d", "Conv2d", "binarized convolution (XNOR-Net): signs of input and weights, weights "
               "scaled per output channel; 32x smaller weights, some accuracy lost; its FLOPs are binary ops, "
               "run as float arithmetic here (speed simulated)"),
    _binarized("BinLinear", "Linear", "binarized fully connected layer (XNOR-Net): signs of input and weights; "
               "its FLOPs are binary ops, run as float arithmetic here (speed simulated)"),
)})


def _check_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_value(spec: ParamSpec, value: Any) -> str | None:
    """The problem with one parameter value, or None if it is acceptable."""
    if value is None:
        return None if spec.nullable else "must not be null"
    if spec.type == "bool":
        return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
    if spec.type == "choice":
        return None if value in spec.choices else f"must be one of {', '.join(spec.choices)}; got {value!r}"
    if spec.type == "int":
        items = [value]
        if not _check_int(value):
            return f"must be an integer, got {value!r}"
    elif spec.type == "int_or_pair":
        if _check_int(value):
            items = [value]
        elif isinstance(value, list | tuple) and len(value) == 2 and all(_check_int(v) for v in value):
            items = list(value)
        else:
            return f"must be an integer or [height, width], got {value!r}"
    else:  # float
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return f"must be a finite number, got {value!r}"
        items = [value]
    for v in items:
        if abs(v) > MAX_VALUE:
            return f"is too large (at most {MAX_VALUE})"
        if spec.min is not None and v < spec.min:
            return f"must be at least {spec.min:g}, got {value!r}"
        if spec.max is not None and v > spec.max:
            return f"must be at most {spec.max:g}, got {value!r}"
    return None


def check_params(layer_type: LayerType, params: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Merge `params` over the defaults and check them.

    Returns (values, problems) where problems are (parameter name, message), all of them at once."""
    values = {p.name: p.default for p in layer_type.params}
    problems: list[tuple[str, str]] = []
    for name, value in params.items():
        spec = layer_type.param(name)
        if spec is None:
            known = ", ".join(p.name for p in layer_type.params) or "none"
            problems.append((name, f"unknown parameter '{name}' for {layer_type.name} (known: {known})"))
            continue
        msg = check_value(spec, value)
        if msg:
            problems.append((name, f"{name} {msg}"))
        else:
            values[name] = value
    for spec in layer_type.params:
        if spec.required and spec.name not in params:
            problems.append((spec.name, f"{spec.name} is required"))
    return values, problems


def pair(value: int | list[int] | tuple[int, int]) -> tuple[int, int]:
    """An "int_or_pair" value as (height, width)."""
    if isinstance(value, int):
        return value, value
    return int(value[0]), int(value[1])
