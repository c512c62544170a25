"""Synthetic RunResults for the comparison, findings, report and GUI tests (no torch, no runs)."""
from __future__ import annotations

import itertools
import math

from engine.results.result import RunResult

LENET_SPEC = {
    "format": "tradeoff-lab/network", "version": 1, "name": "lenet", "input": {"shape": [1, 28, 28]},
    "num_classes": 10,
    "layers": [
        {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 6, "kernel_size": 5, "padding": 2}, "inputs": ["input"]},
        {"id": "relu1", "type": "ReLU", "inputs": ["conv1"]},
        {"id": "pool1", "type": "MaxPool2d", "params": {"kernel_size": 2}, "inputs": ["relu1"]},
        {"id": "flat", "type": "Flatten", "inputs": ["pool1"]},
        {"id": "fc3", "type": "Linear", "params": {"out_features": 10}, "inputs": ["flat"]},
    ],
    "output": "fc3",
}


def make_run(run_id: str, device: str = "cuda", precision: str = "fp32", batch: int = 256, mode: str = "train",
             channels_last: bool = False, compile: str | None = None, status: str = "ok",
             throughput_sps: float | None = 10000.0, energy_per_sample_j: float | None = 1e-3,
             accuracy: float | None = None, mem_bytes: int = 100 * 2**20, quality: list[str] | None = None,
             network: str = "lenet", created_at: str = "2026-11-26T08:00:00+00:00", error: str | None = None,
             energy_method: str = "counter") -> RunResult:
    on_gpu = device.startswith("cuda")
    p50 = batch / throughput_sps if throughput_sps else None
    power = (energy_per_sample_j * throughput_sps) if (energy_per_sample_j and throughput_sps) else None
    return RunResult(
        run_id=run_id, created_at=created_at, status=status, error=error,
        network={"name": network, "params": 61706, "flops_per_sample": 846_000, "spec": LENET_SPEC},
        config={"device": device, "precision": precision, "batch": batch, "mode": mode, "channels_last": channels_last,
                "compile": compile, "seconds": 5.0, "steps": None, "warmup": 10, "dataset": "synthetic"},
        hardware={"device_name": "NVIDIA H200" if on_gpu else "AMD EPYC 7B13", "torch": "2.13.0",
                  "cuda": "13.0" if on_gpu else None, "driver": "580.1" if on_gpu else None,
                  "cpu_model": "AMD EPYC 7B13", "host": "testhost"},
        throughput_sps=throughput_sps if status == "ok" else None,
        step_time_s={"p50": p50, "p90": p50 and p50 * 1.1, "p99": p50 and p50 * 1.3} if status == "ok" else {},
        energy_j={"gpu": power * 5 if (power and on_gpu) else None, "gpu_method": energy_method if on_gpu else None},
        energy_per_sample_j={"total": energy_per_sample_j if status == "ok" else None,
                             "dynamic": energy_per_sample_j * 0.7 if (energy_per_sample_j and status == "ok") else None},
        power_w={"gpu_mean": power, "gpu_max": power * 1.2 if power else None, "gpu_idle": 70.0 if on_gpu else None},
        memory_bytes={"gpu_peak_allocated": mem_bytes if on_gpu else None, "host_peak_rss": 600 * 2**20},
        accuracy=accuracy, steps=100, samples=100 * batch, measured_s=5.0 if status == "ok" else None,
        quality=quality or [],
        unavailable={} if on_gpu else {"energy_cpu": "RAPL not readable (needs root)",
                                       "gpu_power": "no GPU on this device"},
    )


def sweep_runs(n_batches: int = 3) -> list[RunResult]:
    """A GPU sweep: fp32/bf16 x batches; bf16 ~2x faster and ~2x less energy; throughput saturates."""
    runs = []
    batches = [32 * 8**i for i in range(n_batches)]
    for i, (prec, batch) in enumerate(itertools.product(["fp32", "bf16"], batches)):
        speed = 2.0 if prec == "bf16" else 1.0
        tp = 50000 * speed * (1 - math.exp(-batch / 200))
        runs.append(make_run(f"r{i}", precision=prec, batch=batch, throughput_sps=tp,
                             energy_per_sample_j=400 / tp, mem_bytes=batch * 2**20 // (2 if prec == "bf16" else 1),
                             accuracy=0.95 - (0.01 if prec == "bf16" else 0)))
    return runs


def many_runs(n: int) -> list[RunResult]:
    """n varied runs (GPU and CPU, levers on and off) for the report bench."""
    out = []
    combos = itertools.cycle(itertools.product(["cuda", "cpu"], ["fp32", "bf16", "tf32"], [False, True],
                                               [32, 128, 512, 2048]))
    for i in range(n):
        dev, prec, cl, batch = next(combos)
        tp = (40000 if dev == "cuda" else 2000) * (1.5 if prec != "fp32" else 1) * (1.2 if cl else 1) * (1 + i / n)
        out.append(make_run(f"run{i:03d}", device=dev, precision=prec, channels_last=cl, batch=batch, throughput_sps=tp,
                            energy_per_sample_j=(300 / tp) if dev == "cuda" else None, accuracy=0.9 + (i % 7) / 100,
                            quality=["window shorter than 10 s"] if i % 5 == 0 else []))
    return out
