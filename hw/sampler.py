"""The telemetry sampler's handle: what the run process holds. Torch-free and Qt-free.

    sampler = Sampler(gpu_indices=[0], hz=10.0, clock=time.perf_counter, t0=run_t0, pid=os.getpid())
    sampler.availability                 # tuple[Availability, ...], fixed after construction
    sampler.start()                      # sampling starts, on a drift-free schedule
    idle = sampler.measure_idle(1.0)     # blocks ~1 s before the run: IdleBaseline (power per GPU)
    sampler.mark_window_start()          # asks the sampler to read the energy counters now
    ...timed steps...                    #   (a counter read costs ~4 ms: never in the caller's loop)
    sampler.mark_window_end()            # returns at once too
    gpu, host = sampler.drain()          # samples gathered since the last drain
    summary = sampler.stop()             # ends sampling -> WindowSummary

The polling and the window's bookkeeping are the core's (hw/sampler_core.py: SamplerCore); this
handle stamps each call with the run clock and passes it on, through that public interface only.
By default the core runs in its own process (hw/sampler_proc.py: NVML and psutil calls in a thread
of the run process contend for its GIL and slow launch-bound runs ~2 %); `process` is then that
child's handle. `in_process=True` (automatic when a fake NVML, a fake RAPL root or a custom clock is
injected: they cannot cross a process boundary) runs the core in a thread here instead (`core`). If
the child cannot start, the core runs here, with a quality note. `hz=0` means no sampling at all:
every figure None, with the reason. Timestamps are `clock() - t0`, the run's own clock, so telemetry
and step metrics line up.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from hw.rapl import RAPL_ROOT
from hw.sampler_core import BUFFER_MAX, SamplerCore
from hw.sampler_proc import SamplerProcess, SamplerStartError, shared_clock_problem
from hw.samples import Availability, GpuSample, HostSample, IdleBaseline, WindowSummary
from hw.window import empty_summary

_OFF = "sampling off (sample_hz = 0)"


class Sampler:
    def __init__(self, gpu_indices: Sequence[int] = (), hz: float = 10.0,
                 clock: Callable[[], float] = time.perf_counter, t0: float | None = None,
                 pid: int | None = None, *, nvml_module: Any = None, rapl_root: str = RAPL_ROOT,
                 energy_every_s: float = 1.0, in_process: bool | None = None):
        self.hz = max(0.0, float(hz))
        self._pid = os.getpid() if pid is None else pid
        self._clock = clock
        self._t0 = clock() if t0 is None else t0
        self.gpu_indices = tuple(dict.fromkeys(int(i) for i in gpu_indices))  # each GPU once, in order
        self._summary: WindowSummary | None = None
        self._started = False
        self._notes: list[str] = []  # the handle's own quality notes (where the core runs, and why)
        self.process: SamplerProcess | None = None  # the core in its own process
        self.core: SamplerCore | None = None  # the core in a thread of this process
        if self.hz == 0:
            self.availability: tuple[Availability, ...] = (Availability("telemetry", False, _OFF),)
            return
        if in_process is None:
            in_process = nvml_module is not None or rapl_root != RAPL_ROOT or clock is not time.perf_counter
        if not in_process:
            why = shared_clock_problem() or (None if clock is time.perf_counter else "a custom clock")
            if why is None:
                try:
                    self.process = SamplerProcess(dict(gpu_indices=self.gpu_indices, hz=self.hz, t0=self._t0,
                                                       pid=self._pid, rapl_root=rapl_root,
                                                       energy_every_s=energy_every_s), BUFFER_MAX)
                    self.availability = self.process.availability
                    return
                except SamplerStartError as exc:
                    why = str(exc)
            self._notes.append(f"telemetry was polled in the run process ({why}): on launch-bound runs "
                               "that can cost about 2 % throughput")
        self.core = SamplerCore(self.gpu_indices, self.hz, clock, self._t0, self._pid, nvml_module=nvml_module,
                                rapl_root=rapl_root, energy_every_s=energy_every_s, notes=self._notes)
        self.availability = self.core.availability

    def now_s(self) -> float:
        return self._clock() - self._t0

    def _live(self) -> bool:
        return self.hz > 0 and self._summary is None

    def start(self) -> None:
        if not self._live() or self._started:
            return
        self._started = True
        if self.process is not None:
            self.process.send("start", self.now_s())
        else:
            self.core.start(self.now_s())

    def mark_window_start(self) -> None:
        self._mark("start")

    def mark_window_end(self) -> None:
        self._mark("end")

    def _mark(self, what: str) -> None:
        if not self._live():
            return
        if self.process is not None:
            self.process.send(f"mark_{what}", self.now_s())
        else:
            self.core.mark(what, self.now_s())

    def measure_idle(self, seconds: float) -> IdleBaseline:
        """Blocks `seconds`; mean power per GPU meanwhile (the run has not begun: the GPU is idle)."""
        none = {i: None for i in self.gpu_indices}
        if not self._live() or seconds <= 0:
            return IdleBaseline(0.0, none, dict(none))
        if self.process is not None:
            return self.process.measure_idle(seconds) or IdleBaseline(0.0, none, dict(none))
        return self.core.measure_idle(seconds)

    def drain(self) -> tuple[tuple[GpuSample, ...], tuple[HostSample, ...]]:
        if self.process is not None:
            return self.process.drain()
        if self.core is not None:
            return self.core.drain()
        return (), ()

    def stop(self) -> WindowSummary:
        if self._summary is not None:
            return self._summary
        if self.hz == 0:
            self._summary = empty_summary(self.gpu_indices, _OFF, None, [])
        elif self.process is not None:
            rss_ok = any(a.source == "host.process_rss" and a.available for a in self.availability)
            self._summary = self.process.finish(self.now_s(), self.gpu_indices, self._notes,
                                                rss_ok and self._pid == os.getpid())
        else:
            self._summary = self.core.stop(self.now_s())
        return self._summary
