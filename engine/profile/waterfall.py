"""The explain waterfall: each lever's effect against the baseline, from stored runs. Torch-free.

Every step is compared with the baseline alone (never with the step before it): throughput and
energy per sample as ratios with their 95 % interval (over repeats, else over measuring windows;
engine.results.stats), peak memory as a ratio, and accuracy as a change in points only where both
sides measured it on held-out data after the same training (engine.results.findings' rule).

    steps = waterfall(baseline_runs, [StepInput(key, label, tag, why, runs), ...])
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.format import MISSING
from engine.results.compare import peak_mem_bytes
from engine.results.findings import accuracy_comparable, energy_kind, figure_values
from engine.results.result import RunResult
from engine.results.stats import Ratio, ratio_interval

HELPED = 1.02  # a lever "helped" when its throughput ratio's interval lies above this


@dataclass(frozen=True)
class StepInput:
    key: str
    label: str
    tag: str
    why: str
    runs: Sequence[RunResult]
    changes: dict[str, Any] = field(default_factory=dict)
    status: str = "ok"  # without runs: why (failed before running, skipped, cancelled)
    error: str = ""


@dataclass(frozen=True)
class Step:
    """One lever applied alone to the baseline (or the combination), against the baseline."""
    key: str
    label: str
    tag: str
    why: str
    run_ids: tuple[str, ...]
    status: str  # ok, or why there is no figure (oom, failed, cancelled, ...)
    changes: dict[str, Any] = field(default_factory=dict)
    throughput_sps: float | None = None
    throughput: Ratio | None = None  # lever / baseline
    energy: Ratio | None = None  # energy per sample, lever / baseline
    energy_note: str = ""  # "estimated", or why it is not compared
    memory_ratio: float | None = None  # peak memory, lever / baseline
    accuracy_points: float | None = None  # lever minus baseline, in percentage points
    accuracy_note: str = ""  # why accuracy is not compared
    error: str = ""

    @property
    def helped(self) -> bool:
        return self.throughput is not None and self.throughput.low >= HELPED

    def to_json(self) -> dict[str, Any]:
        def ratio(r: Ratio | None) -> dict[str, float] | None:
            return None if r is None else {"value": r.value, "low": r.low, "high": r.high}
        return {"key": self.key, "label": self.label, "tag": self.tag, "why": self.why, "changes": self.changes,
                "run_ids": list(self.run_ids), "status": self.status, "error": self.error or None,
                "throughput_sps": self.throughput_sps, "throughput_ratio": ratio(self.throughput),
                "energy_per_sample_ratio": ratio(self.energy), "energy_note": self.energy_note or None,
                "peak_mem_ratio": self.memory_ratio, "accuracy_change_points": self.accuracy_points,
                "accuracy_note": self.accuracy_note or None, "helped": self.helped}


def _median(xs: Sequence[float]) -> float | None:
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def baseline_figures(runs: Sequence[RunResult]) -> dict[str, Any]:
    ok = [r for r in runs if r.status == "ok"]
    return {"run_ids": [r.run_id for r in runs], "throughput_sps": _median([r.throughput_sps for r in ok]),
            "energy_per_sample_j": _median([r.energy_per_sample_j.total for r in ok]),
            "peak_mem_bytes": _median([peak_mem_bytes(r) for r in ok]),
            "accuracy": _median([r.accuracy for r in ok if r.accuracy is not None]),
            "energy_note": next((r.unavailable.get("energy_j.cpu") or r.unavailable.get("energy_per_sample_j")
                                 for r in ok if r.energy_per_sample_j.total is None), None)}


def _energy(a: list[RunResult], b: list[RunResult]) -> tuple[Ratio | None, str]:
    ea, eb = figure_values(a, "energy_per_sample_j"), figure_values(b, "energy_per_sample_j")
    if not ea or not eb:
        return None, "not measured"
    kinds = {energy_kind(r) for r in (*a, *b)}
    if len(kinds) > 1:  # never a ratio of a measured and an estimated energy
        return None, "measured on one side, estimated on the other"
    return ratio_interval(ea, eb), "estimated" if kinds == {"estimated"} else ""


def _accuracy(a: list[RunResult], b: list[RunResult]) -> tuple[float | None, str]:
    acc_a = [r.accuracy for r in a if r.accuracy is not None]
    acc_b = [r.accuracy for r in b if r.accuracy is not None]
    if not acc_a or not acc_b:
        return None, "not measured (synthetic data has no held-out images)" if all(
            r.config.dataset == "synthetic" for r in (*a, *b)) else "not measured"
    if not accuracy_comparable([*a, *b]):
        return None, "not comparable (different weights or amounts of training)"
    return (_median(acc_a) - _median(acc_b)) * 100, ""


def compare_step(step: StepInput, baseline: Sequence[RunResult]) -> Step:
    base = [r for r in baseline if r.status == "ok"]
    ok = [r for r in step.runs if r.status == "ok"]
    common = dict(key=step.key, label=step.label, tag=step.tag, why=step.why, changes=dict(step.changes),
                  run_ids=tuple(r.run_id for r in step.runs))
    if not ok or not base:
        bad = next((r for r in step.runs if r.status != "ok"), None)
        if bad is not None:
            return Step(**common, status=bad.status, error=bad.error or "")
        if not step.runs:
            return Step(**common, status=step.status if step.status != "ok" else "not run", error=step.error)
        return Step(**common, status="no baseline", error="the baseline has no finished run to compare with")
    tp = ratio_interval(figure_values(ok, "throughput_sps"), figure_values(base, "throughput_sps"))
    energy, energy_note = _energy(ok, base)
    mem_a, mem_b = _median([peak_mem_bytes(r) for r in ok]), _median([peak_mem_bytes(r) for r in base])
    acc, acc_note = _accuracy(ok, base)
    return Step(**common, status="ok", throughput_sps=_median([r.throughput_sps for r in ok]), throughput=tp,
                energy=energy, energy_note=energy_note, memory_ratio=(mem_a / mem_b) if mem_a and mem_b else None,
                accuracy_points=acc, accuracy_note=acc_note)


def waterfall(baseline: Sequence[RunResult], steps: Sequence[StepInput]) -> list[Step]:
    """Each step against the baseline, in the given order."""
    return [compare_step(s, baseline) for s in steps]


def ratio_text(r: Ratio | None, digits: int = 2) -> str:
    """'1.84×' or '1.84× (1.71–1.98)'."""
    if r is None:
        return MISSING
    if r.low == r.high:
        return f"{r.value:.{digits}f}×"
    return f"{r.value:.{digits}f}× ({r.low:.{digits}f}–{r.high:.{digits}f})"
