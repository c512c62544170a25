"""Background telemetry sampler, torch-free and Qt-free. Used by the run loop:

    sampler = Sampler(gpu_indices=[0], hz=10.0, clock=time.perf_counter, t0=run_t0, pid=os.getpid())
    sampler.availability                 # tuple[Availability, ...], fixed after construction
    sampler.start()                      # sampling starts, on a drift-free schedule
    idle = sampler.measure_idle(1.0)     # blocks ~1 s before the run: IdleBaseline (power per GPU)
    sampler.mark_window_start()          # asks the sampler to read the energy counters now
    ...timed steps...                    #   (a counter read costs ~4 ms: never in the caller's loop)
    sampler.mark_window_end()            # returns at once too
    gpu, host = sampler.drain()          # samples gathered since the last drain
    summary = sampler.stop()             # ends sampling (thread or process) -> WindowSummary

By default the polling runs in its own process (hw/sampler_proc.py: NVML and psutil calls in a thread
of the run process contend for its GIL and slow launch-bound runs ~2 %); this object is then a thin
handle: marks and stop are messages, samples arrive in batches and drain() returns what has come.
`in_process=True` (automatic when a fake NVML, a fake RAPL root or a custom clock is injected: they
cannot cross a process boundary) polls in a thread here instead, with the same loop: the child runs
this very class in-process. If the child cannot start, polling falls back to a thread, with a quality
note. `hz=0` means no thread at all (sampling off): every figure None, with the reason. Timestamps are
`clock() - t0`, the run's own clock, so telemetry and step metrics line up. Without marks the window
is the whole sampling period. Nothing here raises for a missing reading; a GPU lost mid-run ends the
sampling of that GPU only.
"""
from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from hw.host import HostReader
from hw.nvml import Nvml, NvmlGpu
from hw.rapl import RAPL_ROOT, RaplReader
from hw.sampler_proc import SamplerProcess, SamplerStartError, shared_clock_problem
from hw.samples import Availability, GpuSample, HostSample, IdleBaseline, WindowSummary
from hw.window import GpuWindow, empty_summary, summarize

_BUFFER_MAX = 200_000  # undrained samples kept (hours at 10 Hz); older ones are dropped
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
        self._energy_every_s = energy_every_s  # the counter in the live series (dear: ~4 ms a read)
        self._lock = threading.Lock()
        self._gpu_buf: deque[GpuSample] = deque(maxlen=_BUFFER_MAX)
        self._host_buf: deque[HostSample] = deque(maxlen=_BUFFER_MAX)
        self._requests: deque[tuple[str, float]] = deque()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._summary: WindowSummary | None = None
        self._idle: IdleBaseline | None = None
        self._idle_acc: dict[int, list[float]] | None = None
        self._windows: dict[int, GpuWindow] = {}
        self._win_t: list[float | None] = [None, None]  # start, end (run clock)
        self._rapl_at: list[tuple[float | None, float | None]] = []
        self._runtime: dict[str, str] = {}  # reasons that arose while sampling (a lost GPU, ...)
        self._quality: list[str] = []
        self.ticks = self.missed = self.window_ticks = self.window_missed = 0
        self.cpu_s: float | None = None
        self.wall_s: float | None = None
        self._last_energy_t = -1e9
        self._stop_t: float | None = None
        self._child: SamplerProcess | None = None
        self._started = False
        self.on_tick: Callable[[], None] | None = None  # called after each tick (the child forwards)
        self._nvml = Nvml(nvml_module)
        self._gpus: list[NvmlGpu] = []
        self._host: HostReader | None = None
        self._rapl: RaplReader | None = None
        if self.hz == 0:
            self.availability: tuple[Availability, ...] = (Availability("telemetry", False, _OFF),)
            return
        if in_process is None:
            in_process = nvml_module is not None or rapl_root != RAPL_ROOT or clock is not time.perf_counter
        if not in_process:
            why = shared_clock_problem() or (None if clock is time.perf_counter else "a custom clock")
            if why is None:
                try:
                    self._child = SamplerProcess(dict(gpu_indices=self.gpu_indices, hz=self.hz, t0=self._t0,
                                                      pid=self._pid,
                                                      rapl_root=rapl_root, energy_every_s=energy_every_s),
                                                 _BUFFER_MAX)
                    self.availability = self._child.availability
                    return
                except SamplerStartError as exc:
                    why = str(exc)
            self._quality.append(f"telemetry was polled in the run process ({why}): on launch-bound runs "
                                 "that can cost about 2 % throughput")
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
        self.availability = tuple(avail) + self._host.availability() + self._rapl.availability()

    # ---------------------------------------------------------------- caller's side
    def now_s(self) -> float:
        return self._clock() - self._t0

    def start(self) -> None:
        self._start(self.now_s())

    def _start(self, t_s: float) -> None:
        if self.hz == 0 or self._started or self._summary is not None:
            return
        self._started = True
        if self._child is not None:
            self._child.send("start", t_s)
            return
        if self._win_t[0] is None:  # implicit window until marked: the whole sampling period
            self._requests.appendleft(("start", t_s))
        self._thread = threading.Thread(target=self._run, name="hw-sampler", daemon=True)
        self._thread.start()

    def mark_window_start(self) -> None:
        self._request("start")

    def mark_window_end(self) -> None:
        self._request("end")

    def _request(self, what: str, t_s: float | None = None) -> None:
        if self.hz == 0 or self._summary is not None:  # off, or already stopped
            return
        t_s = self.now_s() if t_s is None else t_s
        if self._child is not None:
            self._child.send(f"mark_{what}", t_s)
            return
        self._requests.append((what, t_s))
        if self._thread is None:  # not started: serve here (only then does the caller pay the read)
            self._serve()
        else:
            self._wake.set()

    def measure_idle(self, seconds: float) -> IdleBaseline:
        """Blocks `seconds`; mean power per GPU meanwhile (the run has not begun: the GPU is idle)."""
        if self._child is not None and seconds > 0 and self._summary is None:
            self._idle = self._child.measure_idle(seconds)
            if self._idle is not None:
                return self._idle
        if self.hz == 0 or seconds <= 0 or not any(w.power_key for w in self._windows.values()):
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
        if self._child is not None:
            self._child.pump()
            gpu, host = tuple(self._child.gpu), tuple(self._child.host)
            self._child.gpu.clear()
            self._child.host.clear()
            return gpu, host
        with self._lock:
            gpu, host = tuple(self._gpu_buf), tuple(self._host_buf)
            self._gpu_buf.clear()
            self._host_buf.clear()
        return gpu, host

    def stop(self) -> WindowSummary:
        return self._stop(self.now_s())

    def _stop(self, t_s: float) -> WindowSummary:
        if self._summary is not None:
            return self._summary
        if self.hz == 0:
            self._summary = empty_summary(self.gpu_indices, _OFF, None, [])
            return self._summary
        if self._child is not None:
            rss_ok = any(a.source == "host.process_rss" and a.available for a in self.availability)
            self._summary = self._child.finish(t_s, self.gpu_indices, self._quality,
                                               rss_ok and self._pid == os.getpid())
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
        self._summary = summarize(self)
        return self._summary

    # ---------------------------------------------------------------- sampler thread
    def _run(self) -> None:
        began = time.perf_counter()
        try:
            self._loop()
        except Exception as exc:  # noqa: BLE001 - the run must survive a telemetry bug
            self._runtime["sampler"] = f"the sampler thread failed: {type(exc).__name__}: {exc}"
        finally:
            self.cpu_s = time.thread_time()  # this thread's own CPU time (for the overhead budget)
            self.wall_s = time.perf_counter() - began

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
                self.missed += late
                if self._win_t[0] is not None and self._win_t[1] is None:
                    self.window_missed += late
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
        self.window_ticks = self.window_missed = 0
        for gpu in self._gpus:
            w = self._windows[gpu.index]
            w.reset(t_s)
            if w.counter:
                w.e_start = gpu.energy_j()
                self._note_lost(gpu)
        self._rapl_at = [self._rapl.read()] if self._rapl else []

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
        if self._rapl:
            self._rapl_at.append(self._rapl.read())

    def _tick(self, t_s: float) -> None:
        self.ticks += 1
        in_window = self._win_t[0] is not None and self._win_t[1] is None
        self.window_ticks += in_window
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
        host = self._host.sample(t_s) if self._host else None
        if self._rapl:
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
