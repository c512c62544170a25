"""The Help menu (shortcuts, documentation, about) and the editor's Run action."""
from __future__ import annotations

from PySide6.QtCore import Qt

from gui.editor.help_menu import README, ShortcutsDialog, install_help_menu, shortcut_rows


def _menu_titles(window) -> list[str]:
    return [a.text().replace("&", "") for a in window.menuBar().actions()]


def test_help_is_the_last_menu_even_after_the_other_tabs_add_theirs(window):
    titles = _menu_titles(window)
    assert titles[-1] == "Help" and "Sweep" in titles
    install_help_menu(window)  # idempotent: still one Help menu
    assert _menu_titles(window).count("Help") == 1


def test_keyboard_shortcuts_list_the_real_shortcuts_and_gestures(window):
    rows = dict((name, keys) for keys, name in shortcut_rows(window))
    assert rows["Run"] == "Ctrl+R"
    assert rows["Save"] == "Ctrl+S" and "Undo" in rows and "Fit to Window" in rows
    assert any("wire" in name for name in rows)  # the mouse gestures too
    dialog = ShortcutsDialog(window)
    assert len(dialog.rows) == len(rows)
    dialog.deleteLater()


def test_documentation_opens_the_readme_and_about_names_the_app(window, monkeypatch):
    help_menu = window.help_menu
    opened = []
    monkeypatch.setattr(help_menu, "open_url", lambda url: opened.append(url.toLocalFile()) or True)
    help_menu.docs.trigger()
    assert opened == [str(README)]
    assert "Tradeoff Lab" in help_menu.about_text()
    monkeypatch.setattr("gui.editor.help_menu.README", README.with_name("NO_SUCH_README.md"))
    shown = []
    monkeypatch.setattr(help_menu, "show_message", lambda title, text: shown.append(text))
    assert not help_menu.open_docs() and shown and "README" in shown[0]


def test_run_switches_to_the_run_tab_and_starts(window, qtbot, monkeypatch):
    started = []
    monkeypatch.setattr(window.run_panel, "start", lambda: started.append(True) or True)
    window.tabs.setCurrentWidget(window.editor)
    assert window.actions_.run.isEnabled()
    assert window.actions_.run.shortcut().toString() == "Ctrl+R"
    qtbot.keyClick(window.editor.canvas, Qt.Key_R, Qt.ControlModifier)
    assert started == [True] and window.tabs.currentWidget() is window.run_panel


def test_run_is_disabled_with_the_reason_while_the_net_has_problems(window):
    window.doc.set_param("conv1", "kernel_size", 99)
    assert not window.actions_.run.isEnabled()
    assert "problems" in window.actions_.run.toolTip()
    window.doc.undo_stack.undo()
    assert window.actions_.run.isEnabled()
    window.doc.set_read_only(True)
    assert not window.actions_.run.isEnabled() and "in progress" in window.actions_.run.toolTip()
    window.doc.set_read_only(False)
