"""From attributed times to a profile: each layer's FLOPs and bytes (from the analysis), achieved
rates, arithmetic intensity and bound, and the run's verdict with the numbers behind it. Torch-free.

Bytes moved by a layer (the roofline's denominator) are its parameters plus its activations in and
out, at the precision's element size; a training step moves them about three times (forward, then
gradients of inputs and of weights), the same factor the analysis uses for FLOPs, so a layer's
intensity is the same in training and inference.

A layer is launch-bound when the device waits for work (idle for at least STARVING_SHARE of the
step) and its kernels run for less time than launching them takes (kernels x the device's launch
time): while the device is kept busy, a short kernel is launched ahead of time and costs only its
run. Otherwise it is compute-bound when its intensity reaches the ridge point (peak FLOP/s / peak
B/s) and memory-bound below it.
"""
from __future__ import annotations

from math import prod
from typing import Any

from engine.format import seconds
from engine.net.analysis import TRAIN_FLOPS_FACTOR, Analysis
from engine.profile.attribute import Attribution
from engine.profile.result import Bound, LayerProfile, OtherTime, Peaks, Verdict

STARVING_SHARE = 0.2
ELEMENT_BYTES = {"fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2}


def layer_cost(analysis: Analysis, layer_id: str, batch: int, precision: str, train: bool) -> tuple[int, int]:
    """(FLOPs, bytes) per step for one layer."""
    info = analysis.layers[layer_id]
    size = ELEMENT_BYTES.get(precision, 4)
    factor = TRAIN_FLOPS_FACTOR if train else 1
    activations = sum(prod(s) for s in info.input_shapes) + (prod(info.output_shape) if info.output_shape else 0)
    moved = info.params * size + activations * batch * size
    return info.flops * batch * factor, moved * factor


def bound_of(time_s: float, kernels: int, intensity: float | None, peaks: Peaks, starving: bool) -> Bound:
    if starving and kernels and peaks.launch_s and time_s < kernels * peaks.launch_s:
        return "launch"
    ridge = peaks.ridge_flop_per_byte
    if intensity is not None and ridge is not None and intensity >= ridge:
        return "compute"
    return "memory"


def layer_profiles(analysis: Analysis, spec_types: dict[str, str], times: Attribution, peaks: Peaks,
                   batch: int, precision: str, train: bool, step_s: float, idle_s: float) -> list[LayerProfile]:
    """One row per built layer, in the analysis's order; shares of `step_s`."""
    step = step_s or 1e-12
    starving = idle_s >= STARVING_SHARE * step
    rows = []
    for lid, info in analysis.layers.items():
        if not info.feeds_output:
            continue
        fwd, bwd = times.forward_s.get(lid, 0.0), times.backward_s.get(lid, 0.0)
        total = fwd + bwd
        flops, moved = layer_cost(analysis, lid, batch, precision, train)
        intensity = flops / moved if moved else None
        kernels = times.kernels.get(lid, 0)
        rows.append(LayerProfile(
            id=lid, type=spec_types.get(lid, info.type), forward_s=fwd, backward_s=bwd, time_s=total,
            share=total / step, flops=flops, bytes=moved, bound=bound_of(total, kernels, intensity, peaks, starving),
            kernels=kernels, achieved_flops_per_s=flops / total if total > 0 else None,
            achieved_bytes_per_s=moved / total if total > 0 else None, intensity_flop_per_byte=intensity))
    return rows


def idle_of(times: Attribution, unprofiled_s: float | None) -> float:
    """The unprofiled step's time nothing was measured doing (the profiled step's, without one)."""
    if unprofiled_s is None:
        return times.idle_s
    return max(0.0, unprofiled_s - times.busy_s)


def other_time(times: Attribution, idle_s: float) -> OtherTime:
    return OtherTime(optimizer_s=times.optimizer_s, loss_s=times.loss_s, data_s=times.data_s, idle_s=idle_s)


def verdict(layers: list[LayerProfile], other: OtherTime, step_s: float, on_gpu: bool) -> tuple[Verdict, str]:
    """What limits the step, as the largest of four parts of its time: compute-bound layers;
    memory-bound layers with the loss and the optimizer (element-wise work); launch-bound layers
    with the idle time (gaps between kernels, or host overhead between operators); data loading."""
    parts: dict[str, float] = {
        "compute-bound": sum(x.time_s for x in layers if x.bound == "compute"),
        "memory-bound": sum(x.time_s for x in layers if x.bound == "memory") + other.loss_s + other.optimizer_s,
        "launch-bound": sum(x.time_s for x in layers if x.bound == "launch") + other.idle_s,
        "data/host-bound": other.data_s,
    }
    name: Any = max(parts, key=lambda k: parts[k])
    step = step_s or 1e-12
    idle_words = "idle gaps between kernels" if on_gpu else "host overhead between operators"
    words = {"compute-bound": "compute-bound layers", "memory-bound": "memory-bound layers, loss and optimizer",
             "launch-bound": f"launch-bound layers and {idle_words}", "data/host-bound": "loading data"}
    rest = ", ".join(f"{words[k]} {100 * v / step:.0f} %" for k, v in parts.items() if k != name)
    top = max((x for x in layers if x.bound == name.removesuffix("-bound")), key=lambda x: x.time_s, default=None)
    lead = f" (largest: {top.id}, {100 * top.share:.0f} %)" if top is not None and name != "launch-bound" else ""
    if name == "launch-bound":
        lead = f" (idle {100 * other.idle_s / step:.0f} %)"
    reason = (f"{words[name]} take {100 * parts[name] / step:.0f} % of the {seconds(step)} step{lead}; "
              f"{rest}")
    return name, reason
