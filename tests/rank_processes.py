"""What a failed several-process job must leave behind: none of its processes."""
from __future__ import annotations

import time

import psutil


def ranks_left() -> list[psutil.Process]:
    # multiprocessing's resource tracker lives as long as the test process: not a rank
    return [c for c in psutil.Process().children(recursive=True) if "resource_tracker" not in " ".join(c.cmdline())]


def assert_no_rank_left(wait_s: float = 10.0) -> None:
    deadline = time.monotonic() + wait_s
    while ranks_left() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ranks_left() == []
