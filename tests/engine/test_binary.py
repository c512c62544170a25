"""Binarized layers (XNOR-Net): signs and scales, the straight-through gradient, the catalogue's shapes
and binary FLOPs, build / code / ONNX agreeing, and a binarized LeNet that learns the digits."""
from __future__ import annotations

import ast

import pytest
import torch
from torch.nn import functional as F  # noqa: N812

from engine.net import analyze, build_model, export_code, load_preset
from engine.net.binary import BinConv2d, BinLinear, binarize, channel_scale
from engine.net.spec import spec_from_dict
from engine.run.config import RunConfig
from engine.run.loop import run


def _float_twin(spec):
    """The same net with Conv2d and Linear in place of the binarized layers."""
    data = spec.model_dump(mode="json", exclude_none=True)
    for layer in data["layers"]:
        layer["type"] = {"BinConv2d": "Conv2d", "BinLinear": "Linear"}.get(layer["type"], layer["type"])
    return spec_from_dict(data)


def test_binarize_gives_signs_and_passes_the_gradient_only_where_abs_x_is_at_most_1():
    x = torch.tensor([-2.0, -1.0, -0.5, 0.0, 0.3, 1.0, 3.0], requires_grad=True)
    assert binarize(x.detach()).tolist() == [-1, -1, -1, 1, 1, 1, 1]
    y = binarize(x, straight_through=True)
    torch.testing.assert_close(y.detach(), binarize(x.detach()), rtol=0, atol=1e-6)
    y.sum().backward()
    assert x.grad.tolist() == [0, 1, 1, 1, 1, 1, 0]


def test_weights_are_signs_times_the_mean_absolute_weight_of_each_output_channel():
    w = torch.tensor([[1.0, -3.0], [0.5, 0.5]])
    assert channel_scale(w).tolist() == [2.0, 0.5]
    lin = BinLinear(2, 2, bias=False).eval()
    with torch.no_grad():
        lin.weight.copy_(w)
    assert lin(torch.tensor([[0.2, 0.7]])).tolist() == [[0.0, 1.0]]  # (+1 - 1) * 2, (+1 + 1) * 0.5


def test_bin_layers_compute_xnor_net_and_train_through_the_estimator():
    torch.manual_seed(0)
    conv = BinConv2d(3, 4, 3, padding=1)
    x = torch.randn(2, 3, 5, 5)
    alpha = conv.weight.abs().mean(dim=(1, 2, 3), keepdim=True)
    want = F.conv2d(torch.where(x >= 0, 1.0, -1.0), torch.where(conv.weight >= 0, 1.0, -1.0) * alpha, conv.bias,
                    padding=1)
    torch.testing.assert_close(conv.eval()(x), want)
    lin = BinLinear(6, 3).train()
    xin = torch.randn(4, 6, requires_grad=True)
    lin(xin).pow(2).sum().backward()
    assert lin.weight.grad is not None and lin.weight.grad.abs().sum() > 0
    assert xin.grad is not None and xin.grad.abs().sum() > 0


def test_analysis_counts_binary_ops_with_conv2d_shapes_and_params():
    spec = load_preset("lenet-binary")
    a, twin = analyze(spec), analyze(_float_twin(spec))
    assert a.ok and a.total_params == twin.total_params and a.total_flops == twin.total_flops
    assert a.binary_flops == a.layers["conv2"].flops + a.layers["fc1"].flops > 0
    assert twin.binary_flops == 0
    assert a.layers["conv2"].output_shape == (32, 10, 10)


def test_built_model_exported_code_and_onnx_agree():
    ort = pytest.importorskip("onnxruntime")
    spec = load_preset("lenet-binary")
    torch.manual_seed(0)
    built = build_model(spec).eval()
    with torch.no_grad():  # trained-like statistics: an untrained BatchNorm maps a zero sum of signs to exactly 0,
        for bn in (built.bn1, built.bn2):  # a tie that ONNX Runtime's fused kernels break either way
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.bias.uniform_(-0.5, 0.5)
    assert isinstance(built.conv2, BinConv2d) and isinstance(built.fc1, BinLinear)
    code = export_code(spec)
    ast.parse(code)
    assert "self.conv2 = BinConv2d(16, 32, kernel_size=5, bias=False)" in code and "binary operations" in code
    ns: dict = {"__name__": "exported"}
    exec(compile(code, "<exported>", "exec"), ns)  # noqa: S102 - the test's purpose
    exported = ns["LenetBinary"]().eval()
    exported.load_state_dict(built.state_dict())
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        want = built(x)
    torch.testing.assert_close(exported(x), want)
    from engine.run.ort_backend import export_bytes
    session = ort.InferenceSession(export_bytes(built, (1, 28, 28)), providers=["CPUExecutionProvider"])
    got = torch.from_numpy(session.run(None, {"input": x.numpy()})[0])
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def test_binarized_lenet_learns_the_digits_above_chance():
    cfg = RunConfig(dataset="digits", mode="train", batch=32, steps=40, warmup=0, optimizer="adam", lr=0.003,
                    sample_hz=0, idle_baseline_s=0, eval_every_s=3600, threads=1)
    result = run(load_preset("lenet-binary"), cfg)
    assert result.status == "ok" and result.accuracy is not None
    assert result.accuracy > 0.5, result.accuracy  # ten classes: chance is 0.1


def test_a_run_of_a_binarized_net_says_its_speed_is_simulated():
    r = run(load_preset("lenet-binary"), RunConfig(mode="infer", batch=8, steps=2, warmup=0, sample_hz=0,
                                                   idle_baseline_s=0, threads=1))
    assert r.network.binary_flops_per_sample == analyze(load_preset("lenet-binary")).binary_flops
    assert any(q.startswith("simulated binarization") for q in r.quality)
    from engine.results.levers import lever_rows
    assert any(label == "binarized" and "SIMULATED" in text for label, text in lever_rows(r))
    plain = run(load_preset("lenet"), RunConfig(mode="infer", batch=8, steps=2, warmup=0, sample_hz=0,
                                                idle_baseline_s=0, threads=1))
    assert plain.network.binary_flops_per_sample is None and not any("simulated" in q for q in plain.quality)
