"""Bad input for each of the seminar's levers (pruning, convolution algorithm, runtime) on the command
line: exit 2 and one line naming the layer or the field, never a traceback, nothing run."""
from __future__ import annotations

import json

import pytest

from engine.cli import main as cli_main
from engine.net.presets import load_preset
from engine.results.store import RunStore

RUN = ["--device", "cpu", "--steps", "1", "--warmup", "0", "--sample-hz", "0", "--idle-seconds", "0"]


def _spec_file(tmp_path, edit) -> str:
    data = load_preset("lenet").model_dump(mode="json", exclude_none=True)
    edit({layer["id"]: layer for layer in data["layers"]})
    path = tmp_path / "net.json"
    path.write_text(json.dumps(data))
    return str(path)


def _stride_2_3x3(layers):
    layers["conv1"]["params"].update(kernel_size=3, stride=2)


@pytest.mark.parametrize(("net", "args", "words"), [
    ("lenet", ["--prune", "sparse:0.5"], "--prune: prune 'sparse:0.5': unknown kind 'sparse'"),
    ("lenet", ["--prune", "structured:half"], "amount 'half' is not a number"),
    ("lenet", ["--prune", "unstructured:1.5"], "amount must be between 0 and 1"),
    ("lenet", ["--prune", "structured:0"], "amount must be between 0 and 1"),
    ("lenet", ["--backend", "tensorrt"], "argument --backend: 'tensorrt' is not one of torch, onnxruntime"),
    ("lenet", ["--conv-algo", "gemm"], "argument --conv-algo: 'gemm' is not one of library, direct, im2col"),
    (_stride_2_3x3, ["--conv-algo", "winograd"], "layer 'conv1' (conv_algo winograd): Winograd F(2x2,3x3) "
                                                  "computes 3x3 kernels with stride 1"),
    (lambda ls: (_stride_2_3x3(ls), ls["conv1"]["params"].update(algo="winograd")), [],
     "layer 'conv1' (algo): algo winograd: Winograd F(2x2,3x3) computes 3x3 kernels with stride 1, dilation 1 and "
     "groups 1 only; this layer has stride 2x2"),
    (lambda ls: ls["fc1"]["params"].update(algo="im2col"), [], "layer 'fc1' (algo): unknown parameter 'algo' for Linear"),
    (lambda ls: ls["conv2"]["params"].update(algo="gemm"), [], "layer 'conv2' (algo): algo must be one of run, library"),
])
def test_bad_lever_input_exits_2_with_one_line_naming_the_field_or_layer(tmp_path, capsys, monkeypatch, net, args, words):
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path))
    target = net if isinstance(net, str) else _spec_file(tmp_path, net)
    try:
        code = cli_main(["run", target, *RUN, *args])
    except SystemExit as exc:  # argparse's choices: the parser exits 2 itself
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert words in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    db = tmp_path / "runs.sqlite"
    assert not db.exists() or not RunStore(db).last(1)  # refused before anything ran: nothing stored
