"""`main.py run` and `main.py history` end to end, as a user calls them: exit codes, one-line errors,
the result file, the history, plain progress when not on a terminal, Ctrl+C -> cancelled."""
from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cli import COMMANDS
from engine.results.result import RunResult

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--device", "cpu", "--batch", "16", "--warmup", "1", "--sample-hz", "0"]


def _all_commands_present() -> bool:
    try:
        for name in COMMANDS:
            importlib.import_module(f"engine.cli.{name}")
    except ImportError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _all_commands_present(), reason="main.py needs every sub-command module")


def main_py(*args: str, env_data: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, TRADEOFF_LAB_DATA=str(env_data))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_run_writes_result_stores_it_and_history_lists_it(tmp_path):
    out = tmp_path / "r.json"
    db = tmp_path / "h.sqlite"
    p = main_py("run", "lenet", *FAST, "--steps", "30", "--json", str(out), "--db", str(db), env_data=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "throughput" in p.stdout and "samples/s" in p.stdout and "p99" in p.stdout
    result = RunResult.model_validate_json(out.read_text())
    assert result.status == "ok" and result.steps == 30 and result.network.name == "lenet"
    assert result.network.params == 61706 and result.network.flops_per_sample > 0
    h = main_py("history", "--db", str(db), env_data=tmp_path)
    assert h.returncode == 0 and result.run_id in h.stdout and "lenet" in h.stdout
    rows = json.loads(main_py("history", "--db", str(db), "--json", env_data=tmp_path).stdout)
    assert rows[0]["run_id"] == result.run_id and rows[0]["throughput_sps"] == pytest.approx(result.throughput_sps)


def test_plain_progress_lines_when_not_a_terminal(tmp_path):
    p = main_py("run", "mlp", *FAST, "--seconds", "2.5", "--no-store", env_data=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "\x1b[" not in p.stdout  # no terminal control codes in a log
    progress = [line for line in p.stdout.splitlines() if line.startswith("step ")]
    assert progress and "samples/s" in progress[0] and "elapsed" in progress[0] and "left" in progress[0]


@pytest.mark.parametrize("args, words", [
    (["--batch", "0"], "--batch"),
    (["--steps", "5", "--seconds", "2"], "not allowed with"),
    (["--dataset", "mnist:/no/such/place"], "/no/such/place"),
    (["--dataset", "webcam"], "unknown kind"),
    (["--precision", "int8"], "int8 runs only for inference"),
    (["--backend", "onnxruntime"], "ONNX Runtime runs inference only"),
    (["--batch", "0"], "argument --batch: must be >= 1"),
    (["--lr", "-1"], "argument --lr: must be > 0"),
    (["--optimizer", "lion"], "argument --optimizer: 'lion' is not one of sgd, adam"),
    (["--json", "/no/such/folder/r.json"], "/no/such/folder"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, words):
    p = main_py("run", "lenet", "--device", "cpu", "--no-store", *args, env_data=tmp_path)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert words in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_broken_spec_exits_2_naming_the_layer(tmp_path):
    spec = json.loads((ROOT / "engine" / "assets" / "presets" / "lenet.json").read_text())
    spec["layers"][0]["params"]["kernel_size"] = 0
    bad_id = spec["layers"][0]["id"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(spec))
    p = main_py("run", str(path), "--device", "cpu", "--no-store", env_data=tmp_path)
    assert p.returncode == 2 and f"'{bad_id}'" in p.stderr and "kernel_size" in p.stderr
    assert "Traceback" not in p.stderr
    missing = main_py("run", "no-such-net", "--no-store", env_data=tmp_path)
    assert missing.returncode == 2 and "no-such-net" in missing.stderr


def test_ctrl_c_ends_cancelled_with_the_result_written(tmp_path):
    out = tmp_path / "r.json"
    env = dict(os.environ, TRADEOFF_LAB_DATA=str(tmp_path), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run", "lenet", *FAST, "--seconds", "120",
                             "--json", str(out), "--db", str(tmp_path / "h.sqlite")], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        for line in proc.stdout:
            if line.startswith("timed") or line.startswith("step ") or time.monotonic() > deadline:
                break
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 3, stderr
    assert "cancelled" in stderr and "Traceback" not in stderr
    result = RunResult.model_validate_json(out.read_text())
    assert result.status == "cancelled" and result.steps > 0
