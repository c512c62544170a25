"""CPU power where no energy counter can be read: the package's TDP by model (CodeCarbon's table,
hw/data/cpu_tdp.csv) or set by the user, times a utilisation model. Torch-free, Qt-free.

    tdp = cpu_tdp("Intel(R) Xeon(R) Platinum 8480+", user_tdp_w=None)   # -> CpuTdp or None
    estimate = estimate_cpu_energy_j(tdp, logical_cpus=16, busy_cpu_s=42.0, window_s=10.0)

The model: a busy logical CPU draws its share of the TDP (TDP / logical CPUs of the package), an idle
one a tenth of it (the package's idle floor). Labelled `estimated`, with the TDP's source; never
mixed silently with measured (RAPL, counter) figures.
"""
from __future__ import annotations

import csv
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "data" / "cpu_tdp.csv"
TABLE_SOURCE = "CodeCarbon 3.3.2 CPU power table"
USER_TDP_ENV = "TRADEOFF_LAB_CPU_TDP_W"
IDLE_SHARE = 0.1  # an idle core's share of its TDP slice
_NOISE = re.compile(r"\((r|tm)\)|\bcpu\b|\bprocessor\b|@.*$|\d+-core|\bwith\b.*$", re.IGNORECASE)


@dataclass(frozen=True)
class CpuTdp:
    tdp_w: float
    source: str  # "CodeCarbon 3.3.2 CPU power table: Intel Xeon Platinum 8480+" | "set by the user"


@dataclass(frozen=True)
class CpuEnergyEstimate:
    energy_j: float
    power_w: float
    method: str  # always "estimated"
    tdp_source: str


def _tokens(name: str) -> tuple[str, ...]:
    return tuple(_NOISE.sub(" ", name).lower().replace(",", " ").split())


@functools.cache
def _table() -> dict[tuple[str, ...], tuple[str, float]]:
    out = {}
    with TABLE.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                out[_tokens(row["Name"])] = (row["Name"], float(row["TDP"]))
            except (TypeError, ValueError):
                continue  # a row without a number is no data
    return out


def lookup_tdp(model: str) -> tuple[str, float] | None:
    """The table's (name, TDP W) for a CPU model string, or None: the entry whose name tokens all occur
    in the model's, the longest such name winning (so 'EPYC 9654' does not match 'EPYC 9654P')."""
    words = _tokens(model)
    if not words:
        return None
    exact = _table().get(words)
    if exact:
        return exact
    have = set(words)
    best: tuple[int, tuple[str, float]] | None = None
    for key, entry in _table().items():
        if len(key) >= 2 and set(key) <= have and any(any(c.isdigit() for c in w) for w in key):
            if best is None or len(key) > best[0]:
                best = (len(key), entry)
    return best[1] if best else None


def cpu_tdp(model: str | None, user_tdp_w: float | None = None) -> CpuTdp | None:
    """The TDP to estimate with: the user's setting first (argument, then TRADEOFF_LAB_CPU_TDP_W),
    else the table's entry for the model; None when neither is known."""
    if user_tdp_w is None and os.environ.get(USER_TDP_ENV):
        try:
            user_tdp_w = float(os.environ[USER_TDP_ENV])
        except ValueError:
            user_tdp_w = None
    if user_tdp_w is not None and user_tdp_w > 0:
        return CpuTdp(user_tdp_w, "set by the user")
    found = lookup_tdp(model or "")
    return CpuTdp(found[1], f"{TABLE_SOURCE}: {found[0]}") if found else None


def estimate_cpu_energy_j(tdp: CpuTdp, logical_cpus: int, busy_cpu_s: float, window_s: float) -> CpuEnergyEstimate:
    """Energy of the CPU time a run used: busy CPU seconds at the per-CPU TDP slice, the rest of the
    run's CPUs at the idle floor. `busy_cpu_s` is the run's CPU time (user + system) in the window."""
    per_cpu_w = tdp.tdp_w / max(logical_cpus, 1)
    busy = max(min(busy_cpu_s, logical_cpus * window_s), 0.0)
    idle = max(logical_cpus * window_s - busy, 0.0)
    energy = per_cpu_w * busy + IDLE_SHARE * per_cpu_w * idle
    return CpuEnergyEstimate(energy, energy / window_s if window_s > 0 else 0.0, "estimated", tdp.source)
