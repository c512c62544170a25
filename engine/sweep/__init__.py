"""Sweeps: a grid of run configurations, its plan, the runner that runs each in a fresh worker, and
the state file that makes a sweep resumable. Torch-free.

Entry points:
    Grid, plan(grid) -> Plan                         what a grid will run and roughly how long
    axis_names(RunConfig), grid_class(RunConfig)     the run options a sweep varies (from the schema)
    SweepRun(...)                                    runs a plan one configuration at a time
    load_state(folder) -> SweepState                 a sweep folder's progress, for resume and compare
Errors: BadSweep (a grid or sweep folder that cannot be used).
"""
from __future__ import annotations

from engine.sweep.grid import (
    BadSweep,
    Grid,
    Plan,
    SweepEntry,
    SweepState,
    axis_names,
    grid_class,
    load_state,
    plan,
)
from engine.sweep.runner import RunOutcome, SweepProgress, SweepRun

__all__ = ["BadSweep", "Grid", "Plan", "RunOutcome", "SweepEntry", "SweepProgress", "SweepRun", "SweepState",
           "axis_names", "grid_class", "load_state", "plan"]
