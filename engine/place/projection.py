"""Project a stored, measured run onto catalogue targets: samples/s, latency, watts, J/sample, memory
fit, $ and gCO2 per million samples, each marked projected with the assumptions behind it.

    projection = project(result, catalogue, assumptions, target_ids=None)
    check = cross_check(source_result, measured_result, catalogue, assumptions)

Torch-free. The measured run calibrates the model (engine.place.model): its step time fixes the
efficiency the device reached, which is carried to the target (same kind of device), or a default
efficiency per kind is used and said so. Without the spec in the result, the whole network is one
layer and the projection says it is coarser.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.net.analysis import analyze
from engine.net.spec import spec_from_dict
from engine.place.catalogue import Catalogue, Target
from engine.place.model import (
    MEMORY_EFFICIENCY,
    Efficiency,
    LayerWork,
    Roofs,
    Workload,
    energy_per_sample_j,
    estimate_step,
    fit_efficiency,
    gco2_per_million,
    kwh_per_million,
    largest_batch,
    memory_need_bytes,
    power_w,
    usd_per_million_cloud,
    usd_per_million_owned,
)
from engine.results.result import RunResult

# Defaults where the catalogue has no figure; each one is listed in a projection's assumptions.
LAUNCH_S = {"gpu": 5e-6, "cpu": 3e-6, "asic": 5e-6, "fpga": 5e-6}  # eager dispatch per kernel
EDGE_LAUNCH_FACTOR = 3.0  # a slow edge host CPU dispatches several times slower than a desktop x86
EFFICIENCY = {"gpu": 0.4, "cpu": 0.3, "asic": 0.3, "fpga": 0.3}  # when nothing was measured on that kind
IDLE_SHARE_OF_TDP = 0.1  # idle power where the catalogue has none (vendors publish none)
BUSY_POWER_SCALE = 0.8  # a busy device draws ~80 % of its TDP when not calibrated on a measured run
NOT_COVERED = ("quantum computers: not a place for CNN training or inference today (no usable hardware "
               "runs them); not projected")


class Assumptions(BaseModel):
    """What the user may set; remembered by the GUI, flags on the CLI."""
    model_config = ConfigDict(extra="forbid")
    usd_per_kwh: float = Field(default=0.15, ge=0, le=10,
                               description="electricity price ($/kWh): an assumption, set your own tariff")
    region: str = Field(default="world", description="grid for gCO2/kWh (catalogue's table)")
    lifetime_years: float = Field(default=4.0, gt=0, le=50, description="years an owned device is used")
    duty_share: float = Field(default=0.5, gt=0, le=1, description="share of its lifetime an owned device runs")
    pue: float | None = Field(default=None, ge=1, le=5, description="facility overhead; default by place")
    precision: str | None = Field(default=None, description="project at this precision (default: the run's)")
    batch: int | None = Field(default=None, ge=1, le=1 << 24, description="project at this batch (default: the run's)")
    power_mode: str | None = Field(default=None, description="a power mode name (Jetson), default the highest")


@dataclass
class TargetProjection:
    id: str
    name: str
    place: str
    precision: str
    batch: int
    throughput_sps: float | None = None
    step_time_s: float | None = None
    power_w: float | None = None
    energy_per_sample_j: float | None = None
    usd_per_million_samples: float | None = None
    usd_basis: str | None = None
    gco2_per_million_samples: float | None = None
    kwh_per_million_samples: float | None = None
    fits: bool | None = None
    max_batch: int | None = None
    bound: str | None = None
    reason: str | None = None  # why there are no figures (or why they are partial)
    notes: list[str] = field(default_factory=list)
    method: str = "projected"


@dataclass
class Projection:
    run_id: str
    network: str
    source: dict[str, Any]
    assumptions: dict[str, Any]
    targets: list[TargetProjection]
    not_covered: str = NOT_COVERED

    def to_json_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "network": self.network, "source": self.source,
                "assumptions": self.assumptions, "targets": [asdict(t) for t in self.targets],
                "not_covered": self.not_covered}


def workload_of(result: RunResult, precision: str | None = None, batch: int | None = None) -> tuple[Workload, bool]:
    """The run's step as per-layer work; (workload, per_layer) where per_layer is False when the
    result carries no spec and the network is one lump of FLOPs."""
    cfg = result.config
    precision = precision or cfg.precision
    batch = batch or cfg.batch
    mode, optimizer = cfg.mode, cfg.optimizer
    spec_data = result.network.spec
    if spec_data:
        analysis = analyze(spec_from_dict(spec_data, source=f"run {result.run_id}"))
        if analysis.ok:
            layers = []
            peak = 0.0
            for info in analysis.layers.values():
                if not info.feeds_output:
                    continue
                out_elems = math.prod(info.output_shape) if info.output_shape else 0
                in_elems = sum(math.prod(s) for s in info.input_shapes)
                layers.append(LayerWork(info.layer_id, info.type, float(info.flops), float(in_elems + out_elems),
                                        info.params))
                peak = max(peak, 4.0 * (in_elems + out_elems))
            return Workload(tuple(layers), batch, mode, precision, optimizer,
                            float(analysis.activation_bytes), peak), True
    flops = float(result.network.flops_per_sample)
    lump = LayerWork("network", "network", flops, 0.0, result.network.params)
    return Workload((lump,), batch, mode, precision, optimizer, 0.0, 0.0), False


def _measured_step_s(result: RunResult) -> float | None:
    p50 = result.step_time_s.p50
    if p50:
        return p50
    batch = result.config.batch
    return batch / result.throughput_sps if result.throughput_sps else None


def _source_device_name(result: RunResult) -> str | None:
    return result.hardware.device_name or result.hardware.cpu_model


def _kind_of_run(result: RunResult) -> str:
    return "cpu" if result.config.device == "cpu" else "gpu"


def _launch_s(target: Target) -> float:
    launch = LAUNCH_S[target.kind]
    return launch * EDGE_LAUNCH_FACTOR if target.place == "edge" else launch


def _roofs(target: Target, precision: str, clock_scale: float = 1.0) -> Roofs | None:
    peak = target.peak_flops_per_s(precision)
    bw = target.mem_bw_bytes_per_s
    if bw is None and target.kind == "asic":
        bw = math.inf  # weights and activations stay on chip: no external memory roof
    if peak is None or bw is None:
        return None
    return Roofs(peak * clock_scale, bw, _launch_s(target), overlapped=target.kind == "gpu")


def source_summary(source: dict[str, Any]) -> str:
    """One line on how the measured run calibrated the model, for people."""
    if not source.get("calibrated"):
        return f"uncalibrated: {source.get('note', '')}"
    return (f"compute efficiency {source['efficiency']:.0%}, memory {source['memory_efficiency']:.0%} of the "
            f"roofs ({source.get('note', '')})")


def calibrate(result: RunResult, catalogue: Catalogue) -> dict[str, Any]:
    """How efficient the run's own device was, from its measured step (None where it cannot be told)."""
    kind = _kind_of_run(result)
    name = _source_device_name(result)
    source = catalogue.find_device(name)
    info: dict[str, Any] = {"device": name, "kind": kind, "catalogue_id": source.id if source else None,
                            "efficiency": None, "launch_s": None, "calibrated": False}
    step_s = _measured_step_s(result)
    work, per_layer = workload_of(result)
    info["per_layer"] = per_layer
    if result.status != "ok" or step_s is None:
        info["note"] = "the run has no measured step time: default efficiencies used"
        return info
    if source is None:
        info["note"] = (f"{name or 'the run’s device'} is not in the catalogue: its peaks are unknown, so the "
                        f"projection uses default efficiencies (add it to your catalogue to calibrate)")
        return info
    roofs = _roofs(source, work.precision)
    if roofs is None:
        info["note"] = f"the catalogue has no {work.precision} peak or bandwidth for {source.name}"
        return info
    fit = fit_efficiency(work, roofs, step_s, memory_efficiency=MEMORY_EFFICIENCY, fallback_compute=EFFICIENCY[kind])
    fitted_roofs = Roofs(roofs.flops_per_s, roofs.bytes_per_s, fit.launch_s, roofs.overlapped)
    busy = estimate_step(work, fitted_roofs, fit.efficiency).busy_share
    info.update(efficiency=fit.efficiency.compute, memory_efficiency=fit.efficiency.memory, launch_s=fit.launch_s,
                calibrated=True, note=fit.note,
                measured_step_s=step_s, measured_throughput_sps=result.throughput_sps, busy_share=busy)
    return info


def _power_mode(target: Target, wanted: str | None) -> tuple[float | None, float, str | None]:
    """(power cap W, clock scale, mode name) for the chosen Jetson-style mode, or the TDP."""
    tdp = target.tdp_w.value if target.tdp_w else None
    if not target.power_modes:
        return tdp, 1.0, None
    modes = {m.name: m for m in target.power_modes}
    mode = modes.get(wanted) if wanted else max(target.power_modes, key=lambda m: m.power_w)
    if mode is None:
        mode = max(target.power_modes, key=lambda m: m.power_w)
    return mode.power_w, mode.clock_scale or 1.0, mode.name


def project_target(result: RunResult, target: Target, source: dict[str, Any], catalogue: Catalogue,
                   a: Assumptions) -> TargetProjection:
    work, per_layer = workload_of(result, a.precision, a.batch)
    out = TargetProjection(target.id, target.name, target.place, work.precision, work.batch)
    if not per_layer:
        out.notes.append("the stored run has no spec: the network is projected as one lump (coarser)")
    if target.peak_flops_per_s(work.precision) is None:
        can = ", ".join(target.precisions) or "none known"
        only = " (int8 only: it runs only a quantized network; project at int8)" if target.precisions == ("int8",) else ""
        out.reason = f"cannot run {work.precision}{only}; precisions with a known peak: {can}"
        return out
    if target.mem_bw_bytes_per_s is None and target.kind != "asic":
        out.reason = "memory bandwidth unknown in the catalogue: no roofline to project on"
        return out
    if target.mem_bw_bytes_per_s is None:
        out.notes.append("on-chip memory: no memory roof, compute-bound assumed")
    cap_w, clock_scale, mode_name = _power_mode(target, a.power_mode)
    if mode_name:
        out.notes.append(f"power mode {mode_name}" + ("" if clock_scale != 1.0 or mode_name == max(
            target.power_modes, key=lambda m: m.power_w).name else " (clocks for this mode unpublished: peak clocks used)"))
    roofs = _roofs(target, work.precision, clock_scale)
    assert roofs is not None
    same_kind = source.get("calibrated") and source.get("kind") == target.kind
    if same_kind and source.get("launch_s") is not None:  # the host's overhead, slower on an edge board's CPU
        launch = float(source["launch_s"]) * (EDGE_LAUNCH_FACTOR if target.place == "edge" else 1.0)
        roofs = Roofs(roofs.flops_per_s, roofs.bytes_per_s, launch, roofs.overlapped)
    if same_kind:
        efficiency = Efficiency(float(source["efficiency"]), float(source["memory_efficiency"]))
        out.notes.append(f"efficiency {efficiency.compute:.0%} of peak compute, {efficiency.memory:.0%} of peak "
                         f"bandwidth, carried from the measured {source['device']}")
    else:
        efficiency = Efficiency(EFFICIENCY[target.kind], MEMORY_EFFICIENCY)
        out.notes.append(f"efficiency {efficiency.compute:.0%} of peak compute assumed for this kind of device "
                         f"({target.kind}): nothing was measured on one")
    if target.mem_bytes is not None:
        out.max_batch = largest_batch(work, target.mem_bytes)
        if out.max_batch is None:
            fixed, _ = memory_need_bytes(work)
            out.fits = fixed <= target.mem_bytes
            out.notes.append("activation memory unknown (no spec stored): only the weights' fit is checked")
        else:
            out.fits = out.max_batch >= work.batch
        if not out.fits:
            fixed, per_sample = memory_need_bytes(work)
            need_gb = (fixed + per_sample * work.batch) / 1e9
            out.reason = (f"does not fit: needs ~{need_gb:.2f} GB at batch {work.batch}, has {target.mem_bytes / 1e9:g} GB"
                          + (f"; largest batch that fits: {out.max_batch}" if out.max_batch else ""))
            return out
    else:
        out.notes.append("memory size unknown: fit not checked")
    step = estimate_step(work, roofs, efficiency)
    out.step_time_s = step.step_s
    out.throughput_sps = work.batch / step.step_s
    out.bound = step.bound
    if cap_w is not None:
        if source.get("measured_idle_w") and target.id == source.get("catalogue_id"):
            idle = float(source["measured_idle_w"])
            out.notes.append("idle power as measured before the run")
        elif target.idle_w:
            idle = target.idle_w.value
        else:
            idle = IDLE_SHARE_OF_TDP * cap_w
            out.notes.append(f"idle power assumed {IDLE_SHARE_OF_TDP:.0%} of TDP")
        busy = step.busy_share * (source.get("power_share") or BUSY_POWER_SCALE)
        out.power_w = power_w(idle, cap_w, busy)
        out.energy_per_sample_j = energy_per_sample_j(out.power_w, step.step_s, work.batch)
        pue = a.pue if a.pue is not None else _pue(catalogue, target.place)
        grid = _grid(catalogue, a.region)
        out.kwh_per_million_samples = kwh_per_million(out.energy_per_sample_j, pue)
        out.gco2_per_million_samples = gco2_per_million(out.energy_per_sample_j, pue, grid)
        if target.cloud_usd_per_h:
            out.usd_per_million_samples = usd_per_million_cloud(target.cloud_usd_per_h.value, out.throughput_sps)
            out.usd_basis = f"cloud {target.cloud_usd_per_h.value:g} $/h ({target.cloud_usd_per_h.date})"
        elif target.price_usd:
            out.usd_per_million_samples = usd_per_million_owned(
                target.price_usd.value, a.lifetime_years, a.duty_share, out.throughput_sps,
                out.energy_per_sample_j, pue, a.usd_per_kwh)
            out.usd_basis = (f"purchase {target.price_usd.value:g} $ ({target.price_usd.date}) over "
                             f"{a.lifetime_years:g} years at {a.duty_share:.0%} duty + electricity")
        else:
            out.notes.append("no price in the catalogue: $ per million unknown")
    else:
        out.notes.append("TDP unknown: power, energy, $ and CO2 not projected")
    return out


def _pue(catalogue: Catalogue, place: str) -> float:
    fact = catalogue.pue.get(place)
    return fact.value if fact else 1.0


def _grid(catalogue: Catalogue, region: str) -> float:
    fact = catalogue.grid_gco2_per_kwh.get(region) or catalogue.grid_gco2_per_kwh.get("world")
    return fact.value if fact else 481.0


def _power_share(result: RunResult, catalogue: Catalogue, source: dict[str, Any]) -> float | None:
    """How far into its dynamic range the measured GPU ran per unit of busy share: its measured mean
    power against its TDP, divided by the share of the step the model says it was busy."""
    target = catalogue.find_device(source.get("device"))
    mean, idle = result.power_w.gpu_mean, result.power_w.gpu_idle
    if target is None or target.tdp_w is None or mean is None or not source.get("busy_share"):
        return None
    idle = idle if idle is not None else IDLE_SHARE_OF_TDP * target.tdp_w.value
    span = target.tdp_w.value - idle
    if span <= 0:
        return None
    return min(max((mean - idle) / span / source["busy_share"], 0.05), 1.0)


def project(result: RunResult, catalogue: Catalogue, assumptions: Assumptions | None = None,
            target_ids: list[str] | None = None) -> Projection:
    """Every requested target (all by default), in catalogue order."""
    a = assumptions or Assumptions()
    source = calibrate(result, catalogue)
    share = _power_share(result, catalogue, source)
    if share is not None:
        source["power_share"] = share
        source["measured_idle_w"] = result.power_w.gpu_idle
    targets = [catalogue.target(t) for t in target_ids] if target_ids else catalogue.resolved()
    rows = [project_target(result, t, source, catalogue, a) for t in targets]
    pue_note = "by place (catalogue)" if a.pue is None else f"{a.pue:g} for every target"
    assumptions_out = {
        **a.model_dump(), "pue": pue_note,
        "grid_gco2_per_kwh": _grid(catalogue, a.region),
        "launch_s_per_kernel": LAUNCH_S, "edge_launch_factor": EDGE_LAUNCH_FACTOR,
        "default_efficiency": EFFICIENCY, "memory_efficiency_default": MEMORY_EFFICIENCY,
        "idle_share_of_tdp": IDLE_SHARE_OF_TDP,
        "busy_power_scale": source.get("power_share") or BUSY_POWER_SCALE,
        "model": "per-layer roofline max(FLOPs/compute, bytes/bandwidth), plus kernels x launch on a CPU (overlapped "
                 "on a GPU); training x3; "
                 "channels-last, fusion and kernel choice not modelled; peaks are datasheet boost-clock figures",
        "catalogue_checked": catalogue.checked,
    }
    return Projection(result.run_id, result.network.name, source, assumptions_out, rows)


def cross_check(source_result: RunResult, measured: RunResult, catalogue: Catalogue,
                assumptions: Assumptions | None = None) -> dict[str, Any]:
    """Project `source_result` onto the device `measured` ran on, at its precision and batch, and
    compare with what was measured there: how far to trust a projection."""
    target = catalogue.find_device(_source_device_name(measured))
    base = {"source_run": source_result.run_id, "measured_run": measured.run_id,
            "projected_sps": None, "measured_sps": measured.throughput_sps, "error": None}
    if target is None:
        return {**base, "reason": f"{_source_device_name(measured)} is not in the catalogue"}
    a = (assumptions or Assumptions()).model_copy(update={
        "precision": measured.config.precision, "batch": measured.config.batch})
    if measured.config.mode != source_result.config.mode:
        return {**base, "target": target.id, "reason": "the runs differ in mode (train vs infer)"}
    row = project(source_result, catalogue, a, [target.id]).targets[0]
    error = (row.throughput_sps / measured.throughput_sps - 1.0) if row.throughput_sps and measured.throughput_sps else None
    return {**base, "target": target.id, "projected_sps": row.throughput_sps, "error": error, "reason": row.reason}
