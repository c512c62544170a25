"""Hostile strings in dialogs: message boxes, the unsaved-changes prompt, the suggested names of the
save and export dialogs, a field's error line, and the sweep dialog."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from engine.sweep import SweepProgress
from gui import plain_text
from gui.editor import settings
from tests.gui.rich_text_probe import ImageProbe, rich_text_leaks
from tests.hostile_strings import HOSTILE


@pytest.fixture
def boxes(qapp):
    """Message boxes shown, however they were made, as (format, text); each is answered with its
    default button as soon as it is up."""
    shown: list[tuple[Qt.TextFormat, str]] = []

    def answer() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMessageBox) and w.isVisible():
                shown.append((w.textFormat(), w.text()))
                default = w.defaultButton()
                w.done(w.standardButton(default) if default else QMessageBox.Ok)
    timer = QTimer()
    timer.timeout.connect(answer)
    timer.start(20)
    yield shown
    timer.stop()


@pytest.fixture
def save_dialog_starts(monkeypatch):
    """The start path every save dialog is opened with; the user cancels each."""
    starts: list[str] = []

    def fake(_parent, _title, start, _filter):
        starts.append(start)
        return "", ""
    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake)
    return starts


def test_error_messages_are_shown_literally(window, boxes, tmp_path):
    probe = ImageProbe(tmp_path)
    window.actions_.files.show_error("Cannot open the network", f"{probe.markup}: not valid JSON")
    assert boxes == [(Qt.PlainText, f"{probe.markup}: not valid JSON")]  # AutoText would render it
    assert not probe.was_read()


def test_the_unsaved_prompt_names_the_network_literally(window, boxes, tmp_path):
    probe = ImageProbe(tmp_path)
    window.doc.set_network(name=probe.markup)  # an edit: the document is now unsaved
    files = window.actions_.files
    answer = type(files).ask_unsaved(files)  # the real prompt, not the fixture's stand-in
    assert answer == QMessageBox.Save  # the default button
    assert boxes[0][0] == Qt.PlainText and probe.markup in boxes[0][1]


def test_a_long_message_is_elided_in_its_box(window, boxes):
    window.actions_.files.show_error("Cannot open the network", HOSTILE["megabyte_plain"])
    assert len(boxes[0][1]) <= plain_text.MESSAGE_CHARS_MAX


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_save_and_export_dialogs_suggest_a_plain_file_name_in_the_last_folder(window, save_dialog_starts, text):
    window.doc.set_network(name=text)
    window.actions_.files.ask_save_path()
    window.actions_.ask_export_path("pytorch")
    window.actions_.ask_export_path("onnx")
    folder = Path(settings.last_dir()).resolve()
    for start in save_dialog_starts:
        suggested = Path(start)
        assert suggested.parent.resolve() == folder  # no "../" or "/" climbs out of it
        assert len(suggested.name) <= plain_text.FILE_STEM_CHARS_MAX + len(".onnx")
        assert suggested.name.isprintable() and not suggested.name.startswith(".")


def test_a_field_error_quotes_what_was_typed_literally(window, tmp_path):
    probe = ImageProbe(tmp_path)
    window.editor.scene.select_ids(["conv1"])
    field = window.editor.inspector._editors["kernel_size"]
    field.edit.setText(probe.markup)
    assert not field.commit()
    window.grab()
    assert "'<img' is not a whole number" in field.error.text() and field.error.textFormat() == Qt.PlainText
    assert not probe.was_read()


def test_the_sweep_dialog_shows_run_labels_and_errors_literally(qtbot, tmp_path):
    from gui import sweep_dialog as sd
    probe = ImageProbe(tmp_path)
    dialog = sd.SweepDialog("lenet", db_path=str(tmp_path / "h.sqlite"), sweeps_dir=tmp_path / "sweeps",
                            display_name=probe.markup)
    qtbot.addWidget(dialog)
    dialog.show()
    for event in ("run_started", "run_finished", "run_skipped"):
        dialog.handle_progress(SweepProgress(event=event, total=2, done=1, index=0, label=probe.markup,
                                             status="failed", reason=probe.markup))
        dialog.grab()
        assert rich_text_leaks(dialog, probe.markup) == []
    assert probe.markup in dialog.status.text()
    assert not probe.was_read()
