"""The Place tab on stored (synthetic) runs: projections per place, precision and place filters, the
cross-check, remembered assumptions, plain-text names, and the empty state."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from engine.format import MISSING
from engine.results import RunStore
from gui.place import PlaceView
from gui.place.table_model import COLUMNS
from tests.engine.fake_runs import make_run

HOSTILE = '<img src="/dev/zero"> net'


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "runs.sqlite"
    store = RunStore(path)
    store.add(make_run("gpu-bf16", device="cuda", precision="bf16", batch=512, throughput_sps=80000.0,
                       created_at="2026-11-26T08:00:00+00:00"))
    store.add(make_run("gpu-fp32", device="cuda", precision="fp32", batch=512, throughput_sps=20000.0,
                       created_at="2026-11-26T09:00:00+00:00", network=HOSTILE))
    return path


def _rows(view: PlaceView) -> dict:
    return {t.id: t for t in view.model.rows}


def test_projects_the_chosen_run_onto_every_place(qtbot, store_path):
    view = PlaceView(store_path)
    qtbot.addWidget(view)
    view.select_run("gpu-bf16")
    rows = _rows(view)
    assert rows["h200"].throughput_sps == pytest.approx(80000.0, rel=1e-4)
    assert {t.place for t in view.model.rows if t.throughput_sps} == {"datacentre", "cloud", "edge", "laptop",
                                                                      "desktop", "workstation"}
    assert "PROJECTED" in view.source_label.text()
    # a target that cannot run it says why in the table, instead of a number
    coral = next(r for r in range(view.proxy.rowCount())
                 if view.proxy.index(r, 0).data() == "Google Coral Edge TPU (USB)")
    reason = view.proxy.index(coral, len(COLUMNS) - 1).data()
    assert "int8 only" in reason and view.proxy.index(coral, 3).data() == MISSING


def test_filters_by_place_and_projects_at_another_precision(qtbot, store_path):
    view = PlaceView(store_path)
    qtbot.addWidget(view)
    view.select_run("gpu-bf16")
    for place, box in view.place_boxes.items():
        box.setChecked(place == "edge")
    assert {t.place for t in view.model.rows} == {"edge"}
    view.precision.setCurrentIndex(view.precision.findData("int8"))
    assert _rows(view)["coral-edge-tpu"].throughput_sps and _rows(view)["hailo-8"].throughput_sps
    for box in view.place_boxes.values():
        box.setChecked(False)
    assert view.model.rows == [] and "tick at least one place" in view.empty.text()


def test_check_against_a_measured_run_shows_the_error(qtbot, store_path):
    view = PlaceView(store_path)
    qtbot.addWidget(view)
    view.select_run("gpu-fp32")
    view.check_box.setCurrentIndex(view.check_box.findData("gpu-bf16"))
    assert "measured 80,000" in view.check_label.text() and "error" in view.check_label.text()


def test_assumptions_are_listed_and_remembered(qtbot, store_path):
    view = PlaceView(store_path)
    qtbot.addWidget(view)
    view.usd_per_kwh.setValue(0.4)
    view.region.setCurrentIndex(view.region.findData("france"))
    text = view.assumptions_text()
    assert "usd_per_kwh: 0.4" in text and "region: france" in text and "Calibration" in text
    again = PlaceView(store_path)
    qtbot.addWidget(again)
    assert again.usd_per_kwh.value() == pytest.approx(0.4) and again.region.currentData() == "france"
    assert again.assumptions().usd_per_kwh == pytest.approx(0.4)


def test_hostile_names_stay_plain_text(qtbot, store_path):
    view = PlaceView(store_path)
    qtbot.addWidget(view)
    view.select_run("gpu-fp32")
    assert view.source_label.textFormat() == Qt.TextFormat.PlainText
    assert HOSTILE in view.run_box.currentText()


def test_empty_history_says_what_to_do(qtbot, tmp_path):
    view = PlaceView(tmp_path / "empty.sqlite")
    qtbot.addWidget(view)
    assert view.model.rows == [] and "Run a network" in view.empty.text()


def test_log_axes_get_one_label_per_decade():
    from gui.place.plot import decade_ticks
    ticks = decade_ticks([2e-5, 3e-3, 0.04])
    assert [pos for pos, _ in ticks] == [-5.0, -4.0, -3.0, -2.0, -1.0]
    assert ticks[0][1] == "10⁻⁵" and decade_ticks([]) == []
    narrow = [label for _, label in decade_ticks([4e-3, 6e-2])]
    assert narrow == ["10⁻³", "2·10⁻³", "5·10⁻³", "10⁻²", "2·10⁻²", "5·10⁻²", "10⁻¹"]
