"""engine.parallel: runs over several devices and machines through torch.distributed.

    run_job(spec, config, on_event, should_stop, node_rank=0, endpoint=None, db_path=None, baseline=True)
        a data-parallel job (config.devices / processes / nnodes): one process per device started by
        torch.distributed's elastic launcher (what torchrun runs), DistributedDataParallel in each,
        NCCL on GPUs and gloo on the CPU; node 0 returns ONE RunResult with `devices` (one entry per
        rank), `scaling_efficiency` (against the 1-device run of the same configuration, from the
        history or measured) and `communication_share`. engine.run.run hands such configs here.
        With parallel="pipeline" the net is split into stages instead (one per process, cut where one
        tensor crosses, balanced by FLOPs or at config.pipeline_split), run through
        torch.distributed.pipelining with config.microbatches; the result adds parallel.stages and the
        measured bubble_share.
    layout(config, gpu_count) -> Layout     the ranks' devices and backend, refusing bad device lists
    valid_cuts(spec) -> [layer id]          where a pipeline may start a stage (torch-free)
    node_commands(argv, nnodes, endpoint)   the `run` command to start on each machine

Errors: BadRunInput / Unsupported (a GPU that is not here, a GPU listed twice, a bad endpoint, a
pipeline cut inside a residual block) before
anything starts; a rank that fails ends the job with status failed (or oom) naming the rank.
"""
from __future__ import annotations

import importlib
from typing import Any

from engine.parallel.plan import SHARE_GPU_ENV, Layout, layout, node_commands
from engine.parallel.split import valid_cuts

__all__ = ["SHARE_GPU_ENV", "Layout", "layout", "node_commands", "run_job", "valid_cuts"]
_LAZY = {"run_job": "engine.parallel.launch"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
