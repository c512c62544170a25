"""The binarized layers in the editor: their own palette group, icons, tooltips that say the speed is simulated."""
from __future__ import annotations

from PySide6.QtCore import QPointF

from gui.editor.icons import layer_icon
from gui.editor.palette import mime_for
from tests.gui.helpers import drop


def test_binarized_layers_have_a_group_icons_and_tooltips_and_drop_onto_the_canvas(window):
    window.actions_.files.new()
    editor = window.editor
    items = editor.palette.items
    for name in ("BinConv2d", "BinLinear"):
        item = items[name]
        assert item.parent().text(0) == "Binarized"
        tip = item.toolTip(0)
        assert "XNOR-Net" in tip and "simulated" in tip and "out_" in tip  # what it does, and its parameters
    images = {name: layer_icon(name, "Binarized").pixmap(40, 40).toImage() for name in ("BinConv2d", "BinLinear")}
    assert images["BinConv2d"] != images["BinLinear"]
    assert images["BinConv2d"] != layer_icon("Conv2d", "Convolution").pixmap(40, 40).toImage()
    drop(editor.canvas, mime_for("BinConv2d"), QPointF(40, 300))
    (layer,) = editor.doc.current.layers
    assert layer.type == "BinConv2d"


def test_the_inspector_gives_a_binarized_layers_compute_as_binary_operations(window):
    assert window.actions_.files.open_preset("lenet-binary")
    editor = window.editor
    editor.scene.select_ids(["conv2"])
    text = editor.inspector.layer_stats.text()
    assert "binary ops" in text and "XNOR + popcount" in text and "FLOPs" not in text
    editor.scene.select_ids(["conv1"])  # a plain convolution keeps its FLOPs
    text = editor.inspector.layer_stats.text()
    assert "FLOPs" in text and "binary ops" not in text
