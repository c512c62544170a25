"""The committed conv-algorithm example report: its runs load with today's RunResult, its findings rank
the algorithms that ran, and Winograd is not silently missing: the report names it as refused, with the
layer and the reason, in the JSON and the HTML."""
from __future__ import annotations

import html
import json
from pathlib import Path

from engine.results.result import RunResult

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "cpu-lenet-conv-algos"
REFUSAL = ("layer 'conv1' (conv_algo winograd): Winograd F(2x2,3x3) computes 3x3 kernels with stride 1, "
           "dilation 1 and groups 1 only; this layer has a 5x5 kernel")


def test_the_example_ranks_the_algorithms_and_names_winograds_refusal():
    report = json.loads((EXAMPLE / "report.json").read_text(encoding="utf-8"))
    runs = [RunResult.model_validate(r) for r in report["runs"]]
    assert {r.config.conv_algo for r in runs} == {"library", "direct", "im2col", "fft"}
    assert all(r.status == "ok" and r.network.name == "lenet" for r in runs)
    (rank,) = [f for f in report["findings"] if f.startswith("Conv algorithm ranked by throughput on lenet")]
    assert all(algo in rank for algo in ("library", "im2col", "fft", "direct"))
    refused = [f for f in report["findings"] if "winograd" in f and "was not run" in f]
    assert len(refused) == 1 and REFUSAL in refused[0]
    assert {s["config"]["conv_algo"] for s in report["skipped"]} == {"winograd"}
    page = html.unescape((EXAMPLE / "report.html").read_text(encoding="utf-8"))
    assert REFUSAL in page and "Conv algorithm ranked by throughput" in page
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    assert "Winograd" in readme and "5x5 kernels" in readme
