"""The main window: layout only. Menus, the toolbar, the status bar and the central tabs; each tab's
view is built in its own package and given the Document. Other views join as one more tab here."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QMainWindow, QTabWidget, QToolBar, QToolButton, QWidget

from gui import plain_text
from gui.editor import settings
from gui.editor.actions import EditorActions
from gui.editor.document import Document
from gui.editor.editor_view import EditorView
from gui.editor.help_menu import install_help_menu
from gui.editor.run_action import run_from_editor
from gui.profile.actions import ProfileActions
from gui.resources.toolbar_icons import toolbar_icon

APP_NAME = "Tradeoff Lab"


# Tab order; each tab but the editor is built the first time it is shown (or asked for), so the
# window is on screen and responsive before pyqtgraph, numpy and the run history are loaded.
LAZY_TABS = ("run", "history", "compare", "place", "profile")
TAB_TITLES = {"run": "Run", "history": "History", "compare": "Compare", "place": "Place", "profile": "Profile"}
# The largest minimum size the window may have (tested): it must fit a 1280x720 screen, or 1920x1080
# at 150 % scaling, with room for the window frame and a task bar (the panels scroll below their own
# minimums).
MIN_WINDOW = QSize(1200, 700)
DEFAULT_WINDOW = QSize(1440, 880)


class MainWindow(QMainWindow):
    def __init__(self, doc: Document, defer_views: bool = True) -> None:
        """defer_views: build the Run, History and Compare tabs when first shown (the default); False
        builds them now (tests that drive every tab)."""
        super().__init__()
        self.doc = doc
        self.setObjectName("MainWindow")
        self.resize(DEFAULT_WINDOW)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.editor = EditorView(doc)
        self.tabs.addTab(self.editor, "Editor")
        self._views: dict[str, QWidget] = {}
        self._placeholders: dict[str, QWidget] = {}
        for key in LAZY_TABS:
            placeholder = QWidget()
            placeholder.setObjectName(f"{key}-placeholder")
            self._placeholders[key] = placeholder
            self.tabs.addTab(placeholder, TAB_TITLES[key])
        self.tabs.currentChanged.connect(self._tab_shown)
        self.setCentralWidget(self.tabs)
        self.actions_ = EditorActions(self.editor, self)
        self.actions_.status.connect(
            lambda text: self.statusBar().showMessage(plain_text.name(text, plain_text.MESSAGE_CHARS_MAX), 8000))
        self.actions_.run_requested.connect(lambda: run_from_editor(self))
        self._menus()
        self._toolbar()
        self.profile_actions = ProfileActions(self)  # the Profile menu; profiles reach the canvas through it
        sweep = self.menuBar().addMenu("S&weep")
        self.new_sweep_action = sweep.addAction("New sweep…", self._new_sweep)
        install_help_menu(self)  # after Sweep: Help is the last menu
        self.statusBar().showMessage("Drag layers from the palette; drag from a node's lower port to another's "
                                     "upper port to connect.")
        doc.path_changed.connect(self._title)
        doc.dirty_changed.connect(self._title)
        doc.spec_changed.connect(self._title)
        self._title()
        self._restore()
        if not defer_views:
            self.add_views()

    # --- the lazy tabs ------------------------------------------------------------------------
    @property
    def run_panel(self):
        return self.view("run")

    @property
    def history(self):
        return self.view("history")

    @property
    def compare(self):
        return self.view("compare")

    @property
    def place(self):
        return self.view("place")

    @property
    def profile_view(self):
        return self.view("profile")

    def built(self, key: str) -> bool:
        return key in self._views

    def add_views(self) -> None:
        """Build every tab now."""
        for key in LAZY_TABS:
            self.view(key)

    def view(self, key: str) -> QWidget:
        """The tab's view, built on first use (it replaces its placeholder in the tab bar)."""
        if key in self._views:
            return self._views[key]
        widget = self._build(key)
        self._views[key] = widget
        placeholder = self._placeholders.pop(key)
        current = self.tabs.currentWidget() is placeholder
        index = self.tabs.indexOf(placeholder)
        self.tabs.blockSignals(True)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, widget, TAB_TITLES[key])
        if current:
            self.tabs.setCurrentIndex(index)
        self.tabs.blockSignals(False)
        placeholder.deleteLater()
        return widget

    def _build(self, key: str) -> QWidget:
        if key == "run":
            from gui.run.panel import RunPanel
            from gui.run.remembered import restore_run_options
            panel = RunPanel(self.doc)
            restore_run_options(panel.options)
            panel.run_finished.connect(self._run_finished)
            panel.profiler.finished.connect(self.profile_actions.show_profile)
            panel.profiler.finished.connect(self._run_finished)  # the profiled run joined the history
            panel.explain_requested.connect(self._explain)
            return panel
        if key == "history":
            from gui.history.panel import HistoryPanel
            history = HistoryPanel()
            history.compare_requested.connect(self._compare_runs)
            history.open_spec_requested.connect(self._edit_spec)
            history.profile_opened.connect(self.profile_actions.show_profile)
            history.explain_requested.connect(self._explain)
            return history
        if key == "profile":
            from gui.profile.view import ProfileView
            view = ProfileView()  # the roofline and the verdict of a profile from Run or History
            view.edit_requested.connect(self.profile_actions.open_in_editor)
            return view
        if key == "place":
            from gui.place import PlaceView
            return PlaceView()  # the newest measured run projected onto hardware the user does not own
        from gui.compare import CompareView
        compare = CompareView()  # runs picked in History or produced by a sweep
        compare.open_run_requested.connect(self._open_run)
        return compare

    def _tab_shown(self, index: int) -> None:
        widget = self.tabs.widget(index)
        for key, placeholder in list(self._placeholders.items()):
            if widget is placeholder:
                self.view(key)

    def show_tab(self, key: str) -> None:
        self.tabs.setCurrentWidget(self.view(key))

    def _run_finished(self, *_args) -> None:
        if self.built("history"):
            self.history.refresh()
        if self.built("place"):
            self.place.refresh()

    def _explain(self, result) -> None:
        from gui.explain.dialog import open_explain_dialog
        open_explain_dialog(self, result, on_finished=self._run_finished)

    def _new_sweep(self) -> None:
        from gui.sweep_dialog import open_sweep_dialog
        open_sweep_dialog(self, self.doc, self.compare, show_compare=self._show_sweep_results)

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
        bar.addSeparator()
        bar.addAction(a.run)
        self.addToolBar(Qt.TopToolBarArea, bar)
        self.toolbar = bar

    def _title(self, *_args) -> None:
        doc = self.doc
        name = doc.path.name if doc.path else doc.current.name
        self.setWindowTitle(f"{plain_text.name(name)}[*] — {APP_NAME}")
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
        if self.built("history"):
            self.history.refresh()  # the sweep's runs joined the history from its worker processes
        self.show_tab("compare")

    def _compare_runs(self, run_ids: list) -> None:
        self.compare.show_runs(run_ids)
        self.show_tab("compare")

    def _edit_spec(self, spec) -> None:
        """A network from a run (a pruned one) as a new, unsaved document in the editor."""
        if self.actions_.files.open_spec(spec, f"{spec.name} as the run measured it"):
            self.tabs.setCurrentWidget(self.editor)

    def _open_run(self, run_id: str) -> None:
        if self.history.open_run(run_id):
            self.show_tab("history")

    def closeEvent(self, event) -> None:
        if not self.actions_.files.confirm_discard():
            event.ignore()
            return
        run_panel = self._views.get("run")
        if run_panel is not None and not run_panel.confirm_close():
            event.ignore()
            return
        if run_panel is not None:
            run_panel.shutdown()
        settings.save_bytes("window/geometry", self.saveGeometry())
        settings.save_bytes("window/state", self.saveState())
        settings.save_bytes("window/editor_splitter", self.editor.splitter.saveState())
        self.actions_.exporter.wait(30000)
        event.accept()
