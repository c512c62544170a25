"""Comparison of stored runs: table rows with ratios to a baseline, Pareto fronts, recommendations.

Torch-free and Qt-free: the comparison view, the report and the tests all compute from RunResults
alone (torch.utils.benchmark's lesson: render comparisons from measurements, never from widgets).
Values are kept in SI units; `Metric.scale`/`unit` say how to show them.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from engine.format import MISSING, number
from engine.results.result import RunResult
from engine.run.config import RunConfig
from engine.sweep.grid import axis_names, describe

Better = Literal["higher", "lower"]


def peak_mem_bytes(r: RunResult) -> float | None:
    """Memory that limits the batch: GPU peak allocated on GPU runs, process peak RSS on CPU runs.
    A limit to filter by, never a column: the table shows GPU and host peaks apart."""
    return r.memory_bytes.gpu_peak_allocated if r.on_gpu else r.memory_bytes.host_peak_rss


def device_count(r: RunResult) -> int:
    """Processes of the run: its ranks for a several-device job, else 1."""
    return len(r.devices) or (r.parallel.world_size if r.parallel else 1)


def _multi_devices(r: RunResult) -> float | None:
    return float(device_count(r)) if r.parallel is not None else None


def devices_label(r: RunResult) -> str:
    """The run's processes and the kind of device they ran on: '2× cuda', '2× cpu', '1× cuda'."""
    return f"{device_count(r)}× {'cuda' if r.on_gpu else 'cpu'}"


def _inv(x: float | None) -> float | None:
    return 1.0 / x if x else None


@dataclass(frozen=True)
class Metric:
    key: str  # SI name, e.g. "step_time_p50_s"
    label: str
    unit: str  # display unit after scaling
    scale: float
    better: Better
    get: Callable[[RunResult], float | None]
    digits: int = 3  # significant digits shown
    words: Callable[[RunResult], str] | None = None  # shown instead of the number (and no ratio): '2× cuda'

    def value(self, r: RunResult) -> float | None:
        v = self.get(r)
        return float(v) if v is not None else None

    def show(self, v: float | None) -> str:
        if v is None:
            return MISSING
        return number(v * self.scale, self.digits)

    def text(self, r: RunResult, v: float | None) -> str:
        """A cell of a table: the run's words for this metric, else its number."""
        return self.words(r) if self.words is not None and v is not None else self.show(v)


METRICS: tuple[Metric, ...] = (
    Metric("throughput_sps", "Throughput", "samples/s", 1.0, "higher", lambda r: r.throughput_sps),
    Metric("step_time_p50_s", "Step p50", "ms", 1e3, "lower", lambda r: r.step_time_s.p50),
    Metric("step_time_p99_s", "Step p99", "ms", 1e3, "lower", lambda r: r.step_time_s.p99),
    Metric("energy_per_sample_j", "Energy per sample", "mJ", 1e3, "lower", lambda r: r.energy_per_sample_j.total),
    Metric("energy_dynamic_per_sample_j", "Above-idle energy per sample", "mJ", 1e3, "lower",
           lambda r: r.energy_per_sample_j.dynamic),
    Metric("power_mean_w", "GPU power (mean)", "W", 1.0, "lower", lambda r: r.power_w.gpu_mean),
    Metric("power_max_w", "GPU power (peak)", "W", 1.0, "lower", lambda r: r.power_w.gpu_max),
    Metric("gpu_peak_mem_bytes", "GPU peak memory", "MiB", 1 / 2**20, "lower",
           lambda r: r.memory_bytes.gpu_peak_allocated),
    Metric("host_peak_mem_bytes", "Host peak memory (RSS)", "MiB", 1 / 2**20, "lower",
           lambda r: r.memory_bytes.host_peak_rss),
    Metric("accuracy", "Accuracy", "%", 100.0, "higher", lambda r: r.accuracy),
    # Several devices: shown when some run used several (a one-device run then counts 1).
    Metric("device_count", "Devices", "", 1.0, "lower", _multi_devices, words=devices_label),
    Metric("scaling_efficiency", "Scaling efficiency", "%", 100.0, "higher", lambda r: r.scaling_efficiency),
    Metric("communication_share", "All-reduce share", "%", 100.0, "lower", lambda r: r.communication_share),
)
METRIC = {m.key: m for m in METRICS}
PARALLEL_METRICS = ("device_count", "scaling_efficiency", "communication_share")  # of several-device runs only


# Config fields that make runs differ, in the order a label names them: the main four, then every
# other sweep axis (each lever a RunConfig field adds, e.g. conv_algo), then the data set.
_MAIN_FIELDS = ("device", "precision", "mode", "batch")
LABEL_FIELDS = (*_MAIN_FIELDS, *(n for n in axis_names() if n not in _MAIN_FIELDS), "dataset")


def option_word(name: str, value: object) -> str:
    from engine.run.options import option_fields
    f = option_fields(RunConfig)[name]
    word = f.choice_label(value)
    return word if isinstance(value, bool) and value in f.option.choices else f"{f.flag.lstrip('-')}:{word}"


_DDP_KNOBS = ("bucket_cap_mb", "gradient_as_bucket_view", "static_graph", "ddp_compress")


def short_labels(results: Sequence[RunResult]) -> dict[str, str]:
    """A label per run naming only the config fields that vary among them (else the full label)."""
    varying = [f for f in LABEL_FIELDS if len({str(getattr(r.config, f)) for r in results}) > 1]
    nets = {r.network.name for r in results}
    out = {}
    for r in results:
        c = r.config
        if not varying:  # two nets under one configuration: the net tells them apart
            out[r.run_id] = f"{r.network.name} {describe(c)}" if len(nets) > 1 else describe(c)
            continue
        parts = []
        for f in varying:
            v = getattr(c, f)
            if f == "batch":
                parts.append(f"b{v}")
            elif f == "channels_last":
                parts.append("CL" if v else "no-CL")
            elif f == "compile":
                parts.append(f"compile:{v}" if v else "eager")
            elif f == "cuda_graph":
                parts.append("CUDA graph" if v else "no graph")
            elif f == "devices":
                parts.append(devices_label(r))
            elif f == "processes" or (f in _DDP_KNOBS and r.parallel is None):
                continue  # the device count says it; a one-device run has no DDP
            elif f == "bucket_cap_mb":
                parts.append(f"bucket {v:g} MB")
            elif f in ("gradient_as_bucket_view", "static_graph"):
                parts.append({"gradient_as_bucket_view": ("grad copies", "grad views"),
                              "static_graph": ("dynamic graph", "static graph")}[f][bool(v)])
            elif f == "ddp_compress":
                parts.append(f"{v} grads" if v else "fp32 grads")
            elif f == "conv_algo":
                parts.append(f"conv:{v}")
            elif isinstance(v, bool) or v is None or isinstance(v, int):  # their own words ("threads:4")
                parts.append(option_word(f, v))
            else:
                parts.append(str(v))
        label = " ".join(parts)
        out[r.run_id] = f"{r.network.name} {label}" if len(nets) > 1 else label
    for r in results:  # a simulated speed (binarized layers, int8/fp8 without its kernels): every table,
        if r.network.binary_flops_per_sample:  # chart and finding naming the run says so
            out[r.run_id] += " (simulated binarization)"
        q = r.quantization
        if q is not None and q.simulated:
            out[r.run_id] += f" (simulated {q.precision})"
    return out


@dataclass
class Row:
    run_id: str
    label: str
    status: str
    values: dict[str, float | None]
    ratios: dict[str, float | None]  # value / baseline value, per metric
    quality: list[str]
    result: RunResult = field(repr=False)


def table(results: Sequence[RunResult], baseline_id: str | None = None) -> list[Row]:
    """One row per run; ratios to the baseline run (default: `baseline_of`)."""
    labels = short_labels(results)
    base = baseline_of(results, baseline_id) or (results[0] if results else None)
    rows = []
    several = any(r.parallel is not None for r in results)
    for r in results:
        values = {m.key: m.value(r) for m in METRICS}
        if several and values["device_count"] is None:
            values["device_count"] = 1.0
        ratios = {}
        for m in METRICS:
            b = m.value(base) if base is not None else None
            v = values[m.key]
            ratios[m.key] = v / b if (v is not None and b and m.words is None) else None
        rows.append(Row(r.run_id, labels[r.run_id], r.status, values, ratios, list(r.quality), r))
    return rows


def baseline_of(results: Sequence[RunResult], baseline_id: str | None = None) -> RunResult | None:
    """The run every ratio is relative to: the given one, else the 1-device run a job over several
    devices measured its scaling against (when it is among them: often measured after the job), else
    the oldest ok run (by created_at), whatever order the runs come in. The one rule for the Compare
    tab, the report and the CLI."""
    if baseline_id:
        found = next((r for r in results if r.run_id == baseline_id), None)
        if found:
            return found
    ok = [r for r in results if r.status == "ok"]
    scaled_against = {r.parallel.baseline_run_id for r in ok if r.parallel is not None}
    ok = [r for r in ok if r.run_id in scaled_against] or ok
    return min(ok, key=lambda r: r.created_at) if ok else None  # min keeps the first of equal times


def network_warning(results: Sequence[RunResult]) -> str | None:
    """A warning when the runs are of different networks: their ratios compare different work."""
    nets = sorted({r.network.name for r in results})
    if len(nets) < 2:
        return None
    return (f"These runs are of {len(nets)} different networks ({', '.join(nets)}): the ratios compare different "
            f"work, not only different settings.")


@dataclass(frozen=True)
class ParetoPlot:
    key: str
    title: str
    x: Metric
    y: Metric
    x_fallback: Metric | None = None  # drawn on x when no ok run has `x` (CPU runs: host memory)

    def axes(self, results: Sequence[RunResult]) -> tuple[Metric, Metric]:
        ok = [r for r in results if r.status == "ok"]
        if self.x_fallback is not None and not any(self.x.value(r) is not None for r in ok):
            return self.x_fallback, self.y
        return self.x, self.y


PARETO_PLOTS: tuple[ParetoPlot, ...] = (
    ParetoPlot("throughput_energy", "Throughput vs energy per sample", METRIC["energy_per_sample_j"],
               METRIC["throughput_sps"]),
    ParetoPlot("latency_memory", "Step time vs peak memory", METRIC["gpu_peak_mem_bytes"], METRIC["step_time_p50_s"],
               x_fallback=METRIC["host_peak_mem_bytes"]),
    ParetoPlot("accuracy_energy", "Accuracy vs energy per sample", METRIC["energy_per_sample_j"], METRIC["accuracy"]),
)


def _dominates(a: tuple[float, float], b: tuple[float, float], sx: int, sy: int) -> bool:
    return sx * a[0] >= sx * b[0] and sy * a[1] >= sy * b[1] and (a[0] != b[0] or a[1] != b[1])


def pareto_front(points: dict[str, tuple[float, float]], x_better: Better, y_better: Better) -> set[str]:
    """Ids of the points no other point beats on both axes (ties on both axes all stay)."""
    sx = 1 if x_better == "higher" else -1
    sy = 1 if y_better == "higher" else -1
    return {k for k, p in points.items()
            if not any(_dominates(q, p, sx, sy) for j, q in points.items() if j != k)}


def plot_points(results: Sequence[RunResult], plot: ParetoPlot) -> dict[str, tuple[float, float]]:
    """(x, y) of every ok run that has both values, in SI units (on `plot.axes(results)`)."""
    x_metric, y_metric = plot.axes(results)
    out = {}
    for r in results:
        if r.status != "ok":
            continue
        x, y = x_metric.value(r), y_metric.value(r)
        if x is not None and y is not None:
            out[r.run_id] = (x, y)
    return out


# Where a run says why a metric is missing: RunResult.unavailable keys, per kind of device.
_UNAVAILABLE_KEYS = {
    "energy_per_sample_j": {"cpu": ("energy_j.cpu", "energy_per_sample_j"), "gpu": ("energy_j.gpu", "energy_per_sample_j")},
    "energy_dynamic_per_sample_j": {"cpu": ("energy_j.cpu", "energy_per_sample_j"), "gpu": ("energy_j.gpu_dynamic",)},
    "power_mean_w": {"cpu": ("power_w.gpu_mean",), "gpu": ("power_w.gpu_mean",)},
    "power_max_w": {"cpu": ("power_w.gpu_max",), "gpu": ("power_w.gpu_max",)},
    "gpu_peak_mem_bytes": {"cpu": ("memory_bytes.gpu", "gpu"), "gpu": ("memory_bytes.gpu_peak_allocated",)},
    "host_peak_mem_bytes": {"cpu": ("memory_bytes.host_peak_rss",), "gpu": ("memory_bytes.host_peak_rss",)},
    "accuracy": {"cpu": ("accuracy",), "gpu": ("accuracy",)},
}


def missing_reason(results: Sequence[RunResult], metric: Metric) -> str | None:
    """Why a metric is missing on every ok run (the runs' own `unavailable` reasons), or None if some have it."""
    ok = [r for r in results if r.status == "ok"]
    if not ok:
        return "no run finished"
    if any(metric.value(r) is not None for r in ok):
        return None
    reasons: list[str] = []
    for r in ok:
        kind = "gpu" if r.on_gpu else "cpu"
        keys = _UNAVAILABLE_KEYS.get(metric.key, {}).get(kind, ())
        why = next((r.unavailable[k] for k in keys if k in r.unavailable), None)
        if why is None:  # older results: match loosely on the key's words
            why = next((v for k, v in r.unavailable.items() if _reason_matches(metric.key, k)), None)
        if why and why not in reasons:
            reasons.append(why)
    if metric.key == "accuracy" and not reasons:
        reasons.append("the runs did not evaluate accuracy (synthetic data or inference)")
    return "; ".join(reasons) or "not recorded by these runs"


def _reason_matches(metric_key: str, unavailable_key: str) -> bool:
    k = unavailable_key.lower()
    if "energy" in metric_key:
        return "energy" in k or "rapl" in k
    if "power" in metric_key:
        return "power" in k
    if "mem" in metric_key:
        return "mem" in k or "rss" in k
    return metric_key.split("_")[0] in k


def wants_log(values: Sequence[float], ratio: float = 30.0) -> bool:
    """A log axis when positive values span more than `ratio` (the report's PDF charts and the GUI agree)."""
    vals = [v for v in values if v is not None]
    return bool(vals) and min(vals) > 0 and max(vals) / min(vals) > ratio


def config_key(r: RunResult, labels: dict[str, str]) -> tuple[str, str]:
    """Which configuration a run is a repeat of: its label, and the net too (a label names only what
    varies, and two nets can share one)."""
    return r.network.name, labels[r.run_id]


def median_runs(runs: Sequence[RunResult], labels: dict[str, str], value: Callable[[RunResult], float]) -> list[RunResult]:
    """One run per configuration: the median one of its repeats, so a best/worst line compares
    configurations, never two repeats of the same one."""
    groups: dict[tuple[str, str], list[RunResult]] = defaultdict(list)
    for r in runs:
        groups[config_key(r, labels)].append(r)
    return [sorted(rs, key=value)[(len(rs) - 1) // 2] for rs in groups.values()]


# ---- recommendation -------------------------------------------------------------------------

Objective = Literal["max_throughput", "min_energy", "min_latency", "time_energy"]
OBJECTIVES: dict[str, str] = {
    "max_throughput": "Maximum throughput",
    "min_energy": "Minimum energy per sample",
    "min_latency": "Minimum step time (p50)",
    "time_energy": "Weighted time-energy cost (Zeus)",
}


@dataclass(frozen=True)
class Recommendation:
    objective: str
    run_id: str | None
    text: str  # one sentence with the numbers
    excluded: tuple[str, ...] = ()  # "label: why", for runs left out by a constraint


def _runner_up_clause(runs: Sequence[RunResult], labels: dict[str, str], score: Callable[[RunResult], float],
                      best: RunResult, second: RunResult) -> str:
    """'; not told apart from X (...)' when both have repeats and the interval of their ratio spans 1."""
    from engine.results.stats import ratio_interval

    def repeats(of: RunResult) -> list[float]:
        return [abs(score(r)) for r in runs if config_key(r, labels) == config_key(of, labels)]

    a, b = repeats(best), repeats(second)
    if len(a) < 2 or len(b) < 2:
        return ""
    # scores are lower-is-better (throughput enters negated): the runner-up's over the best's is >= 1
    ratio = ratio_interval(a, b) if score(best) < 0 else ratio_interval(b, a)
    if ratio is None or ratio.conclusive:
        return ""
    return f"; not told apart from {labels[second.run_id]} ({ratio.text()})"


def zeus_cost(r: RunResult, eta: float, max_power_w: float) -> float | None:
    """Zeus's cost per sample: eta * J/sample + (1 - eta) * MAXPOWER * s/sample (lower is better)."""
    e, t = r.energy_per_sample_j.total, _inv(r.throughput_sps)
    if e is None or t is None:
        return None
    return eta * e + (1 - eta) * max_power_w * t


def recommend(results: Sequence[RunResult], objective: str, memory_limit_bytes: float | None = None,
              accuracy_floor: float | None = None, eta: float = 0.5,
              max_power_w: float | None = None) -> Recommendation:
    """The best ok run for the objective among those within the memory limit and accuracy floor."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective {objective!r} is not one of {', '.join(OBJECTIVES)}")
    labels = short_labels(results)
    excluded, candidates = [], []
    for r in results:
        if r.status != "ok":
            continue
        mem = peak_mem_bytes(r)
        if memory_limit_bytes is not None and mem is not None and mem > memory_limit_bytes:
            excluded.append(f"{labels[r.run_id]}: peak memory {mem / 2**20:,.0f} MiB over the limit")
            continue
        if accuracy_floor is not None and (r.accuracy is None or r.accuracy < accuracy_floor):
            acc = "no accuracy" if r.accuracy is None else f"accuracy {r.accuracy:.1%}"
            excluded.append(f"{labels[r.run_id]}: {acc} under the floor")
            continue
        candidates.append(r)
    if objective == "time_energy" and max_power_w is None:
        powers = [r.power_w.gpu_max for r in results if r.power_w.gpu_max]
        max_power_w = max(powers) if powers else None
    if objective == "max_throughput":
        score, fmt = (lambda r: -r.throughput_sps if r.throughput_sps else None), \
            (lambda r: f"{number(r.throughput_sps)} samples/s")
    elif objective == "min_energy":
        score, fmt = (lambda r: r.energy_per_sample_j.total), \
            (lambda r: f"{number(r.energy_per_sample_j.total * 1e3)} mJ/sample")
    elif objective == "min_latency":
        score, fmt = (lambda r: r.step_time_s.p50), (lambda r: f"{number(r.step_time_s.p50 * 1e3)} ms/step (p50)")
    else:
        if max_power_w is None:
            return Recommendation(objective, None, "No recommendation: the weighted time-energy cost needs "
                                  "power readings (none of these runs has GPU power).", tuple(excluded))
        score = lambda r: zeus_cost(r, eta, max_power_w)  # noqa: E731
        fmt = lambda r: (f"cost {number(zeus_cost(r, eta, max_power_w) * 1e3)} mJ-equivalent/sample "  # noqa: E731
                         f"(η={eta:g}, max power {max_power_w:.0f} W)")
    scorable = [r for r in candidates if score(r) is not None]
    if not scorable:
        what = {"min_energy": "energy readings", "time_energy": "energy readings"}.get(objective, "finished runs")
        return Recommendation(objective, None, f"No recommendation: no run within the constraints has {what}.",
                              tuple(excluded))
    # Configurations are compared by their median repeat: the luckiest repeat of one would otherwise win
    configs = sorted(median_runs(scorable, labels, score), key=score)
    best = configs[0]
    repeats = sum(config_key(r, labels) == config_key(best, labels) for r in scorable)
    text = f"{OBJECTIVES[objective]}: {labels[best.run_id]} — {fmt(best)}"
    if repeats > 1:
        text += f" (the median of its {repeats} repeats)"
    if len(configs) > 1:
        text += f", best of {len(configs)} configurations" if len(configs) < len(scorable) else \
            f", best of {len(configs)} runs"
        text += _runner_up_clause(scorable, labels, score, best, configs[1])
    if excluded:
        text += f" ({len(excluded)} excluded by the constraints)"
    return Recommendation(objective, best.run_id, text + ".", tuple(excluded))
