"""Host metrics with psutil: machine CPU utilisation, the run process's RSS (children included),
system memory. psutil is imported lazily so that importing hw/ loads nothing heavy."""
from __future__ import annotations

import os
import sys
import time
from typing import Any

from hw.samples import Availability, HostSample

_CHILDREN_EVERY_S = 2.0  # listing children scans /proc: too dear for every tick


def _total(times: Any) -> float:
    # Linux counts guest time inside user time as well: leave it out so it is not counted twice
    return sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)


class HostReader:
    def __init__(self, pid: int | None = None):
        self.pid = os.getpid() if pid is None else pid
        self.reasons: dict[str, str] = {}
        self._psutil: Any = None
        self._proc: Any = None
        self._children: list[Any] = []
        self._children_at = -1e9
        self._cpu_last: Any = None
        self.peak_rss_bytes: int | None = None
        try:
            import psutil
        except ImportError:
            for key in ("cpu_util", "process_rss", "system_mem"):
                self.reasons[key] = "psutil is not installed"
            return
        self._psutil = psutil
        try:
            self._proc = psutil.Process(self.pid)
        except (psutil.Error, OSError) as exc:
            self.reasons["process_rss"] = f"process {self.pid} cannot be read ({exc})"
        self._cpu_times()  # prime: utilisation is a difference between two readings

    def availability(self) -> tuple[Availability, ...]:
        return tuple(Availability(f"host.{k}", k not in self.reasons, self.reasons.get(k))
                     for k in ("cpu_util", "process_rss", "system_mem"))

    def _cpu_times(self) -> float | None:
        """Machine CPU busy % since the previous call, from our own cpu_times deltas (psutil's
        cpu_percent keeps one global state that any other caller in the process would disturb)."""
        if self._psutil is None or "cpu_util" in self.reasons:
            return None
        try:
            now = self._psutil.cpu_times()
        except (self._psutil.Error, OSError) as exc:
            self.reasons["cpu_util"] = f"cpu times unreadable ({exc})"
            return None
        last, self._cpu_last = self._cpu_last, now
        if last is None:
            return None
        idle = (now.idle + getattr(now, "iowait", 0.0)) - (last.idle + getattr(last, "iowait", 0.0))
        total = _total(now) - _total(last)
        if total <= 0:
            return None
        return max(0.0, min(100.0, 100.0 * (1.0 - idle / total)))

    def _rss(self) -> int | None:
        if self._proc is None:
            return None
        ps = self._psutil
        try:
            rss = self._proc.memory_info().rss
        except (ps.Error, OSError) as exc:
            self.reasons.setdefault("process_rss", f"process {self.pid} cannot be read ({exc})")
            self._proc = None
            return None
        mono = time.monotonic()
        if mono - self._children_at >= _CHILDREN_EVERY_S:
            self._children_at = mono
            try:
                self._children = self._proc.children(recursive=True)
            except (ps.Error, OSError):
                self._children = []
        for child in list(self._children):
            try:
                rss += child.memory_info().rss
            except (ps.Error, OSError):  # exited since it was listed
                self._children.remove(child)
        return rss

    def sample(self, t_s: float) -> HostSample:
        util = self._cpu_times()
        rss = self._rss()
        used = total = None
        if self._psutil is not None and "system_mem" not in self.reasons:
            try:
                vm = self._psutil.virtual_memory()
                used, total = int(vm.total - vm.available), int(vm.total)
            except (self._psutil.Error, OSError) as exc:
                self.reasons["system_mem"] = f"memory info unreadable ({exc})"
        if rss is not None:
            self.peak_rss_bytes = max(rss, self.peak_rss_bytes or 0)
        return HostSample(t_s=t_s, cpu_util_pct=util, process_rss_bytes=rss,
                          system_mem_used_bytes=used, system_mem_total_bytes=total)

    def peak_rss(self) -> int | None:
        """Peak RSS: the sampled peak (children included), or the kernel's own high-water mark of
        this process when that is higher (a 10 Hz sampler can miss a short spike)."""
        peak = self.peak_rss_bytes
        maxrss = self_max_rss_bytes() if self.pid == os.getpid() and self._proc is not None else None
        return peak if maxrss is None else max(peak or 0, maxrss)


def self_max_rss_bytes() -> int | None:
    """The kernel's high-water mark of this process's RSS (None off Unix). The sampler process adds
    it for the run process, whose own counter it cannot read."""
    try:
        import resource  # Unix only
    except ImportError:
        return None
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss * (1 if sys.platform == "darwin" else 1024)  # bytes on macOS, KiB on Linux
