#!/usr/bin/env python3
"""ONNX Runtime vs PyTorch inference, side by side through the app's run loop.

Every configuration (device x batch x backend) runs `--repeats` times, taking turns (A B A B), in
this one process (a GPU machine's start-up per process would cost more than the runs); throughput
is each run's samples over its timed window, and a configuration's figure is the median over its
repeats with a 95 % bootstrap interval, the ratio ONNX Runtime / PyTorch with its interval. A
backend that cannot run on a device (onnxruntime's CPU build on a GPU run) is listed with the reason.

    python bench/bench_ort.py --devices cpu --batches 8,64 --repeats 5 --seconds 3 --record /tmp/ort.md
    python bench/bench_ort.py --devices cpu,cuda --repeats 3 --seconds 2 --record $OUT/ort.md --json $OUT/ort.json
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.errors import TradeoffError  # noqa: E402
from engine.net import load_preset  # noqa: E402
from engine.results.repeats import interleave  # noqa: E402
from engine.results.stats import median_interval, ratio_interval  # noqa: E402
from engine.run.config import RunConfig  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--net", default="resnet9")
    ap.add_argument("--devices", default="cpu")
    ap.add_argument("--batches", default="8,64")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--precision", default="fp32", choices=("fp32", "tf32"),
                    help="both backends' precision: fp32 (ORT's CUDA provider with TF32 off) or tf32 (on, both)")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads for both backends (default: each one's own)")
    ap.add_argument("--record", type=Path, help="append the table (markdown) to this file")
    ap.add_argument("--json", type=Path, help="write every run's figures here")
    args = ap.parse_args(argv)

    import torch

    from engine.run.loop import run
    from engine.run.ort_backend import check_backend

    spec = load_preset(args.net)
    configs, refused = [], {}
    for device in args.devices.split(","):
        for batch in (int(b) for b in args.batches.split(",")):
            for backend in ("torch", "onnxruntime"):
                cfg = RunConfig(device=device, mode="infer", backend=backend, batch=batch, seconds=args.seconds,
                                precision=args.precision,
                                warmup=args.warmup, sample_hz=0, idle_baseline_s=0, threads=args.threads)
                if backend == "onnxruntime":
                    try:
                        check_backend(cfg, torch.device(device))
                    except TradeoffError as exc:
                        refused[(device, batch, backend)] = exc.user_message
                        continue
                configs.append(cfg)
    runs: dict[tuple, list] = {}
    for i, cfg in interleave(configs, args.repeats):
        if (cfg.device, cfg.batch, cfg.backend) in refused:
            continue
        try:
            r = run(spec, cfg)
        except TradeoffError as exc:  # e.g. no GPU here: say so in the table
            refused[(cfg.device, cfg.batch, cfg.backend)] = exc.user_message
            continue
        key = (cfg.device, cfg.batch, cfg.backend)
        runs.setdefault(key, []).append(r)
        print(f"repeat {i + 1}: {cfg.device} b{cfg.batch} {cfg.backend:<11} {r.status} "
              f"{r.throughput_sps or 0:,.0f} samples/s" + (f" ({r.runtime.provider})" if r.runtime else ""), flush=True)

    threads = f"{args.threads} CPU thread(s) for both backends" if args.threads else \
        f"default CPU threads ({torch.get_num_threads()} for torch)"
    host = f"{platform.node()}, {threads}, torch {torch.__version__}"
    try:
        import onnxruntime
        host += f", onnxruntime {onnxruntime.__version__} ({', '.join(onnxruntime.get_available_providers())})"
    except ImportError:
        host += ", no onnxruntime"
    lines = [f"{args.net}, inference {args.precision}, synthetic data, {args.seconds:g} s timed per run, {args.repeats} repeats "
             f"taking turns, in one process; {host}", "",
             "| device | batch | backend (provider) | throughput, samples/s: median (95 % interval over repeats) "
             "| step p50 | ORT / PyTorch | runs disturbed |", "|---|---|---|---|---|---|---|"]
    for device in args.devices.split(","):
        for batch in (int(b) for b in args.batches.split(",")):
            base = [r.throughput_sps for r in runs.get((device, batch, "torch"), []) if r.status == "ok"]
            for backend in ("torch", "onnxruntime"):
                rs = runs.get((device, batch, backend))
                if not rs:
                    why = refused.get((device, batch, backend), "not run")
                    lines.append(f"| {device} | {batch} | {backend} | refused: {why} | | | |")
                    continue
                ok = [r for r in rs if r.status == "ok"]
                tp = median_interval([r.throughput_sps for r in ok])
                p50 = median_interval([r.step_time_s.p50 for r in ok])
                name = f"{backend} ({rs[0].runtime.provider})" if rs[0].runtime else backend
                ratio = ratio_interval([r.throughput_sps for r in ok], base) if backend != "torch" else None
                tp_text = f"{tp.median:,.0f} ({tp.low:,.0f}–{tp.high:,.0f})" if tp else "failed: " + str(rs[0].error)
                busy = f"{sum(r.disturbed for r in ok)} of {len(ok)}"
                lines.append(f"| {device} | {batch} | {name} | {tp_text} | "
                             f"{p50.median * 1e3:.2f} ms | {ratio.text() if ratio else ''} | {busy} |" if p50 else
                             f"| {device} | {batch} | {name} | {tp_text} | | | |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        with args.record.open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")
    if args.json:
        args.json.write_text(json.dumps({f"{d} b{b} {k}": [r.model_dump(mode="json", exclude={"series"}) for r in rs]
                                         for (d, b, k), rs in runs.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
