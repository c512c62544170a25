"""`run` over several devices or machines (engine.parallel): the flags only `run` has for it, the
commands to start on each machine, the job itself, and its lines in the summary. Torch-free at
import time."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from engine import format as f
from engine.cli import BadInput


def add_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--node-rank", type=int, metavar="K", help="this machine's place in a several-machine job "
                   "(0 .. --nnodes - 1); node 0 stores the result")
    p.add_argument("--rdzv-endpoint", metavar="HOST:PORT", help="node 0's address and a free port, where the "
                   "machines of a several-machine job meet (torchrun's --rdzv-endpoint)")
    p.add_argument("--no-baseline", action="store_true", help="a several-device run does not measure its 1-device "
                   "baseline when the history has none (no scaling efficiency then)")


def check_flags(args: argparse.Namespace, config: Any) -> None:
    if (args.node_rank is not None or args.rdzv_endpoint) and not config.is_parallel:
        raise BadInput("--node-rank / --rdzv-endpoint: these place a data-parallel job; give --devices too")
    if hasattr(args, "device") and config.devices and args.device != config.devices[0]:
        raise BadInput(f"--device {args.device} and --devices {','.join(config.devices)}: give --devices alone "
                       f"(it lists every device of a data-parallel run)")
    if config.nnodes > 1 and not args.rdzv_endpoint:
        raise BadInput("--nnodes: several machines meet at --rdzv-endpoint HOST:PORT (node 0's address and a free "
                       "port); give it")
    if args.node_rank is not None and not 0 <= args.node_rank < config.nnodes:
        raise BadInput(f"--node-rank {args.node_rank}: give 0..{config.nnodes - 1} (--nnodes {config.nnodes})")


def print_node_commands(argv: list[str], config: Any, endpoint: str, out: Any = None) -> None:
    from engine.parallel import node_commands
    out = out or sys.stdout
    print(f"a {config.nnodes}-machine job: start on each machine, from the app's folder (node 0 at {endpoint} "
          f"stores the result):", file=out)
    for k, command in enumerate(node_commands(argv, config.nnodes, endpoint)):
        print(f"  node {k}:  {command}", file=out)
    out.flush()


def run_job(spec: Any, config: Any, args: argparse.Namespace, on_event: Any, should_stop: Any) -> Any:
    from engine.parallel import run_job as job
    return job(spec, config, on_event, should_stop, node_rank=args.node_rank or 0, endpoint=args.rdzv_endpoint,
               db_path=args.db, baseline=not args.no_baseline)


def summary_lines(r: Any) -> list[str]:
    """The several-device lines of the summary (none for a one-device run)."""
    p = r.parallel
    if p is None:
        return []
    if p.kind == "pipeline":
        lines = [f"  {'parallel':<12} pipeline, {p.world_size} stages over {p.backend} · batch {p.global_batch} in "
                 f"{p.microbatches or '?'} micro-batches · {p.schedule or '?'} schedule"
                 + (f" · rank {p.failed_rank} failed" if p.failed_rank is not None else "")]
        if p.bubble_share is not None:
            lines.append(f"  {'bubble':<12} {f.pct(p.bubble_share)} of the timed window idle (mean over stages; "
                         f"ideal bubble (S-1)/(M+S-1) {f.pct(p.ideal_bubble_share)})")
        for s in p.stages:
            layers = f"{s.layers[0]} .. {s.layers[-1]}" if len(s.layers) > 1 else s.layers[0]
            lines.append(f"  {'stage ' + str(s.stage + 1):<12} rank {s.rank} on {s.device}: {layers} "
                         f"({len(s.layers)} layer{'' if len(s.layers) == 1 else 's'}, {f.pct(s.flops_share)} of the FLOPs) · busy {f.pct(s.busy_share)}")
    else:
        lines = [f"  {'parallel':<12} {p.kind}, {p.world_size} processes on {p.nodes} machine(s) over {p.backend} · "
                 f"batch {p.per_device_batch}/device, {p.global_batch} in all"
                 + (f" · rank {p.failed_rank} failed" if p.failed_rank is not None else "")]
    if r.scaling_efficiency is not None:
        lines.append(f"  {'scaling':<12} {f.pct(r.scaling_efficiency)} efficiency: {f.fixed(r.throughput_sps)} "
                     f"samples/s vs {p.world_size} x {f.fixed(p.baseline_throughput_sps)} on one device "
                     f"(run {p.baseline_run_id}, {p.baseline_source})")
    elif "scaling_efficiency" in r.unavailable:
        lines.append(f"  {'scaling':<12} unavailable ({r.unavailable['scaling_efficiency']})")
    if r.communication_share is not None:
        lines.append(f"  {'all-reduce':<12} {f.pct(r.communication_share)} of the timed window (mean over ranks)")
    for d in r.devices:
        parts = [f"{f.fixed(d.throughput_sps)} samples/s", f"p50 {f.seconds(d.step_time_p50_s)}"]
        if d.power_w is not None:
            parts.append(f"{f.fixed(d.power_w, 0, 'W')}")
        if d.energy_j is not None:
            parts.append(f.energy(d.energy_j))
        if d.memory_peak_bytes is not None:
            parts.append(f"peak {f.byte_size(d.memory_peak_bytes)}")
        if d.communication_share is not None:
            parts.append(f"all-reduce {f.pct(d.communication_share)}")
        lines.append(f"  {'rank ' + str(d.rank):<12} {d.device} on node {d.node}: " + " · ".join(parts))
    return lines
