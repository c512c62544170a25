"""The Compare tab: pick a baseline and an objective; see the table, the Pareto plots, the
recommendation and the findings of the runs chosen in History or produced by a sweep."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.format import number
from engine.results import RunResult, compare, findings
from gui import plain_text
from gui.compare.export import ExportThread
from gui.compare.pareto_plot import ParetoPlot
from gui.compare.table_model import RUN_ID_ROLE, CompareTableModel, SortProxy
from gui.unexpected_errors import damaged_run

EMPTY_TEXT = ("Nothing to compare yet.\n\nSelect runs in the History tab and press Compare, "
              "or run a grid with Sweep ▸ New sweep…")


class CompareView(QWidget):
    open_run_requested = Signal(str)
    export_finished = Signal(list)  # paths written

    def __init__(self, store_path: str | Path | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("CompareView")
        self.store_path = store_path
        self.results: list[RunResult] = []
        self.skipped: list[tuple[dict, str]] = []
        self.baseline_id: str | None = None
        self._export: ExportThread | None = None
        self._build()

    # ---- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.title = plain_text.plain(QLabel("Compare"))
        self.title.setObjectName("InspectorTitle")
        self.baseline = QComboBox()
        self.baseline.setMinimumContentsLength(14)
        self.baseline.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.baseline.setToolTip("Every ratio in the table is relative to this run")
        self.objective = QComboBox()
        for key, label in compare.OBJECTIVES.items():
            self.objective.addItem(label, key)
        self.objective.setMinimumContentsLength(16)
        self.objective.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.mem_limit = QDoubleSpinBox(suffix=" MiB", decimals=0, maximum=10_000_000, singleStep=256)
        self.mem_limit.setSpecialValueText("no limit")
        self.mem_limit.setToolTip("Leave out runs whose peak memory is above this (0: no limit)")
        self.acc_floor = QDoubleSpinBox(suffix=" %", decimals=1, maximum=100, singleStep=1)
        self.acc_floor.setSpecialValueText("no floor")
        self.acc_floor.setToolTip("Leave out runs whose accuracy is below this (0: no floor)")
        self.eta = QDoubleSpinBox(decimals=2, minimum=0, maximum=1, singleStep=0.1, value=0.5, prefix="η = ")
        self.eta.setToolTip("Zeus's weight: 1 = energy only, 0 = time only")
        self.export_button = QPushButton("Export report…")
        self.export_button.setToolTip("Write HTML, PDF, CSV and JSON reports of these runs")
        heading = QHBoxLayout()  # title and export above the controls: fits a 1280 px window
        heading.addWidget(self.title, 1)
        heading.addWidget(self.export_button)
        top = QHBoxLayout()
        for text, w in (("Baseline", self.baseline), ("Objective", self.objective), ("Memory ≤", self.mem_limit),
                        ("Accuracy ≥", self.acc_floor)):
            lbl = QLabel(text)
            lbl.setObjectName("Muted")
            top.addWidget(lbl)
            top.addWidget(w)
        top.addWidget(self.eta)
        top.addStretch(1)

        self.recommendation = plain_text.plain(QLabel())
        self.recommendation.setObjectName("Recommendation")
        self.recommendation.setWordWrap(True)
        self.recommendation.setStyleSheet("QLabel#Recommendation { background: #EFF6FF; border: 1px solid #BFDBFE;"
                                          " border-radius: 8px; padding: 8px 12px; color: #1E3A8A; }")
        # runs of different networks: the ratios compare different work
        self.skipped_note = plain_text.plain(QLabel())  # history rows that could not be read back
        self.skipped_note.setObjectName("Error")
        self.skipped_note.setWordWrap(True)
        self.skipped_note.hide()
        self.network_warning = plain_text.plain(QLabel())
        self.network_warning.setObjectName("NetworkWarning")
        self.network_warning.setWordWrap(True)
        self.network_warning.setStyleSheet("QLabel#NetworkWarning { background: #FFFBEB; border: 1px solid #FDE68A;"
                                           " border-radius: 8px; padding: 6px 12px; color: #92400E; }")
        self.network_warning.hide()
        self.model = CompareTableModel(self)
        self.proxy = SortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.AscendingOrder)  # run order until the user sorts by a column
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        # Interactive: sized once per comparison (set_results), not re-measured over every cell on each change
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.setToolTip("Double-click a run to open it")
        self.table.doubleClicked.connect(lambda ix: self.open_run_requested.emit(ix.data(RUN_ID_ROLE)))

        self.plots = [ParetoPlot(p) for p in compare.PARETO_PLOTS]
        plots_box = QWidget()
        plots_column = QVBoxLayout(plots_box)
        plots_column.setContentsMargins(0, 0, 0, 0)
        plots_row = QHBoxLayout()
        for p in self.plots:
            p.run_clicked.connect(self.open_run_requested)
            plots_row.addWidget(p)
        plots_column.addLayout(plots_row, 1)
        self.not_drawn = QLabel()  # plots without data are hidden; this line says why
        self.not_drawn.setObjectName("Muted")
        self.not_drawn.setWordWrap(True)
        plots_column.addWidget(self.not_drawn)
        self.findings_list = QListWidget()
        self.findings_list.setWordWrap(True)
        self.findings_list.setAlternatingRowColors(True)
        self.findings_list.setSpacing(3)
        find_box = QWidget()
        fl = QVBoxLayout(find_box)
        fl.setContentsMargins(0, 0, 0, 0)
        head = QLabel("FINDINGS")
        head.setObjectName("SectionTitle")
        fl.addWidget(head)
        fl.addWidget(self.findings_list)
        bottom = QSplitter(Qt.Horizontal)
        bottom.addWidget(plots_box)
        bottom.addWidget(find_box)
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 1)
        bottom.setSizes([1000, 360])
        find_box.setMinimumWidth(260)
        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([330, 420])
        self.table.setMinimumHeight(110)

        content = QWidget()
        cl = QVBoxLayout(content)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.skipped_note)
        cl.addWidget(self.network_warning)
        cl.addWidget(self.recommendation)
        cl.addWidget(self.splitter, 1)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setObjectName("Muted")
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addLayout(heading)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)

        self.baseline.currentIndexChanged.connect(self._baseline_changed)
        for w in (self.objective, ):
            w.currentIndexChanged.connect(self._update_recommendation)
        for w in (self.mem_limit, self.acc_floor, self.eta):
            w.valueChanged.connect(self._update_recommendation)
        self.export_button.clicked.connect(self._ask_export)
        self._set_enabled(False)

    def _set_enabled(self, on: bool) -> None:
        for w in (self.baseline, self.objective, self.mem_limit, self.acc_floor, self.eta, self.export_button):
            w.setEnabled(on)
        self.pages.setCurrentIndex(1 if on else 0)

    # ---- data in --------------------------------------------------------------------------
    def _store(self):
        from engine.results import RunStore
        return RunStore(self.store_path)

    def _read(self, store, run_ids) -> tuple[list[RunResult], list[str]]:
        """The runs that can be read back, and one line for each stored record that is damaged."""
        found, damaged = [], []
        for run_id in run_ids:
            try:
                result = store.get(run_id)
            except ValueError as exc:  # a corrupt row: compare the others, say which was left out
                damaged.append(damaged_run(run_id, exc))
                continue
            if result is not None:
                found.append(result)
        return found, damaged

    def _show_damaged(self, damaged: list[str]) -> None:
        self.skipped_note.setText(plain_text.message("Left out: " + "; ".join(damaged)) if damaged else "")
        self.skipped_note.setVisible(bool(damaged))

    def show_runs(self, run_ids: list[str]) -> list[str]:
        """Compare these runs from the history; returns the ids that were not found or not readable."""
        found, damaged = self._read(self._store(), run_ids)
        self.set_results(found, title=f"Comparing {len(found)} runs")
        self._show_damaged(damaged)
        return [i for i in run_ids if i not in {r.run_id for r in found}]

    def show_sweep(self, folder: str | Path) -> None:
        """Compare the runs of a sweep folder, naming the configurations it skipped."""
        from engine.sweep import load_state
        state = load_state(folder)
        results, damaged = self._read(self._store(), [e.run_id for e in state.entries
                                                      if e.run_id and e.status != "pending"])
        skipped = [(e.config, e.reason or "skipped") for e in state.entries if e.status == "skipped"]
        skipped += [(e.config, f"it failed before running ({e.reason or 'no reason recorded'})")
                    for e in state.entries if e.status == "failed" and not e.run_id]
        names = sorted({r.network.name for r in results}) or [Path(state.grid.network).stem]
        self.set_results(results, title=f"Sweep of {', '.join(names)}: {len(results)} runs", skipped=skipped)
        self._show_damaged(damaged)

    def set_results(self, results: list[RunResult], title: str | None = None, skipped=()) -> None:
        self.results, self.skipped = list(results), list(skipped)
        self._show_damaged([])
        self.title.setText(plain_text.name(title or f"Comparing {len(results)} runs"))
        labels = compare.short_labels(self.results)
        base = compare.baseline_of(self.results)
        self.baseline_id = base.run_id if base else None
        self.baseline.blockSignals(True)
        self.baseline.clear()
        for r in self.results:
            label = plain_text.name(labels[r.run_id])
            self.baseline.addItem(f"{label} ({r.status})" if r.status != "ok" else label, r.run_id)
        if self.baseline_id:
            self.baseline.setCurrentIndex(self.baseline.findData(self.baseline_id))
        self.baseline.blockSignals(False)
        self._set_enabled(bool(self.results))
        self.model.set_results(self.results, self.baseline_id)
        self.table.resizeColumnsToContents()
        warning = compare.network_warning(self.results)
        self.network_warning.setText(f"⚠ {plain_text.message(warning)}" if warning else "")
        self.network_warning.setVisible(warning is not None)
        notes = []
        for p in self.plots:
            p.set_results(self.results, labels)
            p.setVisible(p.has_data)
            if not p.has_data:
                notes.append(f"<b>{p.plot_def.title}</b>: {plain_text.escape_message(p.empty_reason)}")
        self.not_drawn.setText("Not drawn — " + "<br>".join(notes) if notes else "")
        self.not_drawn.setVisible(bool(notes))
        self.findings_list.clear()
        found = findings(self.results, self.skipped)
        for f in found:
            item = QListWidgetItem("• " + plain_text.message(f.text))
            numbers = ", ".join(f"{k.replace('_', ' ')} = {number(v)}" for k, v in f.numbers.items())  # plain words
            item.setToolTip(plain_text.tooltip(numbers or f.kind))
            item.setData(Qt.UserRole, list(f.run_ids))
            self.findings_list.addItem(item)
        if not found and self.results:
            self.findings_list.addItem("No findings yet: compare runs that differ in one setting.")
        self._update_recommendation()

    # ---- reactions ------------------------------------------------------------------------
    def _baseline_changed(self, index: int) -> None:
        self.baseline_id = self.baseline.itemData(index)
        self.model.set_results(self.results, self.baseline_id)

    def recommendation_now(self) -> compare.Recommendation | None:
        if not self.results:
            return None
        return compare.recommend(self.results, self.objective.currentData(),
                                 memory_limit_bytes=self.mem_limit.value() * 2**20 or None,
                                 accuracy_floor=self.acc_floor.value() / 100 or None, eta=self.eta.value())

    def _update_recommendation(self, *_args) -> None:
        self.eta.setVisible(self.objective.currentData() == "time_energy")
        rec = self.recommendation_now()
        if rec is None:
            self.recommendation.setText("")
            return
        text = "★ " + rec.text if rec.run_id else rec.text
        self.recommendation.setText(plain_text.message(text))
        self.recommendation.setToolTip(plain_text.tooltip("\n".join(plain_text.message(e, plain_text.NAME_CHARS_MAX)
                                                                    for e in rec.excluded)
                                                          or "No run was left out by the constraints"))
        if rec.run_id:
            self._select(rec.run_id)

    def _select(self, run_id: str) -> None:
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data(RUN_ID_ROLE) == run_id:
                self.table.selectRow(row)
                return

    # ---- export ---------------------------------------------------------------------------
    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export report", str(Path.home() / "tradeoff-report.html"),
                                              "Report (*.html *.pdf *.csv *.json)")
        if path:
            self.export_report(path)

    def export_report(self, path: str | Path) -> ExportThread:
        """Write path's .html, .pdf, .csv and .json in the background; export_finished reports the files."""
        self.export_button.setEnabled(False)
        self.export_button.setText("Exporting…")
        thread = ExportThread(self.results, path, self.baseline_id, self.skipped, None, self)
        thread.done.connect(self._exported)
        thread.failed.connect(self._export_failed)
        thread.finished.connect(self._export_done)
        self._export = thread
        thread.start()
        return thread

    def _exported(self, paths: list) -> None:
        self.export_finished.emit(paths)
        self.window().statusBar().showMessage(plain_text.message(
            f"Report written: {', '.join(Path(p).name for p in paths)}"), 10000) \
            if hasattr(self.window(), "statusBar") else None

    def _export_failed(self, message: str) -> None:
        plain_text.warning(self, "Export report", message)

    def _export_done(self) -> None:
        self.export_button.setEnabled(bool(self.results))
        self.export_button.setText("Export report…")
