"""Training to a target accuracy (MLPerf style): the run stops at the first held-out evaluation that
reaches the target, and the result gets the timed seconds, steps and energy it took, or a quality
sentence saying how far it got.

    target = AccuracyTarget(0.95)
    target.check(accuracy, timed_s, steps)     # after each held-out evaluation
    target.fill(result)                        # once the result is filled
"""
from __future__ import annotations

from typing import Any


class AccuracyTarget:
    def __init__(self, share: float | None) -> None:
        self.share = share
        self.reached_at: tuple[float, int] | None = None  # (timed seconds, steps) when it was reached

    def check(self, accuracy: float | None, timed_s: float, steps: int) -> None:
        if self.share is not None and self.reached_at is None and accuracy is not None and accuracy >= self.share:
            self.reached_at = (timed_s, steps)

    def fill(self, result: Any) -> None:
        if self.share is None or result.status != "ok":
            return
        if self.reached_at is None:
            got = f"{result.accuracy * 100:.1f} %" if result.accuracy is not None else "no accuracy measured"
            after = f" after {result.measured_s:.1f} s" if result.measured_s is not None else ""
            result.quality.append(f"target accuracy {self.share * 100:g} % not reached: {got}{after}")
            return
        timed_s, steps = self.reached_at
        result.time_to_accuracy_s, result.steps_to_accuracy = timed_s, steps
        # The run stopped at the evaluation that reached the target, so the window's energy per
        # sample over the samples trained so far is the energy to accuracy, measured the same way.
        per_sample = result.energy_per_sample_j.total
        if per_sample is not None:
            result.energy_to_accuracy_j = per_sample * steps * result.config.batch
            result.energy_to_accuracy_method = energy_method(result)
        else:
            result.unavailable["energy_to_accuracy_j"] = "no energy reading for this run"


def energy_method(result: Any) -> str | None:
    """The method of the energy the per-sample figure came from (GPU counter first, else CPU)."""
    per_sample_method = getattr(result.energy_per_sample_j, "method", None)
    if per_sample_method:
        return per_sample_method
    return result.energy_j.gpu_method or getattr(result.energy_j, "cpu_method", None) or \
        ("rapl" if result.energy_j.cpu is not None else None)
