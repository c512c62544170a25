"""The sweep grid form, built from RunConfig: one row per sweep axis (check boxes for choices and
switches, a comma list for numbers), the length per run and the cool-down.

Qt only, torch-free: it builds an `engine.sweep.Grid` (which checks it) and says what is wrong in
words a user can act on. `changed` fires on every edit so the dialog can redraw the plan."""
from __future__ import annotations

from typing import Any

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
    QVBoxLayout,
    QWidget,
)

from engine.run import RunConfig, option_fields
from engine.sweep import BadSweep, axis_names, grid_class
from gui import plain_text

# Check boxes wrap to a new line past this width, so long choice labels ("direct loop (slow, for
# teaching)") show in full and the form stays narrow enough for a 1280-pixel screen.
CHECKS_ROW_PX = 460


def _lay_out(box: QWidget, boxes: list[QCheckBox]) -> None:
    """Put the check boxes into box's column of rows, a new row wherever the next would pass CHECKS_ROW_PX."""
    rows = box.layout()
    while rows.count():  # drop the old rows (their check boxes are the caller's to delete)
        rows.takeAt(0).layout().deleteLater()
    row, used_px = None, 0
    for cb in boxes:
        w = cb.sizeHint().width() + 12
        if row is None or (used_px and used_px + w > CHECKS_ROW_PX):
            if row is not None:
                row.addStretch(1)
            row, used_px = QHBoxLayout(), 0
            rows.addLayout(row)
        row.addWidget(cb)
        used_px += w
    if row is not None:
        row.addStretch(1)


def _checks(options, checked) -> tuple[QWidget, list[QCheckBox]]:
    box = QWidget()
    rows = QVBoxLayout(box)
    rows.setContentsMargins(0, 0, 0, 0)
    rows.setSpacing(2)
    boxes = []
    for label, value in options:
        cb = QCheckBox(label)
        cb.setProperty("value", value)
        cb.setChecked(value in checked)
        boxes.append(cb)
    _lay_out(box, boxes)
    return box, boxes


class SweepForm(QWidget):
    changed = Signal()

    def __init__(self, network: str, display_name: str | None = None, parent=None,
                 schema: type[RunConfig] = RunConfig) -> None:
        super().__init__(parent)
        self.network, self.display_name, self.schema = network, display_name or network, schema
        self.fields = option_fields(schema, "sweep")
        self.checks: dict[str, list[QCheckBox]] = {}  # axis -> its check boxes (choices, switches, devices)
        self.lists: dict[str, QLineEdit] = {}  # axis -> its comma list (numbers)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        net = plain_text.plain(QLabel(plain_text.name(self.display_name)))
        net.setToolTip(plain_text.tooltip(self.network))
        net.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form.addRow("Network", net)
        for name in axis_names(schema):
            f = self.fields[name]
            # Numbers, and free text such as pruning ("off,unstructured:0.5,structured:0.5"), are typed as a
            # comma list: a check box per value offered pruning only its "off".
            if (f.base in (int, float) and not f.choices) or f.control == "text":
                edit = QLineEdit(",".join(f.format(v) for v in f.axis_default))
                edit.setPlaceholderText("comma list, e.g. " + ",".join(f.format(v) for v in f.axis_default))
                edit.textChanged.connect(self.changed)
                self.lists[name] = edit
                widget = edit
            else:
                values = [False, True] if f.base is bool else ([None] if f.nullable else []) + list(f.choices)
                if f.control == "device":
                    values = list(f.axis_default)
                widget, self.checks[name] = _checks([(f.choice_label(v), v) for v in values], set(f.axis_default))
                for cb in self.checks[name]:
                    cb.toggled.connect(self.changed)
            widget.setToolTip(f.option.tip)
            form.addRow(f.label, widget)
        self.devices_box = self.checks["device"][0].parentWidget()
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
        for w in (self.length_value, self.cooldown):
            w.valueChanged.connect(self.changed)
        self.length_unit.currentIndexChanged.connect(self.changed)

    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        """Offer these (key, label) devices, e.g. from gui.run.devices' inventory; CPU stays checked."""
        for cb in self.checks["device"]:
            cb.hide()
            cb.deleteLater()
        self.checks["device"] = []
        for key, label in devices:
            cb = QCheckBox(label, self.devices_box)
            cb.setProperty("value", key)
            cb.setChecked(key == "cpu")
            cb.toggled.connect(self.changed)
            self.checks["device"].append(cb)
        _lay_out(self.devices_box, self.checks["device"])
        self.changed.emit()

    def axis_values(self, name: str) -> list[Any]:
        """The values chosen for one axis; ValueError naming the row when they cannot be read."""
        f = self.fields[name]
        if name in self.checks:
            values = [cb.property("value") for cb in self.checks[name] if cb.isChecked()]
        else:
            try:
                values = [f.parse(t) for t in self.lists[name].text().split(",") if t.strip()]
            except ValueError as exc:
                raise ValueError(f"{f.label}: {exc}") from None
        if not values:
            raise ValueError(f"{f.label}: choose at least one")
        return values

    def grid(self) -> Any:
        """The grid the form describes; raises ValueError with a message for the user."""
        axes = {name: self.axis_values(name) for name in axis_names(self.schema)}
        length = self.length_value.value()
        fixed = {"seconds": length} if self.length_unit.currentText() == "seconds" else {"steps": int(length)}
        try:
            grid = grid_class(self.schema)(network=self.network, axes=axes, fixed=fixed,
                                           cooldown_s=self.cooldown.value())
            grid.configs()
        except ValidationError as exc:
            raise ValueError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
        except BadSweep as exc:
            raise ValueError(str(exc)) from None
        return grid
