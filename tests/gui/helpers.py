"""Drive the canvas the way a user does: real drag-and-drop events and mouse events on the viewport."""
from __future__ import annotations

import warnings

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication


def view_point(canvas, scene_pos: QPointF) -> QPoint:
    return canvas.mapFromScene(scene_pos)


def drop(canvas, mime: QMimeData, scene_pos: QPointF) -> None:
    """Enter, move and drop, as Qt delivers a real drag from the palette."""
    vp = canvas.viewport()
    pos = QPointF(view_point(canvas, scene_pos))
    with warnings.catch_warnings():  # PySide marks the QPoint constructors deprecated; Qt has no other
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(pos.toPoint(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        move = QDragMoveEvent(pos.toPoint(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier, QEvent.DragMove)
    QApplication.sendEvent(vp, enter)
    QApplication.sendEvent(vp, move)
    event = QDropEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(vp, event)


def _mouse(canvas, kind: QEvent.Type, scene_pos: QPointF, buttons) -> None:
    vp = canvas.viewport()
    local = QPointF(view_point(canvas, scene_pos))
    button = Qt.LeftButton if kind != QEvent.MouseMove else Qt.NoButton
    event = QMouseEvent(kind, local, QPointF(vp.mapToGlobal(local.toPoint())), button, buttons, Qt.NoModifier)
    QApplication.sendEvent(vp, event)


def drag_mouse(canvas, start: QPointF, end: QPointF, steps: int = 4) -> None:
    """Press at start, move in steps with the left button held, release at end."""
    _mouse(canvas, QEvent.MouseButtonPress, start, Qt.LeftButton)
    for i in range(1, steps + 1):
        p = start + (end - start) * (i / steps)
        _mouse(canvas, QEvent.MouseMove, p, Qt.LeftButton)
    _mouse(canvas, QEvent.MouseButtonRelease, end, Qt.NoButton)
