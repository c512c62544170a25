"""Small graph questions about a spec that edits ask (pure functions, no Qt)."""
from __future__ import annotations

from engine.net import InputSpec, LayerSpec, NetworkSpec


def copy_spec(spec: NetworkSpec) -> NetworkSpec:
    """A deep copy, ~20x faster than model_copy(deep=True): a spec holds only plain values, and
    parameter values are numbers, strings, bools or lists of ints (copied one level down)."""
    def layer(src: LayerSpec) -> LayerSpec:
        params = {k: list(v) if isinstance(v, list) else v for k, v in src.params.items()}
        return LayerSpec.model_construct(src.model_fields_set, id=src.id, type=src.type, params=params,
                                         inputs=list(src.inputs))
    return NetworkSpec.model_construct(
        spec.model_fields_set, format=spec.format, version=spec.version, name=spec.name,
        input=InputSpec.model_construct(spec.input.model_fields_set, shape=list(spec.input.shape)),
        num_classes=spec.num_classes, layers=[layer(x) for x in spec.layers], output=spec.output,
        layout={k: (v[0], v[1]) for k, v in spec.layout.items()})


def sinks(spec: NetworkSpec) -> list[str]:
    used = {src for layer in spec.layers for src in layer.inputs}
    return [layer.id for layer in spec.layers if layer.id not in used]


def fix_output(spec: NetworkSpec) -> None:
    """Keep `output` on the end of the chain while building: when the current output is gone or now
    feeds another layer and exactly one layer has no consumer, that layer becomes the output."""
    ids = {layer.id for layer in spec.layers}
    ends = sinks(spec)
    if (spec.output not in ids or spec.output not in ends) and len(ends) == 1:
        spec.output = ends[0]
    elif spec.output is not None and spec.output not in ids:
        spec.output = None


def reaches(spec: NetworkSpec, start: str, goal: str) -> bool:
    """True if a path start -> ... -> goal exists (then goal -> start would close a cycle)."""
    consumers: dict[str, list[str]] = {}
    for layer in spec.layers:
        for src in layer.inputs:
            consumers.setdefault(src, []).append(layer.id)
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(consumers.get(node, ()))
    return False
