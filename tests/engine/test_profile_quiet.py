"""torch.profiler's C++ status lines (kineto's, written straight to fd 2) stay off the user's stderr,
while everything else written meanwhile (a library's error, kineto's own warnings) still shows."""
from __future__ import annotations

import os

import pytest
import torch

from engine.cli import main as cli_main
from engine.profile.kineto_quiet import is_kineto_noise, quiet_kineto
from tests.engine.test_profile_run import tiny_peaks  # noqa: F401 - the fixture, shared

STATUS = [b"USDT:2026-11-29 11:23:57 21914:21914 SyncActivityProfilerHandler.cpp:52] profiler_start",
          b"STAGE:2026-11-29 11:24:27 22187:22187 SyncActivityProfilerHandler.cpp:51] Completed Stage: Warm Up",
          b"INFO:2026-11-29 11:25:20 22445:22445 GenericActivityProfiler.cpp:146] Processing 1 CPU buffers"]
KEPT = [b"WARNING:2026-11-29 11:25:20 22445:22445 CuptiActivityProfiler.cpp:10] lost 3 GPU events",
        b"ERROR:2026-11-29 11:25:20 22445:22445 CuptiActivityApi.cpp:20] CUPTI_ERROR_INSUFFICIENT_PRIVILEGES",
        b"terminate called: a library's own error", b"USDT: a line that only starts like kineto's"]
KINETO_MARKS = ("USDT:", "STAGE:", "SyncActivityProfilerHandler", "GenericActivityProfiler")


@pytest.mark.parametrize("line", STATUS)
def test_kinetos_status_lines_are_noise(line):
    assert is_kineto_noise(line)


@pytest.mark.parametrize("line", KEPT)
def test_warnings_errors_and_other_lines_are_not(line):
    assert not is_kineto_noise(line)


def test_around_a_real_profiler_only_kinetos_status_lines_are_dropped(capfd):
    with quiet_kineto():
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]):
            torch.ones(4).add_(1)
        for line in STATUS + KEPT:
            os.write(2, line + b"\n")
        os.write(2, b"no newline at the end")
    os.write(2, b"\nafter the block\n")  # fd 2 is the real stderr again
    err = capfd.readouterr().err
    assert not any(mark in err for mark in KINETO_MARKS[2:]) and "profiler_start" not in err
    assert err == "".join(line.decode() + "\n" for line in KEPT) + "no newline at the end\nafter the block\n"


def test_nested_use_filters_once_and_restores_stderr(capfd):
    with quiet_kineto():
        with quiet_kineto():
            os.write(2, STATUS[0] + b"\n" + b"inner\n")
        os.write(2, STATUS[1] + b"\n" + b"outer\n")
    os.write(2, STATUS[2] + b"\n")  # outside: not filtered (the filter is only around the profiler)
    assert capfd.readouterr().err == "inner\nouter\n" + STATUS[2].decode() + "\n"


PROFILE = ["profile", "lenet", "--device", "cpu", "--batch", "8", "--steps", "3", "--warmup", "1", "--sample-hz", "0",
           "--idle-seconds", "0", "--no-store"]


def test_a_profile_runs_stderr_has_no_profiler_lines(capfd, tiny_peaks):  # noqa: F811
    assert cli_main(PROFILE) == 0
    out, err = capfd.readouterr()
    assert "verdict:" in out
    assert not any(mark in err for mark in KINETO_MARKS), err


def test_an_error_inside_the_profiler_still_shows(capfd, tiny_peaks, monkeypatch):  # noqa: F811
    """A library writing its error straight to fd 2, then failing, while the profiler runs: both show."""
    import engine.run.steps as steps
    make = steps.make_train_step

    def failing(*args, **kwargs):
        step = make(*args, **kwargs)

        def run():
            if torch.autograd.profiler._is_profiler_enabled:
                os.write(2, b"libfoo: device lost during the step\n")
                raise RuntimeError("device lost during the step")
            return step()
        return run
    monkeypatch.setattr(steps, "make_train_step", failing)
    code = cli_main(PROFILE)
    err = capfd.readouterr().err
    assert code != 0
    assert "libfoo: device lost during the step\n" in err and "RuntimeError: device lost during the step" in err
    assert not any(mark in err for mark in KINETO_MARKS), err


def test_the_profilers_cycle_note_is_dropped_and_other_warnings_show():
    """torch 2.11 warns on a CUDA profile that 'Profiler clears events at the end of each cycle'."""
    import warnings

    from engine.profile.kineto_quiet import quiet_kineto
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with quiet_kineto():
            warnings.warn("Warning: Profiler clears events at the end of each cycle.Only events from the current "
                          "cycle will be reported.", UserWarning, stacklevel=1)
            warnings.warn("a warning the user must see", UserWarning, stacklevel=1)
    assert [str(w.message) for w in seen] == ["a warning the user must see"]
