"""One layer on the canvas: a card with the type, key parameters, output shape, parameters and
FLOPs, an input port on top, an output port below, and a badge when the layer has a problem (red)
or a warning (amber, e.g. it does not feed the output). Zoomed out it shows less text, larger.
After a profile a node also carries a mark (gui.profile.marks): its card takes the colour of its share
of the step time and a badge line replaces the cost line; a highlight ring shows the node a roofline
point stands for.

Items are long-lived: the scene updates their content in place on every edit (`set_content`),
and only repaints the ones whose text changed.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

import engine.format as fmt
from engine.net import NODE_H, NODE_W
from gui import plain_text
from gui.editor.icons import group_color, paint_glyph
from gui.profile.marks import BOUND_COLORS, ProfileMark, text_on

PORT_R = 6.0
BADGE_R = 10.0
READABLE_PX = 9.0  # the smallest text size on screen that is comfortable to read


def _font(pixels: int, weight: QFont.Weight = QFont.Normal, mono: bool = False) -> QFont:
    # Pixel sizes, not points: a card's text is part of its drawing and scales with it exactly.
    font = QFont("DejaVu Sans Mono") if mono else QFont()
    if mono:
        font.setStyleHint(QFont.Monospace)
    font.setPixelSize(pixels)
    font.setWeight(weight)
    return font


_TITLE_FONT = _font(14, QFont.DemiBold)
_SMALL_FONT = _font(12)
_SHAPE_FONT = _font(12, QFont.DemiBold, mono=True)
# Zoomed out, a card shows only its type and output shape, in letters big enough to read.
_BIG_TITLE_FONT = _font(22, QFont.DemiBold)
_BIG_SHAPE_FONT = _font(21, QFont.DemiBold, mono=True)
DETAIL_ZOOM = READABLE_PX / 12  # from here on the small 12 px text reads at READABLE_PX or more
SUMMARY_ZOOM = READABLE_PX / 21  # from here on the big text does; below it, cards show no text

ERROR = QColor("#DC2626")
WARNING = QColor("#D97706")
TEXT = QColor("#0F172A")
MUTED = QColor("#64748B")
ACCENT = QColor("#2563EB")
HIGHLIGHT = QColor("#0EA5E9")


@dataclass(frozen=True)
class NodeContent:
    """Everything a node shows; compared to skip repaints when an edit did not touch this node."""
    type_name: str
    group: str
    params_line: str
    shape_line: str
    cost_line: str
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # not errors: e.g. the layer does not feed the output
    is_output: bool = False
    has_input_port: bool = True


def _alert(c: NodeContent) -> QColor | None:
    """Red for a problem, amber for a warning, None when the layer is fine."""
    return ERROR if c.problems else WARNING if c.warnings else None


class NodeItem(QGraphicsItem):
    def __init__(self, node_id: str) -> None:
        super().__init__()
        self.node_id = node_id
        self.content: NodeContent | None = None
        self.wire_target = False  # a wire being dragged would connect here on release
        self.wires: list = []  # WireItems attached to this node; they follow it when it moves
        self.mark: ProfileMark | None = None  # its share of a profiled step (gui.profile.overlay sets it)
        self.highlighted = False  # a roofline point under the mouse stands for this node
        self._tip = ""
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.setZValue(1)

    # ---- geometry ---------------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return QRectF(-9, -PORT_R - 4, NODE_W + BADGE_R + 10, NODE_H + 2 * PORT_R + 8)  # room for the ring

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
        esc = plain_text.escape  # ids, types, parameters and problems come from the spec: never HTML
        tip = [f"<b>{esc(self.node_id)}</b> ({esc(content.type_name)})", esc(content.params_line),
               f"output {esc(content.shape_line)}", esc(content.cost_line)]
        if content.problems:
            tip.append("<span style='color:#DC2626'><b>Problem:</b> "
                       + "<br>".join(plain_text.escape_message(p) for p in content.problems) + "</span>")
        if content.warnings:
            tip.append("<span style='color:#B45309'><b>Warning:</b> "
                       + "<br>".join(plain_text.escape_message(w) for w in content.warnings) + "</span>")
        self._tip = "<br>".join(t for t in tip if t)
        self._show_tip()
        self.update()

    def set_mark(self, mark: ProfileMark | None) -> None:
        if mark != self.mark:
            self.mark = mark
            self._show_tip()
            self.update()

    def set_highlight(self, on: bool) -> None:
        if on != self.highlighted:
            self.highlighted = on
            self.update()

    def _show_tip(self) -> None:
        self.setToolTip(self._tip + (f"<br>{self.mark.tooltip}" if self.mark is not None else ""))

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
        zoom = option.levelOfDetailFromTransform(p.worldTransform())
        if self.highlighted:
            p.setPen(QPen(HIGHLIGHT, 4))
            p.setBrush(Qt.NoBrush)
            p.drawRoundedRect(card.adjusted(-6, -6, 6, 6), 11, 11)
        if zoom < DETAIL_ZOOM:  # the detail lines would be too small to read: show less, larger
            self._paint_far(p, c, color, card, selected, with_text=zoom >= SUMMARY_ZOOM)
            return
        # Shadow, then the card.
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(15, 23, 42, 22))
        p.drawRoundedRect(card.translated(0, 2), 8, 8)
        alert = _alert(c)
        border = alert or (ACCENT if selected else QColor("#CBD5E1"))
        mark = self.mark
        if mark is not None and not (selected or alert):
            border = mark.color.darker(125)
        p.setPen(QPen(border, 2.2 if (selected or alert or mark) else 1.0))
        # A profiled card is washed with its share's colour (half strength: the text stays readable).
        p.setBrush(QColor("#FFFFFF") if mark is None else _wash(mark.color))
        p.drawRoundedRect(card, 8, 8)
        if selected and alert:  # keep the selection visible on a red or amber card
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
        p.drawText(QRectF(40, 5, NODE_W - 48, 16), Qt.AlignLeft | Qt.AlignVCenter,
                   p.fontMetrics().elidedText(plain_text.name(c.type_name), Qt.ElideRight, int(NODE_W - 48)))
        p.setFont(_SMALL_FONT)
        p.setPen(MUTED)
        id_w = NODE_W - 48 - (62 if c.is_output else 0)  # room for the OUTPUT pill on this row
        p.drawText(QRectF(40, 21, id_w, 13), Qt.AlignLeft | Qt.AlignVCenter,
                   p.fontMetrics().elidedText(plain_text.name(self.node_id), Qt.ElideRight, int(id_w)))
        if c.params_line:
            p.drawText(QRectF(12, 35, NODE_W - 20, 14), Qt.AlignLeft | Qt.AlignVCenter,
                       p.fontMetrics().elidedText(plain_text.name(c.params_line), Qt.ElideRight, int(NODE_W - 20)))
        p.setFont(_SHAPE_FONT)
        p.setPen(ERROR if c.problems else ACCENT)
        p.drawText(QRectF(12, 50, NODE_W - 20, 15), Qt.AlignLeft | Qt.AlignVCenter, "→ " + c.shape_line)
        p.setFont(_SMALL_FONT)
        if mark is not None:  # the profile's badge takes the cost line's place (the tooltip keeps both)
            self._profile_badge(p, mark)
        else:
            p.setPen(MUTED)
            p.drawText(QRectF(12, 66, NODE_W - 20, 14), Qt.AlignLeft | Qt.AlignVCenter,
                       p.fontMetrics().elidedText(c.cost_line, Qt.ElideRight, int(NODE_W - 20)))
        if c.is_output:
            self._pill(p, "OUTPUT", QColor("#16A34A"))
        self._ports(p, c, color)
        if alert:
            self._badge(p, len(c.problems or c.warnings), alert)

    def _paint_far(self, p: QPainter, c: NodeContent, color: QColor, card: QRectF, selected: bool,
                   with_text: bool) -> None:
        """Zoomed out: a tinted card in the group colour and the problem badge; with_text adds the
        type and the output shape in big letters (hover or zoom in for the rest)."""
        tint = QColor(color)
        tint.setAlpha(38 if with_text else 60)
        alert = _alert(c)
        mark = self.mark
        edge = alert or (ACCENT if selected else mark.color.darker(125) if mark else color)
        p.setPen(QPen(edge, 6 if (selected or alert or mark) else 2))
        p.setBrush(tint if mark is None else mark.color)  # far out, the share's colour is the whole card
        p.drawRoundedRect(card, 8, 8)
        if with_text:
            p.setFont(_BIG_TITLE_FONT)
            p.setPen(TEXT if mark is None else text_on(mark.color))
            inner = int(NODE_W - 24)
            p.drawText(QRectF(12, 8, inner, 34), Qt.AlignLeft | Qt.AlignVCenter,
                       p.fontMetrics().elidedText(c.type_name, Qt.ElideRight, inner))
            if mark is not None:  # the share, and the bound as a dot in its colour (the legend names them)
                line = fmt.pct(mark.share)
                p.save()
                p.setPen(QPen(QColor("white"), 2))
                p.setBrush(QColor(BOUND_COLORS.get(mark.bound, "#64748B")))
                p.drawEllipse(QPointF(NODE_W - 22, 60), 11, 11)
                p.restore()
            else:
                p.setFont(_BIG_SHAPE_FONT)
                p.setPen(ERROR if c.problems else ACCENT)
                line = "→ " + c.shape_line
            p.drawText(QRectF(12, 44, inner, 32), Qt.AlignLeft | Qt.AlignVCenter,
                       p.fontMetrics().elidedText(line, Qt.ElideRight, inner))
        if c.is_output:
            p.setPen(QPen(QColor("#16A34A"), 4))
            p.setBrush(Qt.NoBrush)
            p.drawRoundedRect(card.adjusted(-6, -6, 6, 6), 11, 11)
        if alert:
            self._badge(p, len(c.problems or c.warnings), alert)

    def _pill(self, p: QPainter, text: str, color: QColor) -> None:
        p.setFont(_SMALL_FONT)
        w = p.fontMetrics().horizontalAdvance(text) + 10
        r = QRectF(NODE_W - w - 8, 20, w, 15)
        p.setPen(Qt.NoPen)
        p.setBrush(color)
        p.drawRoundedRect(r, 6, 6)
        p.setPen(QColor("white"))
        p.drawText(r, Qt.AlignCenter, text)

    def _profile_badge(self, p: QPainter, mark: ProfileMark) -> None:
        r = QRectF(10, 65, NODE_W - 18, 16)
        p.setPen(QPen(mark.color.darker(125), 1))
        p.setBrush(mark.color)
        p.drawRoundedRect(r, 7, 7)
        p.setPen(text_on(mark.color))
        p.drawText(r.adjusted(6, 0, -6, 0), Qt.AlignLeft | Qt.AlignVCenter,
                   p.fontMetrics().elidedText(mark.badge, Qt.ElideRight, int(r.width() - 12)))

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

    def _badge(self, p: QPainter, n: int, color: QColor) -> None:
        center = QPointF(NODE_W - 2, 2)
        p.setPen(QPen(QColor("white"), 2))
        p.setBrush(color)
        p.drawEllipse(center, BADGE_R, BADGE_R)
        p.setPen(QColor("white"))
        p.setFont(_TITLE_FONT)
        p.drawText(QRectF(center.x() - BADGE_R, center.y() - BADGE_R, 2 * BADGE_R, 2 * BADGE_R),
                   Qt.AlignCenter, "!" if n == 1 else str(n))


def _wash(color: QColor) -> QColor:
    """The colour mixed half and half with white."""
    return QColor.fromRgbF((1 + color.redF()) / 2, (1 + color.greenF()) / 2, (1 + color.blueF()) / 2)
