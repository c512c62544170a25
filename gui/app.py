"""The desktop app: `python main.py [FILE]`. Opens the main window on FILE, else on the default
project (the LeNet preset). Never imports torch: the window must be up in under 2 s."""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from engine.net import load_preset, preset_names
from gui import unexpected_errors
from gui.editor.document import Document
from gui.main_window import MainWindow
from gui.resources import theme

DEFAULT_PRESET = "lenet"
# Set by bench/bench_gui_startup.py and bench/bench_history_scale.py: print a line once the window is
# on screen, another once its event loop has turned (it answers input), then quit.
STARTUP_PROBE = "TRADEOFF_LAB_STARTUP_PROBE"


def default_document() -> Document:
    doc = Document()
    if DEFAULT_PRESET in preset_names():
        try:
            doc.load(load_preset(DEFAULT_PRESET))
        except (ValueError, OSError, KeyError):
            pass  # a broken preset install leaves an empty canvas rather than no app
    return doc


def create_window(file: str | None = None, defer_views: bool = True) -> MainWindow:
    """The window with its document (tests and screenshots use this without running the loop). The
    Run, History and Compare tabs are built when first shown (defer_views=False: now)."""
    doc = default_document()
    window = MainWindow(doc, defer_views=defer_views)
    if file:
        window.actions_.files.open_path(Path(file), confirmed=True)
    return window


def no_display_reason(env: Mapping[str, str] = os.environ, platform: str = sys.platform) -> str | None:
    """Why Qt cannot open a window here, said before Qt aborts with its generic message (None: it can)."""
    if not platform.startswith("linux"):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "")
    wanted = {"xcb": ("DISPLAY",), "wayland": ("WAYLAND_DISPLAY",), "": ("DISPLAY", "WAYLAND_DISPLAY")}
    names = wanted.get(qpa.split(":")[0].split(";")[0])
    if names is None or any(env.get(n) for n in names):  # offscreen, vnc, eglfs, ... need no display
        return None
    return (f"no display ({' and '.join(names)} unset): start the app on a desktop, under xvfb-run, or with "
            "QT_QPA_PLATFORM=offscreen; the command line needs none (main.py --help)")


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("-")]
    if len(args) > 1:
        sys.stderr.write("usage: main.py [FILE]  (or a sub-command: main.py --help)\n")
        return 2
    reason = no_display_reason()
    if reason and not QApplication.instance():
        sys.stderr.write(f"main.py: {reason}\n")
        return 1
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "tradeoff-lab"])
    app.setOrganizationName("tradeoff-lab")
    app.setApplicationName("tradeoff-lab")
    app.setApplicationDisplayName("Tradeoff Lab")
    theme.apply(app)
    unexpected_errors.install()  # an error no view handled: one dialog, a log file, the app stays up
    window = create_window()  # the Run, History and Compare tabs are built when first shown
    window.show()
    app.processEvents()  # the first frame
    probe = bool(os.environ.get(STARTUP_PROBE))
    if probe:
        print(f"window-shown torch_loaded={'torch' in sys.modules}", flush=True)
    if args:  # after the window is up, so a bad file's message has the window behind it
        QTimer.singleShot(0, lambda: window.actions_.files.open_path(Path(args[0]), confirmed=True))
    if probe:
        def done() -> None:  # the event loop ran a turn: the window answers input
            print(f"responsive torch_loaded={'torch' in sys.modules}", flush=True)
            window.actions_.files.confirm_discard = lambda: True  # no prompt in the benchmark
            window.close()
            app.quit()
        QTimer.singleShot(0, done)
    return app.exec()
