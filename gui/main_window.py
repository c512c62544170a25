"""The main window: layout only. Menus, the toolbar, the status bar and the central tabs; each tab's
view is built in its own package and given the Document. Other views join as one more tab here."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QMainWindow, QTabWidget, QToolBar, QToolButton

from gui.editor import settings
from gui.editor.actions import EditorActions
from gui.editor.document import Document
from gui.editor.editor_view import EditorView
from gui.resources.toolbar_icons import toolbar_icon

APP_NAME = "Tradeoff Lab"


class MainWindow(QMainWindow):
    def __init__(self, doc: Document, defer_views: bool = False) -> None:
        """defer_views: build the Run, History and Compare tabs later (`add_views`), so the editor
        is on screen first; app startup uses it to stay within its 2 s budget."""
        super().__init__()
        self.doc = doc
        self.setObjectName("MainWindow")
        self.resize(1440, 880)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.editor = EditorView(doc)
        self.tabs.addTab(self.editor, "Editor")
        self.setCentralWidget(self.tabs)
        self.run_panel = self.history = self.compare = None
        self.actions_ = EditorActions(self.editor, self)
        self.actions_.status.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self._menus()
        self._toolbar()
        self.statusBar().showMessage("Drag layers from the palette; drag from a node's lower port to another's "
                                     "upper port to connect.")
        doc.path_changed.connect(self._title)
        doc.dirty_changed.connect(self._title)
        doc.spec_changed.connect(self._title)
        self._title()
        self._restore()
        if not defer_views:
            self.add_views()

    def add_views(self) -> None:
        """The tabs of the other parts (they import pyqtgraph and numpy: a third of startup)."""
        if self.run_panel is not None:
            return
        from gui.compare import CompareView
        from gui.history.panel import HistoryPanel
        from gui.run.panel import RunPanel
        from gui.run.remembered import restore_run_options
        from gui.sweep_dialog import open_sweep_dialog
        self.run_panel = RunPanel(self.doc)  # issue 5: run the net, live charts
        restore_run_options(self.run_panel.options)
        self.tabs.addTab(self.run_panel, "Run")
        self.history = HistoryPanel()
        self.tabs.addTab(self.history, "History")
        self.compare = CompareView()  # issue 6: runs picked in History or produced by a sweep
        self.tabs.addTab(self.compare, "Compare")
        self.run_panel.run_finished.connect(self.history.refresh)
        self.history.compare_requested.connect(self._compare_runs)
        self.compare.open_run_requested.connect(self._open_run)
        sweep = self.menuBar().addMenu("S&weep")
        self.new_sweep_action = sweep.addAction("New sweep…", lambda: open_sweep_dialog(
            self, self.doc, self.compare, show_compare=self._show_sweep_results))

    def _menus(self) -> None:
        a = self.actions_
        file = self.menuBar().addMenu("&File")
        file.addActions([a.new, a.open])
        file.addMenu(a.recent_menu)
        file.addMenu(a.presets_menu)
        file.addSeparator()
        file.addActions([a.save, a.save_as])
        file.addMenu(a.export_menu)
        file.addSeparator()
        file.addAction(a.quit)
        edit = self.menuBar().addMenu("&Edit")
        edit.addActions([a.undo, a.redo])
        edit.addSeparator()
        edit.addActions([a.cut, a.copy, a.paste, a.delete])
        edit.addSeparator()
        edit.addAction(a.select_all)
        view = self.menuBar().addMenu("&View")
        view.addActions([a.zoom_in, a.zoom_out, a.zoom_fit])
        view.addSeparator()
        view.addAction(a.tidy)

    def _toolbar(self) -> None:
        a = self.actions_
        bar = QToolBar("Main")
        bar.setObjectName("MainToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        bar.setIconSize(QSize(18, 18))
        for action, icon in ((a.new, "new"), (a.open, "open"), (a.save, "save"), (a.undo, "undo"), (a.redo, "redo"),
                             (a.tidy, "tidy"), (a.zoom_fit, "fit"), (a.export_pytorch, "code"),
                             (a.export_onnx, "model")):
            action.setIcon(toolbar_icon(icon))
        a.zoom_fit.setIconText("Fit")
        a.tidy.setIconText("Tidy")
        a.export_pytorch.setIconText("PyTorch")
        bar.addActions([a.new, a.open, a.save])
        presets = QToolButton()
        presets.setText("Presets")
        presets.setIcon(toolbar_icon("presets"))
        presets.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        presets.setMenu(a.presets_menu)
        presets.setPopupMode(QToolButton.InstantPopup)
        presets.setToolTip("Open a preset network (LeNet, ResNet-9, ...)")
        bar.addWidget(presets)
        bar.addSeparator()
        bar.addActions([a.undo, a.redo])
        bar.addSeparator()
        bar.addActions([a.tidy, a.zoom_fit])
        bar.addSeparator()
        bar.addActions([a.export_pytorch, a.export_onnx])
        self.addToolBar(Qt.TopToolBarArea, bar)
        self.toolbar = bar

    def _title(self, *_args) -> None:
        doc = self.doc
        name = doc.path.name if doc.path else doc.current.name
        self.setWindowTitle(f"{name}[*] — {APP_NAME}")
        self.setWindowModified(doc.dirty)

    def _restore(self) -> None:
        geometry = settings.load_bytes("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.load_bytes("window/state")
        if state is not None:
            self.restoreState(state)
        split = settings.load_bytes("window/editor_splitter")
        if split is not None:
            self.editor.splitter.restoreState(split)

    def _show_sweep_results(self) -> None:
        self.history.refresh()  # the sweep's runs joined the history from its worker processes
        self.tabs.setCurrentWidget(self.compare)

    def _compare_runs(self, run_ids: list) -> None:
        self.compare.show_runs(run_ids)
        self.tabs.setCurrentWidget(self.compare)

    def _open_run(self, run_id: str) -> None:
        if self.history.open_run(run_id):
            self.tabs.setCurrentWidget(self.history)

    def closeEvent(self, event) -> None:
        if not self.actions_.files.confirm_discard():
            event.ignore()
            return
        if self.run_panel is not None and not self.run_panel.confirm_close():
            event.ignore()
            return
        if self.run_panel is not None:
            self.run_panel.shutdown()
        settings.save_bytes("window/geometry", self.saveGeometry())
        settings.save_bytes("window/state", self.saveState())
        settings.save_bytes("window/editor_splitter", self.editor.splitter.saveState())
        self.actions_.exporter.wait(30000)
        event.accept()
