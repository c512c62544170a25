"""The spread of a run's figures as the views read it: intervals, estimated energy, a busy machine;
the run history's busy badge and the report's marks (hollow estimated points, bars, busy runs)."""
from __future__ import annotations

from engine.results import spread
from engine.results.compare import PARETO_PLOTS
from engine.results.report import make_report
from engine.results.report.charts import pareto_chart
from engine.results.result import RunResult
from engine.results.store import RunStore
from tests.engine.fake_runs import make_run, sweep_runs

BUSY = "machine busy: other processes used 1.8 of 2 cores during the window (python3 1.7)"


def with_intervals(r: RunResult, **intervals: tuple[float, float]) -> RunResult:
    """A result with per-window intervals, as the windowed run loop writes them."""
    return RunResult.model_validate({**r.model_dump(), "intervals": {
        k: {"median": (lo + hi) / 2, "low": lo, "high": hi, "windows": 8} for k, (lo, hi) in intervals.items()}})


def test_interval_estimated_and_busy_are_read_from_a_result():
    r = with_intervals(make_run("a"), throughput_sps=(9000.0, 11000.0))
    assert spread.metric_interval(r, "throughput_sps") == (9000.0, 11000.0)
    assert spread.metric_interval(r, "energy_per_sample_j") is None
    assert not spread.energy_estimated(make_run("m"))  # a GPU counter
    assert spread.energy_estimated(make_run("e", energy_method="integrated-average-power"))
    assert spread.disturbed(make_run("b", quality=["p99 is 9x p50", BUSY])) == BUSY
    old = make_run("old")  # an older result: no intervals, counter energy, no warnings
    assert spread.metric_interval(old, "throughput_sps") is None and spread.disturbed(old) is None


def test_history_rows_carry_the_busy_sentence(tmp_path):
    store = RunStore(tmp_path / "h.sqlite")
    store.add_many([make_run("quiet"), make_run("busy", quality=["p99 is 9x p50", BUSY])])
    rows = {r.run_id: r for r in store.list()}
    assert rows["busy"].busy == BUSY and rows["quiet"].busy is None


def test_report_chart_draws_estimated_points_hollow_with_a_legend_and_bars():
    runs = [with_intervals(make_run("m", precision="fp32"), throughput_sps=(9000.0, 11000.0)),
            make_run("e", precision="bf16", throughput_sps=20000, energy_method="integrated-average-power")]
    chart = pareto_chart(runs, PARETO_PLOTS[0], {"m": "fp32", "e": "bf16"})
    assert "Hollow dots: energy estimated" in chart.caption and "95 % interval" in chart.caption
    assert "hollow = estimated energy" in chart.svg
    measured = pareto_chart([make_run("m")], PARETO_PLOTS[0], {"m": "fp32"})
    assert "Hollow" not in measured.caption and "interval" not in measured.caption


def test_report_table_marks_a_busy_run(tmp_path):
    runs = sweep_runs()
    runs[1] = make_run(runs[1].run_id, quality=[BUSY])
    make_report(runs, html=tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert page.count("⚠ machine busy") == 1 and f'title="{BUSY}"' in page
