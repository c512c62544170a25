"""The one error root: every refusal and failure is a TradeoffError with a user message, and the
command line maps them to exit codes in one place (engine.cli.main)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import engine.cli as cli
from engine import errors
from engine.errors import (
    BadInput,
    BadResultFile,
    BadRunInput,
    BadStoreFile,
    Cancelled,
    DeviceFailure,
    OutOfMemory,
    Refused,
    RunFailed,
    TradeoffError,
    Unsupported,
    exit_code_of,
    kind_of,
)
from engine.net.export_onnx import OnnxExportError, OnnxUnavailable
from engine.net.shapes import ShapeError
from engine.net.spec import SpecFormatError
from engine.sweep.grid import BadSweep

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("cls, kind, code", [
    (BadInput, "bad_input", 2), (BadRunInput, "bad_input", 2), (BadResultFile, "bad_input", 2),
    (BadStoreFile, "bad_input", 2), (SpecFormatError, "bad_input", 2), (BadSweep, "bad_input", 2),
    (OnnxExportError, "bad_input", 2), (ShapeError, "bad_input", 2),
    (Unsupported, "unsupported", 2), (OnnxUnavailable, "unsupported", 2),
    (RunFailed, "failed", 3), (OutOfMemory, "oom", 3), (DeviceFailure, "device", 3), (Cancelled, "cancelled", 3),
])
def test_every_engine_error_has_the_one_root(cls, kind, code):
    exc = cls("something named went wrong")
    assert isinstance(exc, TradeoffError)
    assert kind_of(exc) == kind and exit_code_of(exc) == code == exc.exit_code
    assert exc.user_message == "something named went wrong"
    assert isinstance(exc, Refused) == (code == 2)


def test_old_bases_still_hold():
    # Callers that caught ValueError / RuntimeError before the root existed keep working.
    assert issubclass(SpecFormatError, ValueError) and issubclass(BadSweep, ValueError)
    assert issubclass(OnnxUnavailable, RuntimeError) and issubclass(BadRunInput, ValueError)
    assert cli.BadInput is BadInput


def test_user_message_is_one_line():
    assert BadInput("a\n  b\tc").user_message == "a b c"
    assert Cancelled().user_message == "Cancelled"


def test_other_exceptions_are_internal_or_cancelled():
    assert kind_of(RuntimeError("x")) == "internal" and exit_code_of(RuntimeError("x")) == 1
    assert kind_of(KeyboardInterrupt()) == "cancelled" and exit_code_of(KeyboardInterrupt()) == 3
    assert kind_of(MemoryError()) == "oom"


def test_failure_for_a_stored_status():
    assert type(errors.failure_for("oom", "m")) is OutOfMemory
    assert type(errors.failure_for("cancelled", "m")) is Cancelled
    assert type(errors.failure_for("failed", "m")) is RunFailed


@pytest.fixture
def raising(monkeypatch):
    """engine.cli.main with the `hw` command replaced by one that raises the given exception."""
    import engine.cli.hw as hw_cli

    def use(exc: BaseException) -> None:
        def main(_args):
            raise exc
        monkeypatch.setattr(hw_cli, "main", main)
    return use


@pytest.mark.parametrize("exc, code, words", [
    (BadRunInput("data set 'x': /x does not exist"), 2, "error: data set 'x': /x does not exist"),
    (Unsupported("device cuda:3: there are only 1 GPU(s)"), 2, "error: device cuda:3"),
    (OutOfMemory("run oom: out of memory at batch 8192"), 3, "error: run oom"),
    (Cancelled("run cancelled: cancelled by the user"), 3, "error: run cancelled"),
    (PermissionError(13, "Permission denied", "/out/r.csv"), 2, "error: /out/r.csv: Permission denied"),
    (KeyboardInterrupt(), 3, "error: cancelled"),
])
def test_cli_maps_errors_to_exit_codes_in_one_place(raising, capsys, exc, code, words):
    raising(exc)
    assert cli.main(["hw"]) == code
    err = capsys.readouterr().err
    assert err.startswith(words) and err.count("\n") == 1 and "Traceback" not in err


def test_an_internal_error_is_one_line_with_a_hint(raising, capsys, monkeypatch):
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    raising(ZeroDivisionError("division by zero"))
    assert cli.main(["hw"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "internal error: ZeroDivisionError: division by zero" in err and "--debug" in err


@pytest.mark.parametrize("debug_by", ["flag", "env"])
def test_debug_shows_the_traceback(raising, capsys, monkeypatch, debug_by):
    raising(ZeroDivisionError("division by zero"))
    if debug_by == "env":
        monkeypatch.setenv(cli.DEBUG_ENV, "1")
    assert cli.main(["hw", "--debug"] if debug_by == "flag" else ["hw"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_a_closed_pipe_is_not_a_traceback():
    # `main.py validate --json | head -1`: the reader goes away after the first line.
    proc = subprocess.run(f"{sys.executable} main.py validate resnet9 --json | head -1", shell=True, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "{"
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
