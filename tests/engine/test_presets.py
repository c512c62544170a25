"""Presets: every one loads and analyses clean; lenet/resnet9/mlp match the reference loop exactly."""
from __future__ import annotations

import json

import pytest

from engine.net.analysis import analyze
from engine.net.presets import PRESET_DIR, load_preset, preset_names, resolve_net
from engine.net.spec import SpecFormatError

EXPECTED = {"mlp", "lenet", "resnet9", "seminar-cnn", "vgg-small", "mobilenet-small", "lenet-binary"}
# Parameter counts of reference/reference_loop.py's nets (also checked against torch in test_build.py).
REFERENCE_PARAMS = {"lenet": 61_706, "resnet9": 6_573_130, "mlp": 400_906}


def test_all_presets_present():
    assert EXPECTED <= set(preset_names())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_preset_is_valid_with_full_layout(name):
    spec = load_preset(name)
    a = analyze(spec)
    assert a.ok, a.problems
    assert not a.warnings
    assert a.output_shape == (spec.num_classes,) == (10,)
    assert {layer.id for layer in spec.layers} | {"input"} == set(spec.layout)
    positions = list(spec.layout.values())
    assert len(set(positions)) == len(positions)  # no two nodes on top of each other


@pytest.mark.parametrize("name, params", sorted(REFERENCE_PARAMS.items()))
def test_reference_nets_have_reference_parameter_counts(name, params):
    assert analyze(load_preset(name)).total_params == params


def test_preset_shapes_follow_the_reference():
    lenet = [layer.type for layer in load_preset("lenet").layers]
    assert lenet == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "ReLU",
                     "Linear", "ReLU", "Linear"]
    assert load_preset("mlp").layers[0].type == "Flatten"
    r9 = load_preset("resnet9")
    adds = [layer for layer in r9.layers if layer.type == "Add"]
    assert [a.inputs[0] for a in adds] == ["pool1", "pool3"]  # the skip connections of the two residual blocks
    assert analyze(r9).layers["gpool1"].output_shape == (512, 1, 1)
    seminar = [layer.type for layer in load_preset("seminar-cnn").layers]
    assert seminar[-1] == "Softmax" and seminar.count("Conv2d") == 3 and seminar.count("Linear") == 2
    mobile = analyze(load_preset("mobilenet-small"))
    assert mobile.layers["dw1"].params == 32 * 9  # depthwise: one 3x3 filter per channel


def test_resolve_net_preset_path_and_errors(tmp_path, monkeypatch):
    assert resolve_net("lenet").name == "lenet"
    path = tmp_path / "mine.json"
    path.write_text((PRESET_DIR / "mlp.json").read_text())
    assert resolve_net(str(path)).name == "mlp"
    with pytest.raises(SpecFormatError, match="no preset or spec file named"):
        resolve_net("lenett")
    with pytest.raises(SpecFormatError, match="no such file"):
        resolve_net(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"input": {"shape": [3]}, "layers": [{"id": "a"}]}))
    with pytest.raises(SpecFormatError, match="bad.json"):
        resolve_net(str(bad))
    with pytest.raises(SpecFormatError, match="no preset named"):
        load_preset("nope")
