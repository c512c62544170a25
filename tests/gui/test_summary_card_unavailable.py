"""The card's Unavailable line: one line per cause, each kind of figure said once."""
from __future__ import annotations

from gui.run.summary_card import unavailable_groups
from hw.cpu_power import unknown_tdp_reason


def test_a_figure_with_a_reason_and_a_longer_one_is_said_once_with_the_longer():
    rapl = "no RAPL on this machine (/sys/class/powercap is absent)"
    groups = unavailable_groups({
        "rapl.package": rapl, "rapl.dram": rapl,
        "energy_j.cpu": rapl + "; " + unknown_tdp_reason("AMD EPYC"),
        "energy_j.gpu": "the run used the CPU", "power_w.gpu_mean": "the run used the CPU"})
    said = [name for names in groups.values() for name in names]
    assert len(said) == len(set(said))  # "CPU energy" was listed under both RAPL reasons
    assert rapl not in groups and len(groups) == 2
    assert any("--cpu-tdp-w" in reason for reason in groups)
