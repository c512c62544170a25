"""The comparison table: one row per run, every metric with its ratio to the baseline run.

Sorting uses the raw SI value (SORT_ROLE), not the text, so 1,200 sorts above 900; runs without a
value sort last either way.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from engine.format import ratio as ratio_text
from engine.results import RunResult, compare, spread
from gui import plain_text

SORT_ROLE = Qt.UserRole + 1
RUN_ID_ROLE = Qt.UserRole + 2
GOOD, BAD, MUTED, BASE_BG = QColor("#15803D"), QColor("#B91C1C"), QColor("#64748B"), QColor("#FEF9C3")
WARN = QColor("#B45309")
FIXED = ("Configuration", "Status")


class CompareTableModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[compare.Row] = []
        self.baseline_id: str | None = None
        self.metrics = list(compare.METRICS)

    def set_results(self, results: list[RunResult], baseline_id: str | None) -> None:
        self.beginResetModel()
        base = compare.baseline_of(results, baseline_id)
        self.baseline_id = base.run_id if base else None
        self.rows = compare.table(results, self.baseline_id)
        # columns for metrics that some run has; the rest would be a column of dashes
        self.metrics = [m for m in compare.METRICS if any(r.values[m.key] is not None for r in self.rows)]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(FIXED) + len(self.metrics) + 1

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation != Qt.Horizontal:
            return None
        if role == Qt.DisplayRole:
            if section < len(FIXED):
                return FIXED[section]
            if section == self.columnCount() - 1:
                return "Quality"
            m = self.metrics[section - len(FIXED)]
            return f"{m.label}\n{m.unit}"
        if role == Qt.ToolTipRole and len(FIXED) <= section < self.columnCount() - 1:
            m = self.metrics[section - len(FIXED)]
            return f"{m.label} ({m.unit}); {m.better} is better. The ratio is to the baseline run."
        return None

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], index.column()
        is_base = row.run_id == self.baseline_id
        if role == RUN_ID_ROLE:
            return row.run_id
        if role == Qt.BackgroundRole and is_base:
            return QBrush(BASE_BG)
        if col == 0:
            if role == Qt.DisplayRole:
                return plain_text.name(row.label) + ("  (baseline)" if is_base else "")
            if role == SORT_ROLE:
                return row.label
            if role == Qt.ToolTipRole:
                return plain_text.tooltip(f"run {plain_text.name(row.run_id)}\n"
                                          f"{plain_text.name(row.result.hardware.device_name or '')}")
            return None
        if col == 1:
            busy = spread.disturbed(row.result)
            if role == Qt.DisplayRole:
                return plain_text.name(row.status) + ("  ⚠ busy" if busy else "")
            if role == SORT_ROLE:
                return row.status
            if role == Qt.ForegroundRole:
                return QBrush(WARN if busy and row.status == "ok" else GOOD if row.status == "ok" else BAD)
            if role == Qt.ToolTipRole and (row.result.error or busy):
                return plain_text.tooltip("\n".join(
                    t for t in (row.result.error, busy and f"{busy}: its figures may be off") if t))
            return None
        if col == self.columnCount() - 1:
            if role == Qt.DisplayRole:
                return f"⚠ {len(row.quality)}" if row.quality else ""
            if role == SORT_ROLE:
                return len(row.quality)
            if role == Qt.ToolTipRole and row.quality:
                lines = (plain_text.message(q, plain_text.NAME_CHARS_MAX) for q in row.quality)
                return plain_text.tooltip("\n".join(lines))
            if role == Qt.ForegroundRole:
                return QBrush(QColor("#B45309"))
            return None
        m = self.metrics[col - len(FIXED)]
        v, ratio = row.values[m.key], row.ratios[m.key]
        if role == Qt.DisplayRole:
            text = m.text(row.result, v)
            if ratio is not None and not is_base:
                text += f"   {ratio_text(ratio)}"
            return text
        if role == SORT_ROLE:
            return v
        if role == Qt.TextAlignmentRole:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ForegroundRole and ratio is not None and not is_base and abs(ratio - 1) >= 0.02:
            good = ratio > 1 if m.better == "higher" else ratio < 1
            return QBrush(GOOD if good else BAD)
        if role == Qt.FontRole and is_base:
            f = QFont()
            f.setBold(True)
            return f
        return None


class SortProxy(QSortFilterProxyModel):
    """Sorts by SORT_ROLE; missing values go last in both directions."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)

    def lessThan(self, left: QModelIndex, right: QModelIndex) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        ascending = self.sortOrder() == Qt.AscendingOrder
        if a is None or b is None:
            return (a is not None) if ascending else (a is None and b is not None)
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)
