"""The kinds of job. Each is a small frozen dataclass (its typed input, pickled into the job's
process) with `kind` and `execute(ctx) -> result`; the work itself is imported inside `execute`, so
this module stays torch-free and the GUI can build jobs. A new kind (profile, project, distributed)
is one more such class."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from engine.run.config import RunConfig

if TYPE_CHECKING:
    from engine.jobs.child import JobContext
    from engine.sweep.grid import SweepState


@dataclass(frozen=True)
class RunJob:
    """One run. Events: engine.run.events (RunStarted ... RunFinished); the result is in the run
    history before RunFinished goes out. JobFinished carries the RunFinished. Bad input (a spec that
    does not build, a missing data set) is a refusal (JobFailed, kind bad_input) before RunStarted.
    `target` replaces engine.run.worker.run_worker (same signature) in tests and demos."""
    kind: ClassVar[str] = "run"
    spec_json: str
    config: RunConfig
    db_path: str | None = None
    target: Callable[..., Any] | None = None

    def execute(self, ctx: JobContext) -> Any:
        target = self.target
        if target is None:
            from engine.run.worker import run_worker as target
        return target(self.spec_json, self.config, ctx, ctx.stop, self.db_path)


@dataclass(frozen=True)
class ProfileJob:
    """A profile run (engine.profile.worker): an unprofiled run, stored and reported like a RunJob's
    (its events, RunFinished after it is in the history), then JobProgress while the profiled steps
    run. JobFinished carries the engine.profile.ProfileResult, already stored with the run. A
    configuration that cannot be profiled (compiled, CUDA graph) is a refusal before anything runs.
    `target` replaces engine.profile.worker.profile_worker (same signature) in tests and demos."""
    kind: ClassVar[str] = "profile"
    spec_json: str
    config: RunConfig
    db_path: str | None = None
    target: Callable[..., Any] | None = None

    def execute(self, ctx: JobContext) -> Any:
        target = self.target
        if target is None:
            from engine.profile.worker import profile_worker as target
        return target(self.spec_json, self.config, ctx, ctx.stop, self.db_path)


@dataclass(frozen=True)
class SweepJob:
    """A whole sweep (engine.sweep.runner), each configuration in its own RunJob. Events:
    SweepProgress; JobProgress with the fraction done. Holds the sweep folder's lock. JobFinished
    carries the final SweepState. `run_target` is passed on to each RunJob (tests, demos)."""
    kind: ClassVar[str] = "sweep"
    state: SweepState
    folder: str
    spec_json: str
    run_target: Callable[..., Any] | None = None

    def execute(self, ctx: JobContext) -> Any:
        from engine.sweep.runner import run_sweep_job
        return run_sweep_job(self, ctx)


@dataclass(frozen=True)
class ExplainJob:
    """Explain this run (engine.profile.explain): the verdict (given, or a profile run's), then the
    baseline and each lever alone as one sweep of run jobs, then the levers that helped together.
    Events: the ExplainPlan once planned, then SweepProgress; JobProgress with the fraction done.
    JobFinished carries the ExplainResult (its waterfall). `verdict_source` replaces the profile run
    and `run_target` the run worker (tests, demos)."""
    kind: ClassVar[str] = "explain"
    network: str  # preset name or spec path, for the sweep's grid
    spec_json: str
    baseline: RunConfig
    folder: str
    verdict: str | None = None  # None: profile the baseline to find it
    levers: tuple[str, ...] | None = None  # None: every lever proposed
    combine: bool = True
    cooldown_s: float = 5.0
    db_path: str | None = None
    verdict_source: Callable[..., Any] | None = None
    run_target: Callable[..., Any] | None = None

    def execute(self, ctx: JobContext) -> Any:
        from engine.profile.explain_setup import run_explain_job
        return run_explain_job(self, ctx)


@dataclass(frozen=True)
class InventoryJob:
    """The hardware inventory (hw.inventory.inventory()): NVML and psutil stay out of the caller's
    process. JobFinished carries the typed hw.inventory.Inventory."""
    kind: ClassVar[str] = "inventory"

    def execute(self, ctx: JobContext) -> Any:
        from hw.inventory import inventory
        return inventory()


@dataclass(frozen=True)
class OnnxExportJob:
    """The net as an ONNX file (imports torch and onnx). JobFinished carries the written path."""
    kind: ClassVar[str] = "onnx-export"
    spec_json: str
    out_path: str

    def execute(self, ctx: JobContext) -> str:
        from engine.net.export_onnx import export_onnx
        from engine.net.spec import spec_from_json
        ctx.progress(None, "exporting to ONNX")
        return str(export_onnx(spec_from_json(self.spec_json, "network"), Path(self.out_path)))
