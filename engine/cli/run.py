"""`python main.py run NET [options] [--json PATH]`: one run of a network on a device.

Shows live progress (a bar on a terminal, a plain line every few seconds otherwise), prints a
summary, writes the result JSON (--json) and adds it to the run history (unless --no-store).
Ctrl+C stops the run cleanly: the result is written with status "cancelled" (a second Ctrl+C aborts).
Exit codes: 0 ok; 2 bad input (nothing ran); 3 the run failed, ran out of memory or was cancelled.
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from engine.cli import EXIT_OK, BadInput
from engine.cli.config_flags import add_config_flags, build_config, given
from engine.errors import failure_for
from engine.run.config import RunConfig


def add_parser(sub: Any, schema: type[RunConfig] = RunConfig) -> None:
    """The `run` sub-command; its option flags come from the schema (RunConfig's fields)."""
    p = sub.add_parser("run", help="run a network once and measure it", description=__doc__.split("\n\n")[0])
    p.add_argument("network", metavar="NET", help="preset name (lenet, mlp, resnet9, ...) or a spec .json path")
    add_config_flags(p, schema)
    p.add_argument("--json", metavar="PATH", help="write the result JSON here")
    p.add_argument("--db", metavar="PATH", help="run history file (default: the user data folder)")
    p.add_argument("--no-store", action="store_true", help="do not add the run to the history")
    p.set_defaults(command="run", schema=schema)


def main(args: argparse.Namespace) -> int:
    from engine.cli.netload import load_network
    from engine.cli.run_output import Progress, print_summary

    spec = load_network(args.network)
    config = _config(args)
    json_path = _check_json_path(args.json)
    store = None if args.no_store else _open_store(args.db)

    from engine.run.loop import run

    progress = Progress(sys.stdout)
    stop = _CtrlC()
    try:
        result = run(spec, config, on_event=progress.on_event, should_stop=stop.is_set)
    finally:
        stop.restore()
        progress.close()
    notes = []
    if json_path is not None:
        json_path.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
        notes.append(f"result written to {json_path}")
    if store is not None:
        try:
            store.add(result)
            notes.append(f"stored in the run history ({store.path})")
        except Exception as exc:  # noqa: BLE001 - the run is done; say why it was not kept
            notes.append(f"NOT stored in the run history: {exc}")
    print_summary(result, notes, sys.stdout)
    if result.status != "ok":
        raise failure_for(result.status, f"run {result.status}: {result.error}")
    return EXIT_OK


def _config(args: argparse.Namespace) -> Any:
    schema = getattr(args, "schema", RunConfig)
    values = given(args, schema)
    values.setdefault("device", _default_device())
    return build_config(schema, values)


def _default_device() -> str:
    import torch
    return "cuda" if torch.cuda.is_available() else "cpu"


def _check_json_path(path: str | None) -> Path | None:
    if path is None:
        return None
    p = Path(path)
    if p.is_dir():
        raise BadInput(f"--json {p}: is a folder; give a file name")
    if not p.parent.is_dir():
        raise BadInput(f"--json {p}: folder {p.parent} does not exist")
    return p


def _open_store(db: str | None) -> Any:
    from engine.results.store import RunStore
    return RunStore(db)  # BadStoreFile names the file


class _CtrlC:
    """First Ctrl+C asks the run to stop (it ends as "cancelled", result written); a second one
    raises KeyboardInterrupt as usual."""

    def __init__(self) -> None:
        self._set = False
        self._previous = None
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: no handler, Ctrl+C behaves as usual
            self._previous = None

    def _handle(self, _sig: int, _frame: Any) -> None:
        if self._set:
            raise KeyboardInterrupt
        self._set = True
        sys.stderr.write("\nstopping: the run ends after this step (Ctrl+C again to stop at once)\n")

    def is_set(self) -> bool:
        return self._set

    def restore(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
