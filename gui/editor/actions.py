"""The editor's QActions with their standard shortcuts, wired to the editor view, the file actions
and the exporter. The main window only places them in menus and the toolbar."""
from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QStyle, QWidget

from engine.net import preset_names
from gui import plain_text
from gui.editor import settings
from gui.editor.editor_view import EditorView
from gui.editor.exporter import FORMATS, Exporter
from gui.editor.file_actions import FileActions


def _action(parent: QObject, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(f"{tip} ({action.shortcut().toString(QKeySequence.NativeText)})"
                          if shortcut is not None else tip)
    action.triggered.connect(lambda _checked=False: slot())
    return action


class EditorActions(QObject):
    status = Signal(str)
    run_requested = Signal()  # the Run action: the window switches to its Run tab and starts

    def __init__(self, editor: EditorView, window: QWidget) -> None:
        super().__init__(window)
        self.editor, self.window = editor, window
        doc = editor.doc
        self.files = FileActions(doc, window)
        self.exporter = Exporter(self)
        self.files.status.connect(self.status)
        self.exporter.finished.connect(self._export_done)
        doc.message.connect(self.status)
        K = QKeySequence.StandardKey
        self.new = _action(self, "&New", self.files.new, K.New, "Start an empty network")
        self.open = _action(self, "&Open…", self.files.open, K.Open, "Open a network spec (JSON)")
        self.save = _action(self, "&Save", self.files.save, K.Save, "Save the network")
        self.save_as = _action(self, "Save &As…", self.files.save_as, K.SaveAs, "Save the network under a new name")
        self.export_pytorch = _action(self, "PyTorch code…", lambda: self.export("pytorch"),
                                      tip="Write the network as a PyTorch nn.Module")
        self.export_onnx = _action(self, "ONNX…", lambda: self.export("onnx"), tip="Write the network as ONNX")
        self.quit = _action(self, "&Quit", window.close, K.Quit)
        self.undo = _action(self, "&Undo", lambda: self._step(undo=True), K.Undo)
        self.redo = _action(self, "&Redo", lambda: self._step(undo=False), K.Redo)
        self.undo.setIconText("Undo")  # the toolbar keeps a short label; the menu names the edit
        self.redo.setIconText("Redo")
        stack = doc.undo_stack
        for signal in (stack.canUndoChanged, stack.canRedoChanged, stack.undoTextChanged, stack.redoTextChanged):
            signal.connect(self._update_undo)
        self._update_undo()
        self.cut = _action(self, "Cu&t", editor.cut, K.Cut, "Cut the selected layers")
        self.copy = _action(self, "&Copy", editor.copy, K.Copy, "Copy the selected layers")
        self.paste = _action(self, "&Paste", editor.paste, K.Paste, "Paste layers")
        self.delete = _action(self, "&Delete", editor.delete_selection, K.Delete, "Delete the selection")
        self.delete.setShortcuts([QKeySequence(K.Delete), QKeySequence("Backspace")])
        self.select_all = _action(self, "Select &All", editor.select_all, K.SelectAll)
        self.zoom_in = _action(self, "Zoom &In", editor.canvas.zoom_in, K.ZoomIn, "Zoom in")
        self.zoom_in.setShortcuts([QKeySequence(K.ZoomIn), QKeySequence("Ctrl+=")])
        self.zoom_out = _action(self, "Zoom &Out", editor.canvas.zoom_out, K.ZoomOut, "Zoom out")
        self.zoom_fit = _action(self, "&Fit to Window", editor.canvas.zoom_fit, "Ctrl+0", "Show the whole network")
        self.tidy = _action(self, "&Tidy Layout", editor.tidy, "Ctrl+L", "Lay the network out automatically")
        self.run = _action(self, "&Run", self.run_requested.emit, "Ctrl+R",
                           "Run the network with the Run tab's settings")
        self.run.setIcon(window.style().standardIcon(QStyle.SP_MediaPlay))
        doc.spec_changed.connect(self._update_run)
        self._update_run()
        self.recent_menu = QMenu("Open &Recent", window)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.presets_menu = QMenu("&Presets", window)
        self.presets_menu.aboutToShow.connect(self._fill_presets)
        self.export_menu = QMenu("&Export", window)
        self.export_menu.addActions([self.export_pytorch, self.export_onnx])
        doc.read_only_changed.connect(self._read_only)

    def _step(self, undo: bool) -> None:
        """Undo/redo, refused while the network is read-only (a run is using it)."""
        doc = self.editor.doc
        if doc.read_only:
            self.status.emit("The network is read-only while it runs.")
            return
        doc.undo_stack.undo() if undo else doc.undo_stack.redo()

    def _update_undo(self, *_args) -> None:
        stack, free = self.editor.doc.undo_stack, not self.editor.doc.read_only
        if not (shiboken6.isValid(stack) and shiboken6.isValid(self.undo)):
            return  # torn down: the stack announces its own destruction
        self.undo.setEnabled(stack.canUndo() and free)
        self.redo.setEnabled(stack.canRedo() and free)
        self.undo.setText(f"&Undo {plain_text.name(stack.undoText())}".rstrip())  # the text names layers
        self.redo.setText(f"&Redo {plain_text.name(stack.redoText())}".rstrip())
        self.undo.setIconText("Undo")
        self.redo.setIconText("Redo")

    def _update_run(self) -> None:
        doc = self.editor.doc
        why = ("a run is in progress" if doc.read_only else "fix the network's problems first"
               if not doc.analysis.ok else "add layers first" if not doc.current.layers else None)
        self.run.setEnabled(why is None)
        shortcut = self.run.shortcut().toString(QKeySequence.NativeText)
        self.run.setToolTip(f"Run the network with the Run tab's settings ({shortcut})" if why is None
                            else f"Cannot run: {why}")

    def _read_only(self, value: bool) -> None:
        self._update_run()
        self._update_undo()
        for a in (self.new, self.open, self.cut, self.paste, self.delete, self.tidy):
            a.setEnabled(not value)
        self.recent_menu.setEnabled(not value)
        self.presets_menu.setEnabled(not value)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = settings.recent_files()
        for path in files:
            a = self.recent_menu.addAction(plain_text.name(path.name))
            a.setToolTip(plain_text.tooltip(path))
            a.setStatusTip(plain_text.name(path, plain_text.MESSAGE_CHARS_MAX))
            a.triggered.connect(lambda _c=False, p=path: self.files.open_path(p))
        if not files:
            self.recent_menu.addAction("No recent files").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", settings.clear_recent)

    def _fill_presets(self) -> None:
        self.presets_menu.clear()
        names = preset_names()
        for name in names:
            self.presets_menu.addAction(name, lambda n=name: self.files.open_preset(n))
        if not names:
            self.presets_menu.addAction("No presets installed").setEnabled(False)

    # ---- export -------------------------------------------------------------------------------------
    def ask_export_path(self, fmt: str) -> Path | None:
        _flag, filt, suffix = FORMATS[fmt]
        start = Path(settings.last_dir()) / plain_text.file_name(self.editor.doc.current.name, suffix)
        path, _ = QFileDialog.getSaveFileName(self.window, "Export network", str(start), filt)
        if not path:
            return None
        return Path(path) if Path(path).suffix else Path(path).with_suffix(suffix)

    def export(self, fmt: str, path: Path | None = None) -> bool:
        doc = self.editor.doc
        if not doc.analysis.ok:
            self.files.show_error("Cannot export yet", "Fix the network's problems first:\n\n" + "\n".join(
                plain_text.message(p, plain_text.NAME_CHARS_MAX) for p in doc.analysis.problems[:8]))
            return False
        if self.exporter.busy:
            self.status.emit("An export is already running.")
            return False
        path = path or self.ask_export_path(fmt)
        if path is None:
            return False
        self.status.emit(f"Exporting {fmt.upper() if fmt == 'onnx' else 'PyTorch code'}…")
        return self.exporter.start(fmt, doc.current.to_json(), path)

    def _export_done(self, ok: bool, message: str) -> None:
        self.status.emit(message)
        if not ok:
            self.files.show_error("Export failed", message)
