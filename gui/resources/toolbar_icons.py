"""Line icons for the toolbar, drawn with QPainter (no asset files, sharp at any DPI).
One stroke colour and width for all, like a modern icon set."""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

STROKE = "#334155"


def _arrow_head(p: QPainter, tip: QPointF, dx: float, dy: float) -> None:
    path = QPainterPath(QPointF(tip.x() + dx - dy, tip.y() + dy + dx))
    path.lineTo(tip)
    path.lineTo(QPointF(tip.x() + dx + dy, tip.y() + dy - dx))
    p.drawPath(path)


def _draw(p: QPainter, name: str) -> None:
    """Glyphs on a 20x20 grid."""
    if name == "new":
        path = QPainterPath(QPointF(5, 2.5))
        path.lineTo(11.5, 2.5)
        path.lineTo(15.5, 6.5)
        path.lineTo(15.5, 17.5)
        path.lineTo(5, 17.5)
        path.closeSubpath()
        p.drawPath(path)
        p.drawLine(QPointF(10.2, 9), QPointF(10.2, 14))
        p.drawLine(QPointF(7.7, 11.5), QPointF(12.7, 11.5))
    elif name == "open":
        path = QPainterPath(QPointF(2.5, 16.5))
        path.lineTo(2.5, 4.5)
        path.lineTo(7.5, 4.5)
        path.lineTo(9.5, 6.5)
        path.lineTo(16.5, 6.5)
        path.lineTo(16.5, 9)
        p.drawPath(path)
        path = QPainterPath(QPointF(2.5, 16.5))
        path.lineTo(5, 9)
        path.lineTo(18.5, 9)
        path.lineTo(16, 16.5)
        path.closeSubpath()
        p.drawPath(path)
    elif name == "save":
        p.drawLine(QPointF(10, 2.5), QPointF(10, 12))
        _arrow_head(p, QPointF(10, 12.5), 0, -4)
        path = QPainterPath(QPointF(3, 11))
        path.lineTo(3, 17)
        path.lineTo(17, 17)
        path.lineTo(17, 11)
        p.drawPath(path)
    elif name in ("undo", "redo"):
        sign = -1 if name == "undo" else 1
        path = QPainterPath(QPointF(10 + sign * 6, 8))
        path.lineTo(10 - sign * 1, 8)
        path.cubicTo(QPointF(10 - sign * 7.5, 8), QPointF(10 - sign * 7.5, 16.5), QPointF(10 - sign * 1, 16.5))
        path.lineTo(10 + sign * 2, 16.5)
        p.drawPath(path)
        _arrow_head(p, QPointF(10 + sign * 6.5, 8), -sign * 3.5, 0)
    elif name == "tidy":
        for x, y in ((3, 3), (11, 3), (3, 11), (11, 11)):
            p.drawRoundedRect(QRectF(x, y, 6, 6), 1.5, 1.5)
    elif name == "fit":
        for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
            cx, cy = 10 - sx * 7, 10 - sy * 7
            p.drawLine(QPointF(cx, cy), QPointF(cx + sx * 4.5, cy))
            p.drawLine(QPointF(cx, cy), QPointF(cx, cy + sy * 4.5))
        p.drawRect(QRectF(7, 7, 6, 6))
    elif name == "code":
        p.drawPolyline([QPointF(6.5, 5), QPointF(2, 10), QPointF(6.5, 15)])
        p.drawPolyline([QPointF(13.5, 5), QPointF(18, 10), QPointF(13.5, 15)])
        p.drawLine(QPointF(11.5, 3.5), QPointF(8.5, 16.5))
    elif name == "model":
        top = [QPointF(10, 2.5), QPointF(17, 6.5), QPointF(10, 10.5), QPointF(3, 6.5)]
        p.drawPolygon(top)
        p.drawPolyline([QPointF(3, 6.5), QPointF(3, 13.5), QPointF(10, 17.5), QPointF(17, 13.5), QPointF(17, 6.5)])
        p.drawLine(QPointF(10, 10.5), QPointF(10, 17.5))
    elif name == "presets":
        for i, y in enumerate((4, 8.5, 13)):
            p.drawRoundedRect(QRectF(3 + i * 0, y, 14, 3.5), 1.2, 1.2)


@lru_cache(maxsize=32)
def toolbar_icon(name: str, size: int = 20) -> QIcon:
    icon = QIcon()
    for color, mode in ((STROKE, QIcon.Normal), ("#94A3B8", QIcon.Disabled), ("#1D4ED8", QIcon.Active)):
        pm = QPixmap(size * 2, size * 2)
        pm.setDevicePixelRatio(2)
        pm.fill(Qt.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.Antialiasing)
        p.scale(size / 20, size / 20)
        p.setPen(QPen(QColor(color), 1.6, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
        p.setBrush(Qt.NoBrush)
        _draw(p, name)
        p.end()
        icon.addPixmap(pm, mode)
    return icon
