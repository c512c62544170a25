"""The Place tab: project a stored, measured run onto hardware the user does not own, from the
catalogue (edge to cloud), as a sortable table and a chart. Every figure is projected; the
assumptions are one click away, the user's own (electricity price, grid, PUE, lifetime) editable
and remembered. A second stored run measured on another catalogue device checks the projection."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.place import PLACES, Assumptions, BadCatalogue, cross_check, load_catalogue, project, source_summary
from engine.results import RunResult, RunStore
from gui import plain_text
from gui.place.plot import PlacePlot
from gui.place.table_model import TARGET_ID_ROLE, PlaceSortProxy, PlaceTableModel

SETTINGS_GROUP = "place"
PRECISIONS = ("fp32", "tf32", "fp16", "bf16", "int8")


def _plain(label: QLabel) -> QLabel:
    plain_text.plain(label)  # run and device names are user data, never HTML
    label.setWordWrap(True)
    return label


def run_label(r: RunResult) -> str:
    cfg = r.config
    name = r.network.name if len(r.network.name) <= 40 else r.network.name[:39] + "…"
    return plain_text.name(f"{name} · {cfg.device} {cfg.precision} · batch {cfg.batch} · {cfg.mode} · {r.run_id}",
                           2 * plain_text.NAME_CHARS_MAX)


class PlaceView(QWidget):
    def __init__(self, store_path: str | Path | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("PlaceView")
        self.store_path = store_path
        self.runs: list[RunResult] = []
        self.catalogue = None
        self.projection = None
        self._build()
        self._restore()
        self.refresh()

    # ---- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        title = QLabel("Place")
        title.setObjectName("InspectorTitle")
        self.run_box = QComboBox()
        self.run_box.setMinimumContentsLength(30)
        self.run_box.setToolTip("The measured run to project (runs that finished ok)")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Reload the run history and the catalogue (your own entries too)")
        self.assumptions_button = QPushButton("Assumptions…")
        self.assumptions_button.setToolTip("Everything the projection assumes, and how the run calibrated it")
        self.check_box = QComboBox()
        self.check_box.setMinimumContentsLength(16)
        self.check_box.setToolTip("Project onto the device this run measured and show the error: how far to trust it")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addWidget(QLabel("Run"))
        top.addWidget(self.run_box, 3)
        top.addWidget(QLabel("Check against"))
        top.addWidget(self.check_box, 2)
        top.addWidget(self.refresh_button)
        top.addWidget(self.assumptions_button)

        self.place_boxes: dict[str, QCheckBox] = {}
        places = QHBoxLayout()
        places.addWidget(QLabel("Places"))
        for place in PLACES:
            box = QCheckBox(place)
            box.setChecked(True)
            self.place_boxes[place] = box
            places.addWidget(box)
        places.addSpacing(12)
        self.precision = QComboBox()
        self.precision.addItem("as measured", None)
        for p in PRECISIONS:
            self.precision.addItem(p, p)
        self.precision.setToolTip("Project at another precision (int8-only accelerators need int8)")
        self.batch = QSpinBox(minimum=0, maximum=1 << 24, singleStep=64)
        self.batch.setSpecialValueText("as measured")
        self.batch.setToolTip("Project at another batch size (0: the run's)")
        places.addWidget(QLabel("Precision"))
        places.addWidget(self.precision)
        places.addWidget(QLabel("Batch"))
        places.addWidget(self.batch)
        places.addStretch(1)

        self.usd_per_kwh = QDoubleSpinBox(decimals=3, minimum=0, maximum=10, singleStep=0.01, prefix="$ ",
                                          suffix=" /kWh")
        self.usd_per_kwh.setToolTip("Your electricity price (an assumption: set your tariff)")
        self.region = QComboBox()
        self.region.setToolTip("Grid carbon intensity (gCO₂/kWh), from the catalogue's dated table")
        self.pue = QDoubleSpinBox(decimals=2, minimum=0.99, maximum=5, singleStep=0.05)
        self.pue.setSpecialValueText("by place")
        self.pue.setToolTip("Facility overhead (PUE); 'by place': 1.0 at home, 1.58 data centre, 1.1 cloud")
        self.lifetime = QDoubleSpinBox(decimals=1, minimum=0.5, maximum=50, singleStep=0.5, suffix=" years")
        self.lifetime.setToolTip("How long owned hardware is used (its price is spread over it)")
        self.duty = QDoubleSpinBox(decimals=0, minimum=1, maximum=100, singleStep=5, suffix=" % duty")
        self.duty.setToolTip("Share of its lifetime owned hardware runs this work")
        costs = QHBoxLayout()
        for text, widget in (("Electricity", self.usd_per_kwh), ("Grid", self.region), ("PUE", self.pue),
                             ("Owned for", self.lifetime), ("", self.duty)):
            if text:
                costs.addWidget(QLabel(text))
            costs.addWidget(widget)
        costs.addStretch(1)

        self.source_label = _plain(QLabel())
        self.source_label.setObjectName("Muted")
        self.check_label = _plain(QLabel())
        self.check_label.setVisible(False)

        self.model = PlaceTableModel(self)
        self.proxy = PlaceSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((230, 95, 70, 90, 80, 70, 100, 100, 115)):
            self.table.setColumnWidth(col, width)
        self.plot = PlacePlot()
        self.empty = _plain(QLabel())
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("Muted")
        self.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)  # fastest first
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.plot)
        split.setChildrenCollapsible(False)
        split.setSizes([300, 300])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        for row in (top, places, costs):
            layout.addLayout(row)
        layout.addWidget(self.source_label)
        layout.addWidget(self.check_label)
        layout.addWidget(self.empty)
        layout.addWidget(split, 1)

        self.run_box.currentIndexChanged.connect(self._recompute)
        self.check_box.currentIndexChanged.connect(self._recompute_check)
        self.refresh_button.clicked.connect(self.refresh)
        self.assumptions_button.clicked.connect(self.show_assumptions)
        self.plot.hovered.connect(self._select_target)
        for box in self.place_boxes.values():
            box.toggled.connect(self._recompute)
        for widget in (self.precision, self.region):
            widget.currentIndexChanged.connect(self._recompute)
        for widget in (self.batch, self.usd_per_kwh, self.pue, self.lifetime, self.duty):
            widget.valueChanged.connect(self._recompute)

    # ---- data -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the catalogue and the stored runs that can be projected."""
        try:
            self.catalogue = load_catalogue()
        except BadCatalogue as exc:
            self.catalogue = None
            self._show_empty(f"The hardware catalogue cannot be used: {exc}")
            return
        regions = sorted(self.catalogue.grid_gco2_per_kwh)
        current = self.region.currentText() or QSettings().value(f"{SETTINGS_GROUP}/region", "world")
        self.region.blockSignals(True)
        self.region.clear()
        for key in regions:
            self.region.addItem(f"{key} ({self.catalogue.grid_gco2_per_kwh[key].value:g} g/kWh)", key)
        self.region.setCurrentIndex(max(regions.index(current) if current in regions else regions.index("world"), 0))
        self.region.blockSignals(False)
        try:
            store = RunStore(self.store_path)
            self.runs = [r for r in store.last(500) if r.status == "ok" and r.throughput_sps]
        except Exception as exc:  # noqa: BLE001 - a broken history shows as a message, never a crash
            self.runs = []
            self._show_empty(f"The run history cannot be read: {exc}")
            return
        chosen = self.run_box.currentData()
        for box in (self.run_box, self.check_box):
            box.blockSignals(True)
            box.clear()
        self.check_box.addItem("(no check)", None)
        for r in self.runs:
            self.run_box.addItem(run_label(r), r.run_id)
            self.check_box.addItem(run_label(r), r.run_id)
        idx = self.run_box.findData(chosen)
        self.run_box.setCurrentIndex(idx if idx >= 0 else 0)
        for box in (self.run_box, self.check_box):
            box.blockSignals(False)
        self._recompute()

    def select_run(self, run_id: str) -> None:
        """Project this run (e.g. the one just finished, or one picked in History)."""
        if self.run_box.findData(run_id) < 0:
            self.refresh()
        idx = self.run_box.findData(run_id)
        if idx >= 0:
            self.run_box.setCurrentIndex(idx)

    def assumptions(self) -> Assumptions:
        return Assumptions(usd_per_kwh=self.usd_per_kwh.value(), region=self.region.currentData() or "world",
                           lifetime_years=self.lifetime.value(), duty_share=self.duty.value() / 100,
                           pue=None if self.pue.value() < 1 else self.pue.value(),
                           precision=self.precision.currentData(), batch=self.batch.value() or None)

    def _current_run(self) -> RunResult | None:
        rid = self.run_box.currentData()
        return next((r for r in self.runs if r.run_id == rid), None)

    def _recompute(self, *_args) -> None:
        run = self._current_run()
        if self.catalogue is None:
            return
        if run is None:
            self._show_empty("No measured run to project yet.\n\nRun a network in the Run tab (or import a "
                             "result in History); its projection onto edge, laptop, desktop, data-centre and "
                             "cloud hardware appears here.")
            return
        places = {p for p, box in self.place_boxes.items() if box.isChecked()}
        ids = [t.id for t in self.catalogue.targets if t.place in places]
        self._save()
        self.projection = project(run, self.catalogue, self.assumptions(), ids) if ids else None
        rows = self.projection.targets if self.projection else []
        self.empty.setVisible(not rows)
        self.empty.setText("" if rows else "No place chosen: tick at least one place above.")
        self.model.set_rows(rows)
        self.plot.set_rows(rows)
        src = self.projection.source if self.projection else {}
        how = source_summary(src)
        device = plain_text.name(src.get('device') or 'its device')
        self.source_label.setText(f"Every figure below is PROJECTED, not measured: from run "
                                  f"{plain_text.name(run.run_id)} on {device}, {plain_text.message(how)}. "
                                  f"Quantum computers are not a place "
                                  f"for CNNs today and are not projected.")
        self._recompute_check()

    def _recompute_check(self, *_args) -> None:
        run, other_id = self._current_run(), self.check_box.currentData()
        other = next((r for r in self.runs if r.run_id == other_id), None)
        self.check_label.setVisible(other is not None)
        if run is None or other is None or self.catalogue is None:
            self.check_label.setText("")
            return
        check = cross_check(run, other, self.catalogue, self.assumptions())
        if check["error"] is None:
            self.check_label.setText(plain_text.message(f"cannot check: {check.get('reason')}"))
        else:
            self.check_label.setText(f"projected {check['projected_sps']:,.0f} samples/s on {check['target']}, "
                                     f"measured {check['measured_sps']:,.0f}: error {check['error']:+.0%}")

    def _show_empty(self, text: str) -> None:
        self.projection = None
        self.model.set_rows([])
        self.plot.set_rows([])
        self.empty.setText(plain_text.message(text))
        self.empty.setVisible(True)
        self.source_label.setText("")

    def _select_target(self, target_id: str) -> None:
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data(TARGET_ID_ROLE) == target_id:
                self.table.selectRow(row)
                return

    def assumptions_text(self) -> str:
        if self.projection is None:
            return "Nothing projected yet."
        a, src = self.projection.assumptions, self.projection.source
        lines = [f"Source run: {self.projection.run_id} on {src.get('device')}",
                 f"Calibration: {src.get('note')}"]
        if src.get("calibrated"):
            lines.append(f"Fitted efficiency: {src['efficiency']:.1%} of the catalogue's peaks "
                         f"(launch {src['launch_s'] * 1e6:.1f} µs per kernel)")
        lines += [f"{key}: {value}" for key, value in a.items()]
        lines.append(self.projection.not_covered)
        return "\n".join(lines)

    def show_assumptions(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "Assumptions of the projection", self.assumptions_text(),
                          parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.exec()

    # ---- remembered settings ----------------------------------------------------------------
    def _restore(self) -> None:
        s, d = QSettings(), Assumptions()
        for widget, key, default in ((self.usd_per_kwh, "usd_per_kwh", d.usd_per_kwh),
                                     (self.lifetime, "lifetime_years", d.lifetime_years),
                                     (self.duty, "duty_pct", d.duty_share * 100), (self.pue, "pue", 0.99)):
            widget.blockSignals(True)
            widget.setValue(float(s.value(f"{SETTINGS_GROUP}/{key}", default)))
            widget.blockSignals(False)

    def _save(self) -> None:
        s = QSettings()
        s.setValue(f"{SETTINGS_GROUP}/usd_per_kwh", self.usd_per_kwh.value())
        s.setValue(f"{SETTINGS_GROUP}/lifetime_years", self.lifetime.value())
        s.setValue(f"{SETTINGS_GROUP}/duty_pct", self.duty.value())
        s.setValue(f"{SETTINGS_GROUP}/pue", self.pue.value())
        s.setValue(f"{SETTINGS_GROUP}/region", self.region.currentData() or "world")
