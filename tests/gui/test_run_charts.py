"""Live data buffers and charts, driven by scripted events (no worker, no torch)."""
from __future__ import annotations

import numpy as np
import pytest

from engine.format import MISSING
from engine.run.events import RunStarted, StepMetrics, TelemetryBatch
from gui.run.chart_specs import CHARTS, ChartContext, chart_reason
from gui.run.live_data import LiveRun
from gui.run.replay import make_script
from gui.run.ring import Ring
from hw.samples import Availability, GpuSample, HostSample


def _feed(kind="gpu", seconds=3.0, mode="train"):
    live, started = LiveRun(), None
    for _, e in make_script(kind=kind, seconds=seconds, mode=mode).events:
        if isinstance(e, StepMetrics):
            live.add_step(e)
        elif isinstance(e, TelemetryBatch):
            live.add_telemetry(e)
        elif isinstance(e, RunStarted):
            started = e
    return live, started


def test_ring_keeps_the_newest_rows_contiguous_and_bounded():
    ring = Ring(("t_s", "v"), capacity=5)
    for i in range(12):
        ring.append({"t_s": i, "v": None if i == 11 else 10 * i})
    assert len(ring) == 5 and ring.total == 12
    assert ring.view("t_s").tolist() == [7, 8, 9, 10, 11]
    assert np.isnan(ring.view("v")[-1]) and ring.last("v") == 100
    ring.extend({"t_s": np.arange(20, 28), "v": np.zeros(8)})
    assert ring.view("t_s").tolist() == [23, 24, 25, 26, 27]
    assert ring.nbytes == 2 * 2 * 5 * 8  # fixed, however much is appended


def test_energy_per_sample_counts_from_the_timed_window_and_falls_back_to_integrated_power():
    live = LiveRun()
    live.add_step(StepMetrics(t_s=1.0, step=10, samples=1000, throughput_sps=1000.0, step_time_p50_s=0.01,
                              step_time_p99_s=0.02))
    live.add_telemetry(TelemetryBatch(gpu=(GpuSample(t_s=-0.5, index=0, energy_j=500.0),
                                           GpuSample(t_s=0.0, index=0, energy_j=600.0),
                                           GpuSample(t_s=1.0, index=0, energy_j=700.0))))
    assert live.gpus[0].view("energy_per_sample_j")[-1] == pytest.approx(100.0 / 1000)
    est = LiveRun()
    est.add_step(StepMetrics(t_s=2.0, step=1, samples=200, throughput_sps=100.0, step_time_p50_s=None,
                             step_time_p99_s=None))
    est.add_telemetry(TelemetryBatch(gpu=(GpuSample(t_s=0.0, index=1, power_instant_w=100.0),
                                          GpuSample(t_s=2.0, index=1, power_instant_w=100.0))))
    assert est.gpus[1].view("energy_per_sample_j")[-1] == pytest.approx(200.0 / 200)
    assert est.gpu_energy_estimated(1)


def test_a_stored_series_loads_back_into_the_same_buffers():
    live, _ = _feed(seconds=2.0)
    series = live.to_series(max_points=100)
    assert len(series["steps"]["t_s"]) == 100 and "gpu0" in series and "host" in series
    back = LiveRun.from_series(series)
    assert len(back.steps) == 100
    assert np.nanmax(back.gpus[0].view("power_instant_w")) == pytest.approx(
        np.nanmax(np.array(series["gpu0"]["power_instant_w"], dtype=float)))


def test_a_stored_gpu_series_with_sparse_counter_reads_gives_energy_per_sample():
    # As stored: the counter is read about once a second, other ticks carry no energy reading.
    t = [-0.5 + 0.1 * k for k in range(41)]  # -0.5 .. 3.5 s
    energy = [1000.0 + 100.0 * (x + 0.5) if k % 10 == 0 else None for k, x in enumerate(t)]  # 100 W
    steps = {"t_s": [0.5, 1.0, 2.0, 3.0], "throughput_sps": [1000.0] * 4}
    back = LiveRun.from_series({"steps": steps, "gpu0": {"t_s": t, "energy_j": energy}})
    per_sample = back.gpus[0].view("energy_per_sample_j")
    times = back.gpus[0].view("t_s")
    drawn = np.isfinite(per_sample)
    assert drawn.sum() >= 25  # a curve, not a few isolated points
    assert times[drawn].min() >= 0 and times[drawn].max() == pytest.approx(3.5)
    # 100 W at 1000 samples/s: 0.1 J per sample all along
    assert per_sample[np.argmin(np.abs(times - 3.0))] == pytest.approx(0.1, rel=0.05)


def test_charts_say_why_a_metric_is_unavailable_on_a_cpu_inference_run():
    live, started = _feed(kind="cpu", mode="infer")
    ctx = ChartContext(gpu_index=None, mode="infer", availability=started.availability, elapsed_s=3)
    reasons = {c.key: chart_reason(c, ctx, live) for c in CHARTS}
    assert reasons["power"] == "No GPU in this run: it runs on the CPU."
    assert reasons["loss"].startswith("Inference run")
    assert "RAPL needs root" in reasons["energy"]
    assert reasons["throughput"] is None and reasons["host_memory"] is None and reasons["cpu_util"] is None


def test_a_gpu_source_reported_unavailable_names_its_reason():
    live = LiveRun()
    live.add_telemetry(TelemetryBatch(gpu=(GpuSample(t_s=0.1, index=0, util_gpu_pct=50.0),),
                                      host=(HostSample(t_s=0.1, process_rss_bytes=1),)))
    why = "NVML_FI_DEV_POWER_INSTANT is not supported on this GPU (needs Hopper or newer)"
    ctx = ChartContext(gpu_index=0, availability=(Availability("gpu0.power_instant", False, why),
                                                  Availability("gpu0.power_avg", False, why)))
    power = next(c for c in CHARTS if c.key == "power")
    assert chart_reason(power, ctx, live) == why
    sample_off = ChartContext(gpu_index=0, sample_hz=0)
    assert "Telemetry is off" in chart_reason(power, sample_off, LiveRun())


def test_chart_grid_draws_every_curve_once_per_change_and_reads_values_under_the_cursor(qtbot):
    from gui.run.charts import ChartGrid
    grid = ChartGrid()
    qtbot.addWidget(grid)
    grid.resize(1200, 800)
    grid.show()
    live, started = _feed(seconds=2.0)
    grid.bind(live, ChartContext(gpu_index=0, availability=started.availability), live_updates=False)
    tp = grid.charts["throughput"].curves[0]
    x, y = tp.getData()
    assert len(x) > 0 and np.nanmax(y) > 20_000
    assert all(not c.overlay.isVisible() for c in grid.charts.values())
    frames = grid.frames
    grid.redraw()  # nothing changed: nothing redrawn
    assert grid.frames == frames
    readout = grid.readout("power", 1.0)
    assert readout[0].endswith("W") and readout[1].endswith("W")
    assert grid.readout("accuracy", 1.9)[0].endswith("%") or grid.readout("accuracy", 1.9)[0] == MISSING


def test_paused_charts_keep_collecting_and_catch_up_on_resume(qtbot):
    from gui.run.charts import ChartGrid
    grid = ChartGrid()
    qtbot.addWidget(grid)
    live = LiveRun()
    grid.bind(live, ChartContext(gpu_index=None), live_updates=False)
    grid.set_paused(True)
    live.add_step(StepMetrics(t_s=0.5, step=1, samples=64, throughput_sps=128.0, step_time_p50_s=0.5,
                              step_time_p99_s=0.5))
    grid.redraw()
    assert len(grid.charts["throughput"].curves[0].getData()[0] or []) == 0
    grid.set_paused(False)
    assert len(grid.charts["throughput"].curves[0].getData()[0]) == 1


GPU_CHARTS = ("power", "gpu_memory", "gpu_util", "sm_clock", "temperature")


def test_cpu_run_folds_the_gpu_charts_into_one_line_that_says_why(qtbot):
    # They could never fill on a CPU run: one line instead of five empty slots of the grid.
    from gui.run.charts import ChartGrid
    grid = ChartGrid()
    qtbot.addWidget(grid)
    grid.resize(1000, 700)
    grid.show()
    live, started = _feed(kind="cpu", seconds=1.0)
    grid.bind(live, ChartContext(gpu_index=None, availability=started.availability, finished=True),
              live_updates=False)
    line = grid.folded_line.text()
    assert grid.folded_line.isVisible() and "No GPU in this run" in line
    for key in GPU_CHARTS:
        assert not grid.charts[key].plot.isVisible() and grid.charts[key].spec.title in line
        assert not grid.charts[key].overlay.isVisible()
    assert grid.charts["throughput"].plot.isVisible() and grid.charts["loss"].plot.isVisible()
    # a GPU run shown next unfolds them again
    live, started = _feed(kind="gpu", seconds=1.0)
    grid.bind(live, ChartContext(gpu_index=0, availability=started.availability, finished=True), live_updates=False)
    assert all(grid.charts[key].plot.isVisible() for key in GPU_CHARTS)
    assert len(grid.charts["power"].curves[0].getData()[0]) > 0


def test_inference_run_folds_loss_and_accuracy(qtbot):
    from gui.run.charts import ChartGrid
    grid = ChartGrid()
    qtbot.addWidget(grid)
    live, started = _feed(kind="gpu", seconds=1.0, mode="infer")
    grid.bind(live, ChartContext(gpu_index=0, mode="infer", availability=started.availability), live_updates=False)
    assert set(grid.folded) >= {"loss", "accuracy"} and "Inference run" in grid.folded_line.text()


def test_every_shown_row_of_charts_keeps_its_minimum_height(qtbot):
    from gui.run.charts import MIN_CHART_HEIGHT_PX, ChartGrid
    grid = ChartGrid()
    qtbot.addWidget(grid)
    grid.resize(1000, 200)  # far too short: the grid keeps its height (the page around it scrolls)
    grid.show()
    live, started = _feed(kind="cpu", seconds=1.0)
    grid.bind(live, ChartContext(gpu_index=None, availability=started.availability, finished=True),
              live_updates=False)
    rows = -(-len(grid.shown()) // grid.columns)
    assert grid.view.minimumHeight() >= rows * MIN_CHART_HEIGHT_PX
    assert grid.minimumSizeHint().height() >= rows * MIN_CHART_HEIGHT_PX


def test_a_live_frame_is_drawn_in_slices_and_every_chart_catches_up(qtbot):
    # The budget: a frame is spread over SLICES timer ticks so that no tick holds the event loop for the
    # whole grid; after SLICES ticks every changed curve is drawn, and that counts as one frame.
    from gui.run.charts import SLICES, ChartGrid
    grid = ChartGrid()
    qtbot.addWidget(grid)
    live = LiveRun()
    grid.bind(live, ChartContext(gpu_index=None), live_updates=True)
    grid._timer.stop()  # the test drives the ticks
    live.add_step(StepMetrics(t_s=0.5, step=1, samples=64, throughput_sps=128.0, step_time_p50_s=0.5,
                              step_time_p99_s=0.6, loss=1.0))
    step_charts = ("throughput", "latency", "loss")
    frames = grid.frames
    seen = []
    for _ in range(SLICES):
        grid.redraw()
        seen.append({k for k in step_charts if len(grid.charts[k].curves[0].getData()[0] or [])})
    assert 0 < len(seen[0]) < len(step_charts)  # the first tick drew only its share
    assert seen[-1] == set(step_charts)
    assert grid.frames == frames + 1
    grid.redraw()  # nothing new: no frame
    assert grid.frames == frames + 1


def test_an_x_range_step_is_spread_over_ticks_and_zoom_stays_linked(qtbot):
    from gui.run.charts import MAX_X_STEPS_PER_TICK, SLICES, ChartGrid
    grid = ChartGrid()
    qtbot.addWidget(grid)
    grid.resize(1200, 800)
    grid.show()
    live = LiveRun()
    grid.bind(live, ChartContext(gpu_index=None), live_updates=True)
    grid._timer.stop()  # the test drives the ticks

    def step(t_s):
        live.add_step(StepMetrics(t_s=t_s, step=int(t_s), samples=64, throughput_sps=128.0,
                                  step_time_p50_s=0.5, step_time_p99_s=0.6))

    def rights():
        return {round(c.plot.vb.viewRange()[0][1], 6) for c in grid.shown()}  # folded charts wait
    step(1.0)
    for _ in range(SLICES):
        grid.redraw()
    assert len(rights()) == 1
    step(100.0)  # past the right edge: the followed range steps
    grid.redraw()
    moved = sum(round(c.plot.vb.viewRange()[0][1], 6) > 100 for c in grid.shown())
    assert 0 < moved <= MAX_X_STEPS_PER_TICK
    for _ in range(len(grid.charts)):
        grid.redraw()
    assert len(rights()) == 1 and rights().pop() > 100
    grid.charts["loss"].plot.vb.setXRange(10, 20, padding=0)  # a zoom on one chart moves them all
    assert {tuple(np.round(c.plot.vb.viewRange()[0], 6)) for c in grid.charts.values()} == {(10.0, 20.0)}


def test_a_cpu_runs_energy_legend_is_drawn_whole_under_its_title(qtbot):
    # On a CPU run with RAPL the title line "Energy per sample ━ GPU ━ CPU (RAPL)" was clipped to "CPU (":
    # names that do not fit the title's line go under it (chart_legend's grid), inside the title row.
    import dataclasses

    from gui.run.charts import ChartGrid
    live, energy_j = LiveRun(), 0.0
    for _, e in make_script(kind="cpu", seconds=1.0).events:
        if isinstance(e, StepMetrics):
            live.add_step(e)
        elif isinstance(e, TelemetryBatch):
            hosts = []
            for h in e.host:
                energy_j += 1.5
                hosts.append(dataclasses.replace(h, rapl_package_energy_j=energy_j))
            live.add_telemetry(dataclasses.replace(e, host=tuple(hosts)))
    grid = ChartGrid()
    qtbot.addWidget(grid)
    grid.resize(880, 700)
    grid.show()
    avail = (Availability("gpu", False, "no GPU in this run (CPU)"), Availability("rapl.package", True))
    grid.bind(live, ChartContext(gpu_index=None, availability=avail, finished=True), live_updates=False)
    qtbot.wait(50)
    plot = grid.charts["energy"].plot
    assert plot.isVisible()
    label = plot.titleLabel
    text = label.item.toPlainText()
    assert "Energy per sample" in text and "CPU (RAPL)" in text
    shown = label.sceneBoundingRect()  # the title row clips what lies outside it
    drawn = label.item.sceneBoundingRect()
    assert shown.contains(drawn) and plot.sceneBoundingRect().contains(drawn)
    assert not drawn.intersects(plot.vb.sceneBoundingRect())
    assert not drawn.intersects(plot.getAxis("left").label.sceneBoundingRect())  # the axis title
    # a legend that fits stays on the title's line
    latency = grid.charts["latency"].plot.titleLabel.item.toPlainText()
    assert "\n" not in latency.strip() and "p99" in latency
