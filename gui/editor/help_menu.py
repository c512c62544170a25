"""The Help menu: keyboard shortcuts, the documentation (the README), and About.

`install_help_menu(window)` adds it to a main window's menu bar, or moves it back to the end when
menus were added after it (the Sweep menu joins once the other tabs are built).
"""
from __future__ import annotations

import html
from importlib import metadata

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMainWindow, QMessageBox, QVBoxLayout, QWidget

from engine.paths import ROOT

APP_NAME = "Tradeoff Lab"
README = ROOT / "README.md"
# Gestures no QAction carries, for the shortcuts list.
GESTURES = (
    ("Mouse wheel", "Zoom the canvas"),
    ("Middle button drag, or Space + drag", "Move around the canvas"),
    ("Drag from a lower port to an upper port", "Connect two layers"),
    ("Drop a layer on a wire", "Insert it between the two layers"),
    ("Double-click a palette entry", "Add the layer under the selected one"),
    ("Esc", "Cancel the wire being dragged"),
)


def _version() -> str:
    try:
        return metadata.version("tradeoff-lab")
    except metadata.PackageNotFoundError:  # a source checkout that was never installed
        return "development copy"


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str]]:
    """(keys, what they do) for every menu and toolbar action with a shortcut, then the gestures."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for action in window.findChildren(QAction):
        keys = ", ".join(s.toString(QKeySequence.NativeText) for s in action.shortcuts() if not s.isEmpty())
        name = action.text().replace("&", "").rstrip("…")
        if name.startswith(("Undo", "Redo")):
            name = name[:4]  # the menu text names the last edit; the list names the command
        if keys and name and name not in seen:
            seen.add(name)
            rows.append((keys, name))
    return rows + list(GESTURES)


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        self.rows = shortcut_rows(window)
        table = "".join(f"<tr><td style='padding-right:18px'><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>"
                        for k, v in self.rows)
        label = QLabel(f"<table cellspacing=3>{table}</table>")
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)


class HelpMenu:
    """The menu's actions; dialogs and the browser go through methods that tests replace."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self.menu = window.menuBar().addMenu("&Help")
        self.menu.setObjectName("HelpMenu")
        self.shortcuts = self.menu.addAction("&Keyboard Shortcuts", self.show_shortcuts)
        self.shortcuts.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.docs = self.menu.addAction("&Documentation (README)", self.open_docs)
        self.menu.addSeparator()
        self.about = self.menu.addAction(f"&About {APP_NAME}", self.show_about)

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.window).exec()

    def open_docs(self) -> bool:
        if not README.exists():
            self.show_message("Documentation", f"This copy of {APP_NAME} has no README beside it; it is in the "
                              "project's source folder.")
            return False
        return self.open_url(QUrl.fromLocalFile(str(README)))

    def open_url(self, url: QUrl) -> bool:
        return QDesktopServices.openUrl(url)

    def show_message(self, title: str, text: str) -> None:
        QMessageBox.information(self.window, title, text)

    def about_text(self) -> str:
        return (f"<h3>{APP_NAME} {html.escape(_version())}</h3>"
                "<p>Build a convolutional network, run it on this machine's CPU or GPU, and see what each choice "
                "costs: speed, power, energy and memory, against accuracy.</p>"
                "<p>Runs are kept in a history on this computer; compare them side by side or as a report.</p>")

    def show_about(self) -> None:
        QMessageBox.about(self.window, f"About {APP_NAME}", self.about_text())


def install_help_menu(window: QWidget) -> HelpMenu:
    """Add the Help menu (once) and keep it the last menu of the bar."""
    existing: HelpMenu | None = getattr(window, "help_menu", None)
    if existing is None:
        window.help_menu = existing = HelpMenu(window)
    bar = window.menuBar()
    bar.removeAction(existing.menu.menuAction())
    bar.addAction(existing.menu.menuAction())
    return existing
