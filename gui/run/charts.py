"""The grid of live charts (pyqtgraph), drawn from a LiveRun's ring buffers.

Smoothness rules (EXAMPLES.md): every curve is created once; every chart is redrawn at ~25 fps, only
for curves whose buffer changed; curves use peak downsampling and clip-to-view, so an hour of
history costs the same per frame as a minute. A frame is drawn in SLICES timer ticks, each updating
a share of the charts: one tick (setData, then the view's paint of the changed charts) then holds the
event loop for a fraction of what a whole grid costs (the budget: no stall over 50 ms, p99 under 20 ms).
All x axes are linked (time since the timed window began); hovering shows every chart's values at
that time. A job over several GPUs draws each GPU curve once per GPU (chart_specs.ChartContext.traces):
those curves are created once, when the run is bound, and kept for the next run on the same GPUs.
"""
from __future__ import annotations

import html
import math
import time
import types

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGraphicsItem, QGraphicsTextItem, QLabel, QVBoxLayout, QWidget

from engine.format import MISSING
from gui import plain_text
from gui.run.chart_legend import TITLE_PT, Entry, fits_inline, title_html
from gui.run.chart_specs import CHARTS, ChartContext, ChartSpec, Trace, chart_reason, curve_reason, never_fills
from gui.run.live_data import LiveRun

COLUMNS = 3
FPS = 25  # complete frames a second: every chart with new data is redrawn this often
SLICES = 2  # ticks per frame; tick k redraws the k-th share of the charts (whole rows)
MAX_CURVES_PER_TICK = 6
MAX_X_STEPS_PER_TICK = 3  # charts moved to a new x range in one live tick (a row of the grid)
TITLE_ROW_PX = 30  # pyqtgraph's title row: the title and one row of legend fit
DEFAULT_TITLE_WIDTH_PX = 290.0  # a chart's plot width in a 1280 px window, until it is laid out
MIN_CHART_HEIGHT_PX = 150  # a row of charts never gets shorter: the page around the grid scrolls instead


def _fmt(value: float, units: str, si: bool) -> str:
    if not np.isfinite(value):
        return MISSING
    if si and units:
        return pg.siFormat(value, precision=3, suffix=units)
    return f"{value:,.3g} {units}".strip() if abs(value) < 1e4 else f"{value:,.0f} {units}".strip()


def _update_min_height_only(label) -> None:
    bounds = label.itemRect()
    label.setMinimumWidth(0)
    label.setMinimumHeight(bounds.height())
    label._sizeHint = {Qt.SizeHint.MinimumSize: (0, bounds.height()),
                       Qt.SizeHint.PreferredSize: (0, bounds.height()),  # equal columns
                       Qt.SizeHint.MaximumSize: (-1, -1), Qt.SizeHint.MinimumDescent: (0, 0)}
    label.updateGeometry()


def _forward_fill(y: np.ndarray) -> np.ndarray:
    finite = np.isfinite(y)
    if not finite.any():
        return y
    idx = np.where(finite, np.arange(y.size), 0)
    np.maximum.accumulate(idx, out=idx)
    out = y[idx]
    out[: np.argmax(finite)] = np.nan
    return out


class _Chart:
    """One PlotItem with its curves, overlay text and hover cursor."""

    def __init__(self, spec: ChartSpec, plot: pg.PlotItem) -> None:
        self.spec = spec
        self.plot = plot
        self.traces: list[Trace] = []
        self.curves: list[pg.PlotDataItem] = []  # one per trace, in the traces' order
        self.versions: list[int] = []
        self._items: dict[tuple[str, str], pg.PlotDataItem] = {}  # every trace drawn so far, by (group, field)
        self.set_traces([Trace(c, c.group, c.name, c.color, c.dashed) for c in spec.curves])
        axis = plot.getAxis("left")
        axis.enableAutoSIPrefix(spec.si_prefix)
        plot.setLabel("left", units=spec.units or None)
        # No grid: pyqtgraph draws grid lines with each axis, and replaying them costs ~2.5 ms per axis
        # per frame in the raster engine (most of a frame's budget); ticks and the hover readout remain.
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.enableAutoRange(x=False, y=True)  # x follows the run (ChartGrid); y fits the data
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#999", width=1, style=Qt.PenStyle.DotLine))
        self.cursor.setVisible(False)
        plot.addItem(self.cursor, ignoreBounds=True)
        # In the scene, not parented to the ViewBox: a child of the ViewBox crashes PySide6 6.12 at
        # interpreter exit (a refcount error in its teardown) once curves hold data.
        self.overlay = QGraphicsTextItem()
        plot.scene().addItem(self.overlay)
        self.overlay.setZValue(1000)
        self.overlay.setDefaultTextColor(pg.mkColor("#666"))
        font = QFont()
        font.setPointSizeF(9)
        self.overlay.setFont(font)
        self.overlay.setVisible(False)
        self._overlay_text: str | None = None
        plot.vb.sigResized.connect(self._place_overlay)
        plot.vb.sigResized.connect(self._refit_title)
        self.reason: str | None = None
        self.folded = False  # left out of the grid: it can get no data in this run (ChartGrid.folded)
        # A long title or hover readout may clip; it must not widen the grid past the window (pyqtgraph's
        # LabelItem makes its text width a minimum size; this one keeps only the height).
        plot.titleLabel.updateMin = types.MethodType(_update_min_height_only, plot.titleLabel)
        plot.titleLabel.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape, True)  # never over a neighbour
        self._readout: list[str] | None = None
        self._legend_width = 0.0
        self.set_title()

    def set_traces(self, traces: list[Trace]) -> None:
        """Draw these traces. An item is made once per (group, field) and kept: a GPU that appears again
        (the next run on the same GPUs) reuses its curve; one this run lacks is emptied and hidden."""
        keys = [t.key for t in traces]
        if keys == [t.key for t in self.traces] and traces == self.traces:
            return
        self.traces = list(traces)
        self.curves = []
        for t in traces:
            item = self._items.get(t.key)
            # width 1: wider pens make the raster engine stroke every segment (10x slower per frame)
            pen = pg.mkPen(t.color, width=1, style=Qt.PenStyle.DashLine if t.dashed else Qt.PenStyle.SolidLine)
            if item is None:
                item = self.plot.plot([], [], pen=pen, name=t.name)
                item.setDownsampling(auto=True, method="peak")
                item.opts["autoDownsampleFactor"] = 1.5  # ~3 points a pixel column after peak (min, max)
                item.setClipToView(True)
                self._items[t.key] = item
            else:
                item.setPen(pen)
            item.setVisible(True)
            self.curves.append(item)
        for key, item in self._items.items():
            if key not in keys:
                item.setData([], [])
                item.setVisible(False)
        self.versions = [-1] * len(self.curves)
        if hasattr(self, "overlay"):
            self.set_title()

    def set_title(self, readout: list[str] | None = None) -> None:
        self._readout = readout
        entries = [Entry(t.name, t.short or t.name, t.color, t.dashed, None if readout is None else readout[i])
                   for i, t in enumerate(self.traces)]
        if len(self.traces) <= 1 and readout is None:
            entries = []
        # One entry per GPU, or names too long for the title's line: in rows under the title, as many
        # columns as the chart is wide (chart_legend). Decided on the names alone, so hovering never
        # moves the plot (a long readout clips on the right instead).
        self._legend_width = self._title_width()
        grid = len({t.group for t in self.traces if t.group.startswith("gpu")}) > 1 or (
            bool(entries) and not fits_inline(self.spec.title, entries, self._legend_width,
                                              self.plot.titleLabel.item.font()))
        text = title_html(self.spec.title, entries, grid, self._legend_width, self.plot.titleLabel.item.font())
        self.plot.setTitle(text, size=f"{TITLE_PT:g}pt", justify="left")  # a single line clips on the right
        # pyqtgraph fixes the title row at 30 px: let it grow with the legend's rows
        height = max(TITLE_ROW_PX, math.ceil(self.plot.titleLabel.itemRect().height()))
        if height != self.plot.titleLabel.maximumHeight():
            self.plot.titleLabel.setMaximumHeight(height)
            self.plot.layout.setRowFixedHeight(0, height)

    def _title_width(self) -> float:
        width = self.plot.vb.width()
        return width if width > 0 else DEFAULT_TITLE_WIDTH_PX

    def _refit_title(self) -> None:
        """A resized chart re-flows its legend's columns (only when the width changed: the legend's own
        height change resizes the plot again)."""
        if abs(self._title_width() - self._legend_width) >= 1:
            self.set_title(self._readout)

    def set_reason(self, reason: str | None, waiting: bool, waiting_text: str = "Waiting for data…") -> None:
        text = reason or (waiting_text if waiting else None)
        self.reason = reason
        if text == self._overlay_text:  # relaying out the text costs; most calls change nothing
            return
        self._overlay_text = text
        if text is None:
            self.overlay.setVisible(False)
            return
        color = "#666" if reason else "#aaa"
        self.overlay.setHtml(f"<div style='text-align:center;color:{color}'>{plain_text.escape_message(text)}</div>")
        self.overlay.setVisible(not self.folded)
        self._place_overlay()

    def _place_overlay(self) -> None:
        rect = self.plot.vb.sceneBoundingRect()
        self.overlay.setTextWidth(max(80.0, rect.width() - 16))
        h = self.overlay.boundingRect().height()
        self.overlay.setPos(rect.left() + 8, rect.top() + (rect.height() - h) / 2)


class ChartGrid(QWidget):
    redrawn = Signal()  # after each frame that changed a curve (the benchmark counts these)

    def __init__(self, parent: QWidget | None = None, fps: int = FPS, columns: int = COLUMNS) -> None:
        super().__init__(parent)
        self.columns = columns
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground("w")
        self.view.ci.setSpacing(4)
        self.folded_line = QLabel()  # the charts that cannot fill in this run, and why, in one line
        self.folded_line.setObjectName("FoldedCharts")
        self.folded_line.setWordWrap(True)
        self.folded_line.setTextFormat(Qt.RichText)
        self.folded_line.setStyleSheet("QLabel#FoldedCharts { color: #64748B; padding: 2px 4px; }")
        self.folded_line.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.folded_line)
        layout.addWidget(self.view, 1)
        self.charts: dict[str, _Chart] = {}
        first = None
        for i, spec in enumerate(CHARTS):
            plot = self.view.addPlot(row=i // columns, col=i % columns)
            plot.getAxis("left").setWidth(58)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.charts[spec.key] = _Chart(spec, plot)
        self.folded: dict[str, str] = {}  # chart key -> why it is left out of the grid
        self._bound = False  # a run was shown (live or stored): until then an empty chart says "press Start"
        self._arrange()
        self.live = LiveRun()
        self.context = ChartContext()
        self.paused = False
        self.follow = True  # the x range tracks the run until the user pans or zooms
        self._x_range: tuple[float, float] | None = None
        self._x_behind: set[str] = set()  # charts still showing the x range before the latest step
        self._reasons_at = 0.0
        self.frames = 0  # complete frames (every slice drawn once) that changed a curve
        self._slice = 0  # the slice the next live tick draws
        self._frame_changed = False  # some slice of the current frame changed a curve
        for chart in self.charts.values():
            chart.plot.vb.sigRangeChangedManually.connect(self._manual_range)
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, round(1000 / (fps * SLICES))))
        self._timer.timeout.connect(self.redraw)
        self._hover = pg.SignalProxy(self.view.scene().sigMouseMoved, rateLimit=30, slot=self._on_hover)
        for chart in self.charts.values():
            chart.set_reason(None, waiting=True, waiting_text="No run yet: press Start.")

    # --- binding ------------------------------------------------------------------------------
    def bind(self, live: LiveRun, context: ChartContext, live_updates: bool = True) -> None:
        """Show another run: a live one (redraws on a timer) or a stored one (drawn once)."""
        notes_changed = context.node_note() != self.context.node_note()
        self.live, self.context = live, context
        self._bound = True
        if notes_changed:
            self._arrange()
        for chart in self.charts.values():
            chart.set_traces(context.traces(chart.spec))  # curves for a new GPU are made here, once
            chart.versions = [-1] * len(chart.curves)
            for item in chart.curves:
                item.setData([], [])
        self.reset_zoom()
        if live_updates:
            self._timer.start()
        else:
            self._timer.stop()
        self.redraw(force=True)

    def set_context(self, context: ChartContext) -> None:
        notes_changed = context.node_note() != self.context.node_note()
        self.context = context
        if notes_changed:
            self._arrange()
        for chart in self.charts.values():
            chart.set_traces(context.traces(chart.spec))
        self.redraw(force=True)

    # --- which charts take a slot -------------------------------------------------------------
    def shown(self) -> list[_Chart]:
        return [c for c in self.charts.values() if not c.folded]

    def _fold(self) -> None:
        """Fold the charts that cannot fill in this run into one line; re-arrange the grid if that changed."""
        folded = {}
        for key, chart in self.charts.items():
            reason = never_fills(chart.spec, self.context, self.live)
            if reason is not None:
                folded[key] = reason
        if len(folded) == len(self.charts):  # keep the grid's shape: every chart explains itself
            folded = {}
        if folded != self.folded:
            self.folded = folded
            self._arrange()

    def _arrange(self) -> None:
        grid = self.view.ci.layout  # the QGraphicsGridLayout under pyqtgraph's GraphicsLayout
        for i in reversed(range(grid.count())):
            grid.removeAt(i)
        shown = [c for c in self.charts.values() if c.spec.key not in self.folded]
        for chart in self.charts.values():
            chart.folded = chart.spec.key in self.folded
            chart.plot.setVisible(not chart.folded)
            if chart.folded:
                chart.overlay.setVisible(False)
        rows = max(1, -(-len(shown) // self.columns))
        for i, chart in enumerate(shown):
            chart.plot.setMinimumHeight(MIN_CHART_HEIGHT_PX)
            grid.addItem(chart.plot, i // self.columns, i % self.columns)
            bottom = chart.plot.getAxis("bottom")
            if i // self.columns == rows - 1 or i + self.columns >= len(shown):  # time named on the last row
                chart.plot.setLabel("bottom", "time in the timed window", units="s")
            else:
                bottom.showLabel(False)
            if chart._overlay_text is not None:
                chart.overlay.setVisible(True)
        for r in range(grid.rowCount()):
            grid.setRowStretchFactor(r, 1 if r < rows else 0)
        for c in range(grid.columnCount()):
            grid.setColumnStretchFactor(c, 1)
        grid.invalidate()
        grid.activate()
        needed = grid.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()
        self.view.setMinimumHeight(int(needed) + 2 * self.view.frameWidth() + 2)
        for chart in shown:
            chart._place_overlay()
        by_reason: dict[str, list[str]] = {}
        for key, reason in self.folded.items():
            by_reason.setdefault(reason, []).append(self.charts[key].spec.title)
        parts = [f"<b>{html.escape(', '.join(titles))}</b>: {plain_text.escape_message(reason)}"
                 for reason, titles in by_reason.items()]
        note = self.context.node_note() if hasattr(self, "context") else None
        if note:
            parts.append(f"<b>other machines</b>: {plain_text.escape_message(note)}")
        self.folded_line.setText("Not shown: " + " · ".join(parts) if parts else "")
        self.folded_line.setVisible(bool(parts))

    def stop_updates(self) -> None:
        self._timer.stop()
        self._x_range = None
        self.redraw(force=True)

    # --- drawing ------------------------------------------------------------------------------
    def redraw(self, force: bool = False) -> None:
        if self.paused and not force:
            return
        if force:
            self._fold()  # before choosing what to draw: a stored run may unfold other charts
        # Live frames hand pyqtgraph views of the ring (no copies: the next frame replaces them anyway);
        # a static or paused picture gets copies, since the ring keeps reusing its slots.
        copy = force or self.paused or not self._timer.isActive()
        charts = self.shown()
        if not force:  # a live tick: this slice's charts only (module doc)
            tick = self._slice
            self._slice = (tick + 1) % SLICES
            share = -(-len(charts) // SLICES)  # contiguous rows: one compact region to repaint
            charts = charts[tick * share:(tick + 1) * share]
        pending = []
        for chart in charts:
            for i, trace in enumerate(chart.traces):
                ring = self.live.ring(trace.group)
                version = ring.version if ring is not None else -1
                if force or version != chart.versions[i]:
                    pending.append((chart.versions[i] < 0, chart, i, trace.curve, ring, version))
        if not force and len(pending) > MAX_CURVES_PER_TICK:
            # A telemetry batch touches a dozen curves at once: spread them over a few frames, the
            # longest-waiting first, so no single tick holds the event loop for long.
            pending.sort(key=lambda p: (not p[0], p[1].versions[p[2]]))
            pending = pending[:MAX_CURVES_PER_TICK]
        if pending:
            self._follow_x()
        # before setData: a range change re-downsamples what is drawn
        self._step_x(charts, None if force else MAX_X_STEPS_PER_TICK)
        for _new, chart, i, curve, ring, version in pending:
            chart.versions[i] = version
            if ring is None or not len(ring):
                chart.curves[i].setData([], [])
                continue
            t, y = ring.view("t_s"), ring.view(curve.field)
            if chart.spec.scale != 1.0:
                y = y * chart.spec.scale
            elif copy:
                y = y.copy()
            if curve.hold:
                y = _forward_fill(y)
            chart.curves[i].setData(t.copy() if copy else t, y, connect="finite")
        now = time.monotonic()
        if force or now - self._reasons_at > 0.5:  # reasons change slowly; each check scans the buffers
            self._reasons_at = now
            self._fold()
            for chart in self.charts.values():
                self._update_reason(chart)
        if pending:
            self._frame_changed = True
        if self._frame_changed and (force or self._slice == 0):  # the frame is complete
            self._frame_changed = False
            self.frames += 1
            self.redrawn.emit()

    def _follow_x(self, reset: bool = False) -> None:
        """Keep the whole run in view, moving the right edge in steps (not every frame), so the axes
        and grids are redrawn now and then instead of on every frame."""
        if not self.follow:
            return
        firsts, lasts = [], []
        for ring in (self.live.steps, self.live.host, *self.live.gpus.values()):
            if len(ring):
                t = ring.view("t_s")
                firsts.append(t[0])
                lasts.append(t[-1])
        if not firsts:
            return
        x0, x1 = float(min(firsts)), float(max(lasts))
        current = self._x_range
        if reset or current is None or x1 > current[1] or abs(x0 - current[0]) > 1e-9:
            span = max(x1 - x0, 1.0)
            right = x1 if self.context.finished else x1 + max(1.0, 0.1 * span)
            self._x_range = (x0, right)
            self._x_behind = set(self.charts)
            if reset or current is None:
                self._step_x(self.charts.values())

    def _step_x(self, charts, limit: int | None = None) -> None:
        """Move these charts (at most `limit`) to the followed x range. A step re-ranges, re-downsamples,
        re-ticks and repaints a chart (~5 ms each with an hour of data), so a live tick steps a few
        charts of its own slice; the x links are blocked meanwhile, else the first chart would drag
        all twelve along at once. The charts differ for two frames (80 ms) at most."""
        if not self._x_behind or self._x_range is None:
            return
        if not self.follow:
            self._x_behind.clear()
            return
        due = [c for c in charts if c.spec.key in self._x_behind][:limit]
        if not due:
            return
        views = [c.plot.vb for c in self.charts.values()]
        for vb in views:
            vb.blockLink(True)
        try:
            for chart in due:
                chart.plot.setXRange(*self._x_range, padding=0.02)
                self._x_behind.discard(chart.spec.key)
        finally:
            for vb in views:
                vb.blockLink(False)

    def _manual_range(self, mask) -> None:
        if mask is None or (isinstance(mask, (list, tuple)) and mask and mask[0]):
            self.follow = False

    def _update_reason(self, chart: _Chart) -> None:
        reason = chart_reason(chart.spec, self.context, self.live)
        has_any = any(curve_reason(t.curve, self.context, self.live, t.group) is None and self._has_data(t.group)
                      for t in chart.traces)
        chart.set_reason(reason, waiting=not has_any and reason is None,
                         waiting_text="Waiting for data…" if self._bound else "No run yet: press Start.")

    def _has_data(self, group: str) -> bool:
        ring = self.live.ring(group)
        return ring is not None and len(ring) > 0

    # --- pause / zoom -------------------------------------------------------------------------
    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if not paused:
            self.redraw(force=True)

    def reset_zoom(self) -> None:
        self.follow = True
        self._x_range = None
        for chart in self.charts.values():
            chart.plot.enableAutoRange(x=False, y=True)
        self._follow_x(reset=True)

    # --- hover readout ------------------------------------------------------------------------
    def _on_hover(self, args) -> None:
        pos = args[0]
        x = None
        for chart in self.shown():
            if chart.plot.sceneBoundingRect().contains(pos):
                x = chart.plot.vb.mapSceneToView(pos).x()
                break
        for chart in self.charts.values():
            chart.cursor.setVisible(x is not None)
            if x is None:
                chart.set_title()
                continue
            chart.cursor.setValue(x)
            chart.set_title(self.readout(chart.spec.key, x))

    def readout(self, key: str, x: float) -> list[str]:
        """The value of each trace of a chart nearest to time x, formatted with units."""
        chart = self.charts[key]
        out = []
        for trace in chart.traces:
            curve = trace.curve
            ring = self.live.ring(trace.group)
            if ring is None or not len(ring):
                out.append(MISSING)
                continue
            t = ring.view("t_s")
            i = int(np.clip(np.searchsorted(t, x), 0, len(t) - 1))
            if i > 0 and abs(t[i - 1] - x) < abs(t[i] - x):
                i -= 1
            value = ring.view(curve.field)[i] * chart.spec.scale
            out.append(_fmt(value, chart.spec.units, chart.spec.si_prefix))
        return out
