"""A real short CPU run carries the trust keys (windows, intervals, contention, CPU energy with its
method, energy per sample from it) and they agree with each other; stability mode says how it ended."""
from __future__ import annotations

import pytest

from engine.results.result import RunResult
from engine.run.loop import run_model
from tests.engine.tiny_nets import NETWORK, TinyCNN, fast_config


def _run(config):
    return run_model(TinyCNN, NETWORK, (1, 8, 8), 10, config)


def test_a_cpu_run_has_consistent_windows_intervals_contention_and_estimated_energy():
    r = _run(fast_config(steps=60, sample_hz=10, cpu_tdp_w=100.0))
    assert r.status == "ok"
    w, iv = r.windows, r.intervals
    assert w.by in ("time", "steps") and len(w.throughput_sps) >= 2
    assert len(w.throughput_sps) == len(w.step_time_p50_s) == iv.throughput_sps.windows
    for fig in (iv.throughput_sps, iv.step_time_s):
        assert fig.low <= fig.median <= fig.high and fig.over == "windows"
    assert min(w.throughput_sps) <= iv.throughput_sps.median <= max(w.throughput_sps)
    # The CPU energy: RAPL where readable, else estimated from the TDP the user set
    e, eps = r.energy_j, r.energy_per_sample_j
    assert e.cpu_method in ("rapl", "estimated") and e.cpu > 0
    if e.cpu_method == "estimated":
        assert e.cpu_tdp_source == "set by the user"
        assert any("estimated" in q for q in r.quality)
    assert eps.source == "cpu" and eps.method == e.cpu_method
    assert eps.total == pytest.approx(e.cpu / r.samples)
    assert iv.energy_per_sample_j is not None and len(w.energy_per_sample_j) == len(w.throughput_sps)
    # contention was measured over the window, and its sentences are in quality when disturbed
    assert r.contention is not None and r.contention.window_s > 0
    assert r.disturbed == r.contention.disturbed
    if r.disturbed:  # busy cores are one cause; a shared VM's steal (seen on a clean CI clone) is another
        assert any(q.startswith(("machine busy", "CPU steal", "memory pressure", "GPU shared")) for q in r.quality)
    # the file round-trips with the new keys
    again = RunResult.model_validate_json(r.model_dump_json())
    assert again.intervals == r.intervals and again.contention == r.contention


def test_stability_mode_ends_stable_or_at_its_cap_and_says_which():
    r = _run(fast_config(stable_windows=2, stable_pct=100.0, stable_max_s=30.0))
    assert r.status == "ok" and r.stability == "stable"
    assert any(q.startswith("stable: the last 2 windows") for q in r.quality)
    r = _run(fast_config(stable_windows=50, stable_pct=0.001, stable_max_s=1.5))
    assert r.stability == "capped"
    assert any(q.startswith("not stable") for q in r.quality)
