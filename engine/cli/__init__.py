"""The headless command line. Each sub-command is one module here with
`add_parser(subparsers)` and `main(args) -> int` (exit code). Commands raise engine.errors types for
anything that goes wrong; main() alone turns them into a message and an exit code:

    0  success
    1  an internal error (a bug): one line naming it and how to see the traceback
       (--debug, or TRADEOFF_LAB_DEBUG=1); nothing of a run is lost, a run keeps its own result
    2  refused, nothing ran: a bad argument, spec, data set or file (BadInput), or something this
       device or installation cannot do (Unsupported)
    3  a run started and failed, ran out of memory or was cancelled (RunFailed); its result is kept
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
import traceback

from engine.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_RUN_FAILED,
    BadInput,
    TradeoffError,
    exit_code_of,
)

# name -> module under engine.cli; each module registers its own arguments.
COMMANDS = ("hw", "validate", "run", "profile", "history", "sweep", "report", "export", "project", "explain")
DEBUG_ENV = "TRADEOFF_LAB_DEBUG"
__all__ = ["COMMANDS", "DEBUG_ENV", "EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_OK", "EXIT_RUN_FAILED", "BadInput",
           "build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one clear line, exit 2 (argparse's default also prints usage)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    # No positional "file" here: argparse would give it the sub-command's name ("run lenet" parsed as
    # file=run, command=lenet). main.py opens the GUI (optionally on FILE) when no sub-command is given.
    parser = _Parser(prog="main.py", description="Tradeoff Lab: speed x power x place of deep learning. "
                     "Without a sub-command, `main.py [FILE]` opens the GUI (optionally on a spec file).",
                     epilog="Exit codes: 0 ok; 1 internal error (a bug); 2 bad input, nothing ran; "
                            "3 a run failed, ran out of memory or was cancelled (its result is kept).")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"engine.cli.{name}")
        module.add_parser(sub)
        sub.choices[name].add_argument("--debug", action="store_true",
                                       help=f"show the full traceback of an internal error (or set {DEBUG_ENV}=1)")
    return parser


def main(argv: list[str]) -> int:
    """Run one sub-command; the one place where errors become messages and exit codes."""
    debug = os.environ.get(DEBUG_ENV, "") not in ("", "0")
    _ctrl_c(signal.SIG_BLOCK)  # see _ctrl_c
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        debug = debug or bool(getattr(args, "debug", False))
        module = importlib.import_module(f"engine.cli.{args.command}")
        _ctrl_c(signal.SIG_UNBLOCK)  # a Ctrl+C pressed meanwhile arrives now, in plain Python code
        return module.main(args)
    except TradeoffError as exc:
        _say(f"error: {exc.user_message}")
        return exc.exit_code
    except BrokenPipeError:  # `main.py validate --json | head`: the reader left; that is not an error
        _silence_stdout()
        return EXIT_OK
    except OSError as exc:
        if exc.filename is None or debug:
            return _internal(exc, debug)
        # A file the user named (an output, a data set, a database) could not be read or written.
        _say(f"error: {exc.filename}: {exc.strerror or exc}")
        return EXIT_BAD_INPUT
    except (KeyboardInterrupt, MemoryError) as exc:
        _say("error: cancelled" if isinstance(exc, KeyboardInterrupt) else
             "error: out of memory (host); try a smaller batch or network")
        return exit_code_of(exc)
    except Exception as exc:  # noqa: BLE001 -- a bug: one line and a hint, the traceback only on request
        return _internal(exc, debug)
    finally:
        _ctrl_c(signal.SIG_UNBLOCK)  # never left held back (an argument error exits early)


def _ctrl_c(how: int) -> None:
    """Hold Ctrl+C back while the commands' modules load: a KeyboardInterrupt raised inside a
    compiled extension's start-up (pydantic-core) panics instead of unwinding, with a traceback."""
    if hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread():
        signal.pthread_sigmask(how, {signal.SIGINT})


def _internal(exc: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    else:
        text = " ".join(str(exc).split())[:300]
        _say(f"internal error: {type(exc).__name__}{': ' + text if text else ''} "
             f"(a bug; --debug or {DEBUG_ENV}=1 shows the traceback)")
    return EXIT_INTERNAL


def _say(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # stderr closed: nothing more can be said
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _silence_stdout() -> None:
    """Point stdout at /dev/null so Python's flush at exit does not raise BrokenPipeError again."""
    with contextlib.suppress(OSError, ValueError):  # no stdout to redirect: nothing will flush into a pipe
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
