"""The history panel over a real RunStore: newest first, filters, sorting, open, delete, import,
and multi-select for compare."""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from engine.results import Series
from engine.results.store import RunStore
from gui.run.replay import make_script


def _result(kind, created, network="lenet", status="ok", precision=None, throughput=None):
    r = make_script(kind=kind, seconds=1.0, network=network).result
    r.created_at = created
    r.status = status
    if precision:
        r.config.precision = precision
    if throughput is not None:
        r.throughput_sps = throughput
    return r


@pytest.fixture
def store(tmp_path):
    s = RunStore(tmp_path / "runs.sqlite")
    s.add(_result("gpu", "2026-11-26T08:00:00+00:00", throughput=900.0))
    s.add(_result("cpu", "2026-11-26T09:00:00+00:00", network="mlp", status="cancelled", throughput=50.0))
    s.add(_result("gpu", "2026-11-26T07:00:00+00:00", precision="fp32", throughput=3000.0))
    return s


@pytest.fixture
def panel(qtbot, store):
    from gui.history.panel import HistoryPanel
    p = HistoryPanel(db_path=store.path)
    qtbot.addWidget(p)
    p.resize(1300, 900)
    return p


def _index(header: str) -> int:
    from gui.history.model import COLUMNS
    return [c[0] for c in COLUMNS].index(header)


def _column(panel, header):
    col = _index(header)
    return [panel.model.index(r, col).data() for r in range(panel.model.rowCount())]


def test_lists_every_run_newest_first(panel):
    assert _column(panel, "Network") == ["mlp", "lenet", "lenet"]
    assert _column(panel, "Status") == ["cancelled", "ok", "ok"]
    assert panel.count.text() == "3 runs"


def test_filters_by_network_device_precision_and_status(panel):
    f = panel.filters
    f["network"].setCurrentIndex(f["network"].findData("lenet"))
    assert _column(panel, "Network") == ["lenet", "lenet"]
    f["precision"].setCurrentIndex(f["precision"].findData("fp32"))
    assert panel.model.rowCount() == 1
    f["network"].setCurrentIndex(0)
    f["precision"].setCurrentIndex(0)
    f["status"].setCurrentIndex(f["status"].findData("cancelled"))
    assert _column(panel, "Network") == ["mlp"]
    f["status"].setCurrentIndex(0)
    f["device"].setCurrentIndex(f["device"].findData("cuda:0"))
    assert panel.model.rowCount() == 2 and "H100" in f["device"].currentText()


def test_runs_that_differ_only_by_a_lever_are_told_apart_by_it(qtbot, tmp_path):
    # A lever sweep's rows (fp32, 32, infer, ... six times) looked alike: which one was pruned or ONNX Runtime?
    from gui.history.panel import HistoryPanel
    store = RunStore(tmp_path / "runs.sqlite")
    plain, pruned, ort = (_result("cpu", f"2026-11-26T0{i}:00:00+00:00") for i in range(3))
    pruned.config = pruned.config.model_copy(update={"prune": "structured:0.5", "conv_algo": "im2col"})
    ort.config = ort.config.model_copy(update={"backend": "onnxruntime", "mode": "infer", "prune": "unstructured:0.5"})
    for r in (plain, pruned, ort):
        store.add(r)
    p = HistoryPanel(db_path=store.path)
    qtbot.addWidget(p)
    assert _column(p, "Levers") == ["onnxruntime, prune unstructured:0.5", "conv im2col, prune structured:0.5", ""]
    assert p.model.index(1, _index("Levers")).data(Qt.ToolTipRole).count("prune structured:0.5") == 1
    p.table.sortByColumn(_index("Levers"), Qt.AscendingOrder)
    assert p.model.rowCount() == 3
    from gui.history.model import column_widths  # the extra column still fits a 1280-pixel window, scroll bar beside
    assert sum(column_widths(p.table.fontMetrics())) <= 1280 - 16


def test_sorts_numbers_as_numbers(panel):
    panel.table.sortByColumn(_index("Samples/s"), Qt.AscendingOrder)
    assert _column(panel, "Samples/s") == ["50", "900", "3,000"]


def test_opening_a_run_shows_its_card_and_charts_again(panel, store):
    run_id = panel.model.rows[1].run_id
    panel.select_ids([run_id])
    panel.open_button.click()
    assert panel.detail.currentWidget() is panel.view
    assert panel.view.card.title.text().startswith("lenet")
    x, _y = panel.view.charts.charts["throughput"].curves[0].getData()
    assert len(x) > 10
    power_x, _ = panel.view.charts.charts["power"].curves[0].getData()
    assert len(power_x) > 5


def test_delete_removes_the_selected_runs(panel, store):
    gone = panel.model.rows[0].run_id
    panel.select_ids([gone])
    panel.open_selected()
    assert panel.delete_selected(confirm=False) == 1
    assert store.get(gone) is None and panel.model.rowCount() == 2
    assert panel.detail.currentWidget() is panel.placeholder


def test_selecting_several_runs_asks_to_compare_them(panel, qtbot):
    ids = [r.run_id for r in panel.model.rows[:2]]
    assert not panel.compare_button.isEnabled()
    panel.select_ids(ids)
    assert panel.compare_button.isEnabled() and panel.compare_button.text() == "Compare 2"
    with qtbot.waitSignal(panel.compare_requested) as got:
        panel.compare_button.click()
    assert sorted(got.args[0]) == sorted(ids)


def test_import_adds_a_result_json_from_another_machine_and_bad_files_are_named(panel, tmp_path, store):
    other = _result("gpu", "2026-11-26T10:00:00+00:00", network="resnet9")
    path = tmp_path / "from-server.json"
    path.write_text(other.model_dump_json())
    assert panel.import_path(path) is None
    assert _column(panel, "Network")[0] == "resnet9"
    assert panel.view.result.run_id == other.run_id
    bad = tmp_path / "notes.json"
    bad.write_text(json.dumps({"hello": 1}))
    error = panel.import_path(bad)
    assert error and "notes.json" in error and panel.error.isVisibleTo(panel)


def test_import_of_a_report_json_adds_every_run_and_says_how_many(panel, tmp_path, store):
    from engine.results import make_report
    runs = [_result("gpu", f"2026-11-27T0{i}:00:00+00:00", network=f"net{i}") for i in range(3)]
    report = make_report(runs, json=tmp_path / "report.json")[0]
    assert panel.import_path(report) is None
    assert len(store) == 6 and {r.run_id for r in runs} <= {r.run_id for r in store.list()}
    assert panel.count.text().startswith("imported 3 runs from report.json")
    assert set(panel.selected_ids()) == {r.run_id for r in runs}


def test_runs_added_elsewhere_appear_on_refresh(panel, store):
    store.add(_result("cpu", "2026-11-26T11:00:00+00:00", network="cli-run"))
    panel.refresh()
    assert _column(panel, "Network")[0] == "cli-run"


def _many(n):
    from datetime import UTC, datetime, timedelta
    base = make_script(kind="cpu", seconds=1.0).result
    base.series = Series()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        r = base.model_copy(deep=True)
        r.run_id = f"many{i:05d}"
        r.created_at = (start + timedelta(minutes=i)).isoformat(timespec="seconds")
        r.throughput_sps = float(i)
        out.append(r)
    return out


def test_a_long_history_reads_one_page_and_never_every_cell(qtbot, tmp_path, monkeypatch):
    # Before: ResizeToContents read every cell of every row on each reload (216,140 data() calls for
    # 1,005 runs) and the whole history was loaded; now the header is interactive and rows come in pages.
    from PySide6.QtWidgets import QHeaderView

    from gui.history import model as model_module
    from gui.history import panel as panel_module
    store = RunStore(tmp_path / "runs.sqlite")
    store.add_many(_many(2000))
    calls = []

    class Counting(model_module.HistoryModel):
        def data(self, index, role=Qt.DisplayRole):
            calls.append(index.row())
            return super().data(index, role)
    monkeypatch.setattr(panel_module, "HistoryModel", Counting)
    panel = panel_module.HistoryPanel(db_path=store.path)
    qtbot.addWidget(panel)
    panel.resize(1280, 640)
    panel.show()
    qtbot.waitExposed(panel)
    panel.grab()  # draws the table: the view reads the cells it shows
    header = panel.table.horizontalHeader()
    assert all(header.sectionResizeMode(i) == QHeaderView.Interactive for i in range(header.count()))
    assert panel.count.text() == "2,000 runs"
    assert panel.model.rowCount() < 2000 and max(calls) < panel.model.rowCount()
    assert len(calls) < 20_000
    assert panel.model.index(0, 0).data(model_module.RUN_ID_ROLE) == "many01999"  # newest first
    panel.table.scrollToBottom()  # the view asks for the next pages as it scrolls
    panel.model.fetch_all()
    assert panel.model.rowCount() == 2000


def test_sorting_a_paged_history_sorts_every_run_not_only_the_loaded_page(qtbot, tmp_path):
    from gui.history.panel import HistoryPanel
    store = RunStore(tmp_path / "runs.sqlite")
    store.add_many(_many(1000))
    panel = HistoryPanel(db_path=store.path)
    qtbot.addWidget(panel)
    panel.table.sortByColumn(_index("Samples/s"), Qt.AscendingOrder)  # lowest first
    assert panel.model.rows[0].run_id == "many00000"
    panel.table.sortByColumn(_index("Samples/s"), Qt.DescendingOrder)
    assert panel.model.rows[0].run_id == "many00999"
    panel.select_ids(["many00001"])  # far down: pages are read until it is there
    assert panel.selected_ids() == ["many00001"]


def test_switching_back_to_history_reloads_only_when_the_store_changed(qtbot, tmp_path):
    from gui.history.panel import HistoryPanel
    store = RunStore(tmp_path / "runs.sqlite")
    store.add_many(_many(3))
    panel = HistoryPanel(db_path=store.path)
    qtbot.addWidget(panel)
    assert panel.refresh_if_changed() is False
    store.add(_result("gpu", "2027-01-01T00:00:00+00:00"))
    assert panel.refresh_if_changed() is True and panel.count.text() == "4 runs"


def test_a_structurally_pruned_run_opens_its_smaller_network_in_the_editor(qtbot, tmp_path):
    """The pruned spec is stored with the run; History offers it as a new document."""
    from engine.net import analyze, load_preset
    from engine.results.result import PruneReport
    from gui.app import create_window
    spec = load_preset("lenet")
    spec.layers[0].params["out_channels"] = 3
    r = _result("cpu", "2026-11-26T10:00:00+00:00")
    r.network.spec = spec.model_dump(mode="json", exclude_none=True)
    r.prune = PruneReport(kind="structured", amount=0.5, layers=["conv1"], params_before=61_706,
                          params_after=analyze(spec).total_params)
    plain = _result("cpu", "2026-11-26T11:00:00+00:00")
    store = RunStore(tmp_path / "runs.sqlite")
    store.add(r)
    store.add(plain)
    window = create_window(defer_views=True)
    qtbot.addWidget(window)
    history = window.history
    history.db_path = store.path
    history.refresh()
    assert history.open_run(plain.run_id) and not history.view.open_pruned.isVisibleTo(history.view)
    assert history.open_run(r.run_id)
    view = history.view
    assert view.open_pruned.isVisibleTo(view) and "params 61,706 -&gt; " in view.card.levers.text()
    said = [w.text() for w in view.findChildren(QLabel) if w.isVisibleTo(view) and "61,706" in w.text()]
    assert len(said) == 1, said  # the card says it; a second line under it repeated it
    view.open_pruned.click()
    doc = window.editor.doc if hasattr(window.editor, "doc") else window.actions_.files.doc
    assert doc.current.name == "lenet pruned 0.5" and doc.current.layers[0].params["out_channels"] == 3
    assert window.tabs.currentWidget() is window.editor
