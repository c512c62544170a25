"""GUI tests run offscreen, with QSettings and the app's data folder in temporary folders so a test
never reads or writes the user's real settings, recent files or run history."""
from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Redirect before any window exists (module-scoped fixtures are built before per-test ones).
os.environ["TRADEOFF_LAB_DATA"] = tempfile.mkdtemp(prefix="tradeoff-test-data-")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

QSettings.setDefaultFormat(QSettings.IniFormat)
QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp(prefix="tradeoff-test-settings-"))

_DIALOG_HOOKS = ("ask_unsaved", "ask_save_path", "ask_open_path", "show_error", "confirm_discard")


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.mktemp("settings")
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))
    QSettings(QSettings.IniFormat, QSettings.UserScope, "tradeoff-lab", "tradeoff-lab").clear()
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path_factory.mktemp("data")))
    yield folder


@pytest.fixture
def doc(qapp):
    from gui.editor.document import Document
    return Document()


def make_window(qtbot):
    from gui.app import create_window
    w = create_window()
    qtbot.addWidget(w)
    w.resize(1400, 860)
    w.show()
    qtbot.waitExposed(w)
    w.actions_.files.ask_unsaved = lambda: QMessageBox.Discard  # closing at teardown never blocks
    return w


@pytest.fixture(scope="module")
def _shared_window(qapp):
    """Building the main window (every tab) takes seconds on a loaded 2-core machine: one per module."""
    from gui.app import create_window
    w = create_window()
    w.resize(1400, 860)
    w.show()
    yield w
    w.actions_.files.confirm_discard = lambda: True
    w.close()
    w.deleteLater()


@pytest.fixture
def window(_shared_window, qtbot):
    """The main window, reset to the default project (LeNet) with no history and no dialog hooks."""
    w = _shared_window
    files = w.actions_.files
    for name in _DIALOG_HOOKS:
        files.__dict__.pop(name, None)
    files.ask_unsaved = lambda: QMessageBox.Discard
    w.doc.set_read_only(False)
    from gui.app import default_document
    w.doc.load(default_document().current)
    w.editor.scene.clearSelection()
    w.editor.canvas.resetTransform()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def editor(window):
    return window.editor
