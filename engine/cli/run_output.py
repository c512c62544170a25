"""What `run` prints: live progress (rich on a terminal, plain periodic lines otherwise) and the
summary at the end. Torch-free."""
from __future__ import annotations

import time
from typing import Any, TextIO

from engine import format as f
from engine.cli.safe_output import raw_stream
from engine.results.levers import lever_rows
from engine.run.events import PhaseChanged, RunStarted, StepMetrics

PLAIN_EVERY_S = 2.0


class Progress:
    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._live: Any = None
        self._terminal = hasattr(out, "isatty") and out.isatty()
        self._last_plain = 0.0
        self._total_steps: int | None = None
        self._total_s: float | None = None
        self._phase = "starting"

    def on_event(self, event: Any) -> None:
        if isinstance(event, RunStarted):
            self._total_steps, self._total_s = event.total_steps, event.total_seconds
            self._line(f"{event.network_name} on {event.device_name} (run {event.run_id})", force=True)
        elif isinstance(event, PhaseChanged) and event.phase != "done":
            self._phase = event.phase
            self._update(f"{event.phase}…", None)
        elif isinstance(event, StepMetrics):
            self._update(self._describe(event), event)

    def _describe(self, m: StepMetrics) -> str:
        """One compact line (fits 80 columns beside the bar for typical figures)."""
        total = f"/{self._total_steps:,}" if self._total_steps else ""
        parts = [f"step {m.step:,}{total}", f"{f.fixed(m.throughput_sps)} samples/s",
                 f"p50 {f.seconds(m.step_time_p50_s)}"]
        if m.loss is not None:
            parts.append(f"loss {m.loss:.3f}")
        if m.accuracy is not None:
            parts.append(f"acc {f.pct(m.accuracy)}")
        clock = f"{f.clock(m.elapsed_s)} elapsed"
        if m.remaining_s is not None:
            clock += f", {f.clock(m.remaining_s)} left"
        parts.append(clock)
        return "  ".join(parts)

    def _update(self, text: str, m: StepMetrics | None) -> None:
        if not self._terminal:
            self._line(text, force=m is None)
            return
        from rich.markup import escape  # a name like "[red]x" is text, not rich markup
        if self._live is None:
            from rich.console import Console
            from rich.progress import Progress as RichProgress
            from rich.progress import TextColumn
            # Text only: a bar would push the figures past 80 columns; the percentage says as much.
            self._live = RichProgress(TextColumn("{task.description}"),
                                      console=Console(file=raw_stream(self._out)), transient=True, refresh_per_second=8)
            self._live.start()
            self._task = self._live.add_task(escape(f.plain(text)), total=1.0, completed=0)
        done = 0.0
        if m is not None:
            done = m.step / self._total_steps if self._total_steps else \
                (m.elapsed_s / self._total_s if self._total_s else 0.0)
        # rich writes to the raw stream (its escape codes are wanted), so the text is made plain here
        self._live.update(self._task, description=escape(f.plain(f"{min(done, 1.0):4.0%}  {text}")),
                          completed=min(done, 1.0))

    def _line(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_plain >= PLAIN_EVERY_S:
            self._last_plain = now
            print(text, file=self._out, flush=True)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def summary_lines(r: Any) -> list[str]:
    cfg, hw, why = r.config, r.hardware, r.unavailable
    lens = ["channels-last" if cfg.channels_last else "", f"compile {cfg.compile}" if cfg.compile else "",
            f"prune {cfg.prune}" if cfg.prune else "", "CUDA graph" if cfg.cuda_graph else "",
            f"conv {cfg.conv_algo}" if cfg.conv_algo != "library" else "",
            f"onnxruntime {r.runtime.provider}" if r.runtime else "", "binarized" if getattr(cfg, "binarize", False) else ""]
    levers = ", ".join(x for x in lens if x) or "no levers"
    lines = [f"{r.network.name} · {cfg.device} ({hw.device_name or '?'}) · {cfg.precision} · "
             f"batch {cfg.batch} · {cfg.mode} · {cfg.dataset} · {levers}",
             f"  status       {r.status}" + (f": {r.error}" if r.error else "")]
    if r.disturbed:
        lines.append("  DISTURBED    other work shared the machine during the timed window: " + "; ".join(
            q for q in r.quality if any(d in q for d in DISTURBANCES)))

    def row(label: str, text: str, key: str | None = None) -> None:
        if key and text.strip(f.MISSING + " ") == "" and key in why:
            text = f"unavailable ({why[key]})"
        lines.append(f"  {label:<12} {text}")

    iv = r.intervals
    row("throughput", f"{f.fixed(r.throughput_sps)} samples/s  ({r.steps:,} steps, {r.samples:,} samples "
        f"in {f.seconds(r.measured_s)})" if r.throughput_sps else f.MISSING, "throughput_sps")
    if iv.throughput_sps is not None:
        row("", f"median {interval_text(iv.throughput_sps, f.fixed, ' samples/s')}")
    st = r.step_time_s
    row("step time", f"p50 {f.seconds(st.p50)} · p90 {f.seconds(st.p90)} · p99 {f.seconds(st.p99)}"
        if st.p50 is not None else f.MISSING, "step_time_s")
    if iv.step_time_s is not None:
        row("", f"p50 median {interval_text(iv.step_time_s, f.seconds)}")
    row("loss", f"{r.loss:.4f}" if r.loss is not None else f.MISSING, "loss")
    row("accuracy", f"{f.pct(r.accuracy)} (held-out)" if r.accuracy is not None else f.MISSING, "accuracy")
    if r.weights_used:  # what the accuracy (and int8's calibration) rests on
        row("weights", f"started from {r.config.weights or r.weights_used}"
            + (f" ({r.weights_used})" if r.config.weights and r.config.weights != r.weights_used else ""))
    if r.weights_file:
        row("kept", f"trained weights in {r.weights_file} (use with --weights {r.run_id})")
    lines.extend(f"  {label:<12} {text}" for label, text in lever_rows(r))  # pruning, int8
    e = r.energy_j
    if e.gpu is not None:
        kind = "measured" if e.gpu_method == "counter" else f"estimated, {e.gpu_method}"
        row("GPU energy", f"{f.energy(e.gpu)} ({kind}) · {f.energy(r.energy_per_sample_j.total)}/sample"
            + (f" · above idle {f.energy(r.energy_per_sample_j.dynamic)}/sample"
               if r.energy_per_sample_j.dynamic is not None else ""))
        p = r.power_w
        row("GPU power", f"mean {f.fixed(p.gpu_mean, 0, 'W')} · max {f.fixed(p.gpu_max, 0, 'W')} · "
            f"idle {f.fixed(p.gpu_idle, 0, 'W')}")
    elif r.on_gpu:
        row("GPU energy", f.MISSING, "energy_j.gpu")
    cpu_kind = {"rapl": "measured, RAPL", "estimated": f"estimated from TDP, {e.cpu_tdp_source}"}.get(
        e.cpu_method or "", "")
    row("CPU energy", f.energy(e.cpu) + (f" ({cpu_kind})" if e.cpu is not None and cpu_kind else ""), "energy_j.cpu")
    eps = r.energy_per_sample_j
    if eps.source == "cpu" and eps.total is not None:
        row("per sample", f"{f.energy(eps.total)} ({eps.method})" + (
            f" · median {interval_text(iv.energy_per_sample_j, f.energy)}" if iv.energy_per_sample_j else ""))
    elif eps.source == "gpu" and iv.energy_per_sample_j is not None:
        row("per sample", f"median {interval_text(iv.energy_per_sample_j, f.energy)}")
    if e.window_note:
        row("", e.window_note)
    m = r.memory_bytes
    if m.gpu_peak_allocated is not None:
        row("GPU memory", f"peak {f.byte_size(m.gpu_peak_allocated)} allocated · {f.byte_size(m.gpu_peak_reserved)} reserved")
    row("host memory", f"peak RSS {f.byte_size(m.host_peak_rss)}" if m.host_peak_rss else f.MISSING,
        "memory_bytes.host_peak_rss")
    c = r.compile
    if c is not None:
        row("compile", f"{c.graphs} graph(s) · {c.graph_breaks} graph break(s) · {c.recompiles} recompile(s) · "
            f"{f.seconds(c.compile_s)} compiling" + (" (outside the timed window)" if not c.in_window else
                                                      f" ({c.in_window} in the timed window)"))
    from engine.cli.run_parallel import summary_lines as parallel_lines
    lines += parallel_lines(r)
    for q in r.quality:
        lines.append(f"  ! {q}")
    return lines


DISTURBANCES = ("machine busy", "CPU steal", "memory pressure", "GPU shared")


def interval_text(iv: Any, fmt: Any, unit: str = "") -> str:
    """'1,413 samples/s (95 % interval 1,210–1,602, 10 windows)'."""
    over = "windows" if iv.over == "windows" else "runs"
    return f"{fmt(iv.median)}{unit} (95 % interval {fmt(iv.low)}–{fmt(iv.high)}, {iv.windows} {over})"


def print_summary(result: Any, notes: list[str], out: TextIO) -> None:
    for line in summary_lines(result):
        print(line, file=out)
    for note in notes:
        print(f"  {note}", file=out)
    out.flush()
