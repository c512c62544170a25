"""The job runner of a sweep: each configuration a run job (typed config in, typed outcome out), a
crash, a refusal, and a cancel that stops the current run, which is kept as cancelled."""
from __future__ import annotations

import json
import os
import threading
import time

from engine.results.result import RunResult
from engine.run.config import RunConfig
from engine.run.events import RunFinished, RunStarted
from engine.sweep import runner as sr


def _result(config: RunConfig, status: str, error: str | None = None) -> RunResult:
    from gui.run.replay import make_script
    result = make_script(kind="cpu", seconds=0.1).result.model_copy(deep=True)
    result.status, result.error = status, error
    result.config = config.model_dump()
    result.throughput_sps = 123.0 if status == "ok" else None
    return result


def finishing_worker(spec_json, config, events, stop, db_path):
    result = _result(config, "ok")
    events.put(RunStarted(result.run_id, "lenet", "cpu", config.model_dump_json(), 10, None))
    event = RunFinished(result.run_id, result.status, result.model_dump_json())
    events.put(event)
    return event


def crashing_worker(spec_json, config, events, stop, db_path):
    events.flush()
    os._exit(9)


def refusing_worker(spec_json, config, events, stop, db_path):
    from engine.errors import Unsupported
    raise Unsupported(f"--device: {config.device} is not present (1 GPU)")


def stoppable_worker(spec_json, config, events, stop, db_path):
    stop.wait(60)
    result = _result(config, "cancelled", "stopped by the user")
    event = RunFinished(result.run_id, result.status, result.model_dump_json())
    events.put(event)
    return event


def _run(target, tmp_path, cancel=None, config=None):
    runner = sr.make_job_runner("{}", None, target)
    return runner(config or RunConfig(batch=7), tmp_path / "r.json", cancel or threading.Event())


def test_a_run_job_reports_its_typed_outcome_and_leaves_its_result_file(tmp_path):
    out = _run(finishing_worker, tmp_path)
    assert out.status == "ok" and out.throughput_sps == 123.0 and out.run_id
    assert json.loads((tmp_path / "r.json").read_text())["config"]["batch"] == 7  # the config went in typed


def test_a_crash_without_result_is_a_failed_run_naming_the_exit_code(tmp_path):
    out = _run(crashing_worker, tmp_path)
    assert out.status == "failed" and "exit code 9" in out.error and not out.bad_input


def test_a_refused_configuration_reports_the_runs_own_message(tmp_path):
    out = _run(refusing_worker, tmp_path, config=RunConfig(device="cuda:3"))
    assert out.status == "failed" and out.bad_input and out.error == "--device: cuda:3 is not present (1 GPU)"


def test_cancel_stops_the_current_run_which_is_kept_as_cancelled(tmp_path):
    cancel = threading.Event()
    threading.Timer(3.0, cancel.set).start()
    t0 = time.monotonic()
    out = _run(stoppable_worker, tmp_path, cancel)
    assert out.status == "cancelled" and out.run_id  # the run stored itself, as cancelled
    assert time.monotonic() - t0 < 20
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "cancelled"
