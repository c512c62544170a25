"""Hostile files and stored data in the GUI: a spec or result nested 1,000+ levels or holding a
5,000-digit integer, a clipboard holding such JSON, a corrupt history row, and an exception no view
handled. Each gets one message naming the file or run and the problem; the app stays up."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from engine.results import RunStore
from gui import unexpected_errors
from gui.run.replay import make_script

DEEP = "[" * 5000 + "]" * 5000
HUGE_INT = "9" * 5000


@pytest.fixture
def boxes(qapp):
    """Message boxes shown, however they were made, as their text; each is closed as soon as it is up."""
    shown: list[str] = []

    def answer() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMessageBox) and w.isVisible():
                shown.append(w.text())
                assert w.textFormat() == Qt.PlainText
                w.done(QMessageBox.Ok)
    timer = QTimer()
    timer.timeout.connect(answer)
    timer.start(20)
    yield shown
    timer.stop()


def _lenet_json_with(num_classes_text: str) -> str:
    from gui.app import default_document
    text = default_document().current.to_json()
    return text.replace('"num_classes": 10', f'"num_classes": {num_classes_text}', 1)


@pytest.mark.parametrize("content, problem", [
    (DEEP, "nested"),
    (_lenet_json_with(HUGE_INT), "digits"),
], ids=["nested-5000-levels", "integer-5000-digits"])
def test_opening_a_hostile_spec_shows_one_message_naming_the_file(window, boxes, tmp_path, content, problem):
    path = tmp_path / "hostile-spec.json"
    path.write_text(content)
    before = window.doc.current
    assert window.actions_.files.open_path(path, confirmed=True) is False
    assert len(boxes) == 1 and "hostile-spec.json" in boxes[0] and problem in boxes[0]
    assert window.doc.current == before  # the open document is kept


@pytest.mark.parametrize("content, problem", [
    (DEEP, "nested"),
    (json.dumps({"version": 1, "run_id": "x", "steps": 0}).replace('"steps": 0', f'"steps": {HUGE_INT}'), "digits"),
], ids=["nested-5000-levels", "integer-5000-digits"])
def test_importing_a_hostile_result_names_the_file_and_the_problem(qtbot, tmp_path, content, problem):
    from gui.history.panel import HistoryPanel
    panel = HistoryPanel(db_path=tmp_path / "runs.sqlite")
    qtbot.addWidget(panel)
    path = tmp_path / "hostile-result.json"
    path.write_text(content)
    error = panel.import_path(path)
    assert error is not None and "hostile-result.json" in error and problem in error
    assert "hostile-result.json" in panel.error.text() and panel.error.isVisibleTo(panel)


def test_pasting_hostile_json_says_there_is_nothing_to_paste(window, qtbot):
    messages: list[str] = []
    window.doc.message.connect(messages.append)
    layers = len(window.doc.current.layers)
    QGuiApplication.clipboard().setText(DEEP)
    assert window.editor.paste() == []
    assert messages == ["The clipboard holds no layers to paste."]
    assert len(window.doc.current.layers) == layers


def _store_with_a_corrupt_row(tmp_path) -> RunStore:
    store = RunStore(tmp_path / "runs.sqlite")
    for run_id in ("good-1", "good-2", "bad"):
        r = make_script(kind="cpu", seconds=1.0).result
        r.run_id = run_id
        store.add(r)
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE runs SET result_json = ? WHERE run_id = 'bad'", ('{"run_id": "bad", "stat',))
    return store


def test_opening_a_corrupt_history_row_names_the_run_and_keeps_the_panel_up(qtbot, tmp_path):
    from gui.history.panel import HistoryPanel
    store = _store_with_a_corrupt_row(tmp_path)
    panel = HistoryPanel(db_path=store.path)
    qtbot.addWidget(panel)
    panel.refresh()
    assert panel.open_run("bad") is False
    assert "bad" in panel.error.text() and "damaged" in panel.error.text() and panel.error.isVisibleTo(panel)
    assert panel.open_run("good-1") is True  # the rest of the history still opens


def test_comparing_with_a_corrupt_row_compares_the_others_and_says_which_was_left_out(qtbot, tmp_path):
    from gui.compare import CompareView
    store = _store_with_a_corrupt_row(tmp_path)
    view = CompareView(store_path=store.path)
    qtbot.addWidget(view)
    left_out = view.show_runs(["good-1", "bad", "good-2"])
    assert left_out == ["bad"]
    assert sorted(r.run_id for r in view.results) == ["good-1", "good-2"]
    assert "bad" in view.skipped_note.text() and "damaged" in view.skipped_note.text()
    assert not view.skipped_note.isHidden()


def test_an_unhandled_error_shows_one_dialog_logs_the_traceback_and_the_app_stays_up(qapp, boxes, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    unexpected_errors.install()
    assert sys.excepthook is unexpected_errors.handle
    try:
        raise ZeroDivisionError("division by zero in a slot")
    except ZeroDivisionError:
        sys.excepthook(*sys.exc_info())
    assert len(boxes) == 1
    assert "ZeroDivisionError: division by zero in a slot" in boxes[0]
    assert str(unexpected_errors.log_path()) in boxes[0]
    logged = unexpected_errors.log_path().read_text()
    assert "Traceback" in logged and "ZeroDivisionError" in logged and __file__ in logged
    assert QApplication.instance() is qapp and not qapp.closingDown()


@pytest.mark.qt_no_exception_capture
def test_an_exception_raised_in_a_slot_reaches_the_dialog(qtbot, boxes, monkeypatch):
    """Qt hands a slot's exception to sys.excepthook; the event loop goes on afterwards."""
    monkeypatch.setattr(sys, "excepthook", unexpected_errors.handle)
    later: list[bool] = []

    def broken() -> None:
        raise RuntimeError("a view that forgot a case")
    QTimer.singleShot(0, broken)
    QTimer.singleShot(50, lambda: later.append(True))
    qtbot.waitUntil(lambda: bool(boxes and later), timeout=5000)
    assert "RuntimeError: a view that forgot a case" in boxes[0]


def test_a_user_facing_engine_error_is_shown_as_its_own_message(boxes, monkeypatch):
    from engine.errors import BadInput
    monkeypatch.setattr(unexpected_errors, "_log", lambda _text: None)
    unexpected_errors.handle(BadInput, BadInput("spec.json: layer 'fc1' field 'in_features': must be ≥ 1"), None)
    assert boxes == ["spec.json: layer 'fc1' field 'in_features': must be ≥ 1"]


APP_SCRIPT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
import gui.app

def broken():
    raise RuntimeError("a view that forgot a case")

def check():
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    if not boxes:
        QTimer.singleShot(50, check)
        return
    print("dialog:", boxes[0].text().splitlines()[0], flush=True)
    boxes[0].done(QMessageBox.Ok)
    QTimer.singleShot(100, still_up)

def still_up():
    print("still up", flush=True)
    for w in QApplication.topLevelWidgets():
        if hasattr(w, "actions_"):
            w.actions_.files.confirm_discard = lambda: True
            w.close()
    QApplication.instance().quit()

app = QApplication(["tradeoff-lab"])  # main() uses it; the timers need it
QTimer.singleShot(200, broken)
QTimer.singleShot(250, check)
sys.exit(gui.app.main([]))
"""


def test_the_app_shows_an_unhandled_error_and_keeps_running(tmp_path):
    """The real `main.py` start-up installs the handler: a slot that raises gives a dialog, not a dead app."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TRADEOFF_LAB_DATA": str(tmp_path),
           "PYTHONPATH": str(root), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run([sys.executable, "-c", APP_SCRIPT], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "dialog: An unexpected error: RuntimeError: a view that forgot a case" in done.stdout
    assert "still up" in done.stdout  # the event loop went on after the dialog
    assert "RuntimeError: a view that forgot a case" in (tmp_path / unexpected_errors.LOG_NAME).read_text()


def test_an_error_in_a_worker_thread_is_shown_from_the_gui_thread(qtbot, boxes, monkeypatch):
    """A QThread's exception reaches sys.excepthook in that thread; the dialog must wait for the GUI thread."""
    import threading
    monkeypatch.setattr(unexpected_errors, "_log", lambda _text: None)

    def worker() -> None:
        try:
            raise OSError("disk vanished under an export")
        except OSError:
            unexpected_errors.handle(*sys.exc_info())
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: bool(boxes), timeout=5000)
    assert "OSError: disk vanished under an export" in boxes[0]
