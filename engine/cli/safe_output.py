"""What the CLI writes goes through one guard (`guarded_output`): user-derived text cannot drive the
terminal (escape codes are shown, not obeyed; see engine.format.plain), and a reader that goes away
(`validate --json | head`) ends the output quietly instead of with a BrokenPipe traceback, while the
command itself (a run, say) goes on to its end. Torch-free."""
from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import TextIO

from engine.format import plain


class SafeStream(io.TextIOBase):
    """A text stream that writes plain() text to `raw` and drops everything once its reader is gone."""

    def __init__(self, raw: TextIO) -> None:
        super().__init__()
        self.raw = raw  # the real stream, for writers that emit escape codes on purpose (rich's live progress)
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self.raw.write(plain(text))
            except BrokenPipeError:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self.raw.flush()
            except BrokenPipeError:
                self._reader_gone()

    def _reader_gone(self) -> None:
        self.broken = True
        # The interpreter flushes the real stream once more at exit: point it at /dev/null so that
        # last flush cannot raise either (the recipe of Python's signal docs).
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.raw.fileno())
            os.close(devnull)

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", "utf-8")


@contextlib.contextmanager
def guarded_output() -> Iterator[None]:
    """sys.stdout and sys.stderr through SafeStream for the duration (the CLI's whole run)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(saved[0]), SafeStream(saved[1])
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = saved


def raw_stream(out: TextIO) -> TextIO:
    """The stream beneath a SafeStream (for rich's live display, which writes escape codes on purpose)."""
    return getattr(out, "raw", out) if isinstance(out, SafeStream) else out
