"""Convolution algorithms: each agrees with the library (forward and gradients, per precision, within
the stated tolerance), refuses what it cannot compute naming the reason, and runs whole networks."""
from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F  # noqa: N812

from engine.net.conv_algos import AlgoConv2d, conv2d_with
from engine.net.conv_rules import AGREEMENT_TOLERANCE, CONV_ALGOS, agreement_tolerance, algo_problem

# (in channels, out channels, kernel, stride, padding, dilation, groups, bias, height, width)
SHAPES = [
    (3, 8, 3, 1, 1, 1, 1, True, 9, 7),  # odd sizes: Winograd's last tile hangs over
    (4, 6, 3, 1, 0, 1, 1, False, 8, 8),
    (4, 6, 5, 2, 2, 1, 2, False, 12, 11),  # stride, groups
    (4, 4, 3, 1, 2, 2, 4, True, 10, 10),  # dilation, depthwise
    (2, 5, (3, 1), (2, 1), (1, 0), 1, 1, True, 7, 6),  # rectangular kernel, pairs
]


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


def _applies(algo: str, shape) -> bool:
    _c, _o, k, s, _p, d, g, *_ = shape
    return algo_problem(algo, {"kernel_size": list(_pair(k)), "stride": list(_pair(s)),
                               "dilation": list(_pair(d)), "groups": g}) is None


def _rel_err(a: torch.Tensor, ref: torch.Tensor) -> float:
    return ((a.float() - ref.float()).abs().max() / ref.float().abs().max()).item()


@pytest.mark.parametrize("precision", sorted(AGREEMENT_TOLERANCE))
@pytest.mark.parametrize("algo", [a for a in CONV_ALGOS if a != "library"])
def test_each_algorithm_agrees_with_the_library_forward_and_backward(algo, precision):
    tol = agreement_tolerance(algo, precision)
    checked = 0
    for shape in SHAPES:
        if not _applies(algo, shape):
            continue
        c, o, k, s, p, d, g, bias, h, w = shape
        torch.manual_seed(checked)
        x = torch.randn(2, c, h, w, requires_grad=True)
        weight = torch.randn(o, c // g, *_pair(k), requires_grad=True)
        b = torch.randn(o, requires_grad=True) if bias else None
        args = (_pair(s), _pair(p), _pair(d), g)
        leaves = [t for t in (x, weight, b) if t is not None]
        outs = []
        for which in ("library", algo):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                y = conv2d_with(which, x, weight, b, *args)
            grad_y = torch.linspace(-1, 1, y.numel()).view_as(y).to(y.dtype)
            outs.append((y, torch.autograd.grad(y, leaves, grad_y)))
        (ref, ref_grads), (y, grads) = outs
        assert y.shape == ref.shape and y.dtype == ref.dtype, shape
        assert _rel_err(y, ref) <= tol, (shape, _rel_err(y, ref))
        for gr, gref in zip(grads, ref_grads, strict=True):
            assert _rel_err(gr, gref) <= tol, (shape, _rel_err(gr, gref))
        checked += 1
    assert checked >= (2 if algo == "winograd" else len(SHAPES))


def test_module_shares_the_conv_weights_and_state_dict():
    conv = torch.nn.Conv2d(3, 4, 3, padding=1)
    algo = AlgoConv2d.replacing(conv, "im2col")
    assert algo.weight is conv.weight and algo.bias is conv.bias
    assert algo.state_dict().keys() == conv.state_dict().keys()
    x = torch.randn(1, 3, 6, 6)
    assert torch.allclose(algo(x), conv(x), atol=1e-5)
    assert "algo=im2col" in repr(algo)


@pytest.mark.parametrize(("kwargs", "words"), [
    (dict(kernel_size=5), "5x5 kernel"), (dict(kernel_size=3, stride=2), "stride 2x2"),
    (dict(kernel_size=3, dilation=2), "dilation 2x2"), (dict(kernel_size=3, groups=2), "groups 2")])
def test_winograd_refuses_what_it_cannot_compute_with_the_reason(kwargs, words):
    conv = torch.nn.Conv2d(4, 4, **kwargs)
    with pytest.raises(ValueError, match=words):
        AlgoConv2d.replacing(conv, "winograd")


def test_bad_algorithm_name_is_refused():
    with pytest.raises(ValueError, match="unknown convolution algorithm 'gemm'"):
        AlgoConv2d.replacing(torch.nn.Conv2d(1, 1, 3), "gemm")


def test_library_is_plain_conv2d():
    x, w = torch.randn(1, 2, 5, 5), torch.randn(3, 2, 3, 3)
    assert torch.equal(conv2d_with("library", x, w, None, (1, 1), (0, 0), (1, 1), 1), F.conv2d(x, w))


def test_the_readme_states_the_tolerances_the_tests_use():
    from pathlib import Path

    from engine.net.conv_rules import AGREEMENT_TOLERANCE_WINOGRAD
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = text.split("## Convolution algorithms", 1)[1].split("\n## ", 1)[0]
    for precision, tol in AGREEMENT_TOLERANCE.items():
        assert f"{tol:.0e}".replace("e-0", "e-") + f" in {precision}" in section
    assert f"{AGREEMENT_TOLERANCE_WINOGRAD['bf16']:.0e}".replace("e-0", "e-") + " for Winograd in bf16" in section


@pytest.mark.parametrize("algo", CONV_ALGOS)
def test_channels_last_tensors_give_the_same_result(algo):
    conv = torch.nn.Conv2d(3, 4, 3, padding=1)
    x = torch.randn(2, 3, 6, 6)
    ref = conv(x)
    conv = conv.to(memory_format=torch.channels_last)  # what --channels-last does to the model
    out = AlgoConv2d.replacing(conv, algo)(x.contiguous(memory_format=torch.channels_last))
    assert _rel_err(out, ref) <= agreement_tolerance(algo, "fp32")


def test_winograd_trains_after_an_inference_run_made_its_matrices():
    """An inference run (under inference mode) used Winograd first, then a training run in the same process
    failed: the cached transform matrices were inference tensors."""
    from engine.net import conv_algos
    conv_algos._winograd_matrices.cache_clear()
    conv = AlgoConv2d.replacing(torch.nn.Conv2d(2, 3, 3, padding=1), "winograd")
    x = torch.randn(1, 2, 6, 6)
    with torch.inference_mode():
        conv(x)
    conv(x.requires_grad_()).sum().backward()
    assert x.grad is not None and conv.weight.grad is not None
