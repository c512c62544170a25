"""The card's energy tile on a CPU run says which CPU energy it shows (RAPL, or estimated from the TDP),
or why there is none (an unknown CPU model, with the fix), never 'GPU total'."""
from __future__ import annotations

import pytest

from engine.results.measurement import fill_cpu_energy, fill_energy_per_sample
from gui.run.summary_card import tiles
from tests.engine.fake_runs import make_run


def _energy_tile(cpu_model: str, user_tdp_w: float | None = None, rapl_j: float | None = None):
    r = make_run("c", device="cpu", energy_per_sample_j=None)
    r.energy_per_sample_j.total = None
    r.hardware.cpu_model, r.hardware.cpu_count, r.config.cpu_tdp_w = cpu_model, 2, user_tdp_w
    r.energy_j.cpu = rapl_j
    r.unavailable["energy_j.cpu"] = "no RAPL on this machine"
    fill_cpu_energy(r, {"cpu_s": 2.0})
    fill_energy_per_sample(r)
    return tiles(r)[2]


@pytest.fixture(autouse=True)
def _no_tdp_from_the_environment(monkeypatch):
    monkeypatch.delenv("TRADEOFF_LAB_CPU_TDP_W", raising=False)


def test_an_unknown_cpu_model_shows_why_and_the_fix():
    value, label, tip = _energy_tile("AMD EPYC")
    assert value == "–" and label == "J/sample (CPU)"
    assert "unknown CPU model: 'AMD EPYC'" in tip and "--cpu-tdp-w" in tip and "CPU TDP" in tip


def test_an_estimate_is_labelled_estimated_with_its_tdps_source():
    value, label, tip = _energy_tile("AMD EPYC", user_tdp_w=100.0)
    assert value.endswith("J") and label == "J/sample (CPU, estimated)"
    assert tip.startswith("estimated from the CPU's TDP (set by the user)") and "not measured" in tip


def test_rapl_is_labelled_measured():
    value, label, tip = _energy_tile("AMD EPYC", rapl_j=50.0)
    assert value.endswith("J") and label == "J/sample (CPU, RAPL)" and tip.startswith("measured by RAPL")
