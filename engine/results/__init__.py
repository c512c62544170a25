"""Results: the stored outcome of a run, the run history, comparison, findings and reports. Torch-free.

Entry points:
    RunResult (and its parts)            the result document, as stored and as written to JSON (typed,
                                         RESULT_VERSION; older versions are upgraded on reading)
    Series                               its time series: steps, gpuN, host groups of columns
    energy_per_sample(energy_j, samples) the one definition of energy per sample
    RunStore(path) / RunRow              the run history (SQLite); import_json takes a result or a report JSON
    read_result_file(path) -> RunResult  a result JSON from disk (raises BadResultFile)
    read_results_file(path) -> [RunResult]  a result JSON or the app's report JSON (several runs)
    compare                              table rows, ratios, Pareto fronts, recommendations
    spread                               a figure's interval, estimated energy, a busy machine (for the views)
    findings(results) -> [Finding]       plain-language findings with the numbers behind them
    lever_rows(result) -> [(label, text)]  what pruning and int8 quantization did, in words
    make_report(results, html=, pdf=, csv=, json=)   reports built from stored results only
Errors: BadResultFile, BadStoreFile.
"""
from __future__ import annotations

import importlib
from typing import Any

from engine.results import compare, spread
from engine.results.findings import Finding, findings
from engine.results.levers import lever_rows
from engine.results.result import (
    RESULT_VERSION,
    DeviceFigures,
    Energy,
    EnergyPerSample,
    GpuFacts,
    Hardware,
    Memory,
    NetworkSummary,
    ParallelFacts,
    PipelineStageFacts,
    Power,
    PruneReport,
    QuantizationReport,
    RunResult,
    StepTimes,
    Temperature,
    energy_per_sample,
)
from engine.results.series import GpuSeries, HostSeries, Series, StepSeries
from engine.results.store import RunRow, RunStore, read_result_file, read_results_file

# The report pulls in matplotlib and reportlab: loaded on first use.
_LAZY = {"make_report": "engine.results.report"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine.results' has no attribute {name!r}")


__all__ = ["RESULT_VERSION", "DeviceFigures", "Energy", "EnergyPerSample", "Finding", "GpuFacts", "GpuSeries", "Hardware", "HostSeries",
           "Memory", "NetworkSummary", "ParallelFacts", "PipelineStageFacts", "Power", "PruneReport", "QuantizationReport", "RunResult", "RunRow", "RunStore", "Series", "StepSeries", "StepTimes",
           "Temperature", "compare", "energy_per_sample", "findings", "lever_rows", "make_report", "read_result_file",
           "read_results_file", "spread"]
