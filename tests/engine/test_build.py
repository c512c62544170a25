"""build_model: the torch module agrees with analyze() on every layer's shape, parameters and FLOPs."""
from __future__ import annotations

import keyword

import pytest
import torch
from torch.fx.passes.shape_prop import ShapeProp
from torch.utils.flop_counter import FlopCounterMode

from engine.net.analysis import analyze
from engine.net.build import build_model
from engine.net.presets import load_preset, preset_names
from engine.net.spec import NetworkSpec, spec_from_dict
from tests.engine import reference_nets as reference_loop


def compare_with_torch(spec: NetworkSpec, batch: int = 2) -> None:
    """Assert that the built model's per-layer shapes, parameters and Conv2d/Linear FLOPs equal analyze()'s."""
    a = analyze(spec)
    assert a.ok, a.problems
    model = build_model(spec).eval()
    x = torch.randn(batch, *spec.input.shape)
    ShapeProp(model).propagate(x)
    nodes = {n.name: n for n in model.graph.nodes}
    for lid, node_name in model.node_names.items():
        shape = tuple(nodes[node_name].meta["tensor_meta"].shape)
        assert shape == (batch, *a.layers[lid].output_shape), lid
    assert sum(p.numel() for p in model.parameters()) == a.total_params
    for lid, attr in model.module_names.items():
        module = getattr(model, attr)
        assert sum(p.numel() for p in module.parameters()) == a.layers[lid].params, lid
        if isinstance(module, torch.nn.Conv2d | torch.nn.Linear):
            with FlopCounterMode(display=False) as counter:
                module(torch.randn(1, *a.layers[lid].input_shapes[0]))
            measured = counter.get_total_flops()
            assert abs(measured - a.layers[lid].flops) <= 0.01 * measured, (lid, measured, a.layers[lid].flops)
    assert tuple(model(x).shape) == (batch, *a.output_shape)


@pytest.mark.parametrize("name", preset_names())
def test_presets_build_and_agree_with_analysis(name):
    compare_with_torch(load_preset(name))


@pytest.mark.parametrize("name", sorted(reference_loop.NETS))
def test_reference_nets_parameter_counts_and_outputs(name):
    make, shape = reference_loop.NETS[name]
    ref = make()
    built = build_model(load_preset(name))
    assert sum(p.numel() for p in built.parameters()) == sum(p.numel() for p in ref.parameters())
    assert sorted(p.shape for p in built.parameters()) == sorted(p.shape for p in ref.parameters())
    assert list(spec_shape := load_preset(name).input.shape) == list(shape), spec_shape


def test_resnet9_computes_exactly_the_reference_function():
    torch.manual_seed(0)
    ref = reference_loop.resnet9().eval()
    built = build_model(load_preset("resnet9")).eval()
    # Parameters in creation order match one to one (conv, bn, ... in the same sequence).
    for p_built, p_ref in zip(built.state_dict().values(), ref.state_dict().values(), strict=True):
        p_built.copy_(p_ref)
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(built(x), ref(x))


def test_softmax_end_is_exposed_and_logits_skip_it():
    spec = load_preset("seminar-cnn")
    model, logits = build_model(spec), build_model(spec, logits=True)
    assert model.ends_with_softmax and logits.ends_with_softmax
    logits.load_state_dict(model.state_dict())
    x = torch.randn(3, 1, 28, 28)
    torch.testing.assert_close(model(x), torch.softmax(logits(x), dim=1))
    assert not build_model(load_preset("lenet")).ends_with_softmax


def test_bad_spec_raises_value_error_naming_the_layer():
    spec = spec_from_dict({"input": {"shape": [1, 8, 8]},
                           "layers": [{"id": "c", "type": "Conv2d", "params": {"out_channels": 2, "kernel_size": 0},
                                       "inputs": ["input"]}]})
    with pytest.raises(ValueError, match="layer 'c'"):
        build_model(spec)


def test_hostile_ids_that_clash_with_python_or_module_attributes():
    ids = ["forward", "training", "class", "None", "self", "x", "torch", "cuda", "_private", "ends_with_softmax",
           "layer_class", "add", "cat", "relu1", "flatten"]
    layers, prev = [], "input"
    for lid in ids:
        layers.append({"id": lid, "type": "Conv2d", "params": {"out_channels": 2, "kernel_size": 1}, "inputs": [prev]})
        prev = lid
    for lid, kind in [("torch_", "ReLU"), ("F", "MaxPool2d"), ("getattr", "Sigmoid"), ("nn", "Tanh"),
                      ("print", "AvgPool2d"), ("def", "GELU"), ("relu", "LeakyReLU"), ("True", "AdaptiveMaxPool2d")]:
        params = {"output_size": 4} if kind == "AdaptiveMaxPool2d" else \
            {"kernel_size": 1} if kind.endswith("Pool2d") else {}
        layers.append({"id": lid, "type": kind, "params": params, "inputs": [prev]})
        prev = lid
    layers.append({"id": "sum", "type": "Add", "inputs": [prev, "input"]})
    layers.append({"id": "join", "type": "Concat", "inputs": ["sum", "forward", "input"]})
    spec = spec_from_dict({"name": "x\"\n'''evil", "input": {"shape": [2, 4, 4]}, "layers": layers})
    assert any(keyword.iskeyword(i) for i in ids)
    compare_with_torch(spec)
    model = build_model(spec)
    assert model.training is True and callable(model.forward) and model.ends_with_softmax is False
    assert len(set(model.module_names.values())) == len(ids)


def test_dangling_layers_are_not_built():
    spec = spec_from_dict({"input": {"shape": [4]}, "layers": [
        {"id": "a", "type": "Linear", "params": {"out_features": 3}, "inputs": ["input"]},
        {"id": "b", "type": "Linear", "params": {"out_features": 5}, "inputs": ["input"]}], "output": "a"})
    model = build_model(spec)
    assert set(model.module_names) == {"a"} and sum(p.numel() for p in model.parameters()) == 15


def test_reserved_attribute_list_covers_this_torch():
    from torch import fx, nn

    from engine.net.pynames import MODULE_ATTRIBUTES
    public = {n for n in dir(fx.GraphModule(nn.Module(), fx.Graph())) if not n.startswith("_")}
    assert public <= MODULE_ATTRIBUTES, sorted(public - MODULE_ATTRIBUTES)


def test_model_info_survives_deepcopy_pickle_and_compile():
    import copy
    import pickle

    model = build_model(load_preset("seminar-cnn"))
    for other in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert other.ends_with_softmax is True and other.module_names == model.module_names
    assert build_model(load_preset("lenet")).ends_with_softmax is False  # each build has its own class
    assert model.ends_with_softmax is True


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("name", ["resnet9", "mobilenet-small", "seminar-cnn"])
def test_built_presets_train_on_cuda_bf16_channels_last(name):
    spec = load_preset(name)
    model = build_model(spec, logits=True).cuda().to(memory_format=torch.channels_last)
    x = torch.randn(8, *spec.input.shape, device="cuda").to(memory_format=torch.channels_last)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        out = model(x)
        loss = torch.nn.functional.cross_entropy(out.float(), torch.zeros(8, dtype=torch.long, device="cuda"))
    loss.backward()
    assert out.shape == (8, 10) and all(p.grad is not None for p in model.parameters())
    compiled = torch.compile(build_model(spec).cuda().eval())
    with torch.inference_mode():
        assert compiled(x.contiguous()).shape == (8, 10)
