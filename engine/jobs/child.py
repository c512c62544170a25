"""The job's side of the protocol: the entry point of every job process and the context a job runs
with. Standard library only at import (the parent pickles a reference to `job_main`)."""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from typing import Any

from engine.jobs.events import JobEvent, JobFailed, JobFinished, JobProgress, JobStarted

ORPHAN_GRACE_S = 30.0  # after the parent died: time for the job to stop cleanly (a run stores itself)


class JobContext:
    """What a job sees: where its events go and whether it was asked to stop. `put` is `emit`, so
    code written against a plain queue of events (the run worker) sends JobEvents unchanged."""

    def __init__(self, messages: Any, stop: Any) -> None:
        self._messages = messages
        self.stop = stop  # a multiprocessing.Event: set by the parent's cancel, or when the parent dies

    def emit(self, payload: Any) -> None:
        self._messages.put(JobEvent(payload))

    put = emit

    def progress(self, fraction: float | None, message: str) -> None:
        self._messages.put(JobProgress(fraction, message))

    def stop_requested(self) -> bool:
        return self.stop.is_set()

    def flush(self) -> None:
        """Block until every message sent so far is in the pipe (before a deliberate hard exit)."""
        self._messages.close()
        self._messages.join_thread()


def job_main(job: Any, messages: Any, stop: Any) -> None:
    # Ctrl+C in a terminal reaches the whole process group: the parent decides when a job stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A job may start its own job processes (a sweep starts runs; a run starts its sampler):
    # multiprocessing refuses children to a daemonic process, and this one cancels its own.
    mp.current_process().daemon = False
    _watch_parent(messages, stop)
    ctx = JobContext(messages, stop)
    messages.put(JobStarted(getattr(job, "kind", type(job).__name__), os.getpid()))
    try:
        result = job.execute(ctx)
    except BaseException as exc:  # noqa: BLE001 -- every failure becomes a typed message, then exit 1
        messages.put(JobFailed.from_exception(exc))
        ctx.flush()
        raise SystemExit(1) from None
    messages.put(JobFinished(result))
    ctx.flush()


def _watch_parent(messages: Any, stop: Any) -> None:
    """A job whose parent died (killed, crashed) stops itself: the stop event is set, as a cancel
    would, and the process ends within ORPHAN_GRACE_S even if the job ignores it."""
    ppid = os.getppid()

    def watch() -> None:
        while os.getppid() == ppid:
            time.sleep(0.5)
        messages.cancel_join_thread()  # nobody reads them any more: exit must not wait on the pipe
        stop.set()
        time.sleep(ORPHAN_GRACE_S)
        os._exit(1)
    threading.Thread(target=watch, name="job-parent-watch", daemon=True).start()
