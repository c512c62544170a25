"""The canvas: drops from the palette, wiring by dragging ports, moving, selecting, deleting."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QFontInfo, QImage, QPainter, QTransform
from PySide6.QtWidgets import QStyleOptionGraphicsItem

from engine.net.spec import INPUT_ID
from gui.editor.palette import mime_for
from tests.gui.helpers import drag_mouse, drop


def _new(window):
    window.actions_.files.new()
    return window.editor


def test_drop_from_palette_adds_the_layer_where_it_falls(window):
    editor = _new(window)
    target = QPointF(40, 300)
    drop(editor.canvas, mime_for("Conv2d"), target)
    layers = editor.doc.current.layers
    assert [layer.type for layer in layers] == ["Conv2d"]
    item = editor.scene.nodes[layers[0].id]
    assert item.sceneBoundingRect().contains(target)
    assert editor.scene.selected_ids() == [layers[0].id]


def test_palette_drag_payload_is_what_the_canvas_reads(window):
    editor = _new(window)
    if not editor.palette.items:
        return  # the engine catalogue has not landed; mime_for covers the payload
    item = editor.palette.items["ReLU"]
    mime = editor.palette.tree.mimeData([item])
    drop(editor.canvas, mime, QPointF(0, 200))
    assert [layer.type for layer in editor.doc.current.layers] == ["ReLU"]


def test_drop_on_a_wire_inserts_the_layer(window):
    editor = _new(window)
    doc = editor.doc
    conv = doc.add_layer("Conv2d", (0, 260))
    doc.connect(INPUT_ID, conv)
    wire = editor.scene.wires[(INPUT_ID, conv, 0)]
    mid = wire.path().pointAtPercent(0.5)
    drop(editor.canvas, mime_for("BatchNorm2d"), mid)
    bn = next(layer.id for layer in doc.current.layers if layer.type == "BatchNorm2d")
    assert doc.current.layer(bn).inputs == [INPUT_ID]
    assert doc.current.layer(conv).inputs == [bn]


def test_drag_from_output_port_to_input_port_connects(window):
    editor = _new(window)
    doc = editor.doc
    conv = doc.add_layer("Conv2d", (0, 300))
    editor.canvas.zoom_fit()
    src = editor.scene.nodes[INPUT_ID].out_port()
    dst = editor.scene.nodes[conv].in_port()
    drag_mouse(editor.canvas, src, dst)
    assert doc.current.layer(conv).inputs == [INPUT_ID]
    assert (INPUT_ID, conv, 0) in editor.scene.wires


def test_moving_a_node_is_one_undoable_edit(window):
    editor = _new(window)
    doc = editor.doc
    conv = doc.add_layer("Conv2d", (0, 300))
    editor.canvas.zoom_fit()
    item = editor.scene.nodes[conv]
    start = item.sceneBoundingRect().center() + QPointF(-60, 0)  # on the card, away from the ports
    drag_mouse(editor.canvas, start, start + QPointF(120, 48))
    x, y = doc.current.layout[conv]
    assert abs(x - 120) < 2 and abs(y - 348) < 2
    doc.undo_stack.undo()
    assert doc.current.layout[conv] == (0.0, 300.0)
    assert item.pos() == QPointF(0, 300)


def test_delete_selection_and_select_all(window):
    editor = _new(window)
    doc = editor.doc
    a = doc.add_layer("Conv2d", (0, 200))
    doc.connect(INPUT_ID, a)
    b = doc.add_layer("ReLU", (0, 400))
    doc.connect(a, b)
    editor.scene.select_ids([a])
    window.actions_.delete.trigger()
    assert doc.current.layer(a) is None
    assert doc.current.layer(b).inputs == [INPUT_ID]
    window.actions_.select_all.trigger()
    window.actions_.delete.trigger()
    assert doc.current.layers == []
    assert INPUT_ID in editor.scene.nodes  # the input is never deleted


def test_copy_paste_duplicates_with_fresh_ids(window):
    editor = _new(window)
    doc = editor.doc
    a = doc.add_layer("Conv2d", (0, 200))
    editor.scene.select_ids([a])
    window.actions_.copy.trigger()
    window.actions_.paste.trigger()
    ids = [layer.id for layer in doc.current.layers]
    assert len(ids) == 2 and len(set(ids)) == 2
    window.actions_.cut.trigger()
    assert len(doc.current.layers) == 1


def test_scene_updates_items_in_place(window):
    editor = _new(window)
    doc = editor.doc
    a = doc.add_layer("Conv2d", (0, 200))
    item = editor.scene.nodes[a]
    doc.set_param(a, "out_channels", 4)
    assert editor.scene.nodes[a] is item  # not rebuilt
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert a not in editor.scene.nodes


def test_rubber_band_selects_several_nodes(window):
    editor = window.editor  # LeNet, laid out in columns
    editor.canvas.zoom_fit()
    nodes = editor.scene.nodes
    first = ["input", "conv1", "relu1"]
    top = nodes["input"].sceneBoundingRect()
    bottom = nodes["relu1"].sceneBoundingRect()
    start = top.topLeft() + QPointF(-20, -20)
    end = QPointF(top.right() - 40, bottom.bottom() - 10)
    drag_mouse(editor.canvas, start, end, steps=6)
    assert set(first) <= set(editor.scene.selected_ids())
    assert "fc3" not in editor.scene.selected_ids()
    assert editor.inspector.pages.currentWidget() is editor.inspector.multi


def test_context_menu_sets_the_output(window):
    editor = window.editor
    actions = editor.scene.context_actions("relu3")
    names = [a.text() for a in actions]
    assert "Set as network output" in names
    next(a for a in actions if a.text() == "Set as network output").trigger()
    assert editor.doc.current.output == "relu3"


def test_read_only_network_refuses_every_gesture(window):
    editor = window.editor
    doc = editor.doc
    doc.set_param("conv1", "out_channels", 8)
    before = doc.spec
    doc.set_read_only(True)
    try:
        assert not window.actions_.undo.isEnabled()
        window.actions_.undo.trigger()
        drop(editor.canvas, mime_for("ReLU"), QPointF(900, 900))
        editor.scene.select_ids(["relu1"])
        window.actions_.delete.trigger()
        editor.canvas.zoom_fit()
        item = editor.scene.nodes["conv1"]
        start = item.sceneBoundingRect().center() + QPointF(-60, 0)
        drag_mouse(editor.canvas, start, start + QPointF(80, 0))
        assert doc.spec == before
        assert item.pos() == QPointF(*before.layout["conv1"])  # snapped back
        assert not editor.inspector.isEnabled() and not editor.palette.isEnabled()
    finally:
        doc.set_read_only(False)
    assert window.actions_.undo.isEnabled()


def test_delete_a_selected_wire(window):
    editor = window.editor
    editor.scene.clearSelection()
    editor.scene.wires[("conv1", "relu1", 0)].setSelected(True)
    window.actions_.delete.trigger()
    assert editor.doc.current.layer("relu1").inputs == []
    assert ("conv1", "relu1", 0) not in editor.scene.wires
    assert editor.doc.analysis.problems_for("relu1")  # a layer with no input is marked


def test_zoom_actions_and_fit(window):
    canvas = window.editor.canvas
    canvas.resetTransform()
    window.actions_.zoom_in.trigger()
    assert canvas.zoom() > 1.0
    window.actions_.zoom_out.trigger()
    window.actions_.zoom_out.trigger()
    assert canvas.zoom() < 1.0
    window.actions_.zoom_fit.trigger()
    visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    assert visible.contains(window.editor.scene.itemsBoundingRect())


def _cards_overlap(editor) -> list[tuple[str, str]]:
    from engine.net import NODE_H, NODE_W
    pos = {k: item.pos() for k, item in editor.scene.nodes.items()}
    ids = sorted(pos)
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]
            if abs(pos[a].x() - pos[b].x()) < NODE_W and abs(pos[a].y() - pos[b].y()) < NODE_H]


def test_drop_on_a_wire_between_close_cards_makes_room(window):
    window.actions_.files.open_preset("lenet")
    editor = window.editor
    spec = editor.doc.current
    src, dst = spec.layers[0].id, spec.layers[1].id
    assert not _cards_overlap(editor)
    mid = editor.scene.wires[(src, dst, 0)].path().pointAtPercent(0.5)
    drop(editor.canvas, mime_for("BatchNorm2d"), mid)
    bn = next(layer.id for layer in editor.doc.current.layers if layer.type == "BatchNorm2d")
    assert editor.doc.current.layer(dst).inputs == [bn]
    assert not _cards_overlap(editor)
    window.actions_.undo.trigger()  # the room made is part of the same undo step
    assert editor.doc.current == spec


class _TextSizes(QPainter):
    """A painter that notes the on-screen pixel size of every text a node draws."""

    def __init__(self, device, zoom: float) -> None:
        super().__init__(device)
        self.zoom, self.sizes, self.texts = zoom, [], []
        self.setWorldTransform(QTransform.fromScale(zoom, zoom))

    def drawText(self, *args) -> None:  # noqa: N802 - Qt's name
        font = self.font()
        px = font.pixelSize() if font.pixelSize() > 0 else QFontInfo(font).pixelSize()
        self.sizes.append(px * self.zoom)
        self.texts.append(args[-1])
        super().drawText(*args)


def _drawn_text(item, zoom: float) -> _TextSizes:
    image = QImage(600, 400, QImage.Format_ARGB32)
    painter = _TextSizes(image, zoom)
    item.paint(painter, QStyleOptionGraphicsItem())
    painter.end()
    return painter


@pytest.mark.parametrize("preset", ["lenet", "resnet9"])
def test_node_text_is_readable_at_fit(window, preset):
    window.actions_.files.open_preset(preset)
    canvas = window.editor.canvas
    canvas.zoom_fit()
    zoom = canvas.zoom()
    for node_id, item in window.editor.scene.nodes.items():
        drawn = _drawn_text(item, zoom)
        assert drawn.sizes, f"{node_id} shows no text at fit"
        assert min(drawn.sizes) >= 9 - 1e-6, f"{node_id}: text {min(drawn.sizes):.1f} px at zoom {zoom:.2f}"


def test_zooming_in_shows_the_details_hidden_at_fit(window):
    window.actions_.files.open_preset("resnet9")
    conv = next(layer for layer in window.doc.current.layers if layer.type == "Conv2d")
    item = window.editor.scene.nodes[conv.id]
    far, near = _drawn_text(item, 0.5), _drawn_text(item, 1.0)
    assert conv.id not in far.texts and conv.id in near.texts  # the id line appears on zoom
    assert any("Conv2d" in t for t in far.texts)
    assert min(near.sizes) >= 9


def test_fit_on_a_net_too_big_to_read_stops_at_a_readable_zoom_from_the_input(window):
    window.actions_.files.open_preset("resnet9")
    canvas = window.editor.canvas
    canvas.resize(400, 300)  # a tiny canvas: resnet9 cannot fit readably
    canvas.zoom_fit()
    from gui.editor.canvas import MIN_FIT_ZOOM
    assert canvas.zoom() == pytest.approx(MIN_FIT_ZOOM)
    visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    assert visible.contains(window.editor.scene.nodes[INPUT_ID].sceneBoundingRect().center())
    canvas.resize(900, 700)
