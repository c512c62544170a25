"""The editor's Run action (Ctrl+R) in a main window: switch to the Run tab (built on first use) and
start a run with its settings. The Run tab says why when it cannot start."""
from __future__ import annotations

from PySide6.QtWidgets import QMainWindow


def run_from_editor(window: QMainWindow) -> bool:
    """True when a run started."""
    panel = window.run_panel  # builds the tab if it is not there yet
    window.tabs.setCurrentWidget(panel)
    return panel.start()
