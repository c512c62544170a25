"""Keeps torch.profiler's C++ status lines (kineto's) off the user's stderr. Torch-free.

    with quiet_kineto(), torch.profiler.profile(...) as prof:
        step()

Kineto, the library under torch.profiler, writes its own log lines with C++ `std::cerr`, straight to
file descriptor 2: at the default level "USDT:<date> <pid>:<tid> SyncActivityProfilerHandler.cpp:52]
profiler_start" (and profiler_stop) on every profiler start and stop; with KINETO_LOG_LEVEL lowered, also
"STAGE:" and "INFO:" lines. They are no Python warnings or logging records, so neither `warnings` nor
`logging` can hold them back, and kineto's own switch (KINETO_LOG_LEVEL) is read once per process, when
the first profiler starts, and any level that hides them hides kineto's errors too. So, around the
profiler only, fd 2 is pointed at a pipe whose reader passes every line on at once except kineto's
status lines (USDT, STAGE, INFO, VERBOSE): kineto's WARNING and ERROR lines, Python warnings, tracebacks
and anything else written meanwhile still reach the user, as written.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
import warnings
from collections.abc import Iterator

# "<SEVERITY>:<yyyy-mm-dd hh:mm:ss> <pid>:<tid> <File>.cpp:<line>] <message>": kineto's Logger format.
KINETO_STATUS = re.compile(rb"^(USDT|STAGE|INFO|VERBOSE):\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d+:\d+ [\w.]+:\d+\] ")
PROFILER_CYCLE_NOTE = r"Warning: Profiler clears events at the end of each cycle"
_JOIN_S = 2.0  # the reader's last lines after the profiler stops
_lock = threading.Lock()
_depth = 0  # nested use filters once, in the outermost


def is_kineto_noise(line: bytes) -> bool:
    """A kineto status line (USDT/STAGE/INFO/VERBOSE), never a warning or an error."""
    return KINETO_STATUS.match(line) is not None


def _forward(read_fd: int, out_fd: int) -> None:
    """Pass the pipe's lines on to the real stderr, kineto's status lines left out; ends at EOF."""
    pending = b""
    try:
        while chunk := os.read(read_fd, 65536):
            *lines, pending = (pending + chunk).split(b"\n")
            _write(out_fd, b"".join(line + b"\n" for line in lines if not is_kineto_noise(line)))
        if not is_kineto_noise(pending):
            _write(out_fd, pending)
    finally:
        os.close(read_fd)


def _write(fd: int, data: bytes) -> None:
    # Never stop reading on a failed write: a writer to a pipe nobody reads would block or fail.
    with contextlib.suppress(OSError):
        while data:
            data = data[os.write(fd, data):]


@contextlib.contextmanager
def quiet_kineto() -> Iterator[None]:
    """Filter fd 2 while the block runs (see the module's docstring); nested, the outermost filters.
    Where fd 2 cannot be duplicated (no stderr at all), the block runs unfiltered."""
    global _depth
    with _lock:
        _depth += 1
        outer = _depth == 1
    try:
        with _filtered_fd2() if outer else contextlib.nullcontext(), warnings.catch_warnings():
            # torch.profiler's own Python warning on a CUDA profile (torch 2.11): a note on its
            # scheduling, which these one-cycle profiles do not use; other warnings still show
            warnings.filterwarnings("ignore", message=PROFILER_CYCLE_NOTE, category=UserWarning)
            yield
    finally:
        with _lock:
            _depth -= 1


@contextlib.contextmanager
def _filtered_fd2() -> Iterator[None]:
    _flush()
    try:
        real = os.dup(2)
    except OSError:
        yield
        return
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    reader = threading.Thread(target=_forward, args=(read_fd, real), name="kineto-quiet", daemon=True)
    reader.start()
    try:
        yield
    finally:
        _flush()
        # Restoring fd 2 closes the pipe's last writer, so the reader drains it and ends. A child
        # process started inside the block would keep the pipe open: the reader then goes on
        # forwarding that child's lines, keeping its handle on the real stderr.
        os.dup2(real, 2)
        reader.join(_JOIN_S)
        if not reader.is_alive():
            os.close(real)


def _flush() -> None:
    for stream in (sys.stderr, sys.__stderr__):
        with contextlib.suppress(Exception):
            stream.flush()
