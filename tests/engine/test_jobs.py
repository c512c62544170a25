"""The job protocol: typed messages in order, failures typed by kind, a process that dies reported
with its exit code, cancel escalating to terminate, an orphaned job stopping itself, and the
inventory and ONNX export kinds (real spawned processes, no torch in the tests' own jobs)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from engine.errors import BadRunInput, OutOfMemory, Unsupported
from engine.jobs import (
    InventoryJob,
    JobEvent,
    JobFailed,
    JobFinished,
    JobProcess,
    JobProgress,
    JobStarted,
    OnnxExportJob,
)

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class CountJob:
    kind: ClassVar[str] = "count"
    n: int

    def execute(self, ctx):
        for i in range(self.n):
            ctx.progress((i + 1) / self.n, f"item {i + 1}")
            ctx.emit(("item", i))
        return self.n * 10


@dataclass(frozen=True)
class RaiseJob:
    kind: ClassVar[str] = "raise"
    error: str

    def execute(self, ctx):
        if self.error == "bad":
            raise BadRunInput("data set 'mnist:/nope': /nope does not exist")
        raise RuntimeError("a bug")


@dataclass(frozen=True)
class ExitJob:
    kind: ClassVar[str] = "exit"

    def execute(self, ctx):
        ctx.emit("before")
        ctx.flush()
        os._exit(7)


@dataclass(frozen=True)
class WaitForStopJob:
    """Waits for its stop event, then writes `marker` (proof it stopped cleanly) and returns."""
    kind: ClassVar[str] = "wait"
    marker: str
    honor_stop: bool = True

    def execute(self, ctx):
        ctx.emit("waiting")
        while not (self.honor_stop and ctx.stop_requested()):
            time.sleep(0.05)
        Path(self.marker).write_text("stopped")
        return "stopped"


def _collect(proc: JobProcess, timeout_s: float = 60.0) -> list:
    out, deadline = [], time.monotonic() + timeout_s
    while not proc.done and time.monotonic() < deadline:
        out += proc.wait(0.5)
    assert proc.done, f"no last message within {timeout_s} s: {out}"
    return out


def _run(job) -> list:
    proc = JobProcess(job)
    proc.start()
    return _collect(proc)


def test_messages_arrive_typed_and_in_order_ending_with_the_result():
    msgs = _run(CountJob(3))
    assert isinstance(msgs[0], JobStarted) and msgs[0].kind == "count" and msgs[0].pid != os.getpid()
    assert [m.payload for m in msgs if isinstance(m, JobEvent)] == [("item", 0), ("item", 1), ("item", 2)]
    assert [m.fraction for m in msgs if isinstance(m, JobProgress)] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert msgs[-1] == JobFinished(30)


def test_a_refusal_and_a_bug_arrive_as_typed_failures():
    refused = _run(RaiseJob("bad"))[-1]
    assert isinstance(refused, JobFailed) and refused.refused and refused.kind == "bad_input"
    assert refused.error_type == "BadRunInput" and refused.message == "data set 'mnist:/nope': /nope does not exist"
    assert refused.details == ""
    bug = _run(RaiseJob("bug"))[-1]
    assert bug.kind == "internal" and not bug.refused and "RuntimeError: a bug" in bug.details


def test_a_process_that_dies_without_a_result_is_reported_with_its_exit_code():
    msgs = _run(ExitJob())
    assert JobEvent("before") in msgs  # what it sent before dying is kept
    last = msgs[-1]
    assert last.error_type == "ProcessExit" and last.exit_code == 7 and last.kind == "failed"
    assert "crashed (exit code 7)" in last.message


def test_cancel_lets_a_cooperative_job_end_cleanly(tmp_path):
    proc = JobProcess(WaitForStopJob(str(tmp_path / "m")))
    proc.start()
    while JobEvent("waiting") not in proc.wait(1.0):
        pass
    proc.cancel(timeout_s=10)
    assert _collect(proc)[-1] == JobFinished("stopped")
    assert not proc.terminated and (tmp_path / "m").read_text() == "stopped"


def test_a_job_that_ignores_stop_is_terminated_then_reported_as_cancelled(tmp_path):
    proc = JobProcess(WaitForStopJob(str(tmp_path / "m"), honor_stop=False), terminate_after_s=0.5, kill_after_s=0.5)
    proc.start()
    while JobEvent("waiting") not in proc.wait(1.0):
        pass
    t0 = time.monotonic()
    proc.request_stop()
    while proc.alive and time.monotonic() - t0 < 5:
        proc.escalate()
        time.sleep(0.05)
    last = _collect(proc)[-1]
    assert time.monotonic() - t0 < 3
    assert proc.terminated and last.kind == "cancelled" and last.error_type == "ProcessExit"
    assert not (tmp_path / "m").exists()


ORPHAN = """
import sys, time
sys.path.insert(0, {root!r})
from tests.engine.test_jobs import WaitForStopJob
from engine.jobs import JobProcess
proc = JobProcess(WaitForStopJob({marker!r}))
proc.start()
while not proc.wait(1.0):
    pass
print(proc.pid, flush=True)
time.sleep(60)
"""


def test_a_job_whose_parent_is_killed_stops_itself(tmp_path):
    marker = tmp_path / "m"
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN.format(root=str(ROOT), marker=str(marker))],
                              stdout=subprocess.PIPE, text=True)
    try:
        child_pid = int(parent.stdout.readline())
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 20
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.read_text() == "stopped"  # it saw its stop event, as on a cancel
    finally:
        parent.kill()
    deadline = time.monotonic() + 10
    while _alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child_pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_inventory_job_returns_the_typed_inventory():
    last = _run(InventoryJob())[-1]
    assert isinstance(last, JobFinished)
    inv = last.result
    assert type(inv).__name__ == "Inventory" and inv.cpu.arch and inv.availability


def test_an_onnx_export_of_a_broken_spec_fails_with_the_message(tmp_path):
    last = _run(OnnxExportJob('{"input": {"shape": [1, 8, 8]}, "layers": [{"id": "x"}]}', str(tmp_path / "n.onnx")))[-1]
    assert isinstance(last, JobFailed) and "x" in last.message and last.exit_code is None
    assert not (tmp_path / "n.onnx").exists()


class NoGpuHere(Unsupported):  # a refusal under a name the protocol has never heard of
    pass


class BadRunInputLookalike(RuntimeError):  # a check by class name would call this bad input
    pass


@pytest.mark.parametrize("exc, kind, refused", [
    (BadRunInput("data set 'x': no such folder"), "bad_input", True),
    (NoGpuHere("device cuda:3: there are only 1 GPU(s)"), "unsupported", True),
    (OutOfMemory("out of memory at batch 8192"), "oom", False),
    (BadRunInputLookalike("boom"), "internal", False),
    (KeyboardInterrupt(), "cancelled", False),
])
def test_failures_are_classified_by_type_in_the_error_root(exc, kind, refused):
    failure = JobFailed.from_exception(exc)
    assert failure.kind == kind and failure.refused is refused
    assert failure.error_type == type(exc).__name__


def test_the_failure_message_is_the_user_message_on_one_line():
    failure = JobFailed.from_exception(BadRunInput("data set 'x':\n  no such folder"))
    assert failure.message == "data set 'x': no such folder"
