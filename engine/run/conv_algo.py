"""The run's convolution algorithms: which algorithm computes each Conv2d of a built network (the
run option `conv_algo`, overridden by a layer's own `algo`), and what the library ran for the
library layers (a short untimed profiler probe, on a GPU the kernel names cuDNN picked).

    switch_conv_algos(model, spec, run_algo, batch, precision) -> (ConvAlgos, input shapes)
        BadRunInput naming the layer an algorithm cannot compute
    probe_library_kernels(model, record, inputs, batch, autocast, device, train, memory_format)
        fills the record's library_kernels in place
"""
from __future__ import annotations

import contextlib
from typing import Any

import torch

from engine.errors import BadRunInput
from engine.net.analysis import analyze
from engine.net.conv_algos import AlgoConv2d
from engine.net.conv_rules import chosen_algo, im2col_buffer_bytes
from engine.net.layers import LAYER_TYPES, check_params
from engine.net.spec import NetworkSpec
from engine.results.result import ConvAlgos, ConvLayer

ELEM_BYTES = {"fp16": 2, "bf16": 2}  # what a convolution computes in; the others compute in fp32
# On a GPU the probe also runs PyTorch's own kernels (autocast's cast to bf16, copies, fills): only
# names that look like a convolution library's kernel are kept; ATen's native kernels never are.
CONV_KERNEL_MARKS = ("conv", "xmma", "implicit", "fprop", "dgrad", "wgrad", "gemm", "winograd", "fft",
                     "cudnn", "cutlass", "nhwc", "sm80_", "sm86_", "sm89_", "sm90_", "sm100_")
NOT_CONV_MARKS = ("at::native::", "elementwise", "memcpy", "memset", "fill", "copy_kernel")
CPU_WRAPPERS = {"aten::conv2d", "aten::convolution", "aten::_convolution"}  # dispatch, not the work


def switch_conv_algos(model: torch.nn.Module, spec: NetworkSpec, run_algo: str, batch: int,
                      precision: str) -> tuple[ConvAlgos, dict[str, tuple[int, ...]]]:
    """Replace each built Conv2d whose algorithm is not the library by an AlgoConv2d sharing its
    weights; return the record for the result and each conv layer's input shape (for the probe).
    BadRunInput names the layer an algorithm cannot compute."""
    analysis = analyze(spec)
    names = getattr(model, "module_names", {})
    record = ConvAlgos()
    inputs: dict[str, tuple[int, ...]] = {}
    for layer in spec.layers:
        if layer.type != "Conv2d" or layer.id not in names:
            continue
        values, _ = check_params(LAYER_TYPES["Conv2d"], layer.params)
        algo, chosen_by = chosen_algo(values.get("algo"), run_algo)
        info = analysis.layers[layer.id]
        in_shape, out_shape = info.input_shapes[0], info.output_shape
        entry = ConvLayer(layer=layer.id, algo=algo, chosen_by=chosen_by)
        if algo == "im2col" and out_shape is not None:
            entry.im2col_buffer_bytes = im2col_buffer_bytes(values, in_shape, out_shape, batch,
                                                            ELEM_BYTES.get(precision, 4))
        source = "its algo parameter" if chosen_by == "layer" else f"conv_algo {algo}"
        if algo != "library" and precision == "int8":
            raise BadRunInput(f"layer {layer.id!r} ({source}): int8 quantizes torch's own convolution; {algo} "
                              f"computes in floating point (choose the library algorithm, or another precision)")
        if algo != "library":
            try:
                setattr(model, names[layer.id], AlgoConv2d.replacing(getattr(model, names[layer.id]), algo))
            except ValueError as exc:
                raise BadRunInput(f"layer {layer.id!r} ({source}): {exc}") from None
        inputs[layer.id] = tuple(in_shape)
        record.layers.append(entry)
    return record, inputs


def is_conv_kernel(name: str) -> bool:
    """Whether a CUDA kernel's name looks like a convolution library's kernel (cuDNN, CUTLASS, GEMM)."""
    low = name.lower()
    return not any(m in low for m in NOT_CONV_MARKS) and any(m in low for m in CONV_KERNEL_MARKS)


def _kernel_names(prof: Any, cuda: bool) -> list[str]:
    """CUDA kernels (GPU) or the innermost aten convolution operators (CPU), in order, once each."""
    out: list[str] = []
    for e in prof.events():
        if cuda:
            keep = e.device_type == torch.autograd.DeviceType.CUDA and is_conv_kernel(e.name)
        else:
            keep = "conv" in e.name and e.name not in CPU_WRAPPERS and \
                not any("conv" in c.name for c in e.cpu_children)
        if keep and e.name not in out:
            out.append(e.name)
    return out


def probe_library_kernels(model: torch.nn.Module, record: ConvAlgos, inputs: dict[str, tuple[int, ...]],
                          batch: int, autocast: Any,
                          device: torch.device, train: bool, memory_format: torch.memory_format) -> None:
    """Run each library Conv2d once alone on a random input of its shape (the first call lets cuDNN
    autotune; the second is profiled) and note what ran. Untimed, before the warm-up. Any failure
    leaves the names out with the reason: naming kernels must never fail a run."""
    from torch.profiler import ProfilerActivity, profile

    from engine.profile.kineto_quiet import quiet_kineto
    names = getattr(model, "module_names", {})
    cuda = device.type == "cuda"
    activities = [ProfilerActivity.CPU, ProfilerActivity.CUDA] if cuda else [ProfilerActivity.CPU]
    try:
        for entry in record.layers:
            if entry.algo != "library" or entry.layer not in inputs:
                continue
            conv = getattr(model, names[entry.layer])
            x = torch.randn(batch, *inputs[entry.layer], device=device).contiguous(memory_format=memory_format)
            x.requires_grad_(train)

            grad_out: list[torch.Tensor] = []  # made on the first call, so no fill kernel is profiled

            def once(conv: torch.nn.Module = conv, x: torch.Tensor = x, grad_out: list = grad_out) -> None:
                with autocast():
                    y = conv(x)
                if train:
                    grad_out[:] = grad_out or [torch.ones_like(y)]
                    torch.autograd.grad(y, [x, *conv.parameters()], grad_out[0])

            with torch.enable_grad() if train else torch.inference_mode():
                once()
                if cuda:
                    torch.cuda.synchronize(device)
                with quiet_kineto(), profile(activities=activities) as prof:
                    once()
                    if cuda:
                        torch.cuda.synchronize(device)
            entry.library_kernels = _kernel_names(prof, cuda)[:12]
    except Exception as exc:  # noqa: BLE001 - the profiler is optional here: say why, run on
        record.kernels_unavailable = f"the profiler probe failed: {type(exc).__name__}: {exc}"[:300]
    finally:
        with contextlib.suppress(Exception):
            model.zero_grad(set_to_none=True)
