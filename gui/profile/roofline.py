"""The roofline (Williams et al., 2009) of one profile, log-log: the device's roofs (the compute roof
at the run's precision; the memory roof, bandwidth × intensity, up to where they meet) and one point
per layer at its arithmetic intensity (FLOP per byte moved) and achieved FLOP/s, coloured by its
bound. Hovering a point names the layer and emits `hovered(layer_id)` (None when it leaves), so the
canvas can ring the node; clicking emits `clicked(layer_id)`."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

import engine.format as fmt
from engine.profile import LayerProfile, ProfileResult
from gui import plain_text
from gui.profile.marks import BOUND_COLORS

ROOF = "#0F172A"
RING = "#0EA5E9"


def point_of(layer: LayerProfile) -> tuple[float, float] | None:
    """(log10 intensity, log10 achieved FLOP/s), or None when the layer has no place on the chart."""
    x, y = layer.intensity_flop_per_byte, layer.achieved_flops_per_s
    if not x or not y or x <= 0 or y <= 0 or not math.isfinite(x) or not math.isfinite(y):
        return None
    return math.log10(x), math.log10(y)


class RooflinePlot(QWidget):
    hovered = Signal(object)  # layer id, or None
    clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile: ProfileResult | None = None
        self.layers: dict[str, LayerProfile] = {}
        self.positions: dict[str, tuple[float, float]] = {}
        self.hovered_id: str | None = None
        self.widget = pg.PlotWidget(background="w")
        self.widget.setMinimumHeight(200)
        item = self.plot = self.widget.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.getAxis("bottom").setLogMode(True)  # tick labels only: the points are given in log10
        item.getAxis("left").setLogMode(True)
        item.getAxis("left").setWidth(62)
        for axis in ("bottom", "left"):
            item.getAxis(axis).enableAutoSIPrefix(False)  # a log axis labels its powers of ten itself
        item.setLabel("bottom", "arithmetic intensity (FLOP per byte moved, log scale)")
        item.setLabel("left", "achieved FLOP/s (log scale)")
        self.roof = pg.PlotCurveItem(pen=pg.mkPen(ROOF, width=2))
        self.ridge = pg.InfiniteLine(angle=90, pen=pg.mkPen("#94A3B8", width=1, style=Qt.DashLine))
        self.roof_labels = [pg.TextItem(color=ROOF, anchor=(1, 1)), pg.TextItem(color=ROOF, anchor=(1, 0))]
        self.ring = pg.ScatterPlotItem(size=20, pen=pg.mkPen(RING, width=3), brush=None)
        self.dots = pg.ScatterPlotItem(size=11, hoverable=True, hoverSize=15, tip=None,
                                       hoverPen=pg.mkPen("#0F172A", width=1.5))
        self.name = pg.TextItem(color="#0F172A", fill=pg.mkBrush(255, 255, 255, 225), anchor=(0, 1))
        self.name.setZValue(20)
        for it in (self.roof, self.ridge, *self.roof_labels, self.ring, self.dots, self.name):
            item.addItem(it)
        self.name.hide()
        self.dots.sigHovered.connect(self._hover)
        self.dots.sigClicked.connect(self._click)
        self.key = QLabel(" · ".join(f"<span style='color:{c}'>●</span> {b}-bound" for b, c in BOUND_COLORS.items())
                          + " · <b>—</b> roofs: the most this device can do at that intensity")
        self.key.setObjectName("Muted")
        self.key.setWordWrap(True)
        self.off_chart = plain_text.plain(QLabel())
        self.off_chart.setObjectName("Muted")
        self.off_chart.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.widget, 1)
        layout.addWidget(self.key)
        layout.addWidget(self.off_chart)

    def show_profile(self, profile: ProfileResult) -> None:
        self.profile = profile
        self.layers = {layer.id: layer for layer in profile.layers}
        self.positions = {lid: pos for lid, layer in self.layers.items() if (pos := point_of(layer)) is not None}
        spots = [{"pos": pos, "data": lid, "brush": pg.mkBrush(BOUND_COLORS.get(self.layers[lid].bound, "#64748B")),
                  "pen": pg.mkPen("white", width=1)} for lid, pos in self.positions.items()]
        self.dots.setData(spots)
        missing = [lid for lid in self.layers if lid not in self.positions]
        self.off_chart.setText(plain_text.message("Not on the chart (no FLOPs or no time measured): "
                                                  + ", ".join(plain_text.name(m) for m in missing)) if missing else "")
        self.off_chart.setVisible(bool(missing))
        self._draw_roofs(profile)
        self.set_ring(None)
        self._hover(self.dots, [], None)

    def _draw_roofs(self, profile: ProfileResult) -> None:
        peaks = profile.peaks
        xs = [p[0] for p in self.positions.values()]
        ys = [p[1] for p in self.positions.values()]
        ridge = peaks.ridge_flop_per_byte
        if ridge:
            xs.append(math.log10(ridge))
        if peaks.flops_per_s:
            ys.append(math.log10(peaks.flops_per_s))
        x0, x1 = (min(xs) - 1, max(xs) + 1) if xs else (-1.0, 3.0)
        y0, y1 = (min(ys) - 0.7, max(ys) + 0.5) if ys else (6.0, 12.0)
        grid = np.linspace(x0, x1, 200)
        roof = np.full_like(grid, np.inf)
        if peaks.bytes_per_s:
            roof = np.minimum(roof, math.log10(peaks.bytes_per_s) + grid)
        if peaks.flops_per_s:
            roof = np.minimum(roof, math.log10(peaks.flops_per_s))
        shown = np.isfinite(roof)
        self.roof.setData(grid[shown], roof[shown])
        self.roof.setVisible(bool(shown.any()))
        compute, memory = self.roof_labels
        compute.setVisible(bool(peaks.flops_per_s))
        if peaks.flops_per_s:
            compute.setText(f"compute roof {fmt.si(peaks.flops_per_s, 'FLOP/s')} ({peaks.precision})")
            compute.setPos(x1, math.log10(peaks.flops_per_s))
        memory.setVisible(bool(peaks.bytes_per_s))
        if peaks.bytes_per_s:
            memory.setText(f"memory roof {fmt.si(peaks.bytes_per_s, 'B/s')} × intensity")
            # Left of the ridge, under the compute roof: above the sloping roof, clear of the points below it.
            top = math.log10(peaks.flops_per_s) if peaks.flops_per_s else y1
            at = (math.log10(ridge) if ridge else x1) - 0.25
            memory.setPos(at, top - 0.05)
        self.ridge.setVisible(bool(ridge))
        if ridge:
            self.ridge.setValue(math.log10(ridge))
        self.plot.setXRange(x0, x1, padding=0)
        self.plot.setYRange(y0, y1, padding=0)

    # --- hover and click ------------------------------------------------------------------------
    def _hover(self, _item, points, _event) -> None:
        layer_id = points[0].data() if len(points) else None
        if layer_id == self.hovered_id:
            return
        self.hovered_id = layer_id
        if layer_id is None:
            self.name.hide()
        else:
            self.name.setText(self.describe(layer_id))
            self.name.setPos(*self.positions[layer_id])
            self.name.show()
        self.hovered.emit(layer_id)

    def hover(self, layer_id: str | None) -> None:
        """As if the mouse were over that layer's point (keyboard, tests)."""
        self._hover(self.dots, [p for p in self.dots.points() if p.data() == layer_id], None)

    def _click(self, _item, points, _event) -> None:
        if len(points):
            self.clicked.emit(points[0].data())

    def describe(self, layer_id: str) -> str:
        layer = self.layers[layer_id]
        return (f"{plain_text.name(layer_id)} ({plain_text.name(layer.type)}): {fmt.seconds(layer.time_s)}, "
                f"{fmt.pct(layer.share)} of the step, {layer.bound}-bound\n"
                f"{fmt.si(layer.achieved_flops_per_s, 'FLOP/s')} at "
                f"{fmt.number(layer.intensity_flop_per_byte)} FLOP/byte")

    def set_ring(self, layer_id: str | None) -> None:
        """Ring the point of the layer selected on the canvas."""
        pos = self.positions.get(layer_id) if layer_id else None
        self.ring.setData([{"pos": pos}] if pos else [])
