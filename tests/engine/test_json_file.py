"""The one reader of user JSON files: every hostile file is refused with one line naming the file and
the problem, never a traceback, a hang or a memory blow-up."""
from __future__ import annotations

import json
import os
import threading

import pytest

from engine.cli import main as cli_main
from engine.json_file import MAX_DEPTH, parse_json, read_json


class Bad(ValueError):
    pass


@pytest.mark.parametrize("text, words", [
    ("[" * 5000 + "]" * 5000, "nested too deeply"),  # RecursionError in the C parser
    ("[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2), f"nested more than {MAX_DEPTH} levels"),
    ('{"name": "a", "name": "b"}', "the key 'name' appears twice"),
    ('{"input": {"shape": [' + "9" * 5000 + "]}}", "input.shape.0: the integer 999999999999… (5000 digits)"),
    ('{"mem": 1e400}', "mem: the number 1e400 is too large"),
    ('{"x": NaN}', "x: NaN is not a number"),
    ('{"x": -Infinity}', "x: -Infinity is not a number"),
    ('{"name": "\\ud800"}', "name: the text holds a lone surrogate"),
    ('{"layers": [{"id": "\\udc80"}]}', "layers.0.id: the text holds a lone surrogate"),
    ('{"\\ud800": 1}', "a key holds a lone surrogate"),
    ("{", "not valid JSON"),
])
def test_hostile_json_text_is_refused_naming_source_and_place(text, words):
    with pytest.raises(Bad) as info:
        parse_json(text, "f.json", Bad)
    message = str(info.value)
    assert message.startswith("f.json: ") and words in message
    assert "\n" not in message and len(message) < 300


def test_plain_json_parses_unchanged():
    doc = {"a": [1, -2, 3.5, None, True, "é"], "b": {"c": 10**29}}
    assert parse_json(json.dumps(doc), "f", Bad) == doc


def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "spec.json"
    os.mkfifo(fifo)
    done = []
    worker = threading.Thread(target=lambda: done.append(_refusal(fifo)), daemon=True)
    worker.start()
    worker.join(5)
    assert done and "not a regular file" in done[0], "reading a FIFO hung"


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_device_files_are_refused(path):
    assert "not a regular file" in _refusal(path)


def test_folder_missing_and_oversized_files(tmp_path):
    assert "is a folder" in _refusal(tmp_path)
    assert "no such file" in _refusal(tmp_path / "nope.json")
    big = tmp_path / "big.json"
    big.write_text("[" + "0," * 600 + "0]")
    with pytest.raises(Bad, match="too large for a spec file"):
        read_json(big, Bad, "spec file", max_bytes=1000)


def _refusal(path) -> str:
    with pytest.raises(Bad) as info:
        read_json(path, Bad, "spec file")
    return str(info.value)


@pytest.mark.parametrize("command", [["validate"], ["export", "--pytorch", "OUT"], ["run", "--no-store"]])
@pytest.mark.parametrize("text, words", [
    ("[" * 3000 + "]" * 3000, "nested too deeply"),
    ('{"name": "x\\ud800", "input": {"shape": [4]}, "layers": []}', "name: the text holds a lone surrogate"),
    ('{"name": "x", "name": "y", "input": {"shape": [4]}, "layers": []}', "appears twice"),
])
def test_cli_commands_refuse_hostile_spec_files_with_exit_2(tmp_path, capsys, command, text, words):
    spec = tmp_path / "spec.json"
    spec.write_text(text)
    argv = [command[0], str(spec), *[str(tmp_path / "out.py") if a == "OUT" else a for a in command[1:]]]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert str(spec) in err and words in err and "Traceback" not in err
    assert not (tmp_path / "out.py").exists()
