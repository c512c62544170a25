"""The committed CPU data-parallel example still loads with today's RunResult and says what its README says."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.results.result import RunResult

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "cpu-lenet-data-parallel"


def test_the_two_process_job_has_a_line_per_rank_and_the_readmes_figures():
    r = RunResult.model_validate_json((EXAMPLE / "result.json").read_text())
    assert r.config.devices == ["cpu"] and r.config.processes == 2 and r.parallel.backend == "gloo"
    assert [d.rank for d in r.devices] == [0, 1] and r.parallel.global_batch == 128
    readme = (EXAMPLE / "README.md").read_text().replace("**", "")
    assert f"{r.scaling_efficiency * 100:.0f} % scaling efficiency" in readme
    assert f"{r.communication_share * 100:.0f} %" in readme and f"{r.throughput_sps:,.0f} samples/s" in readme
    assert r.parallel.baseline_throughput_sps == pytest.approx(3001, abs=1)
    for name in ("run-card.png", "run-charts.png", "history.png"):
        assert (EXAMPLE / name).stat().st_size > 10_000
