"""Runs inside the spawned worker process: calls the worker function and turns an exception into a
message the GUI can show (instead of a traceback on a stderr nobody reads). The failure is classified
here, by its type in the engine's error root, because the exception itself does not cross the
process boundary. Imports no torch.
"""
from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass

from engine.errors import ErrorKind, is_refusal, kind_of


@dataclass(frozen=True)
class WorkerFailed:
    """The worker function raised. `kind` is engine.errors' family of the exception ("bad_input" and
    "unsupported": refused before anything ran; "internal": a bug, `details` holds the traceback)."""
    message: str
    error_type: str
    kind: ErrorKind
    details: str = ""

    @property
    def bad_input(self) -> bool:
        """Refused before anything ran: the GUI says why the run could not start, stores nothing."""
        return is_refusal(self.kind)


def child_main(target: Callable[..., None], spec_json: str, config_json: str, events, stop, db_path) -> None:
    try:
        target(spec_json, config_json, events, stop, db_path)
    except BaseException as exc:  # noqa: BLE001 -- report every failure, then exit non-zero
        message = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
        events.put(WorkerFailed(message=message, error_type=type(exc).__name__, kind=kind_of(exc),
                                details=traceback.format_exc(limit=8)))
        events.close()
        events.join_thread()  # flush the message before the process exits
        raise SystemExit(1) from None
