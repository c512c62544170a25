"""Energy and power of the timed window, per GPU, and the summary with its quality warnings.

The energy is the NVML counter's difference between the window's ends (measured). Where the counter
is unsupported, power samples are integrated over the window instead (trapezoids, the first and last
sample held out to the window's edges) and labelled estimated.
"""
from __future__ import annotations

from dataclasses import dataclass

from hw.samples import Availability, GpuSample, IdleBaseline, WindowSummary

SHORT_WINDOW_S = 10.0  # the counter moves about every 100 ms: under 10 s that is > 1 %
TEMP_RISE_C = 10.0
MISSED_FRACTION = 0.05


@dataclass
class GpuWindow:
    index: int
    counter: bool  # the energy counter works on this GPU
    counter_reason: str | None
    power_key: str | None  # "power_instant_w" | "power_avg_w" | None (no power at all)
    t_start: float | None = None
    t_end: float | None = None
    e_start: float | None = None
    e_end: float | None = None
    integral_j: float = 0.0
    last: tuple[float, float] | None = None  # (t_s, power_w) of the previous sample in the window
    p_sum: float = 0.0
    p_n: int = 0
    p_max: float | None = None
    temp_start: float | None = None
    temp_max: float | None = None
    n: int = 0
    throttle_power_n: int = 0
    throttle_thermal_n: int = 0
    lost: bool = False  # the GPU was lost while the window was open

    def reset(self, t_s: float) -> None:
        keep = (self.index, self.counter, self.counter_reason, self.power_key)
        self.__init__(*keep)  # type: ignore[misc]
        self.t_start = t_s

    def add(self, s: GpuSample) -> None:
        self.n += 1
        self.throttle_power_n += bool(s.throttle_power)
        self.throttle_thermal_n += bool(s.throttle_thermal)
        if s.temperature_c is not None:
            if self.temp_start is None:
                self.temp_start = self.temp_max = s.temperature_c
            self.temp_max = max(self.temp_max, s.temperature_c)
        p = getattr(s, self.power_key) if self.power_key else None
        if p is None:
            return
        self.p_sum += p
        self.p_n += 1
        self.p_max = p if self.p_max is None else max(self.p_max, p)
        if self.last is None:
            self.integral_j += p * max(0.0, s.t_s - (self.t_start or s.t_s))
        else:
            self.integral_j += 0.5 * (p + self.last[1]) * max(0.0, s.t_s - self.last[0])
        self.last = (s.t_s, p)

    def close(self, t_s: float) -> None:
        self.t_end = t_s
        if self.last is not None:
            self.integral_j += self.last[1] * max(0.0, t_s - self.last[0])

    def energy(self) -> tuple[float | None, str | None, str | None]:
        """(joules, method, reason when None)."""
        if self.counter:
            if self.e_start is not None and self.e_end is not None:
                return self.e_end - self.e_start, "counter", None
            return None, None, "the energy counter could not be read at both ends of the window"
        if self.lost:
            return None, None, "the GPU was lost during the window"
        if self.power_key is None:
            return None, None, self.counter_reason
        if self.p_n == 0:
            return None, None, f"energy counter: {self.counter_reason}; and no power samples to integrate"
        method = "integrated-instant-power" if self.power_key == "power_instant_w" else "integrated-average-power"
        return self.integral_j, method, None


@dataclass(frozen=True)
class WindowFacts:
    """What the sampler's core knows when it stops: the input of summarize()."""
    hz: float
    gpu_indices: tuple[int, ...]
    availability: tuple[Availability, ...]
    window_t: tuple[float | None, float | None]  # (start, end) on the run clock
    windows: dict[int, GpuWindow]
    idle: IdleBaseline | None
    rapl_at: tuple[tuple[float | None, float | None], ...]  # (package_j, dram_j) at the window's ends
    quality: tuple[str, ...]
    runtime: dict[str, str]  # reasons that arose while sampling (a lost GPU, ...)
    peak_rss_bytes: int | None
    ticks: int
    missed: int
    window_ticks: int
    window_missed: int
    cpu_s: float | None
    wall_s: float | None


def summarize(s: WindowFacts) -> WindowSummary:
    t_start, t_end = s.window_t
    window_s = (t_end - t_start) if t_start is not None and t_end is not None else None
    quality = list(s.quality)
    unavailable = {a.source: a.reason or "unavailable" for a in s.availability if not a.available}
    unavailable.update(s.runtime)
    idle = s.idle.power_w if s.idle else {}
    e, method, dyn, pmean, pmax, t0, tmax = {}, {}, {}, {}, {}, {}, {}
    for idx in s.gpu_indices:
        w = s.windows.get(idx)
        if w is None:
            continue
        e[idx], method[idx], why = w.energy()
        if e[idx] is None:
            unavailable[f"gpu{idx}.energy"] = why or "unavailable"
        elif method[idx] != "counter":
            quality.append(f"gpu{idx} energy is estimated by integrating "
                           f"{'instant' if method[idx] == 'integrated-instant-power' else '1 s average'} power "
                           f"(energy counter: {w.counter_reason})")
        idle_w = idle.get(idx)
        dyn[idx] = e[idx] - idle_w * window_s if None not in (e[idx], idle_w, window_s) else None
        if method[idx] == "counter" and window_s:
            pmean[idx] = e[idx] / window_s
        else:
            pmean[idx] = w.p_sum / w.p_n if w.p_n and not w.lost else None
        pmax[idx] = w.p_max
        t0[idx], tmax[idx] = w.temp_start, w.temp_max
        if w.temp_start is not None and w.temp_max is not None and w.temp_max - w.temp_start > TEMP_RISE_C:
            quality.append(f"gpu{idx} warmed {w.temp_max - w.temp_start:.0f} °C during the window "
                           f"({w.temp_start:.0f} -> {w.temp_max:.0f} °C): later steps may have run at lower clocks")
        for n, what in ((w.throttle_power_n, "power-capped"), (w.throttle_thermal_n, "thermally throttled")):
            if n:
                quality.append(f"gpu{idx} was {what} in {100 * n / max(w.n, 1):.0f}% of the samples of the window")
    if window_s is not None and window_s < SHORT_WINDOW_S and any(v is not None for v in e.values()):
        quality.append(f"timed window {window_s:.1f} s is under {SHORT_WINDOW_S:.0f} s: the NVML energy counter "
                       "updates about every 100 ms, so GPU energy is coarse (run 10 s or more)")
    expected = s.window_ticks + s.window_missed
    if s.window_missed > max(2, MISSED_FRACTION * expected):
        quality.append(f"the sampler fell behind its {s.hz:g} Hz schedule: {s.window_missed} of {expected} "
                       "samples in the window were skipped")
    cpu_j = dram_j = None
    if len(s.rapl_at) == 2:
        (p0, d0), (p1, d1) = s.rapl_at
        cpu_j = p1 - p0 if None not in (p0, p1) else None
        dram_j = d1 - d0 if None not in (d0, d1) else None
    if cpu_j is None:
        unavailable.setdefault("cpu_energy", unavailable.get("rapl.package", "RAPL was not read"))
    peak = s.peak_rss_bytes
    return WindowSummary(window_s=window_s, gpu_energy_j=e, gpu_energy_method=method, gpu_dynamic_energy_j=dyn,
                         gpu_idle_power_w={i: idle.get(i) for i in s.gpu_indices}, gpu_power_mean_w=pmean,
                         gpu_power_max_w=pmax, gpu_temperature_start_c=t0, gpu_temperature_max_c=tmax,
                         cpu_energy_j=cpu_j, cpu_dram_energy_j=dram_j, host_peak_rss_bytes=peak,
                         quality=quality, unavailable=unavailable, sampler_ticks=s.ticks,
                         sampler_missed_ticks=s.missed, sampler_cpu_s=s.cpu_s, sampler_wall_s=s.wall_s)


def empty_summary(gpu_indices: tuple[int, ...], reason: str, peak_rss: int | None,
                  quality: list[str]) -> WindowSummary:
    """A summary without a window: sampling off, or the sampler process died before its summary."""
    off: dict[int, float | None] = {i: None for i in gpu_indices}
    unavailable = {"gpu_energy": reason, "gpu_power": reason, "cpu_energy": reason}
    if peak_rss is None:
        unavailable["host_peak_rss"] = reason
    return WindowSummary(None, off, dict(off), dict(off), dict(off), dict(off), dict(off), dict(off),
                         dict(off), None, None, peak_rss, list(quality), unavailable)
