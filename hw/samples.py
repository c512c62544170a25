"""Telemetry readings: small frozen dataclasses, sent many times a second. SI units in names.

A reading that cannot be had is None; why is said once per source in `Availability`, not per sample.
This module imports nothing but the standard library, so the GUI may import it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GpuSample:
    t_s: float  # on the run's clock (time.perf_counter() of the run process, minus the run's t0)
    index: int
    power_instant_w: float | None = None  # NVML_FI_DEV_POWER_INSTANT
    power_avg_w: float | None = None  # nvmlDeviceGetPowerUsage: a ~1 s average on Hopper
    energy_j: float | None = None  # NVML total-energy counter, since driver load
    mem_used_bytes: int | None = None  # NVML's view (all processes)
    util_gpu_pct: float | None = None
    util_mem_pct: float | None = None
    sm_clock_hz: float | None = None
    mem_clock_hz: float | None = None
    temperature_c: float | None = None
    throttle_power: bool | None = None
    throttle_thermal: bool | None = None


@dataclass(frozen=True)
class HostSample:
    t_s: float
    cpu_util_pct: float | None = None  # whole machine, 0..100
    process_rss_bytes: int | None = None  # the run process and its children
    system_mem_used_bytes: int | None = None
    system_mem_total_bytes: int | None = None
    rapl_package_energy_j: float | None = None  # cumulative since sampler start, wrap-around corrected
    rapl_dram_energy_j: float | None = None


@dataclass(frozen=True)
class Availability:
    """Whether a telemetry source works here, and if not, why (shown to the user as is)."""
    source: str  # e.g. "gpu0.power_instant", "gpu0.energy_counter", "rapl.package"
    available: bool
    reason: str | None = None


@dataclass(frozen=True)
class IdleBaseline:
    """Power per GPU measured just before the run, so dynamic (above idle) energy can be shown."""
    seconds: float
    power_w: dict[int, float | None]  # mean instant power (else the 1 s average) per GPU index
    method: dict[int, str | None]  # "power_instant" | "power_avg" | None


@dataclass(frozen=True)
class WindowSummary:
    """What the sampler measured over the timed window (mark_window_start .. mark_window_end).

    gpu_energy_method per GPU: "counter" (measured, NVML total-energy counter), or, where the counter
    is unsupported, "integrated-instant-power" / "integrated-average-power" (estimated)."""
    window_s: float | None
    gpu_energy_j: dict[int, float | None]
    gpu_energy_method: dict[int, str | None]
    gpu_dynamic_energy_j: dict[int, float | None]  # energy above gpu_idle_power_w x window_s
    gpu_idle_power_w: dict[int, float | None]
    gpu_power_mean_w: dict[int, float | None]  # energy / window where the counter works, else sample mean
    gpu_power_max_w: dict[int, float | None]  # highest instant (else average) power sampled
    gpu_temperature_start_c: dict[int, float | None]
    gpu_temperature_max_c: dict[int, float | None]
    cpu_energy_j: float | None  # RAPL package, all sockets
    cpu_dram_energy_j: float | None  # RAPL DRAM
    host_peak_rss_bytes: int | None
    quality: list[str]
    unavailable: dict[str, str]
    sampler_ticks: int = 0
    sampler_missed_ticks: int = 0  # schedule slots skipped because a tick ran late
    sampler_cpu_s: float | None = None  # CPU time of the sampler: its whole process (default), or its thread
    sampler_wall_s: float | None = None  # how long it sampled (cpu_s / wall_s: its share of a core)
