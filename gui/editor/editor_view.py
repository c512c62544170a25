"""The Editor tab: palette | canvas with the summary bar | inspector. Given the Document; the main
window only places it. Edit commands that act on the selection live here."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from engine.net import GAP_Y, INPUT_ID, NODE_H, NODE_W
from gui.editor import clipboard
from gui.editor.canvas import CanvasView
from gui.editor.document import Document
from gui.editor.inspector import Inspector
from gui.editor.palette import PaletteWidget
from gui.editor.scene import EditorScene
from gui.editor.summary_bar import SummaryBar


class EditorView(QWidget):
    def __init__(self, doc: Document, parent=None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.scene = EditorScene(doc, self)
        self.canvas = CanvasView(self.scene)
        self.palette = PaletteWidget()
        self.inspector = Inspector(doc, self.scene)
        self.summary = SummaryBar(doc)
        center = QWidget()
        cv = QVBoxLayout(center)
        cv.setContentsMargins(0, 0, 0, 0)
        cv.setSpacing(0)
        cv.addWidget(self.canvas, 1)
        cv.addWidget(self.summary)
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setObjectName("EditorSplitter")
        self.splitter.addWidget(self.palette)
        self.splitter.addWidget(center)
        self.splitter.addWidget(self.inspector)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([220, 900, 310])
        self.splitter.setChildrenCollapsible(False)
        self.palette.setMinimumWidth(200)
        self.inspector.setMinimumWidth(280)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.palette.activated.connect(self.add_below_selection)
        self.summary.problem_clicked.connect(self.focus_node)
        doc.loaded.connect(self._after_load)
        doc.read_only_changed.connect(self._read_only)
        self._after_load()

    def _after_load(self) -> None:
        self.scene.clearSelection()
        QTimer.singleShot(0, self.canvas.zoom_fit)  # after the view has its final size
        self.canvas.zoom_fit()

    def _read_only(self, value: bool) -> None:
        self.palette.setEnabled(not value)
        self.inspector.setEnabled(not value)

    # ---- commands on the selection --------------------------------------------------------------------
    def delete_selection(self) -> bool:
        ids, wires = self.scene.selected_ids(), self.scene.selected_wires()
        return bool(ids or wires) and self.doc.remove(ids, wires)

    def select_all(self) -> None:
        # One selection change for the scene (one inspector refresh), not one per item: 3,000 layers took 11 s.
        everything = QPainterPath()
        everything.addRect(self.scene.itemsBoundingRect().adjusted(-1, -1, 1, 1))
        self.scene.setSelectionArea(everything, Qt.ReplaceSelection, Qt.IntersectsItemShape)

    def copy(self) -> int:
        return clipboard.copy_layers(self.doc, [i for i in self.scene.selected_ids() if i != INPUT_ID])

    def cut(self) -> bool:
        return self.copy() > 0 and self.delete_selection()

    def paste(self) -> list[str]:
        ids = clipboard.paste_layers(self.doc)
        self.scene.select_ids(ids)
        return ids

    def tidy(self) -> None:
        self.doc.tidy()
        self.canvas.zoom_fit()

    def focus_node(self, node_id: str) -> None:
        if node_id in self.scene.nodes:
            self.scene.select_ids([node_id])
            self.canvas.centerOn(self.scene.nodes[node_id])

    def add_below_selection(self, type_name: str) -> str | None:
        """Double-click in the palette: chain the layer under the selected one (the quick way to build
        a plain CNN), or put it in the middle of the view."""
        ids = self.scene.selected_ids()
        spec = self.doc.current
        if len(ids) == 1:
            x, y = spec.layout.get(ids[0], (0.0, 0.0))
            consumers = [(layer.id, slot) for layer in spec.layers for slot, s in enumerate(layer.inputs) if s == ids[0]]
            pos = (x, y + NODE_H + GAP_Y)
            if len(consumers) == 1:  # in a chain: insert between the selection and what follows it
                new_id = self.doc.insert_layer(type_name, ids[0], consumers[0][0], consumers[0][1], pos)
            else:
                new_id = self.doc.add_layer(type_name, pos, inputs=[ids[0]])
        else:
            c = self.canvas.mapToScene(self.canvas.viewport().rect().center())
            new_id = self.doc.add_layer(type_name, (c.x() - NODE_W / 2, c.y() - NODE_H / 2))
        if new_id:
            self.scene.select_ids([new_id])
            self.canvas.ensureVisible(self.scene.nodes[new_id], 40, 40)
        return new_id

    def scene_center(self) -> QPointF:
        return self.canvas.mapToScene(self.canvas.viewport().rect().center())
