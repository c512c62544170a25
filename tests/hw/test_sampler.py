"""The sampler against a faked NVML (tests/hw/fake_nvml.py) and the real psutil; no RAPL here."""
from __future__ import annotations

import threading
import time

import pytest

from hw.sampler import Sampler
from tests.hw.fake_nvml import NO_PERMISSION, NOT_SUPPORTED, FakeGpu, FakeNvml

HZ = 50.0
WINDOW_S = 0.3


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        time.sleep(0.005)


def _run(fake: FakeNvml, indices=(0,), idle_s: float = 0.0, window_s: float = WINDOW_S, hz: float = HZ,
         tmp_rapl=None, during=None):
    t0 = time.perf_counter()
    s = Sampler(gpu_indices=indices, hz=hz, t0=t0, nvml_module=fake, rapl_root=tmp_rapl or "/nonexistent")
    s.start()
    if idle_s:
        s.measure_idle(idle_s)
    if during:
        during("before")
    s.mark_window_start()
    _busy(window_s)
    s.mark_window_end()
    gpu, host = s.drain()
    return s, s.stop(), gpu, host


def test_everything_supported_gives_counter_energy_and_full_samples():
    fake = FakeNvml([FakeGpu(power_w=300.0)])
    s, summary, gpu, host = _run(fake)
    assert all(a.available for a in s.availability if a.source.startswith("gpu0."))
    assert summary.gpu_energy_method[0] == "counter"
    assert summary.window_s == pytest.approx(WINDOW_S, abs=0.05)
    assert summary.gpu_energy_j[0] == pytest.approx(300.0 * summary.window_s, rel=0.1)
    assert summary.gpu_power_mean_w[0] == pytest.approx(300.0, rel=0.1)
    assert summary.gpu_power_max_w[0] == pytest.approx(300.0)
    assert summary.host_peak_rss_bytes > 10 * 1024**2
    # a window under 10 s is flagged: the counter moves only every ~100 ms
    assert any("under 10 s" in q for q in summary.quality)
    last = gpu[-1]
    assert last.power_instant_w == 300.0 and last.power_avg_w == 300.0
    assert last.mem_used_bytes == 2 * 1024**3 and last.util_gpu_pct == 97 and last.util_mem_pct == 45
    assert last.sm_clock_hz == 1980e6 and last.mem_clock_hz == 3201e6 and last.temperature_c == 40
    assert last.throttle_power is False and last.throttle_thermal is False
    assert any(g.energy_j is not None for g in gpu)  # the counter appears in the series (about 1 Hz)
    assert host and host[-1].process_rss_bytes > 0 and host[-1].system_mem_total_bytes > 0


def test_schedule_is_drift_free_and_on_the_run_clock():
    fake = FakeNvml([FakeGpu()])
    t0 = time.perf_counter() - 100.0  # the run's clock started "100 s ago"
    s = Sampler(gpu_indices=[0], hz=100.0, t0=t0, nvml_module=fake, rapl_root="/nonexistent")
    start = time.perf_counter() - t0
    s.start()
    _busy(0.3)
    gpu, host = s.drain()
    s.stop()
    ts = [g.t_s for g in gpu]
    assert ts == sorted(ts) and ts[0] >= start
    assert 20 <= len(ts) <= 32  # ~30 at 100 Hz in 0.3 s, on a shared CPU
    # on the fixed grid: sample k sits near start + k/hz, not drifting by the tick's own cost
    offsets = [(t - ts[0]) * 100.0 for t in ts]
    # Most samples sit on the grid; a schedule that slept a period after each tick would drift off it
    # and spread these phases evenly (median ~0.25). A loaded CI core delays a few ticks, not most.
    phases = sorted(abs(o - round(o)) for o in offsets)
    assert phases[len(phases) // 2] < 0.2
    assert len(host) == len(gpu)


def test_drain_returns_only_new_samples():
    s = Sampler(gpu_indices=[0], hz=HZ, nvml_module=FakeNvml(), rapl_root="/nonexistent")
    s.start()
    _busy(0.1)
    first, _ = s.drain()
    _busy(0.1)
    second, _ = s.drain()
    s.stop()
    assert first and second and first[-1].t_s < second[0].t_s


def test_counter_is_read_on_the_sampler_thread_and_marks_return_at_once():
    g = FakeGpu(energy_read_s=0.004)
    fake = FakeNvml([g])
    s = Sampler(gpu_indices=[0], hz=HZ, nvml_module=fake, rapl_root="/nonexistent")
    g.energy_threads.clear()  # the constructor's one probe read is before the run
    s.start()
    t = time.perf_counter()
    s.mark_window_start()
    mark_cost = time.perf_counter() - t
    _busy(0.1)
    s.mark_window_end()
    summary = s.stop()
    assert mark_cost < 0.002
    assert g.energy_threads and set(g.energy_threads) == {"hw-sampler"}
    assert threading.current_thread().name not in g.energy_threads
    assert summary.gpu_energy_method[0] == "counter"


def test_idle_baseline_gives_dynamic_energy():
    g = FakeGpu(power_w=60.0)
    fake = FakeNvml([g])

    def load(_):
        g.set_power(360.0)
    s, summary, _, _ = _run(fake, idle_s=0.2, during=load)
    assert summary.gpu_idle_power_w[0] == pytest.approx(60.0)
    assert summary.gpu_dynamic_energy_j[0] == pytest.approx(300.0 * summary.window_s, rel=0.15)
    assert summary.gpu_energy_j[0] == pytest.approx(360.0 * summary.window_s, rel=0.1)


def test_counter_unsupported_falls_back_to_integrated_instant_power():
    fake = FakeNvml([FakeGpu(power_w=250.0, fails={"nvmlDeviceGetTotalEnergyConsumption": NOT_SUPPORTED})])
    s, summary, gpu, _ = _run(fake)
    avail = {a.source: a for a in s.availability}
    assert not avail["gpu0.energy_counter"].available
    assert avail["gpu0.energy_counter"].reason == "not supported by this GPU"
    assert summary.gpu_energy_method[0] == "integrated-instant-power"
    assert summary.gpu_energy_j[0] == pytest.approx(250.0 * summary.window_s, rel=0.05)
    assert any("estimated" in q for q in summary.quality)
    assert all(x.energy_j is None for x in gpu)
    # an unsupported call is asked once (the probe), not on every tick
    assert fake.gpus[0].calls["nvmlDeviceGetTotalEnergyConsumption"] == 1


def test_instant_field_unsupported_keeps_average_power_and_counter():
    fake = FakeNvml([FakeGpu(instant_field_code=NOT_SUPPORTED)])
    s, summary, gpu, _ = _run(fake)
    avail = {a.source: a for a in s.availability}
    assert avail["gpu0.power_instant"].reason == "not supported by this GPU"
    assert avail["gpu0.power_avg"].available
    assert all(x.power_instant_w is None and x.power_avg_w == 300.0 for x in gpu)
    assert summary.gpu_energy_method[0] == "counter"
    assert summary.gpu_power_max_w[0] == 300.0


def test_no_counter_and_no_instant_power_integrates_the_average():
    fake = FakeNvml([FakeGpu(instant_field_code=NOT_SUPPORTED,
                             fails={"nvmlDeviceGetTotalEnergyConsumption": NOT_SUPPORTED})])
    _, summary, _, _ = _run(fake)
    assert summary.gpu_energy_method[0] == "integrated-average-power"
    assert summary.gpu_energy_j[0] == pytest.approx(300.0 * summary.window_s, rel=0.05)


def test_permission_errors_become_reasons():
    fake = FakeNvml([FakeGpu(fails={"nvmlDeviceGetTotalEnergyConsumption": NO_PERMISSION,
                                    "nvmlDeviceGetTemperature": NO_PERMISSION})])
    s, summary, gpu, _ = _run(fake)
    avail = {a.source: a for a in s.availability}
    assert avail["gpu0.energy_counter"].reason == "permission denied by the NVIDIA driver"
    assert avail["gpu0.temperature"].reason == "permission denied by the NVIDIA driver"
    assert summary.gpu_energy_method[0] == "integrated-instant-power"
    assert all(x.temperature_c is None for x in gpu)


def test_nvml_init_denied_leaves_host_sampling_working():
    s, summary, gpu, host = _run(FakeNvml(init_error=NO_PERMISSION))
    assert gpu == () and host
    reasons = {a.source: a.reason for a in s.availability if a.source.startswith("gpu0.")}
    assert set(reasons.values()) == {"permission denied by the NVIDIA driver"}
    assert summary.gpu_energy_j == {0: None}
    assert summary.unavailable["gpu0.energy"] == "permission denied by the NVIDIA driver"


def test_no_driver_reason():
    s = Sampler(gpu_indices=[0], hz=HZ, nvml_module=FakeNvml(init_error=12), rapl_root="/nonexistent")
    assert {a.reason for a in s.availability if a.source.startswith("gpu0.")} == {
        "no NVIDIA driver (NVML library not found)"}
    assert s.stop().gpu_energy_j == {0: None}


def test_gpu_lost_mid_run_ends_only_that_gpu():
    healthy, lost = FakeGpu(power_w=200.0), FakeGpu(power_w=100.0, lost_after_s=0.12)
    fake = FakeNvml([healthy, lost])
    s, summary, gpu, host = _run(fake, indices=(0, 1), window_s=0.3)
    assert summary.gpu_energy_method[0] == "counter"
    assert summary.gpu_energy_j[0] == pytest.approx(200.0 * summary.window_s, rel=0.1)
    assert summary.gpu_energy_j[1] is None
    assert "lost" in summary.unavailable["gpu1"]
    assert any("gpu1 was lost" in q for q in summary.quality)
    t_last_1 = max(x.t_s for x in gpu if x.index == 1)
    t_last_0 = max(x.t_s for x in gpu if x.index == 0)
    assert t_last_0 > t_last_1 + 0.1  # gpu0 kept being sampled
    calls = lost.calls["nvmlDeviceGetPowerUsage"]
    _busy(0.05)
    assert lost.calls["nvmlDeviceGetPowerUsage"] == calls  # no more calls to a lost GPU
    assert host


def test_several_gpus_are_separate():
    fake = FakeNvml([FakeGpu(power_w=300.0), FakeGpu(power_w=120.0), FakeGpu(power_w=50.0)])
    _, summary, gpu, _ = _run(fake, indices=(0, 2))
    assert set(summary.gpu_energy_j) == {0, 2}
    assert summary.gpu_energy_j[0] == pytest.approx(300.0 * summary.window_s, rel=0.1)
    assert summary.gpu_energy_j[2] == pytest.approx(50.0 * summary.window_s, rel=0.1)
    assert {x.index for x in gpu} == {0, 2}
    assert {x.power_instant_w for x in gpu if x.index == 2} == {50.0}


def test_cuda_visible_devices_maps_to_nvml(monkeypatch):
    fake = FakeNvml([FakeGpu(power_w=300.0), FakeGpu(power_w=120.0)])
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    _, summary, gpu, _ = _run(fake, indices=(0,))
    assert {x.power_instant_w for x in gpu} == {120.0} and {x.index for x in gpu} == {0}


def test_throttling_and_warming_are_flagged():
    fake = FakeNvml([FakeGpu(throttle_bits=0x4 | 0x20, temp_rise_c_per_s=80.0)])
    _, summary, gpu, _ = _run(fake)
    assert gpu[-1].throttle_power and gpu[-1].throttle_thermal
    text = " ".join(summary.quality)
    assert "power-capped" in text and "thermally throttled" in text and "warmed" in text
    assert summary.gpu_temperature_max_c[0] - summary.gpu_temperature_start_c[0] > 10


def test_falling_behind_schedule_is_flagged():
    g = FakeGpu(energy_read_s=0.0)
    fake = FakeNvml([g])
    slow = fake.nvmlDeviceGetMemoryInfo

    def slow_memory(h):
        time.sleep(0.025)  # a tick slower than the 10 ms period
        return slow(h)
    fake.nvmlDeviceGetMemoryInfo = slow_memory
    _, summary, _, _ = _run(fake, hz=100.0)
    assert summary.sampler_missed_ticks > 5
    assert any("fell behind" in q for q in summary.quality)


def test_sampling_off_has_no_thread_and_says_why():
    before = threading.active_count()
    s = Sampler(gpu_indices=[0], hz=0, nvml_module=FakeNvml())
    s.start()
    assert threading.active_count() == before
    assert s.measure_idle(1.0).power_w == {0: None}  # returns at once
    s.mark_window_start()
    s.mark_window_end()
    assert s.drain() == ((), ())
    summary = s.stop()
    assert summary.gpu_energy_j == {0: None} and summary.cpu_energy_j is None
    assert "sample_hz = 0" in summary.unavailable["gpu_energy"]
    assert not s.availability[0].available


def test_cpu_only_run_samples_the_host():
    s, summary, gpu, host = _run(FakeNvml(), indices=())
    assert gpu == () and len(host) >= 5
    assert summary.gpu_energy_j == {} and summary.host_peak_rss_bytes > 0
    assert all(0 <= h.cpu_util_pct <= 100 for h in host[1:])
    assert "cpu_energy" in summary.unavailable
    assert not any("under 10 s" in q for q in summary.quality)  # no GPU energy: the warning is moot


def test_stop_is_idempotent_and_without_marks_covers_the_whole_period():
    s = Sampler(gpu_indices=[0], hz=HZ, nvml_module=FakeNvml([FakeGpu(power_w=100.0)]), rapl_root="/nonexistent")
    s.start()
    _busy(0.2)
    first = s.stop()
    assert first is s.stop()
    assert first.window_s == pytest.approx(0.2, abs=0.05)
    assert first.gpu_energy_j[0] == pytest.approx(100.0 * first.window_s, rel=0.15)
    assert first.sampler_cpu_s is not None and first.sampler_ticks >= 5
    assert first.sampler_wall_s == pytest.approx(0.2, abs=0.1) and first.sampler_cpu_s < first.sampler_wall_s


def test_second_end_mark_keeps_the_first_window():
    s = Sampler(gpu_indices=[0], hz=HZ, nvml_module=FakeNvml([FakeGpu(power_w=100.0)]), rapl_root="/nonexistent")
    s.start()
    s.mark_window_start()
    _busy(0.15)
    s.mark_window_end()
    _busy(0.15)
    s.mark_window_end()  # the run loop may end a window twice (after its timed loop and at the run's end)
    summary = s.stop()
    assert summary.window_s == pytest.approx(0.15, abs=0.05)


def test_without_a_thread_marks_and_idle_are_served_inline():
    g = FakeGpu(power_w=80.0)
    s = Sampler(gpu_indices=[0], hz=HZ, nvml_module=FakeNvml([g]), rapl_root="/nonexistent")
    idle = s.measure_idle(0.1)
    assert idle.power_w == {0: 80.0} and idle.method == {0: "power_instant"}
    s.mark_window_start()
    _busy(0.1)
    s.mark_window_end()
    summary = s.stop()
    assert summary.gpu_energy_method[0] == "counter"
    assert summary.gpu_energy_j[0] == pytest.approx(80.0 * summary.window_s, rel=0.15)
    assert summary.gpu_dynamic_energy_j[0] == pytest.approx(0.0, abs=2.0)
    s.mark_window_start()  # after stop: ignored, nothing raises
