"""Samples/s against J/sample for every projected target, log axes, colour by place, marker size by
$ per million samples (larger = dearer); hovering a point names it."""
from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Signal

PLACE_COLOURS = {"edge": "#16A34A", "laptop": "#0891B2", "desktop": "#7C3AED", "workstation": "#DB2777",
                 "datacentre": "#2563EB", "cloud": "#EA580C"}
MIN_SIZE, MAX_SIZE, NO_PRICE_SIZE = 8.0, 26.0, 10.0


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def decade_ticks(values: list[float]) -> list[tuple[float, str]]:
    """Labelled ticks over the values' span (log10 positions): one per power of ten, plus 2x and 5x
    when the span is under two decades (minor labels of a log axis overlap once it is wider)."""
    logs = [math.log10(v) for v in values if v and v > 0]
    if not logs:
        return []
    low, high = math.floor(min(logs)), math.ceil(max(logs))
    steps = (1, 2, 5) if high - low <= 2 else (1,)
    ticks = []
    for d in range(low, high + 1):
        for m in steps:
            pos = d + math.log10(m)
            if pos <= high:
                power = f"10{str(d).translate(SUPERSCRIPT)}"
                ticks.append((pos, power if m == 1 else f"{m}·{power}"))
    return ticks


def marker_sizes(costs: list[float | None]) -> list[float]:
    """Sizes by log $ per million between MIN_SIZE and MAX_SIZE; no price: a fixed small size."""
    known = [math.log10(c) for c in costs if c]
    lo, hi = (min(known), max(known)) if known else (0.0, 0.0)
    sizes = []
    for c in costs:
        if not c:
            sizes.append(NO_PRICE_SIZE)
        elif hi - lo < 1e-12:
            sizes.append((MIN_SIZE + MAX_SIZE) / 2)
        else:
            sizes.append(MIN_SIZE + (math.log10(c) - lo) / (hi - lo) * (MAX_SIZE - MIN_SIZE))
    return sizes


class PlacePlot(pg.PlotWidget):
    hovered = Signal(str)  # target id, "" when none

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background="w")
        self.setMinimumHeight(220)
        item = self.getPlotItem()
        item.setLogMode(x=True, y=True)
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setLabel("bottom", "energy per sample (J, projected)")
        item.setLabel("left", "samples/s (projected)")
        for axis in ("bottom", "left"):
            item.getAxis(axis).enableAutoSIPrefix(False)  # log axes: the ticks carry the scale
        item.setTitle("Where to run it: up-left is fast and frugal; marker size = $ per million samples")
        self.legend = item.addLegend(offset=(8, 4), labelTextSize="8pt", colCount=6)  # one row along the top
        self._scatters: list[pg.ScatterPlotItem] = []

    def set_rows(self, rows: list[Any]) -> None:
        item = self.getPlotItem()
        for s in self._scatters:
            item.removeItem(s)
        self._scatters.clear()
        self.legend.clear()
        shown = [r for r in rows if r.throughput_sps and r.energy_per_sample_j]
        item.getAxis("bottom").setTicks([decade_ticks([r.energy_per_sample_j for r in shown]), []])
        item.getAxis("left").setTicks([decade_ticks([r.throughput_sps for r in shown]), []])
        if shown:  # head room above the highest point for the legend's row
            ys = [math.log10(r.throughput_sps) for r in shown]
            xs = [math.log10(r.energy_per_sample_j) for r in shown]
            span_y = max(max(ys) - min(ys), 0.5)
            item.setYRange(min(ys) - 0.08 * span_y, max(ys) + 0.3 * span_y, padding=0)
            span_x = max(max(xs) - min(xs), 0.2)
            item.setXRange(min(xs) - 0.05 * span_x, max(xs) + 0.05 * span_x, padding=0)
        sizes = dict(zip([r.id for r in shown], marker_sizes([r.usd_per_million_samples for r in shown]), strict=True))
        for place, colour in PLACE_COLOURS.items():
            mine = [r for r in shown if r.place == place]
            if not mine:
                continue
            spots = [{"pos": (math.log10(r.energy_per_sample_j), math.log10(r.throughput_sps)), "size": sizes[r.id],
                      "data": r.id, "brush": pg.mkBrush(colour),
                      "pen": pg.mkPen("#0F172A" if r.usd_per_million_samples else colour, width=1)} for r in mine]
            scatter = pg.ScatterPlotItem(spots=spots, hoverable=True, tip=None, name=place,
                                         brush=pg.mkBrush(colour), pen=pg.mkPen(colour), size=10)
            scatter.sigHovered.connect(self._on_hover)
            item.addItem(scatter)
            self._scatters.append(scatter)

    def _on_hover(self, _scatter, points, _event) -> None:
        self.hovered.emit(points[0].data() if len(points) else "")
