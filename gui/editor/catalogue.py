"""The editor's view of the engine's layer catalogue (engine.layers.LAYER_TYPES): palette groups
in the order the seminar teaches them, parameter schemas for the inspector, and short labels.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The order the seminar introduces the building blocks; groups the engine adds go after these.
GROUP_ORDER = ("Convolution", "Pooling", "Activation", "Normalisation", "Regularisation", "Affine",
               "Structure", "Output")
MULTI_INPUT = {"Add", "Concat"}
_PREFIX = {"Conv2d": "conv", "MaxPool2d": "pool", "AvgPool2d": "avgpool", "AdaptiveAvgPool2d": "gap",
           "AdaptiveMaxPool2d": "gmp", "ReLU": "relu", "LeakyReLU": "lrelu", "GELU": "gelu",
           "Sigmoid": "sigmoid", "Tanh": "tanh", "BatchNorm2d": "bn", "Dropout": "drop", "Flatten": "flatten",
           "Linear": "fc", "Softmax": "softmax", "Add": "add", "Concat": "cat"}
_SHORT = {"out_channels": "", "out_features": "", "kernel_size": "k", "stride": "s", "padding": "p",
          "dilation": "d", "groups": "g", "p": "p", "negative_slope": "slope", "dim": "dim",
          "output_size": "out", "start_dim": "from", "bias": "bias", "eps": "eps", "momentum": "mom"}


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "int" | "int_or_pair" | "float" | "bool" | "choice" | "int_or_none"
    default: Any
    doc: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class LayerKind:
    type: str
    group: str
    doc: str
    params: tuple[Param, ...]


def _engine_catalogue() -> dict[str, Any]:
    try:
        from engine.layers import LAYER_TYPES
    except ImportError:  # the engine part has not landed: an empty palette, not a crash
        return {}
    return dict(LAYER_TYPES)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _param(name: str, raw: Any) -> Param:
    kind = str(_get(raw, "kind", None) or _get(raw, "type", "int"))
    return Param(name=name, kind=kind, default=_get(raw, "default"), doc=_get(raw, "doc", "") or "",
                 minimum=_get(raw, "minimum", _get(raw, "min")), maximum=_get(raw, "maximum", _get(raw, "max")),
                 choices=tuple(_get(raw, "choices", ()) or ()), required=bool(_get(raw, "required", False)))


_KINDS: dict[str, LayerKind] | None = None


def kinds() -> dict[str, LayerKind]:
    global _KINDS
    if _KINDS is None:
        out = {}
        for type_name, raw in _engine_catalogue().items():
            params = _get(raw, "params", {}) or {}
            items = params.items() if isinstance(params, dict) else ((_get(p, "name"), p) for p in params)
            out[type_name] = LayerKind(type=type_name, group=str(_get(raw, "group", "Other")),
                                       doc=str(_get(raw, "doc", "") or ""),
                                       params=tuple(_param(n, p) for n, p in items))
        _KINDS = out
    return _KINDS


def kind(type_name: str) -> LayerKind | None:
    return kinds().get(type_name)


def group_of(type_name: str) -> str:
    k = kind(type_name)
    return k.group if k else "Other"


def grouped() -> list[tuple[str, list[LayerKind]]]:
    groups: dict[str, list[LayerKind]] = {}
    for k in kinds().values():
        groups.setdefault(k.group, []).append(k)
    order = [g for g in GROUP_ORDER if g in groups] + sorted(g for g in groups if g not in GROUP_ORDER)
    return [(g, groups[g]) for g in order]


def accepts_many(type_name: str) -> bool:
    k = kind(type_name)
    raw = _engine_catalogue().get(type_name)
    many = _get(raw, "multi_input", None) if raw is not None else None
    if many is None:
        many = _get(raw, "max_inputs", 1) != 1 if raw is not None and _get(raw, "max_inputs") else None
    return bool(many) if many is not None else (type_name in MULTI_INPUT or (k is None and False))


def id_prefix(type_name: str) -> str:
    return _PREFIX.get(type_name, "".join(c for c in type_name.lower() if c.isalnum()) or "layer")


def _fmt(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "×".join(str(v) for v in value) if len(set(value)) > 1 else str(value[0]) if value else "()"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def key_params(type_name: str, params: dict[str, Any]) -> str:
    """One short line for the node: the parameters that shape the output, e.g. '6 ch  k5  p2'."""
    parts = []
    for name, value in params.items():
        short = _SHORT.get(name, name)
        if name == "out_channels":
            parts.insert(0, f"{_fmt(value)} ch")
        elif name == "out_features":
            parts.insert(0, f"{_fmt(value)} out")
        elif name == "kernel_size":
            parts.append(f"{_fmt(value)}×{_fmt(value)}" if not isinstance(value, (list, tuple)) else _fmt(value))
        elif isinstance(value, bool):
            parts.append(f"{short} {'on' if value else 'off'}")
        else:
            parts.append(f"{short}{'=' if len(short) > 2 else ''}{_fmt(value)}")
    return "  ".join(parts)
