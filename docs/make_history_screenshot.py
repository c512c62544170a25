"""Screenshot of a stored run reopened in the History tab (docs/history-gpu.png): a run made on
another machine (e.g. the GPU server, `main.py run ... --json r.json`) imported into the history.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_history_screenshot.py RESULT.json [--out docs/history-gpu.png]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("result", help="a result JSON written by main.py run --json")
    parser.add_argument("--out", default=str(ROOT / "docs" / "history-gpu.png"))
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["TRADEOFF_LAB_DATA"] = tempfile.mkdtemp(prefix="tradeoff-shots-")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp())
    app = QApplication(sys.argv)
    from gui.app import create_window
    from gui.resources import theme
    theme.apply(app)
    window = create_window()
    window.resize(1600, 1000)
    window.show()
    window.tabs.setCurrentWidget(window.history)
    error = window.history.import_path(args.result)  # selects and opens the imported run
    if error:
        print(error)
        return 2
    t_end = time.monotonic() + 1.0
    while time.monotonic() < t_end:
        app.processEvents()
        time.sleep(0.01)
    window.grab().save(args.out)
    print("wrote", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
