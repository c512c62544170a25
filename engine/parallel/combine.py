"""Every rank's own RunResult -> the job's one RunResult. Torch-free.

The job's throughput is all ranks' samples over the longest rank's timed window; its energy and
power the sum over its GPUs (CPU energy: a RAPL reading covers the whole package, so one per
machine; an estimate from each process's CPU time is summed); step times and memory the worst rank's
(the job moves at the slowest rank's pace); loss, accuracy, the series and the trust figures rank
0's, with every other GPU's telemetry added to the series. Each rank keeps its own line in
`devices`.
"""
from __future__ import annotations

from typing import Any

from engine.results.result import (
    DeviceFigures,
    Intervals,
    ParallelFacts,
    RunResult,
    StepTimes,
    WindowFigures,
    energy_per_sample,
)
from engine.run.config import RunConfig


def device_figures(outcome: dict[str, Any], r: RunResult) -> DeviceFigures:
    on_gpu = outcome["device"] != "cpu"
    energy = r.energy_j.gpu if on_gpu else r.energy_j.cpu
    return DeviceFigures(
        rank=outcome["rank"], device=outcome["device"], node=outcome.get("node", 0), host=outcome.get("host"),
        device_name=r.hardware.device_name, status=r.status, error=r.error, throughput_sps=r.throughput_sps,
        step_time_p50_s=r.step_time_s.p50, power_w=r.power_w.gpu_mean, energy_j=energy,
        energy_method=r.energy_j.gpu_method if on_gpu else r.energy_j.cpu_method,
        memory_peak_bytes=r.memory_bytes.gpu_peak_reserved if on_gpu else r.memory_bytes.host_peak_rss,
        communication_share=outcome.get("comm_share"), samples=r.samples, measured_s=r.measured_s)


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known and len(known) == len(values) else None


def _max(values: list[Any]) -> Any:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def combine(outcomes: list[dict[str, Any]], config: RunConfig, run_id: str, created_at: str, nodes: int,
            backend: str, comm_method: str) -> RunResult:
    outcomes = sorted(outcomes, key=lambda o: o["rank"])
    results = [RunResult.model_validate_json(o["result_json"]) for o in outcomes]
    first = results[0]
    world = len(results)
    job = first.model_copy(deep=True, update={"run_id": run_id, "created_at": created_at, "config": config})
    statuses = {r.status for r in results}
    job.status = "ok" if statuses == {"ok"} else ("cancelled" if "cancelled" in statuses else first.status)
    job.devices = [device_figures(o, r) for o, r in zip(outcomes, results, strict=True)]
    job.samples = sum(r.samples for r in results)
    job.measured_s = _max([r.measured_s for r in results])
    job.throughput_sps = job.samples / job.measured_s if job.measured_s and job.samples else None
    job.step_time_s = StepTimes(**{k: _max([getattr(r.step_time_s, k) for r in results]) for k in ("p50", "p90", "p99")})

    gpu = [d for d in job.devices if d.device != "cpu"]
    e = job.energy_j
    if gpu:
        e.gpu = _sum([r.energy_j.gpu for r in results])
        e.gpu_dynamic = _sum([r.energy_j.gpu_dynamic for r in results])
        job.power_w.gpu_mean = _sum([r.power_w.gpu_mean for r in results])
        job.power_w.gpu_max = _sum([r.power_w.gpu_max for r in results])
        job.power_w.gpu_idle = _sum([r.power_w.gpu_idle for r in results])
    by_host: dict[str, list[RunResult]] = {}
    for o, r in zip(outcomes, results, strict=True):
        by_host.setdefault(o.get("host") or "", []).append(r)
    if first.energy_j.cpu_method == "rapl":  # the package counter: one reading per machine
        e.cpu = _sum([rs[0].energy_j.cpu for rs in by_host.values()])
    else:
        e.cpu = _sum([r.energy_j.cpu for r in results])
    total = e.gpu if job.energy_per_sample_j.source == "gpu" else e.cpu
    dynamic = e.gpu_dynamic if job.energy_per_sample_j.source == "gpu" else None
    job.energy_per_sample_j.total = energy_per_sample(total, job.samples)
    job.energy_per_sample_j.dynamic = energy_per_sample(dynamic, job.samples)
    m = job.memory_bytes
    m.gpu_peak_allocated = _max([r.memory_bytes.gpu_peak_allocated for r in results])
    m.gpu_peak_reserved = _max([r.memory_bytes.gpu_peak_reserved for r in results])
    m.host_peak_rss = _max([r.memory_bytes.host_peak_rss for r in results])

    # Series: rank 0's steps (its throughput times the ranks, as shown live), every GPU's telemetry.
    steps = job.series.steps
    steps.throughput_sps = [None if v is None else v * world for v in steps.throughput_sps]
    for r in results[1:]:
        for index, group in r.series.gpus.items():
            job.series.gpus.setdefault(index, group)
    # Rank 0's windows are one rank's: kept for its step time only.
    job.windows = WindowFigures(by=first.windows.by, step_time_p50_s=first.windows.step_time_p50_s)
    job.intervals = Intervals(step_time_s=first.intervals.step_time_s)
    for rank, r in enumerate(results[1:], start=1):
        if r.disturbed and not first.disturbed:
            job.quality.extend(f"rank {rank}: {q}" for q in r.quality if q.startswith("machine busy"))
        job.disturbed = job.disturbed or r.disturbed
    job.quality.append(f"{world} processes, data parallel: throughput, energy and power are the whole job's; "
                       f"step times the slowest process's; per-window figures and the series are process 0's")
    shares = [d.communication_share for d in job.devices if d.communication_share is not None]
    job.communication_share = sum(shares) / len(shares) if shares else None
    if job.communication_share is None:
        job.unavailable["communication_share"] = ("inference runs independent processes: nothing is all-reduced"
                                                  if config.mode != "train" else "no all-reduce was timed")
    job.parallel = ParallelFacts(world_size=world, nodes=nodes, backend=backend, per_device_batch=config.batch,
                                 global_batch=config.batch * world,
                                 communication_method=comm_method if shares else None)
    return job


def apply_baseline(job: RunResult, baseline: RunResult | None, source: str, why_not: str | None = None) -> None:
    """scaling_efficiency = job throughput / (N x the 1-device run's throughput)."""
    if baseline is None or not baseline.throughput_sps or not job.throughput_sps or job.parallel is None:
        job.unavailable["scaling_efficiency"] = why_not or "no 1-device run of the same configuration to compare with"
        return
    job.parallel.baseline_run_id = baseline.run_id
    job.parallel.baseline_throughput_sps = baseline.throughput_sps
    job.parallel.baseline_source = source  # type: ignore[assignment]
    job.scaling_efficiency = job.throughput_sps / (job.parallel.world_size * baseline.throughput_sps)
    if job.scaling_efficiency > 1.05:
        job.quality.append(f"scaling efficiency {job.scaling_efficiency:.0%} is above 100 %: the job and its 1-device "
                           f"run did not see the same machine (busy, or another clock or temperature); rerun both")


def failed_job(config: RunConfig, run_id: str, created_at: str, network: Any, status: str, error: str,
               failed_rank: int | None, world: int, nodes: int, backend: str) -> RunResult:
    """The job's result when a rank failed (or the launch did): no figures, the rank and its message."""
    job = RunResult(run_id=run_id, created_at=created_at, status=status, error=error, network=network, config=config)
    pipeline = config.parallel == "pipeline"  # every stage sees the whole batch
    job.parallel = ParallelFacts(kind="pipeline" if pipeline else "data", world_size=world, nodes=nodes,
                                 backend=backend, per_device_batch=config.batch,
                                 global_batch=config.batch * (1 if pipeline else world), failed_rank=failed_rank)
    if pipeline:
        job.parallel.microbatches = config.pipeline_microbatches(world)
        job.parallel.schedule = ("forward only" if config.mode != "train"
                                 else {"gpipe": "GPipe", "1f1b": "1F1B"}[config.pipeline_schedule])
    why = f"the job ended ({status}) before its processes reported"
    job.unavailable.update({"throughput_sps": why, "step_time_s": why, "scaling_efficiency": why})
    return job
