"""GUI tests run offscreen, with QSettings and the app's data folder in temporary folders so a test
never reads or writes the user's real settings, recent files or run history."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.mktemp("settings")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))
    QSettings(QSettings.IniFormat, QSettings.UserScope, "tradeoff-lab", "tradeoff-lab").clear()
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path_factory.mktemp("data")))
    yield folder


@pytest.fixture
def doc(qapp):
    from gui.editor.document import Document
    return Document()


@pytest.fixture
def window(qtbot):
    """The main window on its default project, shown offscreen; closing never prompts."""
    from gui.app import create_window
    w = create_window()
    qtbot.addWidget(w)
    w.resize(1400, 860)
    w.show()
    qtbot.waitExposed(w)
    w.actions_.files.ask_unsaved = lambda: QMessageBox.Discard  # closing at teardown never blocks
    return w


@pytest.fixture
def editor(window):
    return window.editor
