"""The run's telemetry handle starts and stops the contention monitor at the timed window's ends,
and asks NVML which processes share the run's GPU."""
from __future__ import annotations

from types import SimpleNamespace

from engine.results.series import SeriesRecorder
from engine.run import telemetry as telemetry_mod
from engine.run.telemetry import Telemetry, gpu_process_pids
from tests.hw.fake_nvml import FakeGpu, FakeNvml


class FakeMonitor:
    def __init__(self):
        self.calls = []

    def start(self):
        self.calls.append("start")

    def stop(self, gpu_pids=None):
        self.calls.append(("stop", gpu_pids))
        return SimpleNamespace(disturbed=True, warnings=["machine busy"])


def test_window_ends_start_and_stop_the_monitor_once(monkeypatch):
    t = Telemetry([], 0, SeriesRecorder())
    t._monitor = FakeMonitor()
    t.mark_window_end()  # before the window: nothing to report
    assert t.contention is None and t._monitor.calls == []
    t.mark_window_start()
    t.mark_window_end()
    t.mark_window_end()  # the run loop ends the window twice on some paths
    assert t._monitor.calls == ["start", ("stop", None)]
    assert t.contention.warnings == ["machine busy"]
    t.stop()


def test_a_gpu_run_passes_the_processes_on_its_gpu(monkeypatch):
    monkeypatch.setattr(telemetry_mod, "gpu_process_pids", lambda index: {4242})
    t = Telemetry([0], 0, SeriesRecorder())
    t._monitor = FakeMonitor()
    t.mark_window_start()
    t.mark_window_end()
    assert t._monitor.calls[-1] == ("stop", {4242})
    t.stop()


def test_gpu_process_pids_reads_nvml_and_says_none_when_it_cannot(monkeypatch):
    import os
    nvml = FakeNvml([FakeGpu()])
    procs = [SimpleNamespace(pid=os.getpid()), SimpleNamespace(pid=99999)]
    nvml.nvmlDeviceGetComputeRunningProcesses = lambda handle: procs
    nvml.nvmlDeviceGetGraphicsRunningProcesses = lambda handle: []
    assert gpu_process_pids(0, nvml) == {os.getpid(), 99999}
    # in a container NVML lists host pids: the run is one of them and is not counted as another
    procs[0] = SimpleNamespace(pid=1)
    assert gpu_process_pids(0, nvml) == {99999}
    assert gpu_process_pids(0, FakeNvml([FakeGpu()], init_error=1)) is None
