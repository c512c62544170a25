"""Device peaks measured by micro-benchmarks: matrix-multiply FLOP/s per precision, memory bandwidth
(a device-to-device copy) and the cost of launching one tiny kernel. Imports torch.

These are what a network could reach at best on this device, the roofs of a roofline; the
catalogue's datasheet peaks are checked against them. Each figure is the best of repeats (a peak is
what the device reaches at best, and the best repeat is the one nothing else disturbed), timed with
CUDA events on a GPU (one synchronise per repeat, never per kernel) or the host clock on a CPU.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch

DTYPES = {"fp32": torch.float32, "tf32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


@dataclass
class DevicePeaks:
    device: str
    device_name: str
    matmul_flops_per_s: dict[str, float] = field(default_factory=dict)  # precision -> FLOP/s
    copy_bytes_per_s: float | None = None  # bytes read + written per second
    launch_s: float | None = None  # per tiny kernel, back to back
    matmul_n: int = 0
    matmul_sizes: dict[str, int] = field(default_factory=dict)  # precision -> n of the n x n multiply timed
    unavailable: dict[str, str] = field(default_factory=dict)  # precision -> why not measured

    def to_json_dict(self) -> dict:
        return asdict(self)


def _timer(device: torch.device) -> Callable[[Callable[[], None], int], float]:
    """Seconds per call of fn, the fastest of 5 repeats of `reps` calls each."""
    def timed(fn: Callable[[], None], reps: int) -> float:
        fn()  # warm-up: kernel selection, allocation
        samples = []
        for _ in range(5):
            if device.type == "cuda":
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                for _ in range(reps):
                    fn()
                end.record()
                end.synchronize()
                samples.append(start.elapsed_time(end) / 1000.0 / reps)
            else:
                t0 = time.perf_counter()
                for _ in range(reps):
                    fn()
                samples.append((time.perf_counter() - t0) / reps)
        return min(samples)
    return timed


CPU_MATMUL_S = 0.05  # on a CPU, grow the matrix until one multiply takes this long (or reaches CPU_MAX_N)
CPU_MAX_N = 1024


def _cpu_size(dtype: torch.dtype) -> int:
    """A matrix size that keeps a CPU busy long enough to time without taking seconds: half precisions
    run orders of magnitude slower on CPUs without native support for them."""
    n = 128
    while n < CPU_MAX_N:
        a = torch.randn(n, n, dtype=dtype)
        fastest = float("inf")
        for _ in range(3):  # the fastest of three: a try another process interrupted does not stop the growth
            t0 = time.perf_counter()
            torch.mm(a, a)
            fastest = min(fastest, time.perf_counter() - t0)
        if fastest >= CPU_MATMUL_S:
            break
        n *= 2
    return n


def measure_peaks(device_name: str = "cpu", precisions: tuple[str, ...] = ("fp32", "tf32", "fp16", "bf16"),
                  matmul_n: int | None = None, copy_bytes: int | None = None) -> DevicePeaks:
    device = torch.device(device_name)
    on_gpu = device.type == "cuda"
    n = matmul_n or (8192 if on_gpu else CPU_MAX_N)
    timed = _timer(device)
    name = torch.cuda.get_device_name(device) if on_gpu else "cpu"
    peaks = DevicePeaks(str(device), name, matmul_n=n)
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    try:
        for precision in precisions:
            if precision == "tf32" and not on_gpu:
                peaks.unavailable[precision] = "TF32 is a GPU tensor-core mode"
                continue
            torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
            size = n if on_gpu or matmul_n else _cpu_size(DTYPES[precision])
            a = torch.randn(size, size, device=device, dtype=DTYPES[precision])
            b = torch.randn(size, size, device=device, dtype=DTYPES[precision])
            seconds = timed(lambda a=a, b=b: torch.mm(a, b), 10 if on_gpu else 2)
            peaks.matmul_flops_per_s[precision] = 2.0 * size ** 3 / seconds
            peaks.matmul_sizes[precision] = size
            del a, b
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved
    size = copy_bytes or ((1 << 30) if on_gpu else (1 << 27))
    src = torch.empty(size // 4, device=device, dtype=torch.float32).fill_(1.0)
    dst = torch.empty_like(src)
    peaks.copy_bytes_per_s = 2.0 * size / timed(lambda src=src, dst=dst: dst.copy_(src), 20 if on_gpu else 5)
    tiny = torch.zeros(1, device=device)
    peaks.launch_s = timed(lambda: tiny.add_(1.0), 1000)
    if on_gpu:
        torch.cuda.empty_cache()
    return peaks
