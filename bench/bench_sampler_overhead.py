#!/usr/bin/env python3
"""Overhead of the hw sampler: engine throughput with the sampler at 10 Hz vs sampling off.

Target: on-throughput >= 0.99x off-throughput for lenet fp32 b256 train (launch-bound, the most
sensitive) and resnet9 bf16 channels-last b512 train; the sampler thread's own CPU time < 2 % of one
core. Runs alternate off/on (off, on, off, on, ...) so clock and thermal drift hit both alike, and
the medians are compared. On the GPU machine (from the repository root):

    export PYTHONPATH=$PWD/wheels/site:$PWD       # see bench/fetch_gpu_wheels.sh
    python3 bench/bench_sampler_overhead.py --device cuda --seconds 10 --repeats 3 --record bench/RESULTS.md

Prints one JSON line per run and a Markdown summary (appended to --record).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = {  # name -> (net, RunConfig fields)
    "lenet-fp32-b256-train": ("lenet", {"precision": "fp32", "batch": 256, "mode": "train"}),
    "resnet9-bf16-cl-b512-train": ("resnet9", {"precision": "bf16", "batch": 512, "mode": "train",
                                               "channels_last": True}),
}


def load_net(name: str):
    """A preset name or a spec path -> NetworkSpec, the way the command line resolves NET."""
    try:
        from engine.cli.netload import resolve
    except ImportError:
        resolve = None
    if resolve is not None:
        return resolve(name)
    from engine.net.spec import load_spec
    for path in (Path(name), ROOT / "engine" / "assets" / "presets" / f"{name}.json"):
        if path.exists():
            return load_spec(path)
    raise SystemExit(f"cannot find preset {name!r}")


class SamplerSpy:
    """Keeps every Sampler the run loop creates, to read its thread's CPU time afterwards."""

    def __init__(self):
        import hw.sampler
        self.made: list = []
        spy = self
        original = hw.sampler.Sampler

        class Recorded(original):  # type: ignore[misc, valid-type]
            def __init__(self, *a, **kw):
                super().__init__(*a, **kw)
                spy.made.append(self)
        hw.sampler.Sampler = Recorded  # engine.run.telemetry imports it at run time

    def last_summary(self):
        return self.made[-1]._summary if self.made else None


def one_run(spec, fields: dict, device: str, seconds: float, warmup: int, hz: float, spy: SamplerSpy) -> dict:
    from engine.run.config import RunConfig
    from engine.run.loop import run
    # no idle baseline in either: it would rest the card before "on" runs only
    cfg = RunConfig(device=device, seconds=seconds, warmup=warmup, sample_hz=hz, dataset="synthetic",
                    idle_baseline_s=0.0, **fields)
    n_before = len(spy.made)
    result = run(spec, cfg)
    row = {"hz": hz, "status": result.status, "error": result.error, "throughput_sps": result.throughput_sps,
           "measured_s": result.measured_s, "steps": result.steps, "gpu_energy_j": result.energy_j.gpu,
           "quality": result.quality}
    summary = spy.last_summary() if len(spy.made) > n_before else None
    if summary is not None and summary.sampler_cpu_s is not None and summary.sampler_wall_s:
        row["sampler_cpu_s"] = summary.sampler_cpu_s
        row["sampler_wall_s"] = summary.sampler_wall_s
        row["sampler_core_pct"] = 100.0 * summary.sampler_cpu_s / summary.sampler_wall_s
        row["sampler_ticks"], row["sampler_missed"] = summary.sampler_ticks, summary.sampler_missed_ticks
        row["unavailable"] = {k: v for k, v in summary.unavailable.items() if not k.startswith("rapl")}
    return row


def environment(device: str) -> dict:
    import platform

    import torch
    env = {"python": platform.python_version(), "torch": torch.__version__, "device": device}
    if device.startswith("cuda") and torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name(torch.device(device))
    for mod in ("pynvml", "psutil"):
        try:
            __import__(mod)
            env[mod] = "yes"
        except ImportError:
            env[mod] = "MISSING (telemetry partly unavailable: the overhead is understated)"
    return env


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--seconds", type=float, default=10.0, help="timed seconds per run")
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--repeats", type=int, default=3, help="off/on pairs per case")
    p.add_argument("--hz", type=float, default=10.0)
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated, of: " + ", ".join(CASES))
    p.add_argument("--record", metavar="MD", help="append the Markdown summary to this file")
    args = p.parse_args()
    env = environment(args.device)
    print(json.dumps({"environment": env}), flush=True)
    spy = SamplerSpy()
    lines = [f"\n## Sampler overhead ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n",
             f"{env.get('gpu', args.device)}, torch {env['torch']}, Python {env['python']}; "
             f"pynvml {env['pynvml']}, psutil {env['psutil']}. {args.repeats} off/on pairs of "
             f"{args.seconds:g} s timed runs, alternating; medians.\n",
             f"| case | off samples/s | {args.hz:g} Hz samples/s | ratio | sampler CPU % of a core | missed ticks | pass |",
             "|---|---|---|---|---|---|---|"]
    ok_all = True
    for case in args.cases.split(","):
        net, fields = CASES[case]
        spec = load_net(net)
        one_run(spec, fields, args.device, min(3.0, args.seconds), args.warmup, 0.0, spy)  # warm the card
        off, on = [], []
        for _ in range(args.repeats):
            for hz, bucket in ((0.0, off), (args.hz, on)):
                row = one_run(spec, fields, args.device, args.seconds, args.warmup, hz, spy)
                print(json.dumps({"case": case, **row}), flush=True)
                bucket.append(row)
        t_off = statistics.median(r["throughput_sps"] or 0.0 for r in off)
        t_on = statistics.median(r["throughput_sps"] or 0.0 for r in on)
        ratio = t_on / t_off if t_off else float("nan")
        cpu = [r["sampler_core_pct"] for r in on if "sampler_core_pct" in r]
        cpu_pct = statistics.median(cpu) if cpu else float("nan")
        missed = sum(r.get("sampler_missed", 0) for r in on)
        ok = ratio >= 0.99 and cpu_pct < 2.0
        ok_all &= ok
        lines.append(f"| {case} | {t_off:,.0f} | {t_on:,.0f} | {ratio:.3f} | {cpu_pct:.2f} | {missed} | "
                     f"{'yes' if ok else 'NO'} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        with open(args.record, "a", encoding="utf-8") as f:
            f.write(text)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
