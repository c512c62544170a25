"""A wire from a layer's output port to another layer's input port (one entry of `inputs`)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyle, QStyleOptionGraphicsItem, QWidget

from gui import plain_text

WIRE = QColor("#94A3B8")
WIRE_HOT = QColor("#2563EB")
WIRE_BAD = QColor("#DC2626")


def wire_path(a: QPointF, b: QPointF) -> QPainterPath:
    """From a (output, below a node) to b (input, above a node): a vertical S-curve when b is below
    a; when b is above (the next column of a wrapped layout), a rounded route down, across through
    the gap between the columns, up, and down into b, so it never cuts through cards."""
    path = QPainterPath(a)
    if b.y() >= a.y() + 24 or abs(b.x() - a.x()) < 1:
        dy = max(40.0, abs(b.y() - a.y()) * 0.5)
        path.cubicTo(QPointF(a.x(), a.y() + dy), QPointF(b.x(), b.y() - dy), b)
        return path
    r, drop = 14.0, 22.0
    mid = (a.x() + b.x()) / 2
    sx = 1.0 if mid > a.x() else -1.0  # heading right or left from a
    tx = 1.0 if b.x() > mid else -1.0  # heading right or left into b
    low, high = a.y() + drop, b.y() - drop
    path.lineTo(a.x(), low - r)
    path.quadTo(a.x(), low, a.x() + sx * r, low)
    path.lineTo(mid - sx * r, low)
    path.quadTo(mid, low, mid, low - r)
    path.lineTo(mid, high + r)
    path.quadTo(mid, high, mid + tx * r, high)
    path.lineTo(b.x() - tx * r, high)
    path.quadTo(b.x(), high, b.x(), high + r)
    path.lineTo(b)
    return path


class WireItem(QGraphicsPathItem):
    def __init__(self, key: tuple[str, str, int], src_item, dst_item) -> None:
        super().__init__()
        self.key = key  # (source id, destination id, input slot)
        self.src_item = src_item
        self.dst_item = dst_item
        self.hot = False  # a palette item hovers over it: dropping inserts the layer here
        self.bad = False  # the destination layer has a problem
        self.setFlags(QGraphicsItem.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(0)
        self.setToolTip(plain_text.tooltip(f"{plain_text.name(key[0])} → {plain_text.name(key[1])}"))
        self.update_path()

    def update_path(self) -> None:
        self.setPath(wire_path(self.src_item.out_port(), self.dst_item.in_port()))

    def set_hot(self, hot: bool) -> None:
        if hot != self.hot:
            self.hot = hot
            self.update()

    def set_bad(self, bad: bool) -> None:
        if bad != self.bad:
            self.bad = bad
            self.update()

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(14)  # an easy target for selecting and for dropping a layer onto
        return stroker.createStroke(self.path())

    def hoverEnterEvent(self, event) -> None:
        self.set_hot(True)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        self.set_hot(False)
        super().hoverLeaveEvent(event)

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        p.setRenderHint(QPainter.Antialiasing)
        selected = bool(option.state & QStyle.State_Selected)
        color = WIRE_HOT if (self.hot or selected) else (WIRE_BAD if self.bad else WIRE)
        p.setPen(QPen(color, 3.0 if (self.hot or selected) else 2.0, Qt.SolidLine, Qt.RoundCap))
        p.setBrush(Qt.NoBrush)
        p.drawPath(self.path())
        # An arrow head at the input end shows the direction of flow.
        end = self.path().pointAtPercent(1.0)
        p.setBrush(color)
        p.setPen(Qt.NoPen)
        head = QPainterPath(end)
        head.lineTo(end + QPointF(-5, -9))
        head.lineTo(end + QPointF(5, -9))
        head.closeSubpath()
        p.drawPath(head.translated(0, -6))
