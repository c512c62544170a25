"""Validation, shape and cost inference for a NetworkSpec. Torch-free.

CONTRACT (used by the GUI editor, the CLI and the run loop):

    analyze(spec: NetworkSpec) -> Analysis

never raises for a bad spec: every problem is a `Problem` naming the layer (and field), all found
at once. `Analysis.ok` is True when there are no errors. `warnings` are not errors (a layer that does
not feed the output). The shape and cost rules of each layer type live in `engine.net.shapes`.

`output` defaults to the last layer. Totals count only the layers that feed the output, since only
those run. `num_classes`, when given, must match the output ([num_classes]).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from math import prod
from typing import Any

from engine.net.layers import BINARY_TYPES, LAYER_TYPES, MAX_VALUE, LayerType, check_params
from engine.net.shapes import RULES, Shape, ShapeError, fmt
from engine.net.spec import ID_PATTERN, INPUT_ID, MAX_ID_LEN, LayerSpec, NetworkSpec
from engine.shown_text import one_line

CYCLE_SHOWN = 6  # layers named in a cycle's message; the rest are counted


@dataclass(frozen=True)
class Problem:
    layer_id: str | None  # None for whole-spec problems (e.g. no output)
    message: str  # names the problem, e.g. "Add: inputs have shapes [6, 28, 28] and [16, 10, 10]"
    field: str | None = None  # the parameter at fault, e.g. "kernel_size"

    def __str__(self) -> str:
        where = f"layer '{one_line(self.layer_id, MAX_ID_LEN + 16)}'" if self.layer_id else "network"
        if self.field:
            where += f" ({self.field})"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class LayerInfo:
    layer_id: str
    type: str
    output_shape: tuple[int, ...] | None  # per sample, without the batch dimension; None if unknown
    params: int = 0
    flops: int = 0  # forward FLOPs per sample, 2 per multiply-add
    activation_bytes: int = 0  # fp32 bytes of this layer's output per sample
    feeds_output: bool = True  # False: a dangling layer, not built and not in the totals
    input_shapes: tuple[tuple[int, ...], ...] = ()  # per sample, in the order of the layer's inputs


@dataclass
class Analysis:
    layers: dict[str, LayerInfo] = field(default_factory=dict)  # in topological order where possible
    problems: list[Problem] = field(default_factory=list)
    total_params: int = 0
    total_flops: int = 0  # forward, per sample
    binary_flops: int = 0  # of total_flops, the binary operations of binarized layers (BinConv2d, BinLinear)
    train_flops: int = 0  # forward + backward (~3x forward), per sample
    activation_bytes: int = 0  # per sample, fp32, sum over layers
    output_shape: tuple[int, ...] | None = None
    output_id: str | None = None  # the output layer (spec.output, else the last layer)
    warnings: list[Problem] = field(default_factory=list)  # not errors: ok stays True

    @property
    def ok(self) -> bool:
        return not self.problems

    def problems_for(self, layer_id: str) -> list[Problem]:
        return [p for p in self.problems if p.layer_id == layer_id]


# Beyond these a spec is a typo (an extra zero), not a network: 1e10 parameters need 40 GB of fp32
# weights and ~160 GB to train (gradients and optimiser state), more than any one machine here has.
MAX_PARAMS = 10**10
MAX_ACTIVATION_BYTES = 10**12  # per sample
TRAIN_FLOPS_FACTOR = 3  # backward costs about twice the forward (gradients of inputs and weights)


def _output_id(spec: NetworkSpec) -> str | None:
    """The layer whose output is the net's output: `output`, else the last layer."""
    if spec.output is not None:
        return spec.output
    return spec.layers[-1].id if spec.layers else None


def _check_ids(spec: NetworkSpec, problems: list[Problem]) -> dict[str, LayerSpec]:
    by_id: dict[str, LayerSpec] = {}
    for index, layer in enumerate(spec.layers):
        lid = layer.id
        if not ID_PATTERN.match(lid) or len(lid) > MAX_ID_LEN:
            problems.append(Problem(lid or f"#{index}", f"invalid id {one_line(repr(lid), MAX_ID_LEN + 16)}: use letters, digits and _ "
                                    f"(not starting with a digit), at most {MAX_ID_LEN} characters", "id"))
            continue
        if lid == INPUT_ID:
            problems.append(Problem(lid, f"the id '{INPUT_ID}' is reserved for the network input", "id"))
            continue
        if lid in by_id:
            problems.append(Problem(lid, f"duplicate id '{lid}' (layer #{index + 1} repeats an earlier layer's id)",
                                    "id"))
            continue
        by_id[lid] = layer
    return by_id


def _check_wiring(layer: LayerSpec, ltype: LayerType | None, by_id: dict[str, LayerSpec],
                  problems: list[Problem]) -> bool:
    ok = True
    if not layer.inputs:
        problems.append(Problem(layer.id, f"has no inputs; connect it to '{INPUT_ID}' or another layer", "inputs"))
        return False
    for name in layer.inputs:
        if name != INPUT_ID and name not in by_id:
            problems.append(Problem(layer.id, f"input '{one_line(name, 80)}' does not exist", "inputs"))
            ok = False
    if ltype is not None:
        n = len(layer.inputs)
        if n < ltype.min_inputs:
            problems.append(Problem(layer.id, f"{ltype.name} needs at least {ltype.min_inputs} inputs, got {n}",
                                    "inputs"))
            ok = False
        elif ltype.max_inputs is not None and n > ltype.max_inputs:
            problems.append(Problem(layer.id, f"{ltype.name} takes {ltype.max_inputs} input, got {n} "
                                    f"(use Add or Concat to merge branches)", "inputs"))
            ok = False
    return ok


def _topological(by_id: dict[str, LayerSpec]) -> tuple[list[str], set[str]]:
    """Kahn's algorithm; a heap on spec position keeps the order deterministic and close to the file's.
    Returns (order, layers left over: in or behind a cycle)."""
    position = {lid: i for i, lid in enumerate(by_id)}
    consumers: dict[str, list[str]] = {lid: [] for lid in by_id}
    pending: dict[str, int] = {}
    for lid, layer in by_id.items():
        deps = {n for n in layer.inputs if n in by_id}
        pending[lid] = len(deps)
        for n in deps:
            consumers[n].append(lid)
    heap = [(position[lid], lid) for lid, k in pending.items() if k == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        _, lid = heapq.heappop(heap)
        order.append(lid)
        for c in consumers[lid]:
            pending[c] -= 1
            if pending[c] == 0:
                heapq.heappush(heap, (position[c], c))
    return order, set(by_id) - set(order)


def _report_cycles(left: set[str], by_id: dict[str, LayerSpec], problems: list[Problem]) -> None:
    """Name each cycle once, on its first layer in spec order; layers merely behind a cycle stay quiet."""
    reported: set[str] = set()
    for start in [lid for lid in by_id if lid in left]:
        if start in reported:
            continue
        path, seen, node = [], {}, start
        while node not in seen:  # walk inputs that stay inside `left`: every such layer has one
            seen[node] = len(path)
            path.append(node)
            node = next(n for n in by_id[node].inputs if n in left)
        cycle = path[seen[node]:]
        if reported.isdisjoint(cycle):
            ring = " -> ".join([*reversed(cycle), cycle[-1]])
            if len(cycle) > CYCLE_SHOWN:  # a 10,000-layer ring made one 89 KB line
                ring = " -> ".join([*reversed(cycle[-CYCLE_SHOWN:]), "…"]) + \
                    f" (and {len(cycle) - CYCLE_SHOWN:,} more layers, back to '{cycle[-1]}')"
            problems.append(Problem(cycle[-1], f"is part of a cycle: {ring}", "inputs"))
        reported.update(path)


def _ancestors(target: str, by_id: dict[str, LayerSpec]) -> set[str]:
    seen: set[str] = set()
    stack = [target]
    while stack:
        node = stack.pop()
        if node in seen or node not in by_id:
            continue
        seen.add(node)
        stack.extend(by_id[node].inputs)
    return seen


def analyze(spec: NetworkSpec) -> Analysis:
    result = Analysis()
    problems = result.problems
    input_shape: Shape | None = tuple(spec.input.shape)
    if any(d < 1 or d > MAX_VALUE for d in input_shape):
        shown = f" {fmt(input_shape)}" if all(abs(d) <= MAX_VALUE for d in input_shape) else ""
        problems.append(Problem(INPUT_ID, f"input shape{shown}: every dimension must be between 1 and {MAX_VALUE}",
                                "shape"))
        input_shape = None
    if not spec.layers:
        problems.append(Problem(None, "the network has no layers"))
    by_id = _check_ids(spec, problems)

    checked: dict[str, dict[str, Any]] = {}  # layer id -> parameter values, for layers without own errors
    for lid, layer in by_id.items():
        ltype = LAYER_TYPES.get(layer.type)
        ok = _check_wiring(layer, ltype, by_id, problems)
        if ltype is None:
            problems.append(Problem(lid, f"unknown layer type '{one_line(layer.type, 80)}' (known: {', '.join(LAYER_TYPES)})",
                                    "type"))
            continue
        values, param_problems = check_params(ltype, layer.params)
        problems.extend(Problem(lid, msg, name) for name, msg in param_problems)
        if ok and not param_problems:
            checked[lid] = values

    order, left = _topological(by_id)
    if left:
        _report_cycles(left, by_id, problems)

    out_id = _output_id(spec)
    result.output_id = out_id
    live: set[str] = set()
    if spec.output is not None and spec.output not in by_id:
        problems.append(Problem(None, f"output '{one_line(spec.output, 80)}' is not a layer of this network", "output"))
    elif out_id is not None and out_id in by_id:
        live = _ancestors(out_id, by_id)
        if INPUT_ID not in _ancestors_inputs(live, by_id):
            problems.append(Problem(out_id, "the output is not connected to the input", "output"))

    shapes: dict[str, Shape | None] = {INPUT_ID: input_shape}
    biggest: tuple[int, str | None] = (0, None)
    for lid in [*order, *(lid for lid in by_id if lid in left)]:
        layer = by_id[lid]
        ins = [shapes.get(n) for n in layer.inputs]
        info = LayerInfo(lid, layer.type, None, feeds_output=lid in live)
        if lid in checked and ins and all(s is not None for s in ins):
            try:
                out, params, flops = RULES[layer.type](checked[lid], ins)  # type: ignore[arg-type]
            except ShapeError as exc:
                problems.append(Problem(lid, exc.message, exc.field))
            else:
                info = LayerInfo(lid, layer.type, out, params, flops, 4 * prod(out), feeds_output=lid in live,
                                 input_shapes=tuple(ins))  # type: ignore[arg-type]
        shapes[lid] = info.output_shape
        result.layers[lid] = info
        if lid in live:
            result.total_params += info.params
            result.total_flops += info.flops
            if layer.type in BINARY_TYPES:
                result.binary_flops += info.flops
            result.activation_bytes += info.activation_bytes
            biggest = max(biggest, (info.params, lid), key=lambda b: b[0])
        elif out_id in by_id and lid in checked:
            result.warnings.append(Problem(lid, f"does not feed the output '{out_id}'; it is ignored when the "
                                           "net runs"))
    result.train_flops = TRAIN_FLOPS_FACTOR * result.total_flops
    result.output_shape = shapes.get(out_id) if out_id in live else None

    if result.total_params > MAX_PARAMS:
        problems.append(Problem(biggest[1], f"the network has {result.total_params:.3g} parameters, more than any "
                                f"machine could train (limit {MAX_PARAMS:.0e}); this layer alone has "
                                f"{biggest[0]:.3g}"))
    if result.activation_bytes > MAX_ACTIVATION_BYTES:
        problems.append(Problem(None, f"activations need {result.activation_bytes:.3g} bytes per sample, more than "
                                f"any machine could hold (limit {MAX_ACTIVATION_BYTES:.0e})"))
    if spec.num_classes is not None:
        if spec.num_classes < 1:
            problems.append(Problem(None, f"num_classes must be at least 1, got {spec.num_classes}", "num_classes"))
        elif result.output_shape is not None and result.output_shape != (spec.num_classes,):
            problems.append(Problem(out_id, f"the output has shape {fmt(result.output_shape)} but num_classes is "
                                    f"{spec.num_classes}; expected [{spec.num_classes}]", "num_classes"))
    # Report in the order a reader meets them: the whole network first, then layer by layer.
    position = {layer.id: i for i, layer in reversed(list(enumerate(spec.layers)))}
    problems.sort(key=lambda p: -1 if p.layer_id in (None, INPUT_ID) else position.get(p.layer_id, len(position)))
    return result


def _ancestors_inputs(live: set[str], by_id: dict[str, LayerSpec]) -> set[str]:
    return {n for lid in live for n in by_id[lid].inputs}
