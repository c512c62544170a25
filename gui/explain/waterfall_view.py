"""The explain waterfall: a bar per lever from the baseline (1×) to its throughput ratio, coloured by
the kind of speed-up, with its 95 % interval; below, the table of every figure (throughput, energy
per sample, peak memory, accuracy against the baseline), each row's tooltip saying why the lever
addresses the bound and what its kind means. Levers not tried are listed with the reason."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.profile import TAGS, WATERFALL_HEADERS, baseline_line, ratio_text, tag_colour, waterfall_cells
from gui import plain_text


def _bar_label(step) -> str:
    return "all that helped, together" if step.key == "all-that-helped" else step.label


class WaterfallView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result = None
        self.title = plain_text.plain(QLabel("Explain: each lever against the baseline"))
        self.title.setObjectName("SectionTitle")
        self.baseline = plain_text.plain(QLabel())
        self.baseline.setObjectName("Muted")
        self.baseline.setWordWrap(True)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumHeight(180)
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.showGrid(x=True, y=False, alpha=0.15)
        item.setLabel("bottom", "throughput against the baseline (×)")
        item.getAxis("left").setWidth(190)
        self.plot.setMouseEnabled(x=False, y=False)
        self.table = QTableWidget(0, len(WATERFALL_HEADERS))
        self.table.setHorizontalHeaderLabels([h.capitalize() for h in WATERFALL_HEADERS])
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        self.skipped = plain_text.plain(QLabel())
        self.skipped.setObjectName("Muted")
        self.skipped.setWordWrap(True)
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.RichText)  # composed here from the app's own tag names
        self.legend.setObjectName("Muted")
        self.legend.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.title, self.baseline, self.plot, self.legend, self.table, self.skipped):
            layout.addWidget(w)
        layout.setStretch(2, 2)
        layout.setStretch(4, 2)

    def show_result(self, result) -> None:
        """Draw an ExplainResult (engine.profile)."""
        self.result = result
        self.title.setText(plain_text.name(f"Explain: a {result.bound_words} run of {result.network} on "
                                           f"{result.device} — each lever alone against the baseline", 300))
        self.baseline.setText(plain_text.message(baseline_line(result) + "".join(f"\nNote: {n}" for n in result.notes)))
        self._draw_bars(result.steps)
        self._fill_table(result.steps)
        tags = list(dict.fromkeys(s.tag for s in result.steps))
        self.legend.setText(" · ".join(f"<span style='color:{tag_colour(t)}'>■</span> {plain_text.escape(t)}"
                                       for t in tags))
        self.legend.setToolTip(plain_text.tooltip("\n".join(f"{k}: {v}" for k, v in TAGS.items())))
        self.skipped.setText(plain_text.message("\n".join(f"Not tried: {s.key} — {s.why}" for s in result.skipped)))
        self.skipped.setVisible(bool(result.skipped))

    def _draw_bars(self, steps) -> None:
        item = self.plot.getPlotItem()
        item.clear()
        shown = [s for s in steps if s.throughput is not None]
        n = len(shown)
        ticks = []
        self.whiskers = 0
        for i, s in enumerate(shown):
            y = n - 1 - i
            r = s.throughput
            colour = QColor(tag_colour(s.tag))
            bar = pg.BarGraphItem(x0=[min(1.0, r.value)], x1=[max(1.0, r.value)], y=[y], height=0.6,
                                  brush=QBrush(colour), pen=pg.mkPen(colour))
            bar.setToolTip(plain_text.tooltip(f"{s.label}\n{ratio_text(s.throughput)} the throughput\n"
                                              f"{s.tag}: {TAGS.get(s.tag, 'several kinds together')}\n{s.why}"))
            item.addItem(bar)
            if r.low != r.high:
                item.addItem(pg.ErrorBarItem(x=np.array([r.value]), y=np.array([float(y)]),
                                             left=np.array([r.value - r.low]), right=np.array([r.high - r.value]),
                                             beam=0.2, pen=pg.mkPen("#0F172A", width=1)))
                self.whiskers += 1
            text = pg.TextItem(f"{r.value:.2f}×", color="#0F172A", anchor=(0, 0.5))
            text.setPos(max(r.value, r.high, 1.0), y)
            item.addItem(text)
            ticks.append((y, plain_text.name(_bar_label(s), 40)))
        item.addItem(pg.InfiniteLine(pos=1.0, angle=90, pen=pg.mkPen("#0F172A", width=1)))
        item.getAxis("left").setTicks([ticks])
        if shown:
            hi = max(max(s.throughput.high for s in shown), 1.0)
            lo = min(min(s.throughput.low for s in shown), 1.0)
            item.setXRange(min(0.9, lo * 0.9), hi * 1.18, padding=0)
            item.setYRange(-0.6, n - 0.4, padding=0)

    def _fill_table(self, steps) -> None:
        self.table.setRowCount(len(steps))
        for row, s in enumerate(steps):
            tip = plain_text.tooltip(f"{s.why}\n{s.tag}: {TAGS.get(s.tag, 'several kinds together')}"
                                     + (f"\nAccuracy: {s.accuracy_note}" if s.accuracy_note else ""))
            for col, text in enumerate(waterfall_cells(s)):
                cell = QTableWidgetItem(plain_text.name(text, 300))
                cell.setToolTip(tip)
                if col == 1:
                    cell.setForeground(QBrush(QColor(tag_colour(s.tag))))
                if col >= 2 and col < 6:
                    cell.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(row, col, cell)
