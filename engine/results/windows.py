"""A run's timed window cut into consecutive measuring windows (1 s each, or an equal number of steps
for a short run), each with its throughput, step-time p50 and energy per sample; the median and 95 %
interval over them; the stability test that ends a run in stability mode. Torch-free.

The run loop records, besides every step's time, `checkpoints` (timed seconds, run-clock time, the
run process's CPU seconds net of evaluation pauses) a few times a second and the `pauses` (run-clock
start and end of each held-out evaluation); telemetry is on the run clock. Window boundaries are
found on the timed clock (the sum of step times), and mapped onto the run clock through the
checkpoints, so telemetry read during a pause never lands in a window.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.results.stats import median_interval

WINDOW_S = 1.0
MIN_TIME_WINDOWS = 5  # a shorter run is cut into STEP_WINDOWS windows of equal step count instead
STEP_WINDOWS = 10
UNSTABLE_WIDTH = 0.20  # an interval wider than this share of its median: the windows disagree


@dataclass
class Windows:
    bounds: list[tuple[int, int]]  # [first step, end step) of each window
    throughput_sps: list[float] = field(default_factory=list)
    step_time_p50_s: list[float] = field(default_factory=list)
    energy_per_sample_j: list[float] = field(default_factory=list)
    energy_method: str | None = None
    by: str = "time"  # "time" (WINDOW_S each) or "steps" (a short run)

    def intervals(self) -> dict[str, dict[str, float | int] | None]:
        out: dict[str, dict[str, float | int] | None] = {}
        for key, values in (("throughput_sps", self.throughput_sps), ("step_time_s", self.step_time_p50_s),
                            ("energy_per_sample_j", self.energy_per_sample_j)):
            iv = median_interval(values) if values else None
            out[key] = iv.to_json_dict() if iv is not None else None
        return out


def split_steps(step_times_s: Sequence[float], window_s: float = WINDOW_S) -> tuple[list[tuple[int, int]], str]:
    """Window bounds over the steps: consecutive WINDOW_S spans of timed time (the last partial one
    joins its neighbour), or, when that gives fewer than MIN_TIME_WINDOWS, STEP_WINDOWS equal step counts."""
    n = len(step_times_s)
    bounds, start, acc = [], 0, 0.0
    for i, dt in enumerate(step_times_s):
        acc += dt
        if acc >= window_s - 1e-9:  # float sums of step times fall a hair short
            bounds.append((start, i + 1))
            start, acc = i + 1, 0.0
    if start < n:
        if bounds and acc < window_s / 2:
            bounds[-1] = (bounds[-1][0], n)
        else:
            bounds.append((start, n))
    if len(bounds) >= MIN_TIME_WINDOWS:
        return bounds, "time"
    k = min(STEP_WINDOWS, n)
    if k < 2:
        return ([(0, n)] if n else []), "steps"
    edges = [round(i * n / k) for i in range(k + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a], "steps"


def interp_at(xs: Sequence[float], ys: Sequence[float | None], x: float) -> float | None:
    """Linear interpolation of a cumulative reading at x (None outside the readings)."""
    pts = [(a, b) for a, b in zip(xs, ys, strict=True) if b is not None]
    if len(pts) < 2 or x < pts[0][0] - 1e-9 or x > pts[-1][0] + 1e-9:
        return None
    i = min(max(bisect_left([p[0] for p in pts], x), 1), len(pts) - 1)
    (x0, y0), (x1, y1) = pts[i - 1], pts[i]
    return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _to_run(timed: Sequence[float], run_t: Sequence[float], x: float, start: bool) -> float | None:
    """The run-clock instant of timed time x. At a pause the timed clock stands still while the run
    clock moves on: a window's start maps to the pause's end, its end to the pause's start."""
    if len(timed) < 2 or x < timed[0] - 1e-9 or x > timed[-1] + 1e-6:
        return None
    x = min(max(x, timed[0]), timed[-1])
    i = (bisect_right(timed, x) - 1) if start else bisect_left(timed, x)
    if start and i == len(timed) - 1 or not start and i == 0:
        return run_t[i]
    j, k = (i, i + 1) if start else (i - 1, i)
    span = timed[k] - timed[j]
    return run_t[j] if span <= 0 else run_t[j] + (run_t[k] - run_t[j]) * (x - timed[j]) / span


def integrate_power_j(t_s: Sequence[float], power_w: Sequence[float | None], a: float, b: float) -> float | None:
    """Energy of sampled power over [a, b] (trapezoids, the ends interpolated); None without two samples."""
    pts = [(t, p) for t, p in zip(t_s, power_w, strict=True) if p is not None]
    if len(pts) < 2 or b <= a or a < pts[0][0] - 0.5 or b > pts[-1][0] + 0.5:
        return None
    xs = [a] + [t for t, _ in pts if a < t < b] + [b]
    ts, ps = [t for t, _ in pts], [p for _, p in pts]
    ys = [interp_at(ts, ps, min(max(x, ts[0]), ts[-1])) or 0.0 for x in xs]
    return sum((xs[i + 1] - xs[i]) * (ys[i] + ys[i + 1]) / 2 for i in range(len(xs) - 1))


def energy_reader(series: dict[str, Any], gpu: int | None, cpu_method: str | None,
                  cpu_j_of: Callable[[float, float], float] | None) -> tuple[Callable[[float, float], float | None],
                                                                          str | None]:
    """A function (a, b) -> joules over that span of the run clock, from the best source the run has:
    the GPU's sampled power, RAPL's package counter, or (cpu_j_of over the timed clock) the estimate.
    Returns it with the method's name."""
    if gpu is not None:
        g = series.get(f"gpu{gpu}") or {}
        for key in ("power_instant_w", "power_avg_w"):
            if any(v is not None for v in g.get(key, ())):
                return (lambda a, b, k=key: integrate_power_j(g["t_s"], g[k], a, b)), "gpu-power-samples"
        return (lambda a, b: None), None
    host = series.get("host") or {}
    if cpu_method == "rapl" and any(v is not None for v in host.get("rapl_package_energy_j", ())):
        def rapl(a: float, b: float) -> float | None:
            e0, e1 = (interp_at(host["t_s"], host["rapl_package_energy_j"], x) for x in (a, b))
            return e1 - e0 if e0 is not None and e1 is not None else None
        return rapl, "rapl"
    if cpu_j_of is not None:
        return cpu_j_of, "estimated"
    return (lambda a, b: None), None


def measure_windows(step_times_s: Sequence[float], batch: int, checkpoints: Sequence[tuple[float, float, float]],
                    energy_of: Callable[[float, float], float | None] | None = None, energy_method: str | None = None,
                    energy_clock: str = "run", window_s: float = WINDOW_S) -> Windows:
    """Per-window figures. checkpoints: (timed s, run-clock s, net CPU s), increasing. energy_of(a, b):
    joules between two instants, on the run clock (energy_clock "run") or the timed clock ("timed")."""
    bounds, by = split_steps(step_times_s, window_s)
    w = Windows(bounds, by=by, energy_method=energy_method)
    timed = [c[0] for c in checkpoints]
    run_t = [c[1] for c in checkpoints]
    ends, acc = [], 0.0
    for dt in step_times_s:
        acc += dt
        ends.append(acc)
    energies: list[float | None] = []
    for a, b in bounds:
        seconds = sum(step_times_s[a:b])
        if seconds <= 0:
            continue
        w.throughput_sps.append((b - a) * batch / seconds)
        s = sorted(step_times_s[a:b])
        w.step_time_p50_s.append(s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2)
        t0, t1 = (ends[a - 1] if a else 0.0), ends[b - 1]
        e = None
        if energy_of is not None:
            if energy_clock == "timed":
                e = energy_of(t0, t1)
            else:
                r0, r1 = _to_run(timed, run_t, t0, start=True), _to_run(timed, run_t, t1, start=False)
                e = energy_of(r0, r1) if r0 is not None and r1 is not None else None
        energies.append(e / ((b - a) * batch) if e is not None and e > 0 else None)
    if energies and all(e is not None for e in energies):
        w.energy_per_sample_j = [e for e in energies if e is not None]
    else:
        w.energy_method = None
    return w


def is_stable(throughputs: Sequence[float], k: int, pct: float) -> bool:
    """The last k windows agree: (max - min) / median within pct %."""
    if k < 2 or len(throughputs) < k:
        return False
    last = sorted(throughputs[-k:])
    med = last[k // 2] if k % 2 else (last[k // 2 - 1] + last[k // 2]) / 2
    return med > 0 and (last[-1] - last[0]) / med * 100 <= pct


def stability_warnings(intervals: dict[str, dict[str, float | int] | None]) -> list[str]:
    """Sentences for windows that disagree (an interval wider than UNSTABLE_WIDTH of its median)."""
    out = []
    for key, label in (("throughput_sps", "throughput"), ("step_time_s", "step time")):
        iv = intervals.get(key)
        if iv and iv["median"] and iv["windows"] >= 3:
            width = (iv["high"] - iv["low"]) / abs(iv["median"])
            if width > UNSTABLE_WIDTH:
                out.append(f"unstable: the {label} of the {iv['windows']} windows disagree (95 % interval "
                           f"{width:.0%} of the median wide)")
    return out
