"""Findings that rank a lever's values and say what the convolution algorithms cost. Torch-free.

    rank_findings(ok) -> [Finding]   a lever with three or more values, ranked by throughput within
                                     runs matched in every other field ("Conv algorithm ranked ...")
    conv_findings(ok) -> [Finding]   im2col's buffers, and the kernels the library ran (GPU probe)
    conv_layer_findings(ok, profiles) -> [Finding]   per conv layer, where both runs were profiled: each
                                     algorithm's layer time against the library's, with its buffer
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from engine.format import number
from engine.results.compare import peak_mem_bytes
from engine.results.findings import LEVER_FIELDS, Finding, match_key, scope, value_name
from engine.results.result import RunResult
from engine.run.config import RunConfig
from engine.run.options import option_fields
from engine.shown_text import one_line
from engine.sweep.grid import describe

KERNEL_NAME_CHARS = 90  # a templated CUDA kernel name runs to hundreds of characters


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def rank_findings(ok: Sequence[RunResult]) -> list[Finding]:
    out = []
    labels = option_fields(RunConfig)
    for f in LEVER_FIELDS:
        # the other levers that vary: a ranking names their values, or two rankings (one per value of
        # another lever, say binarized and float) would read as one contradicting the other
        others = [g for g in LEVER_FIELDS if g != f and len({repr(getattr(r.config, g)) for r in ok}) > 1]
        groups: dict[tuple, dict] = defaultdict(lambda: defaultdict(list))
        for r in ok:
            if r.throughput_sps:
                groups[match_key(r, f)][getattr(r.config, f)].append(r)
        for by_value in groups.values():
            if len(by_value) < 3:
                continue
            tp = {v: _median([r.throughput_sps for r in runs]) for v, runs in by_value.items()}
            order = sorted(tp, key=lambda v: -tp[v])
            best = order[0]
            mem = {v: _median(m) for v, runs in by_value.items() if (m := [peak_mem_bytes(r) for r in runs
                                                                           if peak_mem_bytes(r)])}
            parts = [f"{value_name(f, best)} {number(tp[best])} samples/s"]
            for v in order[1:]:
                part = f"{value_name(f, v)} {tp[best] / tp[v]:.1f}× slower"
                if v in mem and best in mem and abs(mem[v] - mem[best]) >= 2**20:
                    part += f" ({(mem[v] - mem[best]) / 2**20:+,.0f} MiB)"
                parts.append(part)
            runs = [r for rs in by_value.values() for r in rs]
            first = by_value[best][0]
            where = scope(first, f, 1) + "".join(f", {value_name(g, getattr(first.config, g))}" for g in others)
            text = f"{labels[f].label} ranked by throughput{where}: " + "; ".join(parts) + "."
            if any(len(rs) == 1 for rs in by_value.values()):
                text = text[:-1] + " (one run each: a ranking on a noisy machine may change from run to run)."
            out.append(Finding("rank", text, tuple(r.run_id for r in runs),
                               {f"throughput_sps:{v}": tp[v] for v in order}))
    return out


def conv_findings(ok: Sequence[RunResult]) -> list[Finding]:
    out = []
    seen: set[tuple] = set()
    for r in ok:
        layers = r.conv_algos.layers if r.conv_algos else []
        buffers = [(x.layer, x.im2col_buffer_bytes) for x in layers if x.im2col_buffer_bytes]
        key = (r.network.name, r.config.batch, r.config.precision)
        if buffers and key not in seen:
            seen.add(key)
            total = sum(b for _, b in buffers)
            big = max(buffers, key=lambda lb: lb[1])
            out.append(Finding("conv", f"im2col on {r.network.name} at batch {r.config.batch} ({r.config.precision}): "
                               f"the unfolded inputs take {total / 2**20:,.1f} MiB per forward pass "
                               f"({big[0]} the largest, {big[1] / 2**20:,.1f} MiB).", (r.run_id,),
                               {"im2col_buffer_bytes": float(total)}))
    best_batch: dict[tuple, RunResult] = {}
    for r in ok:  # the kernels the library ran: one finding per place, from its largest batch
        if r.conv_algos and any(x.library_kernels for x in r.conv_algos.layers):
            key = (r.network.name, r.hardware.device_name, r.config.precision, r.config.mode, r.config.channels_last)
            if key not in best_batch or r.config.batch > best_batch[key].config.batch:
                best_batch[key] = r
    for r in best_batch.values():
        by_kernel: dict[str, list[str]] = defaultdict(list)
        for x in r.conv_algos.layers:
            if x.library_kernels:
                by_kernel[one_line(x.library_kernels[0], KERNEL_NAME_CHARS)].append(x.layer)
        where = r.hardware.device_name or r.config.device
        shown = "; ".join(f"{k} ({', '.join(ls)})" for k, ls in by_kernel.items())
        out.append(Finding("conv", f"The library's first convolution kernel on {where} for {r.network.name} "
                           f"({describe(r.config)}): {shown}.", (r.run_id,)))
    return out


def conv_layer_findings(ok: Sequence[RunResult], profiles: Mapping[str, Any]) -> list[Finding]:
    """Per layer, where both runs were profiled: each convolution computed by another algorithm against
    the library's in a run matched in every other field, its forward + backward time and its buffer:
    'im2col vs library per layer on resnet9, CPU, train at batch 8 (profiled): conv3 3.1× slower,
    +148 MiB; ...', the costliest layer first. One profile a side: no interval."""
    out = []
    by_key: dict[tuple, dict[str, RunResult]] = defaultdict(dict)
    for r in ok:
        if r.run_id in profiles and r.conv_algos:
            by_key[match_key(r, "conv_algo")].setdefault(r.config.conv_algo, r)
    for runs in by_key.values():
        base = runs.get("library")
        if base is None:
            continue
        base_times = {x.id: x.time_s for x in profiles[base.run_id].layers}
        for algo, r in sorted(runs.items()):
            times = {x.id: x.time_s for x in profiles[r.run_id].layers}
            parts = []
            for layer in r.conv_algos.layers:
                t, t0 = times.get(layer.layer), base_times.get(layer.layer)
                if layer.algo == "library" or not t or not t0:
                    continue
                ratio = t / t0
                text = f"{layer.layer} {ratio:.1f}× slower" if ratio >= 1 else f"{layer.layer} {1 / ratio:.1f}× faster"
                if layer.im2col_buffer_bytes:
                    text += f", +{layer.im2col_buffer_bytes / 2**20:,.1f} MiB"
                parts.append((ratio, text))
            if not parts or algo == "library":
                continue
            parts.sort(key=lambda p: -p[0])
            out.append(Finding("conv", f"{algo} vs library per layer{scope(r, 'conv_algo', 1)} (profiled, forward + "
                               f"backward time of each layer): " + "; ".join(p[1] for p in parts) + ".",
                               (r.run_id, base.run_id), {f"layer_time_ratio:{t.split()[0]}": q for q, t in parts}))
    return out
