"""Profiling: where a run's step time goes, layer by layer, and the device peaks it is judged against.

Entry points:
    ProfileResult (LayerProfile, OtherTime, Peaks)   a stored profile, typed; `contract()` is the exchange
                                                     JSON; Bound / Verdict name its judgements
    read_profile_file(path) -> ProfileResult         a profile JSON from disk (raises BadResultFile)
    TABLE_COLUMNS, table_rows(profile), sum_line(profile)   the profile as the CLI and the report show it
    measure_peaks(device, precisions) -> DevicePeaks imports torch (loaded on first use)
A profile is stored in the run history beside its run: RunStore.add_profile / RunStore.get_profile.
The lever advisor and explain-this-run (torch-free):
    advise(verdict, config, target) -> Advice        the levers for a bound (advisor.py)
    ExplainPlan, ExplainRun, ExplainResult, make_plan   the baseline and one lever at a time, as one sweep
    read_explain(folder), waterfall_lines(result)    a finished explain's explain.json, its waterfall as text
Errors: BadVerdict (a verdict the advisor does not know); a precision the device cannot do is listed in
`DevicePeaks.unavailable`.
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

_LAZY = {"measure_peaks": "engine.profile.peaks", "DevicePeaks": "engine.profile.peaks",
         **dict.fromkeys(("Advice", "BadVerdict", "BOUND_WORDS", "TAGS", "Lever", "Skipped", "advise", "parse_verdict"),
                         "engine.profile.advisor"),
         **dict.fromkeys(("ExplainPlan", "ExplainResult", "ExplainRun", "read_explain"), "engine.profile.explain"),
         **dict.fromkeys(("make_plan", "target_for"), "engine.profile.explain_setup"),
         **dict.fromkeys(("Step", "ratio_text"), "engine.profile.waterfall"),
         **dict.fromkeys(("WATERFALL_HEADERS", "baseline_line", "waterfall_cells", "waterfall_lines"),
                         "engine.profile.explain_text"),
         **dict.fromkeys(("TAG_COLOURS", "tag_colour", "write_explain_report"), "engine.profile.explain_report")}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine.profile' has no attribute {name!r}")


__all__ = ["BOUNDS", "BOUND_WORDS", "CONTRACT_KEYS", "CONTRACT_LAYER_KEYS", "CONTRACT_OTHER_KEYS", "PROFILE_VERSION",
           "TABLE_COLUMNS", "TAGS", "TAG_COLOURS", "VERDICTS", "WATERFALL_HEADERS", "Advice", "BadVerdict", "Bound",
           "DevicePeaks", "ExplainPlan", "ExplainResult", "ExplainRun", "LayerProfile", "Lever", "OtherTime", "Peaks",
           "ProfileResult", "Skipped", "Step", "Verdict", "advise", "baseline_line", "make_plan", "measure_peaks",
           "parse_verdict", "ratio_text", "read_explain", "read_profile_file", "sum_line", "table_rows", "tag_colour",
           "target_for", "waterfall_cells", "waterfall_lines", "write_explain_report"]
