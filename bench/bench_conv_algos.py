#!/usr/bin/env python3
"""Each convolution algorithm on each Conv2d of a network, layer by layer: time per forward and
backward, peak memory above the layer's input, and agreement with the library in that precision.

Each layer runs alone on a random input of its shape (the batch given), under the run's autocast;
the first calls are untimed (cuDNN autotunes there), then it is timed for up to --seconds or
--iters calls, whichever ends first (direct is slow: the cap keeps it short). An algorithm that
cannot compute a layer (Winograd on a 5x5 kernel) is listed with its reason.

    python bench/bench_conv_algos.py --net resnet9 --device cuda --precision bf16 --batch 256 --out conv.json
    python bench/bench_conv_algos.py --net lenet --device cpu --batch 8 --seconds 0.5

Prints one line per layer and algorithm, then "im2col vs library on resnet9 conv3: 3.1x slower,
+148 MiB" for each; the JSON keeps every figure.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from engine.net import analyze, resolve_net  # noqa: E402
from engine.net.build import build_model  # noqa: E402
from engine.net.conv_algos import AlgoConv2d  # noqa: E402
from engine.net.conv_rules import CONV_ALGOS, algo_problem, im2col_buffer_bytes  # noqa: E402
from engine.net.layers import LAYER_TYPES, check_params  # noqa: E402

DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(conv: torch.nn.Module, x: torch.Tensor, dtype: torch.dtype | None, train: bool, seconds: float,
            iters: int, device: torch.device) -> dict:
    """ms per call (forward, and backward when training) and peak memory above the input's."""
    def call() -> torch.Tensor:
        with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            y = conv(x)
        if train:
            torch.autograd.grad(y, [x, conv.weight], torch.ones_like(y))
        return y

    with torch.enable_grad() if train else torch.inference_mode():
        for _ in range(2):
            call()
        _sync(device)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
            base = torch.cuda.memory_allocated(device)
        n, t0 = 0, time.perf_counter()
        while n < iters and (n == 0 or time.perf_counter() - t0 < seconds):
            call()
            n += 1
        _sync(device)
        elapsed = time.perf_counter() - t0
        peak = torch.cuda.max_memory_allocated(device) - base if device.type == "cuda" else None
        with torch.no_grad(), torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            y = conv(x).float()
    return {"ms": 1e3 * elapsed / n, "iters": n, "peak_mem_bytes": peak, "out": y}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--net", default="resnet9")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--precision", choices=sorted(DTYPES), default="fp32")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--mode", choices=("train", "infer"), default="train")
    ap.add_argument("--algos", default=",".join(CONV_ALGOS))
    ap.add_argument("--seconds", type=float, default=1.0, help="timing cap per layer and algorithm")
    ap.add_argument("--iters", type=int, default=50, help="call cap per layer and algorithm")
    ap.add_argument("--out", help="JSON file for every figure")
    args = ap.parse_args(argv)
    device, dtype, train = torch.device(args.device), DTYPES[args.precision], args.mode == "train"
    torch.backends.cudnn.benchmark = True
    spec = resolve_net(args.net)
    analysis = analyze(spec)
    model = build_model(spec).to(device)
    names = model.module_names
    rows, lines = [], []
    for layer in spec.layers:
        if layer.type != "Conv2d" or layer.id not in names:
            continue
        values, _ = check_params(LAYER_TYPES["Conv2d"], layer.params)
        info = analysis.layers[layer.id]
        base = getattr(model, names[layer.id])
        torch.manual_seed(0)
        x = torch.randn(args.batch, *info.input_shapes[0], device=device, requires_grad=train)
        ref = None
        for algo in args.algos.split(","):
            why = algo_problem(algo, values)
            row = {"layer": layer.id, "algo": algo, "refused": why}
            if not why:
                conv = base if algo == "library" else AlgoConv2d.replacing(base, algo)
                try:
                    m = measure(conv, x, dtype, train, args.seconds, args.iters, device)
                except torch.OutOfMemoryError as exc:
                    row["error"] = f"out of memory: {str(exc)[:200]}"
                    torch.cuda.empty_cache()
                else:
                    out = m.pop("out")
                    ref = out if algo == "library" else ref
                    if ref is not None:
                        m["rel_err_vs_library"] = ((out - ref).abs().max() / ref.abs().max()).item()
                    row.update(m)
                if algo == "im2col":
                    row["im2col_buffer_bytes"] = im2col_buffer_bytes(values, info.input_shapes[0], info.output_shape,
                                                                     args.batch, 4 if dtype is None else 2)
            rows.append(row)
            print(json.dumps({k: (float(f"{v:.4g}") if isinstance(v, float) else v) for k, v in row.items()}), flush=True)
    by = {(r["layer"], r["algo"]): r for r in rows}
    for r in rows:
        lib = by.get((r["layer"], "library"))
        if r["algo"] == "library" or "ms" not in r or not lib or "ms" not in lib:
            continue
        ratio = r["ms"] / lib["ms"]
        speed = f"{ratio:.1f}x slower" if ratio >= 1 else f"{1 / ratio:.1f}x faster"
        mem = ""
        if r.get("peak_mem_bytes") is not None and lib.get("peak_mem_bytes") is not None:
            mem = f", {(r['peak_mem_bytes'] - lib['peak_mem_bytes']) / 2**20:+,.0f} MiB"
        lines.append(f"{r['algo']} vs library on {spec.name} {r['layer']}: {speed}{mem}")
    print("\n".join(lines))
    if args.out:
        facts = {"net": spec.name, "device": args.device, "precision": args.precision, "batch": args.batch,
                 "mode": args.mode, "seconds_cap": args.seconds, "iters_cap": args.iters,
                 "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor(),
                 "torch": torch.__version__, "rows": rows, "findings": lines}
        Path(args.out).write_text(json.dumps(facts, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
