"""The run loop's side of the hw sampler: starts it, moves its samples onto the run clock (timed
window starts at t = 0, warm-up negative), records them for the result's series, and hands them
out as TelemetryBatch events. Torch-free.

Samples taken before the timed window are held back and sent when it starts, because only then
is their (negative) time on the run clock known. The timed window's two ends also start and stop a
hw.contention monitor (other processes' CPU, steal, memory pressure, others on the run's GPU).
"""
from __future__ import annotations

import os
import time
from typing import Any

from engine.results.series import SeriesRecorder, shift_samples
from engine.run.events import TelemetryBatch
from hw.samples import Availability


class Telemetry:
    def __init__(self, gpu_indices: list[int], hz: float, series: SeriesRecorder, run_pid: int | None = None) -> None:
        """run_pid: the process whose children are the run's own (default this one; a data-parallel
        rank names its launcher, so its sibling ranks are not counted as other work)."""
        self._series = series
        self._t0 = time.perf_counter()
        self._window_t0: float | None = None  # on the sampler clock
        self._held: list[tuple[tuple, tuple]] = []
        self.reason: str | None = None
        self._gpu_indices = list(gpu_indices)
        self.contention: Any = None  # the ContentionReport of the timed window, once it has ended
        try:
            from hw.contention import ContentionMonitor
            self._monitor: Any = ContentionMonitor(run_pid or os.getpid())
        except Exception:  # noqa: BLE001 - no contention figures is no reason to fail a run
            self._monitor = None
        try:
            from hw.sampler import Sampler
            self._sampler: Any = Sampler(gpu_indices=gpu_indices, hz=hz, clock=time.perf_counter, t0=self._t0,
                                         pid=os.getpid())
            self.availability: tuple[Availability, ...] = tuple(self._sampler.availability)
        except Exception as exc:  # noqa: BLE001 - a run without telemetry is still a run
            self._sampler = None
            self.reason = f"telemetry sampler unavailable ({type(exc).__name__}: {exc})"
            self.availability = (Availability("telemetry", False, self.reason),)

    def start(self) -> None:
        if self._sampler is not None:
            self._sampler.start()

    def measure_idle(self, seconds: float) -> None:
        if self._sampler is not None and seconds > 0:
            self._sampler.measure_idle(seconds)

    def mark_window_start(self) -> None:
        self._window_t0 = time.perf_counter() - self._t0
        if self._sampler is not None:
            self._sampler.mark_window_start()
        if self._monitor is not None:
            self._monitor.start()

    def mark_window_end(self) -> None:
        if self._sampler is not None:
            self._sampler.mark_window_end()
        if self._monitor is not None and self.contention is None and self._window_t0 is not None:
            pids = gpu_process_pids(self._gpu_indices[0]) if self._gpu_indices else None
            self.contention = self._monitor.stop(gpu_pids=pids)

    def drain(self, final: bool = False) -> TelemetryBatch | None:
        """New samples as an event on the run clock (None when there is nothing to send yet).
        final: the run is over; if it never reached the timed window, its end is the time origin."""
        if self._sampler is None:
            return None
        gpu, host = self._sampler.drain()
        if self._window_t0 is None and final:
            self._window_t0 = time.perf_counter() - self._t0
        if self._window_t0 is None:
            if gpu or host:
                self._held.append((gpu, host))
            return None
        if self._held:
            gpu = tuple(s for g, _ in self._held for s in g) + tuple(gpu)
            host = tuple(s for _, h in self._held for s in h) + tuple(host)
            self._held.clear()
        if not gpu and not host:
            return None
        gpu, host = shift_samples(gpu, host, self._window_t0)
        self._series.add_telemetry(gpu, host)
        return TelemetryBatch(gpu=gpu, host=host)

    def stop(self) -> Any:
        """The sampler's WindowSummary, or None without a sampler."""
        if self._sampler is None:
            return None
        return self._sampler.stop()


def gpu_process_pids(cuda_index: int, nvml_module: Any = None) -> set[int] | None:
    """Processes NVML lists on a GPU (compute and graphics), or None where NVML cannot say."""
    try:
        from hw.nvml import Nvml, NvmlGpu
        nvml = Nvml(module=nvml_module)
        if not nvml.open():
            return None
        try:
            gpu = NvmlGpu(nvml, cuda_index)
            if gpu.lost is not None:
                return None
            pids: set[int] = set()
            for name in ("nvmlDeviceGetComputeRunningProcesses", "nvmlDeviceGetGraphicsRunningProcesses"):
                procs = gpu._get("processes", name)
                pids.update(int(p.pid) for p in procs or ())
            if pids and os.getpid() not in pids:
                # In a container NVML names host pids: the run itself is one of them, unrecognisable.
                pids = set(sorted(pids)[1:])
            return pids
        finally:
            nvml.close()
    except Exception:  # noqa: BLE001 - an unreadable process list is "unknown", never a failed run
        return None
