"""A valid spec -> readable, self-contained PyTorch code (one nn.Module class). Torch-free.

The code is valid Python whatever the spec's name and ids contain: the name only ever appears
through repr() in a string constant (never in a docstring or comment), ids are turned into safe
names (`engine.net.pynames`), and parameter values are checked ints, floats, bools or choice strings,
written with repr(). Attribute names equal `engine.net.build.build_model`'s, so the state dicts of
the two load into each other.
"""
from __future__ import annotations

from math import prod
from pathlib import Path
from typing import Any

from engine.net.analysis import analyze
from engine.net.conv_rules import FOLLOW_RUN
from engine.net.layers import BINARY_TYPES, LAYER_TYPES, check_params, pair
from engine.net.pynames import class_name, safe_name
from engine.net.shapes import fmt
from engine.net.spec import INPUT_ID, NetworkSpec


def _size(v: Any) -> str:
    """An "int_or_pair" value: 3 stays 3, [3, 3] becomes 3, [3, 1] becomes (3, 1)."""
    h, w = pair(v)
    return repr(h) if h == w else repr((h, w))


def _args(values: dict[str, Any], layer_type: str, order: list[str]) -> list[str]:
    """keyword=value for every parameter that differs from the PyTorch default."""
    spec = LAYER_TYPES[layer_type]
    out = []
    for name in order:
        value, p = values[name], spec.param(name)
        if p is not None and value == p.default:
            continue
        out.append(f"{name}={_size(value) if p is not None and p.type == 'int_or_pair' and value is not None else repr(value)}")
    return out


def layer_expr(type_name: str, v: dict[str, Any], in_shape: tuple[int, ...]) -> str:
    """The constructor call for one layer, e.g. `nn.Conv2d(1, 6, kernel_size=5, padding=2)`."""
    if type_name == "Conv2d":
        rest = _args(v, type_name, ["stride", "padding", "dilation", "groups", "bias"])
        return f"nn.Conv2d({in_shape[0]}, {v['out_channels']}, kernel_size={_size(v['kernel_size'])}" + \
            "".join(", " + a for a in rest) + ")"
    if type_name == "Linear":
        rest = _args(v, type_name, ["bias"])
        return f"nn.Linear({in_shape[0]}, {v['out_features']}" + "".join(", " + a for a in rest) + ")"
    if type_name in BINARY_TYPES:  # defined in the module itself (binary_source), with Conv2d's or Linear's arguments
        plain = layer_expr(type_name.removeprefix("Bin"), v, in_shape)
        return type_name + plain.removeprefix("nn." + type_name.removeprefix("Bin"))
    if type_name == "BatchNorm2d":
        rest = _args(v, type_name, ["eps", "momentum", "affine", "track_running_stats"])
        return f"nn.BatchNorm2d({in_shape[0]}" + "".join(", " + a for a in rest) + ")"
    if type_name in ("MaxPool2d", "AvgPool2d"):
        names = ["stride", "padding", "dilation", "ceil_mode"] if type_name == "MaxPool2d" else \
            ["stride", "padding", "ceil_mode", "count_include_pad"]
        rest = _args(v, type_name, names)
        return f"nn.{type_name}(kernel_size={_size(v['kernel_size'])}" + "".join(", " + a for a in rest) + ")"
    if type_name in ("AdaptiveAvgPool2d", "AdaptiveMaxPool2d"):
        return f"nn.{type_name}({_size(v['output_size'])})"
    if type_name == "Softmax":
        return "nn.Softmax(dim=1)"
    if type_name == "Flatten":
        return "nn.Flatten()"
    names = [p.name for p in LAYER_TYPES[type_name].params]
    return f"nn.{type_name}(" + ", ".join(_args(v, type_name, names)) + ")"


def binary_source() -> str:
    """The binarized layers' definitions, copied from engine/net/binary.py (read as text: no torch here)."""
    text = (Path(__file__).parent / "binary.py").read_text(encoding="utf-8")
    return "\n\n" + text.split("# --- EXPORTED: begin ---", 1)[1].split("# --- EXPORTED: end ---", 1)[0].strip() + "\n\n"


def _is_chain(order: list[str], by_id: dict[str, Any]) -> bool:
    """Each layer takes exactly the previous one and nothing else uses it: write `x = self.l(x)`."""
    prev = INPUT_ID
    for lid in order:
        if by_id[lid].inputs != [prev]:
            return False
        prev = lid
    return True


def export_code(spec: NetworkSpec) -> str:
    """Python source for the net; raises ValueError naming the layer for a spec with errors."""
    a = analyze(spec)
    if not a.ok:
        raise ValueError("; ".join(str(p) for p in a.problems))
    by_id = {layer.id: layer for layer in spec.layers}
    order = [lid for lid, info in a.layers.items() if info.feeds_output]
    cls = class_name(spec.name)
    taken: set[str] = {cls}
    names = {lid: safe_name(lid, taken) for lid in order}
    init, body = [], []
    chain = _is_chain(order, by_id)
    var = {INPUT_ID: "x"}
    for lid in order:
        layer, info = by_id[lid], a.layers[lid]
        values, _ = check_params(LAYER_TYPES[layer.type], layer.params)
        target = "x" if chain else names[lid]
        args = [var[n] for n in layer.inputs]
        shape_note = f"  # -> {fmt(info.output_shape)}"
        if layer.type == "Add":
            body.append(f"{target} = {' + '.join(args)}{shape_note}")
        elif layer.type == "Concat":
            body.append(f"{target} = torch.cat([{', '.join(args)}], dim=1){shape_note}")
        else:
            note = shape_note
            if values.get("algo") not in (None, FOLLOW_RUN, "library"):  # the app's algorithms stay in the app
                note += f"; the spec computes it with {values['algo']}: here torch's own conv2d"
            init.append(f"self.{names[lid]} = {layer_expr(layer.type, values, info.input_shapes[0])}{note}")
            body.append(f"{target} = self.{names[lid]}({args[0]})")
        var[lid] = target
    result = var[a.output_id]  # type: ignore[index]
    in_shape = tuple(spec.input.shape)
    binary = any(by_id[lid].type in BINARY_TYPES for lid in order)
    lines = [
        '"""PyTorch model exported by Tradeoff Lab; the network\'s name is NETWORK_NAME.',
        "",
        f"Input [N, {', '.join(map(str, in_shape))}] -> output [N, {', '.join(map(str, a.output_shape or ()))}]; "
        f"{a.total_params:,} parameters; {a.total_flops:,} forward FLOPs per sample (2 per multiply-add"
        + (f"; {a.binary_flops:,} of them binary operations of the binarized layers, run here as float "
           "arithmetic on +1/-1 values" if a.binary_flops else "") + ").",
        '"""',
        "import torch",
        "from torch import nn",
        *(["from torch.nn import functional as F", *binary_source().splitlines()] if binary else []),
        "",
        f"NETWORK_NAME = {spec.name!r}",
        f"INPUT_SHAPE = {in_shape!r}",
        "",
        "",
        f"class {cls}(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        *("        " + line for line in init),
        "",
        "    def forward(self, x):",
        *("        " + line for line in body),
        f"        return {result}",
        "",
        "",
        'if __name__ == "__main__":',
        f"    model = {cls}()",
        "    out = model(torch.randn(2, *INPUT_SHAPE))",
        "    n_params = sum(p.numel() for p in model.parameters())",
        '    print(NETWORK_NAME, "output", tuple(out.shape), "parameters", n_params)',
    ]
    if not init:  # a net of Add/Concat only still needs a valid class body
        lines.insert(lines.index("        super().__init__()") + 1, "        pass")
    assert prod(in_shape) >= 1
    return "\n".join(lines) + "\n"


spec_to_code = export_code  # the name the GUI's exporter looks for
