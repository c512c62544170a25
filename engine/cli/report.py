"""`main.py report [RUN_IDS | --last N | --sweep DIR] --html F --pdf F --csv F --json F`: a comparison
report built from the run history (or a sweep folder's results)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.cli import EXIT_OK, BadInput
from engine.shown_text import one_line

MAX_RUNS = 10_000  # a report of more runs is unreadable, and its charts take minutes

MAX_SNIFF_BYTES = 64 * 2**20  # a larger file is no run result this app wrote: left to be overwritten


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="write a comparison report (HTML, PDF, CSV, JSON) from stored runs",
                       description=__doc__)
    p.add_argument("run_ids", nargs="*", metavar="RUN_ID", help="runs to compare (from `main.py history`)")
    p.add_argument("--last", type=int, metavar="N", help="the N most recent runs")
    p.add_argument("--sweep", metavar="DIR", help="every run of the sweep in DIR (skipped runs are named too)")
    p.add_argument("--html", metavar="F", help="self-contained HTML file to write")
    p.add_argument("--pdf", metavar="F", help="PDF file to write")
    p.add_argument("--csv", metavar="F", help="CSV file to write (one row per run)")
    p.add_argument("--json", metavar="F", help="JSON file to write (full results)")
    p.add_argument("--baseline", metavar="RUN_ID", help="run the ratios are relative to (default: the oldest ok run)")
    p.add_argument("--title", help="report title")
    p.add_argument("--db", help="run history database (default: the app's)")
    p.add_argument("--force", action="store_true",
                   help="overwrite an output file even if it holds a run result or other JSON that is not a report")


def _sweep_results(folder: Path, store) -> tuple[list, list[tuple[dict, str]]]:
    from engine.errors import BadResultFile
    from engine.results.store import read_result_file
    from engine.sweep.grid import load_state
    state = load_state(folder)
    results, skipped = [], []
    for e in state.entries:
        if e.status == "skipped":
            skipped.append((e.config, e.reason or "skipped"))
            continue
        if e.status == "failed" and not e.run_id:  # refused or crashed before writing a result
            skipped.append((e.config, f"it failed before running ({e.reason or 'no reason recorded'})"))
            continue
        if not e.run_id or e.status == "pending":
            continue
        r = store.get(e.run_id)
        if r is None:  # not in this history (another --db): read the sweep's own copy
            path = folder / "runs" / f"{e.index:03d}.json"
            try:
                r = read_result_file(path)
            except BadResultFile as exc:
                skipped.append((e.config, f"its result cannot be read ({exc})"))
                continue
        results.append(r)
    if not results:
        raise BadInput(f"{folder}: the sweep has no finished runs yet")
    return results, skipped


def _select(args, store) -> tuple[list, list]:
    chosen = sum(x is not None and x != [] for x in (args.run_ids, args.last, args.sweep))
    if chosen != 1:
        raise BadInput("choose the runs with exactly one of: RUN_IDS, --last N, --sweep DIR")
    if args.sweep:
        return _sweep_results(Path(args.sweep), store)
    if args.last is not None:
        if not 1 <= args.last <= MAX_RUNS:
            raise BadInput(f"--last: give a number of runs from 1 to {MAX_RUNS:,}, got {one_line(args.last, 40)}")
        damaged: list[str] = []
        results = list(reversed(store.last(args.last, damaged)))  # oldest first: the order they ran in
        for note in damaged:
            sys.stderr.write(f"skipped {note}\n")
        if not results:
            raise BadInput(f"the run history {store.path} has no {'readable ' if damaged else ''}runs yet")
        return results, []
    if len(args.run_ids) > MAX_RUNS:
        raise BadInput(f"at most {MAX_RUNS:,} runs in one report, got {len(args.run_ids):,}")
    results = []
    for rid in args.run_ids:
        r = store.get(rid)  # a damaged stored run: BadStoreFile naming it
        if r is None:
            raise BadInput(f"run {one_line(repr(rid), 80)} is not in the run history {store.path}")
        results.append(r)
    return results, []


def _refuse_to_clobber(path: Path, flag: str) -> None:
    """A report overwrites an earlier report, but never a run result (`run --json r.json` then
    `report --json r.json` would lose that run's only file) nor, for --json, any JSON it did not write."""
    from engine.results.store import REPORT_FORMAT
    if not path.is_file() or path.stat().st_size > MAX_SNIFF_BYTES:
        return
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, RecursionError):  # not JSON: an earlier HTML/PDF/CSV report, or anything else
        if flag == "json":
            raise BadInput(f"--json {path}: exists and is not a report JSON; choose another name or add --force") \
                from None
        return
    if isinstance(data, dict) and "run_id" in data:
        raise BadInput(f"--{flag} {path}: holds a run result (run {str(data['run_id'])[:40]}); writing the report "
                       f"there would lose it. Choose another name or add --force")
    if flag == "json" and not (isinstance(data, dict) and data.get("format") == REPORT_FORMAT):
        raise BadInput(f"--json {path}: exists and is not a report JSON; choose another name or add --force")


def _profiles(store, results) -> dict:
    """The stored profiles of the report's runs; a damaged one is left out with a note."""
    from engine.errors import BadStoreFile
    out = {}
    for r in results:
        try:
            profile = store.get_profile(r.run_id)
        except BadStoreFile as exc:
            print(f"note: {exc.user_message}; its profile is left out of the report", file=sys.stderr)
            continue
        if profile is not None:
            out[r.run_id] = profile
    return out


def main(args: argparse.Namespace) -> int:
    from engine.results.report import make_report
    from engine.results.store import RunStore
    if not any((args.html, args.pdf, args.csv, args.json)):
        raise BadInput("name at least one output: --html F, --pdf F, --csv F or --json F")
    store = RunStore(args.db)
    results, skipped = _select(args, store)
    if args.baseline and args.baseline not in {r.run_id for r in results}:
        raise BadInput(f"--baseline {one_line(repr(args.baseline), 80)} is not one of the runs in the report")
    for flag in ("html", "pdf", "csv", "json"):
        target = getattr(args, flag)
        if target and not Path(target).resolve().parent.is_dir():
            raise BadInput(f"--{flag} {target}: the folder {Path(target).resolve().parent} does not exist")
        if target and not args.force:
            _refuse_to_clobber(Path(target), flag)
    written = make_report(results, html=args.html, pdf=args.pdf, csv=args.csv, json=args.json,
                          baseline_id=args.baseline, skipped=skipped, title=args.title,
                          profiles=_profiles(store, results))
    for path in written:
        print(f"wrote {path}")
    print(f"{len(results)} runs in the report" + (f", {len(skipped)} skipped configurations named" if skipped else ""))
    return EXIT_OK
