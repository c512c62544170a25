"""Tradeoff Lab entry point: no sub-command opens the GUI; sub-commands run headless (DESIGN.md)."""
from __future__ import annotations

import sys

from engine.cli import COMMANDS


def main(argv: list[str]) -> int:
    if argv and argv[0] in COMMANDS or (argv and argv[0] in ("-h", "--help")):
        from engine.cli import main as cli_main  # the CLI may import torch; the GUI path must not
        return cli_main(argv)
    from gui.app import main as gui_main
    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
