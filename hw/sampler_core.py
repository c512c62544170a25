"""The sampler's core: the polling loop and the timed window's bookkeeping, wherever it runs (a
thread of the run process, or the sampler process of hw/sampler_proc.py). Torch-free, Qt-free.

Its public interface is what a handle (hw/sampler.py's Sampler) or the sampler process drives; every
call that places something in time takes the run-clock time `t_s` at which the caller made it:

    core = SamplerCore(gpu_indices, hz, clock, t0, pid, nvml_module=, rapl_root=, energy_every_s=, notes=)
    core.availability                    # what can be read here, with reasons
    core.start(t_s)                      # the polling thread starts, on a drift-free schedule
    core.mark("start" | "end", t_s)      # the timed window's ends (the counter reads happen in the loop)
    core.measure_idle(seconds)           # blocks; mean power per GPU meanwhile -> IdleBaseline
    core.drain()                         # samples since the last drain
    core.stop(t_s) -> WindowSummary      # ends polling; the window's energy, power and quality
    core.on_tick                         # optional callback after each tick (the process forwards)

Marks and stop are queued to the polling thread, so every NVML call happens there, in order: a stop
never overtakes a pending end mark. Before start() they are served in the caller's thread. Without
marks the window is the whole sampling period. Nothing here raises for a missing reading; a GPU lost
mid-run ends the sampling of that GPU only.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from hw.host import HostReader
from hw.nvml import Nvml, NvmlGpu
from hw.rapl import RAPL_ROOT, RaplReader
from hw.samples import Availability, GpuSample, HostSample, IdleBaseline, WindowSummary
from hw.window import GpuWindow, WindowFacts, summarize

BUFFER_MAX = 200_000  # undrained samples kept (hours at 10 Hz); older ones are dropped


class SamplerCore:
    def __init__(self, gpu_indices: Sequence[int] = (), hz: float = 10.0,
                 clock: Callable[[], float] = time.perf_counter, t0: float | None = None,
                 pid: int | None = None, *, nvml_module: Any = None, rapl_root: str = RAPL_ROOT,
                 energy_every_s: float = 1.0, notes: Sequence[str] = ()):
        self.hz = float(hz)
        self._clock = clock
        self._t0 = clock() if t0 is None else t0
        self.gpu_indices = tuple(dict.fromkeys(int(i) for i in gpu_indices))
        self._energy_every_s = energy_every_s  # the counter in the live series (dear: ~4 ms a read)
        self._lock = threading.Lock()
        self._gpu_buf: deque[GpuSample] = deque(maxlen=BUFFER_MAX)
        self._host_buf: deque[HostSample] = deque(maxlen=BUFFER_MAX)
        self._requests: deque[tuple[str, float]] = deque()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._summary: WindowSummary | None = None
        self._started = False
        self._idle: IdleBaseline | None = None
        self._idle_acc: dict[int, list[float]] | None = None
        self._windows: dict[int, GpuWindow] = {}
        self._win_t: list[float | None] = [None, None]  # start, end (run clock)
        self._rapl_at: list[tuple[float | None, float | None]] = []
        self._runtime: dict[str, str] = {}  # reasons that arose while sampling (a lost GPU, ...)
        self._quality: list[str] = list(notes)
        self._ticks = self._missed = self._window_ticks = self._window_missed = 0
        self._cpu_s: float | None = None
        self._wall_s: float | None = None
        self._last_energy_t = -1e9
        self._stop_t: float | None = None
        self.on_tick: Callable[[], None] | None = None
        self._nvml = Nvml(nvml_module)
        self._gpus: list[NvmlGpu] = []
        avail: list[Availability] = []
        if self.gpu_indices:
            self._nvml.open()  # on failure every GPU source carries nvml.reason
            for idx in self.gpu_indices:
                gpu = NvmlGpu(self._nvml, idx)
                probe = gpu.probe()
                avail += [Availability(f"gpu{idx}.{src}", why is None, why) for src, why in probe.items()]
                power_key = ("power_instant_w" if probe["power_instant"] is None else
                             "power_avg_w" if probe["power_avg"] is None else None)
                self._windows[idx] = GpuWindow(idx, counter=probe["energy_counter"] is None,
                                               counter_reason=probe["energy_counter"], power_key=power_key)
                self._gpus.append(gpu)
        self._host = HostReader(pid)
        self._rapl = RaplReader(rapl_root)
        self.availability: tuple[Availability, ...] = (tuple(avail) + self._host.availability()
                                                       + self._rapl.availability())

    # ---------------------------------------------------------------- the interface
    def now_s(self) -> float:
        return self._clock() - self._t0

    def start(self, t_s: float) -> None:
        if self._started or self._summary is not None:
            return
        self._started = True
        if self._win_t[0] is None:  # implicit window until marked: the whole sampling period
            self._requests.appendleft(("start", t_s))
        self._thread = threading.Thread(target=self._run, name="hw-sampler", daemon=True)
        self._thread.start()

    def mark(self, what: str, t_s: float) -> None:
        """The timed window's start or end ("start" | "end"), made at run-clock time t_s."""
        if self._summary is not None:
            return
        self._requests.append((what, t_s))
        if self._thread is None:  # not started: serve here (only then does the caller pay the read)
            self._serve()
        else:
            self._wake.set()

    def measure_idle(self, seconds: float) -> IdleBaseline:
        """Blocks `seconds`; mean power per GPU meanwhile (the run has not begun: the GPU is idle)."""
        if seconds <= 0 or not any(w.power_key for w in self._windows.values()):
            self._idle = IdleBaseline(0.0, {i: None for i in self.gpu_indices}, {i: None for i in self.gpu_indices})
            return self._idle
        with self._lock:
            self._idle_acc = {g.index: [0.0, 0.0] for g in self._gpus}
        t_end = self._clock() + seconds
        while (left := t_end - self._clock()) > 0:
            if self._thread is None:  # not started: sample here at the same rate
                self._tick(self.now_s())
            time.sleep(min(left, 1.0 / self.hz))
        with self._lock:
            acc, self._idle_acc = self._idle_acc, None
        power = {i: (acc[i][0] / acc[i][1] if acc[i][1] else None) for i in self.gpu_indices}
        method = {i: (self._windows[i].power_key.removesuffix("_w") if power[i] is not None else None)
                  for i in self.gpu_indices}
        self._idle = IdleBaseline(float(seconds), power, method)
        return self._idle

    def drain(self) -> tuple[tuple[GpuSample, ...], tuple[HostSample, ...]]:
        with self._lock:
            gpu, host = tuple(self._gpu_buf), tuple(self._host_buf)
            self._gpu_buf.clear()
            self._host_buf.clear()
        return gpu, host

    def stop(self, t_s: float) -> WindowSummary:
        if self._summary is not None:
            return self._summary
        if self._thread is not None:
            self._requests.append(("stop", t_s))
            self._wake.set()
            self._thread.join(timeout=10.0)
            if self._thread.is_alive():
                self._quality.append("the sampler thread did not stop within 10 s (an NVML call hung)")
        else:
            self._serve()
            self._close_window(t_s)
        self._nvml.close()
        self._summary = summarize(self.facts())
        return self._summary

    def facts(self) -> WindowFacts:
        """What the window summary is made from (hw.window.summarize)."""
        return WindowFacts(
            hz=self.hz, gpu_indices=self.gpu_indices, availability=self.availability,
            window_t=(self._win_t[0], self._win_t[1]), windows=dict(self._windows), idle=self._idle,
            rapl_at=tuple(self._rapl_at), quality=tuple(self._quality), runtime=dict(self._runtime),
            peak_rss_bytes=self._host.peak_rss(), ticks=self._ticks, missed=self._missed,
            window_ticks=self._window_ticks, window_missed=self._window_missed, cpu_s=self._cpu_s,
            wall_s=self._wall_s)

    # ---------------------------------------------------------------- the polling thread
    def _run(self) -> None:
        began = time.perf_counter()
        try:
            self._loop()
        except Exception as exc:  # noqa: BLE001 - the run must survive a telemetry bug
            self._runtime["sampler"] = f"the sampler thread failed: {type(exc).__name__}: {exc}"
        finally:
            self._cpu_s = time.thread_time()  # this thread's own CPU time (for the overhead budget)
            self._wall_s = time.perf_counter() - began

    def _loop(self) -> None:
        period = 1.0 / self.hz
        start = self._clock()
        k = 0
        while True:
            wait = start + k * period - self._clock()
            if wait > 0:
                self._wake.wait(wait)
                self._wake.clear()
            if self._serve():
                break
            now = self._clock()
            due = start + k * period
            if now < due:
                continue  # woken early for a mark; keep the schedule
            self._tick(now - self._t0)
            # drift-free: the next slot is on the fixed grid start + k * period; slots already past
            # are skipped and counted, not crowded in
            k += 1
            late = int((self._clock() - start) / period) - k
            if late > 0:
                k += late
                self._missed += late
                if self._win_t[0] is not None and self._win_t[1] is None:
                    self._window_missed += late
        self._close_window(self.now_s() if self._stop_t is None else self._stop_t)

    def _serve(self) -> bool:
        """Handle pending marks in order; True when asked to stop."""
        while self._requests:
            what, t_s = self._requests.popleft()
            if what == "stop":
                self._stop_t = t_s
                self._serve()
                return True
            if what == "start":
                self._open_window(t_s)
            elif what == "end" and self._win_t[1] is None:
                self._close_window(t_s)
        return False

    def _open_window(self, t_s: float) -> None:
        self._win_t = [t_s, None]
        self._window_ticks = self._window_missed = 0
        for gpu in self._gpus:
            w = self._windows[gpu.index]
            w.reset(t_s)
            if w.counter:
                w.e_start = gpu.energy_j()
                self._note_lost(gpu)
        self._rapl_at = [self._rapl.read()]

    def _close_window(self, t_s: float) -> None:
        if self._win_t[0] is None or self._win_t[1] is not None:
            return
        self._win_t[1] = t_s
        for gpu in self._gpus:
            w = self._windows[gpu.index]
            if w.counter:
                w.e_end = gpu.energy_j()
                self._note_lost(gpu)
            w.close(t_s)
        self._rapl_at.append(self._rapl.read())

    def _tick(self, t_s: float) -> None:
        self._ticks += 1
        in_window = self._win_t[0] is not None and self._win_t[1] is None
        self._window_ticks += in_window
        with_energy = t_s - self._last_energy_t >= self._energy_every_s
        if with_energy:
            self._last_energy_t = t_s
        gpu_samples = []
        for gpu in self._gpus:
            if gpu.lost is not None:
                continue
            sample = gpu.sample(t_s, with_energy and self._windows[gpu.index].counter)
            if sample is None:
                self._note_lost(gpu)
                continue
            gpu_samples.append(sample)
            if in_window:
                self._windows[gpu.index].add(sample)
        host = self._host.sample(t_s)
        package_j, dram_j = self._rapl.read()
        if host is not None and (package_j is not None or dram_j is not None):
            host = replace(host, rapl_package_energy_j=package_j, rapl_dram_energy_j=dram_j)
        with self._lock:
            self._gpu_buf.extend(gpu_samples)
            if host is not None:
                self._host_buf.append(host)
            if self._idle_acc is not None:
                for s in gpu_samples:
                    p = getattr(s, self._windows[s.index].power_key or "power_avg_w")
                    if p is not None:
                        self._idle_acc[s.index][0] += p
                        self._idle_acc[s.index][1] += 1
        if self.on_tick is not None:
            self.on_tick()

    def _note_lost(self, gpu: NvmlGpu) -> None:
        key = f"gpu{gpu.index}"
        if gpu.lost is not None and key not in self._runtime:
            in_window = self._win_t[0] is not None and self._win_t[1] is None
            self._windows[gpu.index].lost = in_window
            t_s = self.now_s()
            self._runtime[key] = f"{gpu.lost} at t = {t_s:.1f} s; its sampling stopped"
            self._quality.append(f"gpu{gpu.index} was lost at t = {t_s:.1f} s ({gpu.lost}); its sampling stopped"
                                 + ("; its energy and power for the window are unavailable" if in_window else ""))
