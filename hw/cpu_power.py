"""CPU power where no energy counter can be read: the package's TDP by model (CodeCarbon's table,
hw/data/cpu_tdp.csv) or set by the user, times a utilisation model. Torch-free, Qt-free.

    tdp = cpu_tdp("Intel(R) Xeon(R) Platinum 8480+", user_tdp_w=None)   # -> CpuTdp or None
    why = unknown_tdp_reason("AMD EPYC")   # where it is None: why, and the fix (--cpu-tdp-w)
    estimate = estimate_cpu_energy_j(tdp, logical_cpus=16, busy_cpu_s=42.0, window_s=10.0)

The model: a busy logical CPU draws its share of the TDP (TDP / logical CPUs of the package), an idle
one a tenth of it (the package's idle floor). Labelled `estimated`, with the TDP's source; never
mixed silently with measured (RAPL, counter) figures. A model the table does not hold gets no TDP:
not even a family's ('AMD EPYC' spans 50 W to 500 W there); the reason says so and names the fix.
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
# The fix for an unknown model, said wherever the estimate is missing: the CLI flag and the GUI field.
SET_TDP = "give the CPU's TDP to estimate its energy: --cpu-tdp-w W (GUI: Run tab, CPU TDP)"
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


def family_tdp_range(model: str) -> tuple[int, float, float] | None:
    """For a model string naming no model number ('AMD EPYC', as a virtual machine often reports it):
    (how many table entries hold all its words, their lowest TDP W, their highest); None when it names
    a number or matches nothing. Shown so the user sees why no TDP is guessed for a family."""
    words = set(_tokens(model))
    if not words or any(any(c.isdigit() for c in w) for w in words):
        return None
    tdps = [tdp for key, (_name, tdp) in _table().items() if words <= set(key)]
    return (len(tdps), min(tdps), max(tdps)) if tdps else None


def unknown_tdp_reason(model: str | None) -> str:
    """Why no TDP is known for a model (none is ever guessed: a family's parts differ several-fold),
    ending with the fix: the user's TDP."""
    if not model or not _tokens(model):
        why = "the CPU model could not be read, so its TDP cannot be looked up"
    elif family := family_tdp_range(model):
        n, low_w, high_w = family
        why = (f"unknown CPU model: {model!r} has no model number (virtual machines often hide it), and the TDP "
               f"table's {n} {model!r} models range from {low_w:g} to {high_w:g} W, so none is guessed")
    else:
        why = f"unknown CPU model: {model!r} is not in the TDP table ({TABLE_SOURCE})"
    return f"{why}; {SET_TDP}"


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
