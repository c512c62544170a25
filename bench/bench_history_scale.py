"""The window with a large run history: start-up to a responsive window (budget 1.5 s) and switching to
the History tab (budget 200 ms), with N stored runs (default 10,000) in a temporary data folder.

    .venv/bin/python bench/bench_history_scale.py [--runs 10000] [--starts 5] [--switches 5]

Start-up: `main.py` is launched --starts times with TRADEOFF_LAB_STARTUP_PROBE set; the app prints a
line when the window is shown and another once its event loop has turned (it answers input). History:
in this process, the window is built as `main.py` builds it, then the time from asking for the
History tab to the tab drawn is measured for the first switch (which builds the tab and loads every
row) and for later switches (Editor, then History again). The runs are copies of a few scripted
results (no time series: the list never reads them) with distinct ids, dates and settings.
Exit code 1 when a budget is missed.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STARTUP_BUDGET_S = 1.5
SWITCH_BUDGET_S = 0.2


def fill_store(n: int) -> float:
    """n runs in the store of TRADEOFF_LAB_DATA; returns the seconds it took."""
    from datetime import UTC, datetime, timedelta

    from engine.results import RunStore
    from gui.run.replay import make_script
    t0 = time.perf_counter()
    templates = []
    for i, (kind, mode) in enumerate((("gpu", "train"), ("cpu", "train"), ("gpu", "infer"), ("cpu", "infer"))):
        result = make_script(kind=kind, seconds=1.0, mode=mode, seed=i).result
        result.series = type(result.series)()  # no time series: rows stay small, as a real history's do
        templates.append(result)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    networks = ("lenet", "resnet9", "mlp", "vgg11-small")
    precisions = ("fp32", "bf16", "fp16", "tf32")
    batch = []
    for i in range(n):
        r = templates[i % len(templates)].model_copy(deep=True)
        r.run_id = f"bench{i:06d}"
        r.created_at = (start + timedelta(minutes=7 * i)).isoformat(timespec="seconds")
        r.network.name = networks[(i // 4) % len(networks)]
        r.config.batch = 2 ** (4 + i % 8)
        if r.config.device != "cpu":
            r.config.precision = precisions[(i // 16) % len(precisions)]
        if r.throughput_sps:
            r.throughput_sps *= 1 + (i % 97) / 100
        batch.append(r)
    store = RunStore()
    for k in range(0, n, 1000):
        store.add_many(batch[k:k + 1000])
    assert len(store) == n
    return time.perf_counter() - t0


def time_startups(starts: int) -> list[tuple[float, float, float]]:
    """(shown s, responsive s, CPU s of the whole process) per start."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               TRADEOFF_LAB_STARTUP_PROBE="1")
    out = []
    for i in range(starts + 1):  # the first warms the OS file cache and .pyc files
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        shown = proc.stdout.readline()
        shown_s = time.perf_counter() - t0
        ready = proc.stdout.readline()
        ready_s = time.perf_counter() - t0
        _out, err = proc.communicate(timeout=120)
        if "window-shown" not in shown or "responsive" not in ready:
            raise SystemExit(f"the app did not report its window: {shown!r} {ready!r}\n{err[-2000:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if i:
            out.append((shown_s, ready_s, cpu_s))
    return out


def time_switches(switches: int) -> tuple[tuple[float, float], list[tuple[float, float]], int]:
    """((wall s, CPU s) of the first switch, the same of later switches, rows shown)."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp(prefix="tradeoff-bench-"))
    app = QApplication([sys.argv[0]])
    from gui.app import create_window
    from gui.resources import theme
    theme.apply(app)
    window = create_window()
    window.actions_.files.confirm_discard = lambda: True
    window.resize(1440, 880)
    window.show()
    app.processEvents()
    history_index = 2

    def switch(index: int) -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        window.tabs.setCurrentIndex(index)
        app.processEvents()  # show, layout and paint of the tab
        app.processEvents()
        return time.perf_counter() - t0, time.process_time() - c0

    first = switch(history_index)
    rows = window.history.model.rowCount()
    later = []
    for _ in range(switches):
        switch(0)
        later.append(switch(history_index))
    window.close()
    return first, later, rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--switches", type=int, default=5)
    parser.add_argument("--switch-only", action="store_true", help=argparse.SUPPRESS)  # the in-process child
    args = parser.parse_args()
    if args.switch_only:
        first, later, rows = time_switches(args.switches)
        print(" ".join(f"{w},{c}" for w, c in [first, *later]), rows)
        return 0
    with tempfile.TemporaryDirectory(prefix="tradeoff-history-bench-") as data:
        os.environ["TRADEOFF_LAB_DATA"] = data
        os.environ["XDG_CONFIG_HOME"] = data
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        fill_s = fill_store(args.runs)
        print(f"{args.runs:,} runs stored in {fill_s:.1f} s")
        starts = time_startups(args.starts)
        for shown, ready, cpu in starts:
            print(f"  window shown after {shown:.3f} s, responsive after {ready:.3f} s (process CPU {cpu:.3f} s, "
                  f"to exit)")
        ready_median = statistics.median(r for _, r, _c in starts)
        # a fresh process, as a user's first switch after start-up
        proc = subprocess.run([sys.executable, __file__, "--switch-only", "--switches", str(args.switches)],
                              env=os.environ, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-2000:])
        fields = proc.stdout.split()
        pairs = [tuple(map(float, f.split(","))) for f in fields[:-1]]
        (first, first_cpu), later, rows = pairs[0], [w for w, _ in pairs[1:]], int(fields[-1])
        later_cpu = [c for _, c in pairs[1:]]
    later_median = statistics.median(later)
    print(f"start-up to responsive: median {ready_median:.3f} s, max {max(r for _, r, _c in starts):.3f} s over "
          f"{len(starts)} starts (budget {STARTUP_BUDGET_S} s); load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    print(f"switch to History: first {1e3 * first:.0f} ms wall / {1e3 * first_cpu:.0f} ms CPU (builds the tab, loads "
          f"{rows:,} rows); later median {1e3 * later_median:.0f} ms wall / {1e3 * statistics.median(later_cpu):.0f} "
          f"ms CPU, max {1e3 * max(later):.0f} ms (budget {1e3 * SWITCH_BUDGET_S:.0f} ms)")
    ok = ready_median <= STARTUP_BUDGET_S and first <= SWITCH_BUDGET_S and max(later) <= SWITCH_BUDGET_S
    print("verdict:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
