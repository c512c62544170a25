"""torchao's import makes torch log a deprecation ("<enum 'KernelPreference'> is an Enum subclass ...
register_constant() ... deprecated"): library noise a user must not see on an int8 run's output. Each
check runs in a fresh interpreter, since the line is logged once, when torchao first imports."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torchao")
ROOT = Path(__file__).resolve().parents[2]
NOISE = ("register_constant", "Enum subclass", "KernelPreference")


def _python(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, TRADEOFF_LAB_DATA=str(tmp_path))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_an_int8_run_on_the_cli_prints_no_torchao_log_noise(tmp_path):
    proc = _python(["main.py", "run", "lenet", "--device", "cpu", "--precision", "int8", "--mode", "infer",
                    "--batch", "8", "--steps", "2", "--warmup", "1", "--sample-hz", "0", "--no-store"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "static-ptq" in proc.stdout  # it did quantize
    assert not [line for line in (proc.stderr + proc.stdout).splitlines() if any(n in line for n in NOISE)], proc.stderr


def test_the_gpu_quantization_import_is_quiet_too(tmp_path):
    proc = _python(["-c", "from engine.run.gpu_quant import torchao_config; torchao_config('int8'); print('ok')"],
                   tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
    assert not any(n in proc.stderr for n in NOISE), proc.stderr
