"""One Pareto plot (pyqtgraph): every ok run a dot coloured by precision, the Pareto-optimal ones ringed
in red and joined; hovering a dot shows its configuration, clicking it emits `run_clicked(run_id)`."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStackedLayout, QVBoxLayout, QWidget

from engine.results import RunResult, compare

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
        self.widget.setMinimumHeight(220)
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
        for it in (self.front_line, self.rings, self.dots):
            item.addItem(it)
        self.empty = QLabel()
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
        self._labels: dict[str, str] = {}
        self.empty_reason = ""
        self._texts: list[pg.TextItem] = []

    @property
    def has_data(self) -> bool:
        return bool(self.points)

    def _label_points(self, by_id, sx: float, sy: float) -> None:
        """Name each dot when there are few (hover names them all); the front's labels are dark."""
        item = self.widget.getPlotItem()
        for text in self._texts:
            item.removeItem(text)
        self._texts = []
        if not self.points or len(self.points) > MAX_LABELS:
            return
        xs = [x for x, _ in self.points.values()]
        right_edge = min(xs) + 0.7 * (max(xs) - min(xs))
        for rid, (x, y) in self.points.items():
            # labels of dots near the right edge go to their left, so they are not cut off
            anchor = (1.08, 1.0) if len(xs) > 1 and x > right_edge else (-0.08, 1.0)
            text = pg.TextItem(self._labels.get(rid, rid), color="#0F172A" if rid in self.front else "#64748B",
                               anchor=anchor)
            text.setPos(x * sx, y * sy)
            item.addItem(text)
            self._texts.append(text)

    def _tip(self, x, y, data) -> str:
        run_id = data
        return (f"{self._labels.get(run_id, run_id)}\nrun {run_id}\n"
                f"{self.plot_def.x.label}: {compare.format_number(self._raw_x(run_id))} {self.plot_def.x.unit}\n"
                f"{self.plot_def.y.label}: {compare.format_number(self._raw_y(run_id))} {self.plot_def.y.unit}"
                + ("\nPareto-optimal" if run_id in self.front else "") + "\nclick to open the run")

    def _raw_x(self, run_id: str) -> float:
        return self.points[run_id][0] * self.plot_def.x.scale

    def _raw_y(self, run_id: str) -> float:
        return self.points[run_id][1] * self.plot_def.y.scale

    def _clicked(self, _item, points, _ev) -> None:
        if len(points):
            self.run_clicked.emit(points[0].data())

    def set_results(self, results: list[RunResult], labels: dict[str, str]) -> None:
        p = self.plot_def
        self._labels = labels
        self.points = compare.plot_points(results, p)
        if not self.points:
            missing = [m for m in (p.x, p.y) if compare.missing_reason(results, m)]
            why = "; ".join(f"{m.label}: {compare.missing_reason(results, m)}" for m in missing) or "no finished run"
            self.empty_reason = f"{why}."
            self.empty.setText(f"{p.title}\n\nNot drawn: {why}.")
            self.stack.setCurrentWidget(self.empty)
            self.dots.setData([])
            self.rings.setData([])
            self.front_line.setData([], [])
            self.front = set()
            self._label_points({}, 1.0, 1.0)
            return
        self.stack.setCurrentWidget(self.widget)
        self.front = compare.pareto_front(self.points, p.x.better, p.y.better)
        # linear axes: pyqtgraph's log axes crowd their minor labels; hovering gives exact values
        sx, sy = p.x.scale, p.y.scale
        by_id = {r.run_id: r for r in results}
        spots = []
        for rid, (x, y) in self.points.items():
            color = PALETTE.get(by_id[rid].config.get("precision"), "#666666")
            spots.append({"pos": (x * sx, y * sy), "data": rid,
                          "brush": pg.mkBrush(color), "pen": pg.mkPen("w", width=0.8),
                          "symbol": "s" if str(by_id[rid].config.get("device")).startswith("cuda") else "o"})
        self.dots.setData(spots)
        front = sorted((self.points[i][0] * sx, self.points[i][1] * sy) for i in self.front)
        self.rings.setData(pos=front)
        self._label_points(by_id, sx, sy)
        self.front_line.setData([f[0] for f in front], [f[1] for f in front])
        self.widget.getPlotItem().enableAutoRange()
