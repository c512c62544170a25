"""The editor at scale: a 300-layer spec opens, lays out and renders in under 1 s; after
an edit, the shapes of all nodes update in under 50 ms.

Builds a ResNet-like spec of 300 layers (conv-bn-relu blocks with residual Adds), then times, in
one offscreen main window: load (analysis + auto layout) + scene build + fit + one full render;
then single-parameter edits at the top of the network (every node downstream changes shape) and
their undo, from the call to the scene and inspector being up to date.

    .venv/bin/python bench/bench_editor_scale.py
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.net.spec import InputSpec, LayerSpec, NetworkSpec  # noqa: E402


def big_spec(n_layers: int = 300) -> NetworkSpec:
    layers: list[LayerSpec] = []
    prev, block_in, width = "input", "input", 16
    while len(layers) < n_layers - 4:
        i = len(layers)
        layers.append(LayerSpec(id=f"conv{i}", type="Conv2d", inputs=[prev],
                                params={"out_channels": width, "kernel_size": 3, "padding": 1}))
        layers.append(LayerSpec(id=f"bn{i}", type="BatchNorm2d", inputs=[f"conv{i}"]))
        layers.append(LayerSpec(id=f"relu{i}", type="ReLU", inputs=[f"bn{i}"]))
        prev = f"relu{i}"
        if (i // 3) % 2 == 1 and block_in != "input":
            layers.append(LayerSpec(id=f"add{i}", type="Add", inputs=[prev, block_in]))
            prev = f"add{i}"
        block_in = prev
    tail = [LayerSpec(id="gap", type="AdaptiveAvgPool2d", params={"output_size": 1}, inputs=[prev]),
            LayerSpec(id="flat", type="Flatten", inputs=["gap"]),
            LayerSpec(id="fc", type="Linear", params={"out_features": 10}, inputs=["flat"])]
    layers = layers[: n_layers - len(tail)] + tail
    # Trimming may cut a block mid-way: rewire the tail to the last kept layer.
    tail[0].inputs = [layers[-len(tail) - 1].id]
    return NetworkSpec(name="deep300", input=InputSpec(shape=[3, 32, 32]), num_classes=10, layers=layers,
                       output="fc")


def render(view) -> None:
    img = QImage(view.viewport().size(), QImage.Format_ARGB32_Premultiplied)
    p = QPainter(img)
    view.render(p)
    p.end()


def main() -> int:
    app = QApplication([])
    from gui.app import create_window
    from gui.resources import theme
    theme.apply(app)
    window = create_window()
    window.resize(1440, 900)
    window.show()
    app.processEvents()
    spec = big_spec()
    doc, editor = window.doc, window.editor
    t0 = time.perf_counter()
    doc.load(spec)
    t_load = time.perf_counter()
    editor.canvas.zoom_fit()
    render(editor.canvas)
    app.processEvents()
    t_end = time.perf_counter()
    problems = len(doc.analysis.problems)
    print(f"{len(spec.layers)} layers ({problems} problems): load+analyse+layout {1000 * (t_load - t0):.0f} ms, "
          f"scene+fit+render {1000 * (t_end - t_load):.0f} ms, total {1000 * (t_end - t0):.0f} ms (limit 1000 ms)")
    first_conv = spec.layers[0].id
    editor.scene.select_ids([first_conv])
    times, painted = [], []
    for width in (24, 32, 8, 48, 16, 64, 12, 20, 28, 36):
        t = time.perf_counter()
        doc.set_param(first_conv, "out_channels", width)
        times.append(time.perf_counter() - t)
        render(editor.canvas)  # and the frame that shows it (the whole net is in view)
        painted.append(time.perf_counter() - t)
    undo = []
    for _ in range(5):
        t = time.perf_counter()
        doc.undo_stack.undo()
        undo.append(time.perf_counter() - t)
    last = doc.analysis.layers.get("fc")
    print(f"edit -> all shapes updated: median {1000 * statistics.median(times):.1f} ms, "
          f"max {1000 * max(times):.1f} ms over {len(times)} edits (limit 50 ms); "
          f"undo median {1000 * statistics.median(undo):.1f} ms; fc output {last.output_shape if last else None}")
    print(f"edit + repaint of the whole network in view: median {1000 * statistics.median(painted):.1f} ms, "
          f"max {1000 * max(painted):.1f} ms")
    window.actions_.files.confirm_discard = lambda: True
    window.close()
    ok = (t_end - t0) < 1.0 and statistics.median(times) < 0.05
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
