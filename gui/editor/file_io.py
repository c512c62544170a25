"""Reading and writing spec files. Qt-free.

Saving is atomic: the JSON goes to a temporary file in the same folder, is flushed to disk, then
renamed over the target (an atomic rename on POSIX and Windows), so a crash mid-save leaves either
the old file or the new one, never half of each.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from engine.net import NetworkSpec, SpecFormatError, load_spec


class SaveError(OSError):
    """The file could not be written; the message names the file and the reason."""


def atomic_write_text(path: Path, text: str) -> None:
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise SaveError(f"{path}: cannot write here ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():  # keep the permissions the user gave the old file
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            with contextlib.suppress(OSError):
                os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise SaveError(f"{path}: could not be saved ({exc.strerror})") from None
    with contextlib.suppress(OSError, AttributeError):  # make the rename itself durable where possible
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def save_spec(spec: NetworkSpec, path: Path) -> None:
    atomic_write_text(Path(path), spec.to_json())


def open_spec(path: Path) -> NetworkSpec:
    """Load a spec; raises SpecFormatError with a message naming the file and the problem."""
    return load_spec(path)


__all__ = ["SaveError", "SpecFormatError", "atomic_write_text", "open_spec", "save_spec"]
