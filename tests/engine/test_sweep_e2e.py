"""End to end through the real `main.py`: a tiny sweep on the CPU (real runs), then its report.
GPU variant: the same on CUDA, where energy and the Pareto plots must be there (run on the GPU machine)."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def main_py(args: list[str], data: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRADEOFF_LAB_DATA": str(data)}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def sweep_and_report(tmp_path: Path, devices: str, precisions: str, batches: str) -> tuple[dict, list[dict], str]:
    out = main_py(["sweep", "lenet", "--devices", devices, "--precisions", precisions, "--batches", batches,
                   "--steps", "5", "--warmup", "1", "--cooldown", "0", "--out", str(tmp_path / "sw"),
                   "--db", str(tmp_path / "h.sqlite")], tmp_path)
    assert out.returncode == 0, out.stderr + out.stdout
    state = json.loads((tmp_path / "sw" / "sweep.json").read_text())
    rep = main_py(["report", "--sweep", str(tmp_path / "sw"), "--csv", str(tmp_path / "r.csv"),
                   "--html", str(tmp_path / "r.html"), "--db", str(tmp_path / "h.sqlite")], tmp_path)
    assert rep.returncode == 0, rep.stderr
    with (tmp_path / "r.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    return state, rows, (tmp_path / "r.html").read_text()


@pytest.mark.slow
def test_cpu_sweep_runs_for_real_and_reports(tmp_path):
    state, rows, html = sweep_and_report(tmp_path, "cpu", "fp32", "8,16")
    assert [e["status"] for e in state["entries"]] == ["ok", "ok"]
    assert [r["run_id"] for r in rows] == [e["run_id"] for e in state["entries"]]
    assert all(float(r["throughput_sps"]) > 0 for r in rows)
    assert "lenet" in html and "<svg" in html


@pytest.mark.gpu
def test_gpu_sweep_has_energy_and_pareto_plots(tmp_path):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    state, rows, html = sweep_and_report(tmp_path, "cuda", "fp32,bf16", "64,256")
    assert {e["status"] for e in state["entries"]} == {"ok"}
    assert all(r["energy_per_sample_j"] for r in rows), "GPU runs must carry energy per sample"
    assert html.count("<svg") >= 3  # throughput bars and the energy Pareto plots are drawn
