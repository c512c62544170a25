"""RunResult: the stored outcome of one run. Keys are a contract."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["ok", "oom", "failed", "cancelled"]


class StepTimes(BaseModel):
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None


class NetworkSummary(BaseModel):
    name: str
    params: int
    flops_per_sample: int
    spec: dict[str, Any] | None = None  # the whole spec, so a report can draw its layer table


class Energy(BaseModel):
    gpu: float | None = None  # J over the timed window (total)
    cpu: float | None = None  # J (RAPL), only where readable
    gpu_dynamic: float | None = None  # J above the idle baseline
    gpu_method: str | None = None  # "counter" (measured) | "integrated-instant-power" (estimated)


class EnergyPerSample(BaseModel):
    total: float | None = None
    dynamic: float | None = None


class Power(BaseModel):
    gpu_mean: float | None = None
    gpu_max: float | None = None
    gpu_idle: float | None = None


class Memory(BaseModel):
    gpu_peak_allocated: int | None = None
    gpu_peak_reserved: int | None = None
    host_peak_rss: int | None = None


class RunResult(BaseModel):
    model_config = ConfigDict(extra="allow")
    version: int = 1
    run_id: str
    created_at: str  # ISO 8601 UTC
    status: Status
    error: str | None = None
    network: NetworkSummary
    config: dict[str, Any]
    hardware: dict[str, Any] = Field(default_factory=dict)  # device_name, driver, torch, cuda, cpu_model, host
    throughput_sps: float | None = None
    step_time_s: StepTimes = Field(default_factory=StepTimes)
    energy_j: Energy = Field(default_factory=Energy)
    energy_per_sample_j: EnergyPerSample = Field(default_factory=EnergyPerSample)
    power_w: Power = Field(default_factory=Power)
    memory_bytes: Memory = Field(default_factory=Memory)
    loss: float | None = None
    accuracy: float | None = None
    steps: int = 0
    samples: int = 0
    measured_s: float | None = None
    quality: list[str] = Field(default_factory=list)
    unavailable: dict[str, str] = Field(default_factory=dict)
    series: dict[str, Any] = Field(default_factory=dict)  # {"t_s": [...], "<metric>": [...]} per group
