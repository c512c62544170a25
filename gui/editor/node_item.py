"""One layer on the canvas: a card with the type, key parameters, output shape, parameters and
FLOPs, an input port on top, an output port below, and a red badge when the layer has a problem.

Items are long-lived: the scene updates their content in place on every edit (`set_content`),
and only repaints the ones whose text changed.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from engine.net import NODE_H, NODE_W
from gui.editor.icons import group_color, paint_glyph

PORT_R = 6.0
BADGE_R = 10.0
_TITLE_FONT = QFont()
_TITLE_FONT.setPointSizeF(9.5)
_TITLE_FONT.setWeight(QFont.DemiBold)
_SMALL_FONT = QFont()
_SMALL_FONT.setPointSizeF(8.0)
_SHAPE_FONT = QFont("DejaVu Sans Mono")
_SHAPE_FONT.setStyleHint(QFont.Monospace)
_SHAPE_FONT.setPointSizeF(8.5)
_SHAPE_FONT.setWeight(QFont.DemiBold)

ERROR = QColor("#DC2626")
TEXT = QColor("#0F172A")
MUTED = QColor("#64748B")
ACCENT = QColor("#2563EB")


@dataclass(frozen=True)
class NodeContent:
    """Everything a node shows; compared to skip repaints when an edit did not touch this node."""
    type_name: str
    group: str
    params_line: str
    shape_line: str
    cost_line: str
    problems: tuple[str, ...] = ()
    is_output: bool = False
    has_input_port: bool = True


class NodeItem(QGraphicsItem):
    def __init__(self, node_id: str) -> None:
        super().__init__()
        self.node_id = node_id
        self.content: NodeContent | None = None
        self.wire_target = False  # a wire being dragged would connect here on release
        self.wires: list = []  # WireItems attached to this node; they follow it when it moves
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.setZValue(1)

    # ---- geometry ---------------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return QRectF(-4, -PORT_R - 2, NODE_W + BADGE_R + 4, NODE_H + 2 * PORT_R + 4)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, NODE_W, NODE_H), 8, 8)
        # The ports stick out of the card; they must hit-test as part of the node.
        path.setFillRule(Qt.WindingFill)  # overlapping parts stay inside (odd-even would cut them out)
        for y in (0.0, NODE_H):
            path.addEllipse(QPointF(NODE_W / 2, y), PORT_R + 4, PORT_R + 4)
        return path

    def in_port(self) -> QPointF:
        return self.mapToScene(QPointF(NODE_W / 2, 0))

    def out_port(self) -> QPointF:
        return self.mapToScene(QPointF(NODE_W / 2, NODE_H))

    def port_at(self, scene_pos: QPointF) -> str | None:
        """'in' or 'out' when scene_pos is on (or near) a port; ports are generous targets."""
        local = self.mapFromScene(scene_pos)
        if abs(local.x() - NODE_W / 2) <= 14:
            if abs(local.y() - NODE_H) <= 10:
                return "out"
            if abs(local.y()) <= 10 and self.content is not None and self.content.has_input_port:
                return "in"
        return None

    # ---- content ----------------------------------------------------------------------------------
    def set_content(self, content: NodeContent) -> None:
        if content == self.content:
            return
        self.content = content
        tip = [f"<b>{self.node_id}</b> ({content.type_name})", content.params_line, f"output {content.shape_line}",
               content.cost_line]
        if content.problems:
            tip.append("<span style='color:#DC2626'><b>Problem:</b> " + "<br>".join(content.problems) + "</span>")
        self.setToolTip("<br>".join(t for t in tip if t))
        self.update()

    def set_wire_target(self, on: bool) -> None:
        if on != self.wire_target:
            self.wire_target = on
            self.update()

    def hoverMoveEvent(self, event) -> None:
        # A crosshair over a port says "drag from here to connect".
        self.setCursor(Qt.CrossCursor if self.port_at(event.scenePos()) else Qt.ArrowCursor)
        super().hoverMoveEvent(event)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value):
        if change == QGraphicsItem.ItemPositionHasChanged:
            for wire in self.wires:
                wire.update_path()
        return super().itemChange(change, value)

    # ---- painting ---------------------------------------------------------------------------------
    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        c = self.content
        if c is None:
            return
        p.setRenderHint(QPainter.Antialiasing)
        color = group_color(c.group)
        card = QRectF(0, 0, NODE_W, NODE_H)
        selected = self.isSelected()
        if option.levelOfDetailFromTransform(p.worldTransform()) < 0.4:
            self._paint_far(p, c, color, card, selected)  # text would be unreadable: skip it
            return
        # Shadow, then the card.
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(15, 23, 42, 22))
        p.drawRoundedRect(card.translated(0, 2), 8, 8)
        border = ERROR if c.problems else (ACCENT if selected else QColor("#CBD5E1"))
        p.setPen(QPen(border, 2.2 if (selected or c.problems) else 1.0))
        p.setBrush(QColor("#FFFFFF"))
        p.drawRoundedRect(card, 8, 8)
        if selected and c.problems:  # keep the selection visible on a red card
            p.setPen(QPen(ACCENT, 1.5, Qt.DashLine))
            p.setBrush(Qt.NoBrush)
            p.drawRoundedRect(card.adjusted(-4, -4, 4, 4), 10, 10)
        # Colour stripe on the left, glyph and title.
        stripe = QPainterPath()
        stripe.addRoundedRect(QRectF(0.5, 0.5, 10, NODE_H - 1), 7, 7)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, 5, NODE_H))
        p.setPen(Qt.NoPen)
        p.setBrush(color)
        p.drawPath(stripe.intersected(clip))
        tint = QColor(color)
        tint.setAlpha(28)
        p.setBrush(tint)
        p.drawRoundedRect(QRectF(12, 8, 22, 22), 5, 5)
        paint_glyph(p, QRectF(16, 12, 14, 14), c.type_name, color)
        p.setFont(_TITLE_FONT)
        p.setPen(TEXT)
        p.drawText(QRectF(40, 6, NODE_W - 48, 14), Qt.AlignLeft | Qt.AlignVCenter, c.type_name)
        p.setFont(_SMALL_FONT)
        p.setPen(MUTED)
        id_w = NODE_W - 48 - (62 if c.is_output else 0)  # room for the OUTPUT pill on this row
        p.drawText(QRectF(40, 20, id_w, 12), Qt.AlignLeft | Qt.AlignVCenter,
                   p.fontMetrics().elidedText(self.node_id, Qt.ElideRight, int(id_w)))
        if c.params_line:
            p.drawText(QRectF(12, 34, NODE_W - 20, 14), Qt.AlignLeft | Qt.AlignVCenter,
                       p.fontMetrics().elidedText(c.params_line, Qt.ElideRight, int(NODE_W - 20)))
        p.setFont(_SHAPE_FONT)
        p.setPen(ERROR if c.problems else ACCENT)
        p.drawText(QRectF(12, 48, NODE_W - 20, 16), Qt.AlignLeft | Qt.AlignVCenter, "→ " + c.shape_line)
        p.setFont(_SMALL_FONT)
        p.setPen(MUTED)
        p.drawText(QRectF(12, 64, NODE_W - 20, 14), Qt.AlignLeft | Qt.AlignVCenter,
                   p.fontMetrics().elidedText(c.cost_line, Qt.ElideRight, int(NODE_W - 20)))
        if c.is_output:
            self._pill(p, "OUTPUT", QColor("#16A34A"))
        self._ports(p, c, color)
        if c.problems:
            self._badge(p, len(c.problems))

    def _paint_far(self, p: QPainter, c: NodeContent, color: QColor, card: QRectF, selected: bool) -> None:
        """Zoomed far out: a tinted card in the group colour, the problem badge, no text."""
        tint = QColor(color)
        tint.setAlpha(60)
        p.setPen(QPen(ERROR if c.problems else (ACCENT if selected else color), 6 if (selected or c.problems) else 2))
        p.setBrush(tint)
        p.drawRoundedRect(card, 8, 8)
        if c.problems:
            self._badge(p, len(c.problems))

    def _pill(self, p: QPainter, text: str, color: QColor) -> None:
        p.setFont(_SMALL_FONT)
        w = p.fontMetrics().horizontalAdvance(text) + 10
        r = QRectF(NODE_W - w - 8, 20, w, 13)
        p.setPen(Qt.NoPen)
        p.setBrush(color)
        p.drawRoundedRect(r, 6, 6)
        p.setPen(QColor("white"))
        p.drawText(r, Qt.AlignCenter, text)

    def _ports(self, p: QPainter, c: NodeContent, color: QColor) -> None:
        p.setPen(QPen(QColor("white"), 2))
        p.setBrush(color)
        if c.has_input_port:
            if self.wire_target:
                p.setPen(QPen(ACCENT, 3))
                p.setBrush(QColor("white"))
                p.drawEllipse(QPointF(NODE_W / 2, 0), PORT_R + 3, PORT_R + 3)
                p.setPen(QPen(QColor("white"), 2))
                p.setBrush(color)
            p.drawEllipse(QPointF(NODE_W / 2, 0), PORT_R, PORT_R)
        p.drawEllipse(QPointF(NODE_W / 2, NODE_H), PORT_R, PORT_R)

    def _badge(self, p: QPainter, n: int) -> None:
        center = QPointF(NODE_W - 2, 2)
        p.setPen(QPen(QColor("white"), 2))
        p.setBrush(ERROR)
        p.drawEllipse(center, BADGE_R, BADGE_R)
        p.setPen(QColor("white"))
        p.setFont(_TITLE_FONT)
        p.drawText(QRectF(center.x() - BADGE_R, center.y() - BADGE_R, 2 * BADGE_R, 2 * BADGE_R),
                   Qt.AlignCenter, "!" if n == 1 else str(n))
