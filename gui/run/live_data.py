"""What one run has streamed so far, as ring buffers the charts draw from. No Qt, no torch.

Groups and field names are those of RunResult.series (docs/ARCHITECTURE.md "The run result"), so a live run
and a stored one load into the same structure and draw the same way. Two derived fields are added:
`energy_per_sample_j` on a GPU group (energy counter, or integrated instant power where the counter
is missing) and on the host group (RAPL), each counted from the start of the timed window.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from engine.results import Series, energy_per_sample
from engine.run import StepMetrics, TelemetryBatch
from gui.run.ring import Ring
from hw.samples import GpuSample, HostSample

STEP_FIELDS = ("t_s", "samples", "throughput_sps", "step_time_p50_s", "step_time_p99_s", "loss", "accuracy",
               "gpu_mem_allocated_bytes", "gpu_mem_reserved_bytes")
GPU_FIELDS = ("t_s", "power_instant_w", "power_avg_w", "energy_j", "mem_used_bytes", "util_gpu_pct",
              "sm_clock_hz", "temperature_c", "energy_per_sample_j")
HOST_FIELDS = ("t_s", "cpu_util_pct", "process_rss_bytes", "system_mem_used_bytes", "rapl_package_energy_j",
               "energy_per_sample_j")
DEFAULT_CAPACITY = 65_536  # > an hour of telemetry at 10 Hz; bounded memory (~5 MB a group)


class _EnergyCounter:
    """Energy since the timed window began, from a cumulative counter or, lacking one, integrated power."""

    def __init__(self) -> None:
        self.start_j: float | None = None
        self.integrated_j = 0.0
        self.last_t: float | None = None
        self.last_power_w: float | None = None
        self.estimated = False

    def update(self, t_s: float, counter_j: float | None, power_w: float | None) -> float | None:
        if t_s < 0:  # warm-up and idle baseline do not count
            self.last_t, self.last_power_w = t_s, power_w
            return None
        if counter_j is not None:
            if self.start_j is None:
                self.start_j = counter_j
            return counter_j - self.start_j
        if power_w is None:
            return None
        self.estimated = True
        if self.last_t is not None and self.last_power_w is not None:
            self.integrated_j += 0.5 * (power_w + self.last_power_w) * (t_s - max(self.last_t, 0.0))
        self.last_t, self.last_power_w = t_s, power_w
        return self.integrated_j


class LiveRun:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self.steps = Ring(STEP_FIELDS, capacity)
        self.gpus: dict[int, Ring] = {}
        self.host = Ring(HOST_FIELDS, capacity)
        self._gpu_energy: dict[int, _EnergyCounter] = {}
        self._host_energy = _EnergyCounter()
        self.last_step: StepMetrics | None = None
        self._last_samples = (0.0, 0.0, 0.0)  # (t_s, samples, throughput) for energy per sample
        # The job's samples one GPU does: 1/N in a job over N GPUs, so a GPU's energy per sample is over
        # its own samples (as in a stored job's series, whose steps are rank 0's).
        self.gpu_sample_share = 1.0

    # --- ingest -------------------------------------------------------------------------------
    def add_step(self, m: StepMetrics) -> None:
        self.last_step = m
        self._last_samples = (m.t_s, float(m.samples), m.throughput_sps)
        self.steps.append({
            "t_s": m.t_s, "samples": m.samples, "throughput_sps": m.throughput_sps,
            "step_time_p50_s": m.step_time_p50_s, "step_time_p99_s": m.step_time_p99_s,
            "loss": _finite(m.loss), "accuracy": m.accuracy,
            "gpu_mem_allocated_bytes": m.gpu_mem_allocated_bytes,
            "gpu_mem_reserved_bytes": m.gpu_mem_reserved_bytes,
        })

    def _samples_at(self, t_s: float) -> float:
        t0, samples, throughput = self._last_samples
        return max(0.0, samples + (t_s - t0) * throughput) if t_s >= 0 else 0.0

    def add_telemetry(self, batch: TelemetryBatch) -> None:
        for g in batch.gpu:
            self._add_gpu(g)
        for h in batch.host:
            self._add_host(h)

    def gpu_ring(self, index: int) -> Ring:
        ring = self.gpus.get(index)
        if ring is None:
            ring = self.gpus[index] = Ring(GPU_FIELDS, self.capacity)
            self._gpu_energy[index] = _EnergyCounter()
        return ring

    def _add_gpu(self, g: GpuSample) -> None:
        ring = self.gpu_ring(g.index)
        power = g.power_instant_w if g.power_instant_w is not None else g.power_avg_w
        energy = self._gpu_energy[g.index].update(g.t_s, g.energy_j, power)
        ring.append({
            "t_s": g.t_s, "power_instant_w": g.power_instant_w, "power_avg_w": g.power_avg_w,
            "energy_j": g.energy_j, "mem_used_bytes": g.mem_used_bytes, "util_gpu_pct": g.util_gpu_pct,
            "sm_clock_hz": g.sm_clock_hz, "temperature_c": g.temperature_c,
            "energy_per_sample_j": _per_sample(energy, self._samples_at(g.t_s) * self.gpu_sample_share),
        })

    def _add_host(self, h: HostSample) -> None:
        energy = self._host_energy.update(h.t_s, h.rapl_package_energy_j, None)
        self.host.append({
            "t_s": h.t_s, "cpu_util_pct": h.cpu_util_pct, "process_rss_bytes": h.process_rss_bytes,
            "system_mem_used_bytes": h.system_mem_used_bytes, "rapl_package_energy_j": h.rapl_package_energy_j,
            "energy_per_sample_j": _per_sample(energy, self._samples_at(h.t_s)),
        })

    # --- read ---------------------------------------------------------------------------------
    def ring(self, group: str) -> Ring | None:
        if group == "steps":
            return self.steps
        if group == "host":
            return self.host
        if group.startswith("gpu") and group[3:].isdigit():
            return self.gpus.get(int(group[3:]))
        return None

    def gpu_energy_estimated(self, index: int) -> bool:
        counter = self._gpu_energy.get(index)
        return bool(counter and counter.estimated)

    @property
    def nbytes(self) -> int:
        return self.steps.nbytes + self.host.nbytes + sum(r.nbytes for r in self.gpus.values())

    def to_series(self, max_points: int = 2000) -> dict[str, Any]:
        """Downsampled copy in the RunResult.series format (kept when a crashed run is stored)."""
        out: dict[str, Any] = {"steps": _ring_series(self.steps, max_points)}
        for index, ring in sorted(self.gpus.items()):
            out[f"gpu{index}"] = _ring_series(ring, max_points)
        out["host"] = _ring_series(self.host, max_points)
        return {k: v for k, v in out.items() if v["t_s"]}

    @classmethod
    def from_series(cls, series: Series | dict[str, Any]) -> LiveRun:
        """Load a stored RunResult.series (or its JSON layout); unknown keys are ignored, missing ones stay empty."""
        if isinstance(series, Series):
            series = series.model_dump()
        live = cls(capacity=max(16, max((len(g.get("t_s") or []) for g in series.values()
                                         if isinstance(g, dict)), default=16)))
        for group, data in series.items():
            if not isinstance(data, dict) or not data.get("t_s"):
                continue
            if group == "steps":
                ring = live.steps
            elif group == "host":
                ring = live.host
            elif group.startswith("gpu") and group[3:].isdigit():
                ring = live.gpu_ring(int(group[3:]))
            else:
                continue
            n = len(data["t_s"])
            cols = {name: _floats(data[name], n) for name in ring.fields if isinstance(data.get(name), list)}
            if "energy_per_sample_j" in ring.fields and "energy_per_sample_j" not in cols:
                cols["energy_per_sample_j"] = _derived_energy_per_sample(group, cols, series.get("steps"))
            ring.extend(cols)
        return live


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


_per_sample = energy_per_sample  # the one definition, shared with the stored result's figure


def _floats(values: list, n: int) -> np.ndarray:
    arr = np.array([np.nan if v is None else v for v in values[:n]], dtype=np.float64)
    return np.pad(arr, (0, n - arr.size), constant_values=np.nan) if arr.size < n else arr


def _derived_energy_per_sample(group: str, cols: dict[str, np.ndarray], steps: Any) -> np.ndarray:
    t = cols["t_s"]
    key = "rapl_package_energy_j" if group == "host" else "energy_j"
    energy = cols.get(key)
    out = np.full(t.size, np.nan)
    if energy is None or not isinstance(steps, dict) or not steps.get("t_s"):
        return out
    st = _floats(steps["t_s"], len(steps["t_s"]))
    if isinstance(steps.get("samples"), list):
        ss = _floats(steps["samples"], st.size)
    elif isinstance(steps.get("throughput_sps"), list):  # the contract's series has no count: integrate
        tp = np.nan_to_num(_floats(steps["throughput_sps"], st.size))
        dt = np.diff(np.clip(st, 0.0, None), prepend=0.0)
        ss = np.cumsum(tp * np.nan_to_num(dt))
    else:
        return out
    ok = np.isfinite(st) & np.isfinite(ss)
    read = np.isfinite(t) & np.isfinite(energy)
    if not ok.any() or read.sum() < 2:
        return out
    # The GPU counter is read about once a second (a read costs ~4 ms), so the stored series has
    # gaps: interpolate between readings, and take the window's start energy at t = 0.
    tr, er = t[read], energy[read]
    timed = (t >= 0) & (t <= tr[-1])
    if tr[0] > 0 or not timed.any():
        return out
    samples = np.interp(t, st[ok], ss[ok], left=0.0)
    e0 = float(np.interp(0.0, tr, er))
    e_t = np.interp(t[timed], tr, er)
    per_sample = (energy_per_sample(float(e), float(s)) for e, s in zip(e_t - e0, samples[timed], strict=True))
    out[timed] = [np.nan if v is None else v for v in per_sample]
    return out


def _ring_series(ring: Ring, max_points: int) -> dict[str, list]:
    n = len(ring)
    idx = np.unique(np.linspace(0, n - 1, min(n, max_points)).astype(int)) if n else np.array([], dtype=int)
    out = {}
    for name in ring.fields:
        values = ring.view(name)[idx]
        out[name] = [None if not np.isfinite(v) else float(v) for v in values]
    return out
