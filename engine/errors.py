"""Errors the engine raises for things a user got wrong. Their messages are shown to the user as is
(one line, naming the file, layer or field at fault), so the CLI prints them without a traceback."""
from __future__ import annotations


class EngineError(Exception):
    """Base of the engine's user-facing errors."""


class BadRunInput(EngineError, ValueError):
    """A run cannot start: bad data set path or file, a device that is not there, a precision the
    device cannot do, a spec the net cannot be built from. Raised before anything runs."""


class BadResultFile(EngineError, ValueError):
    """A result JSON that cannot be read or is not a Tradeoff Lab run result (names the file)."""


class BadStoreFile(EngineError):
    """The run history database cannot be opened (not a database, newer schema, no permission)."""
