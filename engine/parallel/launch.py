"""The launcher side of a data-parallel job: torch.distributed's elastic launcher (what `torchrun`
runs) starts one process per device on this machine, this process follows them, and node 0 turns
their outcomes into one RunResult (imports torch).

    result = run_job(spec, config, on_event, should_stop, node_rank=0, endpoint=None, db_path=None)

The launcher's agent runs in a thread of this process (so this process keeps its own Ctrl+C and stop
handling); the main thread relays rank 0's live events and turns a stop request into the stop file
every rank polls. A rank that fails or dies ends the job: the agent stops the other ranks at once and
the result names the failing rank with its message (status failed, or oom). On several machines, a
node whose ranks fail ends; the others end when their collectives time out (COLLECTIVE_TIMEOUT_S).
Only node 0 returns a result; other nodes return None when their part ended well.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import queue as queue_mod
import shutil
import tempfile
import threading
from collections.abc import Callable
from typing import Any

from engine.errors import BadRunInput
from engine.parallel.combine import apply_baseline, combine, failed_job
from engine.parallel.plan import Layout, free_port, layout, parse_endpoint
from engine.results.result import NetworkSummary, RunResult
from engine.results.series import new_run_id, utc_now_iso
from engine.run.config import RunConfig
from engine.run.events import PhaseChanged, RunFinished, RunStarted, StepMetrics
from engine.shown_text import one_line

COLLECTIVE_TIMEOUT_S = float(os.environ.get("TRADEOFF_LAB_DDP_TIMEOUT_S", "300"))
JOIN_TIMEOUT_S = 600  # how long node 0 waits for the other machines to join
POLL_S = 0.05


def _ignore(_event: Any) -> None:
    pass


def _never() -> bool:
    return False


def check_job(spec: Any, config: RunConfig) -> tuple[Layout, NetworkSummary]:
    """Everything that refuses a job before a process starts: the device list, the net, the data set."""
    import torch

    from engine.net.analysis import analyze
    from engine.run.datasets import parse_dataset
    gpu_count = torch.cuda.device_count() if torch.cuda.is_available() else None
    lay = layout(config, gpu_count)
    analysis = analyze(spec)
    if not analysis.ok:
        raise BadRunInput(f"network {one_line(spec.name, 80)!r}: " + "; ".join(str(p) for p in analysis.problems[:10]))
    parse_dataset(config.dataset)
    if config.parallel == "pipeline":  # the cut, refused naming the layer before a process starts
        from engine.parallel.split import pinned_cuts, plan_stages
        plan_stages(spec, lay.world_size, pinned_cuts(config.pipeline_split))
    network = NetworkSummary(name=spec.name, params=analysis.total_params, flops_per_sample=analysis.total_flops,
                             spec=spec.model_dump(mode="json", exclude_none=True))
    return lay, network


def run_job(spec: Any, config: RunConfig, on_event: Callable[[Any], None] = _ignore,
            should_stop: Callable[[], bool] = _never, *, node_rank: int = 0, endpoint: str | None = None,
            db_path: str | None = None, baseline: bool = True) -> RunResult | None:
    lay, network = check_job(spec, config)
    if config.nnodes > 1 and endpoint is None:
        raise BadRunInput("--nnodes: several machines need --rdzv-endpoint HOST:PORT (node 0's address) and "
                          "--node-rank K on each")
    if not 0 <= node_rank < config.nnodes:
        raise BadRunInput(f"--node-rank {node_rank}: give 0..{config.nnodes - 1} (there are {config.nnodes} machines)")
    endpoint = endpoint or f"127.0.0.1:{free_port()}"
    parse_endpoint(endpoint)
    run_id, created_at = new_run_id(), utc_now_iso()
    on_event(RunStarted(run_id=run_id, network_name=network.name,
                        device_name=f"{lay.world_size} x {lay.local_devices[0]}", config_json=config.model_dump_json(),
                        total_steps=config.steps, total_seconds=config.seconds))
    work = tempfile.mkdtemp(prefix="tradeoff-ddp-")
    try:
        outcome = _launch(spec, config, lay, node_rank, endpoint, work, on_event, should_stop)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    stopped = should_stop()
    if isinstance(outcome, BaseException):
        result: RunResult | None = _failure(outcome, config, run_id, created_at, network, lay, stopped)
    elif node_rank != 0:
        result = None
    elif config.parallel == "pipeline":
        from engine.parallel.stages_result import combine_pipeline
        result = combine_pipeline(outcome, config, run_id, created_at, lay.backend, network)
        if result.status == "ok":
            _baseline(result, spec, config, lay, db_path, baseline, on_event, should_stop)
    else:
        from engine.parallel.comm import METHOD
        result = combine(outcome, config, run_id, created_at, lay.nnodes, lay.backend, METHOD)
        if result.status == "ok":
            _baseline(result, spec, config, lay, db_path, baseline, on_event, should_stop)
    on_event(PhaseChanged(t_s=0.0, phase="done"))
    if result is not None:
        on_event(RunFinished(run_id=result.run_id, status=result.status, result_json=result.model_dump_json()))
    return result


def _launch(spec: Any, config: RunConfig, lay: Layout, node_rank: int, endpoint: str, work: str,
            on_event: Callable[[Any], None], should_stop: Callable[[], bool]) -> Any:
    """Start this machine's ranks and follow them; rank 0's gathered outcomes (on node 0), None
    (other nodes), or the exception that ended the job."""
    import multiprocessing

    from torch.distributed.elastic.multiprocessing import DefaultLogsSpecs, Std
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    from engine.parallel.rank import RankJob, rank_main
    events = multiprocessing.get_context("spawn").Queue()
    stop_path = os.path.join(work, "stop")
    job = RankJob(spec_json=spec.model_dump_json(exclude_none=True), config_json=config.model_dump_json(),
                  local_devices=lay.local_devices, backend=lay.backend, stop_path=stop_path, events=events,
                  timeout_s=COLLECTIVE_TIMEOUT_S)
    launch = LaunchConfig(
        min_nodes=lay.nnodes, max_nodes=lay.nnodes, nproc_per_node=lay.local_world, run_id=f"tradeoff-lab-{endpoint}",
        rdzv_backend="static", rdzv_endpoint=endpoint, rdzv_configs={"rank": node_rank, "timeout": JOIN_TIMEOUT_S},
        max_restarts=0, monitor_interval=0.1, start_method="spawn",
        logs_specs=DefaultLogsSpecs(log_dir=os.path.join(work, "logs"), redirects=Std.ALL))
    box: dict[str, Any] = {}

    def agent() -> None:
        try:
            box["out"] = elastic_launch(launch, rank_main)(job)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which makes it a result
            box["out"] = exc

    thread = threading.Thread(target=agent, name="ddp-agent", daemon=True)
    with _quiet_launcher():
        thread.start()
        # Live throughput: the lead rank's times the ranks in data parallelism (each its own batch);
        # a pipeline's last stage sees every sample of the job.
        _follow(thread, events, stop_path, 1 if config.parallel == "pipeline" else lay.world_size, on_event,
                should_stop)
    out = box.get("out")
    if isinstance(out, BaseException) or node_rank != 0:
        return out
    return out.get(0) if isinstance(out, dict) else RuntimeError(f"the launcher returned {out!r}")


@contextlib.contextmanager
def _quiet_launcher() -> Any:
    """The launcher logs each rank's traceback and its own warnings; the job's result says what
    failed, in one line, so its loggers are kept quiet meanwhile."""
    import logging
    loggers = [logging.getLogger(n) for n in ("torch.distributed.elastic", "torch.multiprocessing",
                                              "torch.distributed.launcher")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL if not os.environ.get("DDP_DEBUG") else logging.DEBUG)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _follow(thread: threading.Thread, events: Any, stop_path: str, scale: int, on_event: Callable[[Any], None],
            should_stop: Callable[[], bool]) -> None:
    while thread.is_alive():
        _relay(events, on_event, scale)
        if should_stop() and not os.path.exists(stop_path):
            with open(stop_path, "w"):
                pass
        thread.join(POLL_S)
    _relay(events, on_event, scale)
    with contextlib.suppress(Exception):
        events.close()


def _relay(events: Any, on_event: Callable[[Any], None], scale: int) -> None:
    """The lead rank's events, its throughput and samples times `scale` made the job's (every rank
    runs in step)."""
    while True:
        try:
            _rank, event = events.get_nowait()
        except (queue_mod.Empty, OSError, ValueError, EOFError):
            return
        if isinstance(event, StepMetrics) and scale != 1:
            event = dataclasses.replace(event, throughput_sps=event.throughput_sps * scale,
                                        samples=event.samples * scale)
        on_event(event)


def _failure(exc: BaseException, config: RunConfig, run_id: str, created_at: str, network: NetworkSummary,
             lay: Layout, stopped: bool) -> RunResult:
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    rank = None
    if isinstance(exc, ChildFailedError) and exc.failures:
        rank, failure = exc.get_first_failure()
        message = failure.message
        if isinstance(message, dict):
            message = message.get("message", "")
        message = str(message).strip().splitlines()[-1] if str(message).strip() else ""
        if not message or "enable traceback" in message:
            message = (f"killed by signal {-failure.exitcode}" if failure.exitcode < 0
                       else f"exited with code {failure.exitcode} mid-run")
        message = message.removeprefix("RankFailed: ")
        error = message if message.startswith(f"rank {rank} ") else f"rank {rank}: {message}"
    else:
        error = f"the job did not run to its end: {type(exc).__name__}: {one_line(str(exc), 300)}"
    status = "cancelled" if stopped else ("oom" if "out of memory" in error.lower() else "failed")
    if stopped:
        error = "cancelled by the user"
    return failed_job(config, run_id, created_at, network, status, error, rank, lay.world_size, lay.nnodes, lay.backend)


def _baseline(result: RunResult, spec: Any, config: RunConfig, lay: Layout, db_path: str | None, run_it: bool,
              on_event: Callable[[Any], None], should_stop: Callable[[], bool] = _never) -> None:
    """Scaling efficiency against the 1-device run of the same per-device configuration: from the
    history, else measured now (kept in the history as its own run) unless run_it is False; a stop
    request (Ctrl+C) stops that run too."""
    from engine.parallel.baseline import baseline_config, find_baseline
    from engine.results.store import RunStore
    threads = result.hardware.cpu_threads if lay.local_devices[0] == "cpu" else None
    base = baseline_config(config, threads)
    store: Any = None
    try:
        store = RunStore(db_path)
        found = find_baseline(store, base, result.network)
    except Exception:  # noqa: BLE001 - an unreadable history: measure the baseline instead
        found = None
    if found is not None:
        apply_baseline(result, found, "history")
        return
    if not run_it:
        apply_baseline(result, None, "", "no 1-device run of the same configuration in the history "
                                         "(measured when the run is started without --no-baseline)")
        return
    from engine.run.loop import run
    on_event(PhaseChanged(t_s=0.0, phase="baseline"))
    measured = run(spec, base, should_stop=should_stop)
    kind = "pipeline" if config.parallel == "pipeline" else "data-parallel"
    measured.quality.append(f"the 1-device baseline of {kind} run {result.run_id}")
    if store is not None:
        with contextlib.suppress(Exception):
            store.add(measured)
    apply_baseline(result, measured if measured.status == "ok" else None, "measured",
                   "the 1-device baseline run was stopped before its end" if measured.status == "cancelled"
                   else f"the 1-device baseline run ended {measured.status}: {measured.error}")
