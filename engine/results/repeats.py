"""Repeated runs of one configuration combined: the median and 95 % interval over the runs (each run's
throughput, step-time p50 and energy per sample), interleaving orders, and the combined result's
warnings. Torch-free.

    order = interleave(["A", "B"], repeats=3)        # A B A B A B, never A A A B B B
    combined = combine_repeats([r1, r2, r3])         # a RunResult whose intervals are over runs
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from engine.results.result import IntervalFigure, RunResult
from engine.results.stats import median_interval
from engine.results.windows import UNSTABLE_WIDTH

T = TypeVar("T")


def interleave(configs: Sequence[T], repeats: int) -> list[tuple[int, T]]:
    """(repeat index, configuration) in the order to run them: every configuration once per round,
    so a drift of the machine (heat, another job) spreads over all of them rather than one."""
    return [(r, c) for r in range(max(repeats, 1)) for c in configs]


def _over_runs(values: Sequence[float | None]) -> IntervalFigure | None:
    iv = median_interval([v for v in values if v is not None])
    if iv is None:
        return None
    return IntervalFigure(median=iv.median, low=iv.low, high=iv.high, windows=iv.n, over="runs")


def combine_repeats(results: Sequence[RunResult]) -> RunResult:
    """One result for N repeats: the run nearest the median throughput stands for them, its intervals
    replaced by intervals over the runs; every repeat's warnings kept, named by its run."""
    ok = [r for r in results if r.status == "ok" and r.throughput_sps is not None]
    if not ok:
        return results[-1].model_copy(deep=True)
    tputs = sorted(r.throughput_sps for r in ok)
    median = tputs[len(tputs) // 2]
    base = min(ok, key=lambda r: abs(r.throughput_sps - median)).model_copy(deep=True)
    iv = base.intervals
    iv.throughput_sps = _over_runs([r.throughput_sps for r in ok])
    iv.step_time_s = _over_runs([r.step_time_s.p50 for r in ok])
    methods = {r.energy_per_sample_j.method for r in ok}
    # estimated and measured energy are never pooled: an interval only over runs of one method
    iv.energy_per_sample_j = _over_runs([r.energy_per_sample_j.total for r in ok]) if len(methods) == 1 else None
    base.repeat_runs = [r.run_id for r in results]
    quality = [q for q in base.quality if not q.startswith(("unstable:", "machine busy", "tail latency"))]
    for r in results:
        for q in r.quality:
            if q.startswith(("machine busy", "CPU steal", "memory pressure", "GPU shared", "tail latency", "unstable")):
                quality.append(f"run {r.run_id}: {q}")
        if r.status != "ok":
            quality.append(f"run {r.run_id} ended {r.status}: left out of the intervals")
    fig = iv.throughput_sps
    if fig and fig.median and fig.windows >= 3 and (fig.high - fig.low) / fig.median > UNSTABLE_WIDTH:
        quality.append(f"unstable: the throughput of the {fig.windows} repeats disagree (95 % interval "
                       f"{(fig.high - fig.low) / fig.median:.0%} of the median wide)")
    base.quality = list(dict.fromkeys(quality))
    base.disturbed = any(r.disturbed for r in results)
    return base
