"""`main.py sweep` as a user meets it: relative paths taken from the caller's folder, a bad net or
data set refused once before anything runs, a damaged state file named, a second sweep on the same
folder refused, and a killed sweep that stops its current run (stored as cancelled) and resumes
without running a configuration twice. Real runs on the CPU where a run is needed (tiny lenet)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from engine.cli import main as cli
from engine.results.store import RunStore
from engine.sweep.grid import Grid, SweepState
from engine.sweep.runner import sweep_lock

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--devices", "cpu", "--batches", "4", "--warmup", "0", "--cooldown", "0"]


def main_py(args: list[str], cwd: Path, **kw) -> subprocess.Popen:
    env = {**os.environ, "TRADEOFF_LAB_DATA": str(cwd / "data")}
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "sweep", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def statuses(db: Path) -> list[str]:
    return sorted(r.status for r in RunStore(db).list()) if db.exists() else []


@pytest.mark.slow
def test_relative_spec_out_and_db_are_taken_from_the_callers_folder(tmp_path):
    (tmp_path / "nets").mkdir()
    shutil.copy(ROOT / "engine" / "assets" / "presets" / "lenet.json", tmp_path / "nets" / "my.json")
    proc = main_py(["nets/my.json", *TINY, "--steps", "2", "--out", "mysweep", "--db", "h.sqlite"], tmp_path)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err + out
    state = json.loads((tmp_path / "mysweep" / "sweep.json").read_text())
    assert [e["status"] for e in state["entries"]] == ["ok"]
    assert state["db_path"] == str(tmp_path / "h.sqlite") and state["grid"]["network"] == str(tmp_path / "nets/my.json")
    assert statuses(tmp_path / "h.sqlite") == ["ok"]
    assert (tmp_path / "mysweep" / "runs" / "000.json").exists()


@pytest.mark.parametrize("argv, words", [
    (["nosuchnet", *TINY], "nosuchnet"),
    (["lenet", *TINY, "--dataset", "mnist:nope"], "data set 'mnist:"),
])
def test_a_bad_network_or_data_set_is_refused_once_before_anything_runs(tmp_path, capsys, argv, words):
    code = cli(["sweep", *argv, "--out", str(tmp_path / "sw"), "--db", str(tmp_path / "h.sqlite")])
    err = capsys.readouterr().err
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "sw").exists() and not (tmp_path / "h.sqlite").exists()


def test_an_invalid_state_file_entry_on_resume_is_refused_naming_file_and_entry(tmp_path, capsys):
    state = SweepState.new(Grid(network="lenet", devices=["cpu"], precisions=["fp32"], batches=[4, 8]))
    state.save(tmp_path)
    data = json.loads((tmp_path / "sweep.json").read_text())
    data["entries"][1]["config"]["batch"] = "lots"
    (tmp_path / "sweep.json").write_text(json.dumps(data))
    code = cli(["sweep", "--resume", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "sweep.json: entry 1: config.batch" in err and "Traceback" not in err, err


def test_a_second_sweep_on_a_busy_folder_is_refused(tmp_path, capsys):
    SweepState.new(Grid(network="lenet", devices=["cpu"], precisions=["fp32"], batches=[4])).save(tmp_path)
    with sweep_lock(tmp_path):  # as a running sweep holds it
        code = cli(["sweep", "--resume", str(tmp_path), "--cooldown", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "another sweep is running in this folder" in err, err
    assert json.loads((tmp_path / "sweep.json").read_text())["entries"][0]["status"] == "pending"


def _wait_for(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"no {what} within {timeout_s} s"
        time.sleep(0.2)


def _running(proc: subprocess.Popen) -> None:
    """Until the sweep's run job has started its telemetry sampler: the run itself is under way."""
    sweep = psutil.Process(proc.pid)
    _wait_for(lambda: any(len(c.children()) for c in sweep.children()), 120, "run with its sampler")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_sweep_stops_its_run_and_resume_does_not_run_it_twice(tmp_path, sig):
    db = tmp_path / "h.sqlite"
    proc = main_py(["lenet", *TINY, "--seconds", "4", "--out", "sw", "--db", str(db)], tmp_path)
    _running(proc)
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    assert proc.returncode == (3 if sig == signal.SIGTERM else -signal.SIGKILL)
    _wait_for(lambda: statuses(db) == ["cancelled"], 60, "cancelled run in the history")  # stopped, not finished
    state = json.loads((tmp_path / "sw" / "sweep.json").read_text())
    if sig == signal.SIGTERM:
        assert state["entries"][0]["status"] == "cancelled" and state["entries"][0]["run_id"]
    resumed = main_py(["--resume", "sw"], tmp_path)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err + out
    assert statuses(db) == ["cancelled", "ok"]  # one finished run of the configuration, not two
    final = json.loads((tmp_path / "sw" / "sweep.json").read_text())["entries"][0]
    assert final["status"] == "ok" and RunStore(db).get(final["run_id"]).status == "ok"
