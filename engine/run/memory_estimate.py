"""How much memory a run will need, from the network's analysis, before it starts. No Qt, no torch.

An estimate, labelled as one: weights (fp32 master copy; autocast keeps weights in fp32), gradients
and optimizer state when training, activations x batch at the precision's element size (kept for the
backward pass when training; only the largest layer pair alive at once when inferring), the input
batch, the extra buffers of convolutions not computed by the library (im2col's unfolded input, FFT's
spectra, Winograd's tiles: engine.net.conv_rules.workspace_bytes; all kept for the backward pass when
training, the largest alone when inferring), and a fixed runtime overhead (CUDA context, or the torch
runtime on the CPU).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from engine.format import byte_size

ELEMENT_BYTES = {"fp32": 4, "tf32": 4, "fp16": 2, "bf16": 2, "int8": 1, "fp8": 2}  # fp8: activations stay bf16
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
    conv_workspace_bytes: int = 0  # for the whole batch: im2col / FFT / Winograd / direct buffers
    conv_workspace_fixed_bytes: int = 0  # of it, what does not grow with the batch (FFT's kernel spectra)
    conv_workspace_note: str = ""  # which algorithm's buffers, and the largest layer

    @property
    def total_bytes(self) -> int:
        return (self.weights_bytes + self.gradients_bytes + self.optimizer_bytes + self.activations_bytes
                + self.input_bytes + self.conv_workspace_bytes + self.runtime_bytes)

    @property
    def fits(self) -> bool | None:
        if self.capacity_bytes is None:
            return None
        return self.total_bytes <= FIT_FRACTION * self.capacity_bytes

    def largest_batch(self) -> int | None:
        """The largest batch whose estimate fits, or None when unknown (or not even batch 1 fits: 0)."""
        if self.capacity_bytes is None or self.per_sample_bytes <= 0:
            return None
        fixed = (self.total_bytes - self.activations_bytes - self.input_bytes - self.conv_workspace_bytes
                 + self.conv_workspace_fixed_bytes)
        room = FIT_FRACTION * self.capacity_bytes - fixed
        return max(0, int(math.floor(room / self.per_sample_bytes)))


@dataclass(frozen=True)
class ConvWorkspace:
    per_sample_bytes: float = 0.0
    fixed_bytes: int = 0
    note: str = ""  # e.g. "im2col x2; conv1 the largest"


def estimate(params: int, activation_bytes_fp32: int, layer_activation_bytes_fp32: list[int],
             input_elements: int, batch: int, precision: str, mode: str, optimizer: str = "sgd",
             on_gpu: bool = True, capacity_bytes: int | None = None,
             workspace: ConvWorkspace | None = None) -> MemoryEstimate:
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
    ws = workspace or ConvWorkspace()
    per_sample = act_per_sample + input_per_sample + ws.per_sample_bytes
    return MemoryEstimate(
        weights_bytes=weights, gradients_bytes=grads, optimizer_bytes=opt,
        activations_bytes=int(act_per_sample * batch), input_bytes=int(input_per_sample * batch),
        runtime_bytes=GPU_RUNTIME_BYTES if on_gpu else CPU_RUNTIME_BYTES, per_sample_bytes=per_sample,
        capacity_bytes=capacity_bytes, place="GPU memory" if on_gpu else "host memory",
        conv_workspace_bytes=int(ws.per_sample_bytes * batch) + ws.fixed_bytes,
        conv_workspace_fixed_bytes=ws.fixed_bytes, conv_workspace_note=ws.note)


def conv_workspace(spec: Any, analysis: Any, conv_algo: str, precision: str, batch: int,
                   training: bool) -> ConvWorkspace:
    """The convolutions' extra buffers for a run: each Conv2d computed by its own `algo` or the run's
    `conv_algo`; training keeps every layer's (autograd saves them for the backward pass), inferring
    only the largest layer's at a time."""
    from engine.net.conv_rules import algo_problem, chosen_algo, workspace_bytes
    from engine.net.layers import LAYER_TYPES, check_params
    elem = 2 if precision in ("fp16", "bf16") else 4  # what a convolution computes in
    sizes: list[tuple[int, int, str, str]] = []  # (per sample, fixed, algo, layer)
    for layer in spec.layers:
        info = analysis.layers.get(layer.id)
        if layer.type != "Conv2d" or info is None or info.output_shape is None or not info.input_shapes:
            continue
        values, _ = check_params(LAYER_TYPES["Conv2d"], layer.params)
        algo, _by = chosen_algo(values.get("algo"), conv_algo)
        if algo_problem(algo, values):  # refused before the run: nothing allocated
            continue
        per, fixed = workspace_bytes(algo, values, info.input_shapes[0], info.output_shape, elem, training)
        if per or fixed:
            sizes.append((per, fixed, algo, layer.id))
    if not sizes:
        return ConvWorkspace()
    counts: dict[str, int] = {}
    for _p, _f, algo, _l in sizes:
        counts[algo] = counts.get(algo, 0) + 1
    largest = max(sizes, key=lambda s: s[0] * batch + s[1])
    note = ", ".join(f"{a} x{n}" for a, n in counts.items()) + f"; {largest[3]} the largest"
    if training:
        return ConvWorkspace(sum(s[0] for s in sizes), sum(s[1] for s in sizes), note)
    return ConvWorkspace(largest[0], largest[1], note)


def estimate_memory(analysis: Any, input_shape: list[int], config: Any,
                    capacity_bytes: int | None, spec: Any = None) -> MemoryEstimate:
    """The estimate of a run (a RunConfig: batch, precision, mode, optimizer, device, conv_algo) of a
    network, from its engine.net analysis (per-layer fp32 activation bytes per sample) and, for the
    convolutions' algorithms and their buffers, its spec."""
    layers = [info.activation_bytes for info in analysis.layers.values()]
    workspace = None if spec is None else conv_workspace(
        spec, analysis, getattr(config, "conv_algo", "library"), config.precision, config.batch,
        config.mode == "train")
    return estimate(analysis.total_params, analysis.activation_bytes, layers, math.prod(input_shape), config.batch,
                    config.precision, config.mode, config.optimizer, config.device != "cpu", capacity_bytes,
                    workspace)


def estimate_html(e: MemoryEstimate, batch: int, precision: str) -> str:
    """The estimate for the run panel: total, breakdown, and a warning with the batch that fits."""
    cap = f" of {byte_size(e.capacity_bytes)}" if e.capacity_bytes else ""
    lines = [f"<b>~{byte_size(e.total_bytes)}</b>{cap} {e.place} (estimated)",
             f"weights {byte_size(e.weights_bytes)}"
             + (f" · gradients {byte_size(e.gradients_bytes)} · optimizer {byte_size(e.optimizer_bytes)}"
                if e.gradients_bytes else ""),
             f"activations {byte_size(e.activations_bytes)} (batch {batch}, {precision}) · "
             f"input {byte_size(e.input_bytes)} · runtime {byte_size(e.runtime_bytes)}"]
    if e.conv_workspace_bytes:
        lines.append(f"convolution buffers {byte_size(e.conv_workspace_bytes)} ({e.conv_workspace_note})")
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
