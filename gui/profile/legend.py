"""The key to a profile on the canvas, floating in its top-left corner: the colour scale from 0 to
the largest layer's share, what the badge says, and, when the network was edited after it was
profiled, that the colours are gone and why. It carries the Clear action."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QLinearGradient, QPainter
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

import engine.format as fmt
from gui import plain_text
from gui.profile.marks import BOUND_COLORS, SCALE

WIDTH_PX = 340
STYLE = """
QFrame#ProfileLegend { background: rgba(255, 255, 255, 235); border: 1px solid #CBD5E1; border-radius: 8px; }
QFrame#ProfileLegend[stale="true"] { background: rgba(255, 251, 235, 240); border: 1px solid #F59E0B; }
QLabel#LegendTitle { font-weight: 600; color: #0F172A; }
QLabel#LegendText { color: #475569; }
QLabel#LegendStale { color: #92400E; }
"""


class ScaleBar(QWidget):
    """The colour scale itself, left (0 %) to right (the largest share)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(180, 12)

    def paintEvent(self, _event) -> None:  # noqa: N802 -- Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        gradient = QLinearGradient(0, 0, self.width(), 0)
        for i, color in enumerate(SCALE):
            gradient.setColorAt(i / (len(SCALE) - 1), color)
        p.setPen(Qt.NoPen)
        p.setBrush(gradient)
        p.drawRoundedRect(QRectF(0, 0, self.width(), self.height()), 4, 4)


class ProfileLegend(QFrame):
    clear_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ProfileLegend")
        self.setStyleSheet(STYLE)
        self.title = QLabel("Share of step time")
        self.title.setObjectName("LegendTitle")
        self.source = plain_text.plain(QLabel())  # the network, device and settings profiled (one line)
        self.source.setObjectName("LegendText")
        self.low, self.high = QLabel("0 %"), QLabel()
        for label in (self.low, self.high):
            label.setObjectName("LegendText")
        self.bar = ScaleBar()
        self.key = QLabel("bound: " + " · ".join(f"<span style='color:{c}'>●</span> {b}"
                                                 for b, c in BOUND_COLORS.items()))
        self.key.setObjectName("LegendText")
        self.setToolTip("Each node is coloured by its share of the profiled step's time; its badge reads time per "
                        "step · share of the step · bound (zoomed out: the share, and the bound as a dot)")
        self.stale_text = plain_text.plain(QLabel())
        self.stale_text.setObjectName("LegendStale")
        self.stale_text.setWordWrap(True)
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear profile")
        self.clear_button.setToolTip("Remove the profile's colours and badges from the canvas")
        self.clear_button.clicked.connect(self.clear_requested)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.clear_button)
        scale = QHBoxLayout()
        scale.addWidget(self.low)
        scale.addWidget(self.bar)
        scale.addWidget(self.high)
        scale.addStretch(1)
        col = QVBoxLayout(self)
        col.setContentsMargins(10, 6, 10, 8)
        col.setSpacing(3)
        col.addLayout(head)
        col.addWidget(self.source)
        col.addLayout(scale)
        col.addWidget(self.key)
        col.addWidget(self.stale_text)
        self.hide()

    def show_scale(self, source: str, top_share: float) -> None:
        self.source.setText(self.source.fontMetrics().elidedText(source, Qt.ElideRight, WIDTH_PX - 24))
        self.source.setToolTip(plain_text.tooltip(source))
        self.high.setText(fmt.pct(top_share))
        self._set_stale("")

    def show_stale(self, why: str) -> None:
        self._set_stale(why)

    def _set_stale(self, why: str) -> None:
        stale = bool(why)
        self.stale_text.setText(why)
        for w in (self.low, self.bar, self.high, self.key):
            w.setVisible(not stale)
        self.stale_text.setVisible(stale)
        self.setProperty("stale", "true" if stale else "false")
        self.style().unpolish(self)
        self.style().polish(self)
        self.fit()

    def fit(self) -> None:
        """A fixed width, and the height its wrapped lines need (adjustSize ignores a child's wrapping)."""
        layout = self.layout()
        layout.activate()
        self.resize(WIDTH_PX, layout.heightForWidth(WIDTH_PX) if layout.hasHeightForWidth()
                    else layout.sizeHint().height())

    @property
    def stale(self) -> bool:
        return self.property("stale") == "true"
