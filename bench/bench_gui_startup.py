"""Time from `python main.py` to the main window shown (budget: at most 2 s on a 2-core machine).

Starts the app N times offscreen with TRADEOFF_LAB_STARTUP_PROBE set: the app prints a line once the
window is shown (first frame, Editor tab), another once its event loop has turned (responsive; the
other tabs are built when first shown), and quits. Reports each wall time and the median, and whether torch was loaded
(it must not be). Also lists the slowest imports of one start (`python -X importtime`).

    .venv/bin/python bench/bench_gui_startup.py [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READY: list[float] = []  # seconds until the window answers input


def one_start(env: dict[str, str], importtime: bool = False) -> tuple[float, str, str]:
    cmd = [sys.executable] + (["-X", "importtime"] if importtime else []) + [str(ROOT / "main.py")]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    shown_s = time.perf_counter() - t0
    ready = proc.stdout.readline()
    ready_s = time.perf_counter() - t0
    _out, err = proc.communicate(timeout=60)
    if "window-shown" not in line or "responsive" not in ready:
        raise SystemExit(f"the app did not report its window: {line!r} {ready!r}\n{err[-2000:]}")
    READY.append(ready_s)
    return shown_s, line.strip() + "; " + ready.strip(), err


def slowest_imports(stderr: str, n: int = 8) -> list[tuple[int, str]]:
    rows = []
    for m in re.finditer(r"import time:\s+\d+ \|\s+(\d+) \|\s+(\S+)", stderr):
        name = m.group(2)
        if "." not in name:
            rows.append((int(m.group(1)), name))
    return sorted(rows, reverse=True)[:n]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                   TRADEOFF_LAB_STARTUP_PROBE="1", TRADEOFF_LAB_DATA=tmp, XDG_CONFIG_HOME=tmp)
        one_start(env)  # warm the OS file cache and .pyc files, as a second launch would be
        times = []
        for _ in range(args.runs):
            t, line, _ = one_start(env)
            times.append(t)
            print(f"  window shown after {t:.3f} s, responsive after {READY[-1]:.3f} s ({line})")
        _, _, err = one_start(env, importtime=True)
    median = statistics.median(times)
    print(f"window shown: median {median:.3f} s, max {max(times):.3f} s over {args.runs} runs (limit 2.0 s); "
          f"responsive: median {statistics.median(READY[-args.runs:]):.3f} s")
    print("slowest top-level imports (cumulative ms):")
    for us, name in slowest_imports(err):
        print(f"  {us / 1000:8.1f}  {name}")
    loaded_torch = "torch_loaded=True" in line or re.search(r"\|\s+torch$", err, re.M) is not None
    print(f"torch imported by the GUI process: {loaded_torch}")
    return 0 if median <= 2.0 and not loaded_torch else 1


if __name__ == "__main__":
    sys.exit(main())
