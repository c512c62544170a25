"""The model wrapped in DistributedDataParallel with the run's DDP knobs, and the time its gradient
all-reduces take (imports torch).

    wrapped = wrap_ddp(model, config, device, timer)      DDP with bucket size, views, static graph,
                                                           and a comm hook (bf16/fp16 compression or plain)
    timer.share()                                          all-reduce share of the timed window

The communication hook is DDP's own (torch.distributed.algorithms.ddp_comm_hooks.default_hooks);
CommTimer wraps it to stamp when each bucket's all-reduce is launched and when its future completes:
CUDA events on a GPU (the future's callback runs on a stream that waits for the collective), the
host clock on the CPU (gloo completes the future on its own thread). The share is the union of
those spans over the timed window: the part of the window during which a gradient all-reduce was
in flight, overlapped with the backward pass or not.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import torch

METHOD = "DDP comm hook: launch to completion of each bucket's all-reduce, union over the timed window"


class CommTimer:
    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"
        self.active = False
        self.spans: list[tuple[Any, Any]] = []
        self._lock = threading.Lock()
        self._window: tuple[Any, Any] | None = None
        self._start: Any = None

    def window_start(self) -> None:
        if self.cuda:
            self._start = torch.cuda.Event(enable_timing=True)
            self._start.record()
        else:
            self._start = time.perf_counter()
        with self._lock:
            self.spans.clear()
        self.active = True

    def window_end(self) -> None:
        """Call after the device has synchronised (every step done)."""
        if not self.active:
            return
        self.active = False
        if self.cuda:
            end = torch.cuda.Event(enable_timing=True)
            end.record()
            end.synchronize()
        else:
            end = time.perf_counter()
        self._window = (self._start, end)

    def hook(self, inner: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        """A comm hook that runs `inner` (a default_hooks hook taking (process_group, bucket)) and times it."""
        def timed(state, bucket):  # noqa: ANN001, ANN202 - DDP checks a hook's annotations: none or its own
            if not self.active:
                return inner(state, bucket)
            if self.cuda:
                start: Any = torch.cuda.Event(enable_timing=True)
                start.record()
            else:
                start = time.perf_counter()
            fut = inner(state, bucket)

            def done(f):  # noqa: ANN001, ANN202
                if self.cuda:
                    end: Any = torch.cuda.Event(enable_timing=True)
                    end.record()
                else:
                    end = time.perf_counter()
                with self._lock:
                    self.spans.append((start, end))
                return f.value()
            return fut.then(done)
        return timed

    def share(self) -> float | None:
        """Share of the timed window with an all-reduce in flight (None before a window closed)."""
        if self._window is None:
            return None
        w0, w1 = self._window
        with self._lock:
            spans = list(self.spans)
        if self.cuda:
            length = w0.elapsed_time(w1) / 1e3
            intervals = [(w0.elapsed_time(a) / 1e3, w0.elapsed_time(b) / 1e3) for a, b in spans]
        else:
            length = w1 - w0
            intervals = [(a - w0, b - w0) for a, b in spans]
        if length <= 0:
            return None
        return min(1.0, union_s(intervals, 0.0, length) / length)


def union_s(intervals: list[tuple[float, float]], lo: float, hi: float) -> float:
    """Total length of the union of intervals, clipped to [lo, hi]."""
    total, end = 0.0, lo
    for a, b in sorted(intervals):
        a, b = max(a, end), min(b, hi)
        if b > a:
            total += b - a
            end = b
    return total


def wrap_ddp(model: torch.nn.Module, config: Any, device: torch.device, timer: CommTimer) -> torch.nn.Module:
    from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
    from torch.nn.parallel import DistributedDataParallel as DDP

    ddp = DDP(model, device_ids=[device.index] if device.type == "cuda" else None,
              bucket_cap_mb=config.bucket_cap_mb, gradient_as_bucket_view=config.gradient_as_bucket_view,
              static_graph=config.static_graph)
    inner = {"bf16": default_hooks.bf16_compress_hook, "fp16": default_hooks.fp16_compress_hook}.get(
        config.ddp_compress or "", default_hooks.allreduce_hook)
    ddp.register_comm_hook(None, timer.hook(inner))
    return ddp
