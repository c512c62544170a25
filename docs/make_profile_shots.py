"""Screenshots of one stored profile in the GUI: the Profile tab (table, roofline, verdict) and the
editor's canvas coloured by it, as a user sees them after opening the profile file.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_profile_shots.py PROFILE.json --out DIR

The profile is read through engine.profile (read_profile_file), as the GUI's open action does; its net
must be a preset. Writes profile-tab.png and editor-canvas.png. No torch, no worker.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def shoot(profile_path: Path, out: Path, size: tuple[int, int]) -> list[Path]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp(prefix="tradeoff-shots-"))
    app = QApplication([sys.argv[0]])
    from engine.net import load_preset
    from engine.profile import read_profile_file
    from gui.app import create_window
    from gui.resources import theme

    theme.apply(app)
    profile = read_profile_file(profile_path)
    window = create_window()
    window.actions_.files.confirm_discard = lambda: True
    window.resize(*size)
    window.show()
    written: list[Path] = []

    def grab(name: str) -> None:
        t_end = time.monotonic() + 0.5
        while time.monotonic() < t_end:
            app.processEvents()
            time.sleep(0.01)
        path = out / f"{name}.png"
        window.grab().save(str(path))
        written.append(path)

    window.doc.load(load_preset(profile.net))
    window.profile_actions.show_profile(profile, window.doc.current)
    window.profile_view.select_layer(max(profile.layers, key=lambda layer: layer.share).id)
    grab("profile-tab")
    window.tabs.setCurrentWidget(window.editor)
    grab("editor-canvas")  # lets the canvas take its size before fitting; overwritten below
    window.editor.canvas.zoom_fit()
    written.pop()
    grab("editor-canvas")
    window.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile", type=Path, help="a profile JSON written by `main.py profile --json`")
    parser.add_argument("--out", type=Path, default=Path("."))
    parser.add_argument("--size", default="1280x720", help="window size WxH in logical pixels")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    width, height = (int(v) for v in args.size.split("x"))
    for path in shoot(args.profile, args.out, (width, height)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
