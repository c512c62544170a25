"""A table model over engine.results.store.RunRow: display text per column, raw values for sorting.

A long history is read a page at a time (Qt's canFetchMore/fetchMore: the view asks for more rows as
it scrolls), and sorted by the store (ORDER BY), so opening History costs one page at any size."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor

from engine.format import energy, fixed, pct
from engine.results import RunRow
from gui import plain_text

SORT_ROLE = Qt.UserRole + 1
RUN_ID_ROLE = Qt.UserRole + 2
BUSY_COLOR = "#B45309"  # a run the machine was busy during: amber, like the quality warnings
PROFILE_MARK = "◆ "  # before the network's name: the run has a stored profile (History's Open profile)
STATUS_COLORS = {"ok": "#166534", "cancelled": "#92400E", "oom": "#B91C1C", "failed": "#B91C1C"}


def _local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def _devices(r: RunRow) -> str:
    """'2× cuda' for a job over several devices (so it stands out), '1' for any other run."""
    if r.device_count <= 1:
        return "1"
    return f"{r.device_count}× {'cuda' if (r.device or '').startswith('cuda') else 'cpu'}"


# (header, display(row), sort key(row), tooltip)
COLUMNS = (
    ("When", lambda r: _local_time(r.created_at), lambda r: r.created_at),
    ("Network", lambda r: (PROFILE_MARK if r.has_profile else "") + r.network,
     lambda r: r.network.lower()),
    ("Device", lambda r: r.device_name or r.device or "?", lambda r: (r.device or "", r.device_name or "")),
    ("Devices", lambda r: _devices(r), lambda r: r.device_count),
    ("Precision", lambda r: r.precision or "?", lambda r: r.precision or ""),
    ("Batch", lambda r: fixed(r.batch), lambda r: r.batch or 0),
    ("Mode", lambda r: r.mode or "?", lambda r: r.mode or ""),
    ("Levers", lambda r: r.levers, lambda r: r.levers),  # what tells apart runs of one device, precision, batch
    ("Status", lambda r: r.status + ("  ⚠ busy" if r.busy else ""), lambda r: r.status),
    ("Samples/s", lambda r: fixed(r.throughput_sps), lambda r: r.throughput_sps or -1.0),
    ("Energy/sample", lambda r: energy(r.energy_per_sample_j), lambda r: r.energy_per_sample_j or -1.0),
    ("Accuracy", lambda r: pct(r.accuracy), lambda r: r.accuracy or -1.0),
)
NUMERIC = {"Devices", "Batch", "Samples/s", "Energy/sample", "Accuracy"}
# The store column each table column sorts by (RunStore.list(order_by=...)).
SQL_ORDER = ("created_at", "network", "device", "device_count", "precision", "batch", "mode", "levers", "status",
             "throughput_sps", "energy_per_sample_j", "accuracy")
PAGE_ROWS = 400
Fetch = Callable[[int, int, str, bool], list]  # (offset, limit, order_by, descending) -> rows
# Text as wide as a typical cell of each column: the column's starting width (the user can drag it).
# Narrow where the header is wider than the values, so that every column fits a 1280-pixel window.
SAMPLE_TEXT = ("2026-01-01 00:00:00", "resnet9-wide", "NVIDIA H200 …", "Devices", "Precision", "Batch", "Mode",
               "prune structured:0.5", "cancelled", "Samples/s", "Energy/sample", "Accuracy")


def column_widths(metrics) -> list[int]:
    """Starting column widths from the font, without reading any row (fast at any history size)."""
    return [metrics.horizontalAdvance(text) + 28 for text in SAMPLE_TEXT]


_ROLES = frozenset({Qt.DisplayRole, SORT_ROLE, RUN_ID_ROLE, Qt.TextAlignmentRole, Qt.ForegroundRole, Qt.ToolTipRole})


class HistoryModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[RunRow] = []
        self.total = 0  # rows in the source (more than len(rows) until every page is read)
        self._fetch: Fetch | None = None
        self.order: tuple[str, bool] = ("created_at", True)  # (store column, descending)

    def set_source(self, fetch: Fetch, total: int) -> None:
        """Show `total` rows read a page at a time through `fetch`, in the current sort order."""
        self.beginResetModel()
        self._fetch, self.total = fetch, total
        self.rows = fetch(0, PAGE_ROWS, *self.order) if total else []
        self.endResetModel()

    def set_rows(self, rows: list[RunRow]) -> None:
        """Show a list already in memory (sorted here, not by a store)."""
        self.beginResetModel()
        self._fetch = None
        self.rows = list(rows)
        self.total = len(self.rows)
        self.endResetModel()

    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: N802,B008 -- Qt's name and signature
        return not parent.isValid() and self._fetch is not None and len(self.rows) < self.total

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: N802,B008
        if not self.canFetchMore(parent):
            return
        start = len(self.rows)
        more = self._fetch(start, PAGE_ROWS, *self.order)
        if not more:  # runs deleted meanwhile: stop asking
            self.total = start
            return
        self.beginInsertRows(QModelIndex(), start, start + len(more) - 1)
        self.rows.extend(more)
        self.endInsertRows()

    def fetch_all(self) -> None:
        while self.canFetchMore():
            self.fetchMore()

    def rowCount(self, parent=None) -> int:  # noqa: N802 -- Qt's name
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def columnCount(self, parent=None) -> int:  # noqa: N802
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return COLUMNS[section][0]
        return None

    def data(self, index, role=Qt.DisplayRole):
        if role not in _ROLES:  # the view asks ~10 roles per cell; most have nothing here (fast exit)
            return None
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        header, display, key = COLUMNS[index.column()]
        if role == Qt.DisplayRole:
            return plain_text.name(display(row))
        if role == SORT_ROLE:
            return key(row)
        if role == RUN_ID_ROLE:
            return row.run_id
        if role == Qt.TextAlignmentRole and header in NUMERIC:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ForegroundRole and header == "Status":
            return QColor(BUSY_COLOR if row.busy and row.status == "ok" else STATUS_COLORS.get(row.status, "#0F172A"))
        if role == Qt.ToolTipRole and header == "Status" and row.busy:
            return f"{row.busy[0].upper()}{row.busy[1:]}: its figures may be off"
        if role == Qt.ToolTipRole and header == "Levers" and row.levers:  # elided in a narrow column
            return plain_text.tooltip(row.levers)
        if role == Qt.ToolTipRole and header == "Network" and row.has_profile:
            return "◆ this run has a profile: Open profile shows where its step time goes"
        if role == Qt.ToolTipRole:
            return plain_text.tooltip(f"run {plain_text.name(row.run_id)} · {plain_text.name(row.device or '?')} · "
                                      f"{plain_text.name(row.created_at)} UTC")
        return None

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        descending = order == Qt.DescendingOrder
        if column < 0:
            return
        self.order = (SQL_ORDER[column], descending)
        if self._fetch is not None:  # the store sorts; the pages read so far are read again in the new order
            self.beginResetModel()
            self.rows = self._fetch(0, max(PAGE_ROWS, len(self.rows)), *self.order) if self.total else []
            self.endResetModel()
            return
        self.layoutAboutToBeChanged.emit()
        self.rows.sort(key=COLUMNS[column][2], reverse=descending)
        self.layoutChanged.emit()

    def run_id(self, row: int) -> str:
        return self.rows[row].run_id

    def has_profile(self, run_id: str) -> bool:
        return any(r.run_id == run_id and r.has_profile for r in self.rows)
