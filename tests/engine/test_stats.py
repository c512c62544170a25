"""Intervals for medians and ratios (engine.results.stats)."""
from __future__ import annotations

import pytest

from engine.results.stats import Ratio, median_interval, ratio_interval


def test_median_interval_brackets_the_median_and_narrows_with_agreeing_windows():
    noisy = median_interval([90, 110, 95, 105, 100, 70, 130])
    tight = median_interval([99, 101, 100, 100.5, 99.5, 100, 100.2])
    assert noisy.low <= noisy.median == 100 <= noisy.high and noisy.n == 7
    assert tight.relative_width < noisy.relative_width
    assert noisy.to_json_dict() == {"median": 100, "low": noisy.low, "high": noisy.high, "windows": 7}


def test_one_value_or_identical_values_have_no_spread_and_nothing_finite_has_no_interval():
    assert median_interval([5.0]).low == median_interval([5.0]).high == 5.0
    assert median_interval([3.0, 3.0, 3.0]).relative_width == 0
    assert median_interval([]) is None and median_interval([float("nan")]) is None


def test_a_ratio_whose_interval_crosses_one_is_inconclusive():
    wild = ratio_interval([0.12, 14.5, 0.12, 14.5], [1.0, 1.0, 1.0, 1.0])
    assert not wild.conclusive and wild.text().startswith("inconclusive: ")
    clear = ratio_interval([200, 205, 198, 202], [100, 101, 99, 100])
    assert clear.conclusive and 1.9 < clear.low <= clear.value <= clear.high < 2.1
    assert clear.text().startswith("2×")


def test_ratio_text_and_degenerate_inputs():
    assert Ratio(2.0, 2.0, 2.0).text() == "2×"
    assert ratio_interval([], [1.0]) is None and ratio_interval([1.0], [0.0]) is None
    assert ratio_interval([4.0], [2.0]).value == pytest.approx(2.0)


def test_a_single_figure_against_repeats_resamples_the_repeats_alone():
    r = ratio_interval([200.0], [100.0, 90.0, 110.0, 105.0])  # a sweep's single run against repeats
    assert r.low < r.value < r.high and r.value == pytest.approx(200 / 102.5)
    r = ratio_interval([190.0, 210.0, 200.0], [100.0])
    assert r.low < r.value < r.high and r.value == pytest.approx(2.0)
