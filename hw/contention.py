"""What else used the machine during a measured window: other processes' CPU time, CPU steal by the
hypervisor, load, memory pressure, and other processes on the run's GPU. Torch-free, Qt-free; psutil
is imported lazily. Read at the window's two ends only (listing processes costs milliseconds).

    monitor = ContentionMonitor(run_pid)      # the run process: it and its children are "ours"
    monitor.start()                           # window start
    report = monitor.stop(gpu_pids=...)       # window end -> ContentionReport with sentences

A report's `warnings` are sentences that say what was seen, for the result's quality list.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

BUSY_SHARE_OF_CORES = 0.25  # others using a quarter of the cores (or half a core) disturb a window
BUSY_MIN_CORES = 0.5
STEAL_SHARE = 0.05
LOW_MEMORY_SHARE = 0.10


@dataclass
class ContentionReport:
    window_s: float
    cores: int | None = None
    other_cpu_cores: float | None = None  # average cores used by processes outside the run
    busiest: list[tuple[str, float]] = field(default_factory=list)  # (process name, cores), top 3
    steal_share: float | None = None
    load_1m: float | None = None
    mem_available_share: float | None = None
    gpu_other_processes: int | None = None
    unavailable: dict[str, str] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        out = []
        if self.other_cpu_cores is not None and self.cores:
            if self.other_cpu_cores >= max(BUSY_MIN_CORES, BUSY_SHARE_OF_CORES * self.cores):
                who = ", ".join(f"{name} {cores:.1f}" for name, cores in self.busiest)
                out.append(f"machine busy: other processes used {self.other_cpu_cores:.1f} of {self.cores} cores "
                           f"during the window" + (f" ({who})" if who else ""))
        if self.steal_share is not None and self.steal_share >= STEAL_SHARE:
            out.append(f"CPU steal: the hypervisor gave {self.steal_share:.0%} of this VM's CPU time to other "
                       f"machines during the window")
        if self.mem_available_share is not None and self.mem_available_share < LOW_MEMORY_SHARE:
            out.append(f"memory pressure: only {self.mem_available_share:.0%} of memory was available")
        if self.gpu_other_processes:
            out.append(f"GPU shared: {self.gpu_other_processes} other process(es) used the run's GPU")
        return out

    @property
    def disturbed(self) -> bool:
        return bool(self.warnings)

    def to_json_dict(self) -> dict[str, Any]:
        return {"window_s": self.window_s, "cores": self.cores, "other_cpu_cores": self.other_cpu_cores,
                "busiest": [list(b) for b in self.busiest], "steal_share": self.steal_share,
                "load_1m": self.load_1m, "mem_available_share": self.mem_available_share,
                "gpu_other_processes": self.gpu_other_processes, "disturbed": self.disturbed,
                "unavailable": self.unavailable}


def _busy_s(times: Any) -> float:
    return float(times.user + times.system)


class ContentionMonitor:
    def __init__(self, run_pid: int | None = None, psutil_module: Any = None, clock=time.monotonic):
        self.run_pid = os.getpid() if run_pid is None else run_pid
        self.clock = clock
        self.reasons: dict[str, str] = {}
        self._ps = psutil_module
        if self._ps is None:
            try:
                import psutil
                self._ps = psutil
            except ImportError:
                self.reasons["cpu"] = "psutil is not installed"
        self._t0: float | None = None
        self._procs0: dict[int, tuple[str, float]] = {}
        self._cpu0: Any = None

    def _ours(self) -> set[int]:
        ps = self._ps
        try:
            proc = ps.Process(self.run_pid)
            return {self.run_pid, *(c.pid for c in proc.children(recursive=True))}
        except (ps.Error, OSError):
            return {self.run_pid}

    def _processes(self) -> dict[int, tuple[str, float]]:
        ps = self._ps
        ours = self._ours()
        out = {}
        for proc in ps.process_iter(["name", "cpu_times"]):
            if proc.pid in ours or proc.info.get("cpu_times") is None:
                continue  # another user's process: its times are hidden, and so left out
            out[proc.pid] = (proc.info.get("name") or str(proc.pid), _busy_s(proc.info["cpu_times"]))
        return out

    def start(self) -> None:
        self._t0 = self.clock()
        if self._ps is None:
            return
        try:
            self._procs0 = self._processes()
            self._cpu0 = self._ps.cpu_times()
        except (self._ps.Error, OSError) as exc:
            self.reasons["cpu"] = f"process list unreadable ({exc})"

    def stop(self, gpu_pids: set[int] | None = None) -> ContentionReport:
        """The report for the window since start(). `gpu_pids`: processes NVML lists on the run's GPU."""
        window = self.clock() - self._t0 if self._t0 is not None else 0.0
        report = ContentionReport(window, unavailable=dict(self.reasons))
        if gpu_pids is not None:
            report.gpu_other_processes = len(set(gpu_pids) - self._ours()) if self._ps else None
        if self._ps is None or "cpu" in self.reasons or window <= 0:
            report.unavailable.setdefault("cpu", "no window measured")
            return report
        ps = self._ps
        try:
            procs1 = self._processes()
            cpu1 = ps.cpu_times()
            report.cores = ps.cpu_count()
            report.mem_available_share = ps.virtual_memory().available / ps.virtual_memory().total
            report.load_1m = ps.getloadavg()[0] if hasattr(ps, "getloadavg") else None
        except (ps.Error, OSError) as exc:
            report.unavailable["cpu"] = f"process list unreadable ({exc})"
            return report
        used: dict[str, float] = {}
        for pid, (name, busy1) in procs1.items():
            busy0 = self._procs0.get(pid, (name, 0.0))[1]  # a process born in the window counts whole
            delta = max(busy1 - busy0, 0.0)
            if delta > 0:
                used[name] = used.get(name, 0.0) + delta
        report.other_cpu_cores = sum(used.values()) / window
        report.busiest = [(name, s / window) for name, s in sorted(used.items(), key=lambda kv: -kv[1])[:3]
                          if s / window >= 0.1]
        total = sum(cpu1) - sum(self._cpu0)
        steal = getattr(cpu1, "steal", None)
        if steal is not None and total > 0:
            report.steal_share = max(steal - self._cpu0.steal, 0.0) / total
        else:
            report.unavailable["steal"] = "this system does not report steal time"
        return report
