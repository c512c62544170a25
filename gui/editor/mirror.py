"""What the canvas shows for each node and wire, computed from the spec and its analysis.
Qt-free apart from NodeContent's use by the items; kept apart from the scene so it is easy to test."""
from __future__ import annotations

import engine.format as fmt
from engine.net import INPUT_ID, Analysis, NetworkSpec
from gui.editor import catalogue
from gui.editor.node_item import NodeContent


def node_contents(spec: NetworkSpec, analysis: Analysis) -> dict[str, NodeContent]:
    problems: dict[str, list[str]] = {}
    for p in analysis.problems:
        if p.layer_id is not None:
            problems.setdefault(p.layer_id, []).append(catalogue.problem_text(p, with_layer=False))
    warnings: dict[str, list[str]] = {}
    for p in analysis.warnings:  # e.g. a branch that does not feed the output
        if p.layer_id is not None:
            warnings.setdefault(p.layer_id, []).append(p.message)
    out = {INPUT_ID: NodeContent(type_name="Input", group="Input", params_line=f"{spec.name}",
                                 shape_line=fmt.shape(spec.input.shape), cost_line="one sample",
                                 problems=tuple(problems.get(INPUT_ID, ())), has_input_port=False)}
    for layer in spec.layers:
        info = analysis.layers.get(layer.id)
        if info is not None and info.output_shape is not None:
            shape_line = fmt.shape(info.output_shape)
            cost = f"{fmt.count(info.params)} params · {fmt.flops(info.flops)}"
        else:
            shape_line, cost = "?", "shape unknown"
        out[layer.id] = NodeContent(type_name=layer.type, group=catalogue.group_of(layer.type),
                                    params_line=catalogue.key_params(layer.type, layer.params),
                                    shape_line=shape_line, cost_line=cost,
                                    problems=tuple(problems.get(layer.id, ())),
                                    warnings=tuple(warnings.get(layer.id, ())),
                                    is_output=(layer.id == spec.output))
    return out


def wire_keys(spec: NetworkSpec) -> set[tuple[str, str, int]]:
    ids = {INPUT_ID} | {layer.id for layer in spec.layers}
    return {(src, layer.id, slot) for layer in spec.layers for slot, src in enumerate(layer.inputs) if src in ids}
