"""Pieces of a RunResult that need no torch: run ids, step-time percentiles and the time series
(docs/ARCHITECTURE.md "The run result"), gathered from the same events the GUI receives and downsampled to
at most MAX_POINTS per group.
"""
from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from engine.results.result import StepTimes
from engine.run.events import StepMetrics
from hw.samples import GpuSample, HostSample

MAX_POINTS = 2000
STEP_KEYS = ("throughput_sps", "step_time_p50_s", "step_time_p99_s", "loss", "accuracy",
             "gpu_mem_allocated_bytes", "gpu_mem_reserved_bytes")
GPU_KEYS = ("power_instant_w", "power_avg_w", "energy_j", "mem_used_bytes", "util_gpu_pct", "util_mem_pct",
            "sm_clock_hz", "mem_clock_hz", "temperature_c", "throttle_power", "throttle_thermal")
HOST_KEYS = ("cpu_util_pct", "process_rss_bytes", "system_mem_used_bytes", "rapl_package_energy_j",
             "rapl_dram_energy_j")


def new_run_id() -> str:
    """Sortable by time, unique enough across machines: 20261126-081502-3fa9c1."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def quantile(sorted_values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks (numpy's default), on sorted data."""
    n = len(sorted_values)
    if n == 0:
        return None
    pos = q * (n - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def step_time_percentiles(step_times_s: Sequence[float]) -> StepTimes:
    s = sorted(step_times_s)
    return StepTimes(p50=quantile(s, 0.5), p90=quantile(s, 0.9), p99=quantile(s, 0.99))


def downsample(group: dict[str, list[Any]], max_points: int = MAX_POINTS) -> dict[str, list[Any]]:
    """Keep every k-th point (and the last) of every column, so columns stay aligned."""
    n = len(group.get("t_s", ()))
    if n <= max_points:
        return group
    k = math.ceil(n / (max_points - 1))
    idx = list(range(0, n, k))
    if idx[-1] != n - 1:
        idx.append(n - 1)
    return {key: [col[i] for i in idx] for key, col in group.items()}


class SeriesRecorder:
    """Columns of every live metric. Telemetry arrives on the sampler's clock; `offset_s` (the
    window's start on that clock) moves it onto the run clock, where the timed window starts at 0."""

    def __init__(self) -> None:
        self.steps: dict[str, list[Any]] = {"t_s": [], **{k: [] for k in STEP_KEYS}}
        self.gpus: dict[int, dict[str, list[Any]]] = {}
        self.host: dict[str, list[Any]] = {"t_s": [], **{k: [] for k in HOST_KEYS}}

    def add_step(self, m: StepMetrics) -> None:
        self.steps["t_s"].append(m.t_s)
        for k in STEP_KEYS:
            self.steps[k].append(getattr(m, k))

    def add_telemetry(self, gpu: Sequence[GpuSample], host: Sequence[HostSample]) -> None:
        for s in gpu:
            col = self.gpus.setdefault(s.index, {"t_s": [], **{k: [] for k in GPU_KEYS}})
            col["t_s"].append(s.t_s)
            for k in GPU_KEYS:
                col[k].append(getattr(s, k))
        for h in host:
            self.host["t_s"].append(h.t_s)
            for k in HOST_KEYS:
                self.host[k].append(getattr(h, k))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"steps": downsample(self.steps)}
        for index, col in sorted(self.gpus.items()):
            out[f"gpu{index}"] = downsample(col)
        out["host"] = downsample(self.host)
        return out


def shift_samples(gpu: Sequence[GpuSample], host: Sequence[HostSample], offset_s: float
                  ) -> tuple[tuple[GpuSample, ...], tuple[HostSample, ...]]:
    """Samples with t_s moved by -offset_s (sampler clock -> run clock)."""
    if not offset_s:
        return tuple(gpu), tuple(host)
    return (tuple(_with_t(s, s.t_s - offset_s) for s in gpu), tuple(_with_t(h, h.t_s - offset_s) for h in host))


def _with_t(sample: Any, t_s: float) -> Any:
    values = {f.name: getattr(sample, f.name) for f in fields(sample)}
    values["t_s"] = t_s
    return type(sample)(**values)
