"""One widget per kind of run option (engine.run.OptionField.control): a choice, a number, a switch,
text, the length (steps or seconds) and the data set. Each reads and writes RunConfig values
(`get(name)`, `put(name, value)`), says when it changed, and shows why an option or one of its
choices is unavailable (`apply(reasons)`, reasons from engine.run.unavailable).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.run import DEFAULT_STEPS, OptionField

INT_MAX = 2**31 - 1


def set_item(combo: QComboBox, index: int, reason: str | None) -> None:
    """Enable or disable one item of a combo box, with the reason as its tooltip."""
    model = combo.model()
    if isinstance(model, QStandardItemModel):
        item = model.item(index)
        item.setEnabled(reason is None)
        item.setToolTip(reason or "")


def _whole(widget: QWidget, f: OptionField, reasons: dict[str, str]) -> None:
    reason = reasons.get(f.name)
    widget.setEnabled(reason is None)
    widget.setToolTip(reason or f.option.tip)


class ChoiceControl(QComboBox):
    changed = Signal()

    def __init__(self, f: OptionField) -> None:
        super().__init__()
        self.f, self.names = f, (f.name,)
        values = ((None,) if f.nullable else ()) + f.choices
        for v in values:
            self.addItem(f.choice_label(v), v)
        # Sized to the column, not to the longest choice: the open list is as wide as it needs.
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        self.view().setMinimumWidth(self.view().sizeHintForColumn(0) + 24)
        self.put(f.name, f.default)
        self.currentIndexChanged.connect(self.changed)

    def get(self, _name: str) -> Any:
        return self.currentData()

    def put(self, _name: str, value: Any) -> None:
        i = self.findData(value)
        if i >= 0:
            self.setCurrentIndex(i)

    def apply(self, reasons: dict[str, str]) -> None:
        _whole(self, self.f, reasons)
        for i in range(self.count()):
            set_item(self, i, reasons.get(f"{self.f.name}:{self.f.format(self.itemData(i))}"))
        if f"{self.f.name}:{self.f.format(self.currentData())}" in reasons:  # fall back to the first allowed
            allowed = [i for i in range(self.count()) if f"{self.f.name}:{self.f.format(self.itemData(i))}"
                       not in reasons]
            if allowed:
                self.setCurrentIndex(allowed[0])


def _number(f: OptionField, box: QSpinBox | QDoubleSpinBox, step: float) -> None:
    b = f.bounds
    low = b.low if b.low is not None else 0
    if b.low_open:
        low += step
    high = f.option.gui_max if f.option.gui_max is not None else (b.high if b.high is not None else INT_MAX)
    if f.nullable and f.control != "length":  # one step below the lowest value stands for None ("auto", "off")
        low -= step
        box.setSpecialValueText(f.option.none_label)
    box.setRange(low, high)
    if f.option.suffix:
        box.setSuffix(f.option.suffix)


class IntControl(QSpinBox):
    changed = Signal()

    def __init__(self, f: OptionField) -> None:
        super().__init__()
        self.f, self.names = f, (f.name,)
        _number(f, self, 1)
        self.setAccelerated(True)
        self.put(f.name, f.default)
        self.valueChanged.connect(self.changed)

    def get(self, _name: str) -> int | None:
        return None if self.f.nullable and self.value() == self.minimum() else self.value()

    def put(self, _name: str, value: Any) -> None:
        self.setValue(self.minimum() if value is None else int(value))

    def apply(self, reasons: dict[str, str]) -> None:
        _whole(self, self.f, reasons)


class FloatControl(QDoubleSpinBox):
    changed = Signal()

    def __init__(self, f: OptionField) -> None:
        super().__init__()
        self.f, self.names = f, (f.name,)
        self.setDecimals(f.option.decimals)
        _number(f, self, 10.0 ** -f.option.decimals)
        self.put(f.name, f.default)
        self.valueChanged.connect(self.changed)

    def get(self, _name: str) -> float | None:
        return None if self.f.nullable and self.value() == self.minimum() else self.value()

    def put(self, _name: str, value: Any) -> None:
        self.setValue(self.minimum() if value is None else float(value))

    def apply(self, reasons: dict[str, str]) -> None:
        _whole(self, self.f, reasons)


class BoolControl(QCheckBox):
    changed = Signal()

    def __init__(self, f: OptionField) -> None:
        super().__init__(f.label)
        self.f, self.names = f, (f.name,)
        self.put(f.name, f.default)
        self.toggled.connect(self.changed)

    def get(self, _name: str) -> bool:
        return self.isChecked()

    def put(self, _name: str, value: Any) -> None:
        self.setChecked(bool(value))

    def apply(self, reasons: dict[str, str]) -> None:
        _whole(self, self.f, reasons)


class TextControl(QLineEdit):
    changed = Signal()

    def __init__(self, f: OptionField) -> None:
        super().__init__(str(f.default or ""))
        self.f, self.names = f, (f.name,)
        if f.nullable:  # empty means none ("off"); the placeholder says so and shows the format
            self.setPlaceholderText(f"{f.option.none_label}" + (f" (e.g. {f.option.metavar})" if f.option.metavar else ""))
        self.textChanged.connect(self.changed)

    def get(self, _name: str) -> str | None:
        text = self.text().strip()
        if self.f.nullable and text.lower() in ("", self.f.option.none_label.lower()):
            return None
        return text

    def put(self, _name: str, value: Any) -> None:
        self.setText("" if value is None else str(value))

    def apply(self, reasons: dict[str, str]) -> None:
        _whole(self, self.f, reasons)


def _row(*widgets: QWidget, stretch_first: bool = True) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    for i, w in enumerate(widgets):
        row.addWidget(w, 1 if (i == 0 and stretch_first) else 0)
    return row


class LengthControl(QWidget):
    """The timed length: a number of steps or of seconds (the two fields are exclusive)."""
    changed = Signal()

    def __init__(self, steps: OptionField, seconds: OptionField) -> None:
        super().__init__()
        self.f, self.names = steps, (steps.name, seconds.name)
        self.steps, self.seconds = IntControl(steps), FloatControl(seconds)
        self.steps.setValue(DEFAULT_STEPS)
        self.seconds.setValue(30)
        self.kind = QComboBox()
        self.kind.addItem("steps", steps.name)
        self.kind.addItem("seconds", seconds.name)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.steps)
        self.stack.addWidget(self.seconds)
        self.setLayout(_row(self.stack, self.kind))
        self.kind.currentIndexChanged.connect(self.stack.setCurrentIndex)
        for w in (self.steps, self.seconds):
            w.changed.connect(self.changed)
        self.kind.currentIndexChanged.connect(self.changed)

    def get(self, name: str) -> Any:
        if self.kind.currentData() != name:
            return None
        return self.steps.get(name) if name == self.names[0] else self.seconds.get(name)

    def put(self, name: str, value: Any) -> None:
        if value is None:
            return
        (self.steps if name == self.names[0] else self.seconds).put(name, value)
        self.kind.setCurrentIndex(self.kind.findData(name))

    def apply(self, reasons: dict[str, str]) -> None:
        self.setToolTip(self.f.option.tip)


class DatasetControl(QWidget):
    """The data set: its kind, and a folder for those read from disk ("mnist:/data/mnist")."""
    changed = Signal()

    def __init__(self, f: OptionField, pathless: tuple[str, ...]) -> None:
        super().__init__()
        self.f, self.names, self.pathless = f, (f.name,), pathless
        self.kind = QComboBox()
        for key, label in f.option.choices.items():
            self.kind.addItem(label, key)
        self.kind.setMinimumContentsLength(12)  # long labels elide instead of widening the panel
        self.kind.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.kind.view().setMinimumWidth(360)
        self.path = QLineEdit()
        self.path.setPlaceholderText("folder with the data set")
        self.browse = QToolButton()
        self.browse.setText("Browse…")
        self.browse.clicked.connect(self._browse)
        self.path_row = QWidget()
        self.path_row.setLayout(_row(self.path, self.browse))
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.kind)
        col.addWidget(self.path_row)
        self.put(f.name, f.default)
        self.kind.currentIndexChanged.connect(self.changed)
        self.path.textChanged.connect(self.changed)

    def get(self, _name: str) -> str:
        kind = self.kind.currentData()
        return kind if kind in self.pathless else f"{kind}:{self.path.text().strip()}"

    def put(self, _name: str, value: Any) -> None:
        kind, _, path = str(value).partition(":")
        i = self.kind.findData(kind)
        if i >= 0:
            self.kind.setCurrentIndex(i)
            self.path.setText(path)

    def problem(self) -> str | None:
        """What is missing before the data set can be read, in words, or None."""
        if self.kind.currentData() in self.pathless:
            return None
        path = self.path.text().strip()
        if not path:
            return f"Data: choose the {self.kind.currentText().split(' (')[0]} folder (Browse…)"
        if not Path(path).expanduser().exists():
            return f"Data: {path} does not exist"
        return None

    def apply(self, reasons: dict[str, str]) -> None:
        self.path_row.setVisible(self.kind.currentData() not in self.pathless)
        self.kind.setToolTip(self.f.option.tip)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Data set folder", self.path.text() or str(Path.home()))
        if path:
            self.path.setText(path)


class WeightsControl(QWidget):
    """Weights to start from: none (random), one of the stored runs that kept theirs, or a file."""
    changed = Signal()
    FILE = "\x00file"  # the "a file…" entry's data: never a run id

    def __init__(self, f: OptionField) -> None:
        super().__init__()
        self.f, self.names = f, (f.name,)
        self.source = QComboBox()
        self.source.setMinimumContentsLength(12)
        self.source.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.path = QLineEdit()
        self.path.setPlaceholderText("a .safetensors file")
        self.browse = QToolButton()
        self.browse.setText("Browse…")
        self.browse.clicked.connect(self._browse)
        self.path_row = QWidget()
        self.path_row.setLayout(_row(self.path, self.browse))
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.source)
        col.addWidget(self.path_row)
        self.refresh()
        self.source.currentIndexChanged.connect(self.changed)
        self.path.textChanged.connect(self.changed)

    def refresh(self) -> None:
        """List the stored runs that kept their weights (newest first), keeping the current choice."""
        from engine.run import kept_weight_runs
        current = self.get(self.f.name) if self.source.count() else None
        self.source.blockSignals(True)
        self.source.clear()
        self.source.addItem("random (from the seed)", None)
        for run_id, _path in kept_weight_runs():
            self.source.addItem(f"from run {run_id}", run_id)
        self.source.addItem("a weights file…", self.FILE)
        self.source.blockSignals(False)
        self.put(self.f.name, current)

    def get(self, _name: str) -> str | None:
        data = self.source.currentData()
        if data == self.FILE:
            return self.path.text().strip() or None
        return data

    def put(self, _name: str, value: Any) -> None:
        if value is None:
            self.source.setCurrentIndex(0)
        elif (i := self.source.findData(value)) >= 0:
            self.source.setCurrentIndex(i)
        else:  # a file, or a run whose weights are gone: shown as typed, the run refuses it by name
            self.source.setCurrentIndex(self.source.findData(self.FILE))
            self.path.setText(str(value))
        self.path_row.setVisible(self.source.currentData() == self.FILE)

    def apply(self, reasons: dict[str, str]) -> None:
        self.path_row.setVisible(self.source.currentData() == self.FILE)
        _whole(self.source, self.f, reasons)

    def showEvent(self, event) -> None:  # runs kept since the panel was built appear
        self.refresh()
        super().showEvent(event)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Weights file", self.path.text() or str(Path.home()),
                                              "Weights (*.safetensors)")
        if path:
            self.path.setText(path)


KINDS = {"choice": ChoiceControl, "int": IntControl, "float": FloatControl, "bool": BoolControl,
         "text": TextControl, "weights": WeightsControl}
