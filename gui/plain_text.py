"""User-derived text on its way to a widget: shown as the characters it holds, never as HTML, and
never so long that laying it out freezes the window.

Qt guesses whether a string is HTML (Qt.mightBeRichText) in QLabel, QMessageBox, tooltips and
QGraphicsTextItem; pyqtgraph titles and axis labels are always HTML. A network named
`<img src="/dev/zero">` would be rendered, and Qt would read that "image" without end. So every name,
id, type, message or result field that a user, a spec file or a stored result supplies reaches a
widget through this module:

- `name(text)` / `message(text)`: the text to give a plain-text widget (a label made `plain`, an item
  view cell, a window title, a status bar), elided and with invisible control characters made visible;
- `escape(text)` / `escape_message(text)`: the same, HTML-escaped, for pieces of HTML the app composes;
- `tooltip(text)`: a tooltip that shows `text` literally;
- `plain(label)`: a QLabel that never interprets its text as HTML;
- `warning(parent, title, text)` / `ask(...)`: message boxes that show their text literally;
- `file_name(text, suffix)`: a file name for a save dialog to suggest; it stays in the folder it is put in.
"""
from __future__ import annotations

import html
import re

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

import engine.format as fmt

NAME_CHARS_MAX = 200  # a name, id, type or label: longer ones are shortened in the middle
MESSAGE_CHARS_MAX = 2000  # an error message or a list of problems
ELLIPSIS = "…"
FILE_STEM_CHARS_MAX = 80

# Control characters, bidi marks and lone surrogates are made visible by engine.format.plain, the
# same escapes the command line prints.
_NOT_IN_FILE_NAMES = re.compile(r"[^\w\-. ]+")  # separators, quotes, wildcards, controls, bidi


def _elide(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    tail = limit - 1 - head
    return text[:head] + ELLIPSIS + text[len(text) - tail:]


def name(text: object, limit: int = NAME_CHARS_MAX) -> str:
    """One line of at most `limit` characters; line breaks, tabs and control characters shown as escapes."""
    return fmt.plain(_elide(str(text), limit), one_line=True)  # elide first: a 1 MB name costs no more


def message(text: object, limit: int = MESSAGE_CHARS_MAX) -> str:
    """Like `name`, but keeps line breaks and tabs (messages and problem lists span lines)."""
    return fmt.plain(_elide(str(text), limit))


def escape(text: object, limit: int = NAME_CHARS_MAX) -> str:
    """`name(text)` escaped for a piece of HTML the app composes (as element text, never in an attribute,
    so quotes stay as they are)."""
    return html.escape(name(text, limit), quote=False)


def escape_message(text: object, limit: int = MESSAGE_CHARS_MAX) -> str:
    """`message(text)` escaped for a piece of HTML, its line breaks as <br>."""
    return "<br>".join(html.escape(line, quote=False) for line in message(text, limit).splitlines())


def tooltip(text: object, limit: int = MESSAGE_CHARS_MAX) -> str:
    """A tooltip showing `text` literally (tooltips auto-detect HTML: this makes the HTML ours)."""
    shown = message(text, limit)
    return QtGui.Qt.convertFromPlainText(shown, Qt.WhiteSpaceNormal) if shown else ""


def file_name(text: object, suffix: str = "", fallback: str = "network") -> str:
    """`text` made a plain file name: no folder parts, no hidden-file dot, no controls, not too long."""
    stem = _NOT_IN_FILE_NAMES.sub("_", str(text)[:FILE_STEM_CHARS_MAX]).strip(" ._") or fallback
    return stem + suffix


def plain(label: QLabel) -> QLabel:
    """The label, set never to interpret its text as HTML; returned for use in an expression."""
    label.setTextFormat(Qt.PlainText)
    return label


def warning(parent: QWidget | None, title: str, text: object) -> None:
    """A modal warning whose text is shown literally (QMessageBox.warning would guess HTML)."""
    box = QMessageBox(QMessageBox.Warning, name(title), message(text), QMessageBox.Ok, parent)
    box.setTextFormat(Qt.PlainText)
    box.exec()


def ask(parent: QWidget | None, title: str, text: object, buttons: QMessageBox.StandardButton,
        default: QMessageBox.StandardButton) -> QMessageBox.StandardButton:
    """QMessageBox.question with its text shown literally; returns the button pressed."""
    box = QMessageBox(QMessageBox.Question, name(title), message(text), buttons, parent)
    box.setDefaultButton(default)
    box.setTextFormat(Qt.PlainText)
    return QMessageBox.StandardButton(box.exec())
