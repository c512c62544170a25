"""Which live charts exist, what each draws, and why one may be unavailable. No Qt: testable alone.

A curve names a group of RunResult.series ("steps", "host", or "gpu" = the run's GPU) and a field.
A chart draws its curves as traces (`ChartContext.traces`): one per curve for a run on one device; in a
job over several GPUs, each GPU curve becomes one trace per GPU ("GPU 1 · rank 1", a colour each).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from gui.run.live_data import LiveRun
from hw.samples import Availability

if TYPE_CHECKING:
    from engine.results import RunResult
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
    per_gpu: bool = True  # several GPUs: drawn once per GPU; False: left out (a second view of a GPU curve)


@dataclass(frozen=True)
class Trace:
    """One line a chart draws: a curve read from one group (a GPU's, for a GPU curve)."""
    curve: Curve
    group: str  # steps | host | gpuN
    name: str  # its legend entry
    color: str
    dashed: bool = False
    short: str = ""  # its legend entry where space is tight ("GPU 3"); "" = the name

    @property
    def key(self) -> tuple[str, str]:
        return self.group, self.curve.field


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
# One colour per GPU of a several-GPU job (matplotlib's tab10 order, told apart in print and by most
# colour-blind readers for the first few).
GPU_COLORS = (BLUE, ORANGE, GREEN, RED, PURPLE, BROWN, "#e377c2", GREY, "#bcbd22", "#17becf")

CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("throughput", "Throughput", "samples/s",
              (Curve("steps", "throughput_sps", "samples/s", BLUE),), si_prefix=True),  # 100,000 samples/s would not fit the axis
    ChartSpec("latency", "Step latency", "s",
              (Curve("steps", "step_time_p50_s", "p50", BLUE), Curve("steps", "step_time_p99_s", "p99", RED))),
    ChartSpec("power", "GPU power", "W",
              (Curve("gpu", "power_instant_w", "instant", ORANGE, keywords=("power_instant", "power")),
               Curve("gpu", "power_avg_w", "1 s avg", BROWN, dashed=True, keywords=("power_avg", "power"), per_gpu=False)),
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
    # A job over several GPUs: (CUDA index, legend label, short label) of each, in rank order; () for one device.
    gpus: tuple[tuple[int, str, str], ...] = ()
    # A job over several machines: how many besides node 0, whose GPUs the charts do not draw (each
    # machine's telemetry is keyed by its own CUDA indices; the card's rank lines have their figures).
    other_nodes: int = 0

    @classmethod
    def for_device(cls, device: str, mode: str = "train", sample_hz: float = 10.0, **kw) -> ChartContext:
        gpu = None if device == "cpu" else int(device[5:]) if device.startswith("cuda:") else 0
        devices = kw.pop("devices", None) or ()
        kw.setdefault("gpus", job_gpus([(rank, d) for rank, d in enumerate(devices)]))
        return cls(gpu_index=gpu, mode=mode, sample_hz=sample_hz, **kw)

    @classmethod
    def from_config(cls, config: RunConfig, **kw) -> ChartContext:
        kw.setdefault("other_nodes", max(0, config.nnodes - 1))
        return cls.for_device(config.device, config.mode, config.sample_hz, devices=config.devices, **kw)

    @classmethod
    def from_result(cls, result: RunResult, **kw) -> ChartContext:
        """A stored run: its GPUs from its ranks (`devices`), else from its configuration."""
        kw.setdefault("finished", True)
        kw.setdefault("notes", dict(result.unavailable))
        if result.parallel is not None:
            kw.setdefault("other_nodes", max(0, result.parallel.nodes - 1))
        ctx = cls.from_config(result.config, **kw)
        if result.devices and "gpus" not in kw:
            ctx.gpus = job_gpus([(d.rank, d.device) for d in result.devices if d.node == 0])
        return ctx

    @property
    def multi_gpu(self) -> bool:
        return len(self.gpus) > 1

    def node_note(self) -> str | None:
        """What the GPU charts leave out of a job over several machines, or None."""
        if not self.other_nodes or self.gpu_index is None:
            return None
        others = "machine's" if self.other_nodes == 1 else f"{self.other_nodes} machines'"
        return (f"the GPU charts draw node 0's GPUs only; the other {others} GPUs are in the summary card's "
                f"rank lines")

    def group(self, curve: Curve) -> str:
        return f"gpu{self.gpu_index}" if curve.group == "gpu" else curve.group

    def traces(self, chart: ChartSpec) -> list[Trace]:
        """What the chart draws in this run: its curves, each GPU curve once per GPU of a several-GPU
        job. There a GPU chart leaves out one process's own counters (the steps' allocator figures are
        rank 0's) and second views of a GPU curve (the 1 s power average): one line per GPU stays legible."""
        if not self.multi_gpu:
            return [Trace(c, self.group(c), c.name, c.color, c.dashed) for c in chart.curves]
        out = []
        for c in chart.curves:
            if c.group != "gpu":
                if not (chart.needs == "gpu" and c.group == "steps"):
                    out.append(Trace(c, c.group, c.name, c.color, c.dashed))
            elif c.per_gpu:
                out.extend(Trace(c, f"gpu{index}", label, GPU_COLORS[k % len(GPU_COLORS)], c.dashed, short)
                           for k, (index, label, short) in enumerate(self.gpus))
        return out


def job_gpus(ranks: list[tuple[int, str]]) -> tuple[tuple[int, str, str], ...]:
    """(rank, device) of a job's processes -> (CUDA index, "GPU 1 · rank 1", "GPU 1") of each GPU it used,
    in rank order; () unless two or more GPUs (one GPU shared by several ranks is drawn as one run's GPU)."""
    by_index: dict[int, list[int]] = {}
    for rank, device in sorted(ranks):
        if device.startswith("cuda"):
            index = int(device[5:]) if device[5:].isdigit() else 0
            by_index.setdefault(index, []).append(rank)
    if len(by_index) < 2:
        return ()
    return tuple((index, f"GPU {index} · rank{'s' if len(r) > 1 else ''} {', '.join(map(str, r))}", f"GPU {index}")
                 for index, r in by_index.items())


def curve_reason(curve: Curve, ctx: ChartContext, live: LiveRun, group: str | None = None) -> str | None:
    """Why a curve (read from `group`, default the run's) has nothing to draw, or None when it has data
    (or may still get some)."""
    if curve.group == "gpu" and ctx.gpu_index is None:
        return "No GPU in this run: it runs on the CPU."
    telemetry = curve.group != "steps"
    if telemetry and ctx.sample_hz == 0:
        return "Telemetry is off (sample rate 0 Hz)."
    ring = live.ring(group or ctx.group(curve))
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


# No curves over time in an inference run; its held-out accuracy (a data set with held-out images) is
# measured once, after the timed window, and shown in the summary.
INFER_REASON = "Inference run: no training curves; a real data set's held-out accuracy is measured once, at the end (in the summary)."


def never_fills(chart: ChartSpec, ctx: ChartContext, live: LiveRun) -> str | None:
    """Why this chart stays empty for the whole run (GPU charts of a CPU run, loss of an inference
    run, a sensor this machine lacks, any empty chart of a finished run), else None. Such a chart is
    folded into one line instead of taking a slot of the grid."""
    if chart.needs == "gpu" and ctx.gpu_index is None:
        return "No GPU in this run: it runs on the CPU."
    if chart.needs == "train" and ctx.mode != "train":
        return INFER_REASON
    if ctx.finished:
        return chart_reason(chart, ctx, live)
    reasons = [_lasting_reason(t.curve, ctx) for t in ctx.traces(chart)]
    if all(reasons):
        return " ".join(dict.fromkeys(_sentence(r) for r in reasons if r))
    return None


def chart_reason(chart: ChartSpec, ctx: ChartContext, live: LiveRun) -> str | None:
    """Why the whole chart is empty (every curve unavailable), else None."""
    if chart.needs == "gpu" and ctx.gpu_index is None:
        return "No GPU in this run: it runs on the CPU."
    if chart.needs == "train" and ctx.mode != "train":
        return INFER_REASON
    reasons = [curve_reason(t.curve, ctx, live, t.group) for t in ctx.traces(chart)]
    if all(reasons):
        # one reason per distinct cause, the GPU's first
        return " ".join(dict.fromkeys(_sentence(r) for r in reasons if r))
    return None


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ")")) else text + "."
