"""Fills a RunResult from what the run loop measured and the sampler's WindowSummary: the figures,
the quality warnings and, for every figure that could not be had, the reason. Torch-free."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.results.measurement import (
    exclude_pauses,
    fill_cpu_energy,
    fill_energy_per_sample,
    fill_warnings,
    fill_windows,
)
from engine.results.result import RunResult, StepTimes, Temperature
from engine.results.series import SeriesRecorder, quantile

MIN_STEPS_FOR_P99 = 100
CPU_RUN = "the run used the CPU"
# The sampler's names for what it could not read -> the result keys they are about.
_SAMPLER_KEYS = {"cpu_energy": "energy_j.cpu", "gpu_energy": "energy_j.gpu", "gpu_power": "power_w.gpu_mean",
                 "host_peak_rss": "memory_bytes.host_peak_rss"}


def fill_result(result: RunResult, m: dict[str, Any], summary: Any, telemetry_reason: str | None,
                series: SeriesRecorder, data_kind: str, device: Any) -> None:
    cfg = result.config
    cuda = getattr(device, "type", "cpu") == "cuda"
    gpu_index = (device.index or 0) if cuda else None
    steps, measured_s = m["steps"], m["measured_s"]
    result.steps, result.samples = steps, steps * cfg.batch
    result.measured_s = measured_s
    q, why = result.quality, result.unavailable
    q.extend(m["notes"])

    # Speed: only a run whose timed window ran (ok, or cancelled part-way) has speed figures.
    if measured_s and steps and result.status in ("ok", "cancelled"):
        result.throughput_sps = result.samples / measured_s
        result.step_time_s = step_time_percentiles(m["step_times_s"])
        if steps < MIN_STEPS_FOR_P99:
            q.append(f"only {steps} timed steps: p99 step time rests on very few samples")
    else:
        why["throughput_sps"] = why["step_time_s"] = f"the run ended ({result.status}) before a timed window"
    if result.status == "cancelled" and steps:
        q.append(f"cancelled after {steps} timed steps: the figures cover that part only")
    if m["evals"] and m["eval_s"]:
        share = m["eval_s"] / (m["eval_s"] + (measured_s or 0)) if measured_s else 1.0
        # the pauses inside the window: the evaluation after the run is outside it (counted in evals)
        paused = len(m.get("pauses") or ()) or m["evals"]
        q.append(f"held-out evaluation paused the run {paused} time(s) ({m['eval_s']:.2f} s, {share:.0%} of the "
                 f"window), excluded from timing and from energy")

    # Loss and accuracy.
    result.loss, result.accuracy = m["loss"], m["accuracy"]
    result.heldout_loss = m.get("heldout_loss")
    if cfg.mode != "train":
        why["loss"] = "infer mode computes no training loss"
    elif result.loss is None:
        why["loss"] = "no training step finished"
    if result.accuracy is None:
        why["accuracy"] = ("synthetic data has random labels, so accuracy means nothing; "
                           "use the digits data set for a real one" if data_kind == "synthetic"
                           else "no held-out evaluation finished")

    # Memory.
    result.memory_bytes.gpu_peak_allocated = m["gpu_peak_allocated"]
    result.memory_bytes.gpu_peak_reserved = m["gpu_peak_reserved"]
    if not cuda:
        why["memory_bytes.gpu_peak_allocated"] = why["memory_bytes.gpu_peak_reserved"] = CPU_RUN
    elif m["gpu_peak_allocated"] is None:
        why["memory_bytes.gpu_peak_allocated"] = why["memory_bytes.gpu_peak_reserved"] = \
            "the run ended before the timed window"

    _fill_energy(result, summary, telemetry_reason, gpu_index)
    fill_cpu_energy(result, m)
    exclude_pauses(result, m, series, gpu_index)
    fill_energy_per_sample(result)
    if result.energy_per_sample_j.total is None:
        total = result.energy_j.gpu if gpu_index is not None else result.energy_j.cpu
        why.setdefault("energy_per_sample_j", "no energy reading for the timed window" if total is None
                       else f"the run ended ({result.status}) before a timed window")
    fill_windows(result, m, series, gpu_index)
    fill_warnings(result, m)
    result.series = series.to_series()


def _fill_energy(result: RunResult, summary: Any, telemetry_reason: str | None, gpu: int | None) -> None:
    q, why = result.quality, result.unavailable
    if summary is None:
        reason = telemetry_reason or "no telemetry"
        for key in ("energy_j.gpu", "energy_j.cpu", "power_w.gpu_mean", "memory_bytes.host_peak_rss"):
            why[key] = reason if gpu is not None or key != "energy_j.gpu" else CPU_RUN
        return
    q.extend(summary.quality)
    for key, reason in summary.unavailable.items():
        why.setdefault(_SAMPLER_KEYS.get(key, key), reason)
    e, p = result.energy_j, result.power_w
    e.cpu = summary.cpu_energy_j
    result.memory_bytes.host_peak_rss = summary.host_peak_rss_bytes
    if gpu is not None:
        if f"gpu{gpu}.energy" in summary.unavailable:
            why.setdefault("energy_j.gpu", summary.unavailable[f"gpu{gpu}.energy"])
        e.gpu = summary.gpu_energy_j.get(gpu)
        e.gpu_method = summary.gpu_energy_method.get(gpu)
        e.gpu_dynamic = summary.gpu_dynamic_energy_j.get(gpu)
        p.gpu_mean = summary.gpu_power_mean_w.get(gpu)
        p.gpu_max = summary.gpu_power_max_w.get(gpu)
        p.gpu_idle = summary.gpu_idle_power_w.get(gpu)
        result.gpu_temperature_c = Temperature(start=summary.gpu_temperature_start_c.get(gpu),
                                               max=summary.gpu_temperature_max_c.get(gpu))
    else:
        for key in ("energy_j.gpu", "energy_j.gpu_dynamic", "power_w.gpu_mean", "power_w.gpu_max"):
            why[key] = CPU_RUN
    if e.gpu_method and e.gpu_method != "counter":
        q.append(f"GPU energy is estimated ({e.gpu_method}): this GPU has no readable energy counter")


def step_time_percentiles(step_times_s: Sequence[float]) -> StepTimes:
    s = sorted(step_times_s)
    return StepTimes(p50=quantile(s, 0.5), p90=quantile(s, 0.9), p99=quantile(s, 0.99))
