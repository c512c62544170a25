"""Runs one run job (engine.jobs.RunJob, a spawned process) at a time, pumps its typed messages with
a QTimer, stops it, and notices when it dies. The GUI never blocks on the job: escalation and
reaping are timer-driven.

Stop: set the stop event; if the job has not ended after `terminate_after_s`, terminate it; if
still alive `kill_after_s` later, kill it. Either way the run ends within ~2 s and is kept as
cancelled (with the partial series when the job could not store its own result).
"""
from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal

from engine.jobs import JobEvent, JobFailed, JobFinished, JobProcess, RunJob
from engine.results import NetworkSummary, RunResult, StepTimes
from engine.run import PhaseChanged, RunConfig, RunFinished, RunStarted, StepMetrics, TelemetryBatch
from gui.run.live_data import LiveRun

PUMP_INTERVAL_MS = 30
PUMP_BUDGET_S = 0.008  # a pump never holds the event loop longer than this; the rest waits a tick


class RunController(QObject):
    state_changed = Signal(str)  # idle | starting | running | stopping
    started = Signal(object)  # RunStarted
    phase_changed = Signal(str)
    progress = Signal(object)  # the newest StepMetrics of a pump
    data_changed = Signal()  # the live buffers took new data
    finished = Signal(object)  # RunResult, any status (ok, oom, failed, cancelled; crashes are failed)
    failed_to_start = Signal(str)  # the job refused the input before running (bad data set path, ...)

    def __init__(self, db_path: str | None = None, target: Callable[..., object] | None = None,
                 terminate_after_s: float = 1.2, kill_after_s: float = 0.5, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self._target = target  # stands in for engine.run.worker.run_worker (tests, demos)
        self.terminate_after_s = terminate_after_s
        self.kill_after_s = kill_after_s
        self._job: JobProcess | None = None
        self.state = "idle"
        self.live = LiveRun()
        self.run_started: RunStarted | None = None
        self.result: RunResult | None = None
        self.phase = ""
        self._config: RunConfig | None = None
        self._network: NetworkSummary | None = None
        self._failure: JobFailed | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(PUMP_INTERVAL_MS)
        self._timer.timeout.connect(self._pump)

    # --- public -------------------------------------------------------------------------------
    @property
    def is_active(self) -> bool:
        return self.state in ("starting", "running", "stopping")

    @property
    def pid(self) -> int | None:
        return self._job.pid if self._job is not None else None

    def start(self, spec_json: str, config: RunConfig, network: NetworkSummary | None = None) -> None:
        if self.is_active:
            raise RuntimeError("a run is already active")
        self.live = LiveRun()
        gpus = {d for d in config.devices or () if d != "cpu"}
        if len(gpus) > 1:  # a job over several GPUs: the live steps count every rank's samples
            self.live.gpu_sample_share = 1.0 / (len(config.devices) * config.nnodes)
        self.run_started, self.result, self._failure, self.phase = None, None, None, ""
        self._config, self._network = config, network
        self._job = JobProcess(RunJob(spec_json, config, self.db_path, self._target),
                               terminate_after_s=self.terminate_after_s, kill_after_s=self.kill_after_s)
        self._job.start()
        self._set_state("starting")
        self._timer.start()

    def stop(self) -> None:
        """Ask the run to stop; escalates on its own (see module doc). Returns at once."""
        if not self.is_active or self._job.stop_requested:
            return
        self._job.request_stop()
        self._set_state("stopping")

    def shutdown(self, timeout_s: float = 2.0) -> None:
        """Blocking stop for application exit: stop event, join, terminate, kill."""
        if self._job is None or not self.is_active:
            return
        self._job.cancel(timeout_s)
        self._timer.stop()
        self._set_state("idle")

    # --- pump ---------------------------------------------------------------------------------
    def _pump(self) -> None:
        self._drain(PUMP_BUDGET_S)
        if self.state == "idle":  # the run's result arrived, or the job ended
            return
        self._job.escalate()

    def _drain(self, budget_s: float | None) -> None:
        newest_step = None
        took = False
        for msg in self._job.poll(budget_s):
            if isinstance(msg, JobEvent):
                event = msg.payload
                took = True
                if isinstance(event, StepMetrics):
                    self.live.add_step(event)
                    newest_step = event
                elif isinstance(event, TelemetryBatch):
                    self.live.add_telemetry(event)
                else:
                    self._dispatch(event)
            elif isinstance(msg, JobFailed):
                self._failure = msg
                self._on_job_end()
            elif isinstance(msg, JobFinished) and self.state != "idle":
                self._on_job_end()  # ended cleanly without RunFinished (a stand-in worker may)
            if self.state == "idle":
                break
        if newest_step is not None:
            self.progress.emit(newest_step)
        if took:
            self.data_changed.emit()

    def _dispatch(self, event: object) -> None:
        if isinstance(event, RunStarted):
            self.run_started = event
            self._set_state("stopping" if self._job.stop_requested else "running")
            self.started.emit(event)
        elif isinstance(event, PhaseChanged):
            self.phase = event.phase
            self.phase_changed.emit(event.phase)
        elif isinstance(event, RunFinished):
            self._finish(RunResult.model_validate_json(event.result_json))

    def _on_job_end(self) -> None:
        if self._failure is not None and self._failure.refused and self.run_started is None:
            self._end()
            self.failed_to_start.emit(self._failure.message)
            return
        self._finish(self._partial_result(), store=self.run_started is not None)

    def _partial_result(self) -> RunResult:
        failure = self._failure
        died = failure is not None and failure.error_type == "ProcessExit"
        cancelled = self._job.stop_requested and (failure is None or died)
        code = failure.exit_code if failure is not None else 0
        if cancelled:
            error = "stopped by the user (the worker did not end in time and was terminated)"
        elif failure is not None and not died:
            error = f"the run failed: {failure.error_type}: {failure.message}"
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
            status=_status(failure, cancelled),
            error=error, network=network,
            config=self._config or RunConfig(),
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
        if self._job is not None and self._job.alive:
            # RunFinished came first: the job is exiting; reap it off the event loop's back.
            QTimer.singleShot(2000, functools.partial(self._job.reap, 0.2))
        self._set_state("idle")

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)


def _status(failure: object, cancelled: bool) -> str:
    """The stored status of a run that ended without a result: from the failure's type (an
    out-of-memory in the worker is "oom", as the run loop would have said), else failed."""
    if cancelled:
        return "cancelled"
    kind = getattr(failure, "kind", None)
    return {"oom": "oom", "cancelled": "cancelled"}.get(kind, "failed")


def _mean_throughput(live: LiveRun) -> float | None:
    last = live.last_step
    if last is None or last.t_s <= 0 or last.samples <= 0:
        return None
    return last.samples / last.t_s
