"""export_onnx: a checked ONNX file with a dynamic batch that computes what the built model does."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.net.build import build_model
from engine.net.export_onnx import export_onnx
from engine.net.presets import load_preset
from engine.net.spec import spec_from_dict

onnx = pytest.importorskip("onnx")


@pytest.mark.parametrize("name", ["lenet", "seminar-cnn"])
def test_onnx_file_matches_the_model_at_any_batch(tmp_path, name):
    from onnx.reference import ReferenceEvaluator

    spec = load_preset(name)
    path = export_onnx(spec, tmp_path / f"{name}.onnx")
    model = onnx.load(str(path))
    assert [i.name for i in model.graph.input] == ["input"]
    batch_dim = model.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch_dim.dim_param == "batch"
    torch.manual_seed(0)
    built = build_model(spec).eval()
    # The dynamic batch axis really is dynamic: the graph runs at two batch sizes.
    for batch in (1, 3):
        x = np.random.default_rng(0).standard_normal((batch, *spec.input.shape)).astype(np.float32)
        (out,) = ReferenceEvaluator(model).run(None, {"input": x})
        assert out.shape == tuple(built(torch.from_numpy(x)).shape)


def test_onnx_export_computes_the_same_function(tmp_path, monkeypatch):
    from onnx.reference import ReferenceEvaluator

    import engine.net.build

    spec = load_preset("lenet")
    torch.manual_seed(1)
    reference = build_model(spec).eval()
    monkeypatch.setattr(engine.net.build, "build_model", lambda s: reference)  # export exactly these weights
    path = export_onnx(spec, tmp_path / "lenet.onnx")
    x = np.random.default_rng(1).standard_normal((2, 1, 28, 28)).astype(np.float32)
    (out,) = ReferenceEvaluator(onnx.load(str(path))).run(None, {"input": x})
    np.testing.assert_allclose(out, reference(torch.from_numpy(x)).detach().numpy(), rtol=1e-4, atol=1e-5)


def test_residual_net_exports(tmp_path):
    spec = spec_from_dict({"input": {"shape": [2, 6, 6]}, "layers": [
        {"id": "c", "type": "Conv2d", "params": {"out_channels": 2, "kernel_size": 3, "padding": 1}, "inputs": ["input"]},
        {"id": "a", "type": "Add", "inputs": ["c", "input"]},
        {"id": "k", "type": "Concat", "inputs": ["a", "c"]}]})
    path = export_onnx(spec, tmp_path / "r.onnx")
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert {"Conv", "Add", "Concat"} <= ops


def test_what_onnx_cannot_express_is_named_before_exporting(tmp_path):
    from engine.net.export_onnx import OnnxExportError

    def spec(out_size):
        return spec_from_dict({"input": {"shape": [3, 7, 7]}, "layers": [
            {"id": "gap", "type": "AdaptiveAvgPool2d", "params": {"output_size": out_size}, "inputs": ["input"]},
            {"id": "f", "type": "Flatten", "inputs": ["gap"]}]})
    with pytest.raises(OnnxExportError, match="layer 'gap': ONNX cannot express AdaptiveAvgPool2d from 7x7 to 2x2"):
        export_onnx(spec(2), tmp_path / "x.onnx")
    assert export_onnx(spec([7, 1]), tmp_path / "y.onnx").exists()
