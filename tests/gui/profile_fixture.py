"""A made-up but self-consistent profile of any spec, for the GUI tests and the screenshots: each
layer's FLOPs and bytes from the analysis, its time from the H200's roofs (the slower of compute and
memory, or the launch floor), its bound the roof that set its time. Not a measurement."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from engine.net import NetworkSpec, analyze
from engine.profile import LayerProfile, OtherTime, Peaks, ProfileResult
from engine.run import RunConfig

PEAKS = Peaks(precision="bf16", flops_per_s=6.7e14, bytes_per_s=4.26e12, launch_s=4e-6)


def make_profile(spec: NetworkSpec, run_id: str = "run-profiled", batch: int = 512, mode: str = "train",
                 device_name: str = "NVIDIA H200", peaks: Peaks = PEAKS, idle_s: float = 2e-4) -> ProfileResult:
    analysis = analyze(spec)
    passes = 3 if mode == "train" else 1  # backward costs about twice the forward
    layers = []
    for layer_id, info in analysis.layers.items():
        if not info.feeds_output:
            continue
        elements_in = sum(math.prod(s) for s in info.input_shapes)
        elements_out = info.activation_bytes // 4
        flops = info.flops * batch * passes
        moved = 2 * (info.params + batch * (elements_in + elements_out)) * (2 if mode == "train" else 1)
        times = {"compute": flops / (0.6 * peaks.flops_per_s), "memory": moved / (0.75 * peaks.bytes_per_s),
                 "launch": peaks.launch_s * (3 if mode == "train" else 1)}
        bound = max(times, key=times.get)
        t = times[bound]
        forward = t / passes if mode == "train" else t
        layers.append(dict(id=layer_id, type=info.type, forward_s=forward, backward_s=t - forward, time_s=t,
                           flops=flops, bytes=moved, bound=bound,
                           achieved_flops_per_s=flops / t if flops else None, achieved_bytes_per_s=moved / t,
                           intensity_flop_per_byte=flops / moved if flops and moved else None))
    other = OtherTime(optimizer_s=3e-4 if mode == "train" else 0.0, loss_s=2e-5, data_s=5e-5, idle_s=idle_s)
    layer_s = sum(layer["time_s"] for layer in layers)
    # As the engine does: the idle time is what the unprofiled step leaves over, shares are of that step.
    step = layer_s + other.optimizer_s + other.loss_s + other.data_s + other.idle_s
    by_bound = {b: sum(layer["time_s"] for layer in layers if layer["bound"] == b) for b in ("compute", "memory")}
    verdict = "compute-bound" if by_bound["compute"] >= by_bound["memory"] else "memory-bound"
    reason = (f"{by_bound['compute'] / step:.0%} of the step is in compute-bound layers and "
              f"{by_bound['memory'] / step:.0%} in memory-bound ones.")
    return ProfileResult(
        run_id=run_id, net=spec.name, device="cuda:0", device_name=device_name,
        created_utc="2026-11-29T06:00:00+00:00",
        config=RunConfig(device="cuda:0", precision=peaks.precision, batch=batch, mode=mode),
        profiled_steps=20, layers=[LayerProfile(share=layer["time_s"] / step, **layer) for layer in layers],
        other=other, step_time_s=step * 1.6, unprofiled_step_time_s=step, profiler_overhead=1.6, peaks=peaks,
        verdict=verdict, verdict_reason=reason)


@dataclass(frozen=True)
class RefusedProfileJob:
    """A profile job that refuses its input in the child, as a missing data set would."""
    kind: ClassVar[str] = "profile"
    message: str = "data set 'digits': file /nowhere/digits.npz not found"

    def execute(self, ctx) -> None:
        from engine.errors import BadInput
        raise BadInput(self.message)
