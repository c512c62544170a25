"""The GUI's run worker: bad input raises before anything runs, the result is in the history before
RunFinished goes out, stop requests reach the loop, and a real spawned worker runs a preset."""
from __future__ import annotations

import json
import multiprocessing as mp
import queue
import threading
import time

import pytest

from engine.errors import BadRunInput
from engine.results.result import RunResult
from engine.results.store import RunStore
from engine.run.config import RunConfig
from engine.run.events import RunFinished, RunStarted, StepMetrics
from engine.run.worker import _StopFlag, run_worker

FAST = RunConfig(batch=16, steps=10, warmup=1, sample_hz=0, idle_baseline_s=0)


def _lenet_json() -> str:
    presets = pytest.importorskip("engine.net.presets")
    pytest.importorskip("engine.net.build")
    return presets.resolve_net("lenet").to_json()


def test_bad_spec_and_bad_config_raise_bad_run_input(tmp_path):
    q = queue.Queue()
    with pytest.raises(BadRunInput, match="not valid JSON"):
        run_worker("{broken", FAST.model_dump_json(), q, threading.Event(), str(tmp_path / "h.sqlite"))
    spec = json.dumps({"input": {"shape": [1, 8, 8]}, "layers": []})
    with pytest.raises(BadRunInput, match="run settings"):
        run_worker(spec, '{"batch": 0}', q, threading.Event(), str(tmp_path / "h.sqlite"))
    assert q.empty()


def test_result_is_stored_before_run_finished_is_sent(tmp_path, monkeypatch):
    import engine.run.loop
    from tests.engine.tiny_nets import NETWORK, TinyCNN
    db = tmp_path / "h.sqlite"
    seen_in_store_at_finish = []

    class CheckingQueue(queue.Queue):
        def put(self, item, *a, **k):
            if isinstance(item, RunFinished):
                seen_in_store_at_finish.append(RunStore(db).get(item.run_id) is not None)
            super().put(item, *a, **k)

    def fake_run(spec, config, on_event, should_stop):
        return engine.run.loop.run_model(TinyCNN, NETWORK, (1, 8, 8), 10, config, on_event, should_stop)

    monkeypatch.setattr(engine.run.loop, "run", fake_run)
    q = CheckingQueue()
    spec = json.dumps({"name": "tiny", "input": {"shape": [1, 8, 8]}, "layers": []})
    run_worker(spec, FAST.model_dump_json(), q, threading.Event(), str(db))
    events = list(q.queue)
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    assert seen_in_store_at_finish == [True]
    assert RunStore(db).get(events[-1].run_id).status == "ok"


def test_unstorable_history_is_reported_in_the_result(tmp_path, monkeypatch):
    import engine.run.loop
    from tests.engine.tiny_nets import NETWORK, TinyCNN
    monkeypatch.setattr(engine.run.loop, "run", lambda spec, config, on_event, should_stop: engine.run.loop.run_model(
        TinyCNN, NETWORK, (1, 8, 8), 10, config, on_event, should_stop))
    q = queue.Queue()
    spec = json.dumps({"name": "tiny", "input": {"shape": [1, 8, 8]}, "layers": []})
    run_worker(spec, FAST.model_dump_json(), q, threading.Event(), str(tmp_path))  # a folder, not a file
    result = RunResult.model_validate_json(list(q.queue)[-1].result_json)
    assert result.status == "ok" and any("not kept in the run history" in s for s in result.quality)


def test_stop_flag_mirrors_the_event():
    ev = threading.Event()
    flag = _StopFlag(ev)
    assert not flag.is_set()
    ev.set()
    deadline = time.monotonic() + 2
    while not flag.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert flag.is_set()
    flag.close()


def _collect(q, until=RunFinished, timeout=120.0):
    events, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            e = q.get(timeout=1.0)
        except queue.Empty:
            continue
        events.append(e)
        if isinstance(e, until):
            return events
    raise AssertionError(f"no {until.__name__} within {timeout} s; got {[type(e).__name__ for e in events]}")


def test_spawned_worker_runs_a_preset_and_can_be_stopped(tmp_path):
    spec_json = _lenet_json()
    ctx = mp.get_context("spawn")
    db = str(tmp_path / "h.sqlite")
    q, stop = ctx.Queue(), ctx.Event()
    cfg = RunConfig(batch=16, steps=None, seconds=60, warmup=1, sample_hz=5, idle_baseline_s=0)
    proc = ctx.Process(target=run_worker, args=(spec_json, cfg.model_dump_json(), q, stop, db))
    proc.start()
    try:
        _collect(q, until=StepMetrics)
        stop.set()  # the loop polls it every step
        events = _collect(q, timeout=30)
    finally:
        proc.join(20)
        if proc.is_alive():
            proc.kill()
    assert proc.exitcode == 0
    finished = events[-1]
    assert finished.status == "cancelled"
    assert RunStore(db).get(finished.run_id).status == "cancelled"


def test_a_stop_before_the_run_began_is_a_cancel_with_nothing_stored(tmp_path):
    from engine.errors import Cancelled
    q, stop = queue.Queue(), threading.Event()
    stop.set()
    spec = json.dumps({"name": "tiny", "input": {"shape": [1, 8, 8]}, "layers": []})
    with pytest.raises(Cancelled, match="before the run started"):
        run_worker(spec, FAST, q, stop, str(tmp_path / "h.sqlite"))
    assert q.empty() and not (tmp_path / "h.sqlite").exists()
