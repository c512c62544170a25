"""Live-chart benchmark: while a spawned worker streams step metrics at 100 Hz and telemetry
at 10 Hz into the Run panel, with an hour of history already in every chart (36,000 points a
series), measure the GUI event loop's stalls, the chart redraw rate, and memory.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_live_charts.py [--seconds 30] [--append]

Targets: event-loop stall max < 50 ms, p99 < 20 ms; redraw >= 20 fps; memory bounded (the ring
buffers are fixed-size, so RSS must not grow with run length). --append adds the numbers to
bench/RESULTS.md. Torch is not involved: the worker is a stand-in that emits engine events at the
real rates, so the numbers are the GUI's alone.
"""
from __future__ import annotations

import argparse
import functools
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HISTORY_POINTS = 36_000  # an hour at 10 Hz
STEP_HZ, TELEMETRY_HZ, BATCH_EVERY_S = 100.0, 10.0, 0.5
TICK_MS = 5  # the stall probe's timer


def stream_worker(seconds: float, spec_json, config_json, events, stop, db_path) -> None:
    """Emits RunStarted, then StepMetrics at 100 Hz and a TelemetryBatch (10 Hz samples) every 0.5 s."""
    import math
    import random

    from engine.run.events import RunFinished, RunStarted, StepMetrics, TelemetryBatch
    from gui.run.replay import make_script
    from hw.samples import GpuSample, HostSample
    rng = random.Random(1)
    result = make_script(kind="gpu", seconds=0.1).result
    events.put(RunStarted(run_id=result.run_id, network_name="lenet", device_name="bench GPU", config_json="{}",
                          total_steps=None, total_seconds=seconds))
    t0 = time.perf_counter()
    step = 0
    next_tel = 0.0
    gpu, host = [], []
    while not stop.is_set():
        t = time.perf_counter() - t0
        if t >= seconds:
            break
        step += 1
        events.put(StepMetrics(t_s=t, step=step, samples=step * 256, throughput_sps=25_000 * (1 + rng.gauss(0, .03)),
                               step_time_p50_s=0.01, step_time_p99_s=0.014, loss=2 * math.exp(-t / 60),
                               accuracy=None, gpu_mem_allocated_bytes=int(1.1e9), gpu_mem_reserved_bytes=int(1.6e9),
                               elapsed_s=t, remaining_s=seconds - t))
        while next_tel <= t:
            gpu.append(GpuSample(t_s=next_tel, index=0, power_instant_w=300 + 20 * rng.random(), power_avg_w=300.0,
                                 energy_j=1e6 + 300 * next_tel, mem_used_bytes=int(2.3e9), util_gpu_pct=97.0,
                                 sm_clock_hz=1.98e9, temperature_c=60.0))
            host.append(HostSample(t_s=next_tel, cpu_util_pct=50.0, process_rss_bytes=int(1.2e9)))
            next_tel += 1 / TELEMETRY_HZ
        if len(host) >= TELEMETRY_HZ * BATCH_EVERY_S:
            events.put(TelemetryBatch(gpu=tuple(gpu), host=tuple(host)))
            gpu, host = [], []
        time.sleep(max(0.0, step / STEP_HZ - (time.perf_counter() - t0)))
    events.put(RunFinished(run_id=result.run_id, status="ok", result_json=result.model_dump_json()))


def prefill(live, points: int) -> None:
    """An hour of history before t=0 in every group the charts draw."""
    from gui.run.live_data import GPU_FIELDS, HOST_FIELDS, STEP_FIELDS
    t = np.linspace(-3600.0, -0.1, points)
    rng = np.random.default_rng(0)

    def cols(fields):
        out = {name: 1.0 + rng.random(points) for name in fields}
        out["t_s"] = t
        return out
    live.steps.extend(cols(STEP_FIELDS))
    live.gpu_ring(0).extend(cols(GPU_FIELDS))
    live.host.extend(cols(HOST_FIELDS))


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def long_run_memory(hours: float = 2.0) -> tuple[int, int, int]:
    """Feed `hours` of events straight into the live buffers: their size must not grow."""
    from engine.run.events import StepMetrics, TelemetryBatch
    from gui.run.live_data import LiveRun
    from hw.samples import GpuSample, HostSample
    live = LiveRun()
    sizes = []
    n_tel = int(hours * 3600 * TELEMETRY_HZ)
    for i in range(n_tel):
        t = i / TELEMETRY_HZ
        live.add_step(StepMetrics(t_s=t, step=i, samples=i * 64, throughput_sps=1000.0, step_time_p50_s=0.01,
                                  step_time_p99_s=0.02))
        if i % 5 == 0:
            live.add_telemetry(TelemetryBatch(gpu=(GpuSample(t_s=t, index=0, power_instant_w=300.0, energy_j=t),),
                                              host=(HostSample(t_s=t, process_rss_bytes=1),)))
        if i in (n_tel // 4, n_tel - 1):
            sizes.append(live.nbytes)
    return sizes[0], sizes[1], n_tel


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--append", action="store_true", help="append the results to bench/RESULTS.md")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    import gui  # noqa: F401 -- applies the PySide6 workaround first
    from gui.run.charts import SLICES
    from gui.run.controller import RunController
    from gui.run.panel import RunPanel
    from tests.gui.static_document import StaticDocument
    app = QApplication(sys.argv)
    rss0 = rss_bytes()
    # What the charts cost the GUI thread per tick (CPU time of redraw + paint), apart from waiting
    # for a core on a busy machine: the stall numbers include that wait, these do not. The paint hook
    # goes in before any view exists: PySide binds a Python override when the C++ object is made.
    import pyqtgraph as pg
    work_ms: list[float] = []
    measuring = [False]
    orig_paint = pg.GraphicsView.paintEvent

    def timed_paint(self, ev):
        c0 = time.thread_time()
        orig_paint(self, ev)
        if measuring[0] and work_ms and ctl.is_active:  # the end-of-run card's relayout is not streaming
            work_ms[-1] += (time.thread_time() - c0) * 1e3
    pg.GraphicsView.paintEvent = timed_paint
    ctl = RunController(target=functools.partial(stream_worker, args.seconds), db_path=None)
    panel = RunPanel(StaticDocument(), controller=ctl, load_inventory=False)
    panel.resize(1600, 1000)
    panel.show()
    app.processEvents()
    panel.options.set_value("seconds", args.seconds)
    panel.start()
    prefill(ctl.live, HISTORY_POINTS)

    class PaintCounter(QObject):
        n = 0

        def eventFilter(self, obj, ev):  # noqa: N802
            if ev.type() == QEvent.Paint:
                PaintCounter.n += 1
            return False
    counter = PaintCounter()
    grid = panel.charts
    orig_redraw = grid.redraw

    def timed_redraw(force=False):
        c0 = time.thread_time()
        orig_redraw(force)
        if measuring[0]:
            work_ms.append((time.thread_time() - c0) * 1e3)

    grid._timer.timeout.disconnect()
    grid._timer.timeout.connect(timed_redraw)
    panel.charts.view.viewport().installEventFilter(counter)
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    busy: list[float] = []  # GUI-thread CPU time within each gap: our own work, not waiting for a core
    last_cpu = [time.thread_time()]

    def tick():
        now, cpu = clock.nsecsElapsed(), time.thread_time()
        if measuring[0]:
            gaps.append((now - last[0]) / 1e6 - TICK_MS)
            busy.append((cpu - last_cpu[0]) * 1e3)
        last[0], last_cpu[0] = now, cpu
    probe = QTimer()
    probe.setTimerType(Qt.PreciseTimer)
    probe.setInterval(TICK_MS)
    probe.timeout.connect(tick)
    probe.start()
    # wait for the worker to start streaming, then measure
    t_wait = time.monotonic()
    while ctl.live.last_step is None and time.monotonic() - t_wait < 60:
        app.processEvents()
        time.sleep(0.002)
    import gc
    gc_ms: list[float] = []
    gc_t0 = [0.0]

    def on_gc(phase, info):
        if phase == "start":
            gc_t0[0] = time.perf_counter()
        elif measuring[0]:
            gc_ms.append((time.perf_counter() - gc_t0[0]) * 1e3)
    gc.callbacks.append(on_gc)
    ctl.finished.connect(lambda _r: measuring.__setitem__(0, False))  # the end-of-run card is not streaming
    frames0, paints0, rss1 = panel.charts.frames, PaintCounter.n, rss_bytes()
    measuring[0] = True
    t0 = time.monotonic()
    rss_samples = []
    while ctl.is_active:
        app.processEvents()
        time.sleep(0.001)
        if not rss_samples or time.monotonic() - t0 > 5 * len(rss_samples):
            rss_samples.append(rss_bytes())
    measuring[0] = False
    wall = time.monotonic() - t0
    gc.callbacks.remove(on_gc)
    fps = (panel.charts.frames - frames0) / wall
    paints = (PaintCounter.n - paints0) / wall
    stalls = np.maximum(np.array(gaps), 0.0)
    points = len(ctl.live.steps)
    mem_a, mem_b, n_long = long_run_memory()
    load = os.getloadavg()
    work = np.array(work_ms) if work_ms else np.zeros(1)
    busy_a = np.array(busy)
    lines = [
        f"## Live charts (bench/bench_live_charts.py), {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC",
        "",
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{load[0]:.1f} (shared), Python {platform.python_version()}, QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}",
        f"stream: {args.seconds:.0f} s at {STEP_HZ:.0f} Hz steps + {TELEMETRY_HZ:.0f} Hz telemetry from a spawned "
        f"worker, history {HISTORY_POINTS:,} points a series before t=0 (step series held {points:,} points at "
        "the end), 12 charts, 1600x1000 px",
        "",
        f"- event-loop stall (5 ms probe timer lateness): max {stalls.max():.1f} ms, p99 "
        f"{np.percentile(stalls, 99):.1f} ms, median {np.median(stalls):.1f} ms (targets: max < 50, p99 < 20)",
        f"- of that, the GUI thread's own CPU time between probe ticks: max {busy_a.max():.1f} ms, p99 "
        f"{np.percentile(busy_a, 99):.1f} ms (the rest of a stall is waiting for a core)",
        f"- chart work per tick (GUI-thread CPU time, redraw + its paint; {SLICES} ticks a frame): median "
        f"{np.median(work):.1f} ms, "
        f"p99 {np.percentile(work, 99):.1f} ms, max {work.max():.1f} ms",
        f"- chart redraws: {fps:.1f} frames/s with new data (every chart redrawn; timer at 25 fps x {SLICES} "
        f"ticks), {paints:.1f} viewport paints/s (target >= 20)",
        f"- Python GC pauses while streaming: {len(gc_ms)}, longest {max(gc_ms, default=0):.1f} ms",
        f"- memory: RSS {rss0 / 2**20:.0f} MiB at start, {rss1 / 2**20:.0f} MiB with the history loaded, "
        f"{max(rss_samples) / 2**20:.0f} MiB peak while streaming; live buffers {mem_a / 2**20:.1f} MiB after "
        f"{n_long // 4:,} and {mem_b / 2**20:.1f} MiB after {n_long:,} telemetry ticks (2 h): bounded",
    ]
    ok = stalls.max() < 50 and np.percentile(stalls, 99) < 20 and fps >= 20 and mem_b == mem_a
    lines.append(f"- verdict: {'PASS' if ok else 'FAIL'}")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.append:
        results = ROOT / "bench" / "RESULTS.md"
        with results.open("a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
