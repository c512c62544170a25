"""Runs inside the spawned worker process: calls the worker function and turns an exception into a
message the GUI can show (instead of a traceback on a stderr nobody reads). Standard library only.
"""
from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerFailed:
    """The worker function raised. `bad_input` marks engine.errors.BadRunInput (nothing ran)."""
    message: str
    error_type: str
    bad_input: bool
    details: str = ""


def child_main(target: Callable[..., None], spec_json: str, config_json: str, events, stop, db_path) -> None:
    try:
        target(spec_json, config_json, events, stop, db_path)
    except BaseException as exc:  # noqa: BLE001 -- report every failure, then exit non-zero
        name = type(exc).__name__
        events.put(WorkerFailed(message=str(exc) or name, error_type=name,
                                bad_input=name in ("BadRunInput", "BadInput"),
                                details=traceback.format_exc(limit=8)))
        events.close()
        events.join_thread()  # flush the message before the process exits
        raise SystemExit(1) from None
