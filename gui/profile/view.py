"""The Profile tab: where one run's step time goes. Left, the profiled network on its own read-only
canvas, each node coloured by its share of the step with its badge; right, the roofline and the
verdict with the time outside the layers and the layer table. The parts are linked: hovering a
roofline point rings its node, clicking a point, a node or a table row selects the layer in all
three. A profile comes from the Run tab's Profile button or from History's Open profile."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from engine.net import NetworkSpec
from engine.profile import ProfileResult
from gui import plain_text
from gui.editor.canvas import CanvasView
from gui.editor.document import Document
from gui.editor.scene import EditorScene
from gui.profile.overlay import CanvasOverlay
from gui.profile.roofline import RooflinePlot
from gui.profile.summary import ProfileSummary

STYLE = """
QWidget#ProfileTop { background: #FFFFFF; border-bottom: 1px solid #E2E8F0; }
QLabel#PanelTitle { font-size: 13pt; font-weight: 600; color: #0F172A; }
QLabel#Placeholder { color: #94A3B8; font-size: 11pt; }
QLabel#Muted { color: #64748B; }
"""
EMPTY = ("No profile yet. Press Profile on the Run tab (Ctrl+Shift+R) to profile the network in the editor, or "
         "open a profiled run from History (Open profile).")
NO_NETWORK = ("This run did not keep its network, so there is no canvas to colour; the roofline and the table "
              "still show every layer.")


def meta_line(profile: ProfileResult) -> str:
    c, name = profile.config, plain_text.name  # the net, device and run id are the user's (or a file's)
    device = name(profile.device_name or profile.device)
    return (f"{name(profile.net)} on {device} · {c.precision} · batch {c.batch} · {c.mode} · "
            f"{profile.profiled_steps} profiled steps · run {name(profile.run_id)}")


class ProfileView(QWidget):
    cleared = Signal()
    edit_requested = Signal(object, object)  # ProfileResult, NetworkSpec: open the network in the editor

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(STYLE)
        self.profile: ProfileResult | None = None
        self.doc = Document()
        self.doc.set_read_only(True)  # the profiled network as it was: looked at, never edited here
        self.scene = EditorScene(self.doc, self)
        self.canvas = CanvasView(self.scene)
        self.overlay = CanvasOverlay(self.scene, self.canvas, self)
        self.overlay.legend.clear_button.hide()  # this tab's Clear button clears the whole view
        self.roofline = RooflinePlot()
        self.summary = ProfileSummary()

        top = QWidget()
        top.setObjectName("ProfileTop")
        bar = QHBoxLayout(top)
        bar.setContentsMargins(14, 8, 14, 8)
        title = QLabel("Profile")
        title.setObjectName("PanelTitle")
        self.meta = plain_text.plain(QLabel())
        self.meta.setObjectName("Muted")
        self.meta.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # a long name never widens the window
        self.clear_button = QPushButton("Clear profile")
        self.clear_button.setToolTip("Close this profile (the stored profile stays with its run in History)")
        self.clear_button.clicked.connect(self.clear)
        self.edit_button = QPushButton("Open in the editor")
        self.edit_button.setToolTip("Open the profiled network in the editor, coloured by this profile, to change it "
                                    "(an edit hides the colours: they belong to the network as profiled)")
        self.edit_button.clicked.connect(lambda: self.edit_requested.emit(self.profile, self.network))
        bar.addWidget(title)
        bar.addSpacing(12)
        bar.addWidget(self.meta, 1)
        bar.addWidget(self.edit_button)
        bar.addWidget(self.clear_button)

        self.no_network = QLabel(NO_NETWORK)
        self.no_network.setObjectName("Placeholder")
        self.no_network.setWordWrap(True)
        self.no_network.setAlignment(Qt.AlignCenter)
        self.left = QStackedWidget()
        self.left.addWidget(self.canvas)
        self.left.addWidget(self.no_network)
        right = QSplitter(Qt.Vertical)
        right.addWidget(self.roofline)
        right.addWidget(self.summary)
        right.setChildrenCollapsible(False)
        right.setSizes([330, 300])
        right.setMinimumWidth(440)
        self.split = QSplitter(Qt.Horizontal)
        self.split.addWidget(self.left)
        self.split.addWidget(right)
        self.split.setChildrenCollapsible(False)
        self.split.setSizes([560, 700])
        self.left.setMinimumWidth(300)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.split)
        self.empty = QLabel(EMPTY)
        self.empty.setObjectName("Placeholder")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignCenter)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(top)
        layout.addWidget(self.pages, 1)
        self.clear_button.setEnabled(False)
        self.edit_button.setEnabled(False)
        self.network: NetworkSpec | None = None

        self.roofline.hovered.connect(self.overlay.highlight)
        self.roofline.clicked.connect(self.select_layer)
        self.summary.layer_selected.connect(self.select_layer)
        self.scene.selectionChanged.connect(self._canvas_selection)

    def show_profile(self, profile: ProfileResult, network: NetworkSpec | None) -> None:
        """Show `profile`; `network` is the spec that was profiled (None when the run did not keep it)."""
        self.profile, self.network = profile, network
        self.meta.setText(meta_line(profile))
        self.doc.set_read_only(False)
        self.doc.load(network if network is not None else self.doc.current.model_copy(update={"layers": []}))
        self.doc.set_read_only(True)
        if network is not None:
            self.overlay.show(profile, network)
            self.left.setCurrentWidget(self.canvas)
            QTimer.singleShot(0, self.canvas.zoom_fit)  # after the tab has its size
        else:
            self.overlay.clear()
            self.left.setCurrentWidget(self.no_network)
        self.roofline.show_profile(profile)
        self.summary.show_profile(profile)
        self.pages.setCurrentWidget(self.body)
        self.clear_button.setEnabled(True)
        self.edit_button.setEnabled(network is not None)

    def clear(self) -> None:
        self.profile = self.network = None
        self.overlay.clear()
        self.meta.setText("")
        self.pages.setCurrentWidget(self.empty)
        self.clear_button.setEnabled(False)
        self.edit_button.setEnabled(False)
        self.cleared.emit()

    def select_layer(self, layer_id: str) -> None:
        """Select the layer on the canvas, in the table and on the roofline."""
        self.overlay.select(layer_id)
        self.summary.select(layer_id)
        self.roofline.set_ring(layer_id)

    def _canvas_selection(self) -> None:
        ids = self.scene.selected_ids()
        layer_id = ids[0] if len(ids) == 1 else None
        self.summary.select(layer_id)
        self.roofline.set_ring(layer_id)
