"""ONNX export refuses a net over the format's 2 GiB before building it, and a failed export leaves
no file behind (the exporter writes weight files before it fails)."""
from __future__ import annotations

import json

import pytest

from engine.cli import main as cli_main
from engine.net.export_onnx import export_onnx, onnx_problems
from engine.net.presets import load_preset
from engine.net.spec import spec_from_dict

pytest.importorskip("onnx")

HUGE = {"name": "huge", "input": {"shape": [30000]},
        "layers": [{"id": "fc", "type": "Linear", "params": {"out_features": 20000}, "inputs": ["input"]}]}


def test_over_2_gib_is_refused_before_building(tmp_path, capsys, monkeypatch):
    import engine.net.build as build
    monkeypatch.setattr(build, "build_model", lambda *a, **k: pytest.fail("a net over the limit was built"))
    assert any("2 GiB" in p for p in onnx_problems(spec_from_dict(HUGE)))
    spec = tmp_path / "huge.json"
    spec.write_text(json.dumps(HUGE))
    out = tmp_path / "out"
    out.mkdir()
    assert cli_main(["export", str(spec), "--onnx", str(out / "huge.onnx")]) == 2
    err = capsys.readouterr().err
    assert "2.24 GiB" in err and "at most 2 GiB" in err and "Traceback" not in err
    assert list(out.iterdir()) == []


def test_a_failed_export_leaves_nothing_behind(tmp_path, monkeypatch):
    import torch

    def fails_after_writing(model, args, f, **kwargs):
        from pathlib import Path
        (Path(f).parent / "fc.weight").write_bytes(b"\0" * 1024)
        Path(f).write_bytes(b"partial")
        raise RuntimeError("EncodeError: message too large\nmore lines")
    monkeypatch.setattr(torch.onnx, "export", fails_after_writing)
    from engine.errors import BadInput
    with pytest.raises(BadInput, match="ONNX export failed: EncodeError: message too large$"):
        export_onnx(load_preset("lenet"), tmp_path / "lenet.onnx")
    assert list(tmp_path.iterdir()) == []
