"""The subprocess runner: command line, result reading, crashes, and stopping a run on cancel."""
from __future__ import annotations

import json
import sys
import threading
import time

import engine.sweep.runner as sr
from engine.run.config import RunConfig

WRITE_OK = """
import json, sys
json.dump({"run_id": "abc", "status": "ok", "throughput_sps": 123.0}, open(sys.argv[1], "w"))
"""
CRASH = "import sys; sys.stderr.write('Traceback...\\nRuntimeError: driver exploded\\n'); sys.exit(1)"
SLEEP_UNTIL_SIGINT = """
import json, sys, time
try:
    time.sleep(30)
except KeyboardInterrupt:
    json.dump({"run_id": "c1", "status": "cancelled", "error": "cancelled"}, open(sys.argv[1], "w"))
"""


def fake(monkeypatch, script):
    monkeypatch.setattr(sr, "run_command", lambda net, cfg, path, db: [sys.executable, "-c", script, str(path)])


def test_run_command_passes_every_config_field():
    cfg = RunConfig(device="cuda:1", precision="bf16", batch=512, mode="infer", seconds=5, warmup=3,
                    channels_last=True, compile="default")
    cmd = sr.run_command("resnet9", cfg, sr.Path("/tmp/r.json"), "/tmp/h.sqlite")
    joined = " ".join(cmd)
    for part in ("main.py run resnet9", "--device cuda:1", "--precision bf16", "--batch 512", "--mode infer",
                 "--warmup 3", "--seconds 5.0", "--channels-last", "--compile default", "--json /tmp/r.json",
                 "--db /tmp/h.sqlite"):
        assert part in joined
    assert "--steps" not in cmd
    steps = sr.run_command("lenet", RunConfig(steps=20), sr.Path("r.json"), None)
    assert "--steps" in steps and "--db" not in steps and "--channels-last" not in steps


def test_reads_the_result_written_by_the_worker(monkeypatch, tmp_path):
    fake(monkeypatch, WRITE_OK)
    out = sr.make_subprocess_runner(None)(RunConfig(), "lenet", tmp_path / "r.json", threading.Event())
    assert out == sr.RunOutcome("ok", "abc", None, 123.0)


def test_a_crash_without_result_is_a_failed_run_with_the_error_tail(monkeypatch, tmp_path):
    fake(monkeypatch, CRASH)
    out = sr.make_subprocess_runner(None)(RunConfig(), "lenet", tmp_path / "r.json", threading.Event())
    assert out.status == "failed" and "code 1" in out.error and "driver exploded" in out.error


def test_cancel_interrupts_the_worker_and_reports_cancelled(monkeypatch, tmp_path):
    fake(monkeypatch, SLEEP_UNTIL_SIGINT)
    cancel = threading.Event()
    threading.Timer(1.0, cancel.set).start()
    t0 = time.monotonic()
    out = sr.make_subprocess_runner(None)(RunConfig(), "lenet", tmp_path / "r.json", cancel)
    assert out.status == "cancelled"
    assert time.monotonic() - t0 < 10
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "cancelled"  # the worker ended cleanly


def test_a_refused_configuration_reports_the_runs_own_message(monkeypatch, tmp_path):
    fake(monkeypatch, "import sys; sys.stderr.write('error: --device: cuda:3 is not present (1 GPU)\\n'); sys.exit(2)")
    out = sr.make_subprocess_runner(None)(RunConfig(), "lenet", tmp_path / "r.json", threading.Event())
    assert out.status == "failed" and out.bad_input and out.error == "--device: cuda:3 is not present (1 GPU)"
