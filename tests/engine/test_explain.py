"""Explain this run on a fake runner: the baseline and each lever alone, in order, as one sweep; the
waterfall's arithmetic (each step against the baseline); the combination of the levers that helped;
failed levers kept with their reason; accuracy only where it compares; JSON and the report."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from engine.profile.explain import ExplainRun, read_explain
from engine.profile.explain_setup import make_plan
from engine.run.config import RunConfig
from engine.run.options import Target
from engine.sweep.grid import load_state
from engine.sweep.runner import RunOutcome
from tests.engine.fake_runs import LENET_SPEC, make_run

GPU = Target(device="cuda", compute_capability=(9, 0), input_shape=(1, 28, 28))
SPEC_JSON = json.dumps(LENET_SPEC)
BASE_TPS = 1000.0


def speed(config: RunConfig) -> float:
    """The fake machine: channels-last 1.5×, bf16 2×, fp16 1.9×, compile 0.8×, a larger batch 3×."""
    s = BASE_TPS * (1.5 if config.channels_last else 1) * {"bf16": 2.0, "fp16": 1.9}.get(config.precision, 1.0)
    return s * (0.8 if config.compile else 1) * (3 if config.batch > 64 else 1)


class FakeRunner:
    """Runs nothing: writes a result for each configuration (as a run job would) and records the order."""

    def __init__(self, fail: dict[str, str] | None = None, jitter: float = 0.0):
        self.configs: list[RunConfig] = []
        self.fail, self.jitter = fail or {}, jitter

    def __call__(self, config: RunConfig, path: Path, cancel: threading.Event) -> RunOutcome:
        n = len(self.configs)
        self.configs.append(config)
        for field, status in self.fail.items():
            name, _, value = field.partition("=")
            if str(getattr(config, name)) == value:
                r = make_run(f"run{n}", device=config.device, status=status, error="CUDA out of memory at batch 64")
                r.config = config
                path.write_text(r.model_dump_json())
                return RunOutcome(status, r.run_id, r.error)
        tps = speed(config) * (1 + self.jitter * ((n // 3) % 3 - 1))  # drifts by round
        acc = None if config.dataset == "synthetic" else 0.95 - (0.02 if config.precision == "fp16" else 0)
        r = make_run(f"run{n}", device=config.device, throughput_sps=tps, energy_per_sample_j=1.0 / tps,
                     mem_bytes=int(100e6 / (2 if config.precision in ("bf16", "fp16") else 1)), accuracy=acc)
        r.config = config
        path.write_text(r.model_dump_json())
        return RunOutcome("ok", r.run_id, None, tps)


def _explain(tmp_path, baseline, verdict="memory-bound", runner=None, **kw):
    plan = make_plan("lenet", SPEC_JSON, baseline, verdict=verdict, target=GPU, cooldown_s=0, **kw)
    runner = runner or FakeRunner()
    return ExplainRun(plan, tmp_path / "ex", runner=runner).run(), runner


def test_baseline_then_each_lever_alone_then_those_that_helped_together(tmp_path):
    base = RunConfig(device="cuda", batch=64, steps=10)
    result, runner = _explain(tmp_path, base)
    # the order: baseline, each lever alone (only its own field changed), then the combination
    changed = [{k: v for k, v in c.model_dump().items() if v != base.model_dump()[k]} for c in runner.configs]
    assert changed == [{}, {"channels_last": True}, {"precision": "bf16"}, {"precision": "fp16"},
                       {"compile": "default"}, {"channels_last": True, "precision": "bf16"}]
    assert [(s.key, s.tag) for s in result.steps] == [
        ("channels-last", "constant-factor"), ("bf16", "hardware"), ("fp16", "hardware"), ("compile", "library"),
        ("all-that-helped", "constant-factor + hardware")]
    # each step against the baseline, never against the step before it
    assert [round(s.throughput.value, 6) for s in result.steps] == [1.5, 2.0, 1.9, 0.8, 3.0]
    assert [round(s.energy.value, 6) for s in result.steps] == [round(1 / x, 6) for x in (1.5, 2.0, 1.9, 0.8, 3.0)]
    assert [s.memory_ratio for s in result.steps] == [1.0, 0.5, 0.5, 1.0, 0.5]
    assert [s.helped for s in result.steps] == [True, True, True, False, True]
    assert result.baseline["throughput_sps"] == BASE_TPS and result.bound == "memory"
    assert result.steps[-1].label == "all that helped: channels-last on, precision bf16"
    # synthetic data: no accuracy, and the reason says so
    assert all(s.accuracy_points is None and "synthetic" in s.accuracy_note for s in result.steps)


def test_the_runs_are_one_sweep_with_the_explain_file_naming_each_levers_entries(tmp_path):
    result, _ = _explain(tmp_path, RunConfig(device="cuda", batch=64), combine=False)
    state = load_state(tmp_path / "ex")
    assert [e.status for e in state.entries] == ["ok"] * 5 and len(result.run_ids) == 5
    data = read_explain(tmp_path / "ex")
    assert data["entries"] == {"0": "baseline", "1": "channels-last", "2": "bf16", "3": "fp16", "4": "compile"}
    assert data["verdict"] == "memory-bound" and data["steps"][1]["throughput_ratio"]["value"] == pytest.approx(2.0)
    assert data["steps"][1]["tag"] == "hardware" and data["steps"][1]["why"]
    assert data["tags"]["algorithmic"]


def test_repeats_take_turns_and_give_intervals(tmp_path):
    base = RunConfig(device="cuda", batch=64, repeats=3)
    result, runner = _explain(tmp_path, base, levers=["channels-last", "bf16"], combine=False,
                              runner=FakeRunner(jitter=0.05))
    cl = [c.channels_last for c in runner.configs]
    assert cl == [False, True, False] * 3  # A B C A B C A B C
    assert all(c.repeats == 1 for c in runner.configs)  # each repeat is a plain run, marked afterwards
    step = result.steps[0]
    assert len(step.run_ids) == 3 and step.throughput.low < step.throughput.value < step.throughput.high
    assert 1.3 < step.throughput.low and step.throughput.high < 1.7
    entries = load_state(tmp_path / "ex").entries
    assert [e.repeat for e in entries] == [1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_a_lever_that_fails_stays_in_the_waterfall_with_its_reason_and_no_figures(tmp_path):
    result, _ = _explain(tmp_path, RunConfig(device="cuda", batch=64), combine=False,
                         runner=FakeRunner(fail={"precision=fp16": "oom"}))
    fp16 = next(s for s in result.steps if s.key == "fp16")
    assert fp16.status == "oom" and fp16.throughput is None and "out of memory" in fp16.error
    assert next(s for s in result.steps if s.key == "bf16").throughput.value == pytest.approx(2.0)  # the others ran


def test_accuracy_compares_only_after_the_same_training(tmp_path):
    base = RunConfig(device="cuda", batch=64, steps=10, dataset="digits")
    result, _ = _explain(tmp_path, base, levers=["bf16", "fp16"], combine=False)
    assert [s.accuracy_points for s in result.steps] == [pytest.approx(0.0), pytest.approx(-2.0)]


def test_the_verdict_comes_from_the_pluggable_profile_when_not_given(tmp_path):
    asked = []

    def profile(spec_json, config):
        asked.append(config.batch)
        return "launch-bound"
    plan = make_plan("lenet", SPEC_JSON, RunConfig(device="cuda", batch=64), verdict_source=profile, target=GPU)
    assert asked == [64] and plan.verdict_source == "profile" and plan.advice.bound == "launch"
    assert [lv.key for lv in plan.advice.levers][:1] == ["batch"]


def test_a_verdict_without_a_profiler_is_asked_for_in_one_line(monkeypatch):
    import sys

    from engine.errors import Unsupported
    monkeypatch.setitem(sys.modules, "engine.profile.runner", None)  # a version without the profiler
    with pytest.raises(Unsupported, match="give it with --verdict"):
        make_plan("lenet", SPEC_JSON, RunConfig(device="cuda"), target=GPU)


def test_json_and_report_from_the_explain(tmp_path):
    from engine.profile.explain_report import write_explain_report
    from engine.profile.explain_text import waterfall_lines
    result, _ = _explain(tmp_path, RunConfig(device="cuda", batch=64), levers=["channels-last", "compile"])
    lines = waterfall_lines(result)
    assert lines[2].split() == ["lever", "kind", "throughput", "energy/sample", "peak", "memory", "accuracy", "why"]
    assert lines[3].startswith("channels-last on") and "1.50×" in lines[3] and "constant-factor" in lines[3]
    assert "0.80×" in lines[4] and "library" in lines[4]
    html = tmp_path / "ex.html"
    write_explain_report(result, html=str(html))
    text = html.read_text()
    assert "Each lever against the baseline" in text and "<svg" in text
    assert "channels-last on (constant-factor): throughput 1.50×" in text
