"""The canvas scene: mirrors the Document (one NodeItem per layer, one WireItem per input) and turns
mouse gestures into Document edits. It never changes the spec itself.

Gestures: drop a palette item (on empty canvas: add; on a wire: insert); drag from an output port
to an input port (or a node's body): connect; drag nodes: move (one undo step on release).
"""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QPointF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QPen
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneDragDropEvent,
    QGraphicsSceneMouseEvent,
    QMenu,
)

from engine.net import INPUT_ID, NODE_H, NODE_W
from gui.editor.document import Document
from gui.editor.mirror import node_contents, wire_keys
from gui.editor.node_item import NodeItem
from gui.editor.wire_item import WireItem, wire_path

LAYER_MIME = "application/x-tradeoff-lab-layer"  # payload: the layer type name, UTF-8


def layer_type_from_mime(mime: QMimeData) -> str | None:
    if not mime.hasFormat(LAYER_MIME):
        return None
    return bytes(mime.data(LAYER_MIME).data()).decode("utf-8") or None


class EditorScene(QGraphicsScene):
    node_activated = Signal(str)  # double-click on a node

    def __init__(self, doc: Document, parent=None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.nodes: dict[str, NodeItem] = {}
        self.wires: dict[tuple[str, str, int], WireItem] = {}
        self._drag_wire: QGraphicsPathItem | None = None
        self._drag_from: tuple[str, str] | None = None  # (node id, 'out' | 'in')
        self._press_pos: dict[str, QPointF] = {}
        self._hot_wire: WireItem | None = None
        self._target: NodeItem | None = None  # highlighted while a wire is dragged over it
        self.setBackgroundBrush(QColor("#F8FAFC"))
        doc.spec_changed.connect(self.sync)
        self.sync()

    # ---- mirror the document ----------------------------------------------------------------------
    def sync(self) -> None:
        spec, analysis = self.doc.current, self.doc.analysis
        contents = node_contents(spec, analysis)
        for node_id in [i for i in self.nodes if i not in contents]:
            item = self.nodes.pop(node_id)
            self.removeItem(item)
        for node_id, content in contents.items():
            item = self.nodes.get(node_id)
            if item is None:
                item = self.nodes[node_id] = NodeItem(node_id)
                self.addItem(item)
            item.set_content(content)
            x, y = spec.layout.get(node_id, (0.0, 0.0))
            if item.pos().x() != x or item.pos().y() != y:
                item.setPos(x, y)
        keys = wire_keys(spec)
        for key in [k for k in self.wires if k not in keys]:
            wire = self.wires.pop(key)
            for end in (wire.src_item, wire.dst_item):
                if wire in end.wires:
                    end.wires.remove(wire)
            self.removeItem(wire)
        for key in keys:
            wire = self.wires.get(key)
            if wire is None:
                src, dst = self.nodes[key[0]], self.nodes[key[1]]
                wire = self.wires[key] = WireItem(key, src, dst)
                src.wires.append(wire)
                dst.wires.append(wire)
                self.addItem(wire)
            wire.set_bad(bool(contents[key[1]].problems))

    # ---- selection ---------------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        return [item.node_id for item in self.selectedItems() if isinstance(item, NodeItem)]

    def selected_wires(self) -> list[tuple[str, str, int]]:
        return [item.key for item in self.selectedItems() if isinstance(item, WireItem)]

    def select_ids(self, ids) -> None:
        ids = set(ids)
        self.clearSelection()
        for node_id in ids:
            if node_id in self.nodes:
                self.nodes[node_id].setSelected(True)

    def node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def wire_at(self, pos: QPointF) -> WireItem | None:
        for item in self.items(pos):
            if isinstance(item, WireItem):
                return item
        return None

    # ---- drop from the palette ----------------------------------------------------------------------
    def drop_layer(self, mime: QMimeData, pos: QPointF) -> str | None:
        """The drop handler, used by real drops and by tests: add the layer centred on pos, or insert
        it into the wire under pos."""
        type_name = layer_type_from_mime(mime)
        if type_name is None:
            return None
        self._set_hot_wire(None)
        top_left = (pos.x() - NODE_W / 2, pos.y() - NODE_H / 2)
        wire = self.wire_at(pos) if self.node_at(pos) is None else None
        if wire is not None:
            src, dst, slot = wire.key
            new_id = self.doc.insert_layer(type_name, src, dst, slot, top_left)
        else:
            new_id = self.doc.add_layer(type_name, top_left)
        if new_id:
            self.select_ids([new_id])
        return new_id

    def _set_hot_wire(self, wire: WireItem | None) -> None:
        if self._hot_wire is not None and self._hot_wire is not wire and self._hot_wire.scene() is self:
            self._hot_wire.set_hot(False)
        self._hot_wire = wire
        if wire is not None:
            wire.set_hot(True)

    def dragEnterEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        event.setAccepted(layer_type_from_mime(event.mimeData()) is not None and not self.doc.read_only)

    def dragMoveEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        ok = layer_type_from_mime(event.mimeData()) is not None and not self.doc.read_only
        event.setAccepted(ok)
        if ok:
            event.acceptProposedAction()
            self._set_hot_wire(self.wire_at(event.scenePos()) if self.node_at(event.scenePos()) is None else None)

    def dragLeaveEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        self._set_hot_wire(None)

    def dropEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        if self.drop_layer(event.mimeData(), event.scenePos()):
            event.acceptProposedAction()
        else:
            event.ignore()

    # ---- wiring and moving --------------------------------------------------------------------------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.LeftButton:
            node = self.node_at(event.scenePos())
            port = node.port_at(event.scenePos()) if node else None
            if node is not None and port is not None:
                self._drag_from = (node.node_id, port)
                self._drag_wire = QGraphicsPathItem()
                self._drag_wire.setPen(QPen(QColor("#2563EB"), 2.5, Qt.DashLine, Qt.RoundCap))
                self._drag_wire.setZValue(5)
                self.addItem(self._drag_wire)
                self._update_drag_wire(event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)
        self._press_pos = {i.node_id: i.pos() for i in self.selectedItems() if isinstance(i, NodeItem)}

    def _update_drag_wire(self, pos: QPointF) -> None:
        node_id, port = self._drag_from
        anchor = self.nodes[node_id].out_port() if port == "out" else self.nodes[node_id].in_port()
        a, b = (anchor, pos) if port == "out" else (pos, anchor)
        self._drag_wire.setPath(wire_path(a, b))

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag_wire is not None:
            self._update_drag_wire(event.scenePos())
            target = self.node_at(event.scenePos())
            self._set_target(target if target is not None and target.node_id != self._drag_from[0] else None)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag_wire is not None:
            self._cancel_wire()
            node_id, port = self._drag_from
            self._drag_from = None
            target = self.node_at(event.scenePos())
            if target is not None and target.node_id != node_id:
                if port == "out":
                    self.doc.connect(node_id, target.node_id)
                else:
                    self.doc.connect(target.node_id, node_id)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        moved = {node_id: (item.pos().x(), item.pos().y())
                 for node_id, item in self.nodes.items()
                 if node_id in self._press_pos and item.pos() != self._press_pos[node_id]}
        self._press_pos = {}
        if moved and not self.doc.move(moved):
            self.sync()  # refused (read-only): put the nodes back where the spec has them

    def _set_target(self, node: NodeItem | None) -> None:
        if self._target is not None and self._target is not node and self._target.scene() is self:
            self._target.set_wire_target(False)
        self._target = node
        if node is not None:
            node.set_wire_target(True)

    def _cancel_wire(self) -> None:
        self._set_target(None)
        if self._drag_wire is not None:
            self.removeItem(self._drag_wire)
            self._drag_wire = None

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape and self._drag_wire is not None:
            self._cancel_wire()  # Esc drops the wire being dragged
            self._drag_from = None
            event.accept()
            return
        super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        node = self.node_at(event.scenePos())
        if node is not None:
            self.node_activated.emit(node.node_id)
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event) -> None:
        node = self.node_at(event.scenePos())
        if node is None:
            return super().contextMenuEvent(event)
        if not node.isSelected():
            self.select_ids([node.node_id])
        menu = QMenu()
        menu.addActions(self.context_actions(node.node_id, menu))
        menu.exec(event.screenPos())

    def context_actions(self, node_id: str, parent=None) -> list[QAction]:
        """Right-click on a node: what makes sense for that node."""
        doc = self.doc
        actions = []

        def add(text: str, slot, enabled: bool = True) -> None:
            action = QAction(text, parent or self)
            action.setEnabled(enabled and not doc.read_only)
            action.triggered.connect(lambda _c=False: slot())
            actions.append(action)
        if node_id != INPUT_ID:
            layer = doc.current.layer(node_id)
            add("Set as network output", lambda: doc.set_network(output=node_id), doc.current.output != node_id)
            add("Disconnect inputs", lambda: doc.remove([], [(s, node_id, i) for i, s in enumerate(layer.inputs)]),
                bool(layer and layer.inputs))
            add("Delete", lambda: doc.remove(self.selected_ids() or [node_id],
                                             self.selected_wires()))
        return actions

    def connect_ids(self, src: str, dst: str) -> bool:
        """The wiring gesture without the mouse (keyboard users, tests)."""
        return src in self.nodes and dst in self.nodes and dst != INPUT_ID and self.doc.connect(src, dst)
