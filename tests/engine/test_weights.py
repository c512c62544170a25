"""Trained weights kept with a run and loaded into another (engine.run.weights)."""
from __future__ import annotations

import pytest
import torch

from engine.errors import BadInput
from engine.net import build_model, load_preset
from engine.run.weights import load_weights, resolve_weights, save_weights


@pytest.fixture(autouse=True)
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path))


def test_weights_round_trip_by_run_id():
    trained = build_model(load_preset("lenet"))
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(1.0)
    path = save_weights(trained, "run-1")
    fresh = build_model(load_preset("lenet"))
    load_weights(fresh, resolve_weights("run-1"))
    assert path.name == "run-1.safetensors"
    for key, value in trained.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value)
    assert resolve_weights(str(path)) == path  # a file path works too


def test_weights_of_another_network_are_refused_naming_the_layers():
    save_weights(build_model(load_preset("lenet")), "lenet-run")
    with pytest.raises(BadInput, match="do not fit this network: no weights for layer"):
        load_weights(build_model(load_preset("mlp")), resolve_weights("lenet-run"))


def test_unknown_run_or_file_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="no weights stored for that run"):
        resolve_weights("nope")
    with pytest.raises(BadInput, match="no such file"):
        resolve_weights(str(tmp_path / "w.safetensors"))
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not safetensors")
    with pytest.raises(BadInput, match="not a readable safetensors file"):
        load_weights(build_model(load_preset("lenet")), junk)
