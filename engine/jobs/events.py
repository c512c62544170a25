"""The messages every job process sends its parent, in order: JobStarted, then any number of
JobProgress and JobEvent, then exactly one of JobFinished or JobFailed. Small frozen dataclasses,
picklable, torch-free and Qt-free. A job that dies without its last message is reported by the
parent's handle as a JobFailed with the exit code (see engine.jobs.process)."""
from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobStarted:
    kind: str  # "run", "sweep", "inventory", "onnx-export", ...
    pid: int


@dataclass(frozen=True)
class JobProgress:
    fraction: float | None  # 0..1, None when the job cannot tell
    message: str


@dataclass(frozen=True)
class JobEvent:
    """A job's own typed event: a run's RunStarted/StepMetrics/..., a sweep's SweepProgress."""
    payload: Any


@dataclass(frozen=True)
class JobFinished:
    """The job returned; `result` is what it produced (a run's RunFinished, a sweep's final state,
    an inventory, the path of an exported file)."""
    result: Any


@dataclass(frozen=True)
class JobFailed:
    """The job raised, or its process ended without a result.

    kind: the error family (engine.errors: bad_input, unsupported, oom, device, cancelled, failed,
    internal); bad_input and unsupported mean nothing ran. error_type: the exception's class name
    ("ProcessExit" when the process died). message: one line for a person. details: a short
    traceback, for internal errors only. exit_code: the process's exit code when it died."""
    error_type: str
    message: str
    kind: str = "internal"
    details: str = ""
    exit_code: int | None = None

    @property
    def refused(self) -> bool:
        """Nothing ran: the job refused its input."""
        from engine.errors import is_refusal
        return is_refusal(self.kind)

    @classmethod
    def from_exception(cls, exc: BaseException) -> JobFailed:
        """Classified by the exception's type in the engine's error root (engine.errors.kind_of):
        the exception itself does not cross the process boundary."""
        from engine.errors import kind_of
        kind = kind_of(exc)
        text = getattr(exc, "user_message", None) or " ".join(str(exc).split()) or type(exc).__name__
        details = "" if kind != "internal" else "".join(traceback.format_exception(exc, limit=8))[-4000:]
        return cls(error_type=type(exc).__name__, message=text, kind=kind, details=details)


JobMessage = JobStarted | JobProgress | JobEvent | JobFinished | JobFailed
