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
