"""Results: the stored outcome of a run, the run history, comparison, findings and reports. Torch-free.

Entry points:
    RunResult (and its parts)            the result document, as stored and as written to JSON
    RunStore(path) / RunRow              the run history (SQLite)
    read_result_file(path) -> RunResult  a result JSON from disk (raises BadResultFile)
    compare                              table rows, ratios, Pareto fronts, recommendations
    findings(results) -> [Finding]       plain-language findings with the numbers behind them
    make_report(results, html=, pdf=, csv=, json=)   reports built from stored results only
Errors: BadResultFile, BadStoreFile.
"""
from __future__ import annotations

import importlib
from typing import Any

from engine.results import compare
from engine.results.findings import Finding, findings
from engine.results.result import (
    Energy,
    EnergyPerSample,
    Memory,
    NetworkSummary,
    Power,
    RunResult,
    StepTimes,
)
from engine.results.store import RunRow, RunStore, read_result_file

# The report pulls in matplotlib and reportlab: loaded on first use.
_LAZY = {"make_report": "engine.results.report"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine.results' has no attribute {name!r}")


__all__ = ["Energy", "EnergyPerSample", "Finding", "Memory", "NetworkSummary", "Power", "RunResult", "RunRow",
           "RunStore", "StepTimes", "compare", "findings", "make_report", "read_result_file"]
