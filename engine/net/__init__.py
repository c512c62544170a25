"""The network: spec document, layer catalogue, validation with shape and cost inference, presets,
and turning a spec into a torch module, PyTorch code or ONNX.

Entry points (torch-free unless marked):
    load_spec(path) / spec_from_json(text) -> NetworkSpec     raises SpecFormatError
    save_spec(spec, path)                                      atomic; raises engine.errors.FileWriteError
    analyze(spec) -> Analysis                                  never raises; problems name the layer
    preset_names(), load_preset(name), resolve_net(NET)        NET: a preset name or a spec path
    LAYER_TYPES, GROUPS, check_value                           the layer catalogue the editor reads
    run_algo_problem(spec, conv_algo, precision)               a run's conv_algo refused before it runs
    edits.add_layer(spec, ...) -> NetworkSpec, ...             pure edits an editor applies (EditRefused)
    auto_layout(spec), needs_layout(spec), NODE_W, NODE_H       where the cards go on the canvas
    export_code(spec) -> str                                   self-contained PyTorch source
    build_model(spec) -> nn.Module                             imports torch (loaded on first use)
    export_onnx(spec, path)                                    imports torch and onnx (loaded on first use)
Errors: SpecFormatError (a file or document that is not a valid spec), a BadInput; EditRefused (an edit
that makes no sense, with the reason).
"""
from __future__ import annotations

import importlib
from typing import Any

from engine.net import edits
from engine.net import export_code as export_code_module
from engine.net.analysis import Analysis, LayerInfo, Problem, analyze
from engine.net.conv_rules import run_algo_problem
from engine.net.edits import EditRefused, copy_spec
from engine.net.export_code import export_code
from engine.net.layers import BINARY_TYPES, GROUPS, LAYER_TYPES, LayerType, ParamSpec, check_value
from engine.net.layout import GAP_X, GAP_Y, NODE_H, NODE_W, auto_layout, needs_layout
from engine.net.presets import load_preset, preset_names, preset_path, resolve_net
from engine.net.spec import (
    ID_PATTERN,
    INPUT_ID,
    MAX_ID_LEN,
    InputSpec,
    LayerSpec,
    NetworkSpec,
    SpecFormatError,
    load_spec,
    save_spec,
    spec_from_dict,
    spec_from_json,
)

# Torch-dependent entry points load on first use, so importing the face stays torch-free.
_LAZY = {"build_model": "engine.net.build", "export_onnx": "engine.net.export_onnx",
         "onnx_problems": "engine.net.export_onnx"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine.net' has no attribute {name!r}")


__all__ = ["Analysis", "BINARY_TYPES", "EditRefused", "GAP_X", "GAP_Y", "NODE_H", "NODE_W", "auto_layout", "copy_spec", "edits",
           "needs_layout", "GROUPS", "ID_PATTERN", "INPUT_ID", "InputSpec", "LAYER_TYPES", "LayerInfo", "LayerSpec",
           "LayerType", "MAX_ID_LEN", "NetworkSpec", "ParamSpec", "Problem", "SpecFormatError", "analyze",
           "build_model", "check_value", "export_code", "export_code_module", "export_onnx", "load_preset",
           "load_spec", "onnx_problems", "preset_names", "preset_path", "resolve_net", "run_algo_problem", "save_spec",
           "spec_from_dict",
           "spec_from_json"]
