"""The one error root. Every refusal and failure the engine reports to a user is a TradeoffError; its
`user_message` is shown as is (one line naming the file, layer, field or device at fault), so no
caller prints a traceback for it. Torch-free and Qt-free: the GUI and child processes import it.

    TradeoffError                        user_message, kind, exit_code
    ├── Refused                          nothing ran; CLI exit 2
    │   ├── BadInput (ValueError)        a bad spec, run setting, data set, argument or file
    │   │   ├── BadRunInput              a run cannot start with these inputs
    │   │   ├── BadResultFile            a result JSON that cannot be read
    │   │   └── BadStoreFile             a run history database that cannot be used
    │   ├── FileWriteError (OSError)     a file that cannot be written (names it and why)
    │   └── Unsupported                  valid, but this device or installation cannot do it
    └── RunFailed                        a run started and did not finish; CLI exit 3 (result kept)
        ├── OutOfMemory
        ├── DeviceFailure
        └── Cancelled

Other modules subclass these for their own refusals (SpecFormatError, BadSweep, OnnxExportError,
OnnxUnavailable). `kind_of(exc)` names the family of any exception, for messages that cross a
process boundary (the exception object itself may not).
"""
from __future__ import annotations

from typing import Literal

ErrorKind = Literal["bad_input", "unsupported", "oom", "device", "cancelled", "failed", "internal"]

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_RUN_FAILED = 0, 1, 2, 3


class TradeoffError(Exception):
    """Base of every user-facing refusal and failure."""
    kind: ErrorKind = "failed"
    exit_code: int = EXIT_RUN_FAILED

    @property
    def user_message(self) -> str:
        """The message for a person: one line, without the class name."""
        text = str(self.args[0]) if self.args else ""
        return " ".join(text.split()) or type(self).__name__


class Refused(TradeoffError):
    """The request was refused before anything ran: nothing to keep."""
    kind: ErrorKind = "bad_input"
    exit_code = EXIT_BAD_INPUT


class BadInput(Refused, ValueError):
    """A bad spec, run setting, data set, command-line argument or file; the message names it."""


class Unsupported(Refused):
    """The input is valid but cannot run here: a device that is not present, a precision this device
    lacks, an optional package that is not installed."""
    kind: ErrorKind = "unsupported"


class BadRunInput(BadInput):
    """A run cannot start: bad data set path or file, a spec the net cannot be built from, settings
    that contradict each other. Raised before anything runs."""


class BadResultFile(BadInput):
    """A result JSON that cannot be read or is not a Tradeoff Lab run result (names the file)."""


class BadStoreFile(BadInput):
    """The run history database cannot be opened (not a database, newer schema, no permission)."""


class FileWriteError(Refused, OSError):
    """A file could not be written (no permission, disk full, a folder in the way); names the file."""


class RunFailed(TradeoffError):
    """A run started and did not finish; its result (with this status) is still stored."""
    kind: ErrorKind = "failed"
    exit_code = EXIT_RUN_FAILED
    status: Literal["failed", "oom", "cancelled"] = "failed"


class OutOfMemory(RunFailed):
    kind: ErrorKind = "oom"
    status: Literal["failed", "oom", "cancelled"] = "oom"


class DeviceFailure(RunFailed):
    """The device faulted (a CUDA error, a lost GPU), as opposed to a bad input."""
    kind: ErrorKind = "device"


class Cancelled(RunFailed):
    kind: ErrorKind = "cancelled"
    status: Literal["failed", "oom", "cancelled"] = "cancelled"


def failure_for(status: str, message: str) -> RunFailed:
    """The RunFailed type for a run's stored status ("oom", "cancelled", anything else: failed)."""
    return {"oom": OutOfMemory, "cancelled": Cancelled}.get(status, RunFailed)(message)


def kind_of(exc: BaseException) -> ErrorKind:
    """The family of any exception: a TradeoffError's own kind; Ctrl+C is a cancel, MemoryError an
    out-of-memory; anything else is an internal error (a bug, shown with a hint, not a traceback)."""
    if isinstance(exc, TradeoffError):
        return exc.kind
    if isinstance(exc, KeyboardInterrupt):
        return "cancelled"
    if isinstance(exc, MemoryError):
        return "oom"
    return "internal"


def is_refusal(kind: str) -> bool:
    """Nothing ran (exit 2 in the CLI; "failed to start" in the GUI)."""
    return kind in ("bad_input", "unsupported")


def exit_code_of(exc: BaseException) -> int:
    """The CLI's exit code for an exception: 2 refused, 3 a run failed, 1 anything else."""
    if isinstance(exc, TradeoffError):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt | MemoryError):
        return EXIT_RUN_FAILED
    return EXIT_INTERNAL


__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_OK", "EXIT_RUN_FAILED", "BadInput", "BadResultFile",
           "BadRunInput", "BadStoreFile", "Cancelled", "DeviceFailure", "ErrorKind", "FileWriteError", "OutOfMemory",
           "Refused", "RunFailed", "TradeoffError", "Unsupported", "exit_code_of", "failure_for", "is_refusal", "kind_of"]
