"""A job over several devices in the Run tab: one trace per GPU on every GPU chart, and the summary
card's parallel figures. The two-GPU job is a scripted test fixture (gui.run.replay), not a measurement."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QRectF, Qt

from engine.results import PipelineStageFacts
from engine.run import RunConfig, StepMetrics, TelemetryBatch
from gui.run.chart_specs import CHARTS, GPU_COLORS, ChartContext
from gui.run.charts import ChartGrid
from gui.run.live_data import LiveRun
from gui.run.parallel_summary import devices_text, facts, rank_rows
from gui.run.replay import make_script
from gui.run.summary_card import SummaryCard

GPU_CHARTS = [c.key for c in CHARTS if c.needs == "gpu"]


@pytest.fixture(scope="module")
def job():
    """A scripted two-GPU data-parallel job (test fixture)."""
    return make_script(kind="gpu", seconds=2.0, gpus=2, seed=3)


def _grid(qtbot, live, ctx) -> ChartGrid:
    grid = ChartGrid()
    qtbot.addWidget(grid)
    grid.resize(1100, 800)
    grid.bind(live, ctx, live_updates=False)
    return grid


def test_a_stored_two_gpu_job_draws_one_labelled_trace_per_gpu_on_every_gpu_chart(qtbot, job):
    result = job.result
    grid = _grid(qtbot, LiveRun.from_series(result.series), ChartContext.from_result(result))
    for key in GPU_CHARTS:
        chart = grid.charts[key]
        assert [t.name for t in chart.traces] == ["GPU 0 · rank 0", "GPU 1 · rank 1"], key
        assert [t.group for t in chart.traces] == ["gpu0", "gpu1"]
        assert [t.color for t in chart.traces] == list(GPU_COLORS[:2])
        assert all(item.isVisible() for item in chart.curves)
    power = grid.charts["power"]
    for i, group in enumerate(("gpu0", "gpu1")):  # each trace draws its own GPU's readings
        _x, y = power.curves[i].getData()
        stored = np.array(result.series.groups()[group].power_instant_w, dtype=float)
        assert y is not None and len(y) == len(stored) and np.nanmax(y) == pytest.approx(np.nanmax(stored))
    assert np.nanmax(power.curves[1].getData()[1]) < np.nanmax(power.curves[0].getData()[1])  # GPU 1 draws less
    # the energy chart keeps its CPU curve beside the per-GPU ones; CPU-side charts are untouched
    assert [t.name for t in grid.charts["energy"].traces][-1] == "CPU (RAPL)"
    assert [t.group for t in grid.charts["throughput"].traces] == ["steps"]
    # hover: one value per trace, each with its unit
    readout = grid.readout("power", 1.0)
    assert len(readout) == 2 and all(v.endswith("W") for v in readout) and readout[0] != readout[1]
    grid.charts["power"].set_title(readout)
    shown = grid.charts["power"].plot.titleLabel.item.toPlainText().replace("\u00a0", " ")
    assert f"GPU 1 {readout[1]}" in shown or f"GPU 1 · rank 1 {readout[1]}" in shown


def test_a_live_job_over_two_gpus_gets_its_traces_from_the_config_and_fills_them(qtbot, job):
    config = RunConfig(devices="cuda:0,cuda:1", steps=10)
    live = LiveRun()
    grid = _grid(qtbot, live, ChartContext.from_config(config))
    assert len(grid.charts["gpu_util"].curves) == 2
    for _, e in job.events:
        if isinstance(e, StepMetrics):
            live.add_step(e)
        elif isinstance(e, TelemetryBatch):
            live.add_telemetry(e)
    grid.redraw(force=True)
    for item in grid.charts["gpu_util"].curves:
        assert len(item.getData()[0]) > 5


def test_a_one_gpu_run_is_drawn_as_before_and_a_later_job_reuses_its_curves(qtbot):
    script = make_script(kind="gpu", seconds=1.0)
    grid = _grid(qtbot, LiveRun.from_series(script.result.series), ChartContext.from_result(script.result))
    power = grid.charts["power"]
    assert [t.name for t in power.traces] == ["instant", "1 s avg"] and [t.group for t in power.traces] == ["gpu0"] * 2
    assert [t.name for t in grid.charts["gpu_memory"].traces] == ["alloc", "reserved", "NVML"]
    first = power.curves[0]
    job = make_script(kind="gpu", seconds=1.0, gpus=2)
    grid.bind(LiveRun.from_series(job.result.series), ChartContext.from_result(job.result), live_updates=False)
    assert power.curves[0] is first  # GPU 0's instant power: the same curve item, not a new one
    hidden = [item for key, item in power._items.items() if key == ("gpu0", "power_avg_w")]
    assert hidden and not hidden[0].isVisible()


def test_one_gpu_shared_by_two_ranks_is_drawn_as_one_gpu():
    config = RunConfig(devices="cuda:0,cuda:0", steps=10)
    ctx = ChartContext.from_config(config)
    assert ctx.gpus == () and [t.name for t in ctx.traces(CHARTS[2])] == ["instant", "1 s avg"]


def test_the_card_shows_devices_batches_efficiency_all_reduce_and_the_ranks(qtbot, job):
    result = job.result
    card = SummaryCard()
    qtbot.addWidget(card)
    card.show_result(result)
    assert card.title.text().endswith("2× NVIDIA H100 80GB HBM3")
    assert "batch 256/device" in card.meta.text()
    head = card.parallel.head.text().replace("&nbsp;", " ").replace("\u2011", "-")
    assert card.parallel.isVisibleTo(card)
    for words in ("2× NVIDIA H100 80GB HBM3", "256 per device", "512 in all", "scaling efficiency", "81 %",
                  "all-reduce share", "14 %"):
        assert words in head, words
    rows = rank_rows(result)
    assert [r[0] for r in rows] == ["0", "1"] and rows[1][1] == "cuda:1" and rows[1][3] == "276 W"
    assert "cuda:1" in card.parallel.ranks.text()


def test_unknown_efficiency_says_why_and_a_pipeline_shows_its_stages_and_bubble(job):
    r = job.result.model_copy(deep=True)
    r.scaling_efficiency = None
    r.unavailable["scaling_efficiency"] = "no 1-device run of the same configuration to compare with"
    r.parallel.kind = "pipeline"
    r.parallel.stages = [PipelineStageFacts(stage=0, rank=0, device="cuda:0", layers=["c1", "p1"]),
                         PipelineStageFacts(stage=1, rank=1, device="cuda:1", layers=["fc"])]
    r.parallel.microbatches, r.parallel.schedule, r.parallel.bubble_share = 4, "GPipe", 0.37
    shown = {label: value for label, value, _tip in facts(r)}
    assert shown["scaling efficiency"] == "unknown: no 1-device run of the same configuration to compare with"
    assert shown["devices"].endswith("pipeline")
    assert shown["stages"] == "2 · cuda:0: 2 layers | cuda:1: 1 layer"
    assert shown["micro-batches"] == "4 · GPipe" and shown["bubble (idle) share"] == "37 %"


def test_a_cpu_job_is_named_by_its_processes_and_a_one_device_run_has_no_parallel_block(qtbot):
    one = make_script(kind="cpu", seconds=1.0).result
    assert devices_text(one) == "" and facts(one) == []
    card = SummaryCard()
    qtbot.addWidget(card)
    card.show_result(one)
    assert not card.parallel.isVisibleTo(card)
    cpu = one.model_copy(deep=True)
    from engine.results import ParallelFacts
    cpu.parallel = ParallelFacts(world_size=2, backend="gloo", per_device_batch=64, global_batch=128)
    assert devices_text(cpu) == "2 CPU processes"


def test_compare_history_and_report_show_the_device_count_and_tell_jobs_apart(qtbot, tmp_path, job):
    from engine.results import RunStore, compare
    from engine.results.report.model import build
    from gui.compare.table_model import CompareTableModel
    from gui.history.model import COLUMNS, HistoryModel
    one = make_script(kind="gpu", seconds=1.0, seed=4).result
    one.created_at = "2026-11-29T01:00:00+00:00"  # the older run: the baseline
    pair = [one, job.result]
    model = CompareTableModel()
    model.set_results(pair, None)
    col = 2 + [m.key for m in model.metrics].index("device_count")
    shown = {model.rows[r].run_id: model.index(r, col).data() for r in range(2)}
    assert shown == {one.run_id: "1× cuda", job.result.run_id: "2× cuda"}  # words, no ratio
    later = one.model_copy(deep=True, update={"created_at": "2026-12-01T00:00:00+00:00"})
    job_first = job.result.model_copy(deep=True)
    job_first.parallel.baseline_run_id = later.run_id  # measured after the job, still the baseline
    assert compare.baseline_of([job_first, later]).run_id == later.run_id
    labels = compare.short_labels(pair)
    assert labels[job.result.run_id].startswith("2× cuda") and labels[one.run_id].startswith("1× cuda")
    report = build(pair)
    devices = [label for label, _unit in report.columns].index("Devices")
    assert [row.cells[devices].text for row in report.rows] == ["1× cuda", "2× cuda"]

    store = RunStore(tmp_path / "runs.sqlite")
    store.add_many(pair)
    history = HistoryModel()
    history.set_source(lambda offset, limit, order, desc: store.list(limit=limit, offset=offset, order_by=order,
                                                                      descending=desc), len(store))
    history.sort([c[0] for c in COLUMNS].index("Devices"), Qt.DescendingOrder)
    devices_col = [c[0] for c in COLUMNS].index("Devices")
    assert [history.index(r, devices_col).data() for r in range(2)] == ["2× cuda", "1"]
    assert history.rows[0].run_id == job.result.run_id


def test_the_card_of_a_job_fits_the_run_page_of_a_1280_px_window(qtbot, job):
    card = SummaryCard()
    qtbot.addWidget(card)
    card.show_result(job.result)
    # the meta line wraps instead of holding the card wider than the page (~870 px beside the settings)
    assert card.meta.minimumSizeHint().width() < 200 and card.minimumSizeHint().width() < 860


def _drawn_at(chart, label: str):
    """The scene rect where a chart's title label draws `label` (the first time), or None if it does not."""
    item = chart.plot.titleLabel.item
    doc = item.document()
    block = doc.begin()
    while block.isValid():
        at = block.text().replace("\u00a0", " ").find(label)
        if at >= 0:
            origin = doc.documentLayout().blockBoundingRect(block).topLeft()
            layout = block.layout()
            first, last = layout.lineForTextPosition(at), layout.lineForTextPosition(at + len(label))
            x0, x1 = first.cursorToX(at), last.cursorToX(at + len(label))
            x0, x1 = (x0[0] if isinstance(x0, tuple) else x0), (x1[0] if isinstance(x1, tuple) else x1)
            if first.lineNumber() != last.lineNumber():  # broken over two lines: from the first's start
                x0, x1 = min(first.x(), last.x()), max(first.x() + first.naturalTextWidth(), x1)
            top, bottom = first.y(), last.y() + last.height()
            return item.mapRectToScene(QRectF(origin.x() + x0, origin.y() + top, x1 - x0, bottom - top))
        block = block.next()
    return None


@pytest.mark.parametrize("gpus, width_px", [(2, 1100), (4, 1100), (8, 1100), (8, 900)])
def test_every_gpu_legend_entry_is_drawn_whole_inside_its_chart(qtbot, gpus, width_px):
    """Four or eight GPUs: the legend wraps into rows under the title instead of running off the chart."""
    script = make_script(kind="gpu", seconds=1.0, gpus=gpus, seed=5)
    grid = ChartGrid()
    qtbot.addWidget(grid)
    grid.resize(width_px, 800)
    grid.bind(LiveRun.from_series(script.result.series), ChartContext.from_result(script.result), live_updates=False)
    grid.show()
    qtbot.waitExposed(grid)
    for key in GPU_CHARTS:
        chart = grid.charts[key]
        assert len(chart.traces) == gpus + (key == "energy")  # the energy chart adds the CPU's curve
        for readout in (None, grid.readout(key, 0.5)):  # as drawn, and while the mouse hovers
            chart.set_title(readout)
            QCoreApplication.processEvents()  # the plot lays its rows out again (a posted layout request)
            label = chart.plot.titleLabel.sceneBoundingRect()
            bounds = chart.plot.sceneBoundingRect().intersected(label)  # the label clips what overflows it
            bounds.adjust(-0.5, -0.5, 0.5, 0.5)
            for i, trace in enumerate(chart.traces):
                # each entry: its full or short name, then its value while hovering
                texts = [f"{name}{'' if readout is None else ' ' + readout[i]}"
                         for name in (trace.name, f"GPU {trace.group[3:]}" if trace.group != "host" else trace.name)]
                rects = [r for r in (_drawn_at(chart, t) for t in texts) if r is not None]
                assert rects, (key, texts, chart.plot.titleLabel.item.toPlainText())
                assert bounds.contains(rects[0]), (key, texts[0], rects[0], bounds)
            # the legend sits above the plot's data area, not over it
            assert chart.plot.vb.sceneBoundingRect().top() >= label.bottom() - 1


def test_a_job_over_two_machines_says_its_charts_draw_node_0s_gpus_only(qtbot, job):
    """Each machine keys its GPUs by its own CUDA indices: the charts draw node 0's and say so."""
    from engine.results import DeviceFigures
    r = job.result.model_copy(deep=True)
    r.parallel.nodes = 2
    r.devices = r.devices + [d.model_copy(update={"rank": d.rank + 2, "node": 1}) for d in r.devices]
    assert isinstance(r.devices[-1], DeviceFigures)
    grid = _grid(qtbot, LiveRun.from_series(r.series), ChartContext.from_result(r))
    grid.show()
    assert [t.name for t in grid.charts["power"].traces] == ["GPU 0 · rank 0", "GPU 1 · rank 1"]
    line = grid.folded_line.text()
    assert grid.folded_line.isVisible() and "node 0's GPUs only" in line and "rank lines" in line
    # the next run on one machine drops the note
    grid.bind(LiveRun.from_series(job.result.series), ChartContext.from_result(job.result), live_updates=False)
    assert "node 0" not in grid.folded_line.text()
    live = ChartContext.from_config(RunConfig(devices="cuda:0,cuda:1", nnodes=2, steps=10))
    assert live.other_nodes == 1 and "other machine's GPUs" in live.node_note()
