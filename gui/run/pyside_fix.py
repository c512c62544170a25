"""Work around a PySide6 6.12 refcount bug on Python 3.11: its bindings return None, True and False
without a new reference (fine on 3.12+, where those objects are immortal). Every call of a void Qt
method drops one reference to None, every `Signal.emit()` one to True; after a few thousand calls
(pyqtgraph makes many per frame) the interpreter aborts with "none_dealloc: deallocating None" or
"bool_dealloc: deallocating True or False". Reproduce: on 3.11, `sys.getrefcount(None)` falls by one
per `QGraphicsTextItem().setVisible(True)`.

We make them immortal by hand, as Python 3.12 does: None, True and False are static objects that are
never freed, so a huge reference count changes nothing else. Applied when `gui` is imported (see
gui/__init__.py) and again by the run views (idempotent); ctypes only, no Qt.
"""
from __future__ import annotations

import ctypes
import sys

_BOOST = 1 << 50  # more than any run could ever drop


def apply() -> None:
    if sys.version_info >= (3, 12) or getattr(sys, "_tradeoff_lab_refcount_fix", False):
        return
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += _BOOST
    sys._tradeoff_lab_refcount_fix = True


apply()
