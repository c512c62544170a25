"""`main.py explain NET [run options] [--verdict V] [--levers a,b] [--json F] [--html F] [--pdf F]`:
explain this run. The run options give the baseline; the bound comes from a profile run of it (or
--verdict); the levers that address that bound each run alone against the baseline, each in a fresh
process, then every lever that helped runs together. Prints a waterfall: each lever's throughput,
energy per sample, peak memory and accuracy against the baseline, with the kind of speed-up and why.
The runs are one sweep in the run history: `main.py report --sweep DIR` reports them again.
"""
from __future__ import annotations

import argparse
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.cli import EXIT_OK, BadInput
from engine.cli.config_flags import add_config_flags, build_config, given
from engine.cli.sweep import _cooldown
from engine.errors import Cancelled, RunFailed
from engine.run.config import RunConfig


def add_parser(sub: Any, schema: type[RunConfig] = RunConfig) -> None:
    p = sub.add_parser("explain", help="run the levers that address the run's bound, one at a time, and show "
                       "each one's effect (a waterfall)", description=__doc__.split("\n\n")[0])
    p.add_argument("network", metavar="NET", help="preset name (lenet, mlp, resnet9, ...) or a spec .json path")
    add_config_flags(p, schema)
    p.add_argument("--verdict", metavar="BOUND", help="what bounds the run, instead of profiling it: launch-bound, "
                   "memory-bound, compute-bound or data/host-bound")
    p.add_argument("--levers", metavar="A,B,...", type=lambda t: [x.strip() for x in t.split(",") if x.strip()],
                   help="run only these of the proposed levers (default: every lever the device and mode allow)")
    p.add_argument("--no-combine", action="store_true", help="skip the last run of every lever that helped, together")
    p.add_argument("--cooldown", type=_cooldown, default=5.0, metavar="S", help="seconds of rest between runs (default 5)")
    p.add_argument("--out", metavar="DIR", help="sweep folder (default: a new folder under the data folder's sweeps/)")
    p.add_argument("--db", metavar="PATH", help="run history file (default: the user data folder)")
    p.add_argument("--json", metavar="F", help="write the waterfall as JSON")
    p.add_argument("--html", metavar="F", help="write an HTML report with the waterfall chart")
    p.add_argument("--pdf", metavar="F", help="write a PDF report with the waterfall chart")
    p.set_defaults(schema=schema)


def _outputs(args: argparse.Namespace) -> None:
    for flag in ("json", "html", "pdf"):
        target = getattr(args, flag)
        if target and not Path(target).resolve().parent.is_dir():
            raise BadInput(f"--{flag} {target}: the folder {Path(target).resolve().parent} does not exist")
        if target and Path(target).is_dir():
            raise BadInput(f"--{flag} {target}: is a folder; give a file name")


def _folder(args: argparse.Namespace, network: str) -> Path:
    if args.out:
        folder = Path(args.out).resolve()
        if (folder / "sweep.json").exists():
            raise BadInput(f"--out {folder}: already holds a sweep; choose another folder")
        return folder
    from engine.paths import data_dir
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return data_dir() / "sweeps" / f"{stamp}-explain-{Path(network).stem}"


def _printer(p: Any) -> None:
    from engine.format import throughput
    if p.event == "run_started":
        print(f"[{p.index + 1}/{p.total}] {p.label} …", flush=True)
    elif p.event == "run_finished":
        extra = f" {throughput(p.throughput_sps)}" if p.throughput_sps else (f": {p.reason}" if p.reason else "")
        print(f"    {p.status}{extra}", flush=True)


def main(args: argparse.Namespace) -> int:
    from engine.cli.netload import load_network
    from engine.profile.explain import ExplainRun
    from engine.profile.explain_setup import make_plan
    from engine.sweep.grid import Grid
    from engine.sweep.runner import absolute_paths, sweep_lock

    schema = getattr(args, "schema", RunConfig)
    values = given(args, schema)
    if "device" not in values:
        from engine.cli.run import _default_device
        values["device"] = _default_device()
    baseline = build_config(schema, values)
    _outputs(args)
    spec = load_network(args.network)
    network = absolute_paths(Grid(network=args.network)).network
    plan = make_plan(network, spec.to_json(), baseline, verdict=args.verdict, levers=args.levers,
                     combine=not args.no_combine, cooldown_s=args.cooldown)
    folder = _folder(args, args.network)
    db = str(Path(args.db).resolve()) if args.db else None
    runs = 1 + len(plan.advice.levers)
    shown = folder.relative_to(Path.cwd()) if folder.is_relative_to(Path.cwd()) else folder
    print(f"Explain {spec.name} on {baseline.device}: {plan.advice.bound_words} "
          f"({'given' if plan.verdict_source == 'given' else 'from a profile run'}); the baseline and "
          f"{len(plan.advice.levers)} lever{'s' if len(plan.advice.levers) != 1 else ''} alone"
          f"{f', {plan.repeats} times each' if plan.repeats > 1 else ''}: {runs * plan.repeats} runs"
          f"{', then those that helped together' if plan.combine and len(plan.advice.levers) > 1 else ''}. "
          f"Folder: {shown}", flush=True)
    explain = ExplainRun(plan, folder, spec_json=spec.to_json(), db_path=db, on_progress=_printer)
    previous = {s: signal.signal(s, lambda *_: explain.cancel()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with sweep_lock(folder):
            result = explain.run()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    from engine.profile.explain_text import waterfall_lines
    print()
    for line in waterfall_lines(result):
        print(line)
    written = _write(result, args)
    for path in written:
        print(f"wrote {path}")
    print(f"Report again: main.py report --sweep {shown} --html report.html")
    sys.stdout.flush()
    if result.cancelled:
        raise Cancelled("explain cancelled: the finished runs are kept in the history")
    if not result.baseline["throughput_sps"]:
        raise RunFailed("explain: the baseline run did not finish ok, so nothing can be compared")
    return EXIT_OK


def _write(result: Any, args: argparse.Namespace) -> list[Path]:
    out = []
    if args.json:
        import json

        from engine.files import write_text_atomic
        write_text_atomic(Path(args.json), json.dumps(result.to_json(), indent=2, default=str) + "\n")
        out.append(Path(args.json))
    if args.html or args.pdf:
        from engine.profile.explain_report import write_explain_report
        out += write_explain_report(result, html=args.html, pdf=args.pdf)
    return out
