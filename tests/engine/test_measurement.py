"""The trust side of filling a result, on made-up results and series (no run, no timing): CPU energy's
method, evaluation pauses taken out of the energy window, energy per sample's source, the contention,
tail-latency and stability sentences, and repeats combined over runs."""
from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from engine.cli.run_output import print_summary
from engine.results.measurement import (
    exclude_pauses,
    fill_cpu_energy,
    fill_energy_per_sample,
    fill_warnings,
)
from engine.results.repeats import combine_repeats, interleave
from engine.results.series import SeriesRecorder
from tests.engine.fake_runs import make_run


def _cpu_run(**kw):
    r = make_run("r1", device="cpu", energy_per_sample_j=None, **kw)
    r.energy_per_sample_j.total = None
    return r


def test_no_rapl_estimates_cpu_energy_from_the_users_tdp():
    r = _cpu_run()
    r.config.cpu_tdp_w = 100.0
    r.hardware.cpu_count = 2
    r.unavailable["energy_j.cpu"] = "no RAPL on this machine"
    fill_cpu_energy(r, {"cpu_s": 10.0})  # 2 busy CPU for the 5 s window: the whole TDP
    assert r.energy_j.cpu == pytest.approx(500.0)
    assert r.energy_j.cpu_method == "estimated" and r.energy_j.cpu_tdp_source == "set by the user"
    assert "energy_j.cpu" not in r.unavailable
    fill_energy_per_sample(r)
    eps = r.energy_per_sample_j
    assert eps.source == "cpu" and eps.method == "estimated" and eps.total == pytest.approx(500.0 / r.samples)
    assert any(q.startswith("energy per sample is estimated") for q in r.quality)


def test_an_unknown_cpu_without_a_tdp_says_how_to_set_one(monkeypatch):
    monkeypatch.delenv("TRADEOFF_LAB_CPU_TDP_W", raising=False)
    r = _cpu_run()
    r.hardware.cpu_model = "Imaginary CPU 9000"
    fill_cpu_energy(r, {"cpu_s": 1.0})
    assert r.energy_j.cpu is None and "--cpu-tdp-w" in r.unavailable["energy_j.cpu"]


def test_a_cpu_named_by_family_only_is_an_unknown_model_in_the_result_and_the_summary(monkeypatch):
    """'AMD EPYC' (a VM's CPU): no TDP guessed from the family; the result and the CLI say why and how to fix it."""
    monkeypatch.delenv("TRADEOFF_LAB_CPU_TDP_W", raising=False)
    r = _cpu_run()
    r.hardware.cpu_model = "AMD EPYC"
    r.unavailable["energy_j.cpu"] = "no RAPL on this machine"
    fill_cpu_energy(r, {"cpu_s": 1.0})
    fill_energy_per_sample(r)
    why = r.unavailable["energy_j.cpu"]
    assert r.energy_j.cpu is None and r.energy_per_sample_j.total is None
    assert why.startswith("no RAPL on this machine; unknown CPU model: 'AMD EPYC' has no model number")
    assert "none is guessed" in why and "--cpu-tdp-w W" in why
    out = io.StringIO()
    print_summary(r, [], out)
    line = next(x for x in out.getvalue().splitlines() if "CPU energy" in x)
    assert "unavailable" in line and "unknown CPU model: 'AMD EPYC'" in line and "--cpu-tdp-w" in line


def test_rapl_energy_is_labelled_rapl():
    r = _cpu_run()
    r.energy_j.cpu = 42.0
    fill_cpu_energy(r, {"cpu_s": 1.0})
    assert r.energy_j.cpu_method == "rapl" and r.energy_j.cpu == 42.0


def test_gpu_energy_comes_first_for_energy_per_sample_and_host_energy_stays_beside_it():
    r = make_run("g", device="cuda")
    r.energy_j.cpu, r.energy_j.cpu_method = 10.0, "estimated"
    fill_energy_per_sample(r)
    assert r.energy_per_sample_j.source == "gpu" and r.energy_per_sample_j.method == "counter"
    assert r.energy_per_sample_j.total == pytest.approx(r.energy_j.gpu / r.samples)
    assert r.energy_j.cpu == 10.0


def test_evaluation_pauses_are_taken_out_of_gpu_and_rapl_energy():
    r = make_run("g", device="cuda")
    r.energy_j.gpu, r.energy_j.cpu, r.energy_j.cpu_method = 1000.0, 300.0, "rapl"
    series = SeriesRecorder()
    series.gpus[0] = {"t_s": [0.0, 1.0, 2.0, 3.0], "power_instant_w": [100.0] * 4}
    series.host = {"t_s": [0.0, 1.0, 2.0, 3.0], "rapl_package_energy_j": [0.0, 30.0, 60.0, 90.0]}
    exclude_pauses(r, {"pauses": [(1.0, 2.0)]}, series, gpu=0)
    assert r.energy_j.gpu == pytest.approx(900.0)  # 100 W over the 1 s pause
    assert r.energy_j.cpu == pytest.approx(270.0)
    assert "1 held-out evaluation pause(s)" in r.energy_j.window_note and "subtracted" in r.energy_j.window_note


def test_pauses_without_any_energy_figure_leave_no_window_note():
    # It said "energy covers the timed window without 19 held-out evaluation pause(s) (5.85 s): " and
    # stopped there, under "CPU energy unavailable".
    r = _cpu_run()
    r.energy_j.cpu = r.energy_j.cpu_method = None
    exclude_pauses(r, {"pauses": [(1.0, 2.0)]}, SeriesRecorder(), gpu=None)
    assert r.energy_j.window_note is None
    out = io.StringIO()
    print_summary(r, [], out)
    assert "evaluation pause" not in out.getvalue()


class _Report:
    disturbed = True
    warnings = ["machine busy: other processes used 1.9 of 2 cores during the window (python 1.9)"]

    def to_json_dict(self):
        return {"window_s": 5.0, "cores": 2, "other_cpu_cores": 1.9, "busiest": [["python", 1.9]],
                "steal_share": None, "load_1m": 3.0, "mem_available_share": 0.5, "gpu_other_processes": None,
                "disturbed": True, "unavailable": {}}


def test_contention_and_tail_latency_become_sentences_and_the_cli_says_disturbed():
    r = make_run("c", device="cpu")
    r.step_time_s.p50, r.step_time_s.p99 = 0.01, 0.2
    fill_warnings(r, {"contention": _Report()})
    assert r.disturbed and r.contention.other_cpu_cores == 1.9
    assert any(q.startswith("machine busy") for q in r.quality)
    assert any(q.startswith("tail latency: p99 step time is 20.0×") for q in r.quality)
    out = io.StringIO()
    print_summary(r, [], out)
    assert "DISTURBED    other work shared the machine" in out.getvalue()


def test_a_quiet_run_is_not_disturbed_and_the_summary_shows_the_interval():
    r = make_run("q", device="cpu", throughput_sps=1413.0)
    fill_warnings(r, {"contention": SimpleNamespace(disturbed=False, warnings=[],
                                                     to_json_dict=lambda: {"window_s": 5.0})})
    r.intervals.throughput_sps = {"median": 1413.0, "low": 1210.0, "high": 1602.0, "windows": 10}
    out = io.StringIO()
    print_summary(r, [], out)
    assert not r.disturbed and "DISTURBED" not in out.getvalue()
    assert "1,413 samples/s (95 % interval 1,210–1,602, 10 windows)" in out.getvalue()


def test_repeats_interleave_configurations_round_by_round():
    assert interleave(["A", "B"], 2) == [(0, "A"), (0, "B"), (1, "A"), (1, "B")]
    assert interleave(["A"], 0) == [(0, "A")]


def test_repeats_combine_into_an_interval_over_runs_and_keep_each_runs_warnings():
    runs = [make_run(f"r{i}", device="cpu", throughput_sps=t) for i, t in enumerate((100.0, 300.0, 110.0, 105.0))]
    runs[1].quality.append("machine busy: other processes used 1.8 of 2 cores during the window")
    runs[1].disturbed = True
    combined = combine_repeats(runs)
    fig = combined.intervals.throughput_sps
    assert fig.over == "runs" and fig.windows == 4 and fig.low <= fig.median <= fig.high
    assert combined.repeat_runs == ["r0", "r1", "r2", "r3"]
    assert combined.disturbed
    assert "run r1: machine busy: other processes used 1.8 of 2 cores during the window" in combined.quality
    assert any(q.startswith("unstable: the throughput of the 4 repeats") for q in combined.quality)
    out = io.StringIO()
    print_summary(combined, [], out)
    assert "DISTURBED" in out.getvalue() and "run r1: machine busy" in out.getvalue().split("DISTURBED")[1]


def test_estimated_and_measured_energy_are_never_pooled_over_repeats():
    a, b = make_run("a", device="cpu"), make_run("b", device="cpu")
    a.energy_per_sample_j.method, b.energy_per_sample_j.method = "rapl", "estimated"
    assert combine_repeats([a, b]).intervals.energy_per_sample_j is None
    b.energy_per_sample_j.method = "rapl"
    assert combine_repeats([a, b]).intervals.energy_per_sample_j is not None
