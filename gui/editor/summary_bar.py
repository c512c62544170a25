"""The summary bar under the canvas: totals of the whole network, updated on every edit.
Parameters, FLOPs per sample, activation memory per sample, weight memory at each precision, and
the number of problems and warnings (click to select the first layer with one).

While the network has problems the totals count the layers whose shapes are known, and say so:
a half-built network still shows what its valid part costs."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

import engine.format as fmt
from engine.net import Analysis
from gui import plain_text
from gui.editor.document import Document

BYTES_PER_WEIGHT = (("fp32", 4), ("fp16/bf16", 2), ("int8", 1))  # fp16 and bf16 take the same room


@dataclass(frozen=True)
class Totals:
    params: int
    flops: int
    activation_bytes: int
    counted: int  # layers in the totals
    partial: bool  # True: the network has problems; only layers with known shapes are counted


def totals(analysis: Analysis, n_layers: int) -> Totals:
    """The analysis' totals; with problems, the sums over the layers whose shapes are known."""
    if analysis.ok:
        return Totals(analysis.total_params, analysis.total_flops, analysis.activation_bytes,
                      sum(info.feeds_output for info in analysis.layers.values()), False)
    known = [info for info in analysis.layers.values() if info.output_shape is not None]
    return Totals(sum(i.params for i in known), sum(i.flops for i in known), sum(i.activation_bytes for i in known),
                  len(known), n_layers > 0)


class _Stat(QWidget):
    def __init__(self, title: str, tip: str) -> None:
        super().__init__()
        self.title, self.tip = title, tip
        self.value = QLabel(fmt.MISSING)
        self.value.setObjectName("StatValue")
        self.label = QLabel(title)
        self.label.setObjectName("StatLabel")
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(0)
        v.addWidget(self.value)
        v.addWidget(self.label)
        self.setToolTip(tip)

    def show_value(self, text: str, partial_note: str | None, mark: bool = True) -> None:
        self.value.setText(text)
        self.label.setText(f"{self.title} (partial)" if partial_note and mark else self.title)
        self.setToolTip(f"{self.tip}\n\n{partial_note}" if partial_note else self.tip)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        # The bar hides a stat that does not fit (SummaryBar.fit) rather than widening the window.
        return QSize(0, super().minimumSizeHint().height())


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
        self.weights = _Stat("weights fp32 · fp16/bf16 · int8", "Memory of the weights at each precision")
        self.problems = QPushButton()
        self.problems.setObjectName("ProblemsButton")
        self.problems.setCursor(Qt.PointingHandCursor)
        self.problems.clicked.connect(self._first_problem)
        h = QHBoxLayout(self)
        h.setContentsMargins(16, 8, 16, 8)
        h.setSpacing(18)
        for w in (self.params, self.flops, self.act, self.weights):
            h.addWidget(w)
        h.addStretch(1)
        h.addWidget(self.problems)
        doc.spec_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        a = self.doc.analysis
        n_layers = len(self.doc.current.layers)
        t = totals(a, n_layers)
        note = (f"Counts {t.counted} of {n_layers} layers: the others have problems or come after one. "
                "Fix the problems for the full totals.") if t.partial else None
        self.params.show_value(f"{t.params:,}", note)
        self.flops.show_value(fmt.flops(t.flops), note)
        self.act.show_value(fmt.byte_size(t.activation_bytes), note)
        self.weights.show_value(" · ".join(fmt.byte_size(t.params * b) for _, b in BYTES_PER_WEIGHT), note,
                                mark=False)  # weights follow the parameters, marked partial already
        n, w = len(a.problems), len(a.warnings)
        empty = not n_layers  # a fresh canvas is not a mistake: no red alarm
        if empty:
            text, state = "Empty network", "ok"
        elif n:
            text, state = f"⚠  {n} problem{'s' if n > 1 else ''}" + (f", {w} warning{'s' if w > 1 else ''}" if w else ""), "bad"
        elif w:
            text, state = f"⚠  {w} warning{'s' if w > 1 else ''}", "warn"
        else:
            text, state = "✓  No problems", "ok"
        self.problems.setText(text)
        self.problems.setProperty("bad", state == "bad")
        self.problems.setProperty("warn", state == "warn")
        listed = [str(p) for p in a.problems] + [f"warning: {p}" for p in a.warnings]
        self.problems.setToolTip(plain_text.tooltip(
            "\n".join(plain_text.message(line, plain_text.NAME_CHARS_MAX) for line in listed[:12])))
        self.problems.style().unpolish(self.problems)
        self.problems.style().polish(self.problems)
        self.fit()

    def fit(self) -> None:
        """Show the stats that fit beside the problems button, dropping the least needed first
        (weights, then activations), so a narrow window never clips a number."""
        layout = self.layout()
        margins = layout.contentsMargins()
        room = self.width() - margins.left() - margins.right() - self.problems.sizeHint().width()
        stats = [self.params, self.flops, self.act, self.weights]
        for i, stat in enumerate(stats):
            need = stat.sizeHint().width() + layout.spacing()
            keep = i < 2 or (need <= room and stats[i - 1].isVisibleTo(self))  # parameters, FLOPs always
            stat.setVisible(keep)
            if keep:
                room -= need

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.fit()

    def _first_problem(self) -> None:
        a = self.doc.analysis
        first = (a.problems or a.warnings or [None])[0]
        if first is not None:
            self.problem_clicked.emit(first.layer_id or "")
