"""Sweeps: a grid of run configurations, its plan, the runner that runs each in a fresh worker, and
the state file that makes a sweep resumable. Torch-free.

Entry points:
    Grid, plan(grid) -> Plan                         what a grid will run and roughly how long
    axis_names(RunConfig), grid_class(RunConfig)     the run options a sweep varies (from the schema)
    SweepRun(...)                                    runs a plan one configuration at a time, each a run job
    absolute_paths(grid), sweep_network(grid), check_inputs(state, folder), sweep_lock(folder)
                                                     before running: paths, the net, refusals, the folder's lock
    (engine.jobs.SweepJob runs a whole sweep as a job: the GUI's way)
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
from engine.sweep.runner import (
    RunOutcome,
    SweepProgress,
    SweepRun,
    absolute_paths,
    check_inputs,
    make_job_runner,
    sweep_lock,
    sweep_network,
)

__all__ = ["BadSweep", "Grid", "Plan", "RunOutcome", "SweepEntry", "SweepProgress", "SweepRun", "SweepState",
           "absolute_paths", "axis_names", "check_inputs", "grid_class", "load_state", "make_job_runner", "plan",
           "sweep_lock", "sweep_network"]
