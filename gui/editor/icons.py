"""Layer icons, drawn with QPainter so they stay sharp at any size and need no asset files.

Each group has a colour (palette, node header and icon agree); each layer type a small glyph that
hints at what it does: a kernel grid for convolution, the ReLU hinge, a bell curve for batch norm.
"""
from __future__ import annotations

import math
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

GROUP_COLORS = {
    "Input": "#334155",
    "Convolution": "#2563EB",
    "Pooling": "#0D9488",
    "Activation": "#D97706",
    "Normalisation": "#7C3AED",
    "Regularisation": "#DB2777",
    "Affine": "#C026D3",
    "Binarized": "#854D0E",
    "Structure": "#475569",
    "Output": "#16A34A",
}
FALLBACK_COLOR = "#64748B"


def group_color(group: str) -> QColor:
    return QColor(GROUP_COLORS.get(group, FALLBACK_COLOR))


def _curve(p: QPainter, r: QRectF, f, lo: float = -1.0, hi: float = 1.0, n: int = 24) -> None:
    """Plot y = f(x) for x in [-1, 1] into r, y scaled from [lo, hi]."""
    path = QPainterPath()
    for i in range(n + 1):
        x = -1 + 2 * i / n
        y = (f(x) - lo) / (hi - lo)
        pt = QPointF(r.left() + (x + 1) / 2 * r.width(), r.bottom() - y * r.height())
        path.moveTo(pt) if i == 0 else path.lineTo(pt)
    p.drawPath(path)


def _grid(p: QPainter, r: QRectF, n: int, filled: set[int], hollow: bool = False) -> None:
    gap = r.width() * 0.12
    cell = (r.width() - gap * (n - 1)) / n
    for i in range(n * n):
        x = r.left() + (i % n) * (cell + gap)
        y = r.top() + (i // n) * (cell + gap)
        cr = QRectF(x, y, cell, cell)
        if i in filled:
            p.fillRect(cr, p.pen().color())
        elif hollow:
            p.drawEllipse(cr)
        else:
            p.drawRect(cr)


def paint_glyph(p: QPainter, r: QRectF, type_name: str, color: QColor) -> None:
    """Draw the glyph of `type_name` in `color` inside r (a square)."""
    pen = QPen(color, max(1.2, r.width() / 12), Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.NoBrush)
    t = type_name
    if t == "Conv2d":
        _grid(p, r, 3, {4})
    elif t == "BinConv2d":  # a kernel of +1/-1: a checkerboard
        _grid(p, r, 3, {0, 2, 4, 6, 8})
    elif t == "BinLinear":  # sign(x): the step from -1 to +1
        _curve(p, r, lambda x: 1.0 if x >= 0 else -1.0, -1.2, 1.2, n=48)
    elif t in ("MaxPool2d", "AdaptiveMaxPool2d"):
        _grid(p, r, 2, {1})
    elif t in ("AvgPool2d", "AdaptiveAvgPool2d"):
        _grid(p, r, 2, set())
        p.drawLine(QPointF(r.left(), r.bottom()), QPointF(r.right(), r.top()))
    elif t == "ReLU":
        _curve(p, r, lambda x: max(0.0, x), -0.1, 1.0)
    elif t == "LeakyReLU":
        _curve(p, r, lambda x: x if x > 0 else 0.15 * x, -0.25, 1.0)
    elif t == "GELU":
        _curve(p, r, lambda x: 2 * x * 0.5 * (1 + math.erf(2 * x / math.sqrt(2))) / 2, -0.3, 1.0)
    elif t == "Sigmoid":
        _curve(p, r, lambda x: 1 / (1 + math.exp(-6 * x)), -0.05, 1.05)
    elif t == "Tanh":
        _curve(p, r, lambda x: math.tanh(3 * x), -1.1, 1.1)
        p.drawLine(QPointF(r.left(), r.center().y()), QPointF(r.right(), r.center().y()))
    elif t.startswith("BatchNorm") or t.endswith("Norm"):
        _curve(p, r, lambda x: math.exp(-8 * x * x), -0.05, 1.05)
    elif t.startswith("Dropout"):
        _grid(p, r, 3, {0, 4, 8, 5}, hollow=True)
    elif t == "Flatten":
        w = r.width()
        for i in range(3):
            p.drawRect(QRectF(r.left() + i * w * 0.12, r.top() + i * w * 0.12, w * 0.5, w * 0.5))
        p.drawLine(QPointF(r.left(), r.bottom()), QPointF(r.right(), r.bottom()))
    elif t == "Linear":
        left = [QPointF(r.left() + 2, r.top() + r.height() * f) for f in (0.1, 0.5, 0.9)]
        right = [QPointF(r.right() - 2, r.top() + r.height() * f) for f in (0.3, 0.7)]
        thin = QPen(pen)
        thin.setWidthF(pen.widthF() * 0.5)
        p.setPen(thin)
        for a in left:
            for b in right:
                p.drawLine(a, b)
        p.setPen(pen)
        p.setBrush(color)
        for pt in left + right:
            p.drawEllipse(pt, r.width() * 0.07, r.width() * 0.07)
    elif t == "Softmax":
        w = r.width() / 4
        for i, h in enumerate((0.2, 0.35, 0.95)):
            p.fillRect(QRectF(r.left() + i * w * 1.45, r.bottom() - h * r.height(), w, h * r.height()), color)
    elif t == "Add":
        c = r.center()
        p.drawLine(QPointF(c.x(), r.top()), QPointF(c.x(), r.bottom()))
        p.drawLine(QPointF(r.left(), c.y()), QPointF(r.right(), c.y()))
    elif t == "Concat":
        w = r.width()
        p.drawRect(QRectF(r.left(), r.top(), w * 0.42, r.height()))
        p.fillRect(QRectF(r.left() + w * 0.58, r.top(), w * 0.42, r.height()), color)
    elif t == "Input":
        p.drawRect(QRectF(r.left() + r.width() * 0.35, r.top(), r.width() * 0.65, r.height()))
        p.drawLine(QPointF(r.left(), r.center().y()), QPointF(r.center().x() + 2, r.center().y()))
        p.drawLine(QPointF(r.center().x() - 3, r.center().y() - 4), QPointF(r.center().x() + 2, r.center().y()))
        p.drawLine(QPointF(r.center().x() - 3, r.center().y() + 4), QPointF(r.center().x() + 2, r.center().y()))
    else:
        p.drawEllipse(r.adjusted(2, 2, -2, -2))


@lru_cache(maxsize=128)
def layer_icon(type_name: str, group: str, size: int = 40) -> QIcon:
    """A rounded tile in the group's colour with the white glyph; sharp on high-DPI screens."""
    ratio = 2
    pm = QPixmap(size * ratio, size * ratio)
    pm.setDevicePixelRatio(ratio)
    pm.fill(Qt.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.Antialiasing)
    p.setPen(Qt.NoPen)
    p.setBrush(group_color(group))
    p.drawRoundedRect(QRectF(0, 0, size, size), size * 0.24, size * 0.24)
    inset = size * 0.24
    paint_glyph(p, QRectF(inset, inset, size - 2 * inset, size - 2 * inset), type_name, QColor("white"))
    p.end()
    return QIcon(pm)
