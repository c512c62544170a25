"""The run loop on a CUDA GPU (skipped without one): precisions, event timing, memory, OOM recovery.
Run on the GPU machine: `pytest -q -m gpu tests/engine/test_runloop_gpu.py`."""
from __future__ import annotations

import pytest
import torch

from engine.errors import Unsupported
from engine.run.config import RunConfig
from engine.run.events import TelemetryBatch
from engine.run.loop import run, run_model
from tests.engine.tiny_nets import NETWORK, TinyCNN

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def _preset(name):
    from engine.net.presets import resolve_net
    return resolve_net(name)


def test_resnet9_bf16_channels_last_train_on_cuda():
    events = []
    cfg = RunConfig(device="cuda", precision="bf16", channels_last=True, batch=128, steps=60, warmup=5,
                    idle_baseline_s=0.5)
    r = run(_preset("resnet9"), cfg, events.append)
    assert r.status == "ok", r.error
    assert r.steps == 60 and r.throughput_sps > 0
    assert 0 < r.step_time_s.p50 <= r.step_time_s.p99
    # events were resolved for every step; their sum is the timed window (no sync per step)
    assert r.memory_bytes.gpu_peak_allocated > 0 and r.memory_bytes.gpu_peak_reserved >= r.memory_bytes.gpu_peak_allocated
    assert r.hardware.device_name == torch.cuda.get_device_name(0) and r.hardware.cuda
    assert r.loss is not None and r.loss == r.loss
    if any(isinstance(e, TelemetryBatch) and e.gpu for e in events):
        assert 0 in r.series.gpus and r.power_w.gpu_max is not None


@pytest.mark.parametrize("precision", ["fp32", "tf32", "fp16"])
def test_precisions_set_the_switches(precision):
    seen = []

    class Probe(TinyCNN):
        def forward(self, x):
            seen.append((torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32,
                         torch.is_autocast_enabled("cuda")))
            return super().forward(x)

    r = run_model(Probe, NETWORK, (1, 8, 8), 10, RunConfig(device="cuda", precision=precision, batch=64, steps=10,
                                                            warmup=1, sample_hz=0, idle_baseline_s=0))
    assert r.status == "ok", r.error
    tf32, autocast = precision == "tf32", precision == "fp16"
    assert seen[-1] == (tf32, tf32, autocast)


def test_step_times_cover_the_window():
    cfg = RunConfig(device="cuda", batch=256, steps=200, warmup=10, sample_hz=0, idle_baseline_s=0)
    r = run(_preset("lenet"), cfg)
    assert r.status == "ok"
    # p50 x steps is close to the window for a steady loop (events, not host clocks, timed each step)
    assert r.step_time_s.p50 * r.steps == pytest.approx(r.measured_s, rel=0.5)


def test_infer_mode_on_cuda():
    r = run(_preset("resnet9"), RunConfig(device="cuda", precision="fp16", mode="infer", batch=256, steps=30,
                                          warmup=3, sample_hz=0, idle_baseline_s=0))
    assert r.status == "ok" and r.loss is None and r.throughput_sps > 0


def test_out_of_memory_is_a_result_and_the_process_stays_healthy():
    huge = 1 << 20  # resnet9's first activation alone is 256 GiB at this batch
    before_bytes = torch.cuda.memory_allocated()  # earlier tests in this process may hold some
    r = run(_preset("resnet9"), RunConfig(device="cuda", batch=huge, steps=5, warmup=1, sample_hz=0,
                                          idle_baseline_s=0))
    assert r.status == "oom"
    assert r.error.startswith(f"out of memory at batch {huge}:") and "GiB" in r.error and "in use" in r.error
    assert r.throughput_sps is None
    assert torch.cuda.memory_allocated() - before_bytes < 64 * 1024 ** 2  # what the run took is freed
    after = run(_preset("lenet"), RunConfig(device="cuda", batch=64, steps=5, warmup=1, sample_hz=0,
                                            idle_baseline_s=0))
    assert after.status == "ok"


def test_absent_gpu_index_is_unsupported_here():
    with pytest.raises(Unsupported, match="only"):
        run(_preset("lenet"), RunConfig(device=f"cuda:{torch.cuda.device_count()}", steps=1))


def test_digits_on_cuda_learns():
    r = run(_preset("lenet"), RunConfig(device="cuda", dataset="digits", batch=64, seconds=4, warmup=5,
                                        optimizer="adam", lr=0.003, sample_hz=0, idle_baseline_s=0, eval_every_s=1))
    assert r.status == "ok" and r.accuracy > 0.8
