"""Runs a sweep: each configuration in a fresh run job (engine.jobs), one at a time, with a cool-down.

Torch-free at import. One at a time because concurrent runs would spoil each other's measurements; a
fresh process per run so an OOM, a CUDA fault or a hang only loses that run; a cool-down so the heat
of one run does not bias the next. The state file is saved after every run, so an interrupted sweep
resumes with only the unfinished runs. A cancelled sweep stops its current run (stored as cancelled;
a resume runs that configuration again); a lock keeps a second sweep out of the same folder.

    grid = absolute_paths(grid)                       relative paths taken from the current folder
    spec_json = sweep_network(grid)                   the grid's net, checked (BadSweep names the problem)
    check_inputs(state, folder)                       entries and data set usable (BadSweep), before running
    with sweep_lock(folder): SweepRun(state, folder, runner=make_job_runner(spec_json, db)).run()
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.files import write_text_atomic
from engine.run.config import RunConfig
from engine.sweep.grid import STATE_FILE, BadSweep, Grid, SweepEntry, SweepState, oom_key

TICK_S = 1.0
STOP_GRACE_S = 10.0  # after a cancel, the run's time to end as cancelled and store itself; then terminate
STARTUP_GRACE_S = 120.0  # ... counted from RunStarted: starting a run (torch, CUDA) can take this long
LOCK_FILE = ".sweep.lock"


@dataclass(frozen=True)
class RunOutcome:
    status: str  # ok | oom | failed | cancelled
    run_id: str | None = None
    error: str | None = None
    throughput_sps: float | None = None
    bad_input: bool = False  # the run refused its configuration before running (e.g. no such device)


@dataclass(frozen=True)
class SweepProgress:
    """One progress message (a sweep job's event; one JSON line of `main.py sweep --progress-jsonl`)."""
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


Runner = Callable[[RunConfig, Path, threading.Event], RunOutcome]


# ---- before running: paths, the net, the data set, the state file, the lock --------------------
def absolute_paths(grid: Grid) -> Grid:
    """The grid with its spec path and data set path made absolute against the current folder, so
    that the runs, and a resume started from any folder, find the same files."""
    from engine.net.presets import preset_names
    network = grid.network
    if "/" in network or "\\" in network or network.endswith(".json") or network not in preset_names():
        network = str(Path(network).expanduser().resolve()) if Path(network).expanduser().exists() else network
    fixed, axes = dict(grid.fixed), dict(grid.axes)
    if isinstance(fixed.get("dataset"), str):
        fixed["dataset"] = _absolute_dataset(fixed["dataset"])
    if "dataset" in axes:
        axes["dataset"] = [_absolute_dataset(d) if isinstance(d, str) else d for d in axes["dataset"]]
    return grid.model_copy(update={"network": network, "fixed": fixed, "axes": axes})


def _absolute_dataset(name: str) -> str:
    kind, sep, path = name.partition(":")
    return f"{kind}:{Path(path).expanduser().resolve()}" if sep and path else name


def sweep_network(grid: Grid) -> str:
    """The grid's network (preset name or spec path) as checked spec JSON; BadSweep names the problem.
    Resolved once, here: every run gets this JSON, so no run opens a path of its own."""
    from engine.net.analysis import analyze
    from engine.net.presets import resolve_net
    from engine.net.spec import SpecFormatError
    try:
        spec = resolve_net(grid.network)
    except (SpecFormatError, ValueError, OSError) as exc:
        raise BadSweep(f"network {grid.network}: {str(exc).strip(chr(39) + chr(34))}") from None
    analysis = analyze(spec)
    if not analysis.ok:
        raise BadSweep(f"network {grid.network}: " + "; ".join(str(p) for p in analysis.problems))
    return spec.to_json()


def check_inputs(state: SweepState, folder: Path) -> None:
    """Refuse once, before anything runs: an entry of the state file that is not a valid run
    configuration (names the file and the entry), or a data set that cannot be found."""
    datasets: dict[str, None] = {}
    for entry in state.entries:
        try:
            datasets[RunConfig(**entry.config).dataset] = None
        except (ValidationError, TypeError) as exc:
            why = exc.errors()[0] if isinstance(exc, ValidationError) else {"loc": (), "msg": str(exc)}
            where = ".".join(map(str, why["loc"]))
            raise BadSweep(f"{folder / STATE_FILE}: entry {entry.index}: config"
                           f"{'.' + where if where else ''}: {why['msg']}") from None
    from engine.errors import BadRunInput
    from engine.run.datasets import parse_dataset  # imports torch: only the sweep's process pays it
    for name in datasets:
        try:
            parse_dataset(name)
        except BadRunInput as exc:
            raise BadSweep(str(exc)) from None


@contextlib.contextmanager
def sweep_lock(folder: Path) -> Iterator[None]:
    """Holds the folder's lock while a sweep runs in it; BadSweep when another sweep holds it. The
    kernel drops the lock when its process ends, however it ends: no stale lock after a kill."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            raise BadSweep(f"{folder}: another sweep is running in this folder (process {holder}); "
                           "wait for it to end or cancel it") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)


# ---- one configuration: a run job --------------------------------------------------------------
def make_job_runner(spec_json: str, db_path: str | None, target: Callable[..., Any] | None = None) -> Runner:
    """A runner that runs each configuration as an engine.jobs.RunJob (the run stores itself in the
    history at db_path) and writes its result JSON to result_path. `target` replaces the run worker."""
    def runner(config: RunConfig, result_path: Path, cancel: threading.Event) -> RunOutcome:
        from engine.jobs import JobEvent, JobFailed, JobFinished, JobProcess, RunJob
        from engine.run.events import RunFinished, RunStarted
        result_path.unlink(missing_ok=True)
        proc = JobProcess(RunJob(spec_json, config, db_path, target))
        proc.start()
        finished: RunFinished | None = None
        failure: JobFailed | None = None
        started_at: float | None = None
        while not proc.done:
            for msg in proc.wait(0.2):
                if isinstance(msg, JobEvent) and isinstance(msg.payload, RunStarted):
                    started_at = time.monotonic()
                elif isinstance(msg, JobEvent) and isinstance(msg.payload, RunFinished):
                    finished = msg.payload
                elif isinstance(msg, JobFinished) and isinstance(msg.result, RunFinished):
                    finished = finished or msg.result
                elif isinstance(msg, JobFailed):
                    failure = msg
            if cancel.is_set() and not proc.done:
                # The run ends as cancelled at its next step and stores itself; it is terminated only
                # when it does not, counting from its start if the cancel came before it.
                proc.request_stop()
                since = max(proc.stop_requested_at, started_at or 0.0)
                if time.monotonic() - since > (STOP_GRACE_S if started_at else STARTUP_GRACE_S):
                    proc.cancel(timeout_s=0)
        proc.reap(2.0)
        return _outcome(finished, failure, cancel.is_set(), result_path)
    return runner


def _outcome(finished: Any, failure: Any, cancelled: bool, result_path: Path) -> RunOutcome:
    if finished is not None:
        from engine.results.result import RunResult
        result = RunResult.model_validate_json(finished.result_json)
        with contextlib.suppress(OSError):  # a copy for the folder; the history has the run
            result_path.write_text(finished.result_json, encoding="utf-8")
        if cancelled and result.status != "ok":
            return RunOutcome("cancelled", result.run_id, result.error or "cancelled by the user")
        return RunOutcome(result.status, result.run_id, result.error, result.throughput_sps)
    if failure is not None and failure.refused:
        return RunOutcome("failed", None, failure.message, bad_input=True)
    if cancelled:
        return RunOutcome("cancelled", None, "cancelled by the user")
    why = failure.message if failure is not None else "the run ended without a result"
    return RunOutcome("failed", None, why)


# ---- a sweep as a job (the GUI's) ------------------------------------------------------------
def run_sweep_job(job: Any, ctx: Any) -> SweepState:
    """engine.jobs.SweepJob's work, in the job's process: checks, lock, the sweep; a stop request
    cancels it (and its current run)."""
    folder = Path(job.folder)
    spec_json = job.spec_json or sweep_network(job.state.grid)
    check_inputs(job.state, folder)
    with sweep_lock(folder):
        job.state.save(folder)
        sweep = SweepRun(job.state, folder, runner=make_job_runner(spec_json, job.state.db_path, job.run_target),
                         on_progress=lambda p: _report(ctx, p))
        threading.Thread(target=lambda: ctx.stop.wait() and sweep.cancel(), daemon=True).start()
        return sweep.run()


def _report(ctx: Any, p: SweepProgress) -> None:
    ctx.emit(p)
    if p.event in ("run_finished", "run_skipped", "done"):
        ctx.progress(p.done / max(1, p.total), f"{p.done} of {p.total} runs")


class SweepRun:
    """Runs the pending entries of a sweep state, saving it after each. `cancel()` from any thread."""

    def __init__(self, state: SweepState, folder: str | Path, runner: Runner | None = None,
                 on_progress: Callable[[SweepProgress], None] = lambda p: None,
                 sleep: Callable[[float], None] | None = None, stores_runs: bool | None = None):
        self.state, self.folder = state, Path(folder)
        self.runner = runner or make_job_runner(sweep_network(state.grid), state.db_path)
        # the run jobs store themselves in the history (a given runner may be a job runner too)
        self._stores_runs = runner is None if stores_runs is None else stores_runs
        self.on_progress = on_progress
        self._cancel = threading.Event()
        self._sleep = sleep or (lambda s: self._cancel.wait(s))
        self._t0 = time.monotonic()
        self._run_walls: list[float] = []
        self._refused: set[int] = set()  # entries whose configuration the run refused (bad input)
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
        """Larger batches after an OOM; the same configuration at another batch (or a repeat) after it
        was refused. Only the same configuration: a refused lever value says nothing about the others
        (Winograd refused on a 5x5 kernel, or structured pruning of a binarized net, leaves the other
        algorithms, runtimes and levers to run)."""
        limit = self._oom_limits().get(oom_key(entry.config))
        if limit is not None and entry.config["batch"] > limit:
            return f"batch {limit} ran out of memory on the same device, precision and mode"

        def key(cfg: dict) -> tuple:
            return tuple(sorted((k, repr(v)) for k, v in cfg.items() if k != "batch"))
        refused = next((e for e in self.state.entries if e.index in self._refused and key(e.config) == key(entry.config)),
                       None)
        if refused is not None:
            return f"{refused.label} was refused: {refused.reason}"
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

    def _mark_repeat(self, entry: SweepEntry, result_path: Path) -> None:
        """The result of a repeat says which configuration's repeats it belongs to (the group: the
        sweep and that configuration's first entry), its index and how many there are."""
        try:
            data = json.loads(result_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return
        first = next(e.index for e in self.state.entries if e.config == entry.config)
        stamp = self.state.created_at.replace(":", "").replace("-", "")[:15]
        data["repeat"] = {"group": f"sweep-{stamp}-{first:03d}", "index": entry.repeat,
                          "of": self.state.grid.repeats}
        data.setdefault("config", {})["repeats"] = self.state.grid.repeats
        write_text_atomic(result_path, json.dumps(data, indent=2))
        if self._stores_runs:  # the history has the run as it ended: replace it with the marked one
            from engine.results.result import RunResult
            from engine.results.store import RunStore
            with contextlib.suppress(Exception):
                RunStore(self.state.db_path).add(RunResult.model_validate(data))

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
        config = RunConfig(**entry.config)
        if entry.repeat:  # one repeat is one plain run; the result is marked as a repeat afterwards
            config = config.model_copy(update={"repeats": 1})
        try:
            outcome = self.runner(config, result_path, self._cancel)
        finally:
            ticker_stop.set()
            ticker.join()
        entry.wall_s = round(time.monotonic() - start, 2)
        # A cancelled run is in the history as cancelled; a resume runs its configuration again.
        entry.status = outcome.status
        entry.run_id, entry.reason = outcome.run_id, outcome.error
        if outcome.bad_input:
            self._refused.add(entry.index)
        if outcome.status != "cancelled":
            self._run_walls.append(entry.wall_s)
            if entry.repeat and outcome.run_id:
                self._mark_repeat(entry, result_path)
        self.state.save(self.folder)
        self._emit("run_finished", entry, throughput_sps=outcome.throughput_sps)
