"""Pipeline parallelism on CUDA GPUs (skipped without one): two stages sharing one GPU over gloo (the
tensors that cross go through host memory; checks the GPU code path: CUDA-event busy times, bf16,
channels-last), and over NCCL on two GPUs where there are two. Run on the GPU machine:
`pytest -q -m gpu tests/engine/test_pipeline_gpu.py`."""
from __future__ import annotations

import math

import pytest
import torch

from engine.net.presets import load_preset
from engine.run.config import RunConfig

pytestmark = [pytest.mark.gpu, pytest.mark.slow,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

FAST = dict(parallel="pipeline", precision="bf16", channels_last=True, batch=64, microbatches=4, steps=20,
            warmup=3, sample_hz=0, idle_baseline_s=0)


def _check(r, stages: int = 2) -> None:
    assert r.status == "ok", r.error
    assert r.parallel.kind == "pipeline" and len(r.devices) == stages and len(r.parallel.stages) == stages
    assert all(d.device.startswith("cuda") and d.memory_peak_bytes for d in r.devices)
    assert all(s.busy_share is not None and 0 < s.busy_share <= 1 for s in r.parallel.stages)
    assert 0 <= r.parallel.bubble_share < 1 and r.samples == 20 * 64


@pytest.mark.parametrize("mode,schedule", [("train", "gpipe"), ("train", "1f1b"), ("infer", "gpipe")])
def test_two_stages_sharing_one_gpu_over_gloo(tmp_path, monkeypatch, mode, schedule):
    from engine.parallel import run_job
    monkeypatch.setenv("TRADEOFF_LAB_DDP_SHARE_GPU", "1")
    config = RunConfig(devices="cuda:0,cuda:0", mode=mode, pipeline_schedule=schedule, **FAST)
    r = run_job(load_preset("resnet9"), config, baseline=False, db_path=str(tmp_path / "h.sqlite"))
    _check(r)
    assert r.parallel.backend == "gloo"
    if mode == "train":
        assert math.isfinite(r.loss)


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs 2 GPUs")
def test_two_stages_on_two_gpus_over_nccl(tmp_path):
    from engine.parallel import run_job
    config = RunConfig(devices="cuda:0,cuda:1", **FAST)
    r = run_job(load_preset("resnet9"), config, baseline=False, db_path=str(tmp_path / "h.sqlite"))
    _check(r)
    assert r.parallel.backend == "nccl" and {d.device for d in r.devices} == {"cuda:0", "cuda:1"}
    assert math.isfinite(r.loss)
