"""Per-step timing without per-step synchronisation.

`mark()` is called once after each step in the hot loop and must stay cheap:
- CPU: the host clock is the truth (the step has finished when the call returns).
- CUDA: an event is recorded on the stream into a ring; `resolve()` later turns the events whose
  work has completed into step times (event.query() never blocks). Step k's time is the gap
  between the events after steps k-1 and k, i.e. what the device spent on step k, including any
  time it sat idle waiting for the host to launch it (which is what a launch-bound net costs).

`restart()` after a pause (held-out evaluation) makes the next step's time start from now.
"""
from __future__ import annotations

import time
from array import array

import torch


class HostStepTimer:
    def __init__(self) -> None:
        self.times_s = array("d")
        self._prev = 0.0
        self._clock = time.perf_counter

    def start(self) -> None:
        self._prev = self._clock()

    def mark(self) -> None:
        t = self._clock()
        self.times_s.append(t - self._prev)
        self._prev = t

    restart = start

    def resolve(self, block: bool = False) -> None:
        """Host times are final when taken."""


class CudaStepTimer:
    def __init__(self, device: torch.device, ring: int = 2048) -> None:
        self.times_s = array("d")
        with torch.cuda.device(device):
            self._events = [torch.cuda.Event(enable_timing=True) for _ in range(ring)]
            # Event.record() without a stream looks the current stream up each call: look it up once.
            self._stream = torch.cuda.current_stream(device)
        self._ring = ring
        self._n = 0  # marks recorded; mark 0 is the window start, mark k the end of step k
        self._done = 0  # marks resolved into times

    def start(self) -> None:
        self._events[0].record(self._stream)
        self._n, self._done = 1, 0
        self.times_s = array("d")

    def mark(self) -> None:
        if self._n - self._done >= self._ring - 1:
            # The host ran a whole ring ahead of the device (rare: the launch queue is shallower);
            # wait for the oldest half rather than overwrite events not yet read.
            self._resolve_upto(self._n - self._ring // 2, block=True)
        self._events[self._n % self._ring].record(self._stream)
        self._n += 1

    def restart(self) -> None:
        """Re-record the newest mark at this point: the next step is timed from here."""
        self.resolve(block=True)
        self._events[(self._n - 1) % self._ring].record(self._stream)

    def resolve(self, block: bool = False) -> None:
        self._resolve_upto(self._n - 1, block)

    def _resolve_upto(self, last: int, block: bool) -> None:
        events, ring = self._events, self._ring
        if block:
            events[last % ring].synchronize()
        elif last > self._done and not events[last % ring].query():
            # Not all done: find how far the device has got (events complete in stream order).
            lo, hi = self._done, last  # invariant: lo is done (or resolved), hi is not
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if events[mid % ring].query():
                    lo = mid
                else:
                    hi = mid
            last = lo
        append = self.times_s.append
        for k in range(self._done + 1, last + 1):
            append(events[(k - 1) % ring].elapsed_time(events[k % ring]) / 1000.0)
        if last > self._done:
            self._done = last


def make_step_timer(device: torch.device) -> HostStepTimer | CudaStepTimer:
    return CudaStepTimer(device) if device.type == "cuda" else HostStepTimer()
