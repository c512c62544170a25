"""`python main.py hw [--json] [--watch] [--peaks [--refresh]]`: the hardware inventory and which telemetry
works here, with the reason where it does not; `--watch` prints a live line per second until Ctrl+C;
`--peaks` measures (once, then from the cache) what this device reaches at best: matrix-multiply
FLOP/s per precision, memory bandwidth and the cost of one kernel launch, the roofs of a profile."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from dataclasses import asdict
from typing import Any

from engine.format import fixed, power

GIB = 1024**3


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("hw", help="hardware inventory and which telemetry is available, with reasons",
                              description=__doc__)
    p.add_argument("--json", action="store_true", help="print JSON (with --watch: one JSON object per line)")
    p.add_argument("--watch", action="store_true", help="print power, energy, memory, utilisation, clocks and "
                                                        "temperature once a second until Ctrl+C")
    p.add_argument("--count", type=int, default=None, metavar="N", help="with --watch: stop after N lines")
    p.add_argument("--peaks", action="store_true", help="the device's measured peaks (FLOP/s per precision, memory "
                   "bandwidth, launch time): the roofs a profile is judged against; measured once, then cached")
    p.add_argument("--refresh", action="store_true", help="with --peaks: measure again rather than read the cache")
    p.add_argument("--device", metavar="DEV", help="with --peaks: cpu, cuda or cuda:N (default: the first GPU, else cpu)")
    p.add_argument("--threads", type=int, metavar="N", help="with --peaks on the CPU: measure with N threads "
                   "(default: torch's; runs with --threads N read the entry for N)")
    p.set_defaults(command="hw")


def main(args: argparse.Namespace) -> int:
    from engine.cli import BadInput
    if args.count is not None and args.count < 1:
        raise BadInput(f"--count must be 1 or more, got {args.count}")
    peaks_only = [flag for flag, on in (("--refresh", args.refresh), ("--device", args.device is not None),
                                         ("--threads", args.threads is not None)) if on]
    if peaks_only and not args.peaks:
        raise BadInput(f"{peaks_only[0]} goes with --peaks")
    if args.peaks:
        if args.watch:
            raise BadInput("--peaks and --watch: give one of them")
        if args.threads is not None and not 1 <= args.threads <= 1024:
            raise BadInput(f"--threads: give a number from 1 to 1024, got {args.threads}")
        from engine.cli.hw_peaks import show_peaks
        return show_peaks(args.device, args.threads, args.refresh, args.json)
    if args.watch:
        # Ctrl+C is how --watch ends, also when this process was started with SIGINT ignored (a
        # parent that ignores it passes that on, and Python then raises no KeyboardInterrupt)
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            return _watch(args.json, args.count)
        except KeyboardInterrupt:  # Ctrl+C before the loop began (while NVML was opening)
            return 0
        finally:
            signal.signal(signal.SIGINT, previous)
    from hw.inventory import inventory
    inv = inventory()
    if args.json:
        print(json.dumps(inv.to_dict(), indent=2))
    else:
        print(render(inv))
    return 0


def _gib(n: int | None) -> str:
    return fixed(n, 1, "GiB", GIB)


def render(inv: Any) -> str:
    """The inventory as plain text for a terminal."""
    cpu = inv.cpu
    cores = f"{cpu.logical_cores} logical cores" if cpu.logical_cores else "? cores"
    extra = [f"{cpu.physical_cores} physical"] if cpu.physical_cores else []
    if cpu.usable_cores and cpu.usable_cores != cpu.logical_cores:
        extra.append(f"{cpu.usable_cores} usable by this process")
    lines = [f"CPU      {cpu.model or 'unknown model'} ({cpu.arch}), {cores}"
             + (f" ({', '.join(extra)})" if extra else "") + f", {_gib(cpu.mem_total_bytes)} memory"]
    if not inv.gpu.gpus:
        lines.append(f"GPU      none: {inv.gpu.reason}, so GPU power and energy are unavailable")
    for g in inv.gpu.gpus:
        limit = "?" if g.power_limit_w is None else f"{g.power_limit_w:.0f} W"
        lines.append(f"GPU {g.index:<4} {g.name or 'unknown'}, {_gib(g.mem_total_bytes)}, compute capability "
                     f"{g.compute_capability or '?'}, power limit {limit}, driver {inv.gpu.driver_version or '?'}")
        lines.append("         energy counter: " + ("yes (measured energy)" if g.energy_counter else
                                                     f"no ({g.energy_counter_reason}); energy will be estimated "
                                                     "from power")
                     + "; instant power: " + ("yes" if g.power_instant else f"no ({g.power_instant_reason})"))
    if not inv.rapl_domains:
        lines.append(f"RAPL     none: {inv.rapl_reason}")
    for d in inv.rapl_domains:
        lines.append(f"RAPL     {d.name:<10} " + ("readable" if d.readable else f"unavailable: {d.reason}"))
    if not any(d.readable for d in inv.rapl_domains):  # where runs estimate CPU energy: the TDP, or why none
        from hw.cpu_power import cpu_tdp, unknown_tdp_reason
        tdp = cpu_tdp(cpu.model)
        lines.append("CPU TDP  " + (f"{tdp.tdp_w:g} W ({tdp.source}): runs estimate CPU energy from it" if tdp
                                    else f"none: {unknown_tdp_reason(cpu.model)}"))
    lines.append("")
    lines.append("Telemetry sources")
    width = max((len(a.source) for a in inv.availability), default=10) + 2
    for a in inv.availability:
        lines.append(f"  {a.source:<{width}}" + ("available" if a.available else f"unavailable: {a.reason}"))
    return "\n".join(lines)


def watch_line(t_s: float, gpus: list[Any], host: Any, energy_base_j: dict[int, float] | None = None) -> str:
    """One line of `hw --watch`; energy is counted from energy_base_j (the first reading) when given."""
    parts = [f"{t_s:7.1f} s"]
    for g in gpus:
        flags = "".join(f for f, on in ((" POWER-CAP", g.throttle_power), (" THERMAL", g.throttle_thermal)) if on)
        base = (energy_base_j or {}).get(g.index)
        energy = (f"energy {fixed(g.energy_j - base, 2, 'kJ', 1e3)} since start" if base is not None
                  and g.energy_j is not None else f"energy {fixed(g.energy_j, 1, 'kJ', 1e3)}")
        util = fixed(g.util_gpu_pct) + ("%" if g.util_gpu_pct is not None else "")
        parts.append(f"gpu{g.index} {power(g.power_instant_w)} (1 s avg {power(g.power_avg_w)}) {energy} "
                     f"mem {fixed(g.mem_used_bytes, 1, 'GiB', GIB)} util {util} "
                     f"sm {fixed(g.sm_clock_hz, 0, 'MHz', 1e6)} mem clk {fixed(g.mem_clock_hz, 0, 'MHz', 1e6)} "
                     f"{fixed(g.temperature_c, 0, '°C')}{flags}")
    if host is not None:
        cpu = fixed(host.cpu_util_pct) + ("%" if host.cpu_util_pct is not None else "")
        parts.append(f"cpu {cpu} mem "
                     f"{fixed(host.system_mem_used_bytes, 1, scale=GIB)}/{fixed(host.system_mem_total_bytes, 1, scale=GIB)} GiB"
                     + (f" RAPL pkg {host.rapl_package_energy_j:.1f} J" if host.rapl_package_energy_j is not None else ""))
    return " | ".join(parts)


def _visible_gpus() -> tuple[int, str | None]:
    """How many GPUs the sampler can address by CUDA index, or why none."""
    from hw.inventory import gpu_inventory
    inv = gpu_inventory(probe=False)
    count = len(inv.gpus)
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        count = min(count, len([e for e in visible.split(",") if e.strip()]))
    return count, inv.reason or (None if count else "CUDA_VISIBLE_DEVICES hides every GPU")


def _watch(as_json: bool, lines: int | None) -> int:
    from hw.sampler import Sampler
    count_gpus, why = _visible_gpus()
    sampler = Sampler(gpu_indices=range(count_gpus), hz=1.0, energy_every_s=0.0)
    if not as_json:
        if why:
            print(f"unavailable: GPU power and energy: {why}")
        for a in sampler.availability:
            if not a.available:
                print(f"unavailable: {a.source}: {a.reason}")
        print("Ctrl+C to stop")
    sampler.start()
    printed = 0
    base: dict[int, float] = {}  # each GPU's first counter reading
    try:
        next_t = time.perf_counter() + 1.05  # just after the sampler's tick
        while lines is None or printed < lines:
            time.sleep(max(0.0, next_t - time.perf_counter()))
            next_t += 1.0
            gpu, host = sampler.drain()
            last: dict[int, Any] = {}  # the newest sample of each GPU; a lost GPU drops out of the line
            for s in gpu:
                last[s.index] = s
                if s.energy_j is not None:
                    base.setdefault(s.index, s.energy_j)
            h = host[-1] if host else None
            t_s = sampler.now_s()
            if as_json:
                print(json.dumps({"t_s": round(t_s, 3), "gpus": [asdict(s) for s in last.values()],
                                  "host": asdict(h) if h else None}), flush=True)
            else:
                print(watch_line(t_s, list(last.values()), h, base), flush=True)
            printed += 1
            if getattr(sys.stdout, "broken", False):  # the reader went away (`hw --watch | head`): done
                break
    except KeyboardInterrupt:  # Ctrl+C is how --watch ends: no traceback
        sys.stdout.write("\n")
    finally:
        # A second Ctrl+C while the sampler stops must not print a traceback either; its child
        # process ends by itself once this process is gone.
        with contextlib.suppress(KeyboardInterrupt):
            sampler.stop()
    return 0
