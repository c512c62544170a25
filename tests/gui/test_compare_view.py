"""The Compare tab: table with ratios, sorting, Pareto plots (hover, click), recommendation, findings, export."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from engine.format import MISSING
from engine.results.store import RunStore
from engine.sweep.grid import Grid, SweepState
from gui.compare import CompareView
from gui.compare.table_model import RUN_ID_ROLE
from tests.engine.fake_runs import make_run, sweep_runs


@pytest.fixture
def view(qtbot, tmp_path):
    v = CompareView(store_path=tmp_path / "runs.sqlite")
    qtbot.addWidget(v)
    v.resize(1300, 800)
    v.show()
    return v


def runs():
    return sweep_runs() + [make_run("cpu1", device="cpu", throughput_sps=3000, energy_per_sample_j=None),
                           make_run("oom1", batch=8192, status="oom", error="CUDA out of memory")]


def column(view, title):
    m = view.model
    return next(c for c in range(m.columnCount()) if m.headerData(c, Qt.Horizontal).startswith(title))


def cell(view, run_id, title):
    m = view.model
    row = next(i for i in range(m.rowCount()) if m.index(i, 0).data(RUN_ID_ROLE) == run_id)
    return m.index(row, column(view, title)).data()


def test_empty_view_says_what_to_do(view):
    assert view.pages.currentIndex() == 0 and "History" in view.empty.text()
    assert not view.export_button.isEnabled()


def test_table_shows_values_with_ratios_to_the_baseline(view):
    view.set_results(runs())
    assert view.model.rowCount() == 8
    assert cell(view, "r0", "Configuration").endswith("(baseline)")
    assert cell(view, "r3", "Throughput") == "14,786   2.00×"
    assert cell(view, "oom1", "Status") == "oom" and cell(view, "oom1", "Throughput") == MISSING
    view.baseline.setCurrentIndex(view.baseline.findData("r3"))
    assert cell(view, "r0", "Throughput") == "7,393   0.50×"
    assert cell(view, "r3", "Configuration").endswith("(baseline)")


def test_sorting_uses_values_and_puts_missing_last(view):
    view.set_results(runs())
    col = column(view, "Throughput")
    view.table.sortByColumn(col, Qt.DescendingOrder)
    ids = [view.proxy.index(r, 0).data(RUN_ID_ROLE) for r in range(view.proxy.rowCount())]
    assert ids[0] == "r5" and ids[-1] == "oom1"
    view.table.sortByColumn(col, Qt.AscendingOrder)
    ids = [view.proxy.index(r, 0).data(RUN_ID_ROLE) for r in range(view.proxy.rowCount())]
    assert ids[0] == "cpu1" and ids[-1] == "oom1"


def test_pareto_plots_highlight_the_front_and_explain_hover(view):
    view.set_results(runs())
    energy = view.plots[0]
    assert energy.front == {"r5"}
    assert len(energy.dots.data) == 6  # the ok runs with energy; cpu1 has none, oom1 failed
    tip = energy._tip(0, 0, "r5")
    assert "bf16 b2048" in tip and "Pareto-optimal" in tip and "samples/s" in tip


def test_clicking_a_point_or_double_clicking_a_row_opens_the_run(view, qtbot):
    view.set_results(runs())
    points = view.plots[0].dots.points()
    with qtbot.waitSignal(view.open_run_requested) as blocker:
        view.plots[0]._clicked(None, [points[2]], None)
    assert blocker.args == [points[2].data()]
    with qtbot.waitSignal(view.open_run_requested) as blocker:
        view.table.doubleClicked.emit(view.proxy.index(1, 0))
    assert blocker.args == [view.proxy.index(1, 0).data(RUN_ID_ROLE)]


def test_objective_and_constraints_change_the_recommendation(view):
    view.set_results(runs())
    assert "Maximum throughput" in view.recommendation.text() and "bf16 b2048" in view.recommendation.text()
    view.objective.setCurrentIndex(view.objective.findData("min_latency"))
    assert "bf16 b32" in view.recommendation.text()
    view.objective.setCurrentIndex(view.objective.findData("max_throughput"))
    view.mem_limit.setValue(600)
    assert "bf16 b256" in view.recommendation.text()
    view.objective.setCurrentIndex(view.objective.findData("time_energy"))
    assert view.eta.isVisible() and "Zeus" in view.recommendation.text()
    selected = view.table.selectionModel().selectedRows()
    assert selected and selected[0].data(RUN_ID_ROLE) == view.recommendation_now().run_id


def test_findings_are_listed_with_their_numbers(view):
    view.set_results(runs())
    texts = [view.findings_list.item(i).text() for i in range(view.findings_list.count())]
    assert any("bf16 vs fp32" in t and "2.00×" in t for t in texts)
    assert any("ran out of memory" in t for t in texts)
    tips = [view.findings_list.item(i).toolTip() for i in range(view.findings_list.count())]
    assert any("throughput ratio" in t for t in tips) and not any("_" in t for t in tips)  # plain words


def test_cpu_only_runs_say_why_energy_plots_are_empty(view):
    view.set_results([make_run(f"c{b}", device="cpu", batch=b, throughput_sps=b * 10.0, energy_per_sample_j=None)
                      for b in (32, 256, 1024)])
    assert not view.plots[0].isVisible() and not view.plots[2].isVisible()  # no energy: hidden, and said why
    assert "Throughput vs energy per sample" in view.not_drawn.text() and "RAPL" in view.not_drawn.text()
    assert view.plots[1].isVisible()  # step time vs memory has data
    assert "Energy per sample" not in [view.model.headerData(c, Qt.Horizontal).split("\n")[0]
                                   for c in range(view.model.columnCount())]


def test_show_runs_and_show_sweep_read_the_history(view, tmp_path):
    store = RunStore(view.store_path)
    for r in sweep_runs():
        store.add(r)
    missing = view.show_runs(["r0", "r1", "nope"])
    assert missing == ["nope"] and view.model.rowCount() == 2
    state = SweepState.new(Grid(network="lenet", devices=["cuda"], precisions=["fp32"], batches=[32, 256, 2048, 8192]))
    for e, rid in zip(state.entries, ("r0", "r1", "r2"), strict=False):
        e.status, e.run_id = "ok", rid
    state.entries[3].status, state.entries[3].reason = "skipped", "batch 2048 ran out of memory"
    state.save(tmp_path / "sw")
    view.show_sweep(tmp_path / "sw")
    assert view.model.rowCount() == 3 and "Sweep of lenet" in view.title.text()
    texts = [view.findings_list.item(i).text() for i in range(view.findings_list.count())]
    assert any("was not run: batch 2048 ran out of memory" in t for t in texts)


def test_export_writes_the_four_report_files(view, qtbot, tmp_path):
    view.set_results(runs())
    with qtbot.waitSignal(view.export_finished, timeout=60000) as blocker:
        view.export_report(tmp_path / "out" / "report.html") if (tmp_path / "out").mkdir() is None else None
    names = sorted(Path(p).name for p in blocker.args[0])
    assert names == ["report.csv", "report.html", "report.json", "report.pdf"]
    qtbot.waitUntil(lambda: view.export_button.isEnabled(), timeout=5000)


def test_screenshot(view, tmp_path):
    view.set_results(runs())
    assert not view.grab().isNull()


def test_main_window_has_the_compare_tab_and_a_sweep_action(window):
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert "Compare" in tabs
    import gui.sweep_dialog as sd
    window.new_sweep_action.trigger()
    dialog = window.findChild(sd.SweepDialog)
    assert dialog is not None and dialog.isVisible()
    assert Path(dialog.network).exists()  # the document's spec as shown, saved for the sweep's worker
    dialog.close()


def test_baseline_defaults_to_the_oldest_run_whatever_order_history_gives(view):
    from engine.results import compare
    rs = [make_run(f"t{i}", batch=2 ** (5 + i), created_at=f"2026-11-26T0{i}:00:00+00:00") for i in range(3)]
    view.set_results(rs[::-1])  # History lists newest first
    assert view.baseline_id == "t0" == compare.baseline_of(rs).run_id
    assert view.baseline.currentData() == "t0"


def test_different_networks_show_a_warning(view):
    view.set_results([make_run("a"), make_run("b", network="resnet9", batch=64)])
    assert view.network_warning.isVisible() and "different networks" in view.network_warning.text()
    view.set_results([make_run("a"), make_run("b", batch=64)])
    assert not view.network_warning.isVisible()


def test_peak_memory_is_split_into_gpu_and_host_columns(view):
    view.set_results(runs())
    headers = [view.model.headerData(c, Qt.Horizontal) for c in range(view.model.columnCount())]
    assert not any(h.startswith("Peak memory") for h in headers)
    assert cell(view, "cpu1", "GPU peak memory") == MISSING and cell(view, "cpu1", "Host peak memory").startswith("600")


def _label_rects(plot):
    return [t.sceneBoundingRect() for t in plot._texts if t.isVisible()]


def test_pareto_labels_never_overlap_and_the_plot_has_a_legend(view, qtbot):
    # Four runs at nearly the same accuracy: their names used to be drawn over each other.
    rs = [make_run(f"n{i}", precision=p, batch=b, throughput_sps=1000 * (i + 1), energy_per_sample_j=1e-3 * (i + 1),
                   accuracy=0.97) for i, (p, b) in enumerate((("fp32", 1024), ("fp16", 512), ("bf16", 256),
                                                              ("fp32", 64)))]
    view.set_results(rs)
    qtbot.wait(50)
    for plot in view.plots:
        if not plot.has_data:
            continue
        rects = _label_rects(plot)
        assert rects, plot.plot_def.key
        for i, a in enumerate(rects):
            assert not any(a.intersects(b) for b in rects[i + 1:]), plot.plot_def.key
        legend = plot.legend.text()
        assert "fp32" in legend and "bf16" in legend and "Pareto-optimal" in legend


def test_pareto_axes_are_logarithmic_when_values_span_orders_of_magnitude(view):
    rs = [make_run("cpu", device="cpu", throughput_sps=300, energy_per_sample_j=5e-2),
          make_run("gpu", throughput_sps=90_000, energy_per_sample_j=1e-4, batch=64)]
    view.set_results(rs)
    plot = next(p for p in view.plots if p.plot_def.key == "throughput_energy")
    assert plot.log_x and plot.log_y
    assert "log scale" in plot.widget.getPlotItem().getAxis("bottom").labelText
    view.set_results([make_run("a", throughput_sps=1000), make_run("b", throughput_sps=1500, batch=64)])
    assert not plot.log_y
