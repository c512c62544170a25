"""The summary bar under the canvas: totals of the whole network, updated on every edit.
Parameters, FLOPs per sample, activation memory per sample, weight memory at each precision, and
the number of problems (click to select the first layer with one)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gui.editor import units
from gui.editor.document import Document

BYTES_PER_WEIGHT = (("fp32", 4), ("fp16", 2), ("bf16", 2), ("int8", 1))


class _Stat(QWidget):
    def __init__(self, title: str, tip: str) -> None:
        super().__init__()
        self.value = QLabel("–")
        self.value.setObjectName("StatValue")
        label = QLabel(title)
        label.setObjectName("StatLabel")
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(0)
        v.addWidget(self.value)
        v.addWidget(label)
        self.setToolTip(tip)


class SummaryBar(QFrame):
    problem_clicked = Signal(str)  # the id of the first layer with a problem ('' for the network)

    def __init__(self, doc: Document, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("SummaryBar")
        self.doc = doc
        self.params = _Stat("parameters", "Trainable parameters of the whole network")
        self.flops = _Stat("FLOPs / sample", "Forward pass, per sample; a training step costs about 3×")
        self.act = _Stat("activations / sample", "Memory of every layer's output for one sample at fp32; "
                                                  "training keeps these for the backward pass")
        self.weights = _Stat("weights fp32 · fp16 · bf16 · int8", "Memory of the weights at each precision")
        self.problems = QPushButton()
        self.problems.setObjectName("ProblemsButton")
        self.problems.setCursor(Qt.PointingHandCursor)
        self.problems.clicked.connect(self._first_problem)
        h = QHBoxLayout(self)
        h.setContentsMargins(16, 8, 16, 8)
        h.setSpacing(18)
        for w in (self.params, self.flops, self.act, self.weights):
            h.addWidget(w)
        for label in self.weights.findChildren(QLabel):  # the longest stat wraps in a narrow window (1280x720)
            label.setWordWrap(True)
        h.addStretch(1)
        h.addWidget(self.problems)
        doc.spec_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        a = self.doc.analysis
        self.params.value.setText(f"{a.total_params:,}")
        self.flops.value.setText(units.flops(a.total_flops))
        self.act.value.setText(units.bytes_(a.activation_bytes))
        self.weights.value.setText("  ·  ".join(units.bytes_(a.total_params * b) for _, b in BYTES_PER_WEIGHT))
        n = len(a.problems)
        empty = not self.doc.current.layers  # a fresh canvas is not a mistake: no red alarm
        self.problems.setText("Empty network" if empty else "✓  No problems" if n == 0
                              else f"⚠  {n} problem{'s' if n > 1 else ''}")
        self.problems.setProperty("bad", n > 0 and not empty)
        self.problems.setToolTip("" if n == 0 else "\n".join(str(p) for p in a.problems[:12]))
        self.problems.style().unpolish(self.problems)
        self.problems.style().polish(self.problems)

    def _first_problem(self) -> None:
        problems = self.doc.analysis.problems
        if problems:
            self.problem_clicked.emit(problems[0].layer_id or "")
