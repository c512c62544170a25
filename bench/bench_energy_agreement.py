#!/usr/bin/env python3
"""Agreement: the GPU energy in a run's result vs an independent reading of NVML's energy
counter by a separate process, taken just before and just after the timed window. Target: within 2 %.

How the two processes line up: this script starts a reader process (this file with --reader) that
opens NVML itself (pynvml directly, none of hw/) and waits on a pipe. The run loop's events mark
the window: PhaseChanged("timed") comes right after the sampler was asked to read the counter at
the window's start, and the closing StepMetrics (step == steps, or remaining_s == 0 for a timed
run) right after the window's end was marked. On each of those events this script writes "read" to
the pipe; the reader reads the counter at once and answers with the reading and its CLOCK_MONOTONIC
time (time.perf_counter, shared by both processes on Linux). The GPU is synchronised and idle at
both moments, so a few milliseconds between the two processes' reads cost well under a joule; the
counter's ~100 ms update steps (about 60 J at 600 W) dominate, hence a 20 s window.

    export PYTHONPATH=$PWD/wheels/site:$PWD
    python3 bench/bench_energy_agreement.py --device cuda:0 --seconds 20 --record bench/RESULTS.md
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def reader(nvml_index: int) -> int:
    """The independent process: read the counter whenever asked, answer "mJ t_read_s"."""
    import pynvml
    pynvml.nvmlInit()
    handle = pynvml.nvmlDeviceGetHandleByIndex(nvml_index)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "read":
            break
        t = time.perf_counter()
        mj = pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
        print(f"{mj} {t} {time.perf_counter()}", flush=True)
    pynvml.nvmlShutdown()
    return 0


def nvml_index_of(device: str) -> int:
    cuda = int(device.split(":")[1]) if ":" in device else 0
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible:
        entry = visible.split(",")[cuda].strip()
        if not entry.isdigit():
            raise SystemExit("CUDA_VISIBLE_DEVICES with UUIDs: pass --nvml-index")
        return int(entry)
    return cuda


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reader", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--nvml-index", type=int, default=None)
    p.add_argument("--device", default="cuda:0")
    p.add_argument("--net", default="resnet9")
    p.add_argument("--precision", default="bf16")
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--no-channels-last", action="store_true")
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--record", metavar="MD", help="append the Markdown result to this file")
    args = p.parse_args()
    index = args.nvml_index if args.nvml_index is not None else nvml_index_of(args.device)
    if args.reader:
        return reader(index)

    from bench_sampler_overhead import environment, load_net

    from engine.run.config import RunConfig
    from engine.run.events import PhaseChanged, StepMetrics
    from engine.run.loop import run

    env = environment(args.device)
    proc = subprocess.Popen([sys.executable, __file__, "--reader", "--nvml-index", str(index)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if proc.stdout.readline().strip() != "ready":
        raise SystemExit("the reader process could not open NVML")
    asked: list[tuple[str, float]] = []

    def ask(what: str) -> None:
        asked.append((what, time.perf_counter()))
        proc.stdin.write("read\n")
        proc.stdin.flush()  # the answer is collected after the run: nothing waits in the run loop

    cfg = RunConfig(device=args.device, precision=args.precision, batch=args.batch, mode="train",
                    channels_last=not args.no_channels_last, seconds=args.seconds, warmup=args.warmup,
                    sample_hz=10.0, idle_baseline_s=1.0, dataset="synthetic")

    def on_event(e) -> None:
        if isinstance(e, PhaseChanged) and e.phase == "timed":
            ask("start")
        elif isinstance(e, StepMetrics) and len(asked) == 1 and (
                (cfg.steps and e.step >= cfg.steps) or (cfg.seconds and e.remaining_s == 0.0)):
            ask("end")  # the closing report, sent right after the window's end was marked
        elif isinstance(e, PhaseChanged) and e.phase == "done" and len(asked) == 1:
            ask("end-late")  # fallback: the closing report was not recognised

    result = run(load_net(args.net), cfg, on_event=on_event)
    proc.stdin.close()
    answers = [line.split() for line in proc.stdout.read().splitlines() if line.strip()]
    proc.wait(timeout=30)
    if len(answers) != 2:
        raise SystemExit(f"expected 2 readings from the reader, got {answers} (asked {asked})")
    (mj0, t0, _), (mj1, t1, _) = answers
    independent_j = (float(mj1) - float(mj0)) / 1000.0
    engine_j = result.energy_j.gpu
    diff = (engine_j - independent_j) / independent_j if engine_j is not None and independent_j else None
    row = {"environment": env, "status": result.status, "measured_s": result.measured_s,
           "reader_window_s": float(t1) - float(t0), "engine_energy_j": engine_j,
           "engine_method": result.energy_j.gpu_method, "independent_energy_j": independent_j,
           "relative_difference": diff, "throughput_sps": result.throughput_sps,
           "power_mean_w": result.power_w.gpu_mean, "idle_w": result.power_w.gpu_idle,
           "energy_per_sample_j": result.energy_per_sample_j.total, "quality": result.quality,
           "end_marker": asked[-1][0], "series_gpu_points": len(g.t_s) if (g := result.series.gpus.get(index)) else 0}
    print(json.dumps(row), flush=True)
    ok = diff is not None and abs(diff) <= 0.02
    text = (f"\n## Energy agreement ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n\n"
            f"{env.get('gpu', args.device)}, torch {env['torch']}; {args.net} {args.precision} b{args.batch} "
            f"{'channels-last ' if not args.no_channels_last else ''}train, {args.seconds:g} s window.\n\n"
            "| engine (result) J | independent process J | difference | window s (engine / reader) | "
            "method | quality warnings | pass |\n|---|---|---|---|---|---|---|\n"
            f"| {engine_j if engine_j is None else f'{engine_j:,.1f}'} | {independent_j:,.1f} | "
            f"{'n/a' if diff is None else f'{100 * diff:+.2f} %'} | "
            f"{result.measured_s or 0:.2f} / {float(t1) - float(t0):.2f} | {result.energy_j.gpu_method} | "
            f"{len(result.quality)} | {'yes' if ok else 'NO'} |\n")
    print(text)
    if args.record:
        with open(args.record, "a", encoding="utf-8") as f:
            f.write(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
