#!/usr/bin/env python3
"""Bench: a comparison report of 100 runs (HTML + PDF + CSV + JSON) must take under 10 s.

    .venv/bin/python bench/bench_report.py [--runs 100] [--out DIR]

Synthetic runs (tests/engine/fake_runs.py), so it measures the report alone, not the run history.
Prints one line per phase and the total; exits 1 when over the budget.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUDGET_S = 10.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--out", help="folder for the files (default: a temporary one)")
    args = ap.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="bench-report-"))
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    from engine.results.report.charts import all_charts
    from engine.results.report.html import write_html
    from engine.results.report.model import build
    from engine.results.report.pdf import write_pdf
    from engine.results.report.tabular import write_csv, write_json
    from tests.engine.fake_runs import many_runs
    runs = many_runs(args.runs)
    phases = [("imports + runs", time.perf_counter() - t0)]
    t = time.perf_counter()
    data = build(runs)
    phases.append(("tables + findings", time.perf_counter() - t))
    t = time.perf_counter()
    charts = all_charts(data.results, data.labels, data.baseline_id)
    phases.append(("charts (SVG + PNG)", time.perf_counter() - t))
    for name, fn in (("html", lambda: write_html(data, charts, out / "r.html")),
                     ("pdf", lambda: write_pdf(data, charts, out / "r.pdf")),
                     ("csv", lambda: write_csv(runs, out / "r.csv")),
                     ("json", lambda: write_json(runs, out / "r.json"))):
        t = time.perf_counter()
        fn()
        phases.append((name, time.perf_counter() - t))
    total = time.perf_counter() - t0
    for name, s in phases:
        print(f"{name:>20}: {s:6.2f} s")
    print(f"{'total':>20}: {total:6.2f} s for {args.runs} runs (budget {BUDGET_S:g} s) -> {out}")
    return 0 if total < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
