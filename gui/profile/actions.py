"""The main window's Profile menu and the wiring of a profile through the window: a profile from the
Run tab's button or from History's Open profile goes to the Profile tab, and onto the Editor's
canvas when the editor shows the network that was profiled."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from engine.net import NetworkSpec
from gui.profile import SHORTCUT, TOOLTIP
from gui.profile.overlay import CanvasOverlay, same_network

if TYPE_CHECKING:  # the model loads with the first profile, not with the window
    from engine.profile import ProfileResult


class ProfileActions(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        editor = window.editor
        self.editor_overlay = CanvasOverlay(editor.scene, editor.canvas, self)
        menu = window.menuBar().addMenu("&Profile")
        self.profile_action = QAction("&Profile the network", self)
        self.profile_action.setShortcut(QKeySequence(SHORTCUT))
        self.profile_action.setToolTip(TOOLTIP)
        self.profile_action.setStatusTip(TOOLTIP)
        self.profile_action.triggered.connect(self.start)
        self.show_action = QAction("&Show the profile", self)
        self.show_action.setStatusTip("The roofline, the verdict and the layer table of the last profile opened")
        self.show_action.triggered.connect(lambda: window.show_tab("profile"))
        self.clear_action = QAction("&Clear profile", self)
        self.clear_action.setStatusTip("Remove the profile's colours and badges from the canvas")
        self.clear_action.triggered.connect(self.clear_all)
        menu.addActions([self.profile_action, self.show_action, self.clear_action])
        self.menu = menu

    def start(self) -> bool:
        """Ctrl+Shift+R: the Run tab profiles the network with its settings."""
        panel = self.window.run_panel
        self.window.tabs.setCurrentWidget(panel)
        return panel.profiler.start()

    def show_profile(self, profile: ProfileResult, network: NetworkSpec | None) -> None:
        """A new profile: into the Profile tab, and onto the editor when it shows that network."""
        self.window.view("profile").show_profile(profile, network)
        if network is not None and same_network(self.window.doc.current, network):
            self.editor_overlay.show(profile, network)
        self.window.show_tab("profile")

    def open_in_editor(self, profile: ProfileResult, network: NetworkSpec) -> bool:
        """The Profile tab's Open in the editor: the profiled network replaces the editor's (asking
        first when it has unsaved changes), coloured by the profile."""
        window = self.window
        if window.doc.read_only or not window.actions_.files.confirm_discard():
            return False
        window.doc.load(network)
        self.editor_overlay.show(profile, network)
        window.tabs.setCurrentWidget(window.editor)
        return True

    def clear_all(self) -> None:
        self.editor_overlay.clear()
        if self.window.built("profile"):
            self.window.view("profile").clear()
