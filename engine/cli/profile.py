"""`python main.py profile NET [run options] [--json PATH]`: where a configuration's step time goes.

First an ordinary, unprofiled run of the configuration (stored in the run history like any run: its
median step time is the figure explained), then a few steps under torch.profiler whose time is
attributed to each layer (forward and backward), the loss, the optimizer, data loading and idle
time, each layer judged compute-, memory- or launch-bound against the device's peaks (measured once
and cached: `hw --peaks`). The profile is stored with the run; --json writes it (its keys: layers,
other, step_time_s, unprofiled_step_time_s, verdict, and the details behind them).
Exit codes: 0 ok; 2 bad input or a configuration that cannot be profiled; 3 the run failed.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from engine.cli import EXIT_OK
from engine.cli.config_flags import add_config_flags
from engine.errors import Cancelled, RunFailed, failure_for
from engine.run.config import RunConfig


def add_parser(sub: Any) -> None:
    p = sub.add_parser("profile", help="profile a run: time per layer, bound and verdict",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("network", metavar="NET", help="preset name (lenet, mlp, resnet9, ...) or a spec .json path")
    add_config_flags(p, RunConfig)
    p.add_argument("--json", metavar="PATH", help="write the profile JSON here")
    p.add_argument("--db", metavar="PATH", help="run history file (default: the user data folder)")
    p.add_argument("--no-store", action="store_true", help="add neither the run nor its profile to the history")
    p.set_defaults(command="profile")


def main(args: argparse.Namespace) -> int:
    from engine.cli.run import _Stop
    stop = _Stop()
    try:
        return _main(args, stop)
    finally:
        stop.restore()


def _main(args: argparse.Namespace, stop: Any) -> int:
    from engine.cli.netload import load_network
    from engine.cli.profile_output import print_profile
    from engine.cli.run import _check_json_path, _config, _open_store
    from engine.cli.run_output import Progress, print_summary
    from engine.profile.runner import check_profilable

    spec = load_network(args.network)
    args.schema = RunConfig
    config = _config(args)
    if config.repeats > 1:
        from engine.errors import BadInput
        raise BadInput("--repeats: a profile explains one run; profile without --repeats")
    check_profilable(config)
    json_path = _check_json_path(args.json)
    store = None if args.no_store else _open_store(args.db)

    from engine.profile.runner import profile_run
    if stop.is_set():
        raise Cancelled("cancelled before the run started: nothing ran")
    notes: list[str] = []

    def keep(result: Any) -> None:
        if store is not None:
            try:
                store.add(result)
                notes.append(f"run stored in the run history ({store.path})")
            except Exception as exc:  # noqa: BLE001 - the run is done; say why it was not kept
                notes.append(f"NOT stored in the run history: {exc}")

    progress = Progress(sys.stdout)
    try:
        result, profile = profile_run(spec, config, on_event=progress.on_event, should_stop=stop.is_set,
                                      store_result=keep)
    finally:
        progress.close()
    if profile is None:
        print_summary(result, notes, sys.stdout)
        status = result.status if result.status != "ok" else "cancelled"
        raise failure_for(status, f"profile not made: the run {'was cancelled' if status == 'cancelled' else status}"
                                  + (f" ({result.error})" if result.error else ""))
    problems = []
    if store is not None and not any(n.startswith("NOT") for n in notes):
        try:
            store.add_profile(profile)
            problems.append("profile stored with its run")
        except Exception as exc:  # noqa: BLE001 - say why, keep going: --json may still take it
            problems.append(f"profile NOT stored in the run history: {exc}")
    if json_path is not None:
        from engine.cli.run import _write_json
        error = _write_json(profile, json_path)
        problems.append(f"profile NOT written: {error}" if error else f"profile written to {json_path}")
    print_profile(profile, notes + problems, sys.stdout)
    bad = [p for p in problems if "NOT" in p]
    if bad:
        raise RunFailed("the profile was made but not saved as asked: " + "; ".join(bad))
    return EXIT_OK
