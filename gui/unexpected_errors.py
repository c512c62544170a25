"""The GUI's last line of defence: an exception that no view handled (Qt calls sys.excepthook for an
exception raised in a slot or an event handler) is shown in one dialog and the app stays up. The
traceback goes to a log file in the data folder, for a bug report, as well as to stderr.

While one such dialog is open, further errors (a timer failing every tick) are logged, not shown.
"""
from __future__ import annotations

import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QThread, QTimer
from PySide6.QtWidgets import QApplication

from engine.errors import TradeoffError
from gui import plain_text

LOG_NAME = "gui-errors.log"
LOG_BYTES_MAX = 1 << 20  # the log starts again beyond this: it must never fill a disk

_showing = False


def log_path() -> Path:
    from engine.paths import data_dir
    return data_dir() / LOG_NAME


def install() -> None:
    sys.excepthook = handle


def _log(text: str) -> Path | None:
    """Append to the log; None when it cannot be written (a read-only or full data folder)."""
    try:
        path = log_path()
        mode = "w" if path.exists() and path.stat().st_size > LOG_BYTES_MAX else "a"
        with path.open(mode, encoding="utf-8", errors="backslashreplace") as f:
            f.write(f"--- {datetime.now(UTC).isoformat(timespec='seconds')}\n{text}\n")
        return path
    except (OSError, ValueError):
        return None


def unreadable(source: object, exc: BaseException) -> str:
    """One line for a file or stored run that could not be read, when the engine did not word the
    problem itself (Python's JSON reader fails on deep nesting and very long integers)."""
    if isinstance(exc, RecursionError):
        why = "nested too deeply to read"
    elif str(exc).startswith("Exceeds the limit"):
        why = f"holds an integer of more than {sys.get_int_max_str_digits()} digits"
    else:
        why = (str(exc).splitlines() or [type(exc).__name__])[0]
    return f"{source}: {why}"


def damaged_run(run_id: str, exc: BaseException) -> str:
    """A history row whose stored result cannot be read back."""
    first = (str(exc).splitlines() or [type(exc).__name__])[-1 if "validation error" in str(exc) else 0]
    return f"run {run_id}: its stored record is damaged and cannot be shown ({first.strip()})"


def describe(exc: BaseException, logged_to: Path | None) -> str:
    """What the dialog says: the app's own errors name their problem; anything else is a bug."""
    if isinstance(exc, TradeoffError):
        return str(exc)
    if isinstance(exc, RecursionError):
        what = "The data was nested too deeply to handle."
    elif isinstance(exc, MemoryError):
        what = "The app ran out of memory."
    else:
        what = f"An unexpected error: {type(exc).__name__}: {exc}"
    where = f"The details are in {logged_to}." if logged_to else "The details were printed to the terminal."
    return f"{what}\n\nThe app keeps running; what you were doing did not finish. {where}"


def handle(exc_type: type[BaseException], exc: BaseException, tb) -> None:
    """sys.excepthook: log, print, and show one dialog (Ctrl+C keeps Python's own handling)."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(text)
    logged_to = _log(text)
    app = QApplication.instance()
    if app is None:
        return
    if QThread.currentThread() is not app.thread():  # a worker thread's error: widgets live in the GUI thread
        QTimer.singleShot(0, app, lambda: _show(exc, logged_to))
    else:
        _show(exc, logged_to)


def _show(exc: BaseException, logged_to: Path | None) -> None:
    global _showing
    if _showing:
        return
    _showing = True
    try:
        plain_text.warning(QApplication.activeWindow(), "Something went wrong", describe(exc, logged_to))
    finally:
        _showing = False
