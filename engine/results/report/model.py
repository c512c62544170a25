"""Everything a report shows, computed once from stored RunResults; the HTML, PDF and tests read it.

Torch-free. The writers (html.py, pdf.py) only lay this out, so both formats say the same thing.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine.format import MISSING
from engine.format import ratio as ratio_text
from engine.results import compare, spread
from engine.results.findings import Finding, findings
from engine.results.report.place import PlaceSection, place_section
from engine.results.report.profile_section import ProfileSection
from engine.results.report.safe import LONG_TEXT_CHARS, TEXT_CHARS, displayable
from engine.results.result import RunResult
from engine.shown_text import one_line

MAX_LAYER_ROWS = 300  # a 10,000-layer net would make a report of hundreds of pages
TABLE_METRICS = ("throughput_sps", "step_time_p50_s", "step_time_p99_s", "energy_per_sample_j",
                 "energy_dynamic_per_sample_j", "power_mean_w", "power_max_w", "gpu_peak_mem_bytes",
                 "host_peak_mem_bytes", "accuracy", "device_count", "scaling_efficiency", "communication_share")


@dataclass(frozen=True)
class Cell:
    text: str
    ratio: str = ""
    tone: str = ""  # better | worse | "" (vs the baseline)


@dataclass
class TableRow:
    run_id: str
    label: str
    status: str
    cells: list[Cell]
    quality: list[str]
    is_baseline: bool = False
    busy: str | None = None  # the machine was busy during the run: its figures may be off


@dataclass
class LayerRow:
    id: str
    type: str
    params: str
    output_shape: str = ""
    n_params: str = ""
    flops: str = ""


@dataclass
class NetworkInfo:
    name: str
    params: int
    flops_per_sample: int
    layers: list[LayerRow]
    note: str = ""


@dataclass
class ReportData:
    title: str
    generated_at: str
    n_runs: int
    baseline_label: str
    summary: str
    columns: list[tuple[str, str]]  # (label, unit)
    rows: list[TableRow]
    networks: list[NetworkInfo]
    environment: list[tuple[str, str]]
    method: list[str]
    findings: list[Finding]
    recommendations: list[compare.Recommendation]
    quality: list[tuple[str, str]]  # (run label, warning)
    unavailable: list[tuple[str, str]]  # (metric, why) for metrics missing on every run
    results: list[RunResult] = field(repr=False, default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    baseline_id: str | None = None
    place: PlaceSection | None = None  # the baseline run projected onto the catalogue
    profiles: list[ProfileSection] = field(default_factory=list)  # the runs that have a stored profile


def _tone(metric: compare.Metric, ratio: float | None) -> str:
    if ratio is None or abs(ratio - 1) < 0.02:
        return ""
    good = ratio > 1 if metric.better == "higher" else ratio < 1
    return "better" if good else "worse"


def shown_metrics(results: Sequence[RunResult]) -> list[str]:
    """Table columns: the metrics some run has (the rest are listed as unavailable, with why)."""
    return [k for k in TABLE_METRICS if any(compare.METRIC[k].value(r) is not None for r in results)]


def _rows(results: Sequence[RunResult], baseline_id: str | None, keys: list[str]) -> list[TableRow]:
    out = []
    for row in compare.table(results, baseline_id):
        cells = []
        for key in keys:
            m = compare.METRIC[key]
            v, ratio = row.values[key], row.ratios[key]
            shown_ratio = ratio_text(ratio) if (ratio is not None and row.run_id != baseline_id) else ""
            cells.append(Cell(m.text(row.result, v), shown_ratio, _tone(m, ratio)))
        out.append(TableRow(row.run_id, row.label, row.status, cells, row.quality, row.run_id == baseline_id,
                            spread.disturbed(row.result)))
    return out


def _network_info(r: RunResult) -> NetworkInfo:
    spec = r.network.spec or {}
    layers, note = [], ""
    infos = {}
    try:
        from engine.net.analysis import analyze
        from engine.net.spec import spec_from_dict
        analysis = analyze(spec_from_dict(spec))
        infos = analysis.layers
    except Exception:  # noqa: BLE001 - a report must still render when shape inference cannot run
        note = "Per-layer shapes and costs were not available for this network."
    try:
        layers = _layer_rows(spec, infos)
    except (AttributeError, TypeError, ValueError):  # an imported result's spec can be anything
        layers, note = [], "The stored network spec is damaged: its layers are not listed."
    if len(layers) > MAX_LAYER_ROWS:
        note = (note + " " if note else "") + f"The first {MAX_LAYER_ROWS} of {len(layers):,} layers are listed."
        layers = layers[:MAX_LAYER_ROWS]
    if not spec:
        note = "The runs did not store the network spec."
    return NetworkInfo(r.network.name, r.network.params, r.network.flops_per_sample, layers, note)


def _layer_rows(spec: dict, infos: dict) -> list[LayerRow]:
    layers = []
    if spec.get("input"):
        shape = spec["input"].get("shape") or []
        layers.append(LayerRow("input", "Input", "", "×".join(map(str, shape))))
    for layer in spec.get("layers", []):
        params = one_line(", ".join(f"{k}={v}" for k, v in (layer.get("params") or {}).items()), TEXT_CHARS)
        info = infos.get(layer.get("id"))
        row = LayerRow(str(layer.get("id", "?")), str(layer.get("type", "?")), params)
        if info is not None:
            row.output_shape = "×".join(map(str, info.output_shape)) if info.output_shape else "?"
            row.n_params = f"{info.params:,}"
            row.flops = f"{info.flops:,}"
        layers.append(row)
    return layers


def _environment(results: Sequence[RunResult]) -> list[tuple[str, str]]:
    keys = [("device_name", "Device"), ("cpu_model", "CPU"), ("cpu_cores", "CPU cores"),
            ("host_mem_bytes", "Host memory"), ("driver", "Driver"), ("nvidia_driver", "NVIDIA driver"),
            ("torch", "PyTorch"), ("cuda", "CUDA"), ("cudnn", "cuDNN"), ("host", "Host"), ("os", "OS"),
            ("python", "Python")]
    out = []
    for key, label in keys:
        vals = sorted({_env_value(key, getattr(r.hardware, key)) for r in results if getattr(r.hardware, key)})
        if vals and not (key == "nvidia_driver" and any(lbl == "Driver" for lbl, _ in out)):
            out.append((label, ", ".join(vals)))
    return out


def _env_value(key: str, value) -> str:
    if key == "host_mem_bytes" and isinstance(value, int | float):
        return f"{value / 2**30:.0f} GiB"
    return str(value)


def _method(results: Sequence[RunResult]) -> list[str]:
    cfgs = [r.config for r in results]
    lines = []
    warmups = sorted({c.warmup for c in cfgs})
    if warmups:
        lines.append(f"Each run: a fresh worker process; {', '.join(map(str, warmups))} warm-up steps excluded "
                     "from the timed window; step times are medians and 99th percentiles, not means.")
    secs = sorted({c.seconds for c in cfgs if c.seconds})
    steps = sorted({c.steps for c in cfgs if c.steps})
    measured = [r.measured_s for r in results if r.measured_s]
    if secs or steps:
        what = (f"{', '.join(f'{s:g}' for s in secs)} s" if secs else "") + (" / " if secs and steps else "") + \
               (f"{', '.join(map(str, steps))} steps" if steps else "")
        span = f" (measured windows {min(measured):.1f}–{max(measured):.1f} s)" if measured else ""
        lines.append(f"Timed window per run: {what}{span}.")
    methods = {r.energy_j.gpu_method for r in results if r.energy_j.gpu_method}
    if "counter" in methods:
        lines.append("GPU energy measured with NVML's total-energy counter read at the ends of the window.")
    if methods - {"counter"}:
        lines.append("Some GPU energy figures are estimated by integrating instant power samples "
                     "(no energy counter on that GPU).")
    if any(r.energy_j.cpu is not None for r in results):
        lines.append("CPU energy measured with RAPL (package domain).")
    if not any(r.energy_per_sample_j.total for r in results):
        why = compare.missing_reason(results, compare.METRIC["energy_per_sample_j"])
        lines.append(f"Energy: not measured here — {why}. No estimate is put in its place.")
    if any(r.power_w.gpu_idle for r in results):
        lines.append("Energy above idle subtracts the idle power measured just before each run.")
    lines.append("GPU peak memory: the most PyTorch allocated on the GPU; host peak memory: the worker "
                 "process's peak resident set.")
    if (warning := compare.network_warning(results)) is not None:
        lines.append(warning)
    datasets = sorted({c.dataset for c in cfgs})
    if datasets:
        lines.append(f"Data: {', '.join(datasets)}.")
    return lines


def build(results: Sequence[RunResult], baseline_id: str | None = None,
          skipped: Sequence[tuple[dict, str]] = (), title: str | None = None) -> ReportData:
    """Assemble a report from runs (oldest first reads best); `skipped` are sweep entries never run."""
    originals = list(results)
    if not originals:
        raise ValueError("a report needs at least one run")
    results = [displayable(r) for r in originals]  # what may be shown: short, printable, finite
    if baseline_id is not None:  # the same run under its shown id
        baseline_id = next((s.run_id for o, s in zip(originals, results, strict=True) if o.run_id == baseline_id),
                           baseline_id)
    skipped = [(c, one_line(why, LONG_TEXT_CHARS)) for c, why in skipped]
    base = compare.baseline_of(results, baseline_id)
    baseline_id = base.run_id if base else None
    labels = compare.short_labels(results)
    nets = sorted({r.network.name for r in results})
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    status_text = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    devices = sorted({r.hardware.device_name or r.config.device for r in results})
    summary = (f"{len(results)} runs of {', '.join(nets)} on {', '.join(map(str, devices))} ({status_text}"
               + (f", {len(skipped)} skipped" if skipped else "") + ").")
    seen, networks = set(), []
    for r in results:
        if r.network.name not in seen:
            seen.add(r.network.name)
            networks.append(_network_info(r))
    unavailable = []
    several = any(r.parallel is not None for r in results)
    for m in (compare.METRIC[k] for k in TABLE_METRICS if several or k not in compare.PARALLEL_METRICS):
        why = compare.missing_reason(results, m)
        if why and any(r.status == "ok" for r in results):
            unavailable.append((f"{m.label}", why))
    keys = shown_metrics(results)
    if any(m == "Energy per sample" for m, _ in unavailable):
        why = dict(unavailable)["Energy per sample"]
        summary += f" Energy was not measured here: {why.rstrip('.')}. Energy columns and plots are left out."
    recs = [compare.recommend(results, obj) for obj in compare.OBJECTIVES]
    return ReportData(
        title=one_line(title, TEXT_CHARS) if title else one_line(f"Tradeoff Lab report: {', '.join(nets)}", TEXT_CHARS),
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        n_runs=len(results), baseline_label=labels.get(baseline_id, MISSING) if baseline_id else MISSING,
        summary=summary,
        columns=[(compare.METRIC[k].label, compare.METRIC[k].unit) for k in keys],
        rows=_rows(results, baseline_id, keys), networks=networks, environment=_environment(results),
        method=_method(results), findings=findings(results, skipped),
        recommendations=[r for r in recs if r.run_id], quality=[(labels[r.run_id], q) for r in results for q in r.quality],
        unavailable=unavailable, results=results, labels=labels, baseline_id=baseline_id,
        place=place_section(results, baseline_id, labels.get(baseline_id, "") if baseline_id else ""))
