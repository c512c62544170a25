"""A job (engine.jobs) driven from the Qt event loop: a timer reads its typed messages and turns
them into signals; cancel escalates on the same timer, so nothing here blocks the window."""
from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from engine.jobs import JobEvent, JobFailed, JobFinished, JobProcess, JobProgress

PUMP_INTERVAL_MS = 50


class JobRunner(QObject):
    event = Signal(object)  # a JobEvent's payload
    progress = Signal(object)  # JobProgress
    finished = Signal(object)  # JobFinished.result
    failed = Signal(object)  # JobFailed (a refusal, an error, or the process died)

    def __init__(self, parent: QObject | None = None, terminate_after_s: float = 10.0,
                 kill_after_s: float = 2.0) -> None:
        super().__init__(parent)
        self.terminate_after_s, self.kill_after_s = terminate_after_s, kill_after_s
        self.process: JobProcess | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(PUMP_INTERVAL_MS)
        self._timer.timeout.connect(self._pump)

    @property
    def busy(self) -> bool:
        return self.process is not None

    def start(self, job: Any) -> None:
        if self.busy:
            raise RuntimeError("a job is already running")
        self.process = JobProcess(job, terminate_after_s=self.terminate_after_s, kill_after_s=self.kill_after_s)
        self.process.start()
        self._timer.start()

    def cancel(self) -> None:
        """Ask the job to stop; it is terminated, then killed, if it does not (see JobProcess)."""
        if self.process is not None:
            self.process.request_stop()

    def stop_now(self, timeout_s: float = 2.0) -> None:
        """Blocking cancel, for closing a window: no child outlives it, and no signal follows."""
        if self.process is not None:
            proc, self.process = self.process, None
            self._timer.stop()
            proc.cancel(timeout_s)

    def wait(self, timeout_s: float) -> None:
        """Block until the job ends (its signals are emitted) or timeout_s passes."""
        deadline = time.monotonic() + timeout_s
        while self.process is not None and (left := deadline - time.monotonic()) > 0:
            self._handle(self.process, self.process.wait(min(0.1, left)))

    def _pump(self) -> None:
        if self.process is not None:
            self._handle(self.process, self.process.poll(0.01))

    def _handle(self, proc: JobProcess, messages: list) -> None:
        for msg in messages:
            if isinstance(msg, JobEvent):
                self.event.emit(msg.payload)
            elif isinstance(msg, JobProgress):
                self.progress.emit(msg)
            elif isinstance(msg, JobFinished | JobFailed):
                self._timer.stop()
                self.process = None
                proc.reap(0.5)
                if isinstance(msg, JobFinished):
                    self.finished.emit(msg.result)
                else:
                    self.failed.emit(msg)
                return
        proc.escalate()
