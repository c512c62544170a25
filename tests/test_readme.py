"""The README's command-line examples parse as written (every sub-command and flag exists), and its
set-up section keeps to the two commands."""
from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

from engine.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
PREFIX = ".venv/bin/python main.py"


def _examples() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [line.split("  #")[0].strip() for line in text.splitlines() if line.startswith(PREFIX)]
    return [[t for t in shlex.split(line[len(PREFIX):]) if t not in ("[", "]")] for line in lines]


def test_every_cli_example_parses():
    examples = _examples()
    assert len(examples) >= 8
    parser = build_parser()
    for argv in examples:
        argv = [t.strip("[]") for t in argv]
        if not argv:  # the app itself
            continue
        args = parser.parse_args(argv)  # a missing flag or command exits 2 here
        assert args.command == argv[0]


def test_set_up_is_make_run_and_make_test():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    first_block = re.search(r"```\n(.*?)```", setup, re.S).group(1)
    assert [line.split()[:2] for line in first_block.splitlines()] == [["make", "run"], ["make", "test"]]


def test_set_up_names_every_dependency_it_installs():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0].lower()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    names = [re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower() for d in wanted]
    missing = [n for n in names if n not in setup]
    assert not missing, f"README 'Set up' does not say it installs {missing}"
