"""One process (rank) of a data-parallel job: what the launcher starts once per device (imports torch).

Each rank joins the process group (NCCL on GPUs, gloo on the CPU, with a timeout on every
collective), runs the engine's own run loop on its device with the model in DistributedDataParallel
and its own shard of the data, then hands its result to rank 0 (a gather on a separate gloo group);
rank 0 returns them all to the launcher on its machine. A rank whose run fails raises, so the
launcher's agent ends every other rank at once (no rank is left waiting in an all-reduce).

Every rank must run the same number of steps: they stop together through a flag all-reduced every
STOP_EVERY steps on the gloo group (a stop file written by the launcher, e.g. on Ctrl+C), read one
round late so that no step waits for it.
"""
from __future__ import annotations

import datetime
import os
import signal
import socket
from dataclasses import dataclass
from typing import Any

STOP_EVERY = 16
# Test hook: "RANK" or "RANK:CALL" makes that rank exit mid-run; "RANK:CALL:oom" makes it run out of memory
FAIL_RANK_ENV = "TRADEOFF_LAB_DDP_FAIL_RANK"


class RankFailed(RuntimeError):
    """This rank's run did not finish: the launcher reports it and ends the others."""


@dataclass(frozen=True)
class RankJob:
    spec_json: str
    config_json: str
    local_devices: tuple[str, ...]
    backend: str
    stop_path: str
    events: Any  # a spawn-context queue from the launcher on this machine, or None
    timeout_s: float


class SyncedStop:
    """should_stop for the run loop: True on the same call on every rank (synced), or this rank's
    own stop file (independent ranks, e.g. inference)."""

    def __init__(self, group: Any, stop_path: str, rank: int, synced: bool) -> None:
        import torch
        self.group, self.stop_path, self.synced = group, stop_path, synced
        self.flag = torch.zeros(1, dtype=torch.int32)
        self.pending: Any = None
        self.calls = 0
        fail = os.environ.get(FAIL_RANK_ENV, "")
        who, _, rest = fail.partition(":")
        when, _, self.fail_kind = rest.partition(":")
        self.fail_at = (int(when) if when else 5) if who.isdigit() and int(who) == rank else None

    def __call__(self) -> bool:
        self.calls += 1
        if self.calls == self.fail_at:
            if self.fail_kind == "oom":  # the test hook: what the allocator raises when the device is full
                import torch
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (test hook)")
            os._exit(13)  # the test hook: this rank dies abruptly, as a crash would
        if self.calls % STOP_EVERY:
            return False
        if not self.synced:
            return os.path.exists(self.stop_path)
        import torch.distributed as dist
        if self.pending is not None:
            self.pending.wait()
            self.pending = None
            if int(self.flag[0]) > 0:
                return True
        self.flag[0] = 1 if os.path.exists(self.stop_path) else 0
        self.pending = dist.all_reduce(self.flag, group=self.group, async_op=True)
        return False

    def finish(self) -> None:
        if self.pending is not None:
            self.pending.wait()
            self.pending = None


class RankHooks:
    """What the run loop asks of a rank (engine.run.loop's `parallel`): its data shard, the model
    wrapped in DDP, and the timed window's ends for the communication timer."""

    def __init__(self, config: Any, device: Any, rank: int, world: int) -> None:
        from engine.parallel.comm import CommTimer
        self.config, self.device, self.rank, self.world = config, device, rank, world
        self.timer = CommTimer(device)
        self.job_pid = os.getppid()  # the launcher: its children (every local rank) are the job's own

    def prepare_data(self, data: Any) -> Any:
        from engine.run.datasets import ImageData, SyntheticData
        if isinstance(data, SyntheticData):
            data.reseed(self.config.seed + self.rank)  # each rank its own random batch
        elif isinstance(data, ImageData):
            from torch.utils.data import DistributedSampler
            sampler = DistributedSampler(range(data.train_size), num_replicas=self.world, rank=self.rank,
                                         shuffle=True, seed=self.config.seed)
            data.shard(list(sampler), self.config.seed + self.rank)
        return data

    def wrap(self, model: Any) -> Any:
        if self.config.mode != "train":
            return model  # inference: independent ranks, nothing to all-reduce
        from engine.parallel.comm import wrap_ddp
        return wrap_ddp(model, self.config, self.device, self.timer)

    def window_start(self) -> None:
        self.timer.window_start()

    def window_end(self) -> None:
        self.timer.window_end()


def rank_main(job: RankJob) -> list[dict[str, Any]] | None:
    """The launcher's entry point for one rank; rank 0 returns every rank's outcome."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the launcher, which stops the job
    import torch
    import torch.distributed as dist

    from engine.net.spec import spec_from_json
    from engine.run.config import RunConfig
    from engine.run.loop import run

    _exit_with_launcher()
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank, node = int(os.environ["LOCAL_RANK"]), int(os.environ.get("GROUP_RANK", "0"))
    device_name = job.local_devices[local_rank]
    if job.events is not None:
        job.events.cancel_join_thread()  # exiting never waits for the launcher to read
    config = RunConfig.model_validate_json(job.config_json)
    update: dict[str, Any] = {"device": device_name, "keep_weights": config.keep_weights and rank == 0}
    if device_name != "cpu":
        torch.cuda.set_device(int(device_name.split(":")[1]))
    elif config.threads is None:  # the cores shared out between this machine's processes
        update["threads"] = max(1, (os.cpu_count() or 1) // len(job.local_devices))
    rank_config = config.model_copy(update=update)
    timeout = datetime.timedelta(seconds=job.timeout_s)
    dist.init_process_group(job.backend, timeout=timeout)
    control = dist.new_group(backend="gloo", timeout=timeout)
    spec = spec_from_json(job.spec_json, "network")
    extra: dict[str, Any] = {}
    if config.parallel == "pipeline":  # this rank runs one stage; the last stage reports the job live
        from engine.parallel.pipeline import StageHooks, run_stage
        from engine.parallel.split import pinned_cuts, plan_stages
        stage = plan_stages(spec, world, pinned_cuts(config.pipeline_split))[rank]
        stage_hooks = StageHooks(rank_config, torch.device(device_name), stage, world, job.backend)
        stop = SyncedStop(control, job.stop_path, rank, synced=True)
        result = run_stage(spec, rank_config, stage_hooks, _forwarder(job.events, rank, lead=world - 1), stop)
        extra = stage_hooks.outcome()
    else:
        hooks = RankHooks(rank_config, torch.device(device_name), rank, world)
        stop = SyncedStop(control, job.stop_path, rank, synced=config.mode == "train")
        result = run(spec, rank_config, on_event=_forwarder(job.events, rank), should_stop=stop, parallel=hooks)
        extra = {"comm_share": hooks.timer.share()}
    if result.status in ("failed", "oom"):
        raise RankFailed(f"rank {rank} ({device_name} on {socket.gethostname()}) {result.status}: {result.error}")
    stop.finish()
    outcome = {"rank": rank, "local_rank": local_rank, "node": node, "host": socket.gethostname(),
               "device": device_name, "result_json": result.model_dump_json(), **extra}
    gathered: list[Any] | None = [None] * world if rank == 0 else None
    dist.gather_object(outcome, gathered, dst=0, group=control)
    dist.destroy_process_group()
    return gathered


def _exit_with_launcher() -> None:
    """A rank whose launcher has gone (killed, not stopped) ends itself rather than run on orphaned."""
    import threading
    import time
    launcher = os.getppid()

    def watch() -> None:
        while os.getppid() == launcher:
            time.sleep(1.0)
        os._exit(1)
    threading.Thread(target=watch, name="launcher-watch", daemon=True).start()


def _forwarder(queue: Any, rank: int, lead: int = 0) -> Any:
    """The lead rank (0; a pipeline's last stage, which sees the loss) sends its live events to the
    launcher; every local rank sends its telemetry."""
    from engine.run.events import PhaseChanged, StepMetrics, TelemetryBatch
    wanted = (PhaseChanged, StepMetrics, TelemetryBatch) if rank == lead else (TelemetryBatch,)

    def emit(event: Any) -> None:
        if queue is not None and isinstance(event, wanted):
            try:
                queue.put((rank, event))
            except Exception:  # noqa: BLE001 - a live view that cannot follow is no reason to fail a rank
                pass
    return emit
