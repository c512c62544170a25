"""A profile laid over a canvas: each profiled node gets its mark (colour by share of the step
time, badge), a legend floats in the canvas's corner, and a roofline point under the mouse rings its
node. The marks belong to the node items, so re-layout (moving, tidying) keeps them; any edit that
changes the network itself (a layer, a parameter, a wire, the input) takes them off and the legend
says the profile is stale, because a profile of another network would lie. Undoing back to the
profiled network brings them back."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Signal

from engine.net import NetworkSpec, copy_spec
from gui import plain_text
from gui.editor.canvas import CanvasView
from gui.editor.scene import EditorScene
from gui.profile.legend import ProfileLegend
from gui.profile.marks import ProfileMark, marks_for, scale_top

if TYPE_CHECKING:  # the model loads with the first profile, not with the window
    from engine.profile import ProfileResult

STALE = ("The network changed after it was profiled, so its profile colours are hidden. Undo the edit to see "
         "them again, or profile it again.")
LEGEND_MARGIN_PX = 10


def same_network(a: NetworkSpec, b: NetworkSpec) -> bool:
    """The same layers, parameters, wiring, input and output: where nodes sit and the name do not count."""
    return (a.layers == b.layers and a.input == b.input and a.output == b.output
            and a.num_classes == b.num_classes)


class CanvasOverlay(QObject):
    changed = Signal()  # shown, stale or cleared

    def __init__(self, scene: EditorScene, canvas: CanvasView, parent: QObject | None = None) -> None:
        super().__init__(parent or scene)
        self.scene, self.canvas = scene, canvas
        self.profile: ProfileResult | None = None
        self.marks: dict[str, ProfileMark] = {}
        self._network: NetworkSpec | None = None  # what was profiled
        self.stale = False
        self._highlighted: str | None = None
        self._source = ""  # what the legend says was profiled
        # A child of the view, not of its viewport: scrolling moves the viewport's children with the scene.
        self.legend = ProfileLegend(canvas)
        self.legend.clear_requested.connect(self.clear)
        canvas.installEventFilter(self)
        canvas.viewport().installEventFilter(self)
        scene.doc.spec_changed.connect(self._sync)

    @property
    def active(self) -> bool:
        return self.profile is not None

    def show(self, profile: ProfileResult, network: NetworkSpec) -> None:
        """Lay `profile` over the canvas; `network` is the spec that was profiled."""
        self.profile, self._network = profile, copy_spec(network)
        self.marks = marks_for(profile)
        c, device = profile.config, plain_text.name(profile.device_name or profile.device)
        self._source = f"{plain_text.name(profile.net)} on {device} · {c.precision} · batch {c.batch} · {c.mode}"
        self.legend.show_scale(self._source, scale_top(profile))
        self.legend.show()
        self._sync()

    def clear(self) -> None:
        self.profile, self._network, self.marks, self.stale = None, None, {}, False
        self.highlight(None)
        for item in self.scene.nodes.values():
            item.set_mark(None)
        self.legend.hide()
        self.changed.emit()

    def _sync(self) -> None:
        """After every edit (and on show): marks on when the canvas shows the profiled network."""
        if self.profile is None:
            return
        self.stale = not same_network(self.scene.doc.current, self._network)
        for node_id, item in self.scene.nodes.items():
            item.set_mark(None if self.stale else self.marks.get(node_id))
        if self.stale:
            self.highlight(None)
            self.legend.show_stale(STALE)
        else:
            self.legend.show_scale(self._source, scale_top(self.profile))
        self._place_legend()
        self.changed.emit()

    # --- the link with the roofline ------------------------------------------------------------
    def highlight(self, layer_id: str | None) -> None:
        """Ring the node of `layer_id` (None: no ring)."""
        if self.stale:
            layer_id = None
        for node_id in {self._highlighted, layer_id} - {None}:
            if (item := self.scene.nodes.get(node_id)) is not None:
                item.set_highlight(node_id == layer_id)
        self._highlighted = layer_id

    def select(self, layer_id: str) -> None:
        """Select the node and bring it into view."""
        if not self.stale and (item := self.scene.nodes.get(layer_id)) is not None:
            self.scene.select_ids([layer_id])
            self.canvas.ensureVisible(item, 60, 60)

    # --- the legend stays in the corner -----------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 -- Qt's name
        if event.type() in (QEvent.Resize, QEvent.Show):
            self._place_legend()
        return False

    def _place_legend(self) -> None:
        # Bottom right: a laid-out network runs in columns from the top left, so the corner is the emptiest.
        self.legend.fit()
        vp = self.canvas.viewport().geometry()
        self.legend.move(max(0, vp.right() - self.legend.width() - LEGEND_MARGIN_PX),
                         max(0, vp.bottom() - self.legend.height() - LEGEND_MARGIN_PX))
        self.legend.raise_()
