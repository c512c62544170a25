"""Which live charts exist, what each draws, and why one may be unavailable. No Qt: testable alone.

A curve names a group of RunResult.series ("steps", "host", or "gpu" = the run's GPU) and a field.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from gui.run.live_data import LiveRun
from hw.samples import Availability

if TYPE_CHECKING:
    from engine.run import RunConfig


@dataclass(frozen=True)
class Curve:
    group: str  # steps | gpu | host
    field: str
    name: str
    color: str
    dashed: bool = False
    keywords: tuple[str, ...] = ()  # telemetry sources (Availability.source) that feed it
    hold: bool = False  # reported now and then (accuracy): draw the last value until the next one


# Titles and curve names are short: a chart is ~290 px wide in a 1280 px window, and a title that
# does not fit is clipped on the right (the hover readout adds each curve's value to it).
@dataclass(frozen=True)
class ChartSpec:
    key: str
    title: str
    units: str  # shown on the y axis; SI-prefixed when si_prefix
    curves: tuple[Curve, ...]
    si_prefix: bool = True
    scale: float = 1.0  # drawn value = stored value * scale (fraction -> %)
    needs: str | None = None  # "gpu": GPU runs only; "train": training only


BLUE, ORANGE, GREEN, RED, PURPLE, BROWN, GREY = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                                  "#8c564b", "#7f7f7f")

CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("throughput", "Throughput", "samples/s",
              (Curve("steps", "throughput_sps", "samples/s", BLUE),), si_prefix=True),  # 100,000 samples/s would not fit the axis
    ChartSpec("latency", "Step latency", "s",
              (Curve("steps", "step_time_p50_s", "p50", BLUE), Curve("steps", "step_time_p99_s", "p99", RED))),
    ChartSpec("power", "GPU power", "W",
              (Curve("gpu", "power_instant_w", "instant", ORANGE, keywords=("power_instant", "power")),
               Curve("gpu", "power_avg_w", "1 s avg", BROWN, dashed=True, keywords=("power_avg", "power"))),
              needs="gpu"),
    ChartSpec("energy", "Energy per sample", "J",
              (Curve("gpu", "energy_per_sample_j", "GPU", ORANGE, keywords=("energy", "power")),
               Curve("host", "energy_per_sample_j", "CPU (RAPL)", PURPLE, keywords=("rapl",)))),
    ChartSpec("gpu_memory", "GPU memory", "B",
              (Curve("steps", "gpu_mem_allocated_bytes", "alloc", BLUE),
               Curve("steps", "gpu_mem_reserved_bytes", "reserved", GREEN, dashed=True),
               Curve("gpu", "mem_used_bytes", "NVML", GREY, keywords=("mem",))), needs="gpu"),
    ChartSpec("host_memory", "Host memory", "B",
              (Curve("host", "process_rss_bytes", "process RSS", PURPLE, keywords=("rss", "process")),)),
    ChartSpec("gpu_util", "GPU utilisation", "%",
              (Curve("gpu", "util_gpu_pct", "busy", GREEN, keywords=("util",)),), si_prefix=False, needs="gpu"),
    ChartSpec("sm_clock", "SM clock", "Hz",
              (Curve("gpu", "sm_clock_hz", "SM", BLUE, keywords=("clock",)),), needs="gpu"),
    ChartSpec("temperature", "GPU temperature", "°C",
              (Curve("gpu", "temperature_c", "core", RED, keywords=("temp",)),), si_prefix=False, needs="gpu"),
    ChartSpec("cpu_util", "CPU utilisation (machine)", "%",
              (Curve("host", "cpu_util_pct", "all cores", PURPLE, keywords=("cpu_util", "cpu")),), si_prefix=False),
    ChartSpec("loss", "Training loss", "",
              (Curve("steps", "loss", "loss", RED),), si_prefix=False, needs="train"),
    ChartSpec("accuracy", "Held-out accuracy", "%",
              (Curve("steps", "accuracy", "accuracy", GREEN, hold=True),), si_prefix=False, scale=100.0, needs="train"),
)


@dataclass
class ChartContext:
    """What the charts need to know about the run beyond its numbers."""
    gpu_index: int | None = None  # None: a CPU run
    mode: str = "train"
    sample_hz: float = 10.0
    availability: tuple[Availability, ...] = ()
    finished: bool = False
    elapsed_s: float = 0.0  # how long data has been flowing (to tell "waiting" from "none came")
    notes: dict[str, str] = field(default_factory=dict)  # RunResult.unavailable of a stored run

    @classmethod
    def from_config(cls, config: RunConfig, **kw) -> ChartContext:
        return cls.for_device(config.device, config.mode, config.sample_hz, **kw)

    @classmethod
    def for_device(cls, device: str, mode: str = "train", sample_hz: float = 10.0, **kw) -> ChartContext:
        gpu = None if device == "cpu" else int(device[5:]) if device.startswith("cuda:") else 0
        return cls(gpu_index=gpu, mode=mode, sample_hz=sample_hz, **kw)

    def group(self, curve: Curve) -> str:
        return f"gpu{self.gpu_index}" if curve.group == "gpu" else curve.group


def curve_reason(curve: Curve, ctx: ChartContext, live: LiveRun) -> str | None:
    """Why a curve has nothing to draw, or None when it has data (or may still get some)."""
    if curve.group == "gpu" and ctx.gpu_index is None:
        return "No GPU in this run: it runs on the CPU."
    telemetry = curve.group != "steps"
    if telemetry and ctx.sample_hz == 0:
        return "Telemetry is off (sample rate 0 Hz)."
    ring = live.ring(ctx.group(curve))
    has_data = ring is not None and len(ring) and bool(np.isfinite(ring.view(curve.field)).any())
    if has_data:
        return None
    for a in ctx.availability:
        source = a.source.lower()
        on_gpu = source.startswith(("gpu", "nvml"))
        if not a.available and (on_gpu == (curve.group == "gpu")) and any(k in source for k in curve.keywords):
            return a.reason or f"{a.source} is not available here."
    for key, reason in ctx.notes.items():
        if key.lower() in (curve.field, curve.group) or any(k in key.lower() for k in curve.keywords):
            return reason
    if curve.field == "energy_per_sample_j" and curve.group == "host":
        return "CPU energy needs RAPL (/sys/class/powercap), which is not readable here."
    if ring is not None and len(ring) and (ctx.finished or ctx.elapsed_s > 5):
        return f"No readings: the run reported no {curve.name} values."
    if ctx.finished and (ring is None or not len(ring)):
        return "The run ended before any readings arrived."
    return None


def _lasting_reason(curve: Curve, ctx: ChartContext) -> str | None:
    """Why a curve can get no data in this run whatever happens next (not "no data yet"), or None."""
    if curve.group == "gpu" and ctx.gpu_index is None:
        return "No GPU in this run: it runs on the CPU."
    if curve.group != "steps" and ctx.sample_hz == 0:
        return "Telemetry is off (sample rate 0 Hz)."
    for a in ctx.availability:
        source = a.source.lower()
        on_gpu = source.startswith(("gpu", "nvml"))
        if not a.available and (on_gpu == (curve.group == "gpu")) and any(k in source for k in curve.keywords):
            return a.reason or f"{a.source} is not available here."
    return None


def never_fills(chart: ChartSpec, ctx: ChartContext, live: LiveRun) -> str | None:
    """Why this chart stays empty for the whole run (GPU charts of a CPU run, loss of an inference
    run, a sensor this machine lacks, any empty chart of a finished run), else None. Such a chart is
    folded into one line instead of taking a slot of the grid."""
    if chart.needs == "gpu" and ctx.gpu_index is None:
        return "No GPU in this run: it runs on the CPU."
    if chart.needs == "train" and ctx.mode != "train":
        return "Inference run: loss and accuracy are measured when training."
    if ctx.finished:
        return chart_reason(chart, ctx, live)
    reasons = [_lasting_reason(c, ctx) for c in chart.curves]
    if all(reasons):
        return " ".join(dict.fromkeys(_sentence(r) for r in reasons if r))
    return None


def chart_reason(chart: ChartSpec, ctx: ChartContext, live: LiveRun) -> str | None:
    """Why the whole chart is empty (every curve unavailable), else None."""
    if chart.needs == "gpu" and ctx.gpu_index is None:
        return "No GPU in this run: it runs on the CPU."
    if chart.needs == "train" and ctx.mode != "train":
        return "Inference run: loss and accuracy are measured when training."
    reasons = [curve_reason(c, ctx, live) for c in chart.curves]
    if all(reasons):
        # one reason per distinct cause, the GPU's first
        return " ".join(dict.fromkeys(_sentence(r) for r in reasons if r))
    return None


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ")")) else text + "."
