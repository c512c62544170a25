"""The editor's view of the engine's layer catalogue (engine.net.layers.LAYER_TYPES): palette groups
in the order the seminar teaches them, parameter schemas for the inspector, and short labels.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.net import GROUPS, LAYER_TYPES

# The order the seminar introduces the building blocks (the engine's); groups it adds go after these.
GROUP_ORDER = GROUPS
_SHORT = {"out_channels": "", "out_features": "", "kernel_size": "k", "stride": "s", "padding": "p",
          "dilation": "d", "groups": "g", "p": "p", "negative_slope": "slope", "dim": "dim",
          "output_size": "out", "start_dim": "from", "bias": "bias", "eps": "eps", "momentum": "mom"}


@dataclass(frozen=True)
class Param:
    """A parameter as the inspector needs it (mirrors engine.net.layers.ParamSpec)."""
    name: str
    kind: str  # "int" | "int_or_pair" | "float" | "bool" | "choice"
    default: Any
    doc: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()
    required: bool = False
    nullable: bool = False
    spec: Any = None  # the engine's ParamSpec, for its own value check


@dataclass(frozen=True)
class LayerKind:
    type: str
    group: str
    doc: str
    params: tuple[Param, ...]
    multi_input: bool = False

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


_KINDS: dict[str, LayerKind] | None = None


def kinds() -> dict[str, LayerKind]:
    global _KINDS
    if _KINDS is None:
        _KINDS = {
            name: LayerKind(type=name, group=t.group, doc=t.doc, multi_input=t.max_inputs != 1,
                            params=tuple(Param(name=p.name, kind=p.type, default=p.default, doc=p.doc, minimum=p.min,
                                               maximum=p.max, choices=tuple(p.choices), required=p.required,
                                               nullable=p.nullable, spec=p) for p in t.params))
            for name, t in LAYER_TYPES.items()}
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


def plain(name: str) -> str:
    """A parameter or field name as the window shows it: 'out_channels' -> 'out channels'."""
    return name.replace("_", " ")


def problem_text(problem: Any, with_layer: bool = True) -> str:
    """An analysis problem in the window's words: the layer, the field in plain words, the message."""
    field = f"{plain(problem.field)}: " if problem.field else ""
    where = f"{problem.layer_id}, " if with_layer and problem.layer_id else ""
    return f"{where}{field}{problem.message}"


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
        short = _SHORT.get(name, plain(name))
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
