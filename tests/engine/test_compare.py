"""Comparison table ratios, Pareto fronts and recommendations under constraints (synthetic runs)."""
from __future__ import annotations

import pytest

from engine.results import compare
from tests.engine.fake_runs import make_run, sweep_runs


def test_ratios_are_relative_to_the_chosen_baseline():
    a = make_run("a", throughput_sps=1000, energy_per_sample_j=2e-3)
    b = make_run("b", precision="bf16", throughput_sps=3000, energy_per_sample_j=1e-3)
    rows = {r.run_id: r for r in compare.table([a, b], baseline_id="a")}
    assert rows["b"].ratios["throughput_sps"] == pytest.approx(3.0)
    assert rows["b"].ratios["energy_per_sample_j"] == pytest.approx(0.5)
    assert rows["a"].ratios["throughput_sps"] == pytest.approx(1.0)
    rows_b = {r.run_id: r for r in compare.table([a, b], baseline_id="b")}
    assert rows_b["a"].ratios["throughput_sps"] == pytest.approx(1 / 3)


def test_default_baseline_is_the_oldest_ok_run_and_missing_values_have_no_ratio():
    oom = make_run("oom", status="oom", created_at="2026-11-26T07:00:00+00:00")
    cpu = make_run("cpu", device="cpu", energy_per_sample_j=None, throughput_sps=500,
                   created_at="2026-11-26T08:00:00+00:00")
    gpu = make_run("gpu", throughput_sps=1000, created_at="2026-11-26T09:00:00+00:00")
    rows = {r.run_id: r for r in compare.table([gpu, oom, cpu])}  # newest first, as History lists them
    assert rows["gpu"].ratios["throughput_sps"] == pytest.approx(2.0)  # baseline: cpu, the oldest ok run
    assert rows["oom"].ratios["throughput_sps"] is None
    assert rows["gpu"].ratios["energy_per_sample_j"] is None  # the baseline has no energy


def test_short_labels_name_only_what_varies():
    labels = compare.short_labels(sweep_runs())
    assert labels["r0"] == "fp32 b32" and labels["r5"] == "bf16 b2048"


@pytest.mark.parametrize("points, xb, yb, front", [
    ({"a": (1, 10), "b": (2, 20), "c": (2, 5), "d": (3, 30)}, "lower", "higher", {"a", "b", "d"}),
    ({"a": (1, 10), "b": (1, 10), "c": (2, 5)}, "lower", "higher", {"a", "b"}),  # ties both stay
    ({"a": (1, 1), "b": (2, 2)}, "lower", "lower", {"a"}),
    ({"a": (1, 1), "b": (2, 2)}, "higher", "higher", {"b"}),
    ({}, "lower", "lower", set()),
])
def test_pareto_front(points, xb, yb, front):
    assert compare.pareto_front(points, xb, yb) == front


def test_plot_points_skip_failed_runs_and_missing_values():
    runs = sweep_runs() + [make_run("x", status="oom"), make_run("cpu", device="cpu", energy_per_sample_j=None)]
    pts = compare.plot_points(runs, compare.PARETO_PLOTS[0])
    assert set(pts) == {f"r{i}" for i in range(6)}


def test_recommendation_per_objective():
    runs = sweep_runs()
    assert compare.recommend(runs, "max_throughput").run_id == "r5"  # bf16, largest batch
    assert compare.recommend(runs, "min_energy").run_id == "r5"
    assert compare.recommend(runs, "min_latency").run_id == "r3"  # bf16, smallest batch
    rec = compare.recommend(runs, "time_energy", eta=0.5)
    assert rec.run_id == "r5" and "Zeus" in rec.text and "η=0.5" in rec.text


def test_zeus_cost_weighs_energy_and_time():
    fast_hungry = make_run("f", throughput_sps=2000, energy_per_sample_j=0.5)
    slow_frugal = make_run("s", throughput_sps=1000, energy_per_sample_j=0.2)
    # eta=1: energy only; eta=0: time only (MAXPOWER * s/sample)
    assert compare.recommend([fast_hungry, slow_frugal], "time_energy", eta=1.0, max_power_w=700).run_id == "s"
    assert compare.recommend([fast_hungry, slow_frugal], "time_energy", eta=0.0, max_power_w=700).run_id == "f"
    assert compare.zeus_cost(slow_frugal, 0.5, 700) == pytest.approx(0.5 * 0.2 + 0.5 * 700 / 1000)


def test_recommendation_respects_memory_limit_and_accuracy_floor():
    runs = sweep_runs()
    rec = compare.recommend(runs, "max_throughput", memory_limit_bytes=600 * 2**20)
    assert rec.run_id == "r4" and any("over the limit" in e for e in rec.excluded)
    rec = compare.recommend(runs, "max_throughput", accuracy_floor=0.945)
    assert rec.run_id == "r2"  # bf16 runs are below the floor
    rec = compare.recommend(runs, "max_throughput", memory_limit_bytes=1)
    assert rec.run_id is None and "No recommendation" in rec.text


def test_recommendation_without_energy_says_why():
    cpu = [make_run("c1", device="cpu", energy_per_sample_j=None), make_run("c2", device="cpu", batch=32,
                                                                            energy_per_sample_j=None)]
    assert compare.recommend(cpu, "min_energy").run_id is None
    assert "power readings" in compare.recommend(cpu, "time_energy").text
    with pytest.raises(ValueError, match="objective"):
        compare.recommend(cpu, "fastest please")


def test_missing_reason_quotes_the_runs_own_reason():
    cpu = [make_run("c1", device="cpu", energy_per_sample_j=None)]
    assert "RAPL" in compare.missing_reason(cpu, compare.METRIC["energy_per_sample_j"])
    assert compare.missing_reason(cpu, compare.METRIC["throughput_sps"]) is None


def test_baseline_is_the_same_in_any_order_so_the_gui_and_the_report_agree():
    # The GUI passed History's order (newest first) and the report the CLI's: two different baselines.
    from engine.results.report.model import build
    runs = [make_run(f"r{i}", batch=2 ** (5 + i), created_at=f"2026-11-26T0{i}:00:00+00:00") for i in range(4)]
    for order in (runs, runs[::-1], [runs[2], runs[0], runs[3], runs[1]]):
        assert compare.baseline_of(order).run_id == "r0"
        assert build(order).baseline_id == "r0"
    assert compare.baseline_of(runs, "r2").run_id == "r2"


def test_runs_of_different_networks_carry_a_warning():
    a, b = make_run("a"), make_run("b", network="resnet9")
    assert compare.network_warning([a, make_run("c")]) is None
    warning = compare.network_warning([a, b])
    assert "2 different networks" in warning and "lenet" in warning and "resnet9" in warning
    from engine.results.report.model import build
    assert any("different networks" in line for line in build([a, b]).method)


def test_gpu_and_host_peak_memory_are_separate_columns():
    labels = [m.label for m in compare.METRICS]
    assert "Peak memory" not in labels and "GPU peak memory" in labels and "Host peak memory (RSS)" in labels
    cpu = make_run("cpu", device="cpu")
    gpu = make_run("gpu")
    assert compare.METRIC["gpu_peak_mem_bytes"].value(cpu) is None
    assert compare.METRIC["host_peak_mem_bytes"].value(cpu) == 600 * 2**20
    assert compare.METRIC["gpu_peak_mem_bytes"].value(gpu) is not None
    # the memory plot draws GPU memory, or host memory when no run has GPU memory
    plot = next(p for p in compare.PARETO_PLOTS if p.key == "latency_memory")
    assert plot.axes([cpu, gpu])[0].key == "gpu_peak_mem_bytes"
    assert plot.axes([cpu])[0].key == "host_peak_mem_bytes"
    assert compare.plot_points([cpu], plot)["cpu"][0] == 600 * 2**20


def test_log_axes_when_values_span_orders_of_magnitude():
    assert compare.wants_log([1.0, 2.0, 100.0]) and not compare.wants_log([1.0, 20.0])
    assert not compare.wants_log([0.0, 100.0]) and not compare.wants_log([])


def test_recommendation_compares_configurations_by_their_median_repeat():
    """With repeats, the luckiest repeat of a configuration must not win: int8's repeats are 5k, 6k
    and one lucky 20k (median 6k); fp32's are 9k, 10k, 11k (median 10k)."""
    runs = [make_run(f"f{i}", device="cpu", precision="fp32", throughput_sps=t) for i, t in enumerate((9e3, 10e3, 11e3))]
    runs += [make_run(f"i{i}", device="cpu", precision="int8", throughput_sps=t) for i, t in enumerate((5e3, 20e3, 6e3))]
    rec = compare.recommend(runs, "max_throughput")
    assert rec.run_id == "f1"  # fp32's median repeat
    assert "fp32" in rec.text and "median of its 3 repeats" in rec.text and "best of 2 configurations" in rec.text


def test_recommendation_keeps_two_nets_under_one_label_apart():
    """Labels name only what varies; lenet and resnet9 runs at fp32 share one and are still two configurations."""
    runs = [make_run("a", precision="fp32", network="lenet", throughput_sps=1e3),
            make_run("b", precision="fp32", network="resnet9", throughput_sps=9e3),
            make_run("c", precision="bf16", network="lenet", throughput_sps=2e3),
            make_run("d", precision="fp32", network="lenet", throughput_sps=1.5e3)]
    assert compare.recommend(runs, "max_throughput").run_id == "b"


def test_recommendation_says_when_the_runner_up_cannot_be_told_apart():
    overlap = [make_run(f"f{i}", device="cpu", precision="fp32", throughput_sps=t) for i, t in enumerate((9e3, 10e3, 12e3))]
    overlap += [make_run(f"i{i}", device="cpu", precision="int8", throughput_sps=t) for i, t in enumerate((8e3, 11e3, 9.5e3))]
    text = compare.recommend(overlap, "max_throughput").text
    assert "fp32" in text and "not told apart from int8 (inconclusive:" in text
    apart = [make_run(f"f{i}", device="cpu", precision="fp32", throughput_sps=t) for i, t in enumerate((9e3, 10e3, 11e3))]
    apart += [make_run(f"i{i}", device="cpu", precision="int8", throughput_sps=t) for i, t in enumerate((3e3, 4e3, 3.5e3))]
    assert "not told apart" not in compare.recommend(apart, "max_throughput").text
