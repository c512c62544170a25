"""The sampler's own process: telemetry polled outside the run process, the way Zeus polls power.

Why: every NVML ctypes call and psutil call of a sampler *thread* drops and re-takes the run
process's GIL; a launch-bound run's main thread (which drops the GIL inside torch calls) then waits
for the sampler's Python work and the GPU queue drains (lenet b256 fp32 on an H200: 0.98x with a
10 Hz thread). In a child process that polling shares no GIL with the run.

The child (`multiprocessing` spawn context, hw/ modules only: no torch, no Qt; started in ~0.2 s)
drives the sampler's core (hw/sampler_core.py: the one polling loop) through its public interface,
for the run's pid, on the run's clock: `time.perf_counter` is CLOCK_MONOTONIC, one clock for every process on
Linux, and the run's `t0` is passed along. One pipe carries the run's commands to it, in order
(start, window marks with the run-clock time they were made, idle, stop): a stop cannot overtake a
pending end mark, so the final counter read is never lost. Another pipe carries back, from a sender
thread (so the polling never blocks on a run that drains late): ("ready", availability), each tick's
samples as soon as it is done, the idle baseline, and the final summary. The run process starts no
thread: it reads what has arrived when it drains. A dead child shows as end-of-file on that pipe.
"""
from __future__ import annotations

import contextlib
import multiprocessing as mp
import queue
import signal
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from hw.host import self_max_rss_bytes
from hw.samples import Availability, GpuSample, HostSample, IdleBaseline, WindowSummary
from hw.window import empty_summary

READY_TIMEOUT_S = 15.0  # start-up is ~0.2 s, but NVML's init can take seconds without persistence mode
STOP_TIMEOUT_S = 10.0  # as the thread's join: an NVML call that hangs must not hang the run
_SHARED_CLOCKS = ("CLOCK_MONOTONIC", "mach_absolute_time", "CLOCK_UPTIME_RAW", "QueryPerformanceCounter")
_HEAVY = ("torch", "PySide6", "numpy", "pyqtgraph")  # what the child must never load
_START_LOCK = threading.Lock()


class SamplerStartError(RuntimeError):
    """The sampler process could not be started; the message says why (shown as a quality note)."""


def shared_clock_problem() -> str | None:
    """None when time.perf_counter reads one clock in every process; else why not."""
    impl = time.get_clock_info("perf_counter").implementation
    if any(name in impl for name in _SHARED_CLOCKS):
        return None
    return f"time.perf_counter ({impl}) may not be shared between processes"


# ------------------------------------------------------------------------------- the child
def _child_main(commands: Any, results: Any, kwargs: dict) -> None:
    """Runs in the sampler process: the sampler's core, driven by the run's commands."""
    # Ctrl+C in a terminal reaches the whole process group: the run decides when sampling ends
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    outbox: queue.SimpleQueue = queue.SimpleQueue()

    def send_all() -> None:  # the only writer of `results`; a blocked write never stalls the loop
        while (msg := outbox.get()) is not None:
            try:
                results.send(msg)
            except OSError:  # the run process is gone
                return
    sender = threading.Thread(target=send_all, name="hw-sampler-send", daemon=True)
    sender.start()
    try:
        _serve_run(commands, outbox, kwargs)
    finally:
        outbox.put(None)
        sender.join(timeout=5.0)


def _serve_run(commands: Any, outbox: queue.SimpleQueue, kwargs: dict) -> None:
    from hw.sampler_core import SamplerCore
    try:
        core = SamplerCore(**kwargs)
    except Exception as exc:  # noqa: BLE001 - reported to the run, which polls in-process instead
        outbox.put(("failed", f"{type(exc).__name__}: {exc}"))
        return
    core.on_tick = lambda: _forward(core, outbox)  # each tick's samples leave as soon as taken
    outbox.put(("ready", core.availability, tuple(m for m in _HEAVY if m in sys.modules)))
    cpu0: float | None = None
    while True:
        try:
            what, arg = commands.recv()  # nothing to do between commands: no periodic wake-ups
        except (EOFError, OSError):  # the run process is gone: nobody to report to
            core.stop(core.now_s())
            return
        if what == "start":
            cpu0 = time.process_time()
            core.start(arg)
        elif what in ("mark_start", "mark_end"):
            core.mark(what.removeprefix("mark_"), arg)
        elif what == "idle":
            outbox.put(("idle", core.measure_idle(arg)))
        elif what == "stop":
            summary = core.stop(arg)
            _forward(core, outbox)
            if cpu0 is not None:  # the whole child's CPU while sampling (polling, forwarding, sending)
                summary = replace(summary, sampler_cpu_s=time.process_time() - cpu0)
            outbox.put(("summary", summary))
            return


def _forward(core: Any, outbox: queue.SimpleQueue) -> None:
    gpu, host = core.drain()
    if gpu or host:
        outbox.put(("samples", gpu, host))


# ------------------------------------------------------------------------------- the run's side
@contextlib.contextmanager
def _bare_start() -> Iterator[None]:
    """While the child starts: (1) hide __main__, which spawn would re-import in the child (the run's
    script with its torch or Qt imports; the child needs hw/ only); (2) lift a daemonic run process's
    flag (the GUI starts runs daemonic, and multiprocessing refuses children to daemons lest they be
    orphaned: this child ends by itself when the run's pipe closes)."""
    me = mp.current_process()
    with _START_LOCK:
        main, daemonic = sys.modules.get("__main__"), me.daemon
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            if daemonic:
                me.daemon = False
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main
            if daemonic:
                me.daemon = True


class SamplerProcess:
    """The run process's handle on the sampler process. Never raises after construction."""

    def __init__(self, kwargs: dict, buffer_max: int, ready_timeout_s: float = READY_TIMEOUT_S):
        ctx = mp.get_context("spawn")
        cmd_read, self._cmd = ctx.Pipe(duplex=False)
        self._res, res_write = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child_main, args=(cmd_read, res_write, kwargs),
                                 name="hw-sampler", daemon=True)
        self.gpu: deque[GpuSample] = deque(maxlen=buffer_max)
        self.host: deque[HostSample] = deque(maxlen=buffer_max)
        self.peak_rss_seen: int | None = None
        self.summary: WindowSummary | None = None
        self.dead: str | None = None  # why the child is gone before its summary
        self._idle: IdleBaseline | None = None
        self._ready: tuple | None = None
        self._closed = False
        try:
            with _bare_start():
                self._proc.start()
        except Exception as exc:  # noqa: BLE001 - e.g. no /dev/shm, fork refused
            self._cmd.close()
            self._res.close()
            raise SamplerStartError(f"the sampler process could not start ({type(exc).__name__}: {exc})") from exc
        finally:  # the child holds its own ends: ours would keep a dead child's pipe from reading EOF
            cmd_read.close()
            res_write.close()
        self._pump_until(lambda: self._ready is not None, ready_timeout_s)
        if self._ready is None or self._ready[0] != "ready":
            why = self._ready[1] if self._ready else (self.dead or f"not ready within {ready_timeout_s:g} s")
            self.close()
            raise SamplerStartError(f"the sampler process did not start: {why}")
        self.availability: tuple[Availability, ...] = self._ready[1]
        self.child_modules: tuple[str, ...] = self._ready[2]  # heavy modules the child loaded (none)
        self.pid = self._proc.pid

    def send(self, what: str, arg: Any = None) -> None:
        if self.dead is None and not self._closed:
            try:
                self._cmd.send((what, arg))
            except (OSError, ValueError) as exc:
                self._died(f"its pipe broke ({exc})")

    def drain(self) -> tuple[tuple[GpuSample, ...], tuple[HostSample, ...]]:
        """The samples that have arrived since the last drain."""
        self.pump()
        gpu, host = tuple(self.gpu), tuple(self.host)
        self.gpu.clear()
        self.host.clear()
        return gpu, host

    def pump(self, timeout_s: float = 0.0) -> bool:
        """Take in whatever has arrived; False once the child is gone."""
        if self.dead is not None or self._closed:
            return False
        try:
            if not self._res.poll(timeout_s):
                if not self._proc.is_alive() and not self._res.poll(0):
                    self._died("it exited")
                return self.dead is None
            while True:
                self._take(self._res.recv())
                if not self._res.poll(0):
                    return True
        except (EOFError, OSError) as exc:
            self._died("it exited" if isinstance(exc, EOFError) else f"its pipe broke ({exc})")
            return False

    def _take(self, msg: tuple) -> None:
        kind = msg[0]
        if kind == "samples":
            self.gpu.extend(msg[1])
            self.host.extend(msg[2])
            for h in msg[2]:
                if h.process_rss_bytes is not None:
                    self.peak_rss_seen = max(self.peak_rss_seen or 0, h.process_rss_bytes)
        elif kind in ("ready", "failed"):
            self._ready = msg
        elif kind == "idle":
            self._idle = msg[1]
        elif kind == "summary":
            self.summary = msg[1]

    def _pump_until(self, done: Any, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not done() and self.pump(min(0.05, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                return

    def _died(self, how: str) -> None:
        if self.dead is None:
            code = self._proc.exitcode
            self.dead = f"the sampler process ended unexpectedly ({how}" + (
                f", exit code {code})" if code is not None else ")")

    def measure_idle(self, seconds: float) -> IdleBaseline | None:
        self._idle = None
        self.send("idle", seconds)
        self._pump_until(lambda: self._idle is not None, seconds + STOP_TIMEOUT_S)
        return self._idle

    def stop(self, t_s: float) -> WindowSummary | None:
        """Asks for the final summary (after the last marks), then ends the child."""
        self.send("stop", t_s)
        self._pump_until(lambda: self.summary is not None, STOP_TIMEOUT_S)
        if self.summary is None and self.dead is None:
            self.dead = f"the sampler process sent no summary within {STOP_TIMEOUT_S:g} s (an NVML call hung)"
        self.close()
        return self.summary

    def finish(self, t_s: float, gpu_indices: tuple[int, ...], quality: list[str],
               own_rss: bool) -> WindowSummary:
        """stop() made whole: the run's quality notes first; the run process's own RSS high-water
        mark (own_rss: the sampled pid is this process), which only this process can read."""
        summary = self.stop(t_s)
        own = self_max_rss_bytes() if own_rss else None
        if summary is None:  # died or hung: the samples that arrived stand, the window's figures do not
            peak = max(self.peak_rss_seen or 0, own or 0) or None
            return empty_summary(gpu_indices, f"{self.dead} before t = {t_s:.1f} s", peak, quality + [
                f"{self.dead}; telemetry stopped there and the window's energy and power are unavailable"])
        if own is not None and summary.host_peak_rss_bytes is not None:
            summary = replace(summary, host_peak_rss_bytes=max(summary.host_peak_rss_bytes, own))
        return replace(summary, quality=quality + list(summary.quality))

    def close(self) -> None:
        """stop -> join(timeout) -> terminate -> kill: no child outlives the run's sampler."""
        if self._closed:
            return
        self._closed = True
        proc = self._proc
        if proc.pid is not None:
            proc.join(timeout=2.0)
            for end in (proc.terminate, proc.kill):
                if proc.exitcode is not None:
                    break
                end()
                proc.join(timeout=1.0)
        for conn in (self._cmd, self._res):
            conn.close()
        if proc.exitcode is not None:
            proc.close()

