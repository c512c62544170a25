"""A stand-in for the editor's Document (same contract: spec, current, analysis, set_read_only and the
signals) holding the LeNet preset, for run-panel tests and the live-chart benchmark that must not
depend on the editor's undo machinery. `set_problems` makes the network invalid on demand."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from engine.net.analysis import Analysis, Problem, analyze
from engine.net.presets import load_preset
from engine.net.spec import NetworkSpec


def lenet_analysis() -> Analysis:
    return analyze(load_preset("lenet"))


class StaticDocument(QObject):
    spec_changed = Signal()
    read_only_changed = Signal(bool)

    def __init__(self, spec: NetworkSpec | None = None) -> None:
        super().__init__()
        self._spec = spec or load_preset("lenet")
        self._analysis = analyze(self._spec)
        self.read_only = False

    @property
    def spec(self) -> NetworkSpec:
        return self._spec.model_copy(deep=True)

    @property
    def current(self) -> NetworkSpec:
        """The spec without a copy (read only), as Document.current."""
        return self._spec

    @property
    def analysis(self) -> Analysis:
        return self._analysis

    def set_read_only(self, value: bool) -> None:
        if value != self.read_only:
            self.read_only = value
            self.read_only_changed.emit(value)

    def set_problems(self, problems: list[Problem]) -> None:
        """Make the network invalid (or valid again with [])."""
        self._analysis.problems = list(problems)
        self.spec_changed.emit()
