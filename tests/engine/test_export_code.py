"""export_code: readable PyTorch code that is valid Python for any spec, and computes what build_model does."""
from __future__ import annotations

import ast

import pytest
import torch

from engine.net.build import build_model
from engine.net.export_code import export_code
from engine.net.presets import load_preset, preset_names
from engine.net.pynames import class_name
from engine.net.spec import NetworkSpec, spec_from_dict


def run_exported(spec: NetworkSpec) -> None:
    """Exec the code, load the built model's weights into it and compare outputs."""
    code = export_code(spec)
    ast.parse(code)
    namespace: dict = {"__name__": "exported"}
    exec(compile(code, "<exported>", "exec"), namespace)  # noqa: S102 - the test's purpose
    assert namespace["NETWORK_NAME"] == spec.name
    exported = namespace[class_name(spec.name)]().eval()
    built = build_model(spec).eval()
    exported.load_state_dict(built.state_dict())  # same attribute names, so the same keys
    x = torch.randn(2, *spec.input.shape)
    torch.testing.assert_close(exported(x), built(x))


@pytest.mark.parametrize("name", preset_names())
def test_presets_export_and_match_the_built_model(name):
    run_exported(load_preset(name))


def test_lenet_code_reads_like_hand_written_pytorch():
    code = export_code(load_preset("lenet"))
    assert "class Lenet(nn.Module):" in code
    assert "self.conv1 = nn.Conv2d(1, 6, kernel_size=5, padding=2)  # -> [6, 28, 28]" in code
    assert "self.fc1 = nn.Linear(400, 120)" in code
    assert "        x = self.conv1(x)\n" in code and "        return x\n" in code
    resnet = export_code(load_preset("resnet9"))
    assert "add1 = pool1 + relu4" in resnet and "bias=False" in resnet


HOSTILE_NAMES = ['"""; import os; os.system("echo pwned") #', "a'''b\\", "line\nbreak\r\x00", "ünïcødé ✓ 网络",
                 "class", "123", "", " ", "Net", "\\N{BULLET}", "{name}", "%s"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_network_names_stay_valid_python(name):
    spec = load_preset("mlp").model_copy(update={"name": name})
    run_exported(spec)


def test_hostile_ids_and_every_layer_type():
    ids = ["class", "None", "self", "x", "torch", "nn", "forward", "training", "NETWORK_NAME", "Net", "print", "_x",
           "return", "match", "type"]
    layers = [{"id": "c0", "type": "Conv2d", "inputs": ["input"],
               "params": {"out_channels": 4, "kernel_size": [3, 1], "padding": [1, 0], "stride": 1, "groups": 2,
                          "dilation": 1, "bias": False}}]
    prev = "c0"
    kinds = [("BatchNorm2d", {"eps": 1e-3, "momentum": 0.2, "affine": False}), ("LeakyReLU", {"negative_slope": 0.2}),
             ("GELU", {"approximate": "tanh"}), ("Sigmoid", {}), ("Tanh", {}), ("Dropout", {"p": 0.25}),
             ("MaxPool2d", {"kernel_size": 3, "stride": 1, "padding": 1, "dilation": 1, "ceil_mode": True}),
             ("AvgPool2d", {"kernel_size": [2, 1], "stride": [1, 1], "count_include_pad": False}),
             ("ReLU", {}), ("AdaptiveAvgPool2d", {"output_size": [4, 4]}), ("AdaptiveMaxPool2d", {"output_size": 4})]
    for lid, (kind, params) in zip(ids, kinds, strict=False):
        layers.append({"id": lid, "type": kind, "params": params, "inputs": [prev]})
        prev = lid
    layers += [{"id": "match", "type": "Add", "inputs": [prev, "None"]},
               {"id": "type", "type": "Concat", "inputs": ["match", "class", "match"]},
               {"id": "_x", "type": "Flatten", "inputs": ["type"]},
               {"id": "return", "type": "Linear", "params": {"out_features": 5, "bias": False}, "inputs": ["_x"]},
               {"id": "sum", "type": "Softmax", "inputs": ["return"]}]
    spec = spec_from_dict({"name": "hostile", "input": {"shape": [2, 4, 4]}, "layers": layers})
    run_exported(spec)


def test_bad_spec_is_refused_naming_the_layer():
    spec = spec_from_dict({"input": {"shape": [3]}, "layers": [{"id": "a", "type": "Nope", "inputs": ["input"]}]})
    with pytest.raises(ValueError, match="layer 'a'"):
        export_code(spec)
