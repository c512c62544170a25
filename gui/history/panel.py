"""The History tab: every run in the run history (SQLite), newest first, filterable by network,
device, precision and status, sortable by any column. Open a run to see its card and charts again,
delete runs, import a result JSON from another machine, or pick several and ask to compare them.
A run with a stored profile carries a marker in the Network column; Open profile shows it.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.errors import BadResultFile, BadStoreFile
from engine.net import NetworkSpec, SpecFormatError, spec_from_dict
from engine.results import RunResult, RunStore
from gui import plain_text
from gui.history.model import SQL_ORDER, HistoryModel, column_widths
from gui.unexpected_errors import damaged_run, unreadable

STYLE = """
QWidget#HistoryTop { background: #FFFFFF; border-bottom: 1px solid #E2E8F0; }
QLabel#PanelTitle { font-size: 13pt; font-weight: 600; color: #0F172A; }
QTableView { background: #FFFFFF; border: none; gridline-color: #F1F5F9; selection-background-color: #DBEAFE;
             selection-color: #0F172A; alternate-background-color: #F8FAFC; }
QHeaderView::section { background: #F8FAFC; color: #475569; border: none; border-bottom: 1px solid #E2E8F0;
                       padding: 5px 8px; font-weight: 600; }
QLabel#Placeholder { color: #94A3B8; font-size: 11pt; }
QLabel#Error { color: #B91C1C; }
"""
FILTERS = (("network", "All networks"), ("device", "All devices"), ("precision", "All precisions"),
           ("status", "All statuses"))


class HistoryPanel(QWidget):
    compare_requested = Signal(list)  # list[str] run ids, two or more
    explain_requested = Signal(object)  # RunResult: "Explain…" on one selected run
    run_opened = Signal(str)
    open_spec_requested = Signal(object)  # a NetworkSpec from a run (a structurally pruned network), to edit
    profile_opened = Signal(object, object)  # ProfileResult, NetworkSpec | None (the run's network)

    def __init__(self, db_path: str | Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(STYLE)
        self.db_path = db_path
        self.model = HistoryModel(self)
        self._keep_selection: set[str] = set()  # across a re-sort (the store re-reads the rows)
        self.model.modelAboutToBeReset.connect(lambda: setattr(self, "_keep_selection", set(self.selected_ids())))
        self.model.modelReset.connect(lambda: self._select_loaded(self._keep_selection))
        self._signature: tuple | None = None  # the store's RunStore.signature() at the last load
        self.filters: dict[str, QComboBox] = {}
        top = QWidget()
        top.setObjectName("HistoryTop")
        rows = QVBoxLayout(top)
        rows.setContentsMargins(14, 8, 14, 8)
        rows.setSpacing(6)
        bar = QHBoxLayout()  # two rows: the window stays usable at 1280 px wide
        filters = QHBoxLayout()
        rows.addLayout(bar)
        rows.addLayout(filters)
        title = QLabel("History")
        title.setObjectName("PanelTitle")
        bar.addWidget(title)
        bar.addSpacing(12)
        self.count = QLabel()
        self.count.setObjectName("Muted")
        self.count.setTextFormat(Qt.TextFormat.PlainText)  # it names an imported file
        bar.addWidget(self.count)
        bar.addStretch(1)
        for key, everything in FILTERS:
            combo = QComboBox()
            combo.addItem(everything, None)
            combo.setMinimumContentsLength(12)
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            combo.currentIndexChanged.connect(self._reload_rows)
            self.filters[key] = combo
            filters.addWidget(combo)
        filters.addStretch(1)
        self.open_button = QPushButton("Open")
        self.profile_button = QPushButton("Open profile")
        self.profile_button.setToolTip("Show the selected run's profile: its network coloured by where the step "
                                       "time goes, and the roofline")
        self.compare_button = QPushButton("Compare")
        self.delete_button = QPushButton("Delete")
        self.explain_button = QPushButton("Explain…")
        self.explain_button.setToolTip("Run the levers that address what bounds the selected run, one at a time "
                                       "against it, and show each one's effect")
        self.import_button = QPushButton("Import result JSON…")
        self.refresh_button = QPushButton("Refresh")
        for b in (self.open_button, self.profile_button, self.compare_button, self.explain_button, self.delete_button,
                  self.import_button, self.refresh_button):
            bar.addWidget(b)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        # Interactive widths set once from the font, not ResizeToContents: that one reads every cell of
        # every row on each change (seconds with thousands of runs).
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setStretchLastSection(True)
        for i, width in enumerate(column_widths(self.table.fontMetrics())):
            header.resizeSection(i, width)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.Fixed)
        rows.setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        self.table.sortByColumn(0, Qt.DescendingOrder)
        self.error = plain_text.plain(QLabel())
        self.error.setObjectName("Error")
        self.error.setWordWrap(True)
        self.error.hide()
        self._view = None  # the opened run's card and charts: built on the first Open (pyqtgraph loads then)
        self.placeholder = QLabel("Select a run and press Open (or double-click it) to see its charts and summary.")
        self.placeholder.setObjectName("Placeholder")
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.hint = QLabel("Double-click a run (or select it and press Open) to see its summary and charts below; "
                           "Ctrl/Shift+click several to compare them.")
        self.hint.setObjectName("Placeholder")
        self.hint.setWordWrap(True)
        self.detail = QStackedWidget()
        self.detail.addWidget(self.placeholder)
        self.detail.hide()  # until a run is opened the table has the whole pane
        self.split = split = QSplitter(Qt.Vertical)
        upper = QWidget()
        ucol = QVBoxLayout(upper)
        ucol.setContentsMargins(0, 0, 0, 0)
        ucol.addWidget(self.table)
        ucol.addWidget(self.hint)
        ucol.addWidget(self.error)
        split.addWidget(upper)
        split.addWidget(self.detail)
        split.setCollapsible(0, False)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(top)
        layout.addWidget(split, 1)

        self.open_button.clicked.connect(self.open_selected)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.compare_button.clicked.connect(self.compare_selected)
        self.profile_button.clicked.connect(self.open_selected_profile)
        self.explain_button.clicked.connect(self.explain_selected)
        self.delete_button.clicked.connect(lambda: self.delete_selected(confirm=True))
        self.import_button.clicked.connect(self._import_dialog)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.refresh()

    @property
    def view(self):
        """The opened run's summary card and charts (built when first needed)."""
        if self._view is None:
            from gui.history.run_view import RunView
            self._view = RunView()
            self._view.open_spec_requested.connect(self.open_spec_requested)
            self.detail.addWidget(self._view)
        return self._view

    # --- data ---------------------------------------------------------------------------------
    def store(self) -> RunStore:
        return RunStore(self.db_path)

    def refresh(self, *_args) -> None:
        """Reload filter choices and rows (runs from the CLI or another process appear here)."""
        try:
            store = self.store()
            self._signature = store.signature()
            choices = store.choices()
        except BadStoreFile as exc:
            self._show_error(str(exc))
            return
        for key, combo in self.filters.items():
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(dict(FILTERS)[key], None)
            for v in choices.get(key, []):
                name = choices.get(f"device_name:{v}") if key == "device" else None
                combo.addItem(plain_text.name(f"{v} · {name[0]}" if name else v), v)
            combo.setCurrentIndex(max(0, combo.findData(current)) if current is not None else 0)
            combo.blockSignals(False)
        self._reload_rows()

    def _reload_rows(self, *_args) -> None:
        """Show the runs the filters pass, a page at a time."""
        selected = set(self.selected_ids())
        kw = {key: combo.currentData() for key, combo in self.filters.items()}
        try:
            store = self.store()
            total = store.count(**kw)
        except BadStoreFile as exc:
            self._show_error(str(exc))
            return

        def fetch(offset: int, limit: int, order_by: str, descending: bool) -> list:
            try:
                return store.list(**kw, limit=limit, offset=offset, order_by=order_by, descending=descending)
            except BadStoreFile as exc:
                self._show_error(str(exc))
                return []

        self.error.hide()
        header = self.table.horizontalHeader()
        if header.sortIndicatorSection() >= 0:
            self.model.order = (SQL_ORDER[header.sortIndicatorSection()],
                                header.sortIndicatorOrder() == Qt.DescendingOrder)
        self.model.set_source(fetch, total)
        self.count.setText(f"{total:,} run{'s' if total != 1 else ''}")
        self._select_loaded(selected)
        self._selection_changed()

    def _select_loaded(self, run_ids: set[str]) -> None:
        sel = self.table.selectionModel()
        for i, row in enumerate(self.model.rows):
            if row.run_id in run_ids:
                sel.select(self.model.index(i, 0), QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.run_id(r) for r in rows if r < len(self.model.rows)]

    def select_ids(self, run_ids: list[str]) -> None:
        wanted = set(run_ids)
        while not wanted <= {r.run_id for r in self.model.rows} and self.model.canFetchMore():
            self.model.fetchMore()  # a run further down the history: read pages until it is there
        self.table.selectionModel().clearSelection()
        self._select_loaded(wanted)

    def _selection_changed(self, *_args) -> None:
        n = len(self.selected_ids())
        self.open_button.setEnabled(n == 1)
        profiled = n == 1 and self.model.has_profile(self.selected_ids()[0])
        self.profile_button.setEnabled(profiled)
        self.profile_button.setToolTip("Show the selected run's profile: its network coloured by where the step "
                                       "time goes, and the roofline" if profiled else
                                       "Select one run that has a profile (◆ in the Network column); the Run "
                                       "tab's Profile button makes one")
        self.explain_button.setEnabled(n == 1)
        self.delete_button.setEnabled(n >= 1)
        self.compare_button.setEnabled(n >= 2)
        self.compare_button.setText(f"Compare {n}" if n >= 2 else "Compare")
        self.compare_button.setToolTip("" if n >= 2 else "Select two or more runs (Ctrl/Shift+click) to compare")

    # --- actions ------------------------------------------------------------------------------
    def explain_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            return
        try:
            result = self.store().get(ids[0])
        except (BadStoreFile, ValueError) as exc:
            self._show_error(damaged_run(ids[0], exc) if isinstance(exc, ValueError) else str(exc))
            return
        if result is not None:
            self.explain_requested.emit(result)

    def open_run(self, run_id: str) -> bool:
        try:
            result = self.store().get(run_id)
        except BadStoreFile as exc:
            self._show_error(str(exc))
            return False
        except ValueError as exc:  # one corrupt row: say which, the rest of the history still opens
            self._show_error(damaged_run(run_id, exc))
            return False
        if result is None:
            self._show_error(f"run {run_id} is no longer in the history")
            return False
        self.view.show_result(result)
        self.detail.setCurrentWidget(self.view)
        if not self.detail.isVisible():
            self.detail.show()
            total = max(400, self.split.height())
            self.split.setSizes([total * 2 // 5, total - total * 2 // 5])
        self.hint.hide()
        self.run_opened.emit(run_id)
        return True

    def open_profile(self, run_id: str) -> bool:
        """Emit the run's stored profile with the network it ran (profile_opened); say why not."""
        try:
            store = self.store()
            profile = store.get_profile(run_id)
            result = store.get(run_id) if profile is not None else None
        except BadStoreFile as exc:
            self._show_error(str(exc))
            return False
        except ValueError as exc:
            self._show_error(damaged_run(run_id, exc))
            return False
        if profile is None:
            self._show_error(f"run {run_id} has no profile")
            return False
        self.profile_opened.emit(profile, network_of(result))
        return True

    def open_selected_profile(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self.open_profile(ids[0])

    def open_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self.open_run(ids[0])

    def compare_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) >= 2:
            self.compare_requested.emit(ids)

    def delete_selected(self, confirm: bool = True) -> int:
        ids = self.selected_ids()
        if not ids:
            return 0
        if confirm:
            answer = QMessageBox.question(self, "Delete runs",
                                          f"Delete {len(ids)} run{'s' if len(ids) > 1 else ''} from the history? "
                                          "This cannot be undone.")
            if answer != QMessageBox.Yes:
                return 0
        removed = self.store().delete(ids)
        if self._view is not None and self._view.result is not None and self._view.result.run_id in ids:
            self._view.result = None
            self.detail.setCurrentWidget(self.placeholder)
            self.detail.hide()
            self.hint.show()
        self.refresh()
        return removed

    def import_path(self, path: str | Path) -> str | None:
        """Import a result JSON, or every run of a report JSON; returns the error message (also shown
        in the panel), or None. The count line says how many runs came in."""
        try:
            added = self.store().import_json(path)
        except (BadResultFile, BadStoreFile) as exc:
            self._show_error(f"Import failed: {exc}")
            return str(exc)
        except (RecursionError, ValueError) as exc:  # JSON the engine's reader did not word
            message = unreadable(path, exc)
            self._show_error(f"Import failed: {message}")
            return message
        self.refresh()
        ids = [r.run_id for r in added]
        self.select_ids(ids)
        if len(ids) == 1:
            self.open_run(ids[0])
        self.count.setText(f"imported {len(ids)} run{'s' if len(ids) != 1 else ''} from {Path(path).name} · "
                           f"{self.count.text()}")
        return None

    def _import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import runs", str(Path.home()),
                                              "Run result or report JSON (*.json)")
        if path and (error := self.import_path(path)):
            plain_text.warning(self, "Import failed", error)

    def _show_error(self, text: str) -> None:
        self.error.setText(plain_text.message(text))
        self.error.show()

    def refresh_if_changed(self) -> bool:
        """Reload only when runs were added, replaced or deleted since the last load (one cheap query)."""
        try:
            changed = self.store().signature() != self._signature
        except BadStoreFile as exc:
            self._show_error(str(exc))
            return False
        if changed:
            self.refresh()
        return changed

    def showEvent(self, event) -> None:  # noqa: N802 -- runs made elsewhere appear when the tab is shown
        super().showEvent(event)
        self.refresh_if_changed()


def network_of(result: RunResult | None) -> NetworkSpec | None:
    """The network a stored run ran, or None when it was not kept (or no longer reads as a spec)."""
    spec = result.network.spec if result is not None else None
    if not spec:
        return None
    try:
        return spec_from_dict(spec, f"run {result.run_id}")
    except (SpecFormatError, ValueError):
        return None
