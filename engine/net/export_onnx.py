"""A valid spec -> an ONNX file (imports torch and onnx, lazily for the GUI's sake).

Uses PyTorch's TorchScript-based exporter (`dynamo=False`): the torch.export-based one, the default
since torch 2.9, needs the `onnxscript` package, which this project does not depend on. The
TorchScript exporter is deprecated upstream (it warns; the warning is silenced here) but still
works in torch 2.13. The batch dimension is dynamic; the model is exported in eval mode, so
BatchNorm is folded into the preceding convolution and Dropout disappears. A Conv2d's `algo` is
not exported: the file has ONNX's Conv, whose algorithm the runtime that loads it picks (as the
library algorithm leaves it to cuDNN or oneDNN).
"""
from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

from engine.errors import BadInput, Unsupported
from engine.net.spec import NetworkSpec

OPSET = 17
MAX_ONNX_BYTES = 2**31 - 2**24  # protobuf's 2 GiB, less room for the graph itself


class OnnxUnavailable(Unsupported, RuntimeError):
    """The `onnx` package is missing (pip install onnx); the message says so."""


class OnnxExportError(BadInput):
    """The net has something ONNX cannot express; the message names the layer where known."""


def onnx_problems(spec: NetworkSpec) -> list[str]:
    """What ONNX cannot express, found before the exporter fails with a page of IR. Torch-free.

    ONNX has no adaptive pooling: the exporter turns it into a fixed pool, which exists only where
    the output size divides the input size (global pooling, output 1, always works)."""
    from engine.net.analysis import analyze
    from engine.net.layers import pair

    analysis = analyze(spec)
    problems = []
    weight_bytes = 4 * analysis.total_params  # fp32, as exported
    if weight_bytes > MAX_ONNX_BYTES:
        problems.append(f"the weights take {weight_bytes / 2**30:.2f} GiB in fp32; an ONNX file holds at most "
                        f"2 GiB (the limit of its protobuf format): export a smaller net, or use --pytorch")
    for layer in spec.layers:
        info = analysis.layers.get(layer.id)
        if layer.type.startswith("Adaptive") and info is not None and info.feeds_output and info.input_shapes:
            _, h, w = info.input_shapes[0]
            oh, ow = pair(layer.params.get("output_size", 1))
            if h % oh or w % ow:
                problems.append(f"layer '{layer.id}': ONNX cannot express {layer.type} from {h}x{w} to {oh}x{ow}; "
                                f"use an output size that divides the input (1 always does)")
    return problems


def export_onnx(spec: NetworkSpec, path: str | Path, opset: int = OPSET) -> Path:
    """Write the net to `path` and check the file with onnx.checker; returns the path.

    Raises ValueError naming the layer for a spec with errors (OnnxExportError for what ONNX cannot
    express), OnnxUnavailable without onnx."""
    try:
        import onnx
    except ImportError:
        raise OnnxUnavailable("ONNX export needs the 'onnx' package: pip install onnx") from None
    import torch

    from engine.net.build import build_model

    problems = onnx_problems(spec)  # first: a net over the size limit is never built (tens of GB)
    if problems:
        raise OnnxExportError("; ".join(problems))
    model = build_model(spec).eval()  # a spec with errors is refused naming its layers
    x = torch.zeros(1, *spec.input.shape)
    out = Path(path)
    # Written in a scratch folder beside the target and moved into place when checked: a failed
    # export leaves nothing behind (the exporter may already have written weight files).
    with tempfile.TemporaryDirectory(prefix=".onnx-export-", dir=out.parent) as scratch:
        draft = Path(scratch) / "model.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter's notice (see module doc)
            try:
                torch.onnx.export(model, (x,), str(draft), dynamo=False, opset_version=opset,
                                  input_names=["input"], output_names=["output"],
                                  dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
                onnx.checker.check_model(onnx.load(str(draft)))
            except Exception as exc:  # noqa: BLE001 - the exporter raises many kinds; the user needs one line
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise OnnxExportError(f"ONNX export failed: {first[:300]}") from exc
        os.replace(draft, out)
    return out
