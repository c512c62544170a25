"""Copy, cut and paste of layers through the system clipboard. Copied layers keep their wires to
each other; pasting gives them fresh ids, offset so the copy does not hide the original."""
from __future__ import annotations

import json

from PySide6.QtGui import QGuiApplication

from engine.net import LayerSpec
from gui.editor.document import Document

CLIP_MIME = "application/x-tradeoff-lab-layers"  # read when present (older builds wrote it)
CLIP_FORMAT = "tradeoff-lab/layers"
PASTE_OFFSET = (36.0, 36.0)


def copy_layers(doc: Document, ids: list[str]) -> int:
    spec = doc.current
    wanted = set(ids)
    layers = [layer for layer in spec.layers if layer.id in wanted]
    if not layers:
        return 0
    payload = {"format": CLIP_FORMAT, "layers": [layer.model_dump(mode="json") for layer in layers],
               "layout": {layer.id: list(spec.layout.get(layer.id, (0.0, 0.0))) for layer in layers}}
    # As plain text, which Qt wraps in a QMimeData it makes itself. A QMimeData made here would be
    # a Python object that the clipboard owns; Qt deletes it only at process exit (offscreen, from a
    # C++ static destructor), after Python has finalized, and that deletion calls into Python:
    # a segfault at exit (the tests' exit code 139). paste_layers reads the text back.
    QGuiApplication.clipboard().setText(json.dumps(payload, indent=1))
    return len(layers)


def paste_layers(doc: Document) -> list[str]:
    mime = QGuiApplication.clipboard().mimeData()
    if mime is None:
        return []
    raw = bytes(mime.data(CLIP_MIME).data()).decode("utf-8") if mime.hasFormat(CLIP_MIME) else mime.text()
    try:
        payload = json.loads(raw)
        if payload.get("format") != CLIP_FORMAT:
            return []
        layers = [LayerSpec.model_validate(layer) for layer in payload["layers"]]
        layout = {k: (float(v[0]), float(v[1])) for k, v in payload.get("layout", {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        doc.message.emit("The clipboard holds no layers to paste.")
        return []
    return doc.paste(layers, layout, PASTE_OFFSET)
