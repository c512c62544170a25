"""Checks that a hostile string never turns into HTML in a widget, and never makes Qt read a file.

Two independent observations:
- `ImageProbe`: a real image file whose access time is set in the past; a name `<img src="that file">`
  that reaches any rich-text widget makes Qt read it, which moves the access time (the file system
  updates it when it is older than the modification time, the Linux default "relatime").
- `rich_text_leaks`: walks a widget tree and lists every place where the raw markup would be
  interpreted as HTML: QLabels in rich (or auto-detected rich) mode, widget/item/graphics tooltips,
  item-view tooltips, and QGraphicsTextItems (pyqtgraph titles and labels are those).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QAbstractItemView, QGraphicsTextItem, QGraphicsView, QLabel, QListView, QWidget

MAX_ROWS = 50  # item-view rows inspected per view: the hostile rows are among the first


class ImageProbe:
    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / "probe.png"
        image = QImage(4, 4, QImage.Format_RGB32)
        image.fill(0)
        assert image.save(str(self.path))
        os.utime(self.path, (1_000_000, time.time()))  # accessed long before it was modified
        self.markup = f'<img src="{self.path}">'

    def was_read(self) -> bool:
        return self.path.stat().st_atime > 1_000_000 + 1


def _renders_as_html(text: str, fmt: Qt.TextFormat = Qt.AutoText) -> bool:
    return fmt == Qt.RichText or (fmt == Qt.AutoText and bool(QtGui.Qt.mightBeRichText(text)))


def _raw_in(marker: str, text: str) -> bool:
    """`marker` appears unescaped in `text`, and escaping would have changed it (it holds <, > or &)."""
    return any(c in marker for c in "<>&") and marker in text


def _check_tip(where: str, tip, marker: str, out: list[str]) -> None:
    if isinstance(tip, str) and _raw_in(marker, tip) and _renders_as_html(tip):
        out.append(f"{where}: tooltip renders {marker!r} as HTML")


def _check_view(view: QAbstractItemView, marker: str, out: list[str]) -> None:
    model = view.model()
    if model is None:
        return
    name = f"{type(view).__name__}({view.objectName()})"
    root = view.rootIndex()
    for c in range(model.columnCount(root) if not isinstance(view, QListView) else 1):
        _check_tip(f"{name} header {c}", model.headerData(c, Qt.Horizontal, Qt.ToolTipRole), marker, out)
        for r in range(min(MAX_ROWS, model.rowCount(root))):
            _check_tip(f"{name} cell {r},{c}", model.index(r, c, root).data(Qt.ToolTipRole), marker, out)


def rich_text_leaks(root: QWidget, marker: str) -> list[str]:
    """Every place under root where `marker` (raw markup) would be interpreted as HTML."""
    out: list[str] = []
    for w in [root, *root.findChildren(QWidget)]:
        name = f"{type(w).__name__}({w.objectName()})"
        _check_tip(name, w.toolTip(), marker, out)
        if isinstance(w, QLabel) and _raw_in(marker, w.text()) and _renders_as_html(w.text(), w.textFormat()):
            out.append(f"{name}: label renders {marker!r} as HTML")
        if isinstance(w, QAbstractItemView):
            _check_view(w, marker, out)
        if isinstance(w, QGraphicsView) and w.scene() is not None:
            for item in w.scene().items():
                _check_tip(f"{name} item {type(item).__name__}", item.toolTip(), marker, out)
                # An <img> rendered as HTML leaves an object-replacement character in the plain text.
                if isinstance(item, QGraphicsTextItem) and "\ufffc" in item.toPlainText():
                    out.append(f"{name} text item holds an image: {item.toPlainText()[:60]!r}")
    for action in root.findChildren(QAction):
        _check_tip(f"action {action.text()!r}", action.toolTip(), marker, out)
    return out


def labels_longer_than(root: QWidget, limit: int) -> list[str]:
    """Labels and tooltips under root holding more than `limit` characters (a name was not elided)."""
    out = []
    for w in [root, *root.findChildren(QWidget)]:
        rich = isinstance(w, QLabel) and _renders_as_html(w.text(), w.textFormat())
        if isinstance(w, QLabel) and len(w.text()) > (4 * limit if rich else limit):
            out.append(f"{type(w).__name__}({w.objectName()}) label: {len(w.text())} chars")
        if len(w.toolTip()) > 4 * limit:  # a tooltip's HTML escapes (&lt;, <br>) can quadruple it
            out.append(f"{type(w).__name__}({w.objectName()}) tooltip: {len(w.toolTip())} chars")
    return out
