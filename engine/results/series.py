"""The time series of a run (RunResult.series, docs/ARCHITECTURE.md "The run result") and the pieces
of a result that need no torch: run ids and quantiles. The series is gathered from the same events
the GUI receives and downsampled to at most MAX_POINTS per group. Its JSON layout is one object per
group, each a set of equal-length columns: {"steps": {"t_s": [...], ...}, "gpu0": {...}, "host": {...}}.
"""
from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from engine.run.events import StepMetrics
from hw.samples import GpuSample, HostSample

MAX_POINTS = 2000
Column = list[int | float | None]
Flags = list[bool | None]


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid")
    t_s: list[float] = Field(default_factory=list)  # run clock: the timed window starts at 0

    def columns(self) -> dict[str, list[Any]]:
        """Every column that holds data, by name."""
        return {k: v for k, v in self.__dict__.items() if v}


class StepSeries(_Group):
    samples: Column = Field(default_factory=list)
    throughput_sps: Column = Field(default_factory=list)
    step_time_p50_s: Column = Field(default_factory=list)
    step_time_p99_s: Column = Field(default_factory=list)
    loss: Column = Field(default_factory=list)
    accuracy: Column = Field(default_factory=list)
    gpu_mem_allocated_bytes: Column = Field(default_factory=list)
    gpu_mem_reserved_bytes: Column = Field(default_factory=list)


class GpuSeries(_Group):
    power_instant_w: Column = Field(default_factory=list)
    power_avg_w: Column = Field(default_factory=list)
    energy_j: Column = Field(default_factory=list)
    energy_per_sample_j: Column = Field(default_factory=list)  # since the window began
    mem_used_bytes: Column = Field(default_factory=list)
    util_gpu_pct: Column = Field(default_factory=list)
    util_mem_pct: Column = Field(default_factory=list)
    sm_clock_hz: Column = Field(default_factory=list)
    mem_clock_hz: Column = Field(default_factory=list)
    temperature_c: Column = Field(default_factory=list)
    throttle_power: Flags = Field(default_factory=list)
    throttle_thermal: Flags = Field(default_factory=list)


class HostSeries(_Group):
    cpu_util_pct: Column = Field(default_factory=list)
    process_rss_bytes: Column = Field(default_factory=list)
    system_mem_used_bytes: Column = Field(default_factory=list)
    rapl_package_energy_j: Column = Field(default_factory=list)
    rapl_dram_energy_j: Column = Field(default_factory=list)
    energy_per_sample_j: Column = Field(default_factory=list)  # RAPL package, since the window began


STEP_KEYS = ("throughput_sps", "step_time_p50_s", "step_time_p99_s", "loss", "accuracy",
             "gpu_mem_allocated_bytes", "gpu_mem_reserved_bytes")  # recorded from StepMetrics (with samples)
GPU_KEYS = ("power_instant_w", "power_avg_w", "energy_j", "mem_used_bytes", "util_gpu_pct", "util_mem_pct",
            "sm_clock_hz", "mem_clock_hz", "temperature_c", "throttle_power", "throttle_thermal")
HOST_KEYS = ("cpu_util_pct", "process_rss_bytes", "system_mem_used_bytes", "rapl_package_energy_j",
             "rapl_dram_energy_j")


def gpu_group(index: int) -> str:
    return f"gpu{index}"


def gpu_index_of(group: str) -> int | None:
    """"gpu3" -> 3; any other name -> None."""
    return int(group[3:]) if group.startswith("gpu") and group[3:].isdigit() else None


class Series(BaseModel):
    """Groups of columns: the steps, each sampled GPU by its CUDA index (gpuN in JSON), the host."""
    model_config = ConfigDict(extra="forbid")
    steps: StepSeries = Field(default_factory=StepSeries)
    gpus: dict[int, GpuSeries] = Field(default_factory=dict)
    host: HostSeries = Field(default_factory=HostSeries)

    @model_validator(mode="before")
    @classmethod
    def _gather_gpus(cls, data: Any) -> Any:
        if isinstance(data, dict) and "gpus" not in data:
            data = dict(data)
            gpus = {gpu_index_of(k): data.pop(k) for k in [k for k in data if isinstance(k, str) and
                                                          gpu_index_of(k) is not None]}
            data["gpus"] = gpus
        return data

    @model_serializer(mode="wrap")
    def _flat(self, handler: Any) -> dict[str, Any]:
        out = handler(self)
        gpus = out.pop("gpus", {})
        return {"steps": out["steps"], **{gpu_group(int(i)): g for i, g in sorted(gpus.items(), key=lambda x: int(x[0]))},
                "host": out["host"]}

    def group(self, name: str) -> _Group | None:
        """A group by its JSON name ("steps", "host", "gpuN"), or None."""
        if name in ("steps", "host"):
            return getattr(self, name)
        index = gpu_index_of(name)
        return self.gpus.get(index) if index is not None else None

    def groups(self) -> dict[str, _Group]:
        """Every group by its JSON name, in the stored order."""
        return {"steps": self.steps, **{gpu_group(i): g for i, g in sorted(self.gpus.items())}, "host": self.host}

    def is_empty(self) -> bool:
        return not any(g.t_s for g in self.groups().values())


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
        self.steps: dict[str, list[Any]] = {"t_s": [], "samples": [], **{k: [] for k in STEP_KEYS}}
        self.gpus: dict[int, dict[str, list[Any]]] = {}
        self.host: dict[str, list[Any]] = {"t_s": [], **{k: [] for k in HOST_KEYS}}

    def add_step(self, m: StepMetrics) -> None:
        self.steps["t_s"].append(m.t_s)
        self.steps["samples"].append(m.samples)
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

    def to_series(self) -> Series:
        return Series(steps=StepSeries(**downsample(self.steps)),
                      gpus={i: GpuSeries(**downsample(col)) for i, col in sorted(self.gpus.items())},
                      host=HostSeries(**downsample(self.host)))


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
