"""The sampler split: the core's public interface takes the run-clock time of every mark, so a
handle or the sampler process drives it without reaching inside; the window summary is a pure
function of the core's facts."""
from __future__ import annotations

import time

import pytest

from hw.sampler_core import SamplerCore
from hw.samples import Availability, IdleBaseline
from hw.window import GpuWindow, WindowFacts, summarize
from tests.hw.fake_nvml import FakeGpu, FakeNvml


def test_marks_carry_the_callers_run_clock_times():
    core = SamplerCore([0], hz=50.0, nvml_module=FakeNvml([FakeGpu(power_w=100.0)]), rapl_root="/nonexistent")
    assert any(a.source == "gpu0.energy_counter" and a.available for a in core.availability)
    core.start(0.0)
    core.mark("start", 1.25)
    time.sleep(0.3)
    core.mark("end", 3.75)
    summary = core.stop(4.0)
    assert summary.window_s == pytest.approx(2.5)  # the times given, not the times the loop served them
    assert summary.gpu_energy_method[0] == "counter" and summary.gpu_energy_j[0] > 0
    assert summary.sampler_ticks > 3
    gpu, _host = core.drain()
    assert gpu and all(s.index == 0 for s in gpu)


def test_the_summary_is_a_function_of_the_facts():
    w = GpuWindow(0, counter=True, counter_reason=None, power_key="power_instant_w")
    w.reset(10.0)
    w.e_start, w.e_end = 1000.0, 3000.0
    w.close(30.0)
    facts = WindowFacts(hz=10.0, gpu_indices=(0,), availability=(Availability("gpu0.energy_counter", True),),
                        window_t=(10.0, 30.0), windows={0: w}, idle=IdleBaseline(1.0, {0: 50.0}, {0: "power_instant"}),
                        rapl_at=(), quality=("a note from the handle",), runtime={}, peak_rss_bytes=123,
                        ticks=200, missed=0, window_ticks=200, window_missed=0, cpu_s=0.1, wall_s=20.0)
    s = summarize(facts)
    assert s.window_s == 20.0 and s.gpu_energy_j[0] == 2000.0 and s.gpu_power_mean_w[0] == 100.0
    assert s.gpu_dynamic_energy_j[0] == 2000.0 - 50.0 * 20.0
    assert s.quality[0] == "a note from the handle" and s.host_peak_rss_bytes == 123
    assert "cpu_energy" in s.unavailable
