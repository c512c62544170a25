"""The run options form, built from RunConfig: one control per option offered in the GUI (labels,
tooltips, bounds and choices come from the schema), -> RunConfig.

Options the chosen device, precision or mode cannot do are disabled with the reason in their
tooltip; the rules are the engine's (engine.run.unavailable), so the GUI and a run agree.
"""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.run import PATHLESS_DATASETS, RunConfig, Target, option_fields, unavailable
from gui import plain_text
from gui.run.device_choice import DevicesControl
from gui.run.devices import LOOKING, Device, Inventory, cpu_only
from gui.run.option_controls import KINDS, DatasetControl, LengthControl, set_item


class DeviceControl(QComboBox):
    """The devices of the inventory; the first GPU until the user picks one."""
    changed = Signal()

    def __init__(self, f) -> None:
        super().__init__()
        self.f, self.names = f, (f.name,)
        self.user_picked = False
        self.activated.connect(lambda _i: setattr(self, "user_picked", True))
        self.setMinimumContentsLength(12)  # long labels elide instead of widening the panel
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.view().setMinimumWidth(360)
        self.currentIndexChanged.connect(self.changed)

    def set_inventory(self, inv: Inventory) -> None:
        current = self.currentData()
        self.blockSignals(True)
        self.clear()
        for d in inv.devices:
            self.addItem(d.label, d.key)
        if inv.no_gpu_reason:
            self.addItem(f"GPU · none ({inv.no_gpu_reason})", None)
            set_item(self, self.count() - 1, f"No GPU: {inv.no_gpu_reason}")
        keys = [d.key for d in inv.devices]
        first = keys[1] if len(keys) > 1 else "cpu"
        self.setCurrentIndex(keys.index(current if self.user_picked and current in keys else first))
        self.blockSignals(False)

    def get(self, _name: str) -> str:
        return self.currentData() or "cpu"

    def put(self, _name: str, value: Any) -> None:
        i = self.findData(value)
        if i >= 0:
            self.setCurrentIndex(i)

    def apply(self, reasons: dict[str, str]) -> None:
        reason = reasons.get(self.f.name)
        self.setEnabled(reason is None)
        self.setToolTip(reason or self.f.option.tip)


class RunOptions(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None, schema: type[RunConfig] = RunConfig) -> None:
        super().__init__(parent)
        self.schema = schema
        self.fields = option_fields(schema, "gui")
        self.inventory: Inventory = cpu_only(reason=LOOKING)
        self.input_shape: list[int] | None = None
        self.reasons: dict[str, str] = {}
        self.controls: dict[str, Any] = {}  # field name -> its control (steps and seconds share one)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        # Each label above its control: long labels ("Processes (CPU data parallel)") never widen the
        # settings past their column, and every control gets the column's full width.
        form.setRowWrapPolicy(QFormLayout.WrapAllRows)
        form.setLabelAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        form.setVerticalSpacing(4)
        for name, f in self.fields.items():
            if name in self.controls:
                continue
            control = self._make(f)
            for n in control.names:
                self.controls[n] = control
            form.addRow("" if f.control == "bool" else f.label, control)
            if (label := form.labelForField(control)) is not None:
                label.setToolTip(f.option.tip)
            control.changed.connect(self._on_change)
        self.device: DeviceControl = self.controls["device"]
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(form)
        self.device_note = plain_text.plain(QLabel())  # quotes driver and inventory errors
        self.device_note.setObjectName("Muted")
        self.device_note.setWordWrap(True)
        outer.addWidget(self.device_note)
        self.set_inventory(self.inventory)

    def _make(self, f) -> Any:
        if f.control == "device":
            return DeviceControl(f)
        if f.control == "devices":  # with the CPU processes: one choice of how many devices
            return DevicesControl(f, self.fields.get("processes"))
        if f.control == "length":
            steps, seconds = (g for g in self.fields.values() if g.control == "length")
            return LengthControl(steps, seconds)
        if f.control == "dataset":
            return DatasetControl(f, PATHLESS_DATASETS)
        return KINDS[f.control](f)

    # --- inputs -------------------------------------------------------------------------------
    def set_inventory(self, inv: Inventory) -> None:
        self.inventory = inv
        self.device.set_inventory(inv)
        if isinstance(self.controls.get("devices"), DevicesControl):
            self.controls["devices"].set_inventory(inv)
        if "threads" in self.controls:
            self.controls["threads"].setMaximum(max(1, inv.cpu.cores or 1024))
        self._on_change()

    def set_input_shape(self, shape: list[int] | None) -> None:
        self.input_shape = shape
        self._on_change()

    def current_device(self) -> Device:
        """The device the run would run on: the first of several chosen, else the Device choice."""
        several = self.value("devices") if "devices" in self.controls else None
        key = several[0] if several else self.device.get("device")
        return self.inventory.device(key) or self.inventory.cpu

    def set_batch(self, batch: int) -> None:
        self.set_value("batch", batch)

    # --- values -------------------------------------------------------------------------------
    def value(self, name: str) -> Any:
        """The value of one option as the form shows it."""
        return self.controls[name].get(name)

    def set_value(self, name: str, value: Any) -> None:
        self.controls[name].put(name, value)

    def values(self) -> dict[str, Any]:
        """Every option of the form; one its device or mode rules out keeps its default."""
        out = {name: self.value(name) for name in self.controls}
        for name in out:
            if name in self.reasons:
                out[name] = self.fields[name].default
        return out

    def dataset_problem(self) -> str | None:
        return self.controls["dataset"].problem() if "dataset" in self.controls else None

    def config(self) -> RunConfig:
        """The RunConfig the form describes; raises ValueError with a message naming the option."""
        try:
            return self.schema(**self.values())
        except ValidationError as exc:
            err = exc.errors()[0]
            name = str(err["loc"][0]) if err.get("loc") else ""
            label = self.fields[name].label if name in self.fields else "Settings"
            raise ValueError(f"{label}: {err.get('msg', 'invalid').removeprefix('Value error, ')}") from None

    # --- capability rules ---------------------------------------------------------------------
    def _on_change(self, *_args) -> None:
        device = self.current_device()
        target = Target(device.key, device.compute_capability,
                        tuple(self.input_shape) if self.input_shape is not None else None)
        raw = {name: self.value(name) for name in self.controls}
        self.reasons = unavailable(raw, target)
        if raw.get("devices"):
            self.reasons["device"] = "the devices chosen under Devices run this job (the first is its device)"
        for control in dict.fromkeys(self.controls.values()):
            control.blockSignals(True)  # a fallback choice must not re-enter here
            control.apply(self.reasons)
            control.blockSignals(False)
        note = []
        if self.inventory.error:
            note.append(f"The GPU list could not be gathered: {self.inventory.error}")
        elif device.key == "cpu" and self.inventory.no_gpu_reason:
            note.append(f"No GPU: {self.inventory.no_gpu_reason}.")
        self.device_note.setText(plain_text.message(" ".join(note)))
        self.device_note.setVisible(bool(note))
        self.changed.emit()

    def set_enabled_for_run(self, enabled: bool) -> None:
        for w in self.findChildren(QWidget):
            if isinstance(w, (QComboBox, QSpinBox, QDoubleSpinBox, QLineEdit, QCheckBox, QToolButton, QPushButton)):
                w.setEnabled(enabled)
        if enabled:
            self._on_change()
