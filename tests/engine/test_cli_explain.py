"""`main.py explain`: bad input is one line and exit 2 before anything runs; the README's example
output has the waterfall's columns as the command prints them."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main
from engine.profile.explain_text import WATERFALL_HEADERS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("argv", "message"), [
    (["--verdict", "slow"], "error: verdict 'slow' is not one of: launch-bound, memory-bound"),
    (["--verdict", "launch", "--levers", "bf16"], "error: --levers: 'bf16' is not a lever for a launch-bound run; "
                                                  "its levers: batch, cuda-graph"),
    (["--verdict", "memory", "--levers", "bf16"], "error: --levers: none of bf16 can run here (bf16: lower precision"),
    (["--verdict", "launch", "--json", "/no/such/folder/x.json"], "error: --json /no/such/folder/x.json: the folder"),
])
def test_bad_input_is_refused_in_one_line_before_anything_runs(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path))
    code = main(["explain", "lenet", "--device", "cpu", "--out", str(tmp_path / "ex"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(message) and err.count("\n") == 1
    assert not (tmp_path / "ex").exists()  # nothing ran


def test_a_network_with_a_problem_is_named_before_anything_runs(tmp_path, capsys):
    spec = tmp_path / "bad.json"
    spec.write_text('{"format": "tradeoff-lab/network", "version": 1, "name": "bad", "input": {"shape": [1, 8, 8]}, '
                    '"layers": [{"id": "fc", "type": "Linear", "params": {"out_features": 0}, "inputs": ["input"]}], '
                    '"output": "fc"}')
    assert main(["explain", str(spec), "--device", "cpu", "--verdict", "launch"]) == 2
    assert "fc" in capsys.readouterr().err


def test_the_readme_shows_the_waterfall_as_the_command_prints_it():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("main.py explain lenet", 1)[1].split("```", 1)[0]  # the rest of its block: the output
    header = next(line for line in block.splitlines() if line.startswith("lever "))
    assert header.split() == " ".join(WATERFALL_HEADERS).split()
    assert "constant-factor" in block and "not tried: cuda-graph" in block
