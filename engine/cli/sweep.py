"""`main.py sweep NET --devices … --precisions … --batches …`: run a grid, one fresh worker per run.

Prints the plan (run count, rough duration), then one line per run with an ETA; `--progress-jsonl`
prints one JSON object per progress event instead (for scripts). Ctrl-C or SIGTERM cancels: the
current run is stopped and stored as cancelled, the finished runs are kept, `--resume DIR` runs the
rest. Relative paths (NET, --out, --db, a data set's path) are taken from the current folder.
"""
from __future__ import annotations

import argparse
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from engine.cli import EXIT_OK, BadInput
from engine.cli.config_flags import add_config_flags, given
from engine.errors import Cancelled, RunFailed
from engine.run.config import RunConfig
from engine.run.options import option_fields


def add_parser(sub, schema: type[RunConfig] = RunConfig) -> None:
    """The `sweep` sub-command: a comma-list flag per sweep axis and the `run` flag of every other
    option (one value for the whole sweep), all from the schema (RunConfig's fields)."""
    p = sub.add_parser("sweep", help="run a grid of configurations (device x precision x batch x levers)",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("network", nargs="?", metavar="NET", help="preset name or spec path (not needed with --resume)")
    add_config_flags(p, schema, axes=True)
    for action in p._actions:  # a sweep's main axes are said, not assumed (see _grid_from_args)
        if action.dest in ("device", "batch") and action.help:
            action.help = action.help.split(" (default")[0] + " (required, e.g. --devices cpu --batches 32,256)"
    p.add_argument("--cooldown", type=_cooldown, default=5.0, metavar="S",
                   help="seconds of rest between runs (default 5)")
    p.add_argument("--out", help="sweep folder (default: a new folder under the data folder's sweeps/)")
    p.add_argument("--resume", metavar="DIR", help="continue an interrupted sweep in DIR")
    p.add_argument("--db", help="run history database (default: the app's)")
    p.add_argument("--progress-jsonl", action="store_true", help="print progress as JSON lines (for the GUI)")
    p.add_argument("--dry-run", action="store_true", help="show the plan and exit")
    p.set_defaults(schema=schema)


def _cooldown(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (got {text})")
    return value


def _grid_from_args(args):
    from pydantic import ValidationError

    from engine.sweep.grid import grid_class
    if not args.network:
        raise BadInput("give a network (preset name or spec path), or --resume DIR")
    schema = getattr(args, "schema", RunConfig)
    values = given(args, schema)
    if "device" not in values or "batch" not in values:  # a sweep is long: its main axes are said, not assumed
        raise BadInput("give --devices and --batches (e.g. --devices cpu --batches 32,256)")
    axes = {n: v for n, v in values.items() if isinstance(v, list)}
    fixed = {n: v for n, v in values.items() if n not in axes}
    try:
        return grid_class(schema)(network=args.network, axes=axes, fixed=fixed, cooldown_s=args.cooldown)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(f"sweep: {err['msg'].removeprefix('Value error, ')}") from None


def _default_folder(network: str) -> Path:
    from engine.paths import data_dir
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return data_dir() / "sweeps" / f"{stamp}-{Path(network).stem}"


def _printer(jsonl: bool):
    from engine.format import MISSING, duration, throughput

    def show(p) -> None:
        if jsonl:
            print(p.to_json(), flush=True)
            return
        eta = f" · ETA {duration(p.eta_s)}" if p.eta_s is not None else ""
        if p.event == "run_started":
            print(f"[{p.index + 1}/{p.total}] {p.label} …", flush=True)
        elif p.event == "run_finished":
            extra = f" {throughput(p.throughput_sps)}" if p.throughput_sps else (f": {p.reason}" if p.reason else "")
            print(f"    {p.status}{extra} (run {p.run_id or MISSING}){eta}", flush=True)
        elif p.event == "run_skipped":
            print(f"[{p.index + 1}/{p.total}] {p.label}: skipped, {p.reason}", flush=True)
        elif p.event == "cancelled":
            print(f"Cancelled after {p.done} of {p.total} runs.", flush=True)
    return show


def print_planned_skips(state) -> None:
    """The configurations of the grid that will not run (their device or mode cannot take an option, or
    they would repeat another run), one line per reason: progress counts them ('[1/12]' beside '9 runs')."""
    by_reason: dict[str, list[str]] = {}
    for e in state.entries:
        if e.status == "skipped" and e.run_id is None:
            by_reason.setdefault(e.reason or "", []).append(e.label)
    if not by_reason:
        return
    n = sum(len(labels) for labels in by_reason.values())
    print(f"{n} of {len(state.entries)} configurations skipped, not run:", flush=True)
    for reason, labels in by_reason.items():
        shown = ", ".join(labels[:3]) + (f" and {len(labels) - 3} more" if len(labels) > 3 else "")
        print(f"  {shown}: {reason}", flush=True)


def summary_of(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


def main(args: argparse.Namespace) -> int:
    from engine.format import duration
    from engine.sweep.grid import STATE_FILE, SweepState, load_state, plan
    from engine.sweep.runner import SweepRun, absolute_paths, check_inputs, make_job_runner, sweep_lock, sweep_network
    if args.resume:
        folder = Path(args.resume).resolve()
        state = load_state(folder)
        fields = option_fields(getattr(args, "schema", RunConfig))
        ignored = [(fields[n].axis_flag if isinstance(v, list) else fields[n].flag)
                   for n, v in given(args, getattr(args, "schema", RunConfig)).items()]
        if (args.network or ignored) and not args.progress_jsonl:
            print(f"note: resuming {folder} with the grid it was started with; "
                  f"{', '.join(([args.network] if args.network else []) + ignored)} ignored", flush=True)
        if args.db:
            state.db_path = str(Path(args.db).resolve())
    else:
        grid = absolute_paths(_grid_from_args(args))
        folder = Path(args.out).resolve() if args.out else _default_folder(grid.network)
        if (folder / STATE_FILE).exists():
            raise BadInput(f"{folder} already holds a sweep; use --resume {folder} or another --out")
        state = SweepState.new(grid, str(Path(args.db).resolve()) if args.db else None)
    # Refused once, here, before anything runs: a bad net, data set or state-file entry.
    spec_json = sweep_network(state.grid)
    check_inputs(state, folder)
    todo = state.pending()
    from engine.sweep.grid import estimate_run_s
    est = sum(estimate_run_s(RunConfig(**e.config)) for e in todo) + state.grid.cooldown_s * max(0, len(todo) - 1)
    if not args.progress_jsonl:
        total = plan(state.grid).runs
        print(f"Sweep of {state.grid.network}: {len(todo)} of {total} runs to do, roughly {duration(est)} "
              f"(one at a time, {state.grid.cooldown_s:g} s cool-down). Folder: {folder}", flush=True)
        print_planned_skips(state)
    if args.dry_run:
        return EXIT_OK
    sweep = SweepRun(state, folder, runner=make_job_runner(spec_json, state.db_path),
                     on_progress=_printer(args.progress_jsonl))
    previous = {s: signal.signal(s, lambda *_: sweep.cancel()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with sweep_lock(folder):  # a second sweep in this folder is refused while this one runs
            if not args.resume and (folder / STATE_FILE).exists():
                raise BadInput(f"{folder} already holds a sweep; use --resume {folder} or another --out")
            state.save(folder)  # an OSError names the file; the CLI reports it (exit 2)
            state = sweep.run()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    counts = state.counts()
    if not args.progress_jsonl:
        print(f"Sweep {'cancelled' if sweep.cancelled else 'done'}: {summary_of(counts)}.")
        if sweep.cancelled:
            print(f"Resume with: python main.py sweep --resume {folder}")
        print(f"Report: python main.py report --sweep {folder} --html report.html --pdf report.pdf --csv report.csv")
    sys.stdout.flush()
    if sweep.cancelled:
        done = len(state.entries) - counts.get("pending", 0) - counts.get("cancelled", 0)
        raise Cancelled(f"sweep cancelled after {done} of {len(state.entries)} runs; resume with --resume {folder}")
    if not counts.get("ok"):
        raise RunFailed(f"sweep: no run finished ok ({summary_of(counts)})")
    return EXIT_OK
