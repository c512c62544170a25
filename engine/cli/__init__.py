"""The headless command line (DESIGN.md "Command line"). Each sub-command is one module here with
`add_parser(subparsers)` and `main(args) -> int` (exit code). Exit codes: 0 ok, 2 bad input, 3 run failed.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# name -> module under engine.cli; each module registers its own arguments.
COMMANDS = ("hw", "validate", "run", "history", "sweep", "report", "export")
EXIT_OK, EXIT_BAD_INPUT, EXIT_RUN_FAILED = 0, 2, 3
__all__ = ["COMMANDS", "EXIT_BAD_INPUT", "EXIT_OK", "EXIT_RUN_FAILED", "BadInput", "build_parser", "main"]


class BadInput(Exception):
    """Raised by a command for bad user input; main() prints the message alone and exits 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one clear line, exit 2 (argparse's default also prints usage)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    # No positional "file" here: argparse would give it the sub-command's name ("run lenet" parsed as
    # file=run, command=lenet). main.py opens the GUI (optionally on FILE) when no sub-command is given.
    parser = _Parser(prog="main.py", description="Tradeoff Lab: speed x power x place of deep learning. "
                     "Without a sub-command, `main.py [FILE]` opens the GUI (optionally on a spec file).")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"engine.cli.{name}")
        module.add_parser(sub)
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    module = importlib.import_module(f"engine.cli.{args.command}")
    try:
        return module.main(args)
    except BadInput as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_BAD_INPUT
