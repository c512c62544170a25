"""The sampler polling in its own process (the default), with the real psutil and NVML of this
machine (no GPU here: NVML reports why). Each test starts one spawned child (~0.2 s)."""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time
import types

import psutil
import pytest

import hw.sampler
from hw.host import self_max_rss_bytes
from hw.sampler import Sampler
from hw.sampler_proc import SamplerStartError, shared_clock_problem
from tests.hw.fake_nvml import FakeNvml


def _wait_gone(pid: int, timeout_s: float = 2.0) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.02)
    return False


def test_perf_counter_is_one_clock_for_all_processes():
    assert shared_clock_problem() is None  # Linux: CLOCK_MONOTONIC


def test_samples_arrive_on_the_run_clock_and_the_child_leaves_no_trace():
    t0 = time.perf_counter() - 100.0  # the run's clock started "100 s ago"
    began = time.perf_counter()
    s = Sampler(gpu_indices=[0], hz=20.0, t0=t0)
    startup_s = time.perf_counter() - began
    child = s.process
    assert child is not None, "the default is the sampler process"
    assert startup_s < 2.0  # ~0.2 s alone; generous for a shared 2-core machine
    assert child.child_modules == ()  # no torch, Qt or numpy in the sampler process
    assert child.pid in {c.pid for c in psutil.Process().children()}
    avail = {a.source: a for a in s.availability}
    assert avail["host.process_rss"].available
    assert not avail["gpu0.energy_counter"].available and avail["gpu0.energy_counter"].reason
    s.start()
    t_start = time.perf_counter() - t0
    assert s.measure_idle(0.1).power_w == {0: None}  # no GPU power here: returns at once, no raise
    ballast = bytearray(64 * 1024**2)  # the run process grows: the child must see it
    ballast[::4096] = b"x" * len(ballast[::4096])
    time.sleep(0.35)
    first_gpu, first = s.drain()
    s.mark_window_start()
    time.sleep(0.3)
    s.mark_window_end()
    time.sleep(0.1)
    _, second = s.drain()
    t_end = time.perf_counter() - t0
    summary = s.stop()
    _, rest = s.drain()
    assert first_gpu == () and first and second
    ts = [h.t_s for h in first + second + rest]
    assert ts == sorted(ts) and t_start - 0.05 <= ts[0] and ts[-1] <= t_end + 0.05  # the run's clock
    assert first[-1].t_s < second[0].t_s  # a drain returns only what is new
    assert len(first + second + rest) == summary.sampler_ticks
    assert max(h.process_rss_bytes for h in second) > 64 * 1024**2  # the run's pid, not the child's
    assert summary.window_s == pytest.approx(0.3, abs=0.05)
    assert summary.host_peak_rss_bytes >= self_max_rss_bytes() > 64 * 1024**2
    assert summary.gpu_energy_j == {0: None} and "gpu0.energy" in summary.unavailable
    assert summary.sampler_cpu_s is not None and summary.sampler_cpu_s < summary.sampler_wall_s
    assert not any("run process" in q for q in summary.quality)
    assert _wait_gone(child.pid) and not mp.active_children()
    assert s.stop() is summary
    s.mark_window_start()  # after stop: ignored, nothing raises


def test_marks_are_read_at_once_and_nothing_is_lost_when_the_run_drains_late(tmp_path):
    from tests.hw.test_rapl import _set, _tree
    zones = _tree(tmp_path)  # a fake RAPL root is a folder: it crosses to the child (in_process=False)
    s = Sampler(gpu_indices=(), hz=1000.0, rapl_root=str(tmp_path), in_process=False)
    assert s.process is not None
    s.start()
    s.mark_window_start()
    time.sleep(1.5)  # ~1500 samples, ~90 KB unread: more than a pipe holds; the child's sender waits
    _set(zones["pkg0"], 7_000_000)  # +2 J inside the window
    time.sleep(0.05)
    s.mark_window_end()
    time.sleep(0.15)
    _set(zones["pkg0"], 11_000_000)  # +4 J after the end mark: outside the window if it was read then
    summary = s.stop()
    _, host = s.drain()
    assert summary.cpu_energy_j == pytest.approx(2.0)
    assert len(host) == summary.sampler_ticks >= 500
    assert summary.window_s == pytest.approx(1.55, abs=0.05)


def test_a_killed_child_ends_sampling_without_raising():
    s = Sampler(gpu_indices=[0], hz=20.0)
    pid = s.process.pid
    s.start()
    s.mark_window_start()
    time.sleep(0.2)
    _, before = s.drain()
    os.kill(pid, signal.SIGKILL)
    assert _wait_gone(pid)
    s.mark_window_end()  # the pipe is broken: no raise
    assert s.measure_idle(0.05).power_w == {0: None}
    _, after = s.drain()
    summary = s.stop()
    assert before and after == ()
    assert summary.window_s is None and summary.gpu_energy_j == {0: None}
    assert any("sampler process ended unexpectedly" in q for q in summary.quality)
    assert "ended unexpectedly" in summary.unavailable["gpu_energy"]
    assert summary.host_peak_rss_bytes >= max(h.process_rss_bytes for h in before)
    assert not mp.active_children()


def test_ctrl_c_to_the_process_group_leaves_the_child_to_the_run():
    s = Sampler(gpu_indices=(), hz=50.0)
    s.start()
    os.kill(s.process.pid, signal.SIGINT)  # what a terminal's Ctrl+C sends the child too
    time.sleep(0.1)
    summary = s.stop()
    assert summary.sampler_ticks >= 3 and not any("unexpectedly" in q for q in summary.quality)


def test_the_run_script_is_not_reimported_in_the_child(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    script = tmp_path / "heavy_main.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\nimport torch\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    s = Sampler(gpu_indices=(), hz=10.0)
    assert sys.modules["__main__"] is fake_main  # put back after the start
    assert s.process is not None and s.process.child_modules == ()
    s.stop()
    assert not marker.exists()


def _run_in_daemon(results) -> None:
    s = Sampler(gpu_indices=(), hz=20.0)
    s.start()
    time.sleep(0.15)
    _, host = s.drain()
    summary = s.stop()
    results.put((s.process is not None, len(host) > 0, summary.quality, mp.current_process().daemon))


def test_a_daemonic_run_process_gets_a_sampler_process_too():
    ctx = mp.get_context("spawn")  # the GUI starts runs daemonic, with spawn
    results = ctx.Queue()
    proc = ctx.Process(target=_run_in_daemon, args=(results,), daemon=True)
    proc.start()
    in_child, got_host, quality, still_daemon = results.get(timeout=20)
    proc.join(5)
    assert in_child and got_host and quality == [] and still_daemon


def _hold_a_sampler(results) -> None:
    s = Sampler(gpu_indices=(), hz=20.0)
    s.start()
    results.put(s.process.pid)
    time.sleep(30)


def test_the_child_ends_when_the_run_process_is_killed():
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    proc = ctx.Process(target=_hold_a_sampler, args=(results,), daemon=True)
    proc.start()
    child_pid = results.get(timeout=20)
    proc.kill()  # no stop(), no atexit: the child sees its command pipe close
    proc.join(5)
    assert _wait_gone(child_pid, timeout_s=3.0)


def test_a_child_that_cannot_start_falls_back_to_a_thread(monkeypatch):
    def refuse(*_a, **_kw):
        raise SamplerStartError("the sampler process did not start: testing")
    monkeypatch.setattr(hw.sampler, "SamplerProcess", refuse)
    s = Sampler(gpu_indices=(), hz=50.0)
    assert s.process is None
    s.start()
    time.sleep(0.1)
    _, host = s.drain()
    summary = s.stop()
    assert host and summary.host_peak_rss_bytes > 0
    assert any("polled in the run process" in q and "testing" in q for q in summary.quality)


def test_injected_fakes_poll_in_process():
    assert Sampler(gpu_indices=[0], hz=10.0, nvml_module=FakeNvml()).process is None
    assert Sampler(gpu_indices=(), hz=10.0, rapl_root="/nonexistent").process is None
    assert Sampler(gpu_indices=(), hz=10.0, in_process=True).process is None
