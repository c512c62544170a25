"""`main.py sweep NET --devices … --precisions … --batches …`: run a grid, one fresh worker per run.

Prints the plan (run count, rough duration), then one line per run with an ETA; `--progress-jsonl`
prints one JSON object per progress event instead (the GUI's sweep dialog reads them). Ctrl-C or
SIGTERM cancels: the current run is stopped, the finished runs are kept, `--resume DIR` runs the rest.
"""
from __future__ import annotations

import argparse
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from engine.cli import EXIT_OK, BadInput
from engine.errors import Cancelled, RunFailed

ON_OFF = {"off": False, "on": True, "false": False, "true": True, "0": False, "1": True}


def add_parser(sub) -> None:
    p = sub.add_parser("sweep", help="run a grid of configurations (device x precision x batch x levers)",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("network", nargs="?", metavar="NET", help="preset name or spec path (not needed with --resume)")
    p.add_argument("--devices", help="comma list, e.g. cpu,cuda")
    p.add_argument("--precisions", default="fp32", help="comma list of fp32,tf32,fp16,bf16,int8 (default fp32)")
    p.add_argument("--batches", help="comma list of batch sizes, e.g. 32,256,1024")
    p.add_argument("--modes", default="train", help="comma list of train,infer (default train)")
    p.add_argument("--channels-last-options", default="off", help="comma list of off,on (default off)")
    p.add_argument("--compile-options", default="none",
                   help="comma list of none,default,reduce-overhead,max-autotune (default none)")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=float, help="timed seconds per run")
    length.add_argument("--steps", type=int, help="timed steps per run (default 100)")
    p.add_argument("--warmup", type=int, default=10, help="warm-up steps per run (default 10)")
    p.add_argument("--dataset", default="synthetic", help="data set, as for `main.py run` (default synthetic)")
    p.add_argument("--cooldown", type=float, default=5.0, help="seconds of rest between runs (default 5)")
    p.add_argument("--out", help="sweep folder (default: a new folder under the data folder's sweeps/)")
    p.add_argument("--resume", metavar="DIR", help="continue an interrupted sweep in DIR")
    p.add_argument("--db", help="run history database (default: the app's)")
    p.add_argument("--progress-jsonl", action="store_true", help="print progress as JSON lines (for the GUI)")
    p.add_argument("--dry-run", action="store_true", help="show the plan and exit")


def _split(text: str | None, field: str) -> list[str]:
    items = [t.strip() for t in (text or "").split(",") if t.strip()]
    if not items:
        raise BadInput(f"--{field}: give a comma-separated list")
    return items


def _grid_from_args(args):
    from pydantic import ValidationError

    from engine.sweep.grid import Grid
    if not args.network:
        raise BadInput("give a network (preset name or spec path), or --resume DIR")
    if not args.devices or not args.batches:
        raise BadInput("give --devices and --batches (e.g. --devices cpu --batches 32,256)")
    try:
        batches = [int(b) for b in _split(args.batches, "batches")]
    except ValueError:
        raise BadInput(f"--batches: {args.batches!r} is not a comma list of whole numbers") from None
    cl = []
    for v in _split(args.channels_last_options, "channels-last-options"):
        if v.lower() not in ON_OFF:
            raise BadInput(f"--channels-last-options: {v!r} is not on or off")
        cl.append(ON_OFF[v.lower()])
    comp = [None if v.lower() == "none" else v for v in _split(args.compile_options, "compile-options")]
    bad = [v for v in comp if v not in (None, "default", "reduce-overhead", "max-autotune")]
    if bad:
        raise BadInput(f"--compile-options: {bad[0]!r} is not none, default, reduce-overhead or max-autotune")
    try:
        return Grid(network=args.network, devices=_split(args.devices, "devices"),
                    precisions=_split(args.precisions, "precisions"), batches=batches,
                    modes=_split(args.modes, "modes"), channels_last=list(dict.fromkeys(cl)),
                    compile_modes=list(dict.fromkeys(comp)), seconds=args.seconds, steps=args.steps,
                    warmup=args.warmup, dataset=args.dataset, cooldown_s=args.cooldown)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "grid"
        raise BadInput(f"sweep {where}: {err['msg']}") from None


def _default_folder(network: str) -> Path:
    from engine.paths import data_dir
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return data_dir() / "sweeps" / f"{stamp}-{Path(network).stem}"


def _printer(jsonl: bool):
    from engine.sweep.grid import format_duration

    def show(p) -> None:
        if jsonl:
            print(p.to_json(), flush=True)
            return
        eta = f" · ETA {format_duration(p.eta_s)}" if p.eta_s is not None else ""
        if p.event == "run_started":
            print(f"[{p.index + 1}/{p.total}] {p.label} …", flush=True)
        elif p.event == "run_finished":
            extra = f" {p.throughput_sps:,.0f} samples/s" if p.throughput_sps else (f": {p.reason}" if p.reason else "")
            print(f"    {p.status}{extra} (run {p.run_id or '–'}){eta}", flush=True)
        elif p.event == "run_skipped":
            print(f"[{p.index + 1}/{p.total}] {p.label}: skipped, {p.reason}", flush=True)
        elif p.event == "cancelled":
            print(f"Cancelled after {p.done} of {p.total} runs.", flush=True)
    return show


def summary_of(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


def main(args: argparse.Namespace) -> int:
    from engine.sweep.grid import SweepState, format_duration, load_state, plan
    from engine.sweep.runner import SweepRun
    if args.resume:
        folder = Path(args.resume)
        state = load_state(folder)
        given = [f"--{n}" for n in ("devices", "batches", "seconds", "steps") if getattr(args, n) is not None]
        if (args.network or given) and not args.progress_jsonl:
            print(f"note: resuming {folder} with the grid it was started with; "
                  f"{', '.join(([args.network] if args.network else []) + given)} ignored", flush=True)
        if args.db:
            state.db_path = args.db
    else:
        grid = _grid_from_args(args)
        folder = Path(args.out) if args.out else _default_folder(grid.network)
        if (folder / "sweep.json").exists():
            raise BadInput(f"{folder} already holds a sweep; use --resume {folder} or another --out")
        state = SweepState.new(grid, args.db)
    todo = state.pending()
    from engine.run.config import RunConfig
    from engine.sweep.grid import estimate_run_s
    est = sum(estimate_run_s(RunConfig(**e.config)) for e in todo) + state.grid.cooldown_s * max(0, len(todo) - 1)
    if not args.progress_jsonl:
        total = plan(state.grid).runs
        print(f"Sweep of {state.grid.network}: {len(todo)} of {total} runs to do, roughly {format_duration(est)} "
              f"(one at a time, {state.grid.cooldown_s:g} s cool-down). Folder: {folder}", flush=True)
    if args.dry_run:
        return EXIT_OK
    state.save(folder)  # an OSError names the file; the CLI reports it (exit 2)
    sweep = SweepRun(state, folder, on_progress=_printer(args.progress_jsonl))
    previous = {s: signal.signal(s, lambda *_: sweep.cancel()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
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
        done = len(state.entries) - counts.get("pending", 0)
        raise Cancelled(f"sweep cancelled after {done} of {len(state.entries)} runs; resume with --resume {folder}")
    if not counts.get("ok"):
        raise RunFailed(f"sweep: no run finished ok ({summary_of(counts)})")
    return EXIT_OK
