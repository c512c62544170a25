"""The run panel's choice of several devices (RunConfig `devices` and `processes`): one device (the
Device choice above), several GPUs of this machine ticked in a list fed by the inventory, or CPU
processes. Several GPUs is disabled, with the reason, on a machine with fewer than two.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QListWidget, QListWidgetItem, QSpinBox, QVBoxLayout, QWidget

from engine.run import OptionField
from gui.run.devices import LOOKING, Inventory
from gui.run.option_controls import set_item

ONE, GPUS, CPU = "one", "gpus", "cpu"
KIND_LABELS = {ONE: "One device (the Device above)", GPUS: "Several GPUs (one process each)",
               CPU: "CPU processes"}
KIND_TIPS = {ONE: "The run uses the one device chosen above",
             GPUS: "Each ticked GPU runs one process: a copy of the net on its own batch (data parallel, gradients "
                   "all-reduced over NCCL) or one stage of it (pipeline). Pays when one GPU is busy all the time",
             CPU: "This many processes on this machine's CPU (gloo): data parallel or pipeline stages. Pays only "
                  "with more cores than one process keeps busy"}


class DevicesControl(QWidget):
    """`devices` and `processes` in one control (they are chosen together)."""
    changed = Signal()

    def __init__(self, f: OptionField, processes: OptionField | None) -> None:
        super().__init__()
        self.f, self.processes_field = f, processes
        self.names = (f.name,) + ((processes.name,) if processes is not None else ())
        self.kind = QComboBox()
        for key, label in KIND_LABELS.items():
            self.kind.addItem(label, key)
            self.kind.setItemData(self.kind.count() - 1, KIND_TIPS[key], Qt.ToolTipRole)
        self.kind.setMinimumContentsLength(12)  # long labels elide instead of widening the panel
        self.kind.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.kind.view().setMinimumWidth(300)
        self.gpus = QListWidget()
        self.gpus.setObjectName("GpuChoice")
        self.gpus.setToolTip("Tick the GPUs the job runs on (two or more): one process each")
        self.count = QSpinBox()
        self.count.setRange(2, int(processes.option.gui_max or 256) if processes is not None else 256)
        self.count.setSuffix(" processes")
        self.count.setToolTip(processes.option.tip if processes is not None else "")
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        col.addWidget(self.kind)
        col.addWidget(self.gpus)
        col.addWidget(self.count)
        self._wanted: list[str] = []  # GPUs asked for (remembered settings) before the inventory lists them
        self._no_gpus_reason: str | None = LOOKING
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.gpus.itemChanged.connect(lambda _item: self.changed.emit())
        self.count.valueChanged.connect(self.changed)
        self._show_parts()

    # --- the inventory ------------------------------------------------------------------------
    def set_inventory(self, inv: Inventory) -> None:
        chosen = self.chosen_gpus() or self._wanted
        gpus = [d for d in inv.devices if d.key != "cpu"]
        self.blockSignals(True)
        self.gpus.clear()
        for d in gpus:
            item = QListWidgetItem(d.label)
            item.setData(Qt.UserRole, d.key)
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if d.key in chosen or not chosen else Qt.Unchecked)
            self.gpus.addItem(item)
        rows = max(1, min(len(gpus), 4))
        self.gpus.setFixedHeight(rows * max(18, self.gpus.sizeHintForRow(0)) + 2 * self.gpus.frameWidth() + 2)
        if inv.no_gpu_reason == LOOKING and not inv.error:
            self._no_gpus_reason = LOOKING  # the inventory job has not answered: keep what was asked for
        elif len(gpus) >= 2:
            self._no_gpus_reason = None
            self._wanted = []
        else:
            have = "no GPU" if not gpus else "one GPU"
            self._no_gpus_reason = f"this machine has {have}: several GPUs need two or more"
            if self.kind.currentData() == GPUS:
                self.kind.setCurrentIndex(self.kind.findData(ONE))
        self.blockSignals(False)
        self._apply_kind_reasons()
        self._show_parts()

    def chosen_gpus(self) -> list[str]:
        return [self.gpus.item(i).data(Qt.UserRole) for i in range(self.gpus.count())
                if self.gpus.item(i).checkState() == Qt.Checked]

    # --- values -------------------------------------------------------------------------------
    def get(self, name: str) -> Any:
        kind = self.kind.currentData()
        if name == self.f.name:
            if kind == GPUS:
                return self.chosen_gpus() or list(self._wanted) or None
            return ["cpu"] if kind == CPU else None
        return self.count.value() if kind == CPU else None

    def put(self, name: str, value: Any) -> None:
        if name != self.f.name:
            if value is not None:
                self.count.setValue(int(value))
            return
        devices = list(value or [])
        if not devices:
            self.kind.setCurrentIndex(self.kind.findData(ONE))
        elif devices == ["cpu"]:
            self.kind.setCurrentIndex(self.kind.findData(CPU))
        else:
            listed = {self.gpus.item(i).data(Qt.UserRole) for i in range(self.gpus.count())}
            if listed:
                for i in range(self.gpus.count()):
                    item = self.gpus.item(i)
                    item.setCheckState(Qt.Checked if item.data(Qt.UserRole) in devices else Qt.Unchecked)
            else:  # the inventory has not come yet: ticked when it lists them
                self._wanted = devices
            if listed or self._no_gpus_reason == LOOKING:
                self.kind.setCurrentIndex(self.kind.findData(GPUS))
        self._show_parts()

    # --- rules --------------------------------------------------------------------------------
    def apply(self, reasons: dict[str, str]) -> None:
        reason = reasons.get(self.f.name)
        self.kind.setEnabled(reason is None)
        self.kind.setToolTip(reason or self.f.option.tip)
        self._apply_kind_reasons()

    def _apply_kind_reasons(self) -> None:
        waiting = self._no_gpus_reason == LOOKING
        set_item(self.kind, self.kind.findData(GPUS), None if waiting else self._no_gpus_reason)

    def _kind_changed(self, _index: int) -> None:
        self._show_parts()
        self.changed.emit()

    def _show_parts(self) -> None:
        kind = self.kind.currentData()
        self.gpus.setVisible(kind == GPUS)
        self.count.setVisible(kind == CPU)
