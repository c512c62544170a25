"""A stored run shown again: its summary card and its charts, drawn from RunResult alone."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from engine.results import RunResult
from gui.run.chart_specs import ChartContext
from gui.run.charts import ChartGrid
from gui.run.live_data import LiveRun
from gui.run.summary_card import SummaryCard


class RunView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: RunResult | None = None
        self.card = SummaryCard()
        self.charts = ChartGrid(columns=4)  # the history pane is wide and short: rows of 4
        self.no_series = QLabel()
        self.no_series.setObjectName("Muted")
        page = QWidget()
        col = QVBoxLayout(page)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.card)
        col.addWidget(self.no_series)
        col.addWidget(self.charts, 1)
        # Card and charts scroll together, so a short pane never squeezes the charts (each row keeps
        # its minimum height).
        self.scroll = QScrollArea()
        self.scroll.setWidget(page)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll)

    def show_result(self, result: RunResult) -> None:
        self.result = result
        self.card.show_result(result)
        live = LiveRun.from_series(result.series)
        ctx = ChartContext.from_config(result.config, finished=True, notes=dict(result.unavailable))
        self.charts.bind(live, ctx, live_updates=False)
        empty = result.series.is_empty()
        self.no_series.setText("This result carries no time series (written without them); the charts are empty."
                               if empty else "")
        self.no_series.setVisible(empty)
