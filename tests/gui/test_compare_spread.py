"""The Compare tab and History show the spread: error bars from a run's intervals, hollow points for
estimated energy with a legend entry, and a warning badge on runs the machine was busy during."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from engine.results.store import RunRow
from gui.compare import CompareView
from gui.compare.table_model import RUN_ID_ROLE
from gui.history.model import HistoryModel
from tests.engine.fake_runs import make_run
from tests.engine.test_spread import BUSY, with_intervals


@pytest.fixture
def view(qtbot, tmp_path):
    v = CompareView(store_path=tmp_path / "runs.sqlite")
    qtbot.addWidget(v)
    v.resize(1300, 800)
    v.show()
    return v


def _runs():
    return [with_intervals(make_run("m", precision="fp32", throughput_sps=10000), throughput_sps=(8000.0, 12500.0)),
            make_run("e", precision="bf16", throughput_sps=20000, energy_method="integrated-average-power",
                     quality=[BUSY])]


def test_pareto_points_have_error_bars_and_estimated_energy_is_hollow(view):
    view.set_results(_runs())
    plot = view.plots[0]  # throughput vs energy per sample
    assert plot.spread_ids == {"m"} and plot.estimated == {"e"}
    bars = plot.bars.opts
    assert list(bars["top"]) == pytest.approx([2500.0]) and list(bars["bottom"]) == pytest.approx([2000.0])
    spots = {p.data(): p for p in plot.dots.points()}
    assert spots["e"].brush().color().name() == "#ffffff"  # hollow: white inside, coloured ring
    assert spots["m"].brush().color().name() != "#ffffff"
    legend = plot.legend.text()
    assert "hollow = estimated energy" in legend and "95 % interval" in legend


def test_measured_runs_have_no_hollow_legend(view):
    view.set_results([make_run("a"), make_run("b", precision="bf16")])
    legend = view.plots[0].legend.text()
    assert "hollow" not in legend and "interval" not in legend


def test_compare_table_badges_a_busy_run(view):
    view.set_results(_runs())
    m = view.model
    status = next(c for c in range(m.columnCount()) if m.headerData(c, Qt.Horizontal) == "Status")
    rows = {m.index(i, 0).data(RUN_ID_ROLE): i for i in range(m.rowCount())}
    assert m.index(rows["e"], status).data() == "ok  ⚠ busy"
    assert BUSY in m.index(rows["e"], status).data(Qt.ToolTipRole)
    assert m.index(rows["m"], status).data() == "ok"


def test_history_badges_a_busy_run(qtbot):
    def row(run_id, busy):
        return RunRow(run_id, "2026-11-29T01:00:00+00:00", "lenet", "cpu", "CPU", "fp32", 64, "train", "ok",
                      1000.0, None, None, busy)
    model = HistoryModel()
    model.set_rows([row("quiet", None), row("busy", BUSY)])
    from gui.history.model import COLUMNS
    status = [c[0] for c in COLUMNS].index("Status")
    assert model.index(1, status).data() == "ok  ⚠ busy" and model.index(0, status).data() == "ok"
    assert BUSY[1:] in model.index(1, status).data(Qt.ToolTipRole)


def test_a_wrapped_legend_stays_below_the_x_axis_title(qtbot, tmp_path):
    # A legend wrapped onto three lines (mixed devices, hollow, bars) in a short window was laid over
    # the plot's x-axis title: the box layout sized the word-wrapped label by one line.
    v = CompareView(store_path=tmp_path / "runs.sqlite")
    qtbot.addWidget(v)
    v.resize(1100, 480)
    v.show()
    v.set_results([*_runs(), make_run("c", device="cpu", throughput_sps=3000)])
    qtbot.wait(50)
    plot = v.plots[0]
    assert "CPU run" in plot.legend.text() and "hollow" in plot.legend.text()
    legend = plot.legend.geometry()
    assert legend.height() >= plot.legend.heightForWidth(legend.width()) > 2 * plot.legend.fontMetrics().height()
    axis_title = plot.widget.getPlotItem().getAxis("bottom").label
    title = plot.widget.mapFromScene(axis_title.sceneBoundingRect()).boundingRect()
    title.translate(plot.widget.pos())
    assert axis_title.isVisible() and plot.widget.geometry().center().y() < title.top()
    assert not legend.intersects(plot.widget.geometry()) and not legend.intersects(title)
