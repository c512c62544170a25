"""Without a display the app says so in one line naming the fix, instead of Qt's abort."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gui.app import no_display_reason

ROOT = Path(__file__).resolve().parents[2]


def test_no_display_is_one_line_naming_the_fix(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(TRADEOFF_LAB_DATA=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("main.py: no display")
    assert "QT_QPA_PLATFORM=offscreen" in proc.stderr and "xvfb-run" in proc.stderr


def test_which_settings_need_a_display():
    assert no_display_reason({}, "linux") is not None
    assert "DISPLAY unset" in no_display_reason({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert "WAYLAND_DISPLAY unset" in no_display_reason({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, "linux")
    assert no_display_reason({"DISPLAY": ":0"}, "linux") is None
    assert no_display_reason({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert no_display_reason({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert no_display_reason({}, "darwin") is None  # macOS and Windows always have their own platform
