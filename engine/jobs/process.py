"""The parent's side of the protocol: `JobProcess(job)` starts a job in a fresh process (spawn), reads
its typed messages, and stops it.

    proc = JobProcess(job); proc.start()
    for msg in proc.poll():           # non-blocking (a GUI timer); proc.wait(timeout_s) blocks
        ...                           # JobStarted, JobProgress, JobEvent, then JobFinished | JobFailed
    proc.request_stop(); proc.escalate()   # non-blocking cancel: call escalate() on each tick
    proc.cancel()                     # blocking cancel: stop event -> join -> terminate -> kill

The last message is always JobFinished or JobFailed: a process that ends without one (a crash, a
kill) is reported as JobFailed(error_type="ProcessExit", exit_code=...). Torch-free, Qt-free.
"""
from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import time
from typing import Any

from engine.jobs.child import job_main
from engine.jobs.events import JobFailed, JobFinished, JobMessage

TERMINATE_AFTER_S = 10.0  # after a stop request: time to end cleanly (a run stores itself as cancelled)
KILL_AFTER_S = 2.0  # after terminate


class JobProcess:
    def __init__(self, job: Any, *, terminate_after_s: float = TERMINATE_AFTER_S,
                 kill_after_s: float = KILL_AFTER_S) -> None:
        self.job = job
        self.kind: str = getattr(job, "kind", type(job).__name__)
        self.terminate_after_s, self.kill_after_s = terminate_after_s, kill_after_s
        ctx = mp.get_context("spawn")
        self._messages = ctx.Queue()
        self._stop = ctx.Event()
        self._proc = ctx.Process(target=job_main, args=(job, self._messages, self._stop),
                                 name=f"tradeoff-lab-{self.kind}", daemon=True)
        self.done = False  # the last message (JobFinished or JobFailed) was handed out
        self.stop_requested_at: float | None = None
        self.terminated = False
        self.killed = False

    # ---- state -----------------------------------------------------------------------------
    def start(self) -> None:
        self._proc.start()

    @property
    def pid(self) -> int | None:
        return self._proc.pid

    @property
    def alive(self) -> bool:
        return self._proc.pid is not None and self._proc.is_alive()

    @property
    def exitcode(self) -> int | None:
        return self._proc.exitcode

    @property
    def stop_requested(self) -> bool:
        return self.stop_requested_at is not None

    # ---- messages --------------------------------------------------------------------------
    def poll(self, budget_s: float | None = None) -> list[JobMessage]:
        """What has arrived (at most budget_s of reading); ends with the last message once the
        process is gone."""
        out: list[JobMessage] = []
        if self.done:
            return out
        deadline = None if budget_s is None else time.perf_counter() + budget_s
        empty = self._read(out, deadline)
        if not self.done and empty and self._proc.pid is not None and not self._proc.is_alive():
            self._proc.join(0.1)
            if self._proc.exitcode in (0, 1):
                # It exited through Python, which flushed its queue: the rest is whole. After a
                # signal a half-written message could block forever, so nothing more is read then.
                self._read(out, None)
            if not self.done:
                out.append(self._died())
                self.done = True
        return out

    def wait(self, timeout_s: float) -> list[JobMessage]:
        """Block until something arrives, the process ends, or timeout_s passes."""
        deadline = time.monotonic() + timeout_s
        while True:
            out = self.poll()
            left = deadline - time.monotonic()
            if out or self.done or left <= 0:
                return out
            try:
                msg = self._messages.get(timeout=min(0.2, left))
            except queue_mod.Empty:
                continue
            except (EOFError, OSError):
                time.sleep(0.05)
                continue
            out = [msg]
            if isinstance(msg, JobFinished | JobFailed):
                self.done = True
                return out
            return out + self.poll()

    def _read(self, out: list, deadline: float | None) -> bool:
        """Append what is there; True when the queue was found empty."""
        while deadline is None or time.perf_counter() < deadline:
            try:
                msg = self._messages.get_nowait()
            except queue_mod.Empty:
                return True
            except (EOFError, OSError):  # the process died mid-write; what arrived stands
                return True
            out.append(msg)
            if isinstance(msg, JobFinished | JobFailed):
                self.done = True
                return True
        return False

    def _died(self) -> JobFailed:
        code = self._proc.exitcode
        if self.stop_requested:
            how = "was terminated after it did not stop in time" if (self.terminated or self.killed) else \
                "ended without a result after a stop request"
            return JobFailed("ProcessExit", f"the {self.kind} process {how}", kind="cancelled", exit_code=code)
        what = "ended without a result" if code == 0 else f"crashed (exit code {code})"
        return JobFailed("ProcessExit", f"the {self.kind} process {what}", kind="failed", exit_code=code)

    # ---- stopping --------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Ask the job to stop (it ends cleanly, with its own cancelled result); returns at once."""
        if self.stop_requested_at is None:
            self._stop.set()
            self.stop_requested_at = time.monotonic()

    def escalate(self) -> None:
        """After request_stop: terminate once terminate_after_s has passed, kill kill_after_s later."""
        if self.stop_requested_at is None or not self.alive:
            return
        waited = time.monotonic() - self.stop_requested_at
        if waited >= self.terminate_after_s + self.kill_after_s and not self.killed:
            self.killed = True
            self._proc.kill()
        elif waited >= self.terminate_after_s and not self.terminated:
            self.terminated = True
            self._proc.terminate()

    def cancel(self, timeout_s: float | None = None) -> None:
        """Blocking stop: stop event, join with a timeout, terminate, kill."""
        if self._proc.pid is None:
            return
        self.request_stop()
        self._proc.join(self.terminate_after_s if timeout_s is None else timeout_s)
        if self._proc.is_alive():
            self.terminated = True
            self._proc.terminate()
            self._proc.join(self.kill_after_s)
        if self._proc.is_alive():
            self.killed = True
            self._proc.kill()
            self._proc.join(1.0)

    def reap(self, timeout_s: float = 0.2) -> None:
        """After the last message: let the process exit; terminate it if it lingers."""
        if self._proc.pid is None:
            return
        self._proc.join(timeout_s)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout_s)
