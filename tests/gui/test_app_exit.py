"""The app exits cleanly: open the window as `main.py` does, copy layers, close it, quit. Run in a child
process, since a crash at exit happens after Python has finalized (the exit code is all there is).

The case that crashed: a QMimeData made in Python and handed to the clipboard is deleted by Qt at
process exit, after the interpreter is gone, and its deletion calls into Python (SIGSEGV, 139)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from gui.app import create_window
    from gui.resources import theme

    app = QApplication(["tradeoff-lab"])
    theme.apply(app)
    window = create_window(defer_views=True)
    window.show()
    app.processEvents()
    window.add_views()

    def close():
        window.editor.select_all()
        copied = window.editor.copy()
        pasted = window.editor.paste()
        print(f"copied={copied} pasted={len(pasted)}", flush=True)
        window.actions_.files.confirm_discard = lambda: True
        window.close()
        app.quit()

    QTimer.singleShot(0, close)
    sys.exit(app.exec())
""")


def test_copy_close_and_quit_exits_with_code_zero(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TRADEOFF_LAB_DATA=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, f"exit code {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    copied, pasted = (int(part.split("=")[1]) for part in proc.stdout.split()[-2:])
    assert copied > 0 and pasted == copied
