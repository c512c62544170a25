"""Starts one spawned worker process per run, pumps its event queue with a QTimer, stops it, and
notices when it dies. The GUI never blocks on the worker: joins and kills are timer-driven.

Stop: set the stop event; if the worker has not ended after `terminate_after_s`, terminate it; if
still alive `kill_after_s` later, kill it. Either way the run ends within ~2 s and is kept as
cancelled (with the partial series when the worker could not store its own result).
"""
from __future__ import annotations

import functools
import multiprocessing as mp
import queue as queue_mod
import time
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal

from engine.results import NetworkSummary, RunResult, StepTimes
from engine.run import PhaseChanged, RunConfig, RunFinished, RunStarted, StepMetrics, TelemetryBatch
from gui.run.child import WorkerFailed, child_main
from gui.run.live_data import LiveRun

PUMP_INTERVAL_MS = 30
PUMP_BUDGET_S = 0.008  # a pump never holds the event loop longer than this; the rest waits a tick


def _default_target() -> Callable[..., None]:
    from engine.run import run_worker  # torch-free at import (CONTRACTS.md)
    return run_worker


class RunController(QObject):
    state_changed = Signal(str)  # idle | starting | running | stopping
    started = Signal(object)  # RunStarted
    phase_changed = Signal(str)
    progress = Signal(object)  # the newest StepMetrics of a pump
    data_changed = Signal()  # the live buffers took new data
    finished = Signal(object)  # RunResult, any status (ok, oom, failed, cancelled; crashes are failed)
    failed_to_start = Signal(str)  # the worker refused the input before running (bad data set path, ...)

    def __init__(self, db_path: str | None = None, target: Callable[..., None] | None = None,
                 terminate_after_s: float = 1.2, kill_after_s: float = 0.5, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self._target = target
        self.terminate_after_s = terminate_after_s
        self.kill_after_s = kill_after_s
        self._ctx = mp.get_context("spawn")
        self._proc = None
        self._events = None
        self._stop = None
        self.state = "idle"
        self.live = LiveRun()
        self.run_started: RunStarted | None = None
        self.result: RunResult | None = None
        self.phase = ""
        self._config: RunConfig | None = None
        self._network: NetworkSummary | None = None
        self._failure: WorkerFailed | None = None
        self._stop_requested_at: float | None = None
        self._terminated = False
        self._timer = QTimer(self)
        self._timer.setInterval(PUMP_INTERVAL_MS)
        self._timer.timeout.connect(self._pump)

    # --- public -------------------------------------------------------------------------------
    @property
    def is_active(self) -> bool:
        return self.state in ("starting", "running", "stopping")

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self, spec_json: str, config: RunConfig, network: NetworkSummary | None = None) -> None:
        if self.is_active:
            raise RuntimeError("a run is already active")
        self.live = LiveRun()
        self.run_started, self.result, self._failure, self.phase = None, None, None, ""
        self._config, self._network = config, network
        self._stop_requested_at, self._terminated = None, False
        self._events = self._ctx.Queue()
        self._stop = self._ctx.Event()
        target = self._target or _default_target()
        self._proc = self._ctx.Process(
            target=child_main, name="tradeoff-lab-run", daemon=True,
            args=(target, spec_json, config.model_dump_json(), self._events, self._stop, self.db_path))
        self._proc.start()
        self._set_state("starting")
        self._timer.start()

    def stop(self) -> None:
        """Ask the run to stop; escalates on its own (see module doc). Returns at once."""
        if not self.is_active or self._stop_requested_at is not None:
            return
        self._stop.set()
        self._stop_requested_at = time.monotonic()
        self._set_state("stopping")

    def shutdown(self, timeout_s: float = 2.0) -> None:
        """Blocking stop for application exit: stop event, join, terminate, kill."""
        if self._proc is None or not self.is_active:
            return
        self._stop.set()
        self._proc.join(timeout_s)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(0.5)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(0.5)
        self._timer.stop()
        self._set_state("idle")

    # --- pump ---------------------------------------------------------------------------------
    def _pump(self) -> None:
        self._drain(PUMP_BUDGET_S)
        if self.state == "idle":  # RunFinished arrived
            return
        if self._stop_requested_at is not None and self._proc.is_alive():
            self._escalate()
        if not self._proc.is_alive():
            self._on_worker_exit()

    def _drain(self, budget_s: float | None) -> None:
        deadline = time.perf_counter() + budget_s if budget_s else None
        newest_step = None
        took = False
        while self.state != "idle" and (deadline is None or time.perf_counter() < deadline):
            try:
                event = self._events.get_nowait()
            except queue_mod.Empty:
                break
            except (EOFError, OSError):  # the worker died mid-write; what arrived so far is kept
                break
            took = True
            if isinstance(event, StepMetrics):
                self.live.add_step(event)
                newest_step = event
            elif isinstance(event, TelemetryBatch):
                self.live.add_telemetry(event)
            else:
                self._dispatch(event)
        if newest_step is not None:
            self.progress.emit(newest_step)
        if took:
            self.data_changed.emit()

    def _dispatch(self, event: object) -> None:
        if isinstance(event, RunStarted):
            self.run_started = event
            self._set_state("stopping" if self._stop_requested_at is not None else "running")
            self.started.emit(event)
        elif isinstance(event, PhaseChanged):
            self.phase = event.phase
            self.phase_changed.emit(event.phase)
        elif isinstance(event, RunFinished):
            self._finish(RunResult.model_validate_json(event.result_json))
        elif isinstance(event, WorkerFailed):
            self._failure = event

    def _escalate(self) -> None:
        waited = time.monotonic() - self._stop_requested_at
        if waited >= self.terminate_after_s + self.kill_after_s:
            self._proc.kill()
        elif waited >= self.terminate_after_s and not self._terminated:
            self._terminated = True
            self._proc.terminate()

    def _on_worker_exit(self) -> None:
        self._proc.join(0.1)
        code = self._proc.exitcode
        if code in (0, 1):
            # The process exited through Python, which flushes its queue: read the rest (RunFinished or
            # WorkerFailed may be there). After a kill a half-written message could block forever, so
            # nothing more is read then; what arrived before is kept.
            self._drain(None)
            if self.state == "idle":
                return
        if self._failure is not None and self._failure.bad_input and self.run_started is None:
            self._end()
            self.failed_to_start.emit(self._failure.message)
            return
        self._finish(self._partial_result(code), store=self.run_started is not None)

    def _partial_result(self, code: int | None) -> RunResult:
        cancelled = self._stop_requested_at is not None
        if self._failure is not None:
            error = f"the run failed: {self._failure.error_type}: {self._failure.message}"
        elif cancelled:
            error = "stopped by the user (the worker did not end in time and was terminated)"
        elif code == 0:
            error = "the worker ended without a result"
        else:
            error = f"the run crashed (exit code {code})"
        started = self.run_started
        last = self.live.last_step
        network = self._network or NetworkSummary(name=started.network_name if started else "unknown",
                                                  params=0, flops_per_sample=0)
        return RunResult(
            run_id=started.run_id if started else f"unstarted-{int(time.time())}",
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            status="cancelled" if cancelled and self._failure is None else "failed",
            error=error, network=network,
            config=self._config.model_dump() if self._config else {},
            hardware={"device_name": started.device_name} if started else {},
            throughput_sps=_mean_throughput(self.live),
            step_time_s=StepTimes(p50=last.step_time_p50_s, p99=last.step_time_p99_s) if last else StepTimes(),
            steps=last.step if last else 0, samples=last.samples if last else 0,
            measured_s=last.t_s if last and last.t_s > 0 else None,
            quality=["partial: the worker ended before it reported a result"],
            series=self.live.to_series(),
        )

    def _finish(self, result: RunResult, store: bool = False) -> None:
        if store:
            try:
                from engine.results import RunStore
                RunStore(self.db_path).add(result)
            except Exception as exc:  # noqa: BLE001 -- the run is over either way; say why it was not kept
                result.quality.append(f"not kept in the run history: {exc}")
        self.result = result
        self._end()
        self.finished.emit(result)

    def _end(self) -> None:
        self._timer.stop()
        if self._proc is not None and self._proc.is_alive():
            # RunFinished came first: the worker is exiting; reap it off the event loop's back.
            QTimer.singleShot(2000, functools.partial(_reap, self._proc))
        self._set_state("idle")

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)


def _reap(proc) -> None:
    if proc.is_alive():
        proc.terminate()
    proc.join(0.2)


def _mean_throughput(live: LiveRun) -> float | None:
    last = live.last_step
    if last is None or last.t_s <= 0 or last.samples <= 0:
        return None
    return last.samples / last.t_s
