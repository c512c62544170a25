"""Tradeoff Lab's entry point, also installed as the `tradeoff-lab` command: a sub-command runs headless
(engine.cli); no argument, or a spec FILE, opens the GUI. A word that is neither is a mistyped command:
exit 2 naming the nearest one, never a GUI start (which on a server is a Qt abort)."""
from __future__ import annotations

import difflib
import sys
from pathlib import Path

from engine.cli import COMMANDS, EXIT_BAD_INPUT

HELP = ("-h", "--help")


def _opens_in_gui(arg: str) -> bool:
    """A FILE for the GUI: an existing path, or a .json name (the GUI says if it cannot be read)."""
    return arg.lower().endswith(".json") or Path(arg).exists()


def _unknown_command(word: str) -> int:
    from engine.format import plain
    near = difflib.get_close_matches(word, COMMANDS, n=1)
    hint = f"did you mean '{near[0]}'? " if near else ""
    sys.stderr.write(f"main.py: error: unknown command '{plain(word)}': {hint}commands: {', '.join(COMMANDS)}; "
                     "or a spec FILE (.json) to open in the app\n")
    return EXIT_BAD_INPUT


def main(argv: list[str]) -> int:
    first = argv[0] if argv else None
    if first in COMMANDS or first in HELP:
        from engine.cli import main as cli_main  # the CLI may import torch; the GUI path must not
        from engine.cli.safe_output import guarded_output
        with guarded_output():
            return cli_main(argv)
    if first is not None and not first.startswith("-") and not _opens_in_gui(first):
        return _unknown_command(first)
    from gui.app import main as gui_main
    return gui_main(argv)


def cli_entry() -> None:
    """`python main.py …` and the installed `tradeoff-lab` command."""
    try:
        code = main(sys.argv[1:])
    except KeyboardInterrupt:  # Ctrl+C before a command took over the signal: no traceback
        sys.stderr.write("interrupted\n")
        code = 3
    sys.exit(code)


if __name__ == "__main__":
    cli_entry()
