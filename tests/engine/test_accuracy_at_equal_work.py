"""Accuracy at equal work: a training run keeps its weights, an inference run starts from them, and
a training run stops at a target accuracy with its time, steps and energy to reach it."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engine.errors import BadRunInput
from engine.results.result import RunResult
from engine.run.accuracy_target import AccuracyTarget
from engine.run.events import RunStarted
from engine.run.kept_weights import kept_weight_runs
from engine.run.loop import run_model
from tests.engine.tiny_nets import NETWORK, TinyCNN, fast_config

SHAPE = (1, 8, 8)


@pytest.fixture(autouse=True)
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path))


def _run(config):
    events = []
    return run_model(TinyCNN, NETWORK, SHAPE, 10, config, events.append), events


def _train(**kw):
    base = dict(dataset="digits", steps=None, seconds=1.5, batch=64, optimizer="adam", lr=0.01, eval_every_s=0.3)
    base.update(kw)
    return _run(fast_config(**base))[0]


def test_kept_weights_give_inference_the_trained_accuracy(tmp_path):
    trained = _train(keep_weights=True, seconds=None, steps=150)  # equal work however busy the machine is
    assert trained.status == "ok" and trained.accuracy > 0.6
    assert trained.weights_file and trained.weights_file.endswith(f"{trained.run_id}.safetensors")
    assert [rid for rid, _ in kept_weight_runs()] == [trained.run_id]
    infer = dict(mode="infer", dataset="digits", steps=3)
    fresh, _ = _run(fast_config(**infer))
    loaded, _ = _run(fast_config(weights=trained.run_id, **infer))
    assert loaded.weights_used == trained.weights_file and fresh.weights_used is None
    assert loaded.accuracy == pytest.approx(trained.accuracy, abs=0.02)
    assert fresh.accuracy < 0.3  # random weights: about chance


def test_a_run_without_keep_weights_keeps_nothing():
    result = _train(seconds=0.3)
    assert result.weights_file is None and kept_weight_runs() == []


def test_bad_weights_are_refused_before_the_run_starts(tmp_path):
    events = []
    with pytest.raises(BadRunInput, match="no weights stored for that run"):
        run_model(TinyCNN, NETWORK, SHAPE, 10, fast_config(weights="no-such-run"), events.append)
    junk = tmp_path / "w.safetensors"
    junk.write_bytes(b"junk")
    with pytest.raises(BadRunInput, match="not a readable safetensors file"):
        run_model(TinyCNN, NETWORK, SHAPE, 10, fast_config(weights=str(junk)), events.append)
    assert not any(isinstance(e, RunStarted) for e in events)


def test_weights_of_another_network_are_refused_naming_the_layers():
    trained = _train(seconds=0.3, keep_weights=True)
    with pytest.raises(BadRunInput, match=r"do not fit this network: .*body\.4\.weight is \[32, 128\]"):
        run_model(lambda: TinyCNN(side=16), NETWORK, (1, 16, 16), 10,
                  fast_config(weights=trained.run_id, mode="infer"), lambda _e: None)


def test_training_stops_at_the_target_accuracy():
    result = _train(seconds=20, until_accuracy=0.5, eval_every_s=0.2)
    assert result.status == "ok"
    assert result.measured_s < 15  # stopped long before the cap
    assert result.accuracy >= 0.5
    assert result.steps_to_accuracy == result.steps
    assert 0 < result.time_to_accuracy_s <= result.measured_s + 0.05
    # no energy counter on this CPU run: said why, not a silent gap
    assert result.energy_to_accuracy_j is not None or "energy_to_accuracy_j" in result.unavailable


def test_an_unreached_target_is_a_quality_sentence():
    result = _train(seconds=0.5, until_accuracy=1.0, eval_every_s=0.2)
    assert result.status == "ok" and result.time_to_accuracy_s is None
    sentence = next(q for q in result.quality if q.startswith("target accuracy"))
    assert sentence.startswith("target accuracy 100 % not reached: ") and sentence.endswith(" s")
    assert f"{result.accuracy * 100:.1f} %" in sentence


def test_energy_to_accuracy_is_the_window_energy_with_its_method():
    result = RunResult.model_validate({
        "run_id": "r", "created_at": "2026-01-01T00:00:00Z", "status": "ok",
        "network": {"name": "n", "params": 1, "flops_per_sample": 1},
        "config": {"mode": "train", "dataset": "digits", "batch": 10, "until_accuracy": 0.9},
        "energy_j": {"gpu": 50.0, "gpu_method": "counter"}, "energy_per_sample_j": {"total": 0.05},
        "accuracy": 0.93, "measured_s": 4.0, "steps": 100})
    target = AccuracyTarget(0.9)
    target.check(0.85, 2.0, 50)
    target.check(0.92, 4.0, 100)
    target.check(0.95, 5.0, 120)  # the first evaluation that reached it counts
    target.fill(result)
    assert (result.time_to_accuracy_s, result.steps_to_accuracy) == (4.0, 100)
    assert result.energy_to_accuracy_j == pytest.approx(50.0)
    assert result.energy_to_accuracy_method == "counter"


@pytest.mark.parametrize("overrides, words", [
    (dict(mode="infer", dataset="digits"), "needs mode train"),
    (dict(dataset="synthetic"), "held-out images"),
    (dict(dataset="digits", until_accuracy=1.5), "less than or equal to 1"),
])
def test_until_accuracy_needs_training_on_real_data(overrides, words):
    values = {"until_accuracy": 0.9, **overrides}
    with pytest.raises(ValidationError, match=words):
        fast_config(**values)


@pytest.mark.parametrize("args, words", [
    (["--weights", "no-such-run"], "no weights stored for that run"),
    (["--until-accuracy", "0.9", "--mode", "infer", "--dataset", "digits"], "needs mode train"),
    (["--until-accuracy", "0.9"], "held-out images"),
    (["--until-accuracy", "2"], "--until-accuracy"),
])
def test_cli_refuses_bad_weights_and_targets_with_exit_2(tmp_path, args, words):
    from tests.engine.test_cli_run import main_py
    p = main_py("run", "lenet", "--device", "cpu", "--no-store", *args, env_data=tmp_path)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert words in p.stderr and "Traceback" not in p.stderr
