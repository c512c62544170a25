"""A valid spec -> an ONNX file (imports torch and onnx, lazily for the GUI's sake).

Uses PyTorch's TorchScript-based exporter (`dynamo=False`): the torch.export-based one, the default
since torch 2.9, needs the `onnxscript` package, which this project does not depend on. The
TorchScript exporter is deprecated upstream (it warns; the warning is silenced here) but still
works in torch 2.13. The batch dimension is dynamic; the model is exported in eval mode, so
BatchNorm is folded into the preceding convolution and Dropout disappears.
"""
from __future__ import annotations

import warnings
from pathlib import Path

from engine.spec import NetworkSpec

OPSET = 17


class OnnxUnavailable(RuntimeError):
    """The `onnx` package is missing (pip install onnx); the message says so."""


def export_onnx(spec: NetworkSpec, path: str | Path, opset: int = OPSET) -> Path:
    """Write the net to `path` and check the file with onnx.checker; returns the path.

    Raises ValueError naming the layer for a spec with errors, OnnxUnavailable without onnx."""
    try:
        import onnx
    except ImportError:
        raise OnnxUnavailable("ONNX export needs the 'onnx' package: pip install onnx") from None
    import torch

    from engine.build import build_model

    model = build_model(spec).eval()
    x = torch.zeros(1, *spec.input.shape)
    out = Path(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter's notice (see module doc)
        torch.onnx.export(model, (x,), str(out), dynamo=False, opset_version=opset,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    onnx.checker.check_model(onnx.load(str(out)))
    return out
