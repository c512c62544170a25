"""Profiling: where a run's step time goes, layer by layer, and the device peaks it is judged against.

Entry points:
    ProfileResult (LayerProfile, OtherTime, Peaks)   a stored profile, typed; `contract()` is the exchange
                                                     JSON; Bound / Verdict name its judgements
    read_profile_file(path) -> ProfileResult         a profile JSON from disk (raises BadResultFile)
    TABLE_COLUMNS, table_rows(profile), sum_line(profile)   the profile as the CLI and the report show it
    measure_peaks(device, precisions) -> DevicePeaks imports torch (loaded on first use)
A profile is stored in the run history beside its run: RunStore.add_profile / RunStore.get_profile.
Errors: none of its own; a precision the device cannot do is listed in `DevicePeaks.unavailable`.
"""
from __future__ import annotations

import importlib
from typing import Any

from engine.profile.result import (
    BOUNDS,
    CONTRACT_KEYS,
    CONTRACT_LAYER_KEYS,
    CONTRACT_OTHER_KEYS,
    PROFILE_VERSION,
    VERDICTS,
    Bound,
    LayerProfile,
    OtherTime,
    Peaks,
    ProfileResult,
    Verdict,
    read_profile_file,
)
from engine.profile.table import COLUMNS as TABLE_COLUMNS
from engine.profile.table import rows as table_rows
from engine.profile.table import sum_line

_LAZY = {"measure_peaks": "engine.profile.peaks", "DevicePeaks": "engine.profile.peaks"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine.profile' has no attribute {name!r}")


__all__ = ["BOUNDS", "CONTRACT_KEYS", "CONTRACT_LAYER_KEYS", "CONTRACT_OTHER_KEYS", "PROFILE_VERSION", "TABLE_COLUMNS",
           "VERDICTS", "Bound", "DevicePeaks", "LayerProfile", "OtherTime", "Peaks", "ProfileResult", "Verdict",
           "measure_peaks", "read_profile_file", "sum_line", "table_rows"]
