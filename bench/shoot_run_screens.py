"""Screenshots of the Run tab during a real run and after it (docs/run-live.png, docs/run-summary.png)
and of the History tab (docs/history.png), taken offscreen from the real main window.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/shoot_run_screens.py [--device cuda:0] [--seconds 30]

On the GPU machine, `--device cuda:0 --precision bf16 --batch 512` gives the GPU charts real values.
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
    parser.add_argument("--device", default=None, help="cpu or cuda:N (default: what the panel picks)")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--live-at", type=float, default=18.0, help="seconds into the timed window")
    parser.add_argument("--out", default=str(ROOT / "docs"))
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TRADEOFF_LAB_DATA", tempfile.mkdtemp(prefix="tradeoff-shots-"))
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    import gui  # noqa: F401
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp())
    app = QApplication(sys.argv)
    from gui.app import create_window
    from gui.resources import theme
    theme.apply(app)
    window = create_window()
    window.resize(1600, 1000)
    window.show()
    panel = window.run_panel
    window.tabs.setCurrentWidget(panel)

    def spin(seconds: float, until=lambda: False) -> None:
        t_end = time.monotonic() + seconds
        while time.monotonic() < t_end and not until():
            app.processEvents()
            time.sleep(0.01)
    spin(20, until=lambda: panel.inventory.inventory is not None)
    o = panel.options
    if args.device:
        o.device.setCurrentIndex(max(0, o.device.findData(args.device)))
    o.precision.setCurrentText(args.precision)
    o.batch.setValue(args.batch)
    o.length_kind.setCurrentIndex(1)
    o.seconds.setValue(args.seconds)
    o.dataset.setCurrentIndex(o.dataset.findData("digits"))
    if not panel.start():
        print("cannot start:", panel.why.text())
        return 2
    ctl = panel.controller
    spin(300, until=lambda: ctl.live.last_step is not None and ctl.live.last_step.t_s >= args.live_at)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    spin(0.3)
    window.grab().save(str(out / "run-live.png"))
    spin(args.seconds + 60, until=lambda: not ctl.is_active)
    spin(0.5)
    window.grab().save(str(out / "run-summary.png"))
    window.tabs.setCurrentWidget(window.history)
    spin(0.5)
    window.history.select_ids([ctl.result.run_id])
    window.history.open_selected()
    spin(0.5)
    window.grab().save(str(out / "history.png"))
    print("status", ctl.result.status, "throughput", ctl.result.throughput_sps, "->", out)
    window.actions_.files.confirm_discard = lambda: True
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
