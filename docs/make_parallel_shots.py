"""Screenshots of a stored job over several devices in the GUI: the Run tab showing it as a finished run
(one trace per GPU on every GPU chart, the summary card with scaling efficiency, all-reduce share and
the ranks), and the Compare view with the job beside its 1-device baseline when that run is found.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_parallel_shots.py RESULT.json OUT_DIR \\
        [--baseline BASELINE.json] [--history runs.sqlite] [--size 1280x720]

RESULT.json is what `main.py run NET --devices ... --json RESULT.json` writes. The baseline is the run
named in the result's parallel.baseline_run_id: from --baseline, else from the run history (--history,
default the user's). Writes run-tab.png, run-charts.png, run-card.png, history.png and, with a
baseline, compare.png. No torch, no worker: the stored series are replayed into the charts.
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


def baseline_of(result, baseline_path: Path | None, history: Path | None):
    """The job's 1-device run: from the file given, else from the history; None when neither has it."""
    from engine.results import RunStore, read_result_file
    if baseline_path is not None:
        return read_result_file(baseline_path)
    run_id = result.parallel.baseline_run_id if result.parallel else None
    if run_id is None:
        return None
    path = history if history is not None else None
    try:
        store = RunStore(path) if path is None or path.exists() else None
        return store.get(run_id) if store is not None else None
    except Exception:  # noqa: BLE001 -- a history that cannot be read: shots without the comparison
        return None


def shoot(result_path: Path, out: Path, size: tuple[int, int], baseline_path: Path | None,
          history: Path | None) -> list[Path]:
    from engine.results import read_result_file
    result = read_result_file(result_path)
    baseline = baseline_of(result, baseline_path, history)
    # Everything the window writes (history, settings) goes to a throw-away folder.
    data = tempfile.mkdtemp(prefix="tradeoff-parallel-shots-")
    os.environ["TRADEOFF_LAB_DATA"] = data
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, data)
    app = QApplication([sys.argv[0]])
    from engine.results import RunStore
    from gui.app import create_window
    from gui.resources import theme

    theme.apply(app)
    store = RunStore()
    store.add_many([r for r in (baseline, result) if r is not None])
    window = create_window()
    window.actions_.files.confirm_discard = lambda: True
    window.resize(*size)
    window.show()
    written: list[Path] = []

    def spin(seconds: float = 0.4) -> None:
        t_end = time.monotonic() + seconds
        while time.monotonic() < t_end:
            app.processEvents()
            time.sleep(0.01)

    def grab(name: str, widget=None) -> None:
        spin()
        path = out / f"{name}.png"
        (widget or window).grab().save(str(path))
        written.append(path)

    panel = window.run_panel
    panel._load_inventory = False  # no child process: the shots need no device list
    window.show_tab("run")
    panel.show_stored(result)
    grab("run-tab")
    # The charts below the card, scrolled into view: every GPU chart with its per-GPU traces.
    panel.page_scroll.verticalScrollBar().setValue(panel.card.height())
    grab("run-charts")
    panel.page_scroll.verticalScrollBar().setValue(0)
    grab("run-card", panel.card)
    window.show_tab("history")
    window.history.select_ids([result.run_id])
    window.history.open_selected()
    grab("history")  # the Devices column, and the stored job opened again
    if baseline is not None:
        window.history.select_ids([baseline.run_id, result.run_id])
        window.history.compare_selected()
        grab("compare")
    window.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("result", type=Path, help="a result JSON written by `main.py run ... --json`")
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--baseline", type=Path, help="the 1-device run's result JSON (default: from the history)")
    parser.add_argument("--history", type=Path, help="run history to find the baseline in (default: the user's)")
    parser.add_argument("--size", default="1280x720", help="window size WxH in logical pixels")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    width, height = (int(v) for v in args.size.split("x"))
    for path in shoot(args.result, args.out, (width, height), args.baseline, args.history):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
