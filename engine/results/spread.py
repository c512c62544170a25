"""How sure a run's figures are, for the views: the interval of a metric (from the run's windows),
whether its energy is estimated, and whether the machine was busy during it. Reads both new results
and older ones that have none of this (nothing to show then).

    metric_interval(result, "throughput_sps") -> (low, high) | None      in SI units
    energy_estimated(result) -> bool       energy per sample is an estimate, not a counter reading
    disturbed(result) -> str | None        the sentence saying the machine was busy, or None
"""
from __future__ import annotations

from typing import Any

# Interval keys a metric may be stored under (the result key first)
_INTERVAL_KEYS = {"step_time_p50_s": ("step_time_p50_s", "step_time_s"),
                  "energy_per_sample_j": ("energy_per_sample_j", "energy_per_sample_j.total")}
ESTIMATED_METHODS = ("estimated", "integrated-instant-power", "integrated-average-power")
BUSY_PREFIX = "machine busy"


def _get(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def metric_interval(result: Any, metric_key: str) -> tuple[float, float] | None:
    """The 95 % interval (low, high) of a metric over the run's windows, or None where not measured."""
    intervals = getattr(result, "intervals", None)
    for key in _INTERVAL_KEYS.get(metric_key, (metric_key,)):
        iv = _get(intervals, key)
        low, high = _get(iv, "low"), _get(iv, "high")
        if low is not None and high is not None:
            return float(low), float(high)
    return None


def energy_method(result: Any) -> str | None:
    """The method of the energy behind energy per sample: counter, rapl, estimated or an integration."""
    method = _get(result.energy_per_sample_j, "method")
    if method:
        return method
    if result.on_gpu:
        return result.energy_j.gpu_method
    return _get(result.energy_j, "cpu_method") or ("rapl" if result.energy_j.cpu is not None else None)


def energy_estimated(result: Any) -> bool:
    return energy_method(result) in ESTIMATED_METHODS


def disturbed(result: Any) -> str | None:
    """Why the run's figures may be disturbed (the machine was busy), or None."""
    busy = next((q for q in result.quality if q.lower().startswith(BUSY_PREFIX)), None)
    if busy:
        return busy
    if getattr(result, "disturbed", False):
        return "machine busy: other work shared the machine during the timed window"
    return None
