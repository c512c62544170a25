"""What each precision means on a device, and the torch switches
for it. `fp32` is strict fp32: TF32 off for matmul and cuDNN; `tf32` turns both on; fp16 runs under
autocast with a grad scaler; bf16 under autocast alone.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from engine.errors import Unsupported
from engine.run.options import Target, unavailable


@dataclass
class PrecisionPlan:
    name: str
    autocast_dtype: torch.dtype | None  # None: no autocast at all (not even a disabled one)
    grad_scaler: bool
    notes: list[str] = field(default_factory=list)  # quality notes for the result
    quantize_int8: bool = False  # int8 on the CPU: static post-training quantization (engine.run.quantize)
    quantize_gpu: str | None = None  # int8 / fp8 on a GPU: torchao's quantized Linear layers (engine.run.gpu_quant)

    def autocast(self, device_type: str) -> Callable[[], contextlib.AbstractContextManager]:
        """A factory for the step's autocast context; nullcontext when there is none (cheaper than
        a disabled autocast, which still enters and leaves dispatcher state every step)."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext
        dtype = self.autocast_dtype
        return lambda: torch.autocast(device_type, dtype=dtype)


def plan_precision(precision: str, device: torch.device, mode: str) -> PrecisionPlan:
    cuda = device.type == "cuda"
    if precision in ("int8", "fp8"):
        cc = torch.cuda.get_device_capability(device) if cuda else None
        why = unavailable({"mode": mode}, Target(device=device.type, compute_capability=cc)).get(f"precision:{precision}")
        if why:
            raise Unsupported(f"precision {precision}: {why}")
        if not cuda:
            return PrecisionPlan("int8", None, False, [], quantize_int8=True)
        # The layers torchao does not quantize run in bf16 (weights cast once; autocast for the inputs).
        return PrecisionPlan(precision, torch.bfloat16, False, [], quantize_gpu=precision)
    if precision in ("fp32", "tf32"):
        notes = []
        if precision == "tf32" and not cuda:
            notes.append("tf32 is a GPU tensor-core mode: on the CPU this run is plain fp32")
        elif precision == "tf32" and torch.cuda.get_device_capability(device)[0] < 8:
            notes.append("this GPU has no TF32 tensor cores (before Ampere): tf32 runs as fp32")
        return PrecisionPlan(precision, None, False, notes)
    dtype = torch.float16 if precision == "fp16" else torch.bfloat16
    if cuda and precision == "bf16" and not torch.cuda.is_bf16_supported():
        raise Unsupported(f"precision bf16: {torch.cuda.get_device_name(device)} does not support bfloat16")
    notes = []
    if not cuda:
        notes.append(f"{precision} on the CPU runs under CPU autocast; most CPUs gain little or lose speed")
    return PrecisionPlan(precision, dtype, precision == "fp16" and mode == "train", notes)


@contextlib.contextmanager
def backend_flags(precision: str, cudnn_benchmark: bool, threads: int | None) -> Iterator[None]:
    """Set TF32, cuDNN autotune and CPU threads for the run; put the previous values back after,
    so runs in one process (tests, the benchmark) do not leak settings into each other."""
    tf32 = precision == "tf32"
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32,
             torch.backends.cudnn.benchmark, torch.get_num_threads())
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = cudnn_benchmark
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved[0], saved[1]
        torch.backends.cudnn.benchmark = saved[2]
        if threads:
            torch.set_num_threads(saved[3])
