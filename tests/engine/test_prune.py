"""Pruning (--prune): the option's words, structured pruning that really shrinks the network and
computes what the masked original computes, unstructured zeros, and every refusal."""
from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError

from engine.cli import main as cli_main
from engine.errors import Unsupported
from engine.net.analysis import analyze
from engine.net.build import build_model
from engine.net.presets import load_preset
from engine.net.spec import NetworkSpec
from engine.results.result import NetworkSummary
from engine.run.config import RunConfig
from engine.run.prune import check_semi_structured, prune_model

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path / "data"))


def _summary(spec: NetworkSpec) -> NetworkSummary:
    a = analyze(spec)
    return NetworkSummary(name=spec.name, params=a.total_params, flops_per_sample=a.total_flops,
                          spec=spec.model_dump(mode="json", exclude_none=True))


def _cfg(**kw) -> RunConfig:
    return RunConfig(mode="infer", steps=2, warmup=0, sample_hz=0, idle_baseline_s=0, batch=4, **kw)


@pytest.mark.parametrize("text, stored", [("unstructured:0.50", "unstructured:0.5"), ("structured:.25", "structured:0.25"),
                                          (" 2:4 ", "2:4")])
def test_prune_values_are_normalised(text, stored):
    assert _cfg(prune=text).prune == stored


@pytest.mark.parametrize("text, words", [("sparse:0.5", "unknown kind 'sparse'"), ("structured:1.5", "between 0 and 1"),
                                         ("structured:half", "not a number"), ("unstructured", "give the share to prune after the kind, e.g. unstructured:0.5"),
                                         ("2:8", "the only N:M semi-structured pattern is 2:4")])
def test_bad_prune_values_say_what_is_wanted(text, words):
    with pytest.raises(ValidationError, match=words):
        _cfg(prune=text)


def _masked_like(model: torch.nn.Module, keep: dict[str, torch.Tensor], bns: dict[str, str]) -> None:
    """Zero, in the original, every channel structured pruning dropped (conv filter and bias, and the
    BatchNorm scale and shift after it): its outputs must then equal the pruned network's."""
    with torch.no_grad():
        for name, kept in keep.items():
            conv = getattr(model, name)
            drop = torch.ones(conv.out_channels, dtype=torch.bool)
            drop[kept] = False
            conv.weight[drop] = 0
            conv.bias[drop] = 0
            if name in bns:
                bn = getattr(model, bns[name])
                bn.weight[drop] = 0
                bn.bias[drop] = 0


def test_structured_pruning_shrinks_lenet_and_computes_what_the_masked_original_does():
    spec = load_preset("lenet")
    torch.manual_seed(0)
    model = build_model(spec).eval()
    original = build_model(spec).eval()
    original.load_state_dict(model.state_dict())
    small, network, report = prune_model(model, _summary(spec), _cfg(prune="structured:0.5"), CPU)
    assert report.layers == ["conv1", "conv2"] and report.kind == "structured"
    assert (small.conv1.out_channels, small.conv2.in_channels, small.conv2.out_channels) == (3, 3, 8)
    assert small.fc1.in_features == 8 * 5 * 5 and network.spec["layers"][3]["params"]["out_channels"] == 8
    assert report.params_before == 61_706 and report.params_after == network.params < 40_000
    kept = {n: (getattr(original, n).weight.abs().flatten(1).sum(1)).topk(k).indices for n, k in
            (("conv1", 3), ("conv2", 8))}
    _masked_like(original, kept, {})
    x = torch.randn(5, 1, 28, 28)
    torch.testing.assert_close(small(x), original(x), rtol=1e-5, atol=1e-5)


BN_NET = {"name": "bn", "input": {"shape": [2, 8, 8]}, "num_classes": 4, "output": "fc", "layers": [
    {"id": "c1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}, "inputs": ["input"]},
    {"id": "b1", "type": "BatchNorm2d", "inputs": ["c1"]},
    {"id": "r1", "type": "ReLU", "inputs": ["b1"]},
    {"id": "c2", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3, "padding": 1}, "inputs": ["r1"]},
    {"id": "add", "type": "Add", "inputs": ["c2", "c3"]},
    {"id": "c3", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 1}, "inputs": ["r1"]},
    {"id": "fl", "type": "Flatten", "inputs": ["add"]},
    {"id": "fc", "type": "Linear", "params": {"out_features": 4}, "inputs": ["fl"]}]}


def test_structured_pruning_carries_batchnorm_and_leaves_convs_that_feed_an_add():
    spec = NetworkSpec.model_validate(BN_NET)
    torch.manual_seed(1)
    model = build_model(spec).eval()
    with torch.no_grad():  # running statistics that matter
        model.b1.running_mean.uniform_(-1, 1)
        model.b1.running_var.uniform_(0.5, 2)
    original = build_model(spec).eval()
    original.load_state_dict(model.state_dict())
    small, _, report = prune_model(model, _summary(spec), _cfg(prune="structured:0.25"), CPU)
    assert report.layers == ["c1"] and set(report.skipped) == {"c2", "c3"}
    assert "add (Add)" in report.skipped["c2"]
    assert small.b1.num_features == 6 and small.c2.in_channels == 6 and small.c3.in_channels == 6
    kept = {"c1": original.c1.weight.abs().flatten(1).sum(1).topk(6).indices}
    _masked_like(original, kept, {"c1": "b1"})
    x = torch.randn(3, 2, 8, 8)
    torch.testing.assert_close(small.eval()(x), original(x), rtol=1e-5, atol=1e-5)


def test_unstructured_pruning_zeroes_at_least_the_share_asked_and_keeps_the_shapes():
    spec = load_preset("lenet")
    model = build_model(spec)
    pruned, network, report = prune_model(model, _summary(spec), _cfg(prune="unstructured:0.5"), CPU)
    assert pruned is model and network.params == report.params_after == report.params_before == 61_706
    assert report.zero_weights_share >= 0.5 and report.layers == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    assert float((model.fc1.weight == 0).float().mean()) == pytest.approx(0.5, abs=0.01)
    assert not report.sparse_kernels and not list(model.fc1.named_buffers())  # the mask was made permanent


def test_two_of_four_keeps_the_two_largest_of_each_group_of_four():
    from engine.run.prune import _two_of_four_mask
    w = torch.tensor([[0.1, -3.0, 2.0, 0.5, 1.0, 1.5, -0.2, -4.0]])
    assert _two_of_four_mask(w).tolist() == [[0, 1, 1, 0, 0, 1, 0, 1]]


@pytest.mark.parametrize("capability, overrides, words", [
    ((7, 5), {"precision": "fp16"}, "is 7.5"),
    ((9, 0), {"precision": "fp16", "mode": "train"}, "inference only"),
    ((9, 0), {"precision": "fp32"}, "fp16 or bf16"),
])
def test_two_of_four_refuses_where_no_sparse_kernel_runs(monkeypatch, capability, overrides, words):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *_a: capability)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *_a: "Some GPU")
    config = RunConfig(prune="2:4", **{"mode": "infer", **overrides})
    with pytest.raises(Unsupported, match=words):
        check_semi_structured(config, torch.device("cuda"))


def test_two_of_four_is_ruled_out_before_a_run_in_the_run_s_words():
    # The run panel disabled nothing (a 2:4 run on the CPU started, then refused); a sweep skips it now.
    from engine.run.options import Target, unavailable
    infer = {"prune": "2:4", "mode": "infer", "precision": "fp16"}
    with pytest.raises(Unsupported) as refused:
        check_semi_structured(RunConfig(**infer), CPU)
    assert unavailable(infer, Target())["prune:2:4"] == refused.value.user_message
    assert "prune:2:4" not in unavailable(infer, Target("cuda", (9, 0)))
    assert "this GPU is 7.5" in unavailable(infer, Target("cuda", (7, 5)))["prune:2:4"]
    assert "fp16 or bf16" in unavailable({**infer, "precision": "fp32"}, Target("cuda", (9, 0)))["prune:2:4"]
    assert "prune:2:4" not in unavailable({**infer, "prune": "structured:0.5"}, Target())


def test_two_of_four_names_the_linear_layers_the_kernels_cannot_take(monkeypatch):
    monkeypatch.setattr("engine.run.prune.check_semi_structured", lambda *_a: None)  # as on an Ampere GPU
    spec = load_preset("lenet")
    with pytest.raises(Unsupported, match=r"no Linear layer to prune.*fc1: .*400 -> 120"):
        prune_model(build_model(spec), _summary(spec), _cfg(prune="2:4", precision="fp16"), CPU)
    mlp = load_preset("mlp")
    _, _, report = prune_model(build_model(mlp), _summary(mlp), _cfg(prune="2:4", precision="fp16"), CPU)
    assert report.layers == ["fc2", "fc3", "fc4"] and set(report.skipped) == {"fc1", "fc5"}
    assert report.zero_weights_share == 0.5 and report.sparse_kernels


@pytest.mark.parametrize("args, words", [
    (["lenet", "--prune", "2:4"], "this run is on the CPU"),
    (["mlp", "--prune", "structured:0.5"], "no convolution of 'mlp' can lose channels"),
    (["lenet", "--prune", "half"], "--prune"),
])
def test_cli_refuses_pruning_that_cannot_apply_with_exit_2(capsys, args, words):
    code = cli_main(["run", *args, "--device", "cpu", "--mode", "infer", "--steps", "1", "--warmup", "0",
                     "--sample-hz", "0", "--no-store"])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available() or torch.cuda.get_device_capability() < (8, 0),
                    reason="2:4 sparse kernels need an Ampere or newer GPU")
def test_two_of_four_runs_on_the_gpu_with_sparse_weights(monkeypatch):
    from engine.run.loop import run
    config = RunConfig(device="cuda", mode="infer", precision="bf16", prune="2:4", batch=4096, steps=5, warmup=2,
                       sample_hz=0, idle_baseline_s=0)
    result = run(load_preset("mlp"), config)
    assert result.status == "ok", result.error
    assert result.prune.sparse_kernels and result.prune.layers == ["fc2", "fc3", "fc4"]


def test_structured_pruning_of_a_network_without_a_spec_is_refused_before_anything_runs():
    from engine.errors import BadRunInput
    from engine.run.loop import run_model
    from tests.engine.tiny_nets import NETWORK, TinyCNN
    events = []
    with pytest.raises(BadRunInput, match="structured pruning rewrites the network spec"):
        run_model(TinyCNN, NETWORK, (1, 8, 8), 10, _cfg(prune="structured:0.5"), events.append)
    assert events == []
