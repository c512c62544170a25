"""The canvas view: zoom (wheel, buttons, fit), pan (middle button or space+drag), rubber-band
selection, a dot grid. Fit stops at the zoom where cards still show readable text. Drops are passed to the scene (EditorScene.dropEvent)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsView

from gui.editor.node_item import SUMMARY_ZOOM
from gui.editor.scene import EditorScene

MIN_ZOOM, MAX_ZOOM = 0.08, 3.0
# Fit never zooms out so far that cards lose their text: a larger net scrolls from its input on.
MIN_FIT_ZOOM = SUMMARY_ZOOM
GRID = 24


class CanvasView(QGraphicsView):
    def __init__(self, scene: EditorScene, parent=None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self.setFrameShape(QGraphicsView.NoFrame)
        self.setSceneRect(QRectF(-5000, -5000, 10000, 10000))
        self._panning = False
        self._space = False
        self._pan_from = None

    # ---- zoom -----------------------------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        f = target / self.zoom()
        self.scale(f, f)

    def zoom_in(self) -> None:
        self.zoom_by(1.25)

    def zoom_out(self) -> None:
        self.zoom_by(0.8)

    def zoom_fit(self) -> None:
        rect = self.scene().itemsBoundingRect()
        if rect.isEmpty():
            return
        rect = rect.adjusted(-40, -40, 40, 40)
        self._grow_scene_rect(rect)
        self.fitInView(rect, Qt.KeepAspectRatio)
        if self.zoom() > 1.0:  # a small net: show it at natural size, centred
            self.resetTransform()
            self.centerOn(rect.center())
        elif self.zoom() < MIN_FIT_ZOOM:  # too big to fit readably: readable, from the top left
            self.resetTransform()
            self.scale(MIN_FIT_ZOOM, MIN_FIT_ZOOM)
            vp = self.viewport().rect()
            self.centerOn(rect.left() + vp.width() / 2 / MIN_FIT_ZOOM, rect.top() + vp.height() / 2 / MIN_FIT_ZOOM)

    def _grow_scene_rect(self, rect: QRectF) -> None:
        if not self.sceneRect().contains(rect):
            self.setSceneRect(self.sceneRect().united(rect.adjusted(-2000, -2000, 2000, 2000)))

    def wheelEvent(self, event) -> None:
        if event.modifiers() & (Qt.ShiftModifier | Qt.AltModifier):
            super().wheelEvent(event)  # scroll
            return
        self.zoom_by(1.0015 ** event.angleDelta().y())

    # ---- pan ------------------------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.OpenHandCursor)
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MiddleButton or (event.button() == Qt.LeftButton and self._space):
            self._panning, self._pan_from = True, event.position()
            self.viewport().setCursor(Qt.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._panning:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._panning:
            self._panning = False
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # ---- hint on an empty canvas ------------------------------------------------------------------------
    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        scene = self.scene()
        if len(getattr(scene, "nodes", {})) > 1:
            return
        painter.save()
        painter.resetTransform()
        vp = self.viewport().rect()
        box = QRectF(vp.center().x() - 230, vp.bottom() - 150, 460, 96)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(QColor("#CBD5E1"), 1.5, Qt.DashLine))
        painter.setBrush(QColor(255, 255, 255, 200))
        painter.drawRoundedRect(box, 12, 12)
        title = QFont(painter.font())
        title.setPointSizeF(12)
        title.setWeight(QFont.DemiBold)
        painter.setFont(title)
        painter.setPen(QColor("#334155"))
        painter.drawText(box.adjusted(0, 14, 0, -50), Qt.AlignHCenter | Qt.AlignTop, "Drag layers here from the palette")
        body = QFont(painter.font())
        body.setPointSizeF(9)
        body.setWeight(QFont.Normal)
        painter.setFont(body)
        painter.setPen(QColor("#64748B"))
        painter.drawText(box.adjusted(16, 44, -16, -8), Qt.AlignHCenter | Qt.AlignTop | Qt.TextWordWrap,
                         "Connect a node's lower port to the next node's upper port. Drop a layer on a wire "
                         "to insert it. Double-click a palette entry to chain it under the selection.")
        painter.restore()

    # ---- background -------------------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, QColor("#F8FAFC"))
        if self.zoom() < 0.35:
            return  # dots would be noise when zoomed far out
        painter.setPen(QPen(QColor("#CBD5E1"), 1.6 / max(self.zoom(), 0.01)))
        left = int(rect.left()) - int(rect.left()) % GRID
        top = int(rect.top()) - int(rect.top()) % GRID
        points = []
        for x in range(left, int(rect.right()) + 1, GRID):
            for y in range(top, int(rect.bottom()) + 1, GRID):
                points.append(QPointF(x, y))
        painter.drawPoints(points)
