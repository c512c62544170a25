"""ContentionMonitor on a faked psutil (deterministic) and on the real one (structure only)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from hw.contention import ContentionMonitor, ContentionReport


class FakeProc:
    def __init__(self, pid, name, busy_s):
        self.pid = pid
        self.info = {"name": name, "cpu_times": SimpleNamespace(user=busy_s, system=0.0)}


class FakePsutil:
    Error = OSError

    def __init__(self):
        self.procs = {}
        self.cpu = SimpleNamespace(user=0.0, system=0.0, idle=0.0, steal=0.0)

    def set(self, procs, cpu):
        self.procs, self.cpu = procs, cpu

    def process_iter(self, attrs):
        return [FakeProc(pid, name, busy) for pid, (name, busy) in self.procs.items()]

    def cpu_times(self):
        return self.cpu

    def Process(self, pid):  # noqa: N802 - psutil's name
        return SimpleNamespace(children=lambda recursive: [SimpleNamespace(pid=101)])

    def cpu_count(self):
        return 2

    def virtual_memory(self):
        return SimpleNamespace(available=1.0, total=20.0)

    def getloadavg(self):
        return (3.5, 2.0, 1.0)


class Cpu(tuple):
    """cpu_times(): a named tuple whose sum is the total CPU time."""
    def __new__(cls, user, system, idle, steal):
        obj = super().__new__(cls, (user, system, idle, steal))
        obj.user, obj.system, obj.idle, obj.steal = user, system, idle, steal
        return obj


def test_a_hog_beside_the_run_is_named_and_the_run_itself_is_not_counted():
    ps, t = FakePsutil(), [0.0]
    ps.set({100: ("run", 0.0), 101: ("sampler", 0.0), 7: ("hog", 10.0), 8: ("idle-daemon", 1.0)},
           Cpu(0, 0, 0, 0))
    mon = ContentionMonitor(run_pid=100, psutil_module=ps, clock=lambda: t[0])
    mon.start()
    t[0] = 10.0
    ps.set({100: ("run", 9.0), 101: ("sampler", 1.0), 7: ("hog", 28.0), 8: ("idle-daemon", 1.05), 9: ("new", 2.0)},
           Cpu(20, 5, 0, 2.5))
    report = mon.stop(gpu_pids={100, 555})
    assert report.other_cpu_cores == pytest.approx((18 + 0.05 + 2) / 10)
    assert report.busiest[0] == ("hog", pytest.approx(1.8))
    assert report.steal_share == pytest.approx(2.5 / 27.5)  # of all CPU time in the window
    assert report.mem_available_share == pytest.approx(0.05) and report.gpu_other_processes == 1
    text = " | ".join(report.warnings)
    assert "machine busy: other processes used 2.0 of 2 cores during the window (hog 1.8, new 0.2)" in text
    assert "CPU steal" in text and "memory pressure" in text and "GPU shared: 1 other" in text
    assert report.disturbed and report.to_json_dict()["disturbed"] is True


def test_a_quiet_window_has_no_warnings():
    report = ContentionReport(window_s=10, cores=2, other_cpu_cores=0.1, steal_share=0.0,
                              mem_available_share=0.8, gpu_other_processes=0)
    assert report.warnings == [] and not report.disturbed


def test_without_psutil_the_report_says_why():
    mon = ContentionMonitor(run_pid=1, psutil_module=None)
    mon._ps, mon.reasons = None, {"cpu": "psutil is not installed"}
    mon.start()
    report = mon.stop()
    assert report.other_cpu_cores is None and report.unavailable["cpu"] == "psutil is not installed"


def test_real_psutil_fills_the_report():
    import time

    import psutil
    mon = ContentionMonitor()
    mon.start()
    time.sleep(0.2)
    report = mon.stop()
    assert report.cores == psutil.cpu_count() and report.other_cpu_cores >= 0
    assert 0 < report.mem_available_share <= 1
