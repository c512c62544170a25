"""What torch.compile did during a compiled run: graphs made, graph breaks, recompiles and seconds spent
compiling, and whether any of it happened inside the timed window (then its time was measured).

Taken from dynamo's compile callbacks (start and end of each compilation, the lazy backward and
Triton autotuning included) and its counters; both are process-wide, so the watch reads differences
and its callbacks are removed when it ends.

    with CompileWatch() as watch:
        ...warm-up...
        watch.mark_window()
        ...timed steps...
    watch.facts()  ->  {"graphs", "graph_breaks", "recompiles", "compile_s", "in_window"}
"""
from __future__ import annotations

import re
import time
from typing import Any

_ATTEMPT = re.compile(r"(\d+)/(\d+)")  # compile id "frame/attempt": attempt > 0 is a recompile


class CompileWatch:
    def __init__(self) -> None:
        self.spans: list[tuple[str, float]] = []  # (compile id, seconds) per compilation
        self._window_at: int | None = None
        self._t0 = 0.0
        self._id = ""

    def __enter__(self) -> CompileWatch:
        from torch._dynamo.callback import callback_handler
        from torch._dynamo.utils import counters
        self._counters = counters
        self._breaks0, self._graphs0 = self._counts()
        self._handler = callback_handler
        self._start = callback_handler.register_start_callback(self._on_start)
        self._end = callback_handler.register_end_callback(self._on_end)
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._handler.remove_start_callback(self._start)
        self._handler.remove_end_callback(self._end)
        self._breaks1, self._graphs1 = self._counts()

    def _counts(self) -> tuple[int, int]:
        return sum(self._counters["graph_break"].values()), self._counters["stats"]["unique_graphs"]

    def _on_start(self, *args: Any) -> None:
        self._t0 = time.perf_counter()
        self._id = str(getattr(args[0], "compile_id", "") or "") if args else ""

    def _on_end(self, *_args: Any) -> None:
        self.spans.append((self._id, time.perf_counter() - self._t0))

    def mark_window(self) -> None:
        """The timed window starts now: compilations after this were measured."""
        self._window_at = len(self.spans)

    def facts(self) -> dict[str, Any]:
        recompiles = sum(1 for cid, _ in self.spans if (m := _ATTEMPT.search(cid)) and int(m.group(2)) > 0)
        breaks1, graphs1 = getattr(self, "_breaks1", None), getattr(self, "_graphs1", None)
        if breaks1 is None:  # still inside the watch
            breaks1, graphs1 = self._counts()
        return {"graphs": graphs1 - self._graphs0, "graph_breaks": breaks1 - self._breaks0,
                "recompiles": recompiles, "compile_s": sum(s for _, s in self.spans),
                "in_window": len(self.spans) - self._window_at if self._window_at is not None else 0}
