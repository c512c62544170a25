"""`run --repeats N`: the configuration runs N times, each in a fresh `run` process (so one run's
warm caches, heat or leaks do not carry into the next), every repeat stored on its own; then the
repeats are combined into a median and 95 % interval over the runs, printed and written (--json).
"""
from __future__ import annotations

import argparse
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from engine.paths import ROOT


def repeat_command(args: argparse.Namespace, config: Any, group: str, index: int, result_path: Path) -> list[str]:
    """The `run` command line of repeat `index` (1-based) of the group."""
    from engine.cli.config_flags import config_argv
    cmd = [sys.executable, str(ROOT / "main.py"), "run", args.network, *config_argv(config),
           "--repeat-of", f"{group}:{index}", "--json", str(result_path)]
    if args.no_store:
        cmd.append("--no-store")
    elif args.db:
        cmd += ["--db", args.db]
    return cmd


def run_repeats(args: argparse.Namespace, config: Any, stopped: Any, out: Any = sys.stdout) -> list[Any]:
    """Runs the repeats one after another; returns their results (as many as finished with a result)."""
    from engine.results.store import read_result_file
    group = f"rep-{secrets.token_hex(4)}"
    results = []
    with tempfile.TemporaryDirectory(prefix="tradeoff-repeats-") as tmp:
        for i in range(1, config.repeats + 1):
            if stopped():
                break
            print(f"repeat {i} of {config.repeats} (fresh process)", file=out, flush=True)
            path = Path(tmp) / f"repeat-{i}.json"
            proc = subprocess.run(repeat_command(args, config, group, i, path), cwd=ROOT, check=False)
            if path.is_file():
                results.append(read_result_file(path))
            elif proc.returncode == 2:  # bad input: every repeat would be refused the same way
                break
    return results
