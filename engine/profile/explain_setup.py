"""Setting up an explain: the verdict (given, or from a profile run), the advice for this device, the
levers the user chose, and the job's work in its own process. Shared by `main.py explain` and the
GUI's ExplainJob. Torch-free at import (a GPU's compute capability is read only for a GPU run)."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.errors import BadInput
from engine.profile.advisor import CANDIDATES, ORDER, Advice, advise, parse_verdict
from engine.profile.explain import ExplainPlan, ExplainResult, ExplainRun, VerdictSource, profile_verdict
from engine.run.config import RunConfig
from engine.run.options import Target


def target_for(config: RunConfig, spec_json: str | None) -> Target:
    """What the option rules need to know about where the run goes: device, compute capability, input."""
    shape = None
    if spec_json:
        from engine.net.spec import spec_from_json
        shape = tuple(spec_from_json(spec_json, "network").input.shape)
    cc = None
    if config.device != "cpu":
        import torch  # only a GPU run asks; its worker loads torch anyway
        if torch.cuda.is_available():
            index = int(config.device.partition(":")[2] or 0)
            if index < torch.cuda.device_count():
                cc = tuple(torch.cuda.get_device_capability(index))
    return Target(device=config.device, compute_capability=cc, input_shape=shape)


def choose_levers(advice: Advice, keys: Sequence[str] | None) -> Advice:
    """Only the levers the user named (in the advice's order); BadInput for a name that is no lever
    of this bound, or when none of them can run here. The levers this run cannot take stay listed."""
    if not keys:
        return advice
    known = ORDER[advice.bound]
    for k in keys:
        if k not in known:
            other = "" if k in CANDIDATES else " (no such lever)"
            raise BadInput(f"--levers: {k!r} is not a lever for a {advice.bound_words} run{other}; "
                           f"its levers: {', '.join(known)}")
    levers = tuple(lv for lv in advice.levers if lv.key in keys)
    if not levers:
        why = "; ".join(f"{s.key}: {s.why}" for s in advice.skipped if s.key in keys)
        raise BadInput(f"--levers: none of {', '.join(keys)} can run here ({why})")
    return Advice(advice.bound, levers, advice.skipped)  # what cannot run here is still said


def make_plan(network: str, spec_json: str, baseline: RunConfig, *, verdict: str | None = None,
              levers: Sequence[str] | None = None, combine: bool = True, cooldown_s: float = 5.0,
              verdict_source: VerdictSource | None = None, target: Target | None = None) -> ExplainPlan:
    """The explain plan: the verdict as given (checked) or from a profile run of the baseline."""
    source = "given"
    if verdict is None:
        verdict = (verdict_source or profile_verdict)(spec_json, baseline)
        source = "profile"
    parse_verdict(verdict)  # BadVerdict names the known verdicts
    target = target or target_for(baseline, spec_json)
    advice = choose_levers(advise(verdict, baseline, target, cpu_threads=os.cpu_count()), levers)
    return ExplainPlan(network, baseline, advice, source, repeats=baseline.repeats, combine=combine,
                       cooldown_s=cooldown_s, target=target)


def run_explain_job(job: Any, ctx: Any) -> ExplainResult:
    """engine.jobs.ExplainJob's work, in the job's process: plan, lock the folder, run; a stop request
    cancels the current run (kept as cancelled) and ends with what finished."""
    import threading

    from engine.sweep.runner import make_job_runner, sweep_lock
    ctx.progress(None, "finding the bound" if job.verdict is None else "planning")
    plan = make_plan(job.network, job.spec_json, job.baseline, verdict=job.verdict, levers=job.levers,
                     combine=job.combine, cooldown_s=job.cooldown_s, verdict_source=job.verdict_source)
    folder = Path(job.folder)
    runner = make_job_runner(job.spec_json, job.db_path, job.run_target)

    def report(p: Any) -> None:
        ctx.emit(p)
        if p.event in ("run_finished", "run_skipped", "done"):
            ctx.progress(p.done / max(1, p.total), f"{p.done} of {p.total} runs")
    explain = ExplainRun(plan, folder, runner=runner, db_path=job.db_path, on_progress=report)
    explain.stores_runs = True  # job runs store themselves: repeats' marks must reach the history too
    ctx.emit(plan)
    with sweep_lock(folder):
        threading.Thread(target=lambda: ctx.stop.wait() and explain.cancel(), daemon=True).start()
        return explain.run()
