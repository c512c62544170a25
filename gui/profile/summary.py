"""A profile in words and numbers: the verdict and the reason behind it, the time that belongs to no
layer (optimizer, loss, data, idle), the layers' and the other time summed against the unprofiled
run's step time, and a table of the layers by share of the step. Selecting a row emits its id."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
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

import engine.format as fmt
from engine.profile import ProfileResult
from gui import plain_text
from gui.profile.marks import BOUND_COLORS

VERDICT_COLORS = {"compute-bound": BOUND_COLORS["compute"], "memory-bound": BOUND_COLORS["memory"],
                  "launch-bound": BOUND_COLORS["launch"], "data/host-bound": "#0F766E"}
COLUMNS = ("Layer", "Type", "Time/step", "Share", "Bound", "FLOP/s", "Bytes/s", "FLOP/byte")
NOT_A_BENCHMARK = ("A profile is a separate, slower run under the profiler: it shows where the step time goes; "
                   "its step time is not a throughput figure.")


def sums_line(profile: ProfileResult) -> str:
    """The measured part of the step (layers, loss, optimizer, data) against the unprofiled run's step (the
    shares are of it; idle is its remainder), and how much the profiler slowed its own steps."""
    layers, other = profile.layer_time_s(), profile.other_time_s()
    measured = layers + other - profile.other.idle_s
    line = f"Measured: layers {fmt.seconds(layers)} + other {fmt.seconds(other - profile.other.idle_s)} per step"
    unprofiled = profile.unprofiled_step_time_s
    line += (f", {fmt.pct(measured / unprofiled, 0)} of the unprofiled run's step ({fmt.seconds(unprofiled)}); "
             f"idle is the rest." if unprofiled else ".")
    slowed = f", {profile.profiler_overhead:.2f}× slower" if profile.profiler_overhead else ""
    return line + f" A profiled step took {fmt.seconds(profile.step_time_s)}{slowed}."


def other_line(profile: ProfileResult) -> str:
    o = profile.other
    return (f"Not in any layer: optimizer {fmt.seconds(o.optimizer_s)} · loss {fmt.seconds(o.loss_s)} · "
            f"data {fmt.seconds(o.data_s)} · idle {fmt.seconds(o.idle_s)} per step")


class ProfileSummary(QWidget):
    layer_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.verdict = plain_text.plain(QLabel())
        self.verdict.setObjectName("Verdict")
        self.reason = plain_text.plain(QLabel())
        self.reason.setWordWrap(True)
        self.other = plain_text.plain(QLabel())
        self.other.setWordWrap(True)
        self.sums = plain_text.plain(QLabel())
        self.sums.setWordWrap(True)
        self.sums.setObjectName("Muted")
        self.notes = plain_text.plain(QLabel())
        self.notes.setWordWrap(True)
        self.notes.setObjectName("Muted")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setMinimumHeight(90)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._row_selected)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for w in (self.verdict, self.reason, self.other, self.sums, self.notes):
            layout.addWidget(w)
        layout.addWidget(self.table, 1)

    def show_profile(self, profile: ProfileResult) -> None:
        color = VERDICT_COLORS.get(profile.verdict, "#0F172A")
        self.verdict.setText(profile.verdict[:1].upper() + profile.verdict[1:])
        self.verdict.setStyleSheet(f"font-size: 13pt; font-weight: 700; color: {color};")
        self.reason.setText(plain_text.message(profile.verdict_reason))
        self.other.setText(other_line(profile))
        self.sums.setText(sums_line(profile))
        self.notes.setText(plain_text.message(" ".join([NOT_A_BENCHMARK, *profile.notes])))
        layers = sorted(profile.layers, key=lambda layer: layer.time_s, reverse=True)
        self.table.blockSignals(True)
        self.table.setRowCount(len(layers))
        for row, layer in enumerate(layers):
            cells = (layer.id, layer.type, fmt.seconds(layer.time_s), fmt.pct(layer.share), layer.bound,
                     fmt.si(layer.achieved_flops_per_s), fmt.si(layer.achieved_bytes_per_s),
                     fmt.number(layer.intensity_flop_per_byte))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(plain_text.name(text))
                item.setData(Qt.UserRole, layer.id)
                if col >= 2 and col != 4:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(row, col, item)
            self.table.item(row, 4).setForeground(QBrush(QColor(BOUND_COLORS.get(layer.bound, "#0F172A"))))
        self.table.blockSignals(False)

    def select(self, layer_id: str | None) -> None:
        """Select the row of that layer (the canvas's selection), without echoing it back."""
        self.table.blockSignals(True)
        self.table.clearSelection()
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.UserRole) == layer_id:
                self.table.selectRow(row)
                self.table.scrollToItem(self.table.item(row, 0))
        self.table.blockSignals(False)

    def _row_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.layer_selected.emit(self.table.item(rows[0].row(), 0).data(Qt.UserRole))

