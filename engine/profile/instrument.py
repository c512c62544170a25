"""Mark each spec layer in a built model's forward with a profiler range named by its layer id.
Imports torch.

The built model is a torch.fx GraphModule whose stateless layers are plain function calls, so
module hooks cannot see them. Instead each layer's node is bracketed in the graph itself by the
two operators `torch.profiler.record_function` uses: the generated forward stays straight-line
code, and every operator a layer runs (its own, and autocast's casts) falls inside its range. The
backward of a layer is found afterwards through autograd sequence numbers (engine.profile.attribute).
"""
from __future__ import annotations

import torch
from torch import fx

LAYER_PREFIX = "tl:layer:"  # a layer's forward range: LAYER_PREFIX + layer id
DATA_RANGE = "tl:data"  # loading the batch (and any copy to the device)
WINDOW_RANGE = "tl:window"  # the profiled steps
STEP_RANGE = "tl:step"  # each of them


def instrument(model: fx.GraphModule) -> fx.GraphModule:
    """The same module, its forward now opening a range per layer (in place; returned for chaining).
    A layer built from several nodes (an Add of three inputs) is bracketed from its first node to
    its last."""
    node_names: dict[str, str] = getattr(model, "node_names", {})
    by_name = {node.name: node for node in model.graph.nodes}
    layer_of: dict[str, str] = {name: lid for lid, name in node_names.items()}
    enter = torch.ops.profiler._record_function_enter_new.default
    leave = torch.ops.profiler._record_function_exit._RecordFunction
    for node in list(model.graph.nodes):
        lid = layer_of.get(node.name)
        if lid is None or node.op not in ("call_module", "call_function", "call_method"):
            continue
        first = _first_node_of(node, set(by_name[n] for n in layer_of if n in by_name))
        with model.graph.inserting_before(first):
            handle = model.graph.call_function(enter, (LAYER_PREFIX + lid, None))
        with model.graph.inserting_after(node):
            model.graph.call_function(leave, (handle,))
    model.recompile()
    return model


def _first_node_of(node: fx.Node, layer_nodes: set[fx.Node]) -> fx.Node:
    """The earliest node computing this layer: an Add of several inputs is a chain of torch.add
    nodes, the last of which carries the layer's name; its unnamed predecessors belong to it too."""
    first = node
    while True:
        inner = [a for a in first.all_input_nodes if a not in layer_nodes and a.op == "call_function"
                 and not str(a.target).startswith("profiler.")]
        if len(inner) != 1 or len(inner[0].users) != 1:
            return first
        first = inner[0]
