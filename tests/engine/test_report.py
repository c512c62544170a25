"""Report files: self-contained HTML, a PDF that renders to pages, CSV and JSON matching the runs."""
from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess

import pytest

from engine.results.report import make_report
from engine.results.report.tabular import CSV_COLUMNS
from engine.results.result import RunResult
from tests.engine.fake_runs import make_run, sweep_runs


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    runs = sweep_runs() + [make_run("cpu1", device="cpu", throughput_sps=3000, energy_per_sample_j=None,
                                    quality=["timed window 5 s is shorter than 10 s"]),
                           make_run("oom1", batch=8192, status="oom", error="CUDA out of memory")]
    skipped = [({"device": "cuda", "precision": "fp32", "mode": "train", "batch": 16384}, "batch 8192 ran out of memory")]
    paths = make_report(runs, html=out / "r.html", pdf=out / "r.pdf", csv=out / "r.csv", json=out / "r.json",
                        baseline_id="r0", skipped=skipped)
    return runs, out, paths


def test_writes_every_requested_file(report):
    _, out, paths = report
    assert [p.name for p in paths] == ["r.html", "r.pdf", "r.csv", "r.json"]


def test_html_is_self_contained(report):
    runs, out, _ = report
    html = (out / "r.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"url\(\s*['\"]?(?!#)", html)  # only in-document references (clip paths)
    assert html.count("<svg") == 4  # throughput bars + three Pareto plots
    for r in runs:
        assert r.run_id in html
    for words in ("Findings", "Comparison", "Network", "Environment", "Method", "Quality", "bf16 vs fp32",
                  "b16384 was not run", "timed window 5 s", "NVIDIA H200", "conv1", "Maximum throughput"):
        assert words in html, words


def test_pdf_has_pages_with_the_same_content(report):
    pypdf = pytest.importorskip("pypdf", reason="pypdf (test dependency) not installed")
    runs, out, _ = report
    reader = pypdf.PdfReader(str(out / "r.pdf"))
    assert len(reader.pages) >= 3
    text = " ".join(page.extract_text() for page in reader.pages)
    for words in ("Findings", "Comparison", "Charts", "Network", "Environment", "Method", "bf16 vs fp32", "cpu1"):
        assert words in text, words
    assert sum(len(page.images) for page in reader.pages) == 4  # the four charts


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) not installed")
def test_pdf_renders_to_pages_with_pdftoppm(report, tmp_path):
    _, out, _ = report
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(out / "r.pdf"), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) >= 3
    from PIL import Image, ImageStat
    for page in pages:  # not blank
        assert ImageStat.Stat(Image.open(page).convert("L")).stddev[0] > 5


def test_csv_has_one_row_per_run_and_units_in_headers(report):
    runs, out, _ = report
    with (out / "r.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(runs)
    assert list(rows[0]) == [name for name, _ in CSV_COLUMNS]
    for header in ("throughput_sps", "step_time_p50_s", "energy_per_sample_j", "power_gpu_mean_w",
                   "mem_gpu_peak_allocated_bytes", "accuracy_fraction"):
        assert header in rows[0]
    by_id = {r["run_id"]: r for r in rows}
    assert float(by_id["r1"]["throughput_sps"]) == pytest.approx(runs[1].throughput_sps)
    assert by_id["oom1"]["status"] == "oom" and by_id["oom1"]["throughput_sps"] == ""
    assert "RAPL" in by_id["cpu1"]["unavailable"]


def test_json_holds_the_full_results(report):
    runs, out, _ = report
    doc = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert doc["format"] == "tradeoff-lab/report" and doc["baseline_run_id"] == "r0"
    assert [RunResult.model_validate(r) for r in doc["runs"]] == runs
    assert doc["skipped"][0]["config"]["batch"] == 16384 and doc["findings"]


def test_cpu_only_report_says_why_energy_plots_are_missing(tmp_path):
    runs = [make_run(f"c{b}", device="cpu", batch=b, throughput_sps=b * 10.0, energy_per_sample_j=None)
            for b in (32, 256, 1024)]
    make_report(runs, html=tmp_path / "c.html")
    html = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert "Not drawn" in html and "RAPL not readable (needs root)" in html
    assert html.count("<svg") == 2  # throughput bars and step time vs memory
    assert "Energy per sample" not in html.split("<h2>Comparison</h2>")[1].split("</table>")[0]  # empty column dropped


def test_no_runs_is_an_error():
    with pytest.raises(ValueError, match="at least one run"):
        make_report([], csv="x.csv")
