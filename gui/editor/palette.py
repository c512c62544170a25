"""The layer palette: the engine's catalogue grouped as the seminar teaches, with icons and
tooltips. Drag an entry onto the canvas (or double-click it) to add the layer."""
from __future__ import annotations

import html

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from gui.editor import catalogue
from gui.editor.icons import group_color, layer_icon
from gui.editor.scene import LAYER_MIME

TYPE_ROLE = Qt.UserRole + 1


def mime_for(type_name: str) -> QMimeData:
    """The payload of a palette drag: what the canvas's drop handler reads."""
    mime = QMimeData()
    mime.setData(LAYER_MIME, type_name.encode("utf-8"))
    mime.setText(type_name)
    return mime


def tooltip(kind: catalogue.LayerKind) -> str:
    rows = "".join(
        f"<tr><td><code>{html.escape(p.name)}</code></td><td style='color:#64748B'>"
        f"{html.escape(p.doc or p.kind)}{' (default ' + html.escape(str(p.default)) + ')' if p.default is not None else ''}"
        "</td></tr>" for p in kind.params)
    table = f"<table cellspacing=4>{rows}</table>" if rows else ""
    return (f"<p style='white-space:pre-wrap'><b>{html.escape(kind.type)}</b> · {html.escape(kind.group)}</p>"
            f"<p>{html.escape(kind.doc)}</p>{table}<p style='color:#64748B'>Drag onto the canvas, or onto a "
            "wire to insert it there. Double-click adds it below the selection.</p>")


class _Tree(QTreeWidget):
    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME]

    def mimeData(self, items) -> QMimeData:
        types = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        return mime_for(types[0]) if types else QMimeData()


class PaletteWidget(QWidget):
    activated = Signal(str)  # a layer type, double-clicked

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("Palette")
        self.filter = QLineEdit(placeholderText="Search layers…")
        self.filter.setClearButtonEnabled(True)
        self.tree = _Tree()
        self.tree.setHeaderHidden(True)
        self.tree.setIconSize(QSize(22, 22))
        self.tree.setIndentation(6)
        self.tree.setRootIsDecorated(False)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragOnly)
        self.tree.setSelectionMode(QAbstractItemView.SingleSelection)
        self.tree.setUniformRowHeights(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}
        self._populate()
        self.filter.textChanged.connect(self._apply_filter)
        self.tree.itemDoubleClicked.connect(self._double_clicked)

    def _populate(self) -> None:
        self.tree.clear()
        self.items.clear()
        header_font = QFont()
        header_font.setPointSizeF(8.0)
        header_font.setWeight(QFont.Bold)
        header_font.setCapitalization(QFont.AllUppercase)
        header_font.setLetterSpacing(QFont.AbsoluteSpacing, 0.8)
        for group, kinds in catalogue.grouped():
            head = QTreeWidgetItem([group])
            head.setFlags(Qt.ItemIsEnabled)
            head.setFont(0, header_font)
            head.setForeground(0, QBrush(group_color(group).darker(115)))
            head.setSizeHint(0, QSize(0, 26))
            self.tree.addTopLevelItem(head)
            for kind in kinds:
                item = QTreeWidgetItem([kind.type])
                item.setIcon(0, layer_icon(kind.type, group))
                item.setData(0, TYPE_ROLE, kind.type)
                item.setToolTip(0, tooltip(kind))
                item.setSizeHint(0, QSize(0, 30))
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
                head.addChild(item)
                self.items[kind.type] = item
            head.setExpanded(True)
        if not self.items:
            empty = QTreeWidgetItem(["The layer catalogue is unavailable."])
            empty.setForeground(0, QBrush(QColor("#64748B")))
            self.tree.addTopLevelItem(empty)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(i)
            visible = 0
            for j in range(head.childCount()):
                item = head.child(j)
                kind = catalogue.kind(item.data(0, TYPE_ROLE))
                hay = f"{kind.type} {kind.group} {kind.doc}".lower() if kind else ""
                hide = bool(needle) and needle not in hay
                item.setHidden(hide)
                visible += not hide
            head.setHidden(visible == 0)

    def _double_clicked(self, item: QTreeWidgetItem) -> None:
        type_name = item.data(0, TYPE_ROLE)
        if type_name:
            self.activated.emit(type_name)
