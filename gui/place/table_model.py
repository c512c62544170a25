"""The Place table: one row per catalogue target, its projected figures or why it has none.
Display text per column, raw values for sorting (a missing figure sorts last)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor

from engine.format import si, usd
from gui import plain_text

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
TARGET_ID_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class Column:
    title: str
    key: str
    tip: str
    text: Any  # row -> str
    align_right: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("Target", "name", "Catalogue entry (hover for its notes)", lambda t: t.name, False),
    Column("Place", "place", "Edge, laptop, desktop, workstation, data centre or cloud", lambda t: t.place, False),
    Column("Precision", "precision", "Precision projected at", lambda t: t.precision, False),
    Column("Samples/s", "throughput_sps", "Projected throughput", lambda t: si(t.throughput_sps, "")),
    Column("Step", "step_time_s", "Projected time of one step", lambda t: si(t.step_time_s, "s")),
    Column("Power", "power_w", "Projected board power while running", lambda t: si(t.power_w, "W")),
    Column("Energy/sample", "energy_per_sample_j", "Projected energy per sample (device, before PUE)",
           lambda t: si(t.energy_per_sample_j, "J")),
    Column("$ per million", "usd_per_million_samples", "Cloud price per hour, or purchase over its lifetime plus "
           "electricity", lambda t: usd(t.usd_per_million_samples)),
    Column("gCO₂ per million", "gco2_per_million_samples", "Energy × PUE × grid carbon intensity",
           lambda t: si(t.gco2_per_million_samples, "g")),
    Column("Fits / why not", "reason", "Memory fit, the bound, or why the target cannot run it",
           lambda t: t.reason or (f"{t.bound}-bound" + (f", up to batch {t.max_batch:,}" if t.max_batch else "")),
           False),
)


class PlaceTableModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802 - Qt's name
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section].tip
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(row)
        if role == SORT_ROLE:
            return getattr(row, col.key)
        if role == TARGET_ID_ROLE:
            return row.id
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [row.name, "projected, not measured", *([row.reason] if row.reason else []), *row.notes]
            return plain_text.tooltip("\n".join(lines + ([row.usd_basis] if row.usd_basis else [])))
        if role == Qt.ItemDataRole.TextAlignmentRole and col.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and row.throughput_sps is None:
            return QColor("#94A3B8")
        return None


class PlaceSortProxy(QSortFilterProxyModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)

    def lessThan(self, left, right) -> bool:  # noqa: N802
        """A missing figure sorts last in either order."""
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        descending = self.sortOrder() == Qt.SortOrder.DescendingOrder
        if a is None and b is None:
            return False
        if a is None:  # a goes last: the larger in ascending order, the smaller in descending
            return descending
        if b is None:
            return not descending
        if type(a) is not type(b):
            return str(a) < str(b)
        return a < b
