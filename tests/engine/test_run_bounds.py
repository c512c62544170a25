"""Run options out of any sensible range are refused before anything runs (exit 2, naming the flag):
2**63 as a batch crashed in C++, inf seconds or lr ran forever or into NaN, 2**64 as a seed raised."""
from __future__ import annotations

import pytest

from engine.cli import main as cli_main

BASE = ["run", "mlp", "--device", "cpu", "--no-store"]


@pytest.mark.parametrize("flag, value", [
    ("--seed", str(2**64)), ("--seed", "-1"), ("--batch", str(2**63)), ("--batch", "0"),
    ("--seconds", "inf"), ("--seconds", "nan"), ("--threads", "1000000"), ("--lr", "inf"), ("--lr", "nan"),
    ("--warmup", str(10**18)), ("--steps", str(10**18)), ("--sample-hz", "inf"), ("--idle-seconds", "1e9"),
    ("--eval-every", "inf"),
])
def test_out_of_range_run_options_exit_2_naming_the_flag(capsys, flag, value):
    try:
        code = cli_main([*BASE, flag, value])
    except SystemExit as exc:  # refused by the flag's own parser
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert flag in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
