"""Attribute a profiled window's time to the spec's layers, forward and backward apart, and to what
belongs to no layer (loss, optimizer, data, idle). Works on torch.profiler's event list; imports
no torch itself, so it can be tested on hand-made events.

Forward: an operator inside a layer's range (engine.profile.instrument) is that layer's. Backward:
autograd gives each backward node the sequence number of the forward operator that created it, so
a backward node whose number was seen inside a layer's range is that layer's backward; a weight's
gradient accumulation (no number of its own) goes with the backward node just before it.
Time: on a GPU each kernel's duration, charged to the operator that launched it, and idle is the
window's wall time the kernels leave uncovered (gaps: launch and host overhead); on a CPU each
operator's self time, and idle is the wall time no operator accounts for (Python and dispatch).
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from engine.profile.instrument import DATA_RANGE, LAYER_PREFIX, STEP_RANGE, WINDOW_RANGE

EVALUATE = "autograd::engine::evaluate_function: "
OPTIMIZER = "Optimizer."  # torch.optim's own ranges: Optimizer.step#SGD.step, Optimizer.zero_grad#...
OUTLIER = 1.25  # a step taking longer than this x the median step is left out (the machine was busy)
LOSS = "loss"  # the owner of forward operators outside every layer range (the loss, the gradient seed)


@dataclass
class Attribution:
    """Seconds per step."""
    steps: int
    wall_s: float  # the profiled step, wall clock
    forward_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    backward_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    kernels: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # per layer, per step
    optimizer_s: float = 0.0
    loss_s: float = 0.0
    data_s: float = 0.0
    idle_s: float = 0.0  # within the profiled step
    busy_s: float = 0.0  # GPU: time some kernel ran; CPU: attributed operator time
    attributed_s: float = 0.0  # the sum of what was charged to layers, loss, optimizer and data
    dropped_steps: int = 0  # steps left out as outliers
    device_s: float | None = None  # GPU: every kernel of the window, attributed or not (a check on the attribution)


def _is_cpu(e: Any) -> bool:
    return str(getattr(e, "device_type", "CPU")).endswith("CPU")


def attribute(events: list[Any], on_gpu: bool, steps: int, wall_s: float | None = None) -> Attribution:
    """events: FunctionEvent-like objects (name, sequence_nr, thread, cpu_parent, time_range with
    start/end in µs, self_cpu_time_total, kernels with duration in µs, device_type). wall_s: the
    window's wall time measured around it (default: the window range's own span).

    With a STEP_RANGE around each step, a step whose attributed time is over OUTLIER x the median
    step's (another process took the CPU meanwhile) is left out and the rest averaged; on a CPU the
    step's wall time is then the kept steps' own."""
    cpu = [e for e in events if _is_cpu(e)]
    window = next((e for e in cpu if e.name == WINDOW_RANGE), None)
    if window is None:
        raise ValueError(f"no {WINDOW_RANGE} range among the profiler's events")
    w0, w1 = window.time_range.start, window.time_range.end
    marks = sorted((e for e in cpu if e.name == STEP_RANGE and w0 <= e.time_range.start <= w1),
                   key=lambda e: e.time_range.start)
    inside = sorted((e for e in cpu if e is not window and e.name != STEP_RANGE and w0 <= e.time_range.start <= w1),
                    key=lambda e: e.time_range.start)
    chains = {id(e): _chain(e) for e in inside}

    owner: dict[int, str] = {}  # forward sequence number -> layer id (or LOSS)
    for e in inside:
        seq = getattr(e, "sequence_nr", -1)
        kind, name = chains[id(e)]
        if seq is not None and seq >= 0 and kind in ("fwd", None):
            owner.setdefault(seq, name if kind == "fwd" else LOSS)

    starts = [m.time_range.start for m in marks]
    charges: list[tuple[int, str, str, float, int]] = []  # (step, part, layer, seconds, kernels)
    last_backward: dict[Any, str] = {}  # thread -> the layer whose backward ran last there
    for e in inside:
        kind, name = chains[id(e)]
        layer = ""
        if kind == "bwd":
            node = name  # the evaluate_function event
            seq = getattr(node, "sequence_nr", -1)
            if seq is not None and seq >= 0:
                layer = owner.get(seq, LOSS)
            else:  # AccumulateGrad and the like: with the backward that produced the gradient
                layer = last_backward.get(node.thread, LOSS)
            if layer != LOSS:
                last_backward[node.thread] = layer
            if node is e:
                continue  # the range itself holds no time of its own worth charging twice
        seconds, count = _time_of(e, on_gpu)
        if not seconds and not count:
            continue
        step = max(0, bisect_right(starts, e.time_range.start) - 1)
        if kind == "fwd":
            charges.append((step, "forward", name, seconds, count))
        elif kind == "bwd":
            charges.append((step, "loss" if layer == LOSS else "backward", layer, seconds, count))
        else:
            charges.append((step, kind if kind in ("optimizer", "data") else "loss", "", seconds, count))

    n_marked = len(marks) or 1
    totals = [0.0] * n_marked
    for step, _, _, seconds, _ in charges:
        totals[step] += seconds
    median = sorted(totals)[(n_marked - 1) // 2]
    kept = {i for i, t in enumerate(totals) if t <= OUTLIER * median} or set(range(n_marked))
    per = len(kept) * (max(steps, 1) // n_marked if not marks else 1)  # steps the kept charges cover
    window_s = wall_s if wall_s is not None else (w1 - w0) / 1e6
    out = Attribution(steps=steps, wall_s=window_s / max(steps, 1), dropped_steps=n_marked - len(kept) if marks else 0)
    if marks and not on_gpu:  # the kept steps' own wall time (a GPU step's runs on after its host range)
        out.wall_s = sum(marks[i].time_range.end - marks[i].time_range.start for i in kept) / 1e6 / len(kept)
    for step, part, layer, seconds, count in charges:
        if step not in kept:
            continue
        if part == "forward":
            out.forward_s[layer] += seconds / per
            out.kernels[layer] += count
        elif part == "backward":
            out.backward_s[layer] += seconds / per
            out.kernels[layer] += count
        else:
            setattr(out, f"{part}_s", getattr(out, f"{part}_s") + seconds / per)
    for key in out.kernels:
        out.kernels[key] = round(out.kernels[key] / per)
    out.attributed_s = out.busy_s = (sum(out.forward_s.values()) + sum(out.backward_s.values()) + out.optimizer_s
                                     + out.loss_s + out.data_s)
    if on_gpu:
        spans = _device_spans(events, w0)
        n = max(steps, 1)
        if spans:  # the union of kernel intervals: overlapping kernels count once
            out.device_s = sum(t - s for s, t in spans) / 1e6 / n
            out.busy_s = _union_us(spans) / 1e6 / n
    out.idle_s = max(0.0, out.wall_s - out.busy_s)
    return out


def _chain(e: Any) -> tuple[str | None, Any]:
    """What an event belongs to, from its innermost enclosing range: ("fwd", layer id), ("bwd",
    the evaluate_function event), ("optimizer", None), ("data", None), or (None, None)."""
    cur = e
    while cur is not None:
        name = cur.name
        if name.startswith(LAYER_PREFIX):
            return "fwd", name[len(LAYER_PREFIX):]
        if name.startswith(EVALUATE):
            return "bwd", cur
        if name.startswith(OPTIMIZER):
            return "optimizer", None
        if name == DATA_RANGE:
            return "data", None
        cur = cur.cpu_parent
    return None, None


def _time_of(e: Any, on_gpu: bool) -> tuple[float, int]:
    """(seconds, kernels or operators) charged to this event itself."""
    if on_gpu:
        kernels = getattr(e, "kernels", ()) or ()
        return sum(k.duration for k in kernels) / 1e6, len(kernels)
    top_level = e.name.startswith("aten::") and not (e.cpu_parent is not None and
                                                     e.cpu_parent.name.startswith("aten::"))
    return e.self_cpu_time_total / 1e6, int(top_level)


def _device_spans(events: list[Any], w0: float) -> list[tuple[float, float]]:
    """(start, end) in µs of every device event (kernel, copy, set) from the window on, sorted;
    the ranges' own device-side marks are left out."""
    return sorted((e.time_range.start, e.time_range.end) for e in events
                  if not _is_cpu(e) and w0 <= e.time_range.start and not getattr(e, "is_user_annotation", False)
                  and not e.name.startswith(("tl:", OPTIMIZER)))


def _union_us(spans: list[tuple[float, float]]) -> float:
    """µs covered by at least one span."""
    busy, (start, end) = 0.0, spans[0]
    for s, t in spans[1:]:
        if s > end:
            busy += end - start
            start, end = s, t
        else:
            end = max(end, t)
    return busy + end - start
