"""The window fits small screens (1280x720, 1920x1080 at 150 %): its minimum size, the Run tab's
charts after a run, the Run panel's buttons and reasons, and tabs built only when first shown."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.run.replay import make_script


@pytest.fixture
def themed(qapp):
    """The app's look (style, font size, style sheet) as main.py sets it: sizes depend on it."""
    from gui.resources import theme
    saved = (qapp.style().name(), qapp.palette(), qapp.font(), qapp.styleSheet())
    theme.apply(qapp)
    yield qapp
    qapp.setStyle(saved[0])
    qapp.setPalette(saved[1])
    qapp.setFont(saved[2])
    qapp.setStyleSheet(saved[3])


@pytest.fixture
def window(qtbot, themed):
    from gui.app import create_window
    w = create_window()
    qtbot.addWidget(w)
    w.actions_.files.ask_unsaved = lambda: QMessageBox.Discard
    w.resize(1280, 720)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.actions_.files.confirm_discard = lambda: True
    if w.built("run"):
        w.run_panel._load_inventory = False


def test_tabs_other_than_the_editor_are_built_when_first_shown(window):
    from gui.history.panel import HistoryPanel
    from gui.run.panel import RunPanel
    assert not any(window.built(k) for k in ("run", "history", "compare", "place", "profile"))
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["Editor", "Run", "History", "Compare",
                                                                           "Place", "Profile"]
    window.run_panel._load_inventory = False  # asked for: built now, no inventory process in a test
    assert window.built("run") and not window.built("history")
    window.tabs.setCurrentIndex(2)
    assert isinstance(window.tabs.currentWidget(), HistoryPanel) and window.built("history")
    assert window.tabs.tabText(2) == "History" and isinstance(window.tabs.widget(1), RunPanel)


def test_minimum_size_fits_1280x720_with_every_tab_built(window):
    window.run_panel._load_inventory = False
    window.add_views()
    from gui.main_window import LAZY_TABS, MIN_WINDOW
    assert MIN_WINDOW.width() <= 1200 and MIN_WINDOW.height() <= 700
    for key in (*LAZY_TABS, "editor"):
        window.tabs.setCurrentWidget(window.editor if key == "editor" else window.view(key))
        QApplication.processEvents()
        hint = window.minimumSizeHint()
        assert hint.width() <= MIN_WINDOW.width() and hint.height() <= MIN_WINDOW.height(), (key, hint)


def _finish_a_run(panel, kind):
    from gui.run.chart_specs import ChartContext
    from gui.run.live_data import LiveRun
    script = make_script(kind=kind, seconds=2.0)
    result = script.result
    panel._bound_run = True
    panel.charts.bind(LiveRun.from_series(result.series), ChartContext.from_config(
        result.config, availability=script.events[0][1].availability), live_updates=False)
    panel._finished(result)
    QApplication.processEvents()
    return result


@pytest.mark.parametrize("kind", ["cpu", "gpu"])
def test_after_a_run_each_chart_keeps_its_minimum_height(window, kind):
    # Before: the summary card squeezed twelve charts into 25-70 px strips; now the page scrolls.
    from gui.run.charts import MIN_CHART_HEIGHT_PX
    panel = window.run_panel
    panel._load_inventory = False
    window.show_tab("run")
    _finish_a_run(panel, kind)
    assert panel.card.isVisible()
    shown = panel.charts.shown()
    assert len(shown) == (6 if kind == "cpu" else 12)  # CPU: no GPU charts, no energy (no RAPL here)
    for chart in shown:
        assert chart.plot.geometry().height() >= MIN_CHART_HEIGHT_PX, chart.spec.key
    if kind == "cpu":
        assert "GPU power" in panel.charts.folded_line.text() and panel.charts.folded_line.isVisible()


def _fully_visible(widget) -> bool:
    return widget.isVisible() and widget.visibleRegion().boundingRect().size() == widget.size()


def test_run_panel_never_clips_stop_the_estimate_or_the_reason(window):
    panel = window.run_panel
    panel._load_inventory = False
    window.show_tab("run")
    panel.why.setText("Fix the network first: conv2 (Conv2d): in_channels 3 does not match the 6 channels "
                      "coming from conv1 (and 2 more)")
    QApplication.processEvents()
    for w in (panel.start_button, panel.stop_button, panel.estimate_label, panel.why):
        assert _fully_visible(w), w.objectName()
    assert panel.why.height() >= panel.why.heightForWidth(panel.why.width())
    assert panel.estimate_label.height() >= panel.estimate_label.heightForWidth(panel.estimate_label.width())


def test_run_settings_fit_their_column_at_the_minimum_size(window):
    """Long option labels ("Processes (CPU data parallel)") and long choices once widened the settings past
    the column, and the scroll area (no horizontal bar) clipped every control's right edge."""
    from PySide6.QtWidgets import QScrollArea

    from gui.main_window import MIN_WINDOW
    window.run_panel._load_inventory = False
    window.show_tab("run")
    window.resize(MIN_WINDOW)
    QApplication.processEvents()
    scroll = window.run_panel.findChild(QScrollArea, "RunSideScroll")
    assert scroll.widget().minimumSizeHint().width() <= scroll.viewport().width()
    assert scroll.widget().width() <= scroll.viewport().width()


def test_history_table_fills_the_pane_until_a_run_is_opened(window, tmp_path):
    from engine.results import RunStore
    from gui.history.panel import HistoryPanel
    store = RunStore(tmp_path / "runs.sqlite")
    results = [make_script(kind="cpu", seconds=1.0, seed=i).result for i in range(3)]
    for r in results:
        store.add(r)
    history = HistoryPanel(db_path=store.path)
    history.resize(1280, 640)
    history.show()
    QApplication.processEvents()
    assert history.table.height() >= 0.7 * history.height()
    history.open_run(results[0].run_id)
    QApplication.processEvents()
    assert history.view.isVisible() and history.view.height() >= 0.4 * history.height()
    history.close()


def test_a_second_result_replaces_the_card_tiles_at_once(qtbot):
    # The old tiles stayed drawn under the new ones until the event loop deleted them (overlapping text).
    from PySide6.QtWidgets import QLabel

    from gui.run.summary_card import SummaryCard
    card = SummaryCard()
    qtbot.addWidget(card)
    card.show()
    card.show_result(make_script(kind="gpu", seconds=1.0).result)
    qtbot.waitUntil(lambda: all(w.isVisible() for w in card.values.values()))
    card.show_result(make_script(kind="cpu", seconds=1.0).result)
    current = set(card.values.values())
    stale = [w for w in card.findChildren(QLabel) if w.objectName() == "Tile" and w.isVisible() and w not in current]
    assert not stale and len(current) == 8
