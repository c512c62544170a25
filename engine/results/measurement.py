"""The trust side of a run result: per-window figures and their intervals, the stability and
tail-latency warnings, what else used the machine (contention), CPU energy where RAPL cannot be read
(estimated from the TDP), and energy over the timed window only (evaluation pauses taken out).
Called by fill_result once the plain figures are in. Torch-free.
"""
from __future__ import annotations

import os
from typing import Any

from engine.results.result import Contention, IntervalFigure, RunResult, WindowFigures, energy_per_sample
from engine.results.windows import energy_reader, integrate_power_j, interp_at, measure_windows, stability_warnings

TAIL_RATIO = 5.0  # p99 / p50 above this: a tail-latency warning


def fill_cpu_energy(result: RunResult, m: dict[str, Any]) -> None:
    """energy_j.cpu with its method: RAPL where the sampler read it, else an estimate from the TDP
    (by model or the user's setting) and the run's CPU time over the timed window (pauses excluded)."""
    e, why = result.energy_j, result.unavailable
    if e.cpu is not None:
        e.cpu_method = "rapl"
        return
    cpu_s, window_s = m.get("cpu_s"), result.measured_s
    if cpu_s is None or not window_s:
        return
    from hw.cpu_power import cpu_tdp, estimate_cpu_energy_j, unknown_tdp_reason
    tdp = cpu_tdp(result.hardware.cpu_model, result.config.cpu_tdp_w)
    if tdp is None:
        why["energy_j.cpu"] = (f"{why.get('energy_j.cpu', 'RAPL unreadable')}; "
                               f"{unknown_tdp_reason(result.hardware.cpu_model)}")
        return
    logical = result.hardware.cpu_count or os.cpu_count() or 1
    est = estimate_cpu_energy_j(tdp, logical, cpu_s, window_s)
    e.cpu, e.cpu_method, e.cpu_tdp_source = est.energy_j, "estimated", est.tdp_source
    why.pop("energy_j.cpu", None)
    m["cpu_tdp"] = (tdp, logical)


def exclude_pauses(result: RunResult, m: dict[str, Any], series: Any, gpu: int | None) -> None:
    """Takes the energy read across each evaluation pause out of the counter/RAPL totals (the
    estimate already leaves pauses out: its CPU time is counted without them), and says how."""
    pauses = m.get("pauses") or []
    e = result.energy_j
    if not pauses:
        return
    paused_s = sum(b - a for a, b in pauses)
    notes = []
    if gpu is not None and e.gpu is not None:
        col = series.gpus.get(gpu, {})
        key = "power_instant_w" if any(v is not None for v in col.get("power_instant_w", ())) else "power_avg_w"
        parts = [integrate_power_j(col.get("t_s", ()), col.get(key, ()), a, b) for a, b in pauses]
        if all(p is not None for p in parts):
            e.gpu = max(e.gpu - sum(parts), 0.0)
            notes.append(f"GPU energy over the {len(pauses)} pause(s) subtracted (sampled {key.removesuffix('_w')})")
        else:
            share = paused_s / (paused_s + (result.measured_s or 0))
            e.gpu *= 1 - share
            notes.append(f"GPU energy scaled down by the pauses' {share:.0%} of the window (no power samples)")
        if e.gpu_dynamic is not None and result.power_w.gpu_idle is not None:
            e.gpu_dynamic = max(e.gpu - result.power_w.gpu_idle * (result.measured_s or 0), 0.0)
    if e.cpu is not None and e.cpu_method == "rapl":
        host = series.host
        parts = [_cumulative_delta(host["t_s"], host["rapl_package_energy_j"], a, b) for a, b in pauses]
        if all(p is not None for p in parts):
            e.cpu = max(e.cpu - sum(parts), 0.0)
            notes.append(f"RAPL energy over the {len(pauses)} pause(s) subtracted")
    if e.cpu_method == "estimated":
        notes.append("the CPU estimate counts the run's CPU time outside the pauses only")
    if not notes:  # no energy figure to correct (no GPU, RAPL or TDP here): nothing to say about it
        return
    e.window_note = (f"energy covers the timed window without {len(pauses)} held-out evaluation pause(s) "
                     f"({paused_s:.2f} s): " + "; ".join(notes))


def _cumulative_delta(t_s: Any, values: Any, a: float, b: float) -> float | None:
    e0, e1 = interp_at(t_s, values, a), interp_at(t_s, values, b)
    return e1 - e0 if e0 is not None and e1 is not None else None


def fill_energy_per_sample(result: RunResult) -> None:
    """From whichever energy exists, the GPU's first, with its method."""
    e, eps, why = result.energy_j, result.energy_per_sample_j, result.unavailable
    if not result.samples or result.status not in ("ok", "cancelled"):
        return
    if e.gpu is not None:
        eps.total, eps.method, eps.source = energy_per_sample(e.gpu, result.samples), e.gpu_method, "gpu"
        eps.dynamic = energy_per_sample(e.gpu_dynamic, result.samples)
    elif e.cpu is not None:
        eps.total, eps.method, eps.source = energy_per_sample(e.cpu, result.samples), e.cpu_method, "cpu"
    else:
        return
    why.pop("energy_per_sample_j", None)
    if eps.method == "estimated":
        result.quality.append(f"energy per sample is estimated from the CPU's TDP ({e.cpu_tdp_source}) and the "
                              f"run's CPU time, not measured")


def fill_windows(result: RunResult, m: dict[str, Any], series: Any, gpu: int | None) -> None:
    """Per-window figures, their intervals, and the warnings they call for."""
    times = list(m.get("step_times_s") or ())
    if result.throughput_sps is None or len(times) < 2:
        return
    series_cols = {"host": series.host, **{f"gpu{i}": c for i, c in series.gpus.items()}}
    cpu_j_of = None
    if result.energy_j.cpu_method == "estimated" and m.get("cpu_tdp"):
        from hw.cpu_power import estimate_cpu_energy_j
        tdp, logical = m["cpu_tdp"]
        cps = m["checkpoints"]
        timed, cpu = [c[0] for c in cps], [c[2] for c in cps]

        def cpu_j_of(a: float, b: float) -> float | None:
            c0, c1 = interp_at(timed, cpu, a), interp_at(timed, cpu, b)
            return estimate_cpu_energy_j(tdp, logical, c1 - c0, b - a).energy_j if None not in (c0, c1) else None
    energy_of, method = energy_reader(series_cols, gpu if result.energy_j.gpu is not None else None,
                                      result.energy_j.cpu_method, cpu_j_of)
    w = measure_windows(times, result.config.batch, m["checkpoints"], energy_of, method,
                        energy_clock="timed" if method == "estimated" else "run")
    result.windows = WindowFigures(by=w.by, throughput_sps=w.throughput_sps, step_time_p50_s=w.step_time_p50_s,
                                   energy_per_sample_j=w.energy_per_sample_j, energy_method=w.energy_method)
    ivs = w.intervals()
    iv = result.intervals
    iv.throughput_sps, iv.step_time_s, iv.energy_per_sample_j = (
        IntervalFigure(**ivs[k]) if ivs[k] else None for k in ("throughput_sps", "step_time_s", "energy_per_sample_j"))
    result.quality.extend(stability_warnings(ivs))


def fill_warnings(result: RunResult, m: dict[str, Any]) -> None:
    """Contention, tail latency and the stability mode's outcome, as quality sentences."""
    q = result.quality
    report = m.get("contention")
    if report is not None:
        result.contention = Contention.model_validate(report.to_json_dict())
        q.extend(report.warnings)
    st = result.step_time_s
    if st.p50 and st.p99 and st.p99 / st.p50 > TAIL_RATIO:
        q.append(f"tail latency: p99 step time is {st.p99 / st.p50:.1f}× p50 (a few steps were much slower: "
                 f"another process, the garbage collector or clock changes)")
    cfg = result.config
    if cfg.stable_windows:
        result.stability = m.get("stability")
        if result.stability == "stable":
            q.append(f"stable: the last {cfg.stable_windows} windows agreed within {cfg.stable_pct:g} %")
        elif result.stability == "capped":
            q.append(f"not stable: the last {cfg.stable_windows} windows never agreed within {cfg.stable_pct:g} % "
                     f"before the {cfg.stable_max_s:g} s cap")
    result.disturbed = bool(report is not None and report.disturbed)
