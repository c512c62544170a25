"""The sweep grid form: devices x precisions x batches x modes x levers, with a length per run.

Qt only, torch-free: it builds an `engine.sweep.grid.Grid` (which checks it) and says what is wrong in
words a user can act on. `changed` fires on every edit so the dialog can redraw the plan."""
from __future__ import annotations

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from engine.sweep import BadSweep, Grid

PRECISION_CHOICES = ("fp32", "tf32", "fp16", "bf16")
COMPILE_CHOICES = (("none", None), ("default", "default"), ("reduce-overhead", "reduce-overhead"))


def _checks(options, checked) -> tuple[QWidget, list[QCheckBox]]:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    boxes = []
    for label, value in options:
        cb = QCheckBox(label)
        cb.setProperty("value", value)
        cb.setChecked(value in checked)
        row.addWidget(cb)
        boxes.append(cb)
    row.addStretch(1)
    return box, boxes


class SweepForm(QWidget):
    changed = Signal()

    def __init__(self, network: str, display_name: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.network, self.display_name = network, display_name or network
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        net = QLabel(self.display_name)
        net.setToolTip(self.network)
        net.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form.addRow("Network", net)
        self.devices_box, self.device_checks = _checks([("CPU", "cpu")], {"cpu"})
        form.addRow("Devices", self.devices_box)
        box, self.precision_checks = _checks([(p, p) for p in PRECISION_CHOICES], {"fp32"})
        form.addRow("Precisions", box)
        self.batches = QLineEdit("32,256,1024")
        self.batches.setPlaceholderText("comma list, e.g. 32,256,1024")
        form.addRow("Batch sizes", self.batches)
        box, self.mode_checks = _checks([("train", "train"), ("infer", "infer")], {"train"})
        form.addRow("Modes", box)
        box, self.cl_checks = _checks([("contiguous", False), ("channels-last", True)], {False})
        form.addRow("Memory format", box)
        box, self.compile_checks = _checks(COMPILE_CHOICES, {None})
        form.addRow("torch.compile", box)
        length = QWidget()
        lrow = QHBoxLayout(length)
        lrow.setContentsMargins(0, 0, 0, 0)
        self.length_value = QDoubleSpinBox(decimals=0, minimum=1, maximum=100_000, value=5)
        self.length_unit = QComboBox()
        self.length_unit.addItems(["seconds", "steps"])
        lrow.addWidget(self.length_value)
        lrow.addWidget(self.length_unit)
        lrow.addStretch(1)
        form.addRow("Length per run", length)
        self.cooldown = QDoubleSpinBox(decimals=0, minimum=0, maximum=600, value=5, suffix=" s")
        self.cooldown.setToolTip("Rest between runs, so the heat of one run does not bias the next")
        self.cooldown.setMaximumWidth(120)
        self.length_value.setMaximumWidth(120)
        form.addRow("Cool-down", self.cooldown)

        for cb in self._all_checks():
            cb.toggled.connect(self.changed)
        self.batches.textChanged.connect(self.changed)
        for w in (self.length_value, self.cooldown):
            w.valueChanged.connect(self.changed)
        self.length_unit.currentIndexChanged.connect(self.changed)

    def _all_checks(self) -> list[QCheckBox]:
        return self.device_checks + self.precision_checks + self.mode_checks + self.cl_checks + self.compile_checks

    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        """Offer these (key, label) devices, e.g. from gui.run.devices' inventory; CPU stays checked."""
        row = self.devices_box.layout()
        for cb in self.device_checks:
            row.removeWidget(cb)
            cb.deleteLater()
        self.device_checks = []
        for i, (key, label) in enumerate(devices):
            cb = QCheckBox(label)
            cb.setProperty("value", key)
            cb.setChecked(key == "cpu")
            cb.toggled.connect(self.changed)
            row.insertWidget(i, cb)
            self.device_checks.append(cb)
        self.changed.emit()

    @staticmethod
    def _chosen(boxes: list[QCheckBox]) -> list:
        return [cb.property("value") for cb in boxes if cb.isChecked()]

    def grid(self) -> Grid:
        """The grid the form describes; raises ValueError with a message for the user."""
        try:
            batches = [int(b) for b in self.batches.text().replace(" ", "").split(",") if b]
        except ValueError:
            raise ValueError("Batch sizes: give whole numbers separated by commas, e.g. 32,256,1024") from None
        names = {"devices": "Devices", "precisions": "Precisions", "batches": "Batch sizes", "modes": "Modes",
                 "channels_last": "Memory format", "compile_modes": "torch.compile"}
        length = self.length_value.value()
        by_seconds = self.length_unit.currentText() == "seconds"
        try:
            grid = Grid(network=self.network, devices=self._chosen(self.device_checks),
                        precisions=self._chosen(self.precision_checks), batches=batches,
                        modes=self._chosen(self.mode_checks), channels_last=self._chosen(self.cl_checks),
                        compile_modes=self._chosen(self.compile_checks), seconds=length if by_seconds else None,
                        steps=None if by_seconds else int(length), cooldown_s=self.cooldown.value())
            grid.configs()
        except ValidationError as exc:
            err = exc.errors()[0]
            field = names.get(str(err["loc"][0]), str(err["loc"][0])) if err["loc"] else "Grid"
            msg = "choose at least one" if err["type"] == "too_short" else err["msg"]
            raise ValueError(f"{field}: {msg}") from None
        except BadSweep as exc:
            raise ValueError(str(exc)) from None
        return grid
