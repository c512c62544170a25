"""main.py: a sub-command runs the CLI, a FILE or nothing opens the GUI, and anything else is a mistyped
command (exit 2 naming the nearest, no GUI). CLI output survives a reader that goes away and never
passes terminal escape codes from user data through."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import main as entry

ROOT = Path(__file__).resolve().parents[1]
ESC = "\x1b"


@pytest.fixture
def gui_calls(monkeypatch):
    import gui.app
    calls: list[list[str]] = []
    monkeypatch.setattr(gui.app, "main", lambda argv: calls.append(argv) or 0)
    return calls


def test_mistyped_command_names_the_nearest_and_starts_no_gui(gui_calls, capsys):
    assert entry.main(["histroy"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'histroy'" in err and "did you mean 'history'?" in err and err.count("\n") == 1
    assert entry.main(["frobnicate", "--json"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err
    assert gui_calls == []


def test_nothing_or_a_file_opens_the_gui(gui_calls, tmp_path):
    spec = tmp_path / "net"  # an existing file, whatever its name
    spec.write_text("{}")
    assert entry.main([]) == 0
    assert entry.main([str(spec)]) == 0
    assert entry.main(["not-yet-saved.json"]) == 0  # the GUI says it cannot be read, with the window behind it
    assert gui_calls == [[], [str(spec)], ["not-yet-saved.json"]]


def test_installed_entry_point_exits_with_the_command_code(monkeypatch, gui_calls):
    monkeypatch.setattr(sys, "argv", ["tradeoff-lab", "histroy"])
    with pytest.raises(SystemExit) as stop:
        entry.cli_entry()
    assert stop.value.code == 2


def _closed_reader(args: list[str], env: dict | None = None, timeout_s: float = 300) -> tuple[int, str]:
    """Run main.py with its stdout a pipe whose reader has already gone (as `| head` does once satisfied)."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    proc.stdout.close()
    try:
        _, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, err.decode()


@pytest.mark.parametrize("args", [["validate", "resnet9", "--json"], ["validate", "resnet9"], ["hw", "--json"],
                                  ["--help"]])
def test_a_reader_that_goes_away_ends_output_quietly(args):
    code, err = _closed_reader(args)
    assert code == 0 and "Traceback" not in err and "BrokenPipe" not in err, err


def test_watch_ends_when_its_reader_goes_away():
    code, err = _closed_reader(["hw", "--watch"], timeout_s=90)  # it used to print to nowhere for ever
    assert code == 0 and "Traceback" not in err, err


@pytest.mark.slow
def test_a_run_whose_reader_went_away_still_finishes_and_is_stored(tmp_path):
    env = dict(os.environ, TRADEOFF_LAB_DATA=str(tmp_path))
    db = tmp_path / "h.sqlite"
    code, err = _closed_reader(["run", "lenet", "--steps", "5", "--batch", "8", "--db", str(db)], env)
    assert code == 0 and "Traceback" not in err, err
    listed = subprocess.run([sys.executable, str(ROOT / "main.py"), "history", "--json", "--db", str(db)], cwd=ROOT,
                            capture_output=True, text=True, env=env, timeout=120)
    assert [r["status"] for r in json.loads(listed.stdout)] == ["ok"]


def _hostile_spec(tmp_path: Path, name: str, layer_id: str = "fc") -> Path:
    spec = {"name": name, "input": {"shape": [1, 28, 28]}, "num_classes": 10, "layers": [
        {"id": "flat", "type": "Flatten", "inputs": ["input"]},
        {"id": layer_id, "type": "Linear", "params": {"out_features": 10}, "inputs": ["flat"]}]}
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(spec))
    return path


def test_escape_codes_in_names_are_shown_not_obeyed(tmp_path, capsys):
    clear_screen, set_title = f"{ESC}[2J{ESC}[31m", f"{ESC}]0;owned\x07"
    path = _hostile_spec(tmp_path, f"net{clear_screen}{set_title}\u202e")
    assert entry.main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert ESC not in out and "\x07" not in out and "\u202e" not in out
    assert "net\\x1b[2J\\x1b[31m\\x1b]0;owned\\x07\\u202e" in out
    broken = _hostile_spec(tmp_path, "x", layer_id=f"fc{ESC}[2J")  # an invalid id, named in the error
    assert entry.main(["validate", str(broken)]) == 2
    err = capsys.readouterr().err
    assert ESC not in err and "fc\\x1b[2J" in err


def test_a_lone_surrogate_in_a_name_is_refused_naming_the_field(tmp_path, capsys):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"name": "bad\ud800name", "input": {"shape": [4]}, "num_classes": 2, "layers": [
        {"id": "fc", "type": "Linear", "params": {"out_features": 2}, "inputs": ["input"]}]}))
    assert entry.main(["validate", str(path)]) == 2  # it could never be stored or printed as text
    err = capsys.readouterr().err
    assert "name: the text holds a lone surrogate" in err and "\ud800" not in err
