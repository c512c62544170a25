"""int8 and fp8 inference on a CUDA GPU (precision int8 or fp8 with a GPU device), through torchao:

    int8: Int8DynamicActivationInt8WeightConfig - int8 weights (per output channel), activations
          quantized to int8 per row at each batch; the GEMM is torch._int_mm (cuBLAS int8 tensor cores).
    fp8:  Float8DynamicActivationFloat8WeightConfig(PerRow) - e4m3 weights and activations with
          row-wise scales; the GEMM is torch._scaled_mm (fp8 tensor cores, compute capability 8.9+).

Only Linear layers whose shapes the kernels take are quantized: int8 needs both dimensions a
multiple of 8 (torchao otherwise runs the product on the CPU), fp8 a multiple of 16 (torchao
otherwise leaves the layer as it is). Convolutions stay in bf16: torchao has no int8 convolution
kernel, and its fp8 convolution needs the separate mslk kernel library. The whole network is cast to
bf16 (torchao's fp8 GEMM writes bf16 only) and its input cast on entry. After the warm-up one
profiled step shows which kernels ran: if no int8 / fp8 GEMM did (no layer fits, or torchao fell
back), the result says `simulated` and findings never call its speed a speed-up.

    model, report = quantize_linear(model, "fp8", compiled=False)       # after model.to(device)
    probe_kernels(step, device, report)                                  # untimed, after the warm-up
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from engine.errors import Unsupported
from engine.results.result import QuantizationReport
from engine.run.options import QUANT_EXTRA
from engine.run.quantize import quiet_torchao

# The smallest multiple each dimension of a quantized Linear layer must be (see the module docstring).
MULTIPLE = {"int8": 8, "fp8": 16}
# How a low-precision GEMM shows in the profiler: the aten operator torchao calls (eager, and Inductor's
# extern kernels), or a kernel whose name says int8 / fp8 (cuBLAS, CUTLASS, Inductor's Triton templates).
LOW_PRECISION_OPS = {"int8": ("aten::_int_mm", "torchao::int_scaled_matmul"), "fp8": ("aten::_scaled_mm",)}
LOW_PRECISION_KERNEL = {"int8": re.compile(r"int_mm|imma|i8i8|s8s8|_s8_|int8", re.I),
                        "fp8": re.compile(r"scaled_mm|e4m3|e5m2|f8f8|fp8|float8", re.I)}
GEMM_KERNEL = re.compile(r"gemm|_mm|xmma|cutlass|matmul|nvjet", re.I)
KERNELS = {"int8": "torchao int8 dynamic (torch._int_mm, cuBLAS int8)",
           "fp8": "torchao fp8 dynamic, row-wise scales (torch._scaled_mm, fp8 tensor cores)"}
CONV_WHY = {"int8": "convolution: torchao has no int8 convolution kernel for GPUs",
            "fp8": "convolution: torchao's fp8 convolution needs the mslk kernel library (not used here)"}


def torchao_config(precision: str) -> Any:
    """torchao's config for the precision; Unsupported naming the extra to install when it is missing."""
    try:
        with quiet_torchao():
            from torchao.quantization import (
                Float8DynamicActivationFloat8WeightConfig,
                Int8DynamicActivationInt8WeightConfig,
                PerRow,
            )
    except Exception as exc:  # noqa: BLE001 - missing, or built against another torch: one line either way
        raise Unsupported(f"precision {precision}: torchao does not import ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0][:200] if str(exc) else ''}); {QUANT_EXTRA}") from None
    # set_inductor_config=False: torchao would otherwise change Inductor's settings for the whole process
    # (coordinate-descent tuning and more), and every later run in it would compile differently.
    if precision == "fp8":
        return Float8DynamicActivationFloat8WeightConfig(granularity=PerRow(), set_inductor_config=False)
    return Int8DynamicActivationInt8WeightConfig(set_inductor_config=False)


def plan_layers(model: nn.Module, precision: str) -> tuple[list[str], dict[str, str]]:
    """(module names of the Linear layers to quantize, {module name: why it stays in bf16}) for every
    Linear and Conv2d."""
    m = MULTIPLE[precision]
    take, why = [], {}
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Linear):
            if mod.in_features % m or mod.out_features % m:
                why[name] = (f"Linear {mod.in_features}->{mod.out_features}: the {precision} kernel needs both "
                             f"dimensions a multiple of {m}")
            else:
                take.append(name)
        elif isinstance(mod, nn.Conv2d):
            why[name] = CONV_WHY[precision]
    return take, why


def quantize_linear(model: nn.Module, precision: str, compiled: bool) -> tuple[nn.Module, QuantizationReport]:
    """Cast the model (already on its GPU) to bf16, quantize the Linear layers that fit, and cast its
    input to bf16 on entry. The report's kernels come from probe_kernels; until then it is simulated."""
    config = torchao_config(precision)
    from torchao.quantization import quantize_
    ids = {attr: lid for lid, attr in getattr(model, "module_names", {}).items()}
    model = model.to(torch.bfloat16).eval()
    take, why = plan_layers(model, precision)
    if take:
        chosen = set(take)
        with quiet_torchao():
            quantize_(model, config, filter_fn=lambda _m, fqn: fqn in chosen)
    model.register_forward_pre_hook(_bf16_input)
    report = QuantizationReport(
        method="dynamic", precision=precision, layers=[ids.get(n, n) for n in take],
        skipped=[ids.get(n, n) for n in why], skipped_why={ids.get(n, n): w for n, w in why.items()},
        kept_precision="bf16", kernels=KERNELS[precision], compiled=compiled, simulated=True,
        simulated_why=("no layer was quantized: " + "; ".join(f"{ids.get(n, n)}: {w}" for n, w in why.items())
                       if not take else "the kernels were not probed"))
    return model, report


def _bf16_input(_module: nn.Module, args: tuple) -> tuple:
    return tuple(a.to(torch.bfloat16) if torch.is_tensor(a) and a.is_floating_point() else a for a in args)


def probe_kernels(step: Callable[[], Any], device: torch.device, report: QuantizationReport,
                  eager: Callable[[], Any] | None = None) -> None:
    """Profile one step (untimed, after the warm-up) and record whether an int8 / fp8 GEMM ran and its
    kernels. `eager`: the uncompiled step, profiled when the compiled one shows no GEMM at all (a CUDA
    graph can hide its kernels from the profiler). Never fails the run: a probe that fails leaves the
    report simulated, saying why."""
    if not report.layers:
        return
    try:
        ran, names = _profile(step, device, report.precision)
        if not ran and not names and eager is not None:
            ran, names = _profile(eager, device, report.precision)
            if ran:
                report.kernels += " (seen in an uncompiled step: the compiled one hid its kernels)"
    except Exception as exc:  # noqa: BLE001 - the probe must never fail a run: say why it is unproven
        report.simulated_why = f"the kernels could not be probed ({type(exc).__name__}: {str(exc)[:200]})"
        return
    report.kernel_names = names[:12]
    report.simulated = not ran
    report.simulated_why = None if ran else (
        f"no {report.precision} GEMM ran (torchao fell back to higher precision): its speed is not "
        f"{report.precision}'s")


def _profile(step: Callable[[], Any], device: torch.device, precision: str) -> tuple[bool, list[str]]:
    """(a low-precision GEMM ran, the GEMM kernels' names, low-precision ones first) of one step."""
    from torch.profiler import ProfilerActivity, profile

    from engine.profile.kineto_quiet import quiet_kineto
    cuda = device.type == "cuda"  # the CPU too, so the probe is tested where there is no GPU
    sync = (lambda: torch.cuda.synchronize(device)) if cuda else (lambda: None)
    sync()
    with quiet_kineto(), profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA] if cuda else
                                     [ProfilerActivity.CPU]) as prof:
        step()
        sync()
    ops = LOW_PRECISION_OPS[precision]
    low, other, ran = [], [], False
    for e in prof.events():
        if e.device_type == torch.autograd.DeviceType.CUDA:
            if LOW_PRECISION_KERNEL[precision].search(e.name):
                ran = True
                if e.name not in low:
                    low.append(e.name)
            elif GEMM_KERNEL.search(e.name) and e.name not in other:
                other.append(e.name)
        elif e.name in ops:
            ran = True
    return ran, low + other
