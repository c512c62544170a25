"""File commands of the editor: New, Open, Open Recent, Presets, Save, Save As, and the prompt
before unsaved changes are lost. Bad files get one clear message and leave the document as it was.

Dialogs go through small methods (`ask_open_path`, `ask_save_path`, `ask_unsaved`, `show_error`)
so tests can answer them without a modal loop.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from engine.errors import FileWriteError
from engine.net import NetworkSpec, SpecFormatError, load_preset, load_spec, save_spec
from gui import plain_text
from gui.editor import settings
from gui.editor.document import Document, empty_spec
from gui.unexpected_errors import unreadable

FILTER = "Network spec (*.json);;All files (*)"


class FileActions(QObject):
    recent_changed = Signal()
    status = Signal(str)

    def __init__(self, doc: Document, window: QWidget) -> None:
        super().__init__(window)
        self.doc, self.window = doc, window

    # ---- dialogs (replaced in tests) ----------------------------------------------------------------
    def ask_open_path(self) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open network", settings.last_dir(), FILTER)
        return Path(path) if path else None

    def ask_save_path(self) -> Path | None:
        start = str(self.doc.path or Path(settings.last_dir()) / plain_text.file_name(self.doc.current.name, ".json"))
        path, _ = QFileDialog.getSaveFileName(self.window, "Save network as", start, FILTER)
        if not path:
            return None
        path = Path(path)
        return path if path.suffix else path.with_suffix(".json")

    def ask_unsaved(self) -> QMessageBox.StandardButton:
        name = self.doc.path.name if self.doc.path else self.doc.current.name
        return plain_text.ask(
            self.window, "Unsaved changes", f"Save the changes to “{plain_text.name(name)}” first?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)

    def show_error(self, title: str, text: str) -> None:
        plain_text.warning(self.window, title, text)

    # ---- commands -----------------------------------------------------------------------------------
    def confirm_discard(self) -> bool:
        """True when it is fine to replace the document (saved, discarded, or nothing to lose)."""
        if not self.doc.dirty:
            return True
        answer = self.ask_unsaved()
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def new(self) -> bool:
        if not self.confirm_discard():
            return False
        self.doc.load(empty_spec())
        self.status.emit("New network: drag layers from the palette onto the canvas.")
        return True

    def open(self) -> bool:
        if not self.confirm_discard():
            return False
        path = self.ask_open_path()
        return self.open_path(path, confirmed=True) if path else False

    def open_path(self, path: Path, confirmed: bool = False) -> bool:
        """Open a spec file; on any problem show why and keep the current document."""
        if not confirmed and not self.confirm_discard():
            return False
        try:
            spec = load_spec(Path(path))
        except SpecFormatError as exc:
            self.show_error("Cannot open the network", str(exc))
            return False
        except (RecursionError, ValueError) as exc:  # JSON the engine's reader did not word
            self.show_error("Cannot open the network", unreadable(path, exc))
            return False
        self.doc.load(spec, Path(path).resolve())
        settings.add_recent(Path(path))
        self.recent_changed.emit()
        n = len(self.doc.analysis.problems)
        self.status.emit(f"Opened {path}" + (f": {n} problem{'s' if n > 1 else ''} marked on the canvas" if n else ""))
        return True

    def open_preset(self, name: str) -> bool:
        if not self.confirm_discard():
            return False
        try:
            spec = load_preset(name)
        except (KeyError, ValueError, OSError) as exc:
            self.show_error("Cannot open the preset", f"{name}: {exc}")
            return False
        self.doc.load(spec)
        self.status.emit(f"Preset {name}: save it to keep your changes.")
        return True

    def open_spec(self, spec: NetworkSpec, what: str) -> bool:
        """A spec from elsewhere (a run's pruned network) as a new, unsaved document."""
        if not self.confirm_discard():
            return False
        self.doc.load(spec)
        self.status.emit(f"Opened {what}: save it to keep it.")
        return True

    def save(self) -> bool:
        if self.doc.path is None:
            return self.save_as()
        return self._save_to(self.doc.path)

    def save_as(self) -> bool:
        path = self.ask_save_path()
        return self._save_to(path) if path else False

    def _save_to(self, path: Path) -> bool:
        try:
            save_spec(self.doc.current, path)
        except FileWriteError as exc:
            self.show_error("Cannot save the network", str(exc))
            return False
        self.doc.mark_saved(Path(path).resolve())
        settings.add_recent(Path(path))
        self.recent_changed.emit()
        self.status.emit(f"Saved {path}")
        return True
