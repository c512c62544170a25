"""Explain this run: the baseline, then each proposed lever applied alone to it, each a normal run in
a fresh process through the sweep runner (engine.sweep), then (optionally) one run of every lever
that helped, together; the waterfall compares each with the baseline. Torch-free at import.

    plan = ExplainPlan(network, baseline_config, advise(verdict, baseline_config), verdict_source="given")
    result = ExplainRun(plan, folder, spec_json=..., db_path=...).run()     # an ExplainResult

The runs are one sweep (its folder holds sweep.json, the runs' results and explain.json, which names
the entries of each lever), stored in the run history like any other, so `report --sweep DIR` and
the History tab see them. With repeats, the configurations take turns (A B C A B C).
"""
from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import BadInput, Unsupported
from engine.files import write_text_atomic
from engine.profile.advisor import TAGS, Advice, Lever, Skipped, apply, refusal
from engine.profile.waterfall import Step, StepInput, baseline_figures, waterfall
from engine.run.config import RunConfig
from engine.run.options import Target
from engine.sweep.grid import Grid, SweepEntry, SweepState
from engine.sweep.runner import RunOutcome, SweepProgress, SweepRun, make_job_runner

EXPLAIN_FILE = "explain.json"
EXPLAIN_FORMAT = "tradeoff-lab/explain"
COMBINED = "all-that-helped"

# (spec JSON, baseline config) -> the verdict's words ("launch-bound", ...): a profile run, or a fake.
VerdictSource = Callable[[str, RunConfig], str]
Runner = Callable[[RunConfig, Path, threading.Event], RunOutcome]


def profile_verdict(spec_json: str, config: RunConfig) -> str:
    """The verdict of a profile run of the baseline (engine.profile's runner, in this process);
    Unsupported where this version has no profiler."""
    try:
        from engine.profile.runner import profile_run
    except ImportError:
        raise Unsupported("this version has no profiler to find the bound: give it with --verdict "
                          "(launch-bound, memory-bound, compute-bound or data/host-bound)") from None
    from engine.errors import RunFailed
    from engine.net.spec import spec_from_json
    run, found = profile_run(spec_from_json(spec_json, "network"), config)
    if found is None:
        raise RunFailed(f"the profile run to find the bound ended {run.status}"
                        f"{': ' + run.error if run.error else ''}; give the bound with --verdict")
    return str(found.verdict)


@dataclass(frozen=True)
class ExplainPlan:
    network: str  # preset name or spec path, as given
    baseline: RunConfig
    advice: Advice
    verdict_source: str = "given"  # given | profile
    repeats: int = 1
    combine: bool = True  # one more run with every lever that helped
    cooldown_s: float = 5.0
    target: Target | None = None  # what the option rules judge by (default: the baseline's device)

    def lever_configs(self) -> list[tuple[Lever, RunConfig]]:
        return [(lever, apply(self.baseline, lever)) for lever in self.advice.levers]


@dataclass
class ExplainResult:
    network: str
    device: str
    bound: str  # launch | memory | compute | host
    bound_words: str
    verdict_source: str
    baseline: dict[str, Any]  # run_ids, throughput_sps, energy_per_sample_j, peak_mem_bytes, accuracy
    steps: list[Step]
    skipped: list[Skipped]
    folder: str
    repeats: int = 1
    cancelled: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def run_ids(self) -> list[str]:
        return list(self.baseline["run_ids"]) + [rid for s in self.steps for rid in s.run_ids]

    def to_json(self) -> dict[str, Any]:
        return {"format": EXPLAIN_FORMAT, "version": 1, "network": self.network, "device": self.device,
                "verdict": self.bound_words, "bound": self.bound, "verdict_source": self.verdict_source,
                "repeats": self.repeats, "baseline": self.baseline, "steps": [s.to_json() for s in self.steps],
                "skipped": [{"key": s.key, "why": s.why} for s in self.skipped], "sweep_folder": self.folder,
                "cancelled": self.cancelled, "notes": self.notes, "tags": TAGS}


def _entries(configs: Sequence[RunConfig], repeats: int, start: int = 0) -> list[SweepEntry]:
    """Every configuration once per round (A B C A B C): a drift of the machine spreads over all."""
    out = []
    for r in range(1, repeats + 1):
        for c in configs:
            c = c.model_copy(update={"repeats": repeats})
            out.append(SweepEntry(index=start + len(out), config=c.model_dump(mode="json"),
                                  repeat=r if repeats > 1 else None))
    return out


def explain_state(plan: ExplainPlan, db_path: str | None = None) -> SweepState:
    """The sweep of the baseline and each lever alone (entries in that order, per round)."""
    configs = [plan.baseline] + [c for _l, c in plan.lever_configs()]
    grid = Grid(network=plan.network, fixed={"repeats": plan.repeats} if plan.repeats > 1 else {},
                cooldown_s=plan.cooldown_s)
    return SweepState(grid=grid, db_path=db_path, entries=_entries(configs, plan.repeats))


def _no_refusal_spread(runner: Runner) -> Runner:
    """The sweep skips the rest of a device and precision after a refused run; in an explain sweep a
    refused lever (a CUDA graph that cannot capture this net, say) says nothing of the others."""
    def run(config: RunConfig, path: Path, cancel: threading.Event) -> RunOutcome:
        out = runner(config, path, cancel)
        return RunOutcome(out.status, out.run_id, out.error, out.throughput_sps) if out.bad_input else out
    return run


class ExplainRun:
    """Runs an explain plan in `folder`; `cancel()` from any thread stops the current run (kept as
    cancelled) and ends the explain with what finished."""

    def __init__(self, plan: ExplainPlan, folder: str | Path, *, spec_json: str | None = None,
                 db_path: str | None = None, runner: Runner | None = None,
                 on_progress: Callable[[SweepProgress], None] = lambda p: None) -> None:
        self.plan, self.folder = plan, Path(folder)
        self.stores_runs = runner is None  # job runs store themselves: repeats' marks must reach the history too
        if runner is None:
            if spec_json is None:
                raise ValueError("give spec_json (the checked network) or a runner")
            runner = make_job_runner(spec_json, db_path)
        self.runner = _no_refusal_spread(runner)
        self.db_path = db_path
        self._combo: Lever | None = None
        self.on_progress = on_progress
        self.state = explain_state(plan, db_path)
        self._cancel = threading.Event()
        self._sweep: SweepRun | None = None
        self.keys: dict[int, str] = {}  # entry index -> "baseline", a lever's key or COMBINED

    def cancel(self) -> None:
        self._cancel.set()
        if self._sweep is not None:
            self._sweep.cancel()

    def _sweep_once(self) -> None:
        self._sweep = SweepRun(self.state, self.folder, runner=self.runner, on_progress=self.on_progress,
                               sleep=lambda s: self._cancel.wait(s), stores_runs=self.stores_runs)
        if self._cancel.is_set():
            self._sweep.cancel()
        self._sweep.run()

    def run(self) -> ExplainResult:
        n = 1 + len(self.plan.advice.levers)
        order = ["baseline"] + [lever.key for lever in self.plan.advice.levers]
        self.keys = {e.index: order[e.index % n] for e in self.state.entries}
        self.state.save(self.folder)
        self._save(None)
        self._sweep_once()
        result = self._result()
        combo = self._combination(result.steps) if self.plan.combine and not self._cancel.is_set() else None
        if combo is not None:
            start = len(self.state.entries)
            for e in _entries([combo[1]], self.plan.repeats, start):
                self.state.entries.append(e)
                self.keys[e.index] = COMBINED
            self._combo = combo[0]
            self.state.save(self.folder)
            self._sweep_once()
            result = self._result()
        self._save(result)
        return result

    def _combination(self, steps: Sequence[Step]) -> tuple[Lever, RunConfig] | None:
        """Every lever that helped, together (two changing one field: the better one); None unless
        at least two helped."""
        helped = sorted((s for s in steps if s.helped), key=lambda s: -s.throughput.value)  # type: ignore[union-attr]
        taken: set[str] = set()
        used: list[Step] = []
        target = self.plan.target or Target(device=self.plan.baseline.device)
        for s in helped:  # the best first; a lever the others rule out (a CUDA graph and a compile mode that records its own) is left out
            if set(s.changes) & taken:
                continue
            try:
                together = apply(self.plan.baseline, *(Lever(u.key, u.changes, u.why, u.tag) for u in [*used, s]))
            except ValueError:
                continue
            if refusal(together, target) is None:
                taken |= set(s.changes)
                used.append(s)
        if len(used) < 2:
            return None
        used.sort(key=lambda s: [lv.key for lv in self.plan.advice.levers].index(s.key))
        changes = {k: v for s in used for k, v in s.changes.items()}
        tags = " + ".join(dict.fromkeys(s.tag for s in used))
        lever = Lever(COMBINED, changes, "together: " + ", ".join(s.key for s in used), tags)  # type: ignore[arg-type]
        try:
            return lever, apply(self.plan.baseline, lever)
        except ValueError:  # the levers cannot be combined in one valid configuration
            return None

    def _runs(self, key: str) -> tuple[list[Any], SweepEntry | None]:
        from engine.errors import BadResultFile
        from engine.results.store import read_result_file
        runs, failed = [], None
        for e in self.state.entries:
            if self.keys.get(e.index) != key:
                continue
            path = self.folder / "runs" / f"{e.index:03d}.json"
            if e.run_id and path.is_file():
                with contextlib.suppress(BadResultFile):
                    runs.append(read_result_file(path))
                    continue
            if e.status != "pending":
                failed = failed or e
        return runs, failed

    def _result(self) -> ExplainResult:
        base_runs, _ = self._runs("baseline")
        inputs = []
        levers = list(self.plan.advice.levers)
        if self._combo is not None:
            levers.append(self._combo)
        for lever in levers:
            runs, failed = self._runs(lever.key)
            inputs.append(StepInput(lever.key, _label(lever, self.plan.baseline), lever.tag, lever.why, runs,
                                    dict(lever.changes), status=failed.status if failed else "not run",
                                    error=(failed.reason or "") if failed else ""))
        notes = []
        busy = [r.run_id for rs in ([base_runs] + [i.runs for i in inputs]) for r in rs
                if r.disturbed or any(q.startswith("machine busy") for q in r.quality)]
        if busy:
            notes.append(f"the machine was busy during {len(busy)} of the runs ({', '.join(busy)}): "
                         "their figures may be off")
        if self.plan.verdict_source == "given":
            notes.append(f"the verdict ({self.plan.advice.bound_words}) was given, not measured by a profile run")
        b = self.plan.baseline
        return ExplainResult(self.plan.network, b.device, self.plan.advice.bound, self.plan.advice.bound_words,
                             self.plan.verdict_source, baseline_figures(base_runs), waterfall(base_runs, inputs),
                             list(self.plan.advice.skipped), str(self.folder), self.plan.repeats,
                             self._cancel.is_set(), notes)

    def _save(self, result: ExplainResult | None) -> None:
        data = result.to_json() if result else {"format": EXPLAIN_FORMAT, "version": 1}
        data["entries"] = {str(i): k for i, k in self.keys.items()}
        data["levers"] = [lv.to_json() for lv in self.plan.advice.levers]
        write_text_atomic(self.folder / EXPLAIN_FILE, json.dumps(data, indent=2, default=str))


def _label(lever: Lever, baseline: RunConfig) -> str:
    if lever.key == COMBINED:
        return "all that helped: " + lever.label(baseline)
    return lever.label(baseline)


def read_explain(folder: str | Path) -> dict[str, Any]:
    """A finished explain's explain.json; BadInput naming the file when it is not one."""
    from engine.json_file import read_json
    path = Path(folder) / EXPLAIN_FILE
    data = read_json(path, BadInput, "explain file")
    if not isinstance(data, dict) or data.get("format") != EXPLAIN_FORMAT:
        raise BadInput(f"{path}: not a Tradeoff Lab explain file")
    return data
