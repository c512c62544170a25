"""`main.py validate` and `main.py export`: tables, JSON, every error naming its layer, exit codes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[2]
BROKEN = {"name": "broken", "input": {"shape": [1, 28, 28]}, "layers": [
    {"id": "c", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 0}, "inputs": ["input"]},
    {"id": "fc", "type": "Linear", "params": {"out_features": 3}, "inputs": ["input"]},
    {"id": "z", "type": "Nope", "inputs": ["q"]}]}


@pytest.fixture
def broken(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(BROKEN))
    return path


def test_validate_table(capsys):
    assert cli_main(["validate", "lenet", "--batch", "256"]) == 0
    out = capsys.readouterr().out
    for words in ("id", "type", "output shape", "params", "FLOPs", "activations", "conv1", "[6, 28, 28]", "156",
                  "61,706", "forward FLOPs", "training FLOPs", "per step of batch 256"):
        assert words in out, words


def test_validate_json(capsys):
    assert cli_main(["validate", "resnet9", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["output_shape"] == [10] and data["problems"] == []
    assert data["totals"]["params"] == 6_573_130
    assert data["totals"]["train_flops_per_sample"] == 3 * data["totals"]["flops_per_sample"]
    conv1 = data["layers"][0]
    assert conv1 == {"id": "conv1", "type": "Conv2d", "output_shape": [64, 32, 32], "params": 1728,
                     "flops": 2 * 64 * 32 * 32 * 27, "activation_bytes": 4 * 64 * 32 * 32, "feeds_output": True}


def test_validate_broken_spec_lists_every_error_and_exits_2(broken, capsys):
    assert cli_main(["validate", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "layer 'c' (kernel_size)" in err and "layer 'fc' (inputs)" in err and "insert a Flatten" in err
    assert "unknown layer type 'Nope'" in err and "input 'q' does not exist" in err
    assert "Traceback" not in err
    assert cli_main(["validate", str(broken), "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert not data["ok"] and {p["layer_id"] for p in data["problems"]} == {"c", "fc", "z"}


@pytest.mark.parametrize("argv, words", [
    (["validate", "nope"], "no preset or spec file named 'nope'"),
    (["validate", "missing.json"], "no such file"),
    (["validate", "lenet", "--batch", "0"], "--batch must be 1 or more"),
    (["export", "lenet"], "give --pytorch"),
])
def test_bad_input_is_one_line_exit_2(argv, words, capsys):
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_not_json_file(tmp_path, capsys):
    path = tmp_path / "x.json"
    path.write_text("{nope")
    assert cli_main(["validate", str(path)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_export_pytorch_and_onnx(tmp_path, capsys):
    py, onnx_path = tmp_path / "net.py", tmp_path / "net.onnx"
    assert cli_main(["export", "mlp", "--pytorch", str(py), "--onnx", str(onnx_path)]) == 0
    assert "wrote" in capsys.readouterr().out
    run = subprocess.run([sys.executable, str(py)], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert "output (2, 10) parameters 400906" in run.stdout
    assert onnx_path.stat().st_size > 4 * 400_000


def test_export_broken_spec_names_the_layer(broken, tmp_path, capsys):
    assert cli_main(["export", str(broken), "--pytorch", str(tmp_path / "x.py")]) == 2
    err = capsys.readouterr().err
    assert "layer 'c'" in err and err.count("\n") == 1
    assert not (tmp_path / "x.py").exists()


def test_validate_through_main_py_has_no_traceback(broken):
    run = subprocess.run([sys.executable, "main.py", "validate", str(broken)], cwd=ROOT, capture_output=True,
                         text=True)
    assert run.returncode == 2 and "Traceback" not in run.stderr and "layer 'z'" in run.stderr
