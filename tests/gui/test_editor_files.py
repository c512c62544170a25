"""File commands: save/load round trip, atomic save, bad files, the unsaved-changes prompt, recent
files and window state in QSettings."""
from __future__ import annotations

import json
import os

import pytest
from PySide6.QtWidgets import QMessageBox

from engine.net.spec import INPUT_ID, load_spec
from gui.editor import settings
from tests.gui.conftest import make_window


def _errors(window) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    window.actions_.files.show_error = lambda title, text: shown.append((title, text))
    return shown


def _build(doc) -> None:
    conv = doc.add_layer("Conv2d", (0, 130))
    doc.connect(INPUT_ID, conv)
    doc.set_param(conv, "out_channels", 6)
    relu = doc.add_layer("ReLU", (0, 260))
    doc.connect(conv, relu)


def test_save_and_reopen_round_trip(window, tmp_path):
    files = window.actions_.files
    files.new()
    doc = window.doc
    _build(doc)
    path = tmp_path / "net.json"
    files.ask_save_path = lambda: path
    assert window.actions_.save.trigger() is None and path.exists()
    assert not doc.dirty and doc.path == path.resolve()
    assert "[*]" not in window.windowTitle() or not window.isWindowModified()
    saved = doc.spec
    assert load_spec(path) == saved
    files.new()
    assert files.open_path(path)
    assert doc.spec == saved
    assert settings.recent_files()[0] == path.resolve()


def test_atomic_save_keeps_the_old_file_when_writing_fails(window, tmp_path, monkeypatch):
    files = window.actions_.files
    errors = _errors(window)
    path = tmp_path / "net.json"
    path.write_text("OLD CONTENT", encoding="utf-8")
    files.ask_save_path = lambda: path
    window.doc.set_network(name="changed")

    def boom(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", boom)
    assert not files.save_as()
    assert path.read_text(encoding="utf-8") == "OLD CONTENT"
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]  # no temp file left behind
    assert errors and "net.json" in errors[0][1] and "No space left" in errors[0][1]
    assert window.doc.dirty


@pytest.mark.parametrize("content, expect", [
    ("this is not json {", "not valid JSON"),
    (json.dumps({"format": "something/else", "version": 1, "input": {"shape": [1]}}), "format"),
    (json.dumps({"format": "tradeoff-lab/network", "version": 99, "input": {"shape": [1]}}), "version"),
    (json.dumps({"format": "tradeoff-lab/network", "version": 1, "input": {"shape": "big"}}), "input"),
    (json.dumps([1, 2, 3]), "JSON object"),
])
def test_bad_files_leave_the_document_as_it_was(window, tmp_path, content, expect):
    errors = _errors(window)
    before = window.doc.spec
    depth = window.doc.undo_stack.count()
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    assert not window.actions_.files.open_path(path)
    assert len(errors) == 1 and "bad.json" in errors[0][1] and expect in errors[0][1]
    assert window.doc.spec == before and window.doc.undo_stack.count() == depth
    assert window.doc.path is None


@pytest.mark.parametrize("kind", ["missing", "folder", "binary"])
def test_unreadable_paths_give_a_clear_message(window, tmp_path, kind):
    errors = _errors(window)
    before = window.doc.spec
    path = tmp_path / "thing.json"
    if kind == "folder":
        path.mkdir()
    elif kind == "binary":
        path.write_bytes(b"\xff\xfe\x00\x81garbage")
    assert not window.actions_.files.open_path(path)
    assert errors and "thing.json" in errors[0][1]
    assert window.doc.spec == before


def test_spec_with_errors_still_opens_with_problems_marked(window, tmp_path):
    spec = {"format": "tradeoff-lab/network", "version": 1, "name": "broken", "input": {"shape": [1, 28, 28]},
            "layers": [{"id": "conv1", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3},
                        "inputs": ["input"]},
                       {"id": "fc", "type": "Linear", "params": {"out_features": 10}, "inputs": ["nowhere"]}],
            "output": "fc"}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    assert window.actions_.files.open_path(path)
    doc = window.doc
    assert [layer.id for layer in doc.current.layers] == ["conv1", "fc"]
    assert doc.analysis.problems_for("fc")
    assert window.editor.scene.nodes["fc"].content.problems
    assert not doc.dirty  # auto layout on open is not an edit


def test_unsaved_changes_prompt_cancel_save_discard(window, tmp_path):
    files = window.actions_.files
    doc = window.doc
    files.new()
    _build(doc)
    before = doc.spec
    asked = []
    files.ask_unsaved = lambda: asked.append(1) or QMessageBox.Cancel
    assert not files.new()
    assert asked and doc.spec == before
    path = tmp_path / "kept.json"
    files.ask_save_path = lambda: path
    files.ask_unsaved = lambda: QMessageBox.Save
    assert files.new()
    assert load_spec(path).layers == before.layers and doc.current.layers == []
    _build(doc)
    files.ask_unsaved = lambda: QMessageBox.Discard
    assert files.new() and doc.current.layers == []


def test_close_asks_and_remembers_window_layout(qtbot):
    window = make_window(qtbot)  # its own window: this test closes it
    files = window.actions_.files
    window.doc.set_network(name="dirty")
    files.ask_unsaved = lambda: QMessageBox.Cancel
    assert not window.close()
    files.ask_unsaved = lambda: QMessageBox.Discard
    assert window.close()
    assert settings.load_bytes("window/geometry") is not None
    assert settings.load_bytes("window/editor_splitter") is not None


def test_recent_menu_lists_opened_files(window, tmp_path):
    files = window.actions_.files
    files.new()
    path = tmp_path / "a.json"
    files.ask_save_path = lambda: path
    files.save_as()
    window.actions_._fill_recent()
    texts = [a.text() for a in window.actions_.recent_menu.actions()]
    assert "a.json" in texts


def test_specs_with_structural_errors_open_without_crashing(window, tmp_path):
    spec = {"format": "tradeoff-lab/network", "version": 1, "name": "messy", "input": {"shape": [3, 16, 16]},
            "layers": [{"id": "a", "type": "Conv2d", "params": {"out_channels": 4}, "inputs": ["b"]},
                       {"id": "b", "type": "ReLU", "inputs": ["a"]},
                       {"id": "a", "type": "ReLU", "inputs": ["input"]},
                       {"id": "w", "type": "Wobble", "inputs": ["input"]},
                       {"id": "bad id", "type": "ReLU", "inputs": ["nowhere"]}],
            "output": "zzz", "layout": {"a": [0, 0]}}
    path = tmp_path / "messy.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    assert window.actions_.files.open_path(path)
    doc, scene = window.doc, window.editor.scene
    messages = " ".join(str(p) for p in doc.analysis.problems)
    assert "Wobble" in messages and "cycle" in messages.lower()
    assert scene.nodes["w"].content.problems
    for node_id in ("a", "b", "w", "bad id"):
        scene.select_ids([node_id])  # the inspector copes with every one of them
    window.editor.tidy()
    window.editor.select_all()
    window.editor.delete_selection()
    assert doc.current.layers == []
