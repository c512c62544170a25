"""The run settings a user last started with, remembered between launches (QSettings, group "run").
The device is not remembered: the app picks the first GPU, else the CPU."""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

from gui.editor.settings import settings

# option attribute -> how its value is read and written
_FIELDS = ("precision", "batch", "mode", "length_kind", "steps", "seconds", "warmup", "dataset", "data_path",
           "channels_last", "compile", "cudnn", "threads")


def _get(widget: Any) -> Any:
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        return widget.value()
    if isinstance(widget, QLineEdit):
        return widget.text()
    return None


def _set(widget: Any, value: Any) -> None:
    """Apply a stored value; one that no longer fits (an option gone, a bad type) is ignored."""
    try:
        if isinstance(widget, QComboBox):
            index = widget.findText(str(value))
            if index >= 0:
                widget.setCurrentIndex(index)
        elif isinstance(widget, QCheckBox):
            widget.setChecked(str(value).lower() in ("true", "1"))
        elif isinstance(widget, QSpinBox):
            widget.setValue(int(float(value)))
        elif isinstance(widget, QDoubleSpinBox):
            widget.setValue(float(value))
        elif isinstance(widget, QLineEdit):
            widget.setText(str(value))
    except (TypeError, ValueError):
        return  # a hand-edited settings file: keep the default


def save_run_options(options: Any) -> None:
    s = settings()
    s.beginGroup("run")
    for name in _FIELDS:
        value = _get(getattr(options, name, None))
        if value is not None:
            s.setValue(name, value)
    s.endGroup()


def restore_run_options(options: Any) -> None:
    s = settings()
    s.beginGroup("run")
    for name in _FIELDS:
        widget = getattr(options, name, None)
        if widget is not None and s.contains(name):
            _set(widget, s.value(name))
    s.endGroup()
