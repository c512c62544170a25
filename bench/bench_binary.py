#!/usr/bin/env python3
"""The binarized LeNet (preset lenet-binary) against its float twin (the same net with Conv2d and Linear
in place of BinConv2d and BinLinear): held-out accuracy on the digits after equal training, and
inference throughput, which for the binarized net is *simulated* (float arithmetic on +1/-1 values).

Each net trains for the same steps with the same optimizer, once per seed; accuracy is the held-out
split's at the end. Inference runs take turns (binary, float, binary, ...) on synthetic data.

    python bench/bench_binary.py --steps 300 --seeds 0,1 --record /tmp/binary.md
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.net import analyze, load_preset  # noqa: E402
from engine.net.spec import spec_from_dict  # noqa: E402
from engine.results.repeats import interleave  # noqa: E402
from engine.results.stats import median_interval, ratio_interval  # noqa: E402
from engine.run.config import RunConfig  # noqa: E402


def float_twin(spec):
    data = spec.model_dump(mode="json", exclude_none=True)
    data["name"] = spec.name + "-float"
    for layer in data["layers"]:
        layer["type"] = {"BinConv2d": "Conv2d", "BinLinear": "Linear"}.get(layer["type"], layer["type"])
    return spec_from_dict(data)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.003)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--infer-repeats", type=int, default=3)
    ap.add_argument("--infer-seconds", type=float, default=2.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--record", type=Path)
    args = ap.parse_args(argv)

    from engine.run.loop import run

    binary = load_preset("lenet-binary")
    nets = {"lenet-binary": binary, "float twin": float_twin(binary)}
    acc: dict[str, list[float]] = {k: [] for k in nets}
    for seed in (int(s) for s in args.seeds.split(",")):
        for name, spec in nets.items():
            cfg = RunConfig(dataset="digits", mode="train", batch=args.batch, steps=args.steps, warmup=0, seed=seed,
                            optimizer="adam", lr=args.lr, eval_every_s=3600, sample_hz=0, idle_baseline_s=0,
                            threads=args.threads)
            r = run(spec, cfg)
            acc[name].append(r.accuracy)
            print(f"seed {seed} {name}: held-out accuracy {r.accuracy:.1%} after {r.steps} steps", flush=True)
    tput: dict[str, list[float]] = {k: [] for k in nets}
    for _, name in interleave(list(nets), args.infer_repeats):
        cfg = RunConfig(mode="infer", batch=args.batch, seconds=args.infer_seconds, warmup=5, sample_hz=0,
                        idle_baseline_s=0, threads=args.threads)
        tput[name].append(run(nets[name], cfg).throughput_sps)
    lines = [f"digits, {args.steps} training steps of batch {args.batch} (Adam, lr {args.lr:g}) per seed, seeds "
             f"{args.seeds}; inference batch {args.batch}, {args.infer_repeats} runs of {args.infer_seconds:g} s "
             f"taking turns; {args.threads} CPU thread(s)", "",
             "| net | params | binary FLOPs / sample | held-out accuracy per seed | inference, samples/s: median "
             "(95 % interval) |", "|---|---|---|---|---|"]
    for name, spec in nets.items():
        a = analyze(spec)
        iv = median_interval(tput[name])
        label = " **simulated**" if a.binary_flops else ""
        lines.append(f"| {name} | {a.total_params:,} | {a.binary_flops:,} | "
                     f"{', '.join(f'{x:.1%}' for x in acc[name])} | {iv.median:,.0f} ({iv.low:,.0f}–{iv.high:,.0f})"
                     f"{label} |")
    ratio = ratio_interval(tput["lenet-binary"], tput["float twin"])
    lines += ["", f"binarized / float inference throughput: {ratio.text()} — simulated (float arithmetic on +1/-1 "
                  f"values, no bit-packed kernel): not a binarization speed-up."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        with args.record.open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
