"""NetworkSpec -> torch.nn.Module, for any spec that `analyze` accepts.

The module is a `torch.fx.GraphModule`: its forward is generated straight-line code (no per-step
dict look-ups or Python graph walking), so a chain like LeNet costs what a hand-written forward
costs, and torch.compile, channels-last and ONNX export all see an ordinary module. Sub-modules
are registered under the layer ids (`engine.pynames.safe_name` mangles the few ids that would clash
with Python keywords or nn.Module attributes), so state dict keys read like the spec: `conv1.weight`,
and equal those of the code `engine.export_code` writes.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import fx, nn

from engine.analysis import Analysis, analyze
from engine.layers import LAYER_TYPES, check_params, pair
from engine.pynames import class_name, safe_name
from engine.spec import INPUT_ID, NetworkSpec


def make_layer(type_name: str, values: dict[str, Any], input_shapes: tuple[tuple[int, ...], ...]) -> nn.Module | None:
    """The nn.Module for one layer, or None for Add/Concat (functions in the graph)."""
    v = values
    if type_name == "Conv2d":
        return nn.Conv2d(input_shapes[0][0], v["out_channels"], pair(v["kernel_size"]), pair(v["stride"]),
                         pair(v["padding"]), pair(v["dilation"]), v["groups"], v["bias"])
    if type_name == "MaxPool2d":
        return nn.MaxPool2d(pair(v["kernel_size"]), None if v["stride"] is None else pair(v["stride"]),
                            pair(v["padding"]), pair(v["dilation"]), ceil_mode=v["ceil_mode"])
    if type_name == "AvgPool2d":
        return nn.AvgPool2d(pair(v["kernel_size"]), None if v["stride"] is None else pair(v["stride"]),
                            pair(v["padding"]), ceil_mode=v["ceil_mode"], count_include_pad=v["count_include_pad"])
    if type_name == "AdaptiveAvgPool2d":
        return nn.AdaptiveAvgPool2d(pair(v["output_size"]))
    if type_name == "AdaptiveMaxPool2d":
        return nn.AdaptiveMaxPool2d(pair(v["output_size"]))
    if type_name == "BatchNorm2d":
        return nn.BatchNorm2d(input_shapes[0][0], v["eps"], v["momentum"], v["affine"], v["track_running_stats"])
    if type_name == "Linear":
        return nn.Linear(input_shapes[0][0], v["out_features"], v["bias"])
    if type_name == "LeakyReLU":
        return nn.LeakyReLU(v["negative_slope"])
    if type_name == "GELU":
        return nn.GELU(v["approximate"])
    if type_name == "Dropout":
        return nn.Dropout(v["p"])
    if type_name == "Softmax":
        return nn.Softmax(dim=1)
    if type_name == "Flatten":
        return nn.Flatten()
    if type_name in ("ReLU", "Sigmoid", "Tanh"):
        return getattr(nn, type_name)()
    return None  # Add, Concat


def _live_order(analysis: Analysis) -> list[str]:
    return [lid for lid, info in analysis.layers.items() if info.feeds_output]


def build_model(spec: NetworkSpec, logits: bool = False) -> fx.GraphModule:
    """The spec as a module whose forward takes [N, *spec.input.shape].

    Only layers that feed the output are built. `model.ends_with_softmax` tells whether the output
    layer is a Softmax; with `logits=True` the forward returns that Softmax's input instead, which is
    what cross-entropy training wants. Raises ValueError naming the layer for a spec with errors."""
    analysis = analyze(spec)
    if not analysis.ok:
        raise ValueError("; ".join(str(p) for p in analysis.problems))
    by_id = {layer.id: layer for layer in spec.layers}
    root = nn.Module()
    graph = fx.Graph()
    values: dict[str, fx.Node] = {INPUT_ID: graph.placeholder("x")}
    names: dict[str, str] = {}
    taken: set[str] = set()
    for lid in _live_order(analysis):
        layer, info = by_id[lid], analysis.layers[lid]
        params, _ = check_params(LAYER_TYPES[layer.type], layer.params)
        args = [values[n] for n in layer.inputs]
        module = make_layer(layer.type, params, info.input_shapes)
        if module is not None:
            names[lid] = safe_name(lid, taken)
            root.add_module(names[lid], module)
            node = graph.call_module(names[lid], (args[0],))
        elif layer.type == "Add":
            node = args[0]
            for other in args[1:]:
                node = graph.call_function(torch.add, (node, other))
        else:  # Concat along channels (dim 1 of the batch)
            node = graph.call_function(torch.cat, (tuple(args),), {"dim": 1})
        values[lid] = node
    out_id = analysis.output_id
    assert out_id is not None
    ends_with_softmax = by_id[out_id].type == "Softmax"
    result = values[out_id]
    if logits and ends_with_softmax:
        result = values[by_id[out_id].inputs[0]]
    graph.output(result)
    model = fx.GraphModule(root, graph, class_name=class_name(spec.name))
    model.ends_with_softmax = ends_with_softmax
    model.module_names = names  # layer id -> attribute name (same as the id unless mangled)
    model.node_names = {lid: node.name for lid, node in values.items() if lid != INPUT_ID}  # layer id -> fx node
    model.spec_name = spec.name
    return model

