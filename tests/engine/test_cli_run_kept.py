"""A run that started is never lost: a result file that cannot be written, a net too big to build, a
history deleted mid-run, SIGTERM or SIGHUP — each ends with the run kept and exit 3; a signal while the
command starts up gives no traceback."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from engine.cli import main as cli_main
from engine.results.result import RunResult
from engine.results.store import RunStore

ROOT = Path(__file__).resolve().parents[2]
TINY = ["mlp", "--device", "cpu", "--batch", "4", "--warmup", "0", "--steps", "2", "--sample-hz", "0"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_unwritable_json_keeps_the_run_and_exits_3(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    assert cli_main(["run", *TINY, "--json", "/dev/full", "--db", str(db)]) == 3
    captured = capsys.readouterr()
    assert "result NOT written" in captured.out and "/dev/full" in captured.err
    assert "Traceback" not in captured.err
    [row] = RunStore(db).list()
    assert row.status == "ok" and row.network == "mlp"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_unwritable_json_without_a_history_rescues_the_result(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert cli_main(["run", *TINY, "--json", "/dev/full", "--no-store"]) == 3
    [rescued] = tmp_path.glob("tradeoff-lab-run-*.json")
    assert RunResult.model_validate_json(rescued.read_text()).status == "ok"
    assert f"history --import {rescued}" in capsys.readouterr().out


def test_a_net_too_big_to_build_is_an_oom_result_kept_in_the_history(tmp_path, capsys, monkeypatch):
    import engine.net.build as build

    def out_of_memory(*_args, **_kwargs):  # what Linear(100000, 99999) gives on a machine without 40 GB
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:121] DefaultCPUAllocator: can't allocate memory: "
                           "you tried to allocate 39999599996 bytes. Error code 12 (Cannot allocate memory)")
    monkeypatch.setattr(build, "build_model", out_of_memory)
    db = tmp_path / "h.sqlite"
    assert cli_main(["run", *TINY, "--db", str(db)]) == 3
    assert "run oom" in capsys.readouterr().err
    [result] = RunStore(db).last(1)
    assert result.status == "oom" and "39999599996" in result.error + str(39999599996)


def test_memory_error_while_building_is_an_oom_result(tmp_path, monkeypatch):
    import engine.net.build as build

    def no_memory(*_args, **_kwargs):
        raise MemoryError
    monkeypatch.setattr(build, "build_model", no_memory)
    db = tmp_path / "h.sqlite"
    assert cli_main(["run", *TINY, "--db", str(db)]) == 3
    assert RunStore(db).last(1)[0].status == "oom"


def _start(tmp_path: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, TRADEOFF_LAB_DATA=str(tmp_path), PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _signal_when_timed(proc: subprocess.Popen, sig: int) -> tuple[str, str]:
    try:
        deadline = time.monotonic() + 90
        for line in proc.stdout:
            if line.startswith(("timed", "step ")) or time.monotonic() > deadline:
                break
        proc.send_signal(sig)
        return proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_end_the_run_cancelled_and_kept(tmp_path, sig):
    db = tmp_path / "h.sqlite"
    proc = _start(tmp_path, "run", "mlp", "--device", "cpu", "--batch", "4", "--warmup", "0", "--sample-hz", "0",
                  "--seconds", "120", "--db", str(db))
    _out, err = _signal_when_timed(proc, sig)
    assert proc.returncode == 3, err
    assert "Traceback" not in err and signal.Signals(sig).name in err
    [result] = RunStore(db).last(1)
    assert result.status == "cancelled"


def test_deleting_the_history_during_a_run_does_not_lose_the_run(tmp_path):
    db = tmp_path / "data" / "h.sqlite"
    proc = _start(tmp_path, "run", "mlp", "--device", "cpu", "--batch", "4", "--warmup", "0", "--sample-hz", "0",
                  "--seconds", "120", "--db", str(db))
    try:
        for line in proc.stdout:
            if line.startswith(("timed", "step ")):
                break
        for leftover in db.parent.iterdir():
            leftover.unlink()
        db.parent.rmdir()
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=90)
    assert proc.returncode == 3, err
    assert [r.status for r in RunStore(db).last(5)] == ["cancelled"]


def _wait_until_imported(proc: subprocess.Popen, library: str, timeout_s: float = 60) -> None:
    """Wait until the child has loaded `library` (seen in its memory map): past interpreter start-up,
    which no Python code can guard, and inside the command line's own handling."""
    maps = Path(f"/proc/{proc.pid}/maps")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if library in maps.read_text():
                return
        except OSError:
            pass
        time.sleep(0.02)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
def test_ctrl_c_while_starting_up_prints_no_traceback(tmp_path):
    for delay_s in (0.0, 0.5):
        proc = _start(tmp_path, "run", "mlp", "--device", "cpu", "--steps", "5", "--no-store")
        _wait_until_imported(proc, "_pydantic_core")
        time.sleep(delay_s)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=90)
        assert "Traceback" not in err, (delay_s, err)
        assert proc.returncode in (0, 3), (delay_s, proc.returncode, err)
