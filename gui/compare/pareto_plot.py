"""One Pareto plot (pyqtgraph): every ok run a dot coloured by precision, the Pareto-optimal ones ringed
in red and joined; hovering a dot shows its configuration, clicking it emits `run_clicked(run_id)`.
A legend line names the colours and shapes; an axis whose values span orders of magnitude is
logarithmic (as in the report); a dot's name is drawn only where it overlaps no other name.
A run measured in windows gets error bars (its 95 % interval); a dot whose energy is estimated
rather than read from a counter is drawn hollow."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QLabel, QStackedLayout, QVBoxLayout, QWidget

from engine.format import number
from engine.results import RunResult, compare, spread
from gui import plain_text

PALETTE = {"fp32": "#1F5FA8", "tf32": "#2A9D8F", "bf16": "#E07A1F", "fp16": "#C2398D", "int8": "#6B4FBB"}
FRONT = "#D62828"
MAX_LABELS = 12


class ParetoPlot(QWidget):
    run_clicked = Signal(str)

    def __init__(self, plot: compare.ParetoPlot, parent=None) -> None:
        super().__init__(parent)
        self.plot_def = plot
        self.front: set[str] = set()
        self.points: dict[str, tuple[float, float]] = {}
        self.title = QLabel(plot.title)
        self.title.setObjectName("SectionTitle")
        self.widget = pg.PlotWidget(background="w")
        self.widget.setMinimumHeight(170)  # the window fits 1280x720 with the table above
        item = self.widget.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setLabel("bottom", f"{plot.x.label} ({plot.x.unit})")
        item.setLabel("left", f"{plot.y.label} ({plot.y.unit})")
        item.setMenuEnabled(False)
        item.getViewBox().setDefaultPadding(0.08)
        item.getAxis("left").setWidth(74)
        self.front_line = pg.PlotDataItem(pen=pg.mkPen(FRONT, width=1.5))
        self.rings = pg.ScatterPlotItem(size=17, pen=pg.mkPen(FRONT, width=2), brush=None)
        self.dots = pg.ScatterPlotItem(size=10, hoverable=True, tip=self._tip, hoverSize=13,
                                       hoverPen=pg.mkPen("#0F172A", width=1.5))
        self.dots.sigClicked.connect(self._clicked)
        self.bars = pg.ErrorBarItem(pen=pg.mkPen("#475569", width=1), beam=0.0)
        self.estimated: set[str] = set()
        self.spread_ids: set[str] = set()
        for it in (self.front_line, self.bars, self.rings, self.dots):
            item.addItem(it)
        self.empty = plain_text.plain(QLabel())
        self.empty.setObjectName("Muted")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignCenter)
        self.stack = QStackedLayout()
        self.stack.addWidget(self.widget)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(self.stack)
        self.legend = QLabel()
        self.legend.setObjectName("Muted")
        self.legend.setTextFormat(Qt.RichText)
        self.legend.setWordWrap(True)
        layout.addWidget(self.legend)
        self.log_x = self.log_y = False
        self.x_metric, self.y_metric = plot.x, plot.y
        item.getViewBox().sigRangeChanged.connect(lambda *_a: self._place_labels())
        item.getViewBox().sigResized.connect(lambda *_a: self._place_labels())
        self._labels: dict[str, str] = {}
        self.empty_reason = ""
        self._texts: list[pg.TextItem] = []
        self._text_ids: list[str] = []

    @property
    def has_data(self) -> bool:
        return bool(self.points)

    def _label_points(self, by_id, sx: float, sy: float) -> None:
        """Make a name per dot when there are few (hover names them all); placed by `_place_labels`."""
        item = self.widget.getPlotItem()
        for text in self._texts:
            item.removeItem(text)
        self._texts = []
        self._text_ids: list[str] = []
        if not self.points or len(self.points) > MAX_LABELS:
            return
        order = sorted(self.points, key=lambda rid: (rid not in self.front, rid))  # the front's names first
        for rid in order:
            text = pg.TextItem(plain_text.name(self._labels.get(rid, rid)),
                               color="#0F172A" if rid in self.front else "#64748B")
            item.addItem(text, ignoreBounds=True)
            self._texts.append(text)
            self._text_ids.append(rid)
        self._place_labels()

    def _place_labels(self) -> None:
        """Put each name beside its dot where it overlaps no name placed before it and no other dot;
        a name that fits nowhere is hidden (hovering the dot still names it)."""
        if not self._texts:
            return
        vb = self.widget.getPlotItem().getViewBox()
        view = vb.sceneBoundingRect()
        if view.width() < 10:
            return
        metrics = QFontMetricsF(self._texts[0].textItem.font())
        dots = {rid: vb.mapViewToScene(pg.Point(*self._view_xy(rid))) for rid in self.points}
        boxes = {rid: QRectF(p.x() - 7, p.y() - 7, 14, 14) for rid, p in dots.items()}
        placed_rects: list[QRectF] = []
        for text, rid in zip(self._texts, self._text_ids, strict=True):
            w, h = metrics.horizontalAdvance(text.textItem.toPlainText()) + 10, metrics.height() + 4
            p = dots[rid]
            gap = 8  # clear of every dot's box (dots are ~10 px)
            candidates = ((p.x() + gap, p.y() - h / 2), (p.x() + 2, p.y() - h - gap), (p.x() + 2, p.y() + gap),
                          (p.x() - gap - w, p.y() - h / 2), (p.x() - w - 2, p.y() - h - gap),
                          (p.x() - w - 2, p.y() + gap), (p.x() - w / 2, p.y() - h - gap), (p.x() - w / 2, p.y() + gap))
            others = [b for other, b in boxes.items() if other != rid] + placed_rects
            spot = next((QRectF(x, y, w, h) for x, y in candidates
                         if view.contains(QRectF(x, y, w, h)) and not any(QRectF(x, y, w, h).intersects(r)
                                                                         for r in others)), None)
            text.setVisible(spot is not None)
            if spot is not None:
                placed_rects.append(spot)
                text.setAnchor((0, 0))
                text.setPos(vb.mapSceneToView(spot.topLeft()))

    def _view_xy(self, rid: str) -> tuple[float, float]:
        """A run's point in view coordinates (log10 of the value on a log axis)."""
        x, y = self.points[rid]
        x, y = x * self.x_metric.scale, y * self.y_metric.scale
        return (math.log10(x) if self.log_x else x, math.log10(y) if self.log_y else y)

    def _tip(self, x, y, data) -> str:
        run_id = data
        return plain_text.tooltip(
                f"{self._labels.get(run_id, run_id)}\nrun {plain_text.name(run_id)}\n"
                f"{self.x_metric.label}: {number(self._raw_x(run_id))} {self.x_metric.unit}\n"
                f"{self.y_metric.label}: {number(self._raw_y(run_id))} {self.y_metric.unit}"
                + ("\nPareto-optimal" if run_id in self.front else "") + "\nclick to open the run")

    def _raw_x(self, run_id: str) -> float:
        return self.points[run_id][0] * self.x_metric.scale

    def _raw_y(self, run_id: str) -> float:
        return self.points[run_id][1] * self.y_metric.scale

    def _clicked(self, _item, points, _ev) -> None:
        if len(points):
            self.run_clicked.emit(points[0].data())

    def set_results(self, results: list[RunResult], labels: dict[str, str]) -> None:
        p = self.plot_def
        self._labels = labels
        self.points = compare.plot_points(results, p)
        if not self.points:
            self.legend.setText("")
            self._fit_legend()
            missing = [m for m in p.axes(results) if compare.missing_reason(results, m)]
            why = "; ".join(f"{m.label}: {compare.missing_reason(results, m)}" for m in missing) or "no finished run"
            self.empty_reason = f"{why}."
            self.empty.setText(plain_text.message(f"{p.title}\n\nNot drawn: {why}."))
            self.stack.setCurrentWidget(self.empty)
            self.dots.setData([])
            self.bars.setData(x=np.zeros(0), y=np.zeros(0))
            self.estimated, self.spread_ids = set(), set()
            self.rings.setData([])
            self.front_line.setData([], [])
            self.front = set()
            self._label_points({}, 1.0, 1.0)
            return
        self.stack.setCurrentWidget(self.widget)
        self.front = compare.pareto_front(self.points, p.x.better, p.y.better)
        self.x_metric, self.y_metric = p.axes(results)
        sx, sy = self.x_metric.scale, self.y_metric.scale
        self.log_x = compare.wants_log([x * sx for x, _ in self.points.values()])
        self.log_y = compare.wants_log([y * sy for _, y in self.points.values()])
        item = self.widget.getPlotItem()
        item.getAxis("bottom").setLogMode(self.log_x)  # tick labels only: the points are given in log10
        item.getAxis("left").setLogMode(self.log_y)
        item.setLabel("bottom", f"{self.x_metric.label} ({self.x_metric.unit}{', log scale' if self.log_x else ''})")
        item.setLabel("left", f"{self.y_metric.label} ({self.y_metric.unit}{', log scale' if self.log_y else ''})")
        by_id = {r.run_id: r for r in results}
        spots = []
        precisions, kinds = [], set()
        for rid in self.points:
            precision = by_id[rid].config.precision
            gpu = by_id[rid].on_gpu
            kinds.add(gpu)
            if precision not in precisions:
                precisions.append(precision)
            colour = PALETTE.get(precision, "#666666")
            hollow = self._estimated(by_id[rid])
            spots.append({"pos": self._view_xy(rid), "data": rid, "symbol": "s" if gpu else "o",
                          "brush": pg.mkBrush("w") if hollow else pg.mkBrush(colour),
                          "pen": pg.mkPen(colour, width=2) if hollow else pg.mkPen("w", width=0.8)})
        self.estimated = {rid for rid in self.points if self._estimated(by_id[rid])}
        self.dots.setData(spots)
        self._error_bars(by_id)
        front = sorted(self._view_xy(i) for i in self.front)
        self.rings.setData(pos=front)
        self.front_line.setData([f[0] for f in front], [f[1] for f in front])
        item.enableAutoRange()
        self._label_points(by_id, sx, sy)
        self.legend.setText(self._legend_html(precisions, kinds))
        self._fit_legend()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_legend()

    def _fit_legend(self) -> None:
        """Ask for the legend's wrapped height as a minimum: a box layout sizes a word-wrapped label by one
        line, and a legend wrapped onto more lines was drawn over the plot's x-axis title."""
        need = self.legend.heightForWidth(max(1, self.width())) if self.legend.text() else 0
        if need != self.legend.minimumHeight():
            self.legend.setMinimumHeight(max(0, need))

    def _estimated(self, r: RunResult) -> bool:
        """The dot's energy (on either axis) is an estimate, not a counter reading."""
        return "energy" in (self.x_metric.key + self.y_metric.key) and spread.energy_estimated(r)

    def _error_bars(self, by_id: dict[str, RunResult]) -> None:
        """95 % intervals of the runs measured in windows, as bars in view coordinates."""
        xs, ys, left, right, top, bottom = [], [], [], [], [], []
        self.spread_ids = set()
        for rid in self.points:
            vx, vy = self._view_xy(rid)
            bx = self._bar(by_id[rid], self.x_metric, self.log_x, vx)
            by = self._bar(by_id[rid], self.y_metric, self.log_y, vy)
            if bx == (0.0, 0.0) and by == (0.0, 0.0):
                continue
            self.spread_ids.add(rid)
            xs.append(vx)
            ys.append(vy)
            left.append(bx[0])
            right.append(bx[1])
            bottom.append(by[0])
            top.append(by[1])
        arrays = {k: np.asarray(v, dtype=float) for k, v in
                  {"x": xs, "y": ys, "left": left, "right": right, "top": top, "bottom": bottom}.items()}
        self.bars.setData(**arrays)  # pyqtgraph computes with them: arrays, not lists

    @staticmethod
    def _bar(r: RunResult, metric: compare.Metric, log: bool, centre: float) -> tuple[float, float]:
        """(below, above) the dot of the metric's interval, in view units; (0, 0) without one."""
        iv = spread.metric_interval(r, metric.key)
        if iv is None:
            return 0.0, 0.0
        low, high = (v * metric.scale for v in iv)
        if log:
            if low <= 0 or high <= 0:
                return 0.0, 0.0
            low, high = math.log10(low), math.log10(high)
        return max(0.0, centre - low), max(0.0, high - centre)

    def _legend_html(self, precisions: list, kinds: set[bool]) -> str:
        parts = [f"<span style='color:{PALETTE.get(p, '#666666')}'>●</span> {plain_text.escape(p)}"
                 for p in sorted(precisions, key=str)]
        if kinds == {True, False}:
            parts.append("■ GPU run · ● CPU run")
        parts.append(f"<span style='color:{FRONT}'>◯</span> Pareto-optimal")
        if self.estimated:
            parts.append("○ hollow = estimated energy (no counter)")
        if self.spread_ids:
            parts.append("│ bars = 95 % interval over the run's windows")
        return "&nbsp;&nbsp;".join(parts)
