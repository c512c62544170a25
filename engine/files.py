"""Writing a user's file safely, torch-free: the one atomic writer of the app (specs, exported code,
sweep state). The text goes to a temporary file in the same folder, is flushed to disk, then renamed
over the target (an atomic rename on POSIX and Windows), so a crash mid-write leaves either the old
file or the new one, never half of each.

Entry point: write_text_atomic(path, text); raises FileWriteError naming the file and the reason.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from engine.errors import FileWriteError


def write_text_atomic(path: str | Path, text: str) -> None:
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise FileWriteError(f"{path}: cannot write here ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():  # keep the permissions the user gave the old file
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o777)
        else:  # mkstemp makes it 0600; a saved file is as readable as any other the user writes
            with contextlib.suppress(OSError):
                os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise FileWriteError(f"{path}: could not be saved ({exc.strerror})") from None
    with contextlib.suppress(OSError, AttributeError):  # make the rename itself durable where possible
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


__all__ = ["FileWriteError", "write_text_atomic"]
