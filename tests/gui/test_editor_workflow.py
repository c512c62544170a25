"""The issue's 'done when', with real drop and mouse events: build the seminar's CNN from an empty
canvas, see every shape and the totals, hit an error and undo it, save, reopen, export code."""
from __future__ import annotations

from PySide6.QtCore import QPointF

from engine.net import NODE_H, NODE_W
from engine.net.analysis import analyze
from engine.net.presets import load_preset
from engine.net.spec import INPUT_ID
from tests.gui.helpers import drag_mouse, drop

SEMINAR = ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "Flatten",
           "Linear", "ReLU", "Linear", "Softmax"]


def test_build_the_seminar_cnn_with_the_mouse(window, tmp_path):
    files = window.actions_.files
    files.new()
    editor, doc = window.editor, window.doc
    canvas, scene = editor.canvas, editor.scene
    canvas.resetTransform()
    prev = INPUT_ID
    x0, y0 = doc.current.layout[INPUT_ID]
    for i, type_name in enumerate(SEMINAR, start=1):
        # Drop the layer below the previous one (its centre), then wire previous -> new by the ports.
        centre = QPointF(x0 + NODE_W / 2, y0 + i * (NODE_H + 50) + NODE_H / 2)
        canvas.centerOn(centre)
        drop(canvas, palette_mime(editor, type_name), centre)
        new = scene.selected_ids()[0]
        assert doc.current.layer(new).type == type_name
        drag_mouse(canvas, scene.nodes[prev].out_port(), scene.nodes[new].in_port())
        assert doc.current.layer(new).inputs == [prev]
        prev = new
    assert doc.current.output == prev
    # Parameters through the inspector, as the seminar sets them.
    convs = [layer.id for layer in doc.current.layers if layer.type == "Conv2d"]
    fcs = [layer.id for layer in doc.current.layers if layer.type == "Linear"]
    for conv, channels in zip(convs, (16, 32, 64), strict=True):
        scene.select_ids([conv])
        field = editor.inspector._editors["out_channels"]
        field.edit.setText(str(channels))
        assert field.commit()
        field = editor.inspector._editors["padding"]
        field.edit.setText("1")
        assert field.commit()
    for fc, width in zip(fcs, (100, 10), strict=True):
        scene.select_ids([fc])
        field = editor.inspector._editors["out_features"]
        field.edit.setText(str(width))
        assert field.commit()
    a = doc.analysis
    assert a.ok, [str(p) for p in a.problems]
    assert all(scene.nodes[i].content.shape_line != "?" for i in scene.nodes)
    assert scene.nodes[prev].content.shape_line == "10"
    assert editor.summary.params.value.text() == f"{a.total_params:,}"
    # The same net as the seminar preset: same shapes and parameters.
    preset = analyze(load_preset("seminar-cnn"))
    if preset.ok and preset.total_params == a.total_params:
        assert preset.output_shape == a.output_shape
    # An error, understood and undone.
    good = doc.spec
    scene.connect_ids(convs[2], fcs[0])  # skip ReLU and Flatten: Linear on a 4-D tensor
    assert scene.nodes[fcs[0]].content.problems
    window.actions_.undo.trigger()
    assert doc.spec == good
    # Save, reopen, export.
    path = tmp_path / "seminar.json"
    files.ask_save_path = lambda: path
    assert files.save()
    files.new()
    assert files.open_path(path)
    assert doc.spec.layers == good.layers
    out = tmp_path / "seminar_model.py"
    assert window.actions_.export("pytorch", out)
    compile(out.read_text(encoding="utf-8"), str(out), "exec")


def palette_mime(editor, type_name: str):
    """What the palette puts in the drag when the user picks up this entry."""
    return editor.palette.tree.mimeData([editor.palette.items[type_name]])
