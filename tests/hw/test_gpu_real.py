"""Against the real NVML of an NVIDIA GPU (H100/H200): run on the GPU machine with `pytest -m gpu tests/hw`."""
from __future__ import annotations

import time

import pytest

from hw.inventory import gpu_inventory
from hw.nvml import Nvml
from hw.sampler import Sampler


def _nvml_works() -> bool:
    nvml = Nvml()
    ok = nvml.open() and nvml.device_count()[0] > 0
    nvml.close()
    return bool(ok)


pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not _nvml_works(), reason="no NVIDIA GPU / NVML here")]


def test_inventory_sees_the_gpu_with_power_and_energy():
    inv = gpu_inventory()
    assert inv.driver_version and inv.gpus
    g = inv.gpus[0]
    assert g.name and g.mem_total_bytes > 8 * 1024**3 and g.compute_capability
    major = int(g.compute_capability.split(".")[0])
    if major >= 7:  # Volta and newer have the energy counter
        assert g.energy_counter, g.energy_counter_reason
    if major >= 9:  # Hopper: the instant field
        assert g.power_instant, g.power_instant_reason
    assert g.power_limit_w and g.power_limit_w > 50


def test_sampler_reads_everything_and_counter_energy():
    s = Sampler(gpu_indices=[0], hz=20.0)
    missing = {a.source: a.reason for a in s.availability if a.source.startswith("gpu0.") and not a.available}
    s.start()
    idle = s.measure_idle(0.5)
    s.mark_window_start()
    time.sleep(1.5)
    s.mark_window_end()
    gpu, host = s.drain()
    summary = s.stop()
    assert gpu and host
    assert idle.power_w[0] and idle.power_w[0] > 5
    assert summary.gpu_energy_method[0] == "counter", missing
    # an idle GPU over 1.5 s: energy is power x time, within the counter's coarse steps
    assert summary.gpu_energy_j[0] == pytest.approx(idle.power_w[0] * summary.window_s, rel=0.5)
    last = gpu[-1]
    assert last.mem_used_bytes and last.sm_clock_hz and last.temperature_c and last.power_avg_w
    assert summary.sampler_missed_ticks == 0
    assert summary.sampler_cpu_s < 0.2 * (summary.window_s + 0.5)


@pytest.mark.slow
def test_a_gpu_run_carries_energy_power_and_memory_with_no_quality_warning():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA")
    from engine.cli.netload import resolve
    from engine.run.config import RunConfig
    from engine.run.loop import run
    cfg = RunConfig(device="cuda", precision="bf16", channels_last=True, batch=512, seconds=12.0, warmup=30)
    # heat the card first: a cold card warms more than 10 °C in the window, which is rightly flagged
    run(resolve("resnet9"), cfg.model_copy(update={"seconds": 8.0, "sample_hz": 0.0}))
    r = run(resolve("resnet9"), cfg)
    assert r.status == "ok", r.error
    assert r.energy_j.gpu_method == "counter"
    assert r.energy_j.gpu > 0 and r.energy_per_sample_j.total > 0 and r.energy_per_sample_j.dynamic is not None
    assert r.power_w.gpu_mean > r.power_w.gpu_idle > 0
    assert r.quality == [], r.quality
    gpu = r.series.gpus[0]
    assert len(gpu.t_s) >= 100 and all(p is not None for p in gpu.power_instant_w[-50:])
    assert any(m for m in gpu.mem_used_bytes) and r.memory_bytes.host_peak_rss > 0
