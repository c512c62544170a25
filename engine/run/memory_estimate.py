"""How much memory a run will need, from the network's analysis, before it starts. No Qt, no torch.

An estimate, labelled as one: weights (fp32 master copy; autocast keeps weights in fp32), gradients
and optimizer state when training, activations x batch at the precision's element size (kept for the
backward pass when training; only the largest layer pair alive at once when inferring), the input
batch, and a fixed runtime overhead (CUDA context, or the torch runtime on the CPU).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from engine.format import byte_size

ELEMENT_BYTES = {"fp32": 4, "tf32": 4, "fp16": 2, "bf16": 2, "int8": 1}
OPTIMIZER_STATE_PER_PARAM = {"sgd": 1, "adam": 2}  # fp32 tensors per parameter (SGD momentum, Adam m and v)
GPU_RUNTIME_BYTES = 600 * 2**20  # CUDA context + cuBLAS/cuDNN workspaces (typical, driver-dependent)
CPU_RUNTIME_BYTES = 400 * 2**20  # the torch runtime in the worker process
TRAIN_ACTIVATION_FACTOR = 2.0  # kept activations + their gradients at the peak of the backward pass
FIT_FRACTION = 0.9  # leave room for fragmentation and other processes


@dataclass(frozen=True)
class MemoryEstimate:
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    activations_bytes: int  # for the whole batch
    input_bytes: int
    runtime_bytes: int
    per_sample_bytes: float  # what one more sample in the batch costs
    capacity_bytes: int | None  # the device's memory (None: unknown)
    place: str  # "GPU memory" | "host memory"

    @property
    def total_bytes(self) -> int:
        return (self.weights_bytes + self.gradients_bytes + self.optimizer_bytes + self.activations_bytes
                + self.input_bytes + self.runtime_bytes)

    @property
    def fits(self) -> bool | None:
        if self.capacity_bytes is None:
            return None
        return self.total_bytes <= FIT_FRACTION * self.capacity_bytes

    def largest_batch(self) -> int | None:
        """The largest batch whose estimate fits, or None when unknown (or not even batch 1 fits: 0)."""
        if self.capacity_bytes is None or self.per_sample_bytes <= 0:
            return None
        fixed = self.total_bytes - self.activations_bytes - self.input_bytes
        room = FIT_FRACTION * self.capacity_bytes - fixed
        return max(0, int(math.floor(room / self.per_sample_bytes)))


def estimate(params: int, activation_bytes_fp32: int, layer_activation_bytes_fp32: list[int],
             input_elements: int, batch: int, precision: str, mode: str, optimizer: str = "sgd",
             on_gpu: bool = True, capacity_bytes: int | None = None) -> MemoryEstimate:
    elem = ELEMENT_BYTES.get(precision, 4)
    weights = params * 4
    training = mode == "train"
    grads = params * 4 if training else 0
    opt = params * 4 * OPTIMIZER_STATE_PER_PARAM.get(optimizer, 1) if training else 0
    scale = elem / 4
    if training:
        act_per_sample = activation_bytes_fp32 * scale * TRAIN_ACTIVATION_FACTOR
    else:
        sizes = sorted(layer_activation_bytes_fp32, reverse=True)
        act_per_sample = sum(sizes[:2]) * scale
    input_per_sample = input_elements * 4
    per_sample = act_per_sample + input_per_sample
    return MemoryEstimate(
        weights_bytes=weights, gradients_bytes=grads, optimizer_bytes=opt,
        activations_bytes=int(act_per_sample * batch), input_bytes=int(input_per_sample * batch),
        runtime_bytes=GPU_RUNTIME_BYTES if on_gpu else CPU_RUNTIME_BYTES, per_sample_bytes=per_sample,
        capacity_bytes=capacity_bytes, place="GPU memory" if on_gpu else "host memory")


def estimate_memory(analysis: Any, input_shape: list[int], config: Any,
                    capacity_bytes: int | None) -> MemoryEstimate:
    """The estimate of a run (a RunConfig: batch, precision, mode, optimizer, device) of a network,
    from its engine.net analysis (per-layer fp32 activation bytes per sample)."""
    layers = [info.activation_bytes for info in analysis.layers.values()]
    return estimate(analysis.total_params, analysis.activation_bytes, layers, math.prod(input_shape), config.batch,
                    config.precision, config.mode, config.optimizer, config.device != "cpu", capacity_bytes)


def estimate_html(e: MemoryEstimate, batch: int, precision: str) -> str:
    """The estimate for the run panel: total, breakdown, and a warning with the batch that fits."""
    cap = f" of {byte_size(e.capacity_bytes)}" if e.capacity_bytes else ""
    lines = [f"<b>~{byte_size(e.total_bytes)}</b>{cap} {e.place} (estimated)",
             f"weights {byte_size(e.weights_bytes)}"
             + (f" · gradients {byte_size(e.gradients_bytes)} · optimizer {byte_size(e.optimizer_bytes)}"
                if e.gradients_bytes else ""),
             f"activations {byte_size(e.activations_bytes)} (batch {batch}, {precision}) · "
             f"input {byte_size(e.input_bytes)} · runtime {byte_size(e.runtime_bytes)}"]
    if e.fits is False:
        best = e.largest_batch()
        lines.append(f"⚠ Will not fit in {byte_size(e.capacity_bytes)}. "
                     + (f"Largest batch that fits: {best:,}." if best else "Not even batch 1 fits."))
    return "<br>".join(lines)


def oom_suggestion(e: MemoryEstimate, batch: int) -> tuple[int | None, str]:
    """After an out-of-memory run at `batch`: the batch to try next, and a note saying why."""
    best = e.largest_batch()
    if best is None:
        return None, "The device's memory size is unknown, so no batch can be suggested."
    note = f"Estimate for batch {batch}: ~{byte_size(e.total_bytes)} of {byte_size(e.capacity_bytes)}."
    if best >= batch:  # the estimate was optimistic for this net: halving is the usual next try
        best = max(1, batch // 2)
        note += " The estimate was too optimistic here; halving the batch is the next try."
    return (best or None), note
