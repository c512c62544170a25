"""NetworkSpec -> torch.nn.Module, for any spec that `analyze` accepts.

The module is a `torch.fx.GraphModule`: its forward is generated straight-line code (no per-step
dict look-ups or Python graph walking), so a chain like LeNet costs what a hand-written forward
costs, and torch.compile, channels-last and ONNX export all see an ordinary module. Stateless
layers are function calls (torch.relu, F.max_pool2d), as in a hand-written forward; layers with
weights or train/eval behaviour are sub-modules registered under the layer ids (`engine.net.pynames.safe_name` mangles the few ids that would clash
with Python keywords or nn.Module attributes), so state dict keys read like the spec: `conv1.weight`,
and equal those of the code `engine.net.export_code` writes.
"""
from __future__ import annotations

import copy
from typing import Any

import torch
from torch import fx, nn
from torch.nn import functional as F  # noqa: N812 - the usual name

from engine.net.analysis import Analysis, analyze
from engine.net.binary import BinConv2d, BinLinear
from engine.net.layers import LAYER_TYPES, check_params, pair
from engine.net.pynames import class_name, safe_name
from engine.net.spec import INPUT_ID, NetworkSpec


def make_module(type_name: str, values: dict[str, Any], input_shapes: tuple[tuple[int, ...], ...]) -> nn.Module:
    """The nn.Module for a layer with parameters or train/eval behaviour (Conv2d, BatchNorm2d, Linear, Dropout)."""
    v = values
    if type_name == "Conv2d":
        return nn.Conv2d(input_shapes[0][0], v["out_channels"], pair(v["kernel_size"]), pair(v["stride"]),
                         pair(v["padding"]), pair(v["dilation"]), v["groups"], v["bias"])
    if type_name == "BatchNorm2d":
        return nn.BatchNorm2d(input_shapes[0][0], v["eps"], v["momentum"], v["affine"], v["track_running_stats"])
    if type_name == "Linear":
        return nn.Linear(input_shapes[0][0], v["out_features"], v["bias"])
    if type_name == "Dropout":
        return nn.Dropout(v["p"])
    if type_name == "BinConv2d":
        return BinConv2d(input_shapes[0][0], v["out_channels"], pair(v["kernel_size"]), pair(v["stride"]),
                         pair(v["padding"]), pair(v["dilation"]), v["groups"], v["bias"])
    if type_name == "BinLinear":
        return BinLinear(input_shapes[0][0], v["out_features"], v["bias"])
    raise KeyError(type_name)


MODULE_TYPES = frozenset({"Conv2d", "BatchNorm2d", "Linear", "Dropout", "BinConv2d", "BinLinear"})


def function_call(type_name: str, v: dict[str, Any]) -> tuple[Any, tuple[Any, ...], dict[str, Any]]:
    """(function, extra positional args, keyword args) for a stateless layer.

    Stateless layers are plain function calls in the generated forward, as in a hand-written one
    (F.relu, F.max_pool2d, x.flatten(1)): an nn.Module call costs microseconds of Python per layer,
    which shows in launch-bound GPU runs of small nets such as LeNet."""
    def stride() -> Any:
        return None if v["stride"] is None else pair(v["stride"])

    if type_name == "ReLU":
        return torch.relu, (), {}
    if type_name == "Sigmoid":
        return torch.sigmoid, (), {}
    if type_name == "Tanh":
        return torch.tanh, (), {}
    if type_name == "Softmax":
        return torch.softmax, (1,), {}
    if type_name == "Flatten":
        return torch.flatten, (1,), {}
    if type_name == "LeakyReLU":
        return F.leaky_relu, (v["negative_slope"],), {}
    if type_name == "GELU":
        return F.gelu, (), {"approximate": v["approximate"]}
    if type_name == "MaxPool2d":
        return F.max_pool2d, (pair(v["kernel_size"]), stride(), pair(v["padding"]), pair(v["dilation"])), \
            {"ceil_mode": v["ceil_mode"]}
    if type_name == "AvgPool2d":
        return F.avg_pool2d, (pair(v["kernel_size"]), stride(), pair(v["padding"])), \
            {"ceil_mode": v["ceil_mode"], "count_include_pad": v["count_include_pad"]}
    if type_name == "AdaptiveAvgPool2d":
        return F.adaptive_avg_pool2d, (pair(v["output_size"]),), {}
    if type_name == "AdaptiveMaxPool2d":
        return F.adaptive_max_pool2d, (pair(v["output_size"]),), {}
    raise KeyError(type_name)


INFO_KEYS = ("ends_with_softmax", "module_names", "node_names", "spec_name")


class BuiltModel(fx.GraphModule):
    """A GraphModule that keeps the build's information (INFO_KEYS) through copy.deepcopy, which
    GraphModule rebuilds from its graph alone (pickling keeps instance attributes already)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> BuiltModel:
        res = super().__deepcopy__(memo)
        for key in INFO_KEYS:
            if key in self.__dict__:
                setattr(res, key, copy.deepcopy(self.__dict__[key], memo))
        return res


def _live_order(analysis: Analysis) -> list[str]:
    return [lid for lid, info in analysis.layers.items() if info.feeds_output]


def build_model(spec: NetworkSpec, logits: bool = False) -> BuiltModel:
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
        if layer.type in MODULE_TYPES:
            names[lid] = safe_name(lid, taken)
            root.add_module(names[lid], make_module(layer.type, params, info.input_shapes))
            node = graph.call_module(names[lid], (args[0],))
        elif layer.type == "Add":
            node = args[0]
            for other in args[1:]:
                node = graph.call_function(torch.add, (node, other))
        elif layer.type == "Concat":  # along channels (dim 1 of the batch)
            node = graph.call_function(torch.cat, (tuple(args),), {"dim": 1})
        else:
            fn, extra, kwargs = function_call(layer.type, params)
            node = graph.call_function(fn, (args[0], *extra), kwargs, name=safe_name(lid, set()))
        values[lid] = node
    out_id = analysis.output_id
    assert out_id is not None
    ends_with_softmax = by_id[out_id].type == "Softmax"
    result = values[out_id]
    if logits and ends_with_softmax:
        graph.erase_node(values.pop(out_id))  # nothing uses it: the forward returns the logits
        result = values[by_id[out_id].inputs[0]]
    graph.output(result)
    model = BuiltModel(root, graph, class_name=class_name(spec.name))
    info = {"ends_with_softmax": ends_with_softmax,
            "module_names": names,  # layer id -> attribute name (the id unless mangled)
            "node_names": {lid: node.name for lid, node in values.items() if lid != INPUT_ID},  # layer id -> fx node
            "spec_name": spec.name}
    for key, value in info.items():
        setattr(model, key, value)
    return model

