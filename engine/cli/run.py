"""`python main.py run NET [options] [--json PATH]`: one run of a network on a device.

Shows live progress (a bar on a terminal, a plain line every few seconds otherwise), prints a
summary, writes the result JSON (--json) and adds it to the run history (unless --no-store).
Ctrl+C stops the run cleanly: the result is written with status "cancelled" (a second Ctrl+C aborts).
Exit codes: 0 ok; 2 bad input (nothing ran); 3 the run failed, ran out of memory or was cancelled.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

from engine.cli import EXIT_OK, BadInput
from engine.cli.config_flags import add_config_flags, build_config, given
from engine.errors import Cancelled, RunFailed, failure_for
from engine.run.config import RunConfig


def add_parser(sub: Any, schema: type[RunConfig] = RunConfig) -> None:
    """The `run` sub-command; its option flags come from the schema (RunConfig's fields)."""
    p = sub.add_parser("run", help="run a network once and measure it", description=__doc__.split("\n\n")[0])
    p.add_argument("network", metavar="NET", help="preset name (lenet, mlp, resnet9, ...) or a spec .json path")
    add_config_flags(p, schema)
    from engine.cli.run_parallel import add_flags
    add_flags(p)
    p.add_argument("--json", metavar="PATH", help="write the result JSON here")
    p.add_argument("--db", metavar="PATH", help="run history file (default: the user data folder)")
    p.add_argument("--no-store", action="store_true", help="do not add the run to the history")
    p.add_argument("--repeat-of", metavar="GROUP:I", help=argparse.SUPPRESS)  # one repeat of `--repeats N`
    p.set_defaults(command="run", schema=schema)


def main(args: argparse.Namespace) -> int:
    # Signals first: Ctrl+C, SIGTERM or SIGHUP while torch loads must not print a traceback, and one
    # during the run ends it as "cancelled", kept like any other run.
    stop = _Stop()
    try:
        return _main(args, stop)
    finally:
        stop.restore()


PIPELINE_ONLY = ("microbatches", "pipeline_split", "pipeline_schedule")
TRAINING_ONLY = ("keep_weights", "optimizer", "lr", "eval_every_s")


def strict_fp32_for_onnxruntime(config: RunConfig) -> bool:
    """An fp32 ONNX Runtime run on a GPU: forbid TF32 to cuBLAS and cuDNN (NVIDIA_TF32_OVERRIDE=0), which
    they read only when they load, so before torch does. ORT's own TF32 switch misses cuDNN's default
    math, and its "fp32" convolutions ran in TF32 against PyTorch's strict fp32. True when set here."""
    if (config.backend != "onnxruntime" or config.precision != "fp32" or not config.device.startswith("cuda")
            or "torch" in sys.modules or "NVIDIA_TF32_OVERRIDE" in os.environ):
        return False
    os.environ["NVIDIA_TF32_OVERRIDE"] = "0"
    return True


def _refuse_training_flags(args: argparse.Namespace, config: Any) -> None:
    """A training option typed for a run that does not train (--keep-weights with --mode infer) is
    refused, as --until-accuracy is: ignored, it would leave the user believing weights were kept."""
    from engine.run.options import Target, option_fields, unavailable
    reasons = unavailable(config.model_dump(), Target(device=config.device))
    fields = option_fields(type(config), "cli")
    typed = [fields[n] for n in TRAINING_ONLY if hasattr(args, n) and n in reasons
             and getattr(config, n) != fields[n].default]  # argparse keeps only the flags the user typed
    if typed:
        raise BadInput(f"{', '.join(f.flag for f in typed)}: {reasons[typed[0].name]}; this run is --mode "
                       f"{config.mode} (use --mode train, or leave {'them' if len(typed) > 1 else 'it'} out)")


def _main(args: argparse.Namespace, stop: _Stop) -> int:
    from engine.cli.netload import load_network
    from engine.cli.run_output import Progress, print_summary

    spec = load_network(args.network)
    config = _config(args)
    pipeline_flags = [f"--{n.replace('_', '-')}" for n in PIPELINE_ONLY if hasattr(args, n)]
    if pipeline_flags and config.parallel != "pipeline":  # argparse keeps only the flags the user typed
        raise BadInput(f"{', '.join(pipeline_flags)}: used only by a pipeline job; add --parallel pipeline "
                       f"(with --devices cuda:0,cuda:1, or --devices cpu --processes 2)")
    _refuse_training_flags(args, config)
    strict_fp32_for_onnxruntime(config)
    json_path = _check_json_path(args.json)
    store = None if args.no_store else _open_store(args.db)

    repeat = _repeat_of(args.repeat_of, config)
    if config.repeats > 1 and repeat is None:
        return _repeats(args, config, json_path, stop)

    from engine.cli import run_parallel
    from engine.run.loop import run

    if config.is_parallel:
        run_parallel.check_flags(args, config)
        if config.nnodes > 1 and args.node_rank is None:
            run_parallel.print_node_commands(sys.argv[1:], config, args.rdzv_endpoint)
            return EXIT_OK
    if stop.is_set():
        raise Cancelled("cancelled before the run started: nothing ran")
    progress = Progress(sys.stdout)
    try:
        if config.is_parallel:
            result = run_parallel.run_job(spec, config, args, progress.on_event, stop.is_set)
        else:
            result = run(spec, config, on_event=progress.on_event, should_stop=stop.is_set)
    finally:
        progress.close()
    if result is None:  # another machine of a several-machine job: its part ended well
        print(f"node {args.node_rank}: its processes finished; the job's result is kept on node 0", file=sys.stdout)
        return EXIT_OK
    result.repeat = repeat
    # Keep the run first, then write the file: a file that cannot be written (a full disk,
    # /dev/full) must not lose a run that happened.
    notes: list[str] = []
    stored = written = None
    if store is not None:
        try:
            store.add(result)
            stored = True
            notes.append(f"stored in the run history ({store.path})")
        except Exception as exc:  # noqa: BLE001 - the run is done; say why it was not kept
            stored = False
            notes.append(f"NOT stored in the run history: {exc}")
    if json_path is not None:
        error = _write_json(result, json_path)
        written = error is None
        notes.append(f"result written to {json_path}" if written else f"result NOT written: {error}")
    if not stored and not written:
        notes.append(_rescue(result))
    print_summary(result, notes, sys.stdout)
    if result.status != "ok":
        raise failure_for(result.status, f"run {result.status}: {result.error}")
    if stored is False or written is False:
        raise RunFailed("the run finished but was not saved as asked: " +
                        "; ".join(n for n in notes if "NOT" in n or "saved to" in n))
    return EXIT_OK


def _write_json(result: Any, path: Path) -> str | None:
    """Write the result file; the reason when it cannot be written (nothing half-written is left)."""
    text = result.model_dump_json(indent=2) + "\n"
    try:
        with path.open("w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()  # a full disk fails here or at fsync, not silently at exit
            if path.is_file():
                os.fsync(fh.fileno())
    except (OSError, ValueError) as exc:
        if path.is_file():
            with contextlib.suppress(OSError):
                path.unlink()
        return f"{path}: {getattr(exc, 'strerror', None) or exc}"
    return None


def _rescue(result: Any) -> str:
    """Neither the history nor --json kept the run: put it where the user can import it from."""
    import tempfile
    path = Path(tempfile.gettempdir()) / f"tradeoff-lab-run-{result.run_id}.json"
    error = _write_json(result, path)
    if error is None:
        return f"saved to {path} instead: add it with `main.py history --import {path}`"
    return f"could not save it anywhere ({error})"


def _repeat_of(text: str | None, config: Any) -> Any:
    if text is None:
        return None
    from engine.results.result import Repeat
    group, _, index = text.rpartition(":")
    if not group or not index.isdigit():
        raise BadInput(f"--repeat-of {text!r}: give GROUP:INDEX")
    return Repeat(group=group, index=int(index), of=config.repeats)


def _repeats(args: argparse.Namespace, config: Any, json_path: Path | None, stop: _Stop) -> int:
    from engine.cli.run_output import print_summary
    from engine.cli.run_repeats import run_repeats
    from engine.results.repeats import combine_repeats

    results = run_repeats(args, config, stop.is_set)
    if not results:
        raise failure_for("failed", f"none of the {config.repeats} repeats produced a result")
    combined = combine_repeats(results)
    notes = [f"combined over {len(results)} of {config.repeats} repeats: "
             + ", ".join(f"{r.run_id} ({r.status})" for r in results)]
    if json_path is not None:
        error = _write_json(combined, json_path)
        notes.append(f"combined result written to {json_path}" if error is None
                     else f"combined result NOT written: {error}")
    print("\ncombined:", file=sys.stdout)
    print_summary(combined, notes, sys.stdout)
    failed = [r for r in results if r.status != "ok"]
    if failed or len(results) < config.repeats:
        raise failure_for(failed[0].status if failed else "cancelled",
                          f"{len(failed) or config.repeats - len(results)} of {config.repeats} repeats did not finish ok")
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


class _Stop:
    """The first Ctrl+C, SIGTERM or SIGHUP asks the run to stop (it ends as "cancelled", result
    kept); a second one raises KeyboardInterrupt, which the run loop also ends as "cancelled"."""

    SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

    def __init__(self) -> None:
        self._set = False
        self._previous: dict[int, Any] = {}
        for sig in self.SIGNALS:
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except (ValueError, OSError):  # not the main thread: signals behave as usual
                pass

    def _handle(self, sig: int, _frame: Any) -> None:
        if self._set:
            raise KeyboardInterrupt
        self._set = True
        name = "Ctrl+C" if sig == signal.SIGINT else signal.Signals(sig).name
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(f"\n{name}: stopping; the run ends after this step and is kept "
                             f"(Ctrl+C again to stop at once)\n")

    def is_set(self) -> bool:
        return self._set

    def restore(self) -> None:
        for sig, previous in self._previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, previous)
        self._previous.clear()
