"""A report whose runs have a stored profile gets a Profile section: the layer table and a roofline."""
from __future__ import annotations

import json

from engine.cli import main as cli_main
from engine.results.report import make_report
from engine.results.report.roofline import roofline_chart, write_roofline_png
from engine.results.store import RunStore
from tests.engine.test_profile_result import make_profile
from tests.engine.test_store import make_result


def test_the_report_shows_each_profiled_run_with_its_table_and_roofline(tmp_path):
    runs = [make_result("a", "2026-11-26T08:00:00+00:00"), make_result("b", "2026-11-26T09:00:00+00:00")]
    html, pdf, out = tmp_path / "r.html", tmp_path / "r.pdf", tmp_path / "r.json"
    make_report(runs, html=html, pdf=pdf, json=out, profiles={"a": make_profile("a")})
    text = html.read_text()
    section = text[text.index("Profile (a separate run under torch.profiler)"):]
    assert "compute-bound" in section and "conv1" in section and "relu1" in section and "(idle)" in section
    assert "Roofline" in section and "<svg" in section and "unprofiled step" in section
    assert pdf.stat().st_size > 0
    assert set(json.loads(out.read_text())["profiles"]) == {"a"}
    make_report(runs, html=html, json=out)  # no profiles: no section, no key
    assert "Profile (a separate" not in html.read_text() and "profiles" not in json.loads(out.read_text())


def test_the_roofline_places_each_layer_under_the_roofs(tmp_path):
    chart = roofline_chart(make_profile())
    assert chart.svg and chart.png and "conv1" in chart.svg
    path = write_roofline_png(make_profile(), tmp_path / "roof.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    empty = make_profile()
    for layer in empty.layers:
        layer.achieved_flops_per_s = None
    assert not roofline_chart(empty).svg and "nothing to place" in roofline_chart(empty).caption


def test_report_cli_reads_the_profiles_from_the_history(tmp_path, capsys):
    store = RunStore(tmp_path / "runs.sqlite")
    store.add(make_result("a", "2026-11-26T08:00:00+00:00"))
    store.add_profile(make_profile("a"))
    html = tmp_path / "r.html"
    assert cli_main(["report", "--db", str(store.path), "--last", "1", "--html", str(html)]) == 0
    assert "Profile (a separate run under torch.profiler)" in html.read_text()
