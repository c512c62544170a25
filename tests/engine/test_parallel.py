"""Data parallelism (engine.parallel): the refusals of bad device lists, combining the ranks' results,
the 1-device baseline, and real jobs on the CPU over gloo (2 processes; two "machines" on localhost;
a rank that dies mid-run ends the whole job, named, with no process left behind)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.errors import BadRunInput, Unsupported
from engine.parallel import layout, node_commands
from engine.parallel.baseline import baseline_config, find_baseline
from engine.parallel.combine import apply_baseline, combine
from engine.parallel.comm import union_s
from engine.parallel.plan import free_port
from engine.results.result import RunResult
from engine.results.store import RunStore
from engine.run.config import RunConfig
from tests.rank_processes import assert_no_rank_left

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--batch", "16", "--steps", "20", "--warmup", "2", "--sample-hz", "0", "--idle-seconds", "0"]


def _refusal(**values) -> str:
    with pytest.raises(ValueError) as info:
        RunConfig(**values)
    return str(info.value)


# -- refusals, one line each ------------------------------------------------------------------------

def test_device_lists_that_cannot_run_are_refused_naming_the_problem():
    assert "mix the CPU and GPUs" in _refusal(devices="cpu,cuda:0")
    assert "2 or more processes" in _refusal(devices="cpu", processes=1)
    assert "2 or more processes" in _refusal(devices="cuda:1")
    assert "several devices are needed" in _refusal(processes=2)
    assert "is not cpu, cuda or cuda:N" in _refusal(devices="cuda:0,gpu1")
    assert "fixed number of steps" in _refusal(devices="cpu", processes=2, seconds=3)
    assert "on GPUs one process runs per listed GPU" in _refusal(devices="cuda:0,cuda:1", processes=3)
    with pytest.raises(Unsupported, match="cuda:2 is not here: there are only 2 GPU"):
        layout(RunConfig(devices="cuda:0,cuda:2"), gpu_count=2)
    with pytest.raises(Unsupported, match="no CUDA GPU is visible"):
        layout(RunConfig(devices="cuda:0,cuda:1"), gpu_count=None)
    with pytest.raises(BadRunInput, match="cuda:0 is listed twice"):
        layout(RunConfig(devices="cuda:0,cuda:0"), gpu_count=2)
    pipe = layout(RunConfig(devices="cuda:0,cuda:1", parallel="pipeline"), gpu_count=2)  # one process per stage
    assert pipe.backend == "nccl" and pipe.world_size == 2


def test_a_device_list_sets_the_run_device_and_picks_the_backend():
    gpu = RunConfig(devices="cuda:1+cuda:0")
    assert gpu.devices == ["cuda:1", "cuda:0"] and gpu.device == "cuda:1" and gpu.is_parallel
    lay = layout(gpu, gpu_count=2)
    assert lay.backend == "nccl" and lay.world_size == 2
    cpu = layout(RunConfig(devices="cpu", processes=3, nnodes=2), gpu_count=None)
    assert cpu.backend == "gloo" and cpu.local_devices == ("cpu",) * 3 and cpu.world_size == 6
    assert RunConfig(devices="cpu", processes=2, mode="infer", seconds=2).seconds == 2  # independent ranks
    assert not RunConfig().is_parallel


def test_cli_refuses_bad_lists_with_exit_2_and_prints_each_machines_command(tmp_path):
    env = dict(os.environ, TRADEOFF_LAB_DATA=str(tmp_path))
    bad = subprocess.run([sys.executable, "main.py", "run", "lenet", "--devices", "cpu,cuda:0"], cwd=ROOT,
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "mix the CPU and GPUs" in bad.stderr and "Traceback" not in bad.stderr
    show = subprocess.run([sys.executable, "main.py", "run", "lenet", "--devices", "cpu", "--processes", "2",
                           "--nnodes", "2", "--rdzv-endpoint", "10.0.0.1:29500", "--steps", "50"], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=120)
    assert show.returncode == 0, show.stderr
    assert "--node-rank 0 --rdzv-endpoint 10.0.0.1:29500" in show.stdout
    assert "--node-rank 1 --rdzv-endpoint 10.0.0.1:29500" in show.stdout
    assert not (tmp_path / "runs.sqlite").exists() or len(RunStore(tmp_path / "runs.sqlite")) == 0


def test_node_commands_replace_this_machines_rank_and_endpoint():
    cmds = node_commands(["run", "lenet", "--nnodes", "2", "--node-rank", "1", "--rdzv-endpoint=h:1"], 2, "h:2")
    assert cmds == ["python main.py run lenet --nnodes 2 --node-rank 0 --rdzv-endpoint h:2",
                    "python main.py run lenet --nnodes 2 --node-rank 1 --rdzv-endpoint h:2"]


# -- combining the ranks, efficiency ----------------------------------------------------------------

def _rank_result(rank: int, tput: float, energy: float | None, device: str = "cuda:0") -> RunResult:
    from tests.engine.fake_runs import make_run
    r = make_run(f"r{rank}", device=device, throughput_sps=tput)
    r.samples, r.measured_s = int(tput * 10), 10.0 + rank
    r.energy_j.gpu, r.energy_j.gpu_method = energy, "counter"
    r.energy_per_sample_j.source = "gpu"
    r.power_w.gpu_mean = 300.0
    return r


def test_combine_sums_the_job_and_keeps_one_line_per_rank():
    config = RunConfig(devices="cuda:0,cuda:1", batch=256, steps=100)
    outcomes = [{"rank": k, "node": 0, "host": "h", "device": f"cuda:{k}", "comm_share": share,
                 "result_json": _rank_result(k, 1000.0, 500.0).model_dump_json()}
                for k, share in ((1, 0.2), (0, 0.1))]
    job = combine(outcomes, config, "job", "2026-11-29T00:00:00+00:00", 1, "nccl", "hook")
    assert [d.rank for d in job.devices] == [0, 1] and job.devices[1].device == "cuda:1"
    assert job.samples == 20_000 and job.throughput_sps == pytest.approx(20_000 / 11.0)  # the slowest window
    assert job.energy_j.gpu == 1000.0 and job.energy_per_sample_j.total == pytest.approx(1000.0 / 20_000)
    assert job.power_w.gpu_mean == 600.0 and job.communication_share == pytest.approx(0.15)
    assert job.parallel.world_size == 2 and job.parallel.global_batch == 512 and job.run_id == "job"
    base = _rank_result(0, 1000.0, 500.0)
    apply_baseline(job, base, "history")
    assert job.scaling_efficiency == pytest.approx(job.throughput_sps / 2000.0)
    again = RunResult.model_validate_json(job.model_dump_json())  # stored and read back
    assert again.devices == job.devices and again.parallel == job.parallel
    old = RunResult.model_validate_json(base.model_dump_json())  # a one-device result has none of it
    assert old.devices == [] and old.parallel is None and old.scaling_efficiency is None


def test_union_counts_overlapping_all_reduces_once():
    assert union_s([(0.0, 2.0), (1.0, 3.0), (5.0, 6.0), (9.0, 12.0)], 0.0, 10.0) == pytest.approx(5.0)


def test_baseline_is_found_by_its_per_device_configuration(tmp_path):
    from engine.net.presets import load_preset
    from tests.engine.fake_runs import make_run
    spec = load_preset("lenet")
    job = RunConfig(devices="cpu", processes=2, batch=16, steps=20)
    base_cfg = baseline_config(job, threads_per_process=1)
    assert not base_cfg.is_parallel and base_cfg.threads == 1 and base_cfg.device == "cpu"
    from engine.parallel.launch import check_job
    _lay, network = check_job(spec, job)
    store = RunStore(tmp_path / "h.sqlite")
    good = make_run("base", device="cpu", batch=16, throughput_sps=500.0)
    good.config, good.network = base_cfg, network
    other = good.model_copy(deep=True, update={"run_id": "other-threads"})
    other.config = base_cfg.model_copy(update={"threads": 2})
    store.add_many([other, good])
    assert find_baseline(store, base_cfg, network).run_id == "base"


# -- real jobs on the CPU ---------------------------------------------------------------------------

def _main_py(*args: str, data: Path) -> subprocess.Popen:
    env = dict(os.environ, TRADEOFF_LAB_DATA=str(data))
    return subprocess.Popen([sys.executable, "main.py", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.slow
def test_two_process_gloo_run_lands_as_one_run_with_every_rank(tmp_path, capsys, monkeypatch):
    from engine.net.presets import load_preset
    from tests.engine.fake_runs import make_run
    db = tmp_path / "h.sqlite"
    job_cfg = RunConfig(devices="cpu", processes=2, batch=16, steps=20, warmup=2, sample_hz=0, idle_baseline_s=0)
    from engine.parallel.launch import check_job
    base = make_run("the-baseline", device="cpu", batch=16, throughput_sps=400.0)
    base.config = baseline_config(job_cfg, max(1, (os.cpu_count() or 1) // 2))
    base.network = check_job(load_preset("lenet"), job_cfg)[1]
    RunStore(db).add(base)  # in the history: the job divides by it instead of measuring one
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path))
    from engine.cli import main as cli_main
    assert cli_main(["run", "lenet", "--devices", "cpu", "--processes", "2", *TINY, "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "rank 1" in out and "efficiency" in out
    runs = RunStore(db).list()
    assert len(runs) == 2  # the baseline and the job: one run for both processes
    job = RunStore(db).get(next(r.run_id for r in runs if r.run_id != "the-baseline"))
    assert job.status == "ok" and job.parallel.world_size == 2 and job.parallel.backend == "gloo"
    assert [d.rank for d in job.devices] == [0, 1] and all(d.throughput_sps for d in job.devices)
    assert job.samples == 2 * 20 * 16 and job.parallel.global_batch == 32
    assert job.communication_share is not None and 0 < job.communication_share <= 1
    assert job.parallel.baseline_run_id == "the-baseline" and job.parallel.baseline_source == "history"
    assert job.scaling_efficiency == pytest.approx(job.throughput_sps / (2 * 400.0))


@pytest.mark.slow
def test_two_machines_on_localhost_land_as_one_run_on_node_0(tmp_path, capsys, monkeypatch):
    db0, db1 = tmp_path / "n0.sqlite", tmp_path / "n1.sqlite"
    endpoint = f"127.0.0.1:{free_port()}"
    common = ["run", "lenet", "--devices", "cpu", "--processes", "1", "--nnodes", "2", "--rdzv-endpoint", endpoint,
              *TINY, "--no-baseline"]
    n1 = _main_py(*common, "--node-rank", "1", "--db", str(db1), data=tmp_path / "d1")  # the other machine
    monkeypatch.setenv("TRADEOFF_LAB_DATA", str(tmp_path / "d0"))
    from engine.cli import main as cli_main
    assert cli_main([*common, "--node-rank", "0", "--db", str(db0)]) == 0  # this one, node 0
    out1, err1 = n1.communicate(timeout=240)
    assert n1.returncode == 0, err1
    assert "node 1: its processes finished" in out1
    (row,) = RunStore(db0).list()
    job = RunStore(db0).get(row.run_id)
    assert job.parallel.nodes == 2 and job.parallel.world_size == 2
    assert sorted((d.rank, d.node) for d in job.devices) == [(0, 0), (1, 1)]
    assert not db1.exists() or len(RunStore(db1)) == 0


@pytest.mark.slow
@pytest.mark.parametrize("fault, status, words", [("1:8", "failed", "exited with code 13"),
                                                  ("1:8:oom", "oom", "out of memory")])
def test_a_rank_that_dies_or_runs_out_of_memory_ends_the_job_naming_it_with_no_process_left(
        tmp_path, monkeypatch, fault, status, words):
    from engine.net.presets import load_preset
    from engine.parallel import run_job
    monkeypatch.setenv("TRADEOFF_LAB_DDP_FAIL_RANK", fault)
    config = RunConfig(devices="cpu", processes=2, batch=16, steps=10_000, warmup=2, sample_hz=0, idle_baseline_s=0)
    t0 = time.monotonic()
    result = run_job(load_preset("lenet"), config, baseline=False, db_path=str(tmp_path / "h.sqlite"))
    assert result.status == status and result.parallel.failed_rank == 1
    assert result.error.startswith("rank 1") and words in result.error.lower()
    assert time.monotonic() - t0 < 200  # ended by the launcher, not by a collective's timeout
    assert_no_rank_left()


def test_compare_and_findings_know_several_device_runs():
    from engine.results import compare
    from engine.results.findings import findings
    config = RunConfig(devices="cuda:0,cuda:1", batch=256, steps=100)
    outcomes = [{"rank": k, "device": f"cuda:{k}", "comm_share": 0.3,
                 "result_json": _rank_result(k, 900.0, 600.0).model_dump_json()} for k in (0, 1)]
    job = combine(outcomes, config, "job", "2026-11-29T01:00:00+00:00", 1, "nccl", "hook")
    base = _rank_result(0, 1000.0, 500.0)
    base.run_id, base.energy_per_sample_j.total = "one-gpu", 500.0 / base.samples
    apply_baseline(job, base, "history")
    rows = {row.run_id: row for row in compare.table([base, job])}
    assert rows["job"].values["device_count"] == 2.0 and rows["one-gpu"].values["device_count"] == 1.0
    assert rows["job"].values["scaling_efficiency"] == pytest.approx(job.scaling_efficiency)
    assert compare.short_labels([base, job])["job"].startswith("2× cuda")
    (found,) = [f for f in findings([base, job]) if f.kind == "parallel"]
    assert found.text.startswith(f"2× H200: {job.throughput_sps / 1000.0:.2f}× throughput, "
                                 f"{job.scaling_efficiency:.0%} efficiency")
    assert "energy per sample" in found.text and "30%" in found.text
    assert not any(f.kind == "lever" and "2 devices" in f.text for f in findings([base, job]))
    from engine.results.report.model import build
    assert "Scaling efficiency" in [label for label, _unit in build([base, job]).columns]
    assert "Scaling efficiency" not in [label for label, _why in build([base]).unavailable]
