"""The 1-device run a data-parallel or pipeline job's scaling is measured against: the same per-device
configuration (network, batch per device, precision, mode, memory format, compile, data, and on the
CPU the same threads per process) on one device. Found in the run history, or run now and kept there."""
from __future__ import annotations

from typing import Any

from engine.results.result import RunResult
from engine.run.config import RunConfig

SAME = ("precision", "batch", "mode", "optimizer", "channels_last", "compile", "cudnn_benchmark", "dataset")
PARALLEL_FIELDS = ("devices", "processes", "parallel", "nnodes", "bucket_cap_mb", "gradient_as_bucket_view",
                   "static_graph", "ddp_compress", "microbatches", "pipeline_split", "pipeline_schedule")


def baseline_config(config: RunConfig, threads_per_process: int | None) -> RunConfig:
    """The job's configuration on its first device alone."""
    values = config.model_dump()
    defaults = {name: RunConfig.model_fields[name].get_default() for name in PARALLEL_FIELDS}
    values.update(defaults, device=config.device, keep_weights=False, repeats=1)
    if config.device == "cpu" and config.threads is None:
        values["threads"] = threads_per_process
    return RunConfig(**values)


def matches(candidate: RunResult, base: RunConfig, network: Any) -> bool:
    c = candidate.config
    return (candidate.status == "ok" and bool(candidate.throughput_sps) and not c.is_parallel
            and c.device == base.device and c.threads == base.threads
            and all(getattr(c, k) == getattr(base, k) for k in SAME)
            and candidate.network.name == network.name and candidate.network.params == network.params
            and candidate.network.flops_per_sample == network.flops_per_sample
            and (candidate.network.spec is None or network.spec is None or candidate.network.spec == network.spec))


def find_baseline(store: Any, base: RunConfig, network: Any) -> RunResult | None:
    """The newest matching 1-device run in the history, or None."""
    rows = store.list(network=network.name, device=base.device, precision=base.precision, status="ok", limit=200)
    for row in rows:
        if row.batch != base.batch or row.mode != base.mode:
            continue
        candidate = store.get(row.run_id)
        if candidate is not None and matches(candidate, base, network):
            return candidate
    return None
