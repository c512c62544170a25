"""Measuring windows: how a run's steps are cut, per-window figures and energy, the stability test
and the warnings for windows that disagree. Pure functions on made-up step times (no timing)."""
from __future__ import annotations

import pytest

from engine.results.windows import (
    energy_reader,
    integrate_power_j,
    is_stable,
    measure_windows,
    split_steps,
    stability_warnings,
)


def test_a_long_run_is_cut_into_one_second_windows_and_a_short_tail_joins_the_last():
    times = [0.1] * 52  # 5.2 s: five windows, the 0.2 s tail joins the fifth
    bounds, by = split_steps(times)
    assert by == "time"
    assert bounds[0] == (0, 10) and bounds[-1] == (40, 52) and len(bounds) == 5


def test_a_short_run_is_cut_into_ten_windows_of_equal_steps():
    bounds, by = split_steps([0.01] * 40)
    assert by == "steps"
    assert len(bounds) == 10 and all(b - a == 4 for a, b in bounds)
    assert split_steps([0.01]) == ([(0, 1)], "steps")
    assert split_steps([]) == ([], "steps")


def test_per_window_throughput_step_time_and_interval():
    times = [0.1] * 10 + [0.2] * 5 + [0.1] * 40  # second window twice as slow
    checkpoints = [(0.0, 0.0, 0.0), (6.5, 6.5, 6.5)]
    w = measure_windows(times, batch=10, checkpoints=checkpoints)
    assert w.throughput_sps[:2] == pytest.approx([100.0, 50.0])
    assert w.step_time_p50_s[:2] == pytest.approx([0.1, 0.2])
    iv = w.intervals()["throughput_sps"]
    assert iv["windows"] == len(w.throughput_sps)
    assert iv["low"] <= iv["median"] <= iv["high"]
    assert iv["median"] == pytest.approx(100.0)
    assert w.intervals()["energy_per_sample_j"] is None  # no energy source given


def test_window_energy_maps_timed_time_onto_the_run_clock_around_a_pause():
    times = [0.5] * 12  # 6 s timed, windows of 2 steps
    # a 10 s pause at timed 3 s: run clock jumps from 3 to 13
    checkpoints = [(0.0, 0.0, 0.0), (3.0, 3.0, 3.0), (3.0, 13.0, 3.0), (6.0, 16.0, 6.0)]
    seen = []

    def energy_of(a, b):
        seen.append((a, b))
        return 100.0 * (b - a)  # 100 W
    w = measure_windows(times, batch=4, checkpoints=checkpoints, energy_of=energy_of, energy_method="rapl")
    assert seen[3] == pytest.approx((13.0, 14.0))  # the window after the pause starts after it
    assert w.energy_per_sample_j == pytest.approx([100.0 / 8] * 6)
    assert w.energy_method == "rapl"


def test_missing_energy_in_any_window_leaves_no_energy_interval():
    w = measure_windows([0.5] * 12, 4, [(0.0, 0.0, 0.0), (6.0, 6.0, 6.0)],
                        energy_of=lambda a, b: None if a > 3 else 1.0, energy_method="rapl")
    assert w.energy_per_sample_j == [] and w.energy_method is None


def test_integrated_power_and_the_energy_sources_in_order():
    assert integrate_power_j([0, 1, 2], [100, 100, 100], 0.5, 1.5) == pytest.approx(100.0)
    assert integrate_power_j([0], [100], 0, 1) is None
    series = {"gpu0": {"t_s": [0, 1, 2], "power_instant_w": [50, 50, 50], "power_avg_w": [None] * 3},
              "host": {"t_s": [0, 1, 2], "rapl_package_energy_j": [0, 10, 20]}}
    read, method = energy_reader(series, 0, "rapl", None)
    assert method == "gpu-power-samples" and read(0, 2) == pytest.approx(100.0)
    read, method = energy_reader(series, None, "rapl", None)
    assert method == "rapl" and read(0.5, 1.5) == pytest.approx(10.0)
    read, method = energy_reader({"host": {"t_s": [], "rapl_package_energy_j": []}}, None, "estimated",
                                 lambda a, b: 7.0)
    assert method == "estimated" and read(0, 1) == 7.0
    assert energy_reader({}, None, None, None)[1] is None


def test_stability_needs_the_last_k_windows_within_p_percent():
    assert is_stable([50, 100, 101, 99], k=3, pct=5)
    assert not is_stable([100, 120, 100], k=3, pct=5)
    assert not is_stable([100, 100], k=3, pct=5)  # not enough windows yet


def test_windows_that_disagree_give_a_stability_sentence():
    wide = {"throughput_sps": {"median": 100.0, "low": 70.0, "high": 130.0, "windows": 10},
            "step_time_s": {"median": 0.1, "low": 0.099, "high": 0.101, "windows": 10}}
    warnings = stability_warnings(wide)
    assert len(warnings) == 1 and "throughput" in warnings[0] and "60%" in warnings[0]
    assert stability_warnings({"throughput_sps": None, "step_time_s": None}) == []
