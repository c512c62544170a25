"""Runs a sweep: each configuration in a fresh worker process, one at a time, with a cool-down.

Torch-free. One at a time because concurrent runs would spoil each other's measurements; a fresh
process per run so an OOM, a CUDA fault or a hang only loses that run; a cool-down so the heat of
one run does not bias the next. The state file is saved after every run, so an interrupted sweep
resumes with only the unfinished runs.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from engine.paths import ROOT
from engine.run.config import RunConfig
from engine.sweep.grid import SweepEntry, SweepState, oom_key

POLL_S = 0.2
TICK_S = 1.0
STOP_GRACE_S = 10.0
EXIT_BAD_INPUT = 2  # engine.cli's exit code for a configuration refused before running  # after SIGINT the run may write its cancelled result; then terminate, then kill


@dataclass(frozen=True)
class RunOutcome:
    status: str  # ok | oom | failed | cancelled
    run_id: str | None = None
    error: str | None = None
    throughput_sps: float | None = None
    bad_input: bool = False  # the run refused its configuration before running (e.g. no such device)


@dataclass(frozen=True)
class SweepProgress:
    """One progress message (also one JSON line of `main.py sweep --progress-jsonl`)."""
    event: str  # planned | run_started | tick | run_finished | run_skipped | cooldown | done | cancelled
    total: int
    done: int  # entries finished (any status, skipped included)
    index: int | None = None
    label: str | None = None
    status: str | None = None
    run_id: str | None = None
    reason: str | None = None
    throughput_sps: float | None = None
    elapsed_s: float = 0.0
    eta_s: float | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))


Runner = Callable[[RunConfig, str, Path, threading.Event], RunOutcome]


def run_command(network: str, config: RunConfig, result_path: Path, db_path: str | None) -> list[str]:
    """The `main.py run` command line of one configuration."""
    from engine.cli.config_flags import config_argv
    cmd = [sys.executable, str(ROOT / "main.py"), "run", network, *config_argv(config), "--json", str(result_path)]
    if db_path:
        cmd += ["--db", db_path]
    return cmd


def _read_outcome(result_path: Path, returncode: int, stderr: str) -> RunOutcome:
    try:
        data = json.loads(result_path.read_text(encoding="utf-8"))
        return RunOutcome(data.get("status", "failed"), data.get("run_id"), data.get("error"), data.get("throughput_sps"))
    except (OSError, json.JSONDecodeError):
        lines = stderr.strip().splitlines()
        if returncode == EXIT_BAD_INPUT and lines:  # `main.py run` refused the configuration: say why, plainly
            return RunOutcome("failed", None, lines[-1].removeprefix("error: "), bad_input=True)
        tail = " ".join(lines[-3:])[-400:]
        return RunOutcome("failed", None, f"worker exited with code {returncode} and wrote no result"
                          + (f": {tail}" if tail else ""))


def make_subprocess_runner(db_path: str | None) -> Runner:
    """A runner that starts `python main.py run ... --json PATH` per configuration."""
    def runner(config: RunConfig, network: str, result_path: Path, cancel: threading.Event) -> RunOutcome:
        result_path.unlink(missing_ok=True)
        cmd = run_command(network, config, result_path, db_path)
        # Own process group: a Ctrl-C in the terminal reaches only the sweep, which stops the run itself.
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                cwd=ROOT, start_new_session=True)
        err_chunks: list[str] = []
        reader = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True)
        reader.start()
        while proc.poll() is None:
            if cancel.wait(POLL_S):
                _stop(proc)
                break
        proc.wait()
        reader.join(timeout=2)
        outcome = _read_outcome(result_path, proc.returncode, "".join(err_chunks))
        if cancel.is_set() and outcome.status != "ok":
            return RunOutcome("cancelled", outcome.run_id, "cancelled by the user")
        return outcome
    return runner


def _stop(proc: subprocess.Popen) -> None:
    """Stop a run: SIGINT (the run ends as cancelled), then terminate, then kill."""
    for sig, wait_s in ((signal.SIGINT, STOP_GRACE_S), (signal.SIGTERM, 3.0)):
        try:
            proc.send_signal(sig)
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return
    proc.kill()


def _store_result(result_path: Path, db_path: str | None) -> None:
    """Put the run's result in the history (idempotent: the store replaces by run_id)."""
    from engine.results.result import RunResult
    from engine.results.store import RunStore  # imported here: a sweep that never finishes a run needs no store
    try:
        result = RunResult.model_validate_json(result_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    RunStore(db_path).add(result)


class SweepRun:
    """Runs the pending entries of a sweep state, saving it after each. `cancel()` from any thread."""

    def __init__(self, state: SweepState, folder: str | Path, runner: Runner | None = None,
                 on_progress: Callable[[SweepProgress], None] = lambda p: None,
                 sleep: Callable[[float], None] | None = None, store_results: bool = True):
        self.state, self.folder = state, Path(folder)
        self.runner = runner or make_subprocess_runner(state.db_path)
        self.on_progress = on_progress
        self._cancel = threading.Event()
        self._sleep = sleep or (lambda s: self._cancel.wait(s))
        self.store_results = store_results
        self._t0 = time.monotonic()
        self._run_walls: list[float] = []
        self._refused: set[int] = set()  # entries whose configuration `main.py run` refused (bad input)
        self._emit_lock = threading.Lock()  # the ticker thread and the sweep both report; lines must not mix

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def _done(self) -> int:
        return sum(1 for e in self.state.entries if e.status in ("ok", "oom", "failed", "skipped"))

    def _eta(self, current_elapsed_s: float = 0.0) -> float:
        todo = [e for e in self.state.entries if e.status in ("pending", "cancelled")]
        if self._run_walls:
            per_run = sum(self._run_walls) / len(self._run_walls)
        else:
            from engine.sweep.grid import estimate_run_s
            per_run = sum(estimate_run_s(RunConfig(**e.config)) for e in todo) / max(1, len(todo))
        cool = self.state.grid.cooldown_s
        return max(0.0, len(todo) * (per_run + cool) - cool - current_elapsed_s)

    def _emit(self, event: str, entry: SweepEntry | None = None, current_elapsed_s: float = 0.0,
              throughput_sps: float | None = None) -> None:
        with self._emit_lock:
            self._emit_locked(event, entry, current_elapsed_s, throughput_sps)

    def _emit_locked(self, event: str, entry: SweepEntry | None, current_elapsed_s: float,
                     throughput_sps: float | None) -> None:
        self.on_progress(SweepProgress(
            event=event, total=len(self.state.entries), done=self._done(),
            index=entry.index if entry else None, label=entry.label if entry else None,
            status=entry.status if entry else None, run_id=entry.run_id if entry else None,
            reason=entry.reason if entry else None, throughput_sps=throughput_sps, elapsed_s=round(time.monotonic() - self._t0, 2),
            eta_s=round(self._eta(current_elapsed_s), 1)))

    def _oom_limits(self) -> dict[tuple, int]:
        limits: dict[tuple, int] = {}
        for e in self.state.entries:
            if e.status == "oom":
                key = oom_key(e.config)
                limits[key] = min(limits.get(key, e.config["batch"]), e.config["batch"])
        return limits

    def _skip_reason(self, entry: SweepEntry) -> str | None:
        """Larger batches after an OOM; the same device and precision after a refused configuration."""
        limit = self._oom_limits().get(oom_key(entry.config))
        if limit is not None and entry.config["batch"] > limit:
            return f"batch {limit} ran out of memory on the same device, precision and mode"
        c = entry.config
        refused = next((e for e in self.state.entries if e.index in self._refused and
                        (e.config["device"], e.config["precision"]) == (c["device"], c["precision"])), None)
        if refused is not None:
            return f"{c['device']} {c['precision']} was refused: {refused.reason}"
        return None

    def run(self) -> SweepState:
        self._emit("planned")
        ran_one = False
        (self.folder / "runs").mkdir(parents=True, exist_ok=True)
        for entry in self.state.entries:
            if entry.status in ("ok", "oom", "failed", "skipped"):
                continue
            if self.cancelled:
                break
            why = self._skip_reason(entry)
            if why:
                entry.status, entry.reason = "skipped", why
                self.state.save(self.folder)
                self._emit("run_skipped", entry)
                continue
            if ran_one and self.state.grid.cooldown_s > 0:
                self._emit("cooldown")
                self._sleep(self.state.grid.cooldown_s)
                if self.cancelled:
                    break
            ran_one = True
            self._run_one(entry)
        self.state.save(self.folder)
        self._emit("cancelled" if self.cancelled else "done")
        return self.state

    def _run_one(self, entry: SweepEntry) -> None:
        self._emit("run_started", entry)
        result_path = self.folder / "runs" / f"{entry.index:03d}.json"
        start = time.monotonic()
        ticker_stop = threading.Event()

        def tick() -> None:
            while not ticker_stop.wait(TICK_S):
                self._emit("tick", entry, time.monotonic() - start)
        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            outcome = self.runner(RunConfig(**entry.config), self.state.grid.network, result_path, self._cancel)
        finally:
            ticker_stop.set()
            ticker.join()
        entry.wall_s = round(time.monotonic() - start, 2)
        entry.status = "pending" if outcome.status == "cancelled" else outcome.status
        entry.run_id, entry.reason = outcome.run_id, outcome.error
        if outcome.bad_input:
            self._refused.add(entry.index)
        if outcome.status != "cancelled":
            self._run_walls.append(entry.wall_s)
            if self.store_results and outcome.run_id:
                _store_result(result_path, self.state.db_path)
        self.state.save(self.folder)
        if outcome.status == "cancelled":
            self._emit("run_finished", entry.model_copy(update={"status": "cancelled"}))
        else:
            self._emit("run_finished", entry, throughput_sps=outcome.throughput_sps)
