"""The run controller with a fake worker that replays scripted events (no torch): finish, cancel,
a worker that ignores stop, a crash, an OOM, and bad input."""
from __future__ import annotations

import functools
import time

import pytest

from engine.results.result import NetworkSummary
from engine.results.store import RunStore
from engine.run.config import RunConfig
from gui.run.controller import RunController
from gui.run.replay import Script, make_script, replay_worker

NET = NetworkSummary(name="lenet", params=61_706, flops_per_sample=846_000)


def _controller(tmp_path, script: Script, **kw) -> RunController:
    return RunController(db_path=str(tmp_path / "runs.sqlite"), target=functools.partial(replay_worker, script), **kw)


def _run(qtbot, ctl: RunController, timeout_ms: int = 20_000, stop_after_s: float | None = None):
    results = []
    ctl.finished.connect(results.append)
    ctl.start("{}", RunConfig(seconds=2.0), NET)
    if stop_after_s is not None:
        qtbot.waitUntil(lambda: ctl.live.last_step is not None, timeout=timeout_ms)
        qtbot.wait(int(stop_after_s * 1000))
        ctl.stop()
    qtbot.waitUntil(lambda: bool(results), timeout=timeout_ms)
    return results[0]


def test_a_finished_run_streams_events_into_the_buffers_and_reports_its_result(qtbot, tmp_path):
    script = make_script(kind="gpu", seconds=1.0, speed=4.0)
    ctl = _controller(tmp_path, script)
    states = []
    ctl.state_changed.connect(states.append)
    result = _run(qtbot, ctl)
    assert result.status == "ok" and result.run_id == script.result.run_id
    assert states[0] == "starting" and "running" in states and states[-1] == "idle"
    assert len(ctl.live.steps) == sum(1 for _, e in script.events if type(e).__name__ == "StepMetrics")
    assert len(ctl.live.gpus[0]) > 5 and len(ctl.live.host) > 5
    assert RunStore(tmp_path / "runs.sqlite").get(result.run_id).status == "ok"  # the worker stored it


def test_stop_ends_a_cooperative_worker_quickly_and_keeps_it_as_cancelled(qtbot, tmp_path):
    ctl = _controller(tmp_path, make_script(kind="cpu", seconds=30.0))
    t0 = time.monotonic()
    result = _run(qtbot, ctl, stop_after_s=0.3)
    assert result.status == "cancelled"
    assert time.monotonic() - t0 < 30
    assert RunStore(tmp_path / "runs.sqlite").get(result.run_id).status == "cancelled"


def test_a_worker_that_ignores_stop_is_terminated_within_two_seconds_and_kept_as_cancelled(qtbot, tmp_path):
    script = make_script(kind="cpu", seconds=0.3, speed=1.0)
    script.then, script.honor_stop = "hang", False
    ctl = _controller(tmp_path, script)
    done = []
    ctl.finished.connect(done.append)
    ctl.start("{}", RunConfig(seconds=2.0), NET)
    qtbot.waitUntil(lambda: ctl.live.last_step is not None and ctl.live.last_step.t_s > 0.25, timeout=20_000)
    t0 = time.monotonic()
    ctl.stop()
    qtbot.waitUntil(lambda: bool(done), timeout=5_000)
    assert time.monotonic() - t0 < 2.0
    result = done[0]
    assert result.status == "cancelled" and "terminated" in result.error
    assert result.series.steps.t_s, "the partial series is kept"
    assert RunStore(tmp_path / "runs.sqlite").get(result.run_id).status == "cancelled"


def test_a_crashed_worker_is_reported_with_its_exit_code_and_its_partial_series_is_kept(qtbot, tmp_path):
    script = make_script(kind="gpu", seconds=0.5, speed=2.0)
    script.then, script.exit_code = "crash", 7
    ctl = _controller(tmp_path, script)
    result = _run(qtbot, ctl)
    assert result.status == "failed"
    assert result.error == "the run crashed (exit code 7)"
    assert len(result.series.steps.t_s) > 10 and result.series.gpus[0].power_instant_w
    stored = RunStore(tmp_path / "runs.sqlite").get(result.run_id)
    assert stored is not None and stored.error == "the run crashed (exit code 7)"


def test_killing_the_worker_mid_run_leaves_the_gui_working(qtbot, tmp_path):
    import os
    import signal
    ctl = _controller(tmp_path, make_script(kind="cpu", seconds=30.0))
    done = []
    ctl.finished.connect(done.append)
    ctl.start("{}", RunConfig(seconds=2.0), NET)
    qtbot.waitUntil(lambda: ctl.live.last_step is not None, timeout=20_000)
    os.kill(ctl.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: bool(done), timeout=5_000)
    assert done[0].error == f"the run crashed (exit code {-signal.SIGKILL})"
    assert ctl.state == "idle" and not ctl.is_active


def test_a_scripted_out_of_memory_run_comes_back_as_oom(qtbot, tmp_path):
    script = make_script(kind="gpu", seconds=2.0, speed=4.0, oom_at_s=0.3, batch=8192)
    result = _run(qtbot, _controller(tmp_path, script))
    assert result.status == "oom" and "out of memory at batch 8192" in result.error.lower()


def test_bad_input_fails_to_start_with_the_message_and_stores_nothing(qtbot, tmp_path):
    from engine.errors import BadRunInput  # noqa: F401 -- the real worker raises it; the child reports its name

    ctl = RunController(db_path=str(tmp_path / "runs.sqlite"), target=_bad_input_worker)
    messages = []
    ctl.failed_to_start.connect(messages.append)
    ctl.start("{}", RunConfig(), NET)
    qtbot.waitUntil(lambda: bool(messages), timeout=20_000)
    assert messages == ["data set 'mnist:/nope': /nope does not exist"]
    assert len(RunStore(tmp_path / "runs.sqlite")) == 0


def _bad_input_worker(spec_json, config_json, events, stop, db_path):
    from engine.errors import BadRunInput
    raise BadRunInput("data set 'mnist:/nope': /nope does not exist")


def test_a_worker_that_runs_out_of_host_memory_is_stored_as_oom(qtbot, tmp_path):
    # The failure's type (MemoryError: the engine's "oom" family) decides the status, not a generic "failed".
    ctl = RunController(db_path=str(tmp_path / "runs.sqlite"), target=_oom_worker)
    result = _run(qtbot, ctl)
    assert result.status == "oom" and "MemoryError" in result.error
    assert RunStore(tmp_path / "runs.sqlite").get(result.run_id).status == "oom"


def _oom_worker(spec_json, config_json, events, stop, db_path):
    from engine.run import RunStarted
    events.put(RunStarted(run_id="oom-run", network_name="lenet", device_name="cpu", config_json=config_json,
                          total_steps=None, total_seconds=2.0, availability=()))
    raise MemoryError("cannot allocate the activations")


def test_starting_twice_is_refused(qtbot, tmp_path):
    ctl = _controller(tmp_path, make_script(kind="cpu", seconds=5.0))
    ctl.start("{}", RunConfig(), NET)
    with pytest.raises(RuntimeError):
        ctl.start("{}", RunConfig(), NET)
    ctl.shutdown(timeout_s=2.0)
    assert not ctl.is_active
