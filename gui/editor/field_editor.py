"""One typed editor field: a line edit (or check box / combo box) that commits a parsed value, or
refuses the text and shows the reason beneath it, leaving the spec unchanged."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from gui import plain_text
from gui.editor import param_parse
from gui.editor.catalogue import Param

Parser = Callable[[str], tuple[Any, "str | None"]]


class FieldEditor(QWidget):
    """Emits committed(value) with a valid value; None means 'remove, use the default'."""

    committed = Signal(object)

    def __init__(self, parser: Parser, placeholder: str = "", tooltip: str = "", parent=None) -> None:
        super().__init__(parent)
        self._parser = parser
        self._text = ""
        self.edit = QLineEdit(placeholderText=placeholder)
        self.edit.setToolTip(tooltip)
        self.error = plain_text.plain(QLabel())  # the reason quotes what the user typed
        self.error.setObjectName("FieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        self.edit.editingFinished.connect(self.commit)
        self.edit.textEdited.connect(self._live_check)

    def set_text(self, text: str) -> None:
        """Show the document's value (after an edit, undo or selection change)."""
        if self.edit.text() != text:
            self.edit.setText(text)
        # What is shown, not the value: a line edit keeps at most 32,767 characters, and leaving the
        # field must not commit a longer name cut short.
        self._text = self.edit.text()
        self._show_error(None)

    def _live_check(self, text: str) -> None:
        self._show_error(self._parser(text)[1])

    def _show_error(self, reason: str | None) -> None:
        self.edit.setProperty("invalid", reason is not None)
        self.edit.style().unpolish(self.edit)
        self.edit.style().polish(self.edit)
        self.error.setText(plain_text.message(reason or ""))
        self.error.setVisible(reason is not None)

    def commit(self) -> bool:
        text = self.edit.text()
        value, reason = self._parser(text)
        if reason is not None:
            self._show_error(reason)  # refused: the spec keeps its value, the text stays for fixing
            return False
        self._show_error(None)
        if text.strip() != self._text.strip():
            self._text = text
            self.committed.emit(value)
        return True


def param_editor(p: Param) -> QWidget:
    """The right editor for a parameter: check box for bool, combo box for a choice, else text."""
    if p.kind == "bool":
        box = QCheckBox()
        box.setToolTip(p.doc)
        return box
    if p.kind == "choice" and p.choices:
        combo = QComboBox()
        combo.setToolTip(p.doc)
        for c in p.choices:
            combo.addItem(str(c), c)
        return combo
    if p.default is not None:
        default = f"default {param_parse.to_text(p.default)}"
    elif "null:" in p.doc:  # e.g. pooling stride: "...; null: the kernel size"
        default = "default: " + p.doc.split("null:", 1)[1].strip()
    else:
        default = "" if p.required else "default: none"
    return FieldEditor(lambda text: param_parse.parse(p, text), placeholder=default, tooltip=p.doc)
