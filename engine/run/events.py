"""Typed events a run emits: frozen dataclasses, picklable, torch-free.

The run loop calls `on_event(event)`; the CLI prints them, the GUI's worker puts them on a queue.
"""
from __future__ import annotations

from dataclasses import dataclass

from hw.samples import Availability, GpuSample, HostSample


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    network_name: str
    device_name: str
    config_json: str  # RunConfig.model_dump_json()
    total_steps: int | None  # when the run is step-limited
    total_seconds: float | None  # when the run is time-limited
    availability: tuple[Availability, ...] = ()


@dataclass(frozen=True)
class PhaseChanged:
    """idle-baseline -> warmup -> timed -> done; lets the GUI label what it shows."""
    t_s: float
    phase: str


@dataclass(frozen=True)
class StepMetrics:
    """Sent every few timed steps (not every step), covering the steps since the previous one."""
    t_s: float  # run clock, seconds since the timed window began (negative in warm-up)
    step: int  # timed steps done so far
    samples: int  # timed samples done so far
    throughput_sps: float  # over the steps this message covers
    step_time_p50_s: float | None  # over a moving window of recent steps
    step_time_p99_s: float | None
    loss: float | None = None
    accuracy: float | None = None  # held-out accuracy, when last evaluated
    gpu_mem_allocated_bytes: int | None = None
    gpu_mem_reserved_bytes: int | None = None
    elapsed_s: float = 0.0
    remaining_s: float | None = None


@dataclass(frozen=True)
class TelemetryBatch:
    """Telemetry samples gathered since the previous batch (the sampler runs at ~10 Hz)."""
    gpu: tuple[GpuSample, ...] = ()
    host: tuple[HostSample, ...] = ()


@dataclass(frozen=True)
class RunFinished:
    """The run ended (any status). result_json is the full RunResult, as stored."""
    run_id: str
    status: str  # ok | oom | failed | cancelled
    result_json: str


Event = RunStarted | PhaseChanged | StepMetrics | TelemetryBatch | RunFinished
