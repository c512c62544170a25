"""`python main.py history [--db PATH] [--limit N] [--json]`: past runs, newest first.
Filters: --network, --device, --precision, --status. `--import FILE` adds result JSON files made
elsewhere (e.g. `run --json` on a GPU server), or every run of a `report --json` file, to the history first. Torch-free."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from engine import format as f
from engine.cli import EXIT_OK, BadInput
from engine.shown_text import one_line

COLUMNS = ("run", "when (UTC)", "network", "device", "precision", "batch", "mode", "status", "samples/s",
           "J/sample", "accuracy", "profile")
MAX_LIMIT = 1_000_000_000
CELL_CHARS = 40  # a 1 MB name must not make a 1 MB wide table


def add_parser(sub: Any) -> None:
    p = sub.add_parser("history", help="list past runs, newest first", description=__doc__.split("\n")[0])
    p.add_argument("--db", metavar="PATH", help="run history file (default: the user data folder)")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="show at most N runs (default 20; 0: all)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--network")
    p.add_argument("--device")
    p.add_argument("--precision")
    p.add_argument("--status", choices=("ok", "oom", "failed", "cancelled"))
    p.add_argument("--import", dest="import_files", nargs="+", metavar="FILE", help="add result JSON files (or the runs of a report JSON) first")
    p.set_defaults(command="history")


def main(args: argparse.Namespace) -> int:
    from engine.results.store import RunStore
    if not 0 <= args.limit <= MAX_LIMIT:
        raise BadInput(f"--limit: give a number from 0 (all) to {MAX_LIMIT:,}, got {one_line(args.limit, 40)}")
    store = RunStore(args.db)  # BadStoreFile, BadResultFile: BadInput naming the file
    if store.read_only:
        print(f"note: the run history can only be read here ({store.read_only})", file=sys.stderr)
    for path in args.import_files or ():
        added = store.import_json(path)
        if not added:
            print(f"nothing new in {path}: its runs are already in the history (unchanged)", file=sys.stderr)
            continue
        ids = ", ".join(one_line(r.run_id, 80) for r in added[:3]) + (", ..." if len(added) > 3 else "")
        print(f"imported {len(added)} run{'s' if len(added) != 1 else ''} from {path} ({ids})", file=sys.stderr)
    rows = store.list(network=args.network, device=args.device, precision=args.precision, status=args.status,
                      limit=args.limit or None)
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return EXIT_OK
    if not rows:
        print(f"no runs in {store.path}")
        return EXIT_OK
    print(render(rows))
    shown = f"{len(rows)} run(s)" + (f" (newest {args.limit}; --limit 0 shows all)" if len(rows) == args.limit else "")
    print(f"{shown} in {store.path}")
    return EXIT_OK


def _cells(r: Any) -> tuple[str, ...]:
    try:
        return _row_cells(r)
    except (TypeError, ValueError, AttributeError, OverflowError):  # a damaged row: say so, list the rest
        return (one_line(r.run_id, CELL_CHARS), "?", "(damaged row)", *("?" for _ in COLUMNS[3:]))


def _row_cells(r: Any) -> tuple[str, ...]:
    when = str(r.created_at).replace("T", " ")[:19]
    device = r.device or f.MISSING
    if r.device_name and r.device and str(r.device).startswith("cuda"):
        device = f"{r.device} {r.device_name}"
    text = (r.run_id, when, r.network, device, r.precision or f.MISSING, str(r.batch or f.MISSING),
            r.mode or f.MISSING, r.status)
    return (*(one_line(t, CELL_CHARS) for t in text),
            f.fixed(r.throughput_sps), f.energy(r.energy_per_sample_j), f.pct(r.accuracy),
            "yes" if getattr(r, "has_profile", False) else "")


def render(rows: list[Any]) -> str:
    """A plain aligned table (numbers right-aligned), readable in a terminal and in a log."""
    cells = [COLUMNS] + [_cells(r) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    right = {5, 8, 9, 10}
    lines = []
    for k, row in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths,
                                                                                                      strict=True))).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
