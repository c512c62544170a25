"""A profile on the canvas and in the Profile tab: colours and badges per layer with the profile's
numbers, the legend, re-layout keeps it, an edit makes it stale (undo brings it back), Clear removes
it; the roofline's roofs and points, hovering a point rings its node, clicking selects it."""
from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

import engine.format as fmt
from engine.net import load_preset
from gui.profile.marks import marks_for, scale_color
from tests.gui.profile_fixture import make_profile


@pytest.fixture
def resnet9():
    return load_preset("resnet9")


def test_the_colour_scale_darkens_with_the_share_and_the_largest_layer_is_darkest(resnet9):
    profile = make_profile(resnet9)
    marks = marks_for(profile)
    by_share = sorted(profile.layers, key=lambda layer: layer.share)
    lightness = [marks[layer.id].color.lightnessF() for layer in by_share]
    assert lightness == sorted(lightness, reverse=True)
    assert marks[by_share[-1].id].fill == scale_color(1.0).name()
    assert scale_color(0.0).lightnessF() > 0.85 > 0.3 > scale_color(1.0).lightnessF()


def test_every_profiled_node_shows_its_own_time_share_and_bound(editor, resnet9):
    from gui.profile.overlay import CanvasOverlay
    editor.doc.load(resnet9)
    profile = make_profile(resnet9)
    overlay = CanvasOverlay(editor.scene, editor.canvas)
    overlay.show(profile, editor.doc.current)
    nodes = editor.scene.nodes
    for layer in profile.layers:
        mark = nodes[layer.id].mark
        assert mark is not None, layer.id
        assert mark.badge == f"{fmt.seconds(layer.time_s)} · {fmt.pct(layer.share)} · {layer.bound}"
        assert fmt.pct(layer.share) in nodes[layer.id].toolTip()
    assert nodes["input"].mark is None  # the input is no layer: nothing timed there
    largest = profile.largest()
    assert nodes[largest.id].mark.color.lightnessF() == min(n.mark.color.lightnessF() for n in nodes.values() if n.mark)
    assert overlay.legend.isVisible() and overlay.legend.high.text() == fmt.pct(largest.share)
    assert "resnet9" in overlay.legend.source.text() and "NVIDIA H200" in overlay.legend.source.text()
    overlay.clear()
    assert all(n.mark is None for n in nodes.values()) and not overlay.legend.isVisible()


def test_re_layout_keeps_the_profile_an_edit_makes_it_stale_and_undo_restores_it(editor, resnet9):
    from gui.profile.overlay import CanvasOverlay
    doc = editor.doc
    doc.load(resnet9)
    profile = make_profile(resnet9)
    overlay = CanvasOverlay(editor.scene, editor.canvas)
    overlay.show(profile, doc.current)
    x, y = doc.position("conv2")
    assert doc.move({"conv2": (x + 300, y + 40)})
    assert doc.tidy() or True  # tidy may find nothing to change; either way the network is the same
    assert not overlay.stale and editor.scene.nodes["conv2"].mark is not None
    assert doc.set_param("conv2", "out_channels", 96)
    assert overlay.stale
    assert all(n.mark is None for n in editor.scene.nodes.values())  # a changed network: no colour may lie
    assert overlay.legend.isVisible() and overlay.legend.stale and "changed" in overlay.legend.stale_text.text()
    assert not overlay.legend.bar.isVisible()
    doc.undo_stack.undo()
    assert not overlay.stale and editor.scene.nodes["conv2"].mark is not None
    doc.remove(["relu1"])  # a deleted node, then undone: the new item gets its mark back
    assert overlay.stale
    doc.undo_stack.undo()
    assert editor.scene.nodes["relu1"].mark is not None
    overlay.legend.clear_button.click()
    assert overlay.profile is None and editor.scene.nodes["relu1"].mark is None


@pytest.fixture(scope="module")
def _view(qapp):
    """One Profile tab for the module (building it takes a second on a loaded machine)."""
    from gui.profile.view import ProfileView
    v = ProfileView()
    v.resize(1200, 640)
    v.show()
    yield v
    v.close()
    v.deleteLater()


@pytest.fixture
def view(_view, qtbot):
    _view.clear()
    _view.roofline.hover(None)
    qtbot.waitExposed(_view)
    return _view


def test_roofline_draws_the_roofs_and_one_point_per_layer_with_flops(view, resnet9):
    profile = make_profile(resnet9)
    view.show_profile(profile, resnet9)
    roofline = view.roofline
    on_chart = {layer.id for layer in profile.layers if layer.intensity_flop_per_byte}
    assert set(roofline.positions) == on_chart and "flatten1" not in on_chart
    assert {p.data() for p in roofline.dots.points()} == on_chart
    conv = next(layer for layer in profile.layers if layer.id == "conv2")
    assert roofline.positions["conv2"] == pytest.approx((math.log10(conv.intensity_flop_per_byte),
                                                         math.log10(conv.achieved_flops_per_s)))
    xs, ys = roofline.roof.getData()
    peaks = profile.peaks
    assert max(ys) == pytest.approx(math.log10(peaks.flops_per_s))  # the compute roof
    assert ys[0] == pytest.approx(math.log10(peaks.bytes_per_s) + xs[0])  # the memory roof: bandwidth × intensity
    assert "670 TFLOP/s" in roofline.roof_labels[0].textItem.toPlainText()
    assert "flatten1" in roofline.off_chart.text()
    brushes = {p.data(): p.brush().color().name() for p in roofline.dots.points()}
    assert brushes["conv2"] != brushes["bn1"]  # compute-bound and memory-bound differ in colour


def test_hovering_a_point_rings_its_node_and_names_the_layer(view, qtbot, resnet9):
    profile = make_profile(resnet9)
    view.show_profile(profile, resnet9)
    qtbot.wait(50)
    plot = view.roofline.widget
    vb = plot.getPlotItem().getViewBox()
    target = plot.mapFromScene(vb.mapViewToScene(QPointF(*view.roofline.positions["conv1"])))
    for dx in (3, 0):  # a move onto the point from beside it: the scene's hover event reaches the scatter
        event = QMouseEvent(QEvent.MouseMove, QPointF(target.x() + dx, target.y()),
                            plot.viewport().mapToGlobal(QPointF(target.x() + dx, target.y())),
                            Qt.NoButton, Qt.NoButton, Qt.NoModifier)
        QApplication.sendEvent(plot.viewport(), event)
    qtbot.waitUntil(lambda: view.roofline.hovered_id is not None, timeout=2000)
    hovered = view.roofline.hovered_id
    assert hovered == "conv1"  # the one point at its intensity (the fixture puts it alone)
    assert view.scene.nodes[hovered].highlighted
    assert sum(n.highlighted for n in view.scene.nodes.values()) == 1
    assert view.roofline.name.isVisible() and hovered in view.roofline.name.textItem.toPlainText()
    view.roofline.hover("conv5")
    assert view.scene.nodes["conv5"].highlighted and not view.scene.nodes[hovered].highlighted
    view.roofline.hover(None)
    assert not any(n.highlighted for n in view.scene.nodes.values()) and not view.roofline.name.isVisible()


def test_clicking_a_point_selects_the_layer_on_the_canvas_and_in_the_table(view, resnet9):
    view.show_profile(make_profile(resnet9), resnet9)
    view.roofline.clicked.emit("conv5")
    assert view.scene.selected_ids() == ["conv5"]
    rows = view.summary.table.selectionModel().selectedRows()
    assert [view.summary.table.item(r.row(), 0).text() for r in rows] == ["conv5"]
    assert view.roofline.ring.points()[0].pos().x() == pytest.approx(view.roofline.positions["conv5"][0])
    view.summary.table.selectRow(0)  # the table's largest layer: selected on the canvas too
    assert view.scene.selected_ids() == [view.summary.table.item(0, 0).text()]


def test_summary_states_the_verdict_the_time_outside_layers_and_the_sums(view, resnet9):
    profile = make_profile(resnet9)
    view.show_profile(profile, resnet9)
    s = view.summary
    assert s.verdict.text() == "Compute-bound" and s.reason.text() == profile.verdict_reason
    o = profile.other
    for word, value in (("optimizer", o.optimizer_s), ("loss", o.loss_s), ("data", o.data_s), ("idle", o.idle_s)):
        assert f"{word} {fmt.seconds(value)}" in s.other.text()
    assert fmt.seconds(profile.unprofiled_step_time_s) in s.sums.text()
    assert fmt.seconds(profile.layer_time_s()) in s.sums.text() and "1.60× slower" in s.sums.text()
    assert "of the unprofiled run's step" in s.sums.text() and "idle is the rest" in s.sums.text()
    assert "not a throughput figure" in s.notes.text()
    assert s.table.rowCount() == len(profile.layers)
    assert s.table.item(0, 0).text() == profile.largest().id
    assert "profiled steps" in view.meta.text() and "bf16" in view.meta.text()
    view.clear()
    assert view.pages.currentWidget() is view.empty and not view.clear_button.isEnabled()


def test_a_run_without_its_network_still_shows_roofline_and_table(view, resnet9):
    view.show_profile(make_profile(resnet9), None)
    assert view.left.currentWidget() is view.no_network
    assert view.summary.table.rowCount() > 0 and view.roofline.positions
    view.roofline.hover("conv2")  # no canvas: nothing to ring, nothing breaks
    assert not view.scene.nodes.get("conv2")


def test_zoomed_out_cards_still_carry_the_share(editor, resnet9, qtbot):
    from gui.profile.overlay import CanvasOverlay
    editor.doc.load(resnet9)
    overlay = CanvasOverlay(editor.scene, editor.canvas)
    overlay.show(make_profile(resnet9), editor.doc.current)
    editor.canvas.resetTransform()
    editor.canvas.scale(0.5, 0.5)
    item = editor.scene.nodes["conv2"]
    editor.canvas.centerOn(item)
    qtbot.wait(50)
    image = editor.canvas.grab().toImage()
    center = editor.canvas.mapFromScene(item.sceneBoundingRect().center() + QPointF(-60, 0))
    assert image.pixelColor(center.x(), center.y()).name() == item.mark.fill  # the whole card in the share's colour
    overlay.clear()


@pytest.mark.parametrize("key", ["probe", "megabyte_html", "rtl_override", "newlines", "surrogate_high"])
def test_hostile_names_in_a_profile_are_shown_as_short_plain_text(view, resnet9, key, tmp_path):
    from gui import plain_text
    from tests.gui.rich_text_probe import ImageProbe, labels_longer_than, rich_text_leaks
    from tests.hostile_strings import HOSTILE
    probe = ImageProbe(tmp_path)
    text = probe.markup if key == "probe" else HOSTILE[key]
    profile = make_profile(resnet9)
    profile.net = profile.device_name = profile.run_id = profile.verdict_reason = text
    profile.notes = [text]
    profile.layers[0].id = profile.layers[0].type = text
    profile.layers[-1].intensity_flop_per_byte = None  # off the chart: its id is listed under it
    profile.layers[-1].id = text + "2"
    view.show_profile(profile, resnet9)
    view.roofline.hover(text)
    view.grab()
    assert rich_text_leaks(view, text) == [] and not probe.was_read()
    assert labels_longer_than(view, plain_text.MESSAGE_CHARS_MAX + 400) == []
    assert len(view.roofline.name.textItem.toPlainText()) < 1000
    assert view.minimumSizeHint().width() < 1100  # the window keeps fitting a 1280-pixel screen
