"""One run: its configuration, the run loop, precision and levers, data sets, the worker process and
the typed events it emits.

Entry points:
    RunConfig                       the one declaration of every run option (torch-free)
    option_fields(RunConfig, surface) -> {name: OptionField}   how each option is offered (flag, control, axis)
    unavailable(values, Target(...)) -> {key: reason}          which choices a device or mode rules out, and why
    kept_weight_runs() -> [(run_id, path)]                     stored runs that kept their trained weights
    estimate_memory(analysis, input_shape, config, capacity_bytes) -> MemoryEstimate   before a run (torch-free)
    run(spec, config, on_event, should_stop) -> RunResult      the run loop (imports torch on first use)
    run_worker(...)                 the spawned worker's entry (torch-free at import)
    RunStarted, PhaseChanged, StepMetrics, TelemetryBatch, RunFinished     the events (torch-free)
Errors: BadRunInput (raised before anything runs); Unsupported (what this device or installation cannot
do, before the run; for a CUDA graph, a step that cannot be captured, after warm-up: nothing is kept);
OOM, device faults and cancel become the result's status, never an exception.
"""
from __future__ import annotations

import importlib
from typing import Any

from engine.run.config import DEFAULT_STEPS, PATHLESS_DATASETS, RunConfig
from engine.run.events import Event, PhaseChanged, RunFinished, RunStarted, StepMetrics, TelemetryBatch
from engine.run.kept_weights import kept_weight_runs
from engine.run.memory_estimate import MemoryEstimate, estimate_html, estimate_memory, oom_suggestion
from engine.run.options import Option, OptionField, Target, option_fields, unavailable
from engine.run.worker import run_worker

_LAZY = {"run": "engine.run.loop", "run_model": "engine.run.loop"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine.run' has no attribute {name!r}")


__all__ = ["DEFAULT_STEPS", "Event", "MemoryEstimate", "Option", "OptionField", "PATHLESS_DATASETS", "PhaseChanged", "RunConfig",
           "RunFinished", "RunStarted", "StepMetrics", "Target", "TelemetryBatch", "estimate_html", "estimate_memory",
           "kept_weight_runs", "oom_suggestion", "option_fields", "run", "run_model", "run_worker", "unavailable"]
