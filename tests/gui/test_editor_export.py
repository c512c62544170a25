"""Export from the editor: PyTorch code that runs, and ONNX through a child process (the GUI process
never imports torch)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _export(window, qtbot, fmt: str, out: Path, timeout_ms: int) -> tuple[bool, str]:
    with qtbot.waitSignal(window.actions_.exporter.finished, timeout=timeout_ms) as blocker:
        assert window.actions_.export(fmt, out)
    return tuple(blocker.args)


def test_pytorch_code_export_writes_code_that_runs(window, qtbot, tmp_path):
    out = tmp_path / "lenet_model.py"
    ok, message = _export(window, qtbot, "pytorch", out, 10_000)
    assert ok, message
    code = out.read_text(encoding="utf-8")
    compile(code, str(out), "exec")
    run = subprocess.run([sys.executable, str(out)], capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "61706" in run.stdout.replace(",", "")  # LeNet's parameter count, from the built module


def test_export_refuses_a_network_with_problems(window):
    shown = []
    window.actions_.files.show_error = lambda title, text: shown.append(text)
    window.editor.scene.connect_ids("pool2", "fc1")
    assert not window.actions_.export("pytorch", Path("/tmp/never.py"))
    assert shown and "fc1" in shown[0]


@pytest.mark.slow
def test_onnx_export_runs_in_a_child_process(window, qtbot, tmp_path):
    pytest.importorskip("onnx")
    out = tmp_path / "lenet.onnx"
    ok, message = _export(window, qtbot, "onnx", out, 240_000)
    assert ok, message
    assert out.stat().st_size > 1000
    assert window.actions_.exporter.process is None
