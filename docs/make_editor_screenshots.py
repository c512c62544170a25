"""Render the editor screenshots in docs/ (offscreen): empty, LeNet, ResNet-9 at fit, a layer dropped
on a wire, a dangling branch (a warning) and a marked error.

    .venv/bin/python docs/make_editor_screenshots.py
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TRADEOFF_LAB_DATA", tempfile.mkdtemp(prefix="tradeoff-shots-"))
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

SIZE = (1440, 900)


def settle(app: QApplication, n: int = 6) -> None:
    for _ in range(n):
        app.processEvents()


def shot(window, app, name: str) -> Path:
    settle(app)
    out = ROOT / "docs" / f"editor-{name}.png"
    window.grab().save(str(out))
    print(f"wrote {out.relative_to(ROOT)}")
    return out


def main() -> int:
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp(prefix="tradeoff-settings-"))
    app = QApplication([])
    from gui.app import create_window
    from gui.resources import theme
    theme.apply(app)
    window = create_window()
    window.resize(*SIZE)
    window.show()
    files, editor, doc = window.actions_.files, window.editor, window.doc
    files.confirm_discard = lambda: True

    def fail(title: str, text: str) -> None:  # no modal dialog offscreen: report and stop
        raise SystemExit(f"{title}: {text}")
    files.show_error = fail

    files.new()
    settle(app)
    shot(window, app, "empty")

    files.open_preset("lenet")
    settle(app)
    editor.canvas.zoom_fit()
    first_conv = next(layer.id for layer in doc.current.layers if layer.type == "Conv2d")
    editor.scene.select_ids([first_conv])
    shot(window, app, "lenet")

    files.open_preset("resnet9")
    settle(app)
    editor.canvas.zoom_fit()
    adds = [layer.id for layer in doc.current.layers if layer.type == "Add"]
    if adds:
        editor.scene.select_ids(adds[:1])
    shot(window, app, "resnet9")

    # A BatchNorm dropped on the wire between LeNet's first two layers: the cards below make room.
    files.open_preset("lenet")
    settle(app)
    editor.canvas.zoom_fit()
    from gui.editor.palette import mime_for
    src, dst = doc.current.layers[0].id, doc.current.layers[1].id
    editor.scene.drop_layer(mime_for("BatchNorm2d"), editor.scene.wires[(src, dst, 0)].path().pointAtPercent(0.5))
    editor.canvas.zoom_fit()
    shot(window, app, "wire-drop")

    # A dangling branch: a layer that feeds nothing is a warning, not "No problems".
    files.open_preset("lenet")
    settle(app)
    x, y = doc.position(first_conv)
    side = doc.add_layer("ReLU", (x - 250, y + 130), inputs=[first_conv])
    editor.canvas.zoom_fit()
    editor.scene.select_ids([side])
    shot(window, app, "warning")

    # A marked error: LeNet with its Flatten deleted, so a Linear layer gets a 4-D input.
    files.open_preset("lenet")
    settle(app)
    flat = next((layer.id for layer in doc.current.layers if layer.type == "Flatten"), None)
    if flat:
        consumer = next(layer.id for layer in doc.current.layers if flat in layer.inputs)
        doc.remove([flat])
        editor.scene.select_ids([consumer])
    editor.canvas.zoom_fit()
    shot(window, app, "error")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
