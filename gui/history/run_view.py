"""A stored run shown again: its summary card and its charts, drawn from RunResult alone."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from engine.net import SpecFormatError, spec_from_dict
from engine.results import RunResult
from gui.run.chart_specs import ChartContext
from gui.run.charts import ChartGrid
from gui.run.live_data import LiveRun
from gui.run.summary_card import SummaryCard


class RunView(QWidget):
    open_spec_requested = Signal(object)  # the network as the run ran it (a NetworkSpec), to edit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: RunResult | None = None
        self.card = SummaryCard()  # says what the levers did (pruning, int8, ...), as the Run tab's does
        self.open_pruned = QPushButton("Open the pruned network in the editor")
        self.open_pruned.setToolTip("Opens the smaller network this run measured as a new, unsaved document")
        self.open_pruned.clicked.connect(self._open_pruned)
        levers = QHBoxLayout()
        levers.addStretch(1)
        levers.addWidget(self.open_pruned, 0)
        self.charts = ChartGrid(columns=4)  # the history pane is wide and short: rows of 4
        self.no_series = QLabel()
        self.no_series.setObjectName("Muted")
        page = QWidget()
        col = QVBoxLayout(page)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.card)
        col.addLayout(levers)
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
        self.open_pruned.setVisible(pruned_spec(result) is not None)
        live = LiveRun.from_series(result.series)
        ctx = ChartContext.from_result(result)
        self.charts.bind(live, ctx, live_updates=False)
        empty = result.series.is_empty()
        self.no_series.setText("This result carries no time series (written without them); the charts are empty."
                               if empty else "")
        self.no_series.setVisible(empty)

    def _open_pruned(self) -> None:
        spec = pruned_spec(self.result) if self.result is not None else None
        if spec is not None:
            self.open_spec_requested.emit(spec)


def pruned_spec(result: RunResult):
    """The smaller NetworkSpec a structurally pruned run measured, or None (other runs, a spec that
    no longer reads)."""
    if result.prune is None or result.prune.kind != "structured" or not result.network.spec:
        return None
    try:
        spec = spec_from_dict(result.network.spec, f"run {result.run_id}")
    except SpecFormatError:
        return None
    return spec.model_copy(update={"name": f"{spec.name} pruned {result.prune.amount:g}"})
