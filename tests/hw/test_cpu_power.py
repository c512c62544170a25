"""CPU TDP lookup (CodeCarbon's table) and the energy estimate where no counter is readable."""
from __future__ import annotations

import pytest

from hw.cpu_power import CpuTdp, cpu_tdp, estimate_cpu_energy_j, family_tdp_range, lookup_tdp, unknown_tdp_reason


@pytest.mark.parametrize("model, name, tdp_w", [
    ("AMD EPYC 9654 96-Core Processor", "AMD EPYC 9654", 360.0),
    ("AMD EPYC 9654P 96-Core Processor", "AMD EPYC 9654P", 360.0),
    ("13th Gen Intel(R) Core(TM) i9-13900K", "Intel Core i9-13900K", 125.0),
    ("AMD Ryzen 9 7950X 16-Core Processor", "AMD Ryzen 9 7950X", 170.0),
])
def test_known_models_are_found_by_their_name_tokens(model, name, tdp_w):
    assert lookup_tdp(model) == (name, tdp_w)


def test_a_model_without_a_number_is_not_guessed():
    assert lookup_tdp("AMD EPYC") is None and lookup_tdp("Intel(R) Xeon(R) Processor") is None
    assert cpu_tdp("AMD EPYC") is None


def test_a_family_without_a_model_number_is_unknown_and_the_reason_shows_why_no_tdp_is_guessed():
    """A virtual machine's 'AMD EPYC': the table's EPYC parts span 50-500 W, so any one figure would be
    invented; the reason says so, with the fix."""
    assert family_tdp_range("AMD EPYC") == (148, 50.0, 500.0)
    assert family_tdp_range("AMD EPYC 9654") is None  # a model number: looked up, never a family range
    why = unknown_tdp_reason("AMD EPYC")
    assert why.startswith("unknown CPU model: 'AMD EPYC' has no model number")
    assert "from 50 to 500 W, so none is guessed" in why and why.endswith("--cpu-tdp-w W (GUI: Run tab, CPU TDP)")


@pytest.mark.parametrize("model, start", [
    ("QEMU Virtual CPU version 2.5+", "unknown CPU model: 'QEMU Virtual CPU version 2.5+' is not in the TDP table"),
    ("Common KVM processor", "unknown CPU model: 'Common KVM processor' is not in the TDP table"),
    (None, "the CPU model could not be read"),
    ("", "the CPU model could not be read"),
])
def test_other_unknown_models_are_named_with_the_fix(model, start):
    why = unknown_tdp_reason(model)
    assert why.startswith(start) and "--cpu-tdp-w" in why and "W (" in why


def test_the_users_tdp_wins_and_says_so(monkeypatch):
    assert cpu_tdp("AMD EPYC", user_tdp_w=120) == CpuTdp(120, "set by the user")
    monkeypatch.setenv("TRADEOFF_LAB_CPU_TDP_W", "95")
    assert cpu_tdp("AMD EPYC 9654") == CpuTdp(95.0, "set by the user")
    monkeypatch.setenv("TRADEOFF_LAB_CPU_TDP_W", "not a number")
    assert cpu_tdp("AMD EPYC 9654").source.endswith("AMD EPYC 9654")


def test_energy_estimate_charges_busy_cpu_seconds_at_the_tdp_slice_and_idle_at_a_tenth():
    tdp = CpuTdp(160.0, "test")
    est = estimate_cpu_energy_j(tdp, logical_cpus=16, busy_cpu_s=20.0, window_s=10.0)
    # 10 W per logical CPU: 20 busy CPU-seconds -> 200 J; 140 idle CPU-seconds at 1 W -> 140 J
    assert est.energy_j == pytest.approx(340.0) and est.power_w == pytest.approx(34.0)
    assert est.method == "estimated" and est.tdp_source == "test"
    capped = estimate_cpu_energy_j(tdp, logical_cpus=2, busy_cpu_s=99.0, window_s=1.0)
    assert capped.energy_j == pytest.approx(160.0)  # 2 CPUs x 1 s at 80 W: never more CPU time than they have
