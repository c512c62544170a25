"""Plain-language findings computed from stored runs, each carrying the numbers behind it.

Torch-free. Every finding is derived from measured values of matched runs (runs equal in every
config field but the one compared); where the data for a statement is missing, the statement is
not made. Estimated figures (e.g. GPU energy integrated from power instead of the counter) are
called estimated in the text.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.format import number
from engine.results.compare import LABEL_FIELDS, peak_mem_bytes, short_labels
from engine.results.result import RunResult
from engine.sweep.grid import describe

SATURATION_GAIN = 0.10  # "stops growing" when all larger batches together add less than 10 %


@dataclass(frozen=True)
class Finding:
    kind: str  # lever | best | batch | memory | oom | skipped | failed | accuracy
    text: str
    run_ids: tuple[str, ...] = ()
    numbers: dict[str, float] = field(default_factory=dict)


def _geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def _value_name(f: str, v) -> str:
    if f == "channels_last":
        return "channels-last" if v else "contiguous"
    if f == "compile":
        return f"compile:{v}" if v else "eager"
    if f == "batch":
        return f"batch {v}"
    if f == "device":
        return {"cpu": "CPU"}.get(v, "GPU" if str(v).startswith("cuda") else str(v))
    return str(v)


def _reference(f: str, values: set) -> object:
    prefs = {"precision": ["fp32", "tf32", "bf16", "fp16", "int8"], "channels_last": [False, True],
             "compile": [None], "device": ["cpu"], "mode": ["train", "infer"]}
    for p in prefs.get(f, []):
        if p in values:
            return p
    return sorted(values, key=str)[0]


def _key(r: RunResult, without: str) -> tuple:
    return tuple((f, getattr(r.config, f)) for f in LABEL_FIELDS if f != without) + (("network", r.network.name),)


def _energy_estimated(*runs: RunResult) -> bool:
    return any(r.energy_j.gpu_method and r.energy_j.gpu_method != "counter" for r in runs)


def _ratio_phrase(ratio: float, lo: float, hi: float, more: str, less: str, spread: bool) -> str:
    rng = f" ({lo:.2f}–{hi:.2f}×)" if spread and hi / lo > 1.05 else ""
    if ratio >= 1:
        return f"{ratio:.2f}× {more}{rng}"
    inv_rng = f" ({1 / hi:.2f}–{1 / lo:.2f}×)" if spread and hi / lo > 1.05 else ""
    return f"{1 / ratio:.2f}× {less}{inv_rng}"


def lever_findings(ok: Sequence[RunResult]) -> list[Finding]:
    """For each config field that varies: each value vs a reference value over matched runs."""
    out = []
    for f in ("device", "precision", "channels_last", "compile", "mode"):
        values = {getattr(r.config, f) for r in ok}
        if len(values) < 2:
            continue
        ref = _reference(f, values)
        groups: dict[tuple, dict] = defaultdict(dict)
        for r in ok:
            groups[_key(r, f)][getattr(r.config, f)] = r
        for v in sorted(values - {ref}, key=str):
            pairs = [(g[v], g[ref]) for g in groups.values() if v in g and ref in g]
            tp = [a.throughput_sps / b.throughput_sps for a, b in pairs if a.throughput_sps and b.throughput_sps]
            if not tp:
                continue
            en_pairs = [(a, b) for a, b in pairs if a.energy_per_sample_j.total and b.energy_per_sample_j.total]
            en = [a.energy_per_sample_j.total / b.energy_per_sample_j.total for a, b in en_pairs]
            g_tp = _geomean(tp)
            scope = _scope(pairs[0][0], f, len(tp))
            text = (f"{_value_name(f, v)} vs {_value_name(f, ref)}{scope}: "
                    f"{_ratio_phrase(g_tp, min(tp), max(tp), 'the throughput', 'less throughput', len(tp) > 1)}")
            numbers = {"throughput_ratio": g_tp, "pairs": float(len(tp))}
            if en:
                g_en = _geomean(en)
                est = " (estimated)" if _energy_estimated(*[x for p in en_pairs for x in p]) else ""
                text += ", " + _ratio_phrase(g_en, min(en), max(en), "more energy per sample",
                                             "less energy per sample", len(en) > 1) + est
                numbers["energy_per_sample_ratio"] = g_en
            ids = tuple(x.run_id for p in pairs for x in p)
            out.append(Finding("lever", text + ".", ids, numbers))
    return out


def _scope(r: RunResult, compared: str, n: int) -> str:
    """Where a comparison holds, e.g. ' on cpu, train, geometric mean over 3 batch sizes'."""
    parts = []
    if compared != "device":
        parts.append(r.hardware.device_name or r.config.device)
    if compared != "mode":
        parts.append(r.config.mode)
    where = f" on {', '.join(str(p) for p in parts if p)}" if parts else ""
    if n > 1:
        return f"{where} (geometric mean of {n} matched pairs)"
    return where + f" at batch {r.config.batch}" if compared != "batch" else where


def best_findings(ok: Sequence[RunResult], labels: dict[str, str]) -> list[Finding]:
    out = []
    tp = [r for r in ok if r.throughput_sps]
    if len(tp) >= 2:
        fast = max(tp, key=lambda r: r.throughput_sps)
        slow = min(tp, key=lambda r: r.throughput_sps)
        ratio = fast.throughput_sps / slow.throughput_sps
        out.append(Finding("best", f"Fastest: {labels[fast.run_id]} at {number(fast.throughput_sps)} samples/s, "
                           f"{ratio:.1f}× the slowest ({labels[slow.run_id]}, {number(slow.throughput_sps)} samples/s).",
                           (fast.run_id, slow.run_id), {"throughput_sps": fast.throughput_sps, "ratio": ratio}))
    en = [r for r in ok if r.energy_per_sample_j.total]
    if len(en) >= 2:
        low = min(en, key=lambda r: r.energy_per_sample_j.total)
        high = max(en, key=lambda r: r.energy_per_sample_j.total)
        ratio = high.energy_per_sample_j.total / low.energy_per_sample_j.total
        est = " (estimated)" if _energy_estimated(low, high) else ""
        out.append(Finding("best", f"Least energy per sample: {labels[low.run_id]} at "
                           f"{number(low.energy_per_sample_j.total * 1e3)} mJ/sample{est}, "
                           f"{ratio:.1f}× less than the most ({labels[high.run_id]}).",
                           (low.run_id, high.run_id), {"energy_per_sample_j": low.energy_per_sample_j.total,
                                                       "ratio": ratio}))
    return out


def batch_findings(ok: Sequence[RunResult]) -> list[Finding]:
    """Throughput and memory against batch size, per group of runs that differ only in batch."""
    groups: dict[tuple, list[RunResult]] = defaultdict(list)
    for r in ok:
        if r.throughput_sps:
            groups[_key(r, "batch")].append(r)
    out = []
    for runs in groups.values():
        if len(runs) < 3:
            continue
        runs.sort(key=lambda r: r.config.batch)
        where = describe({**runs[0].config.model_dump(), "batch": "*"}).replace(" b*", "")
        tps = [r.throughput_sps for r in runs]
        best = max(range(len(runs)), key=lambda i: tps[i])
        sat = next(i for i in range(len(runs)) if max(tps[i:]) <= tps[i] * (1 + SATURATION_GAIN))
        ids = tuple(r.run_id for r in runs)
        b = [r.config.batch for r in runs]
        falls = best < len(runs) - 1 and tps[-1] < tps[best] * 0.9
        if falls:
            out.append(Finding("batch", f"Throughput peaks at batch {b[best]} ({where}): "
                               f"{number(tps[best])} samples/s, falling to {tps[-1] / tps[best]:.2f}× that "
                               f"({number(tps[-1])} samples/s) at batch {b[-1]}.",
                               ids, {"batch": b[best], "ratio": tps[-1] / tps[best]}))
        elif sat < len(runs) - 1:
            gain = max(tps[sat:]) / tps[sat] - 1
            lo, hi = min(tps[sat + 1:]), max(tps[sat + 1:])
            larger = number(hi) if number(lo) == number(hi) else \
                f"{number(lo)}–{number(hi)}"
            out.append(Finding("batch", f"Throughput stops growing beyond batch {b[sat]} ({where}): "
                               f"{number(tps[sat])} samples/s there; larger batches (up to {b[-1]}) gave "
                               f"{larger} samples/s.", ids, {"batch": b[sat], "throughput_sps": tps[sat], "gain": gain}))
        else:
            out.append(Finding("batch", f"Throughput still grows at the largest batch tried ({where}): "
                               f"{tps[-1] / tps[0]:.1f}× from batch {b[0]} to {b[-1]} "
                               f"({number(tps[0])} → {number(tps[-1])} samples/s).",
                               ids, {"ratio": tps[-1] / tps[0]}))
        mems = [peak_mem_bytes(r) for r in runs]
        if all(m for m in mems) and mems[-1] > mems[0] * 1.2:
            out.append(Finding("memory", f"Peak memory grows from {mems[0] / 2**20:,.0f} MiB at batch {b[0]} to "
                               f"{mems[-1] / 2**20:,.0f} MiB at batch {b[-1]} ({where}).", ids,
                               {"mem_bytes_low": mems[0], "mem_bytes_high": mems[-1]}))
    return out


def failure_findings(results: Sequence[RunResult], skipped: Sequence[tuple[dict, str]]) -> list[Finding]:
    out = []
    for r in results:
        if r.status == "oom":
            out.append(Finding("oom", f"Batch {r.config.batch} ran out of memory ({describe(r.config)}).",
                               (r.run_id,), {"batch": float(r.config.batch)}))
        elif r.status == "failed":
            out.append(Finding("failed", f"{describe(r.config)} failed: {r.error or 'no reason recorded'}.", (r.run_id,)))
    for config, reason in skipped:
        out.append(Finding("skipped", f"{describe(config)} was not run: {reason}.", (),
                           {"batch": float(config.get("batch", 0))}))
    return out


def accuracy_findings(ok: Sequence[RunResult], labels: dict[str, str]) -> list[Finding]:
    acc = [r for r in ok if r.accuracy is not None]
    if len(acc) < 2:
        return []
    hi = max(acc, key=lambda r: r.accuracy)
    lo = min(acc, key=lambda r: r.accuracy)
    if hi.accuracy - lo.accuracy < 0.01:
        return [Finding("accuracy", f"Accuracy is within one point across {len(acc)} runs "
                        f"({lo.accuracy:.1%}–{hi.accuracy:.1%}).", tuple(r.run_id for r in acc),
                        {"low": lo.accuracy, "high": hi.accuracy})]
    return [Finding("accuracy", f"Accuracy ranges from {lo.accuracy:.1%} ({labels[lo.run_id]}) to "
                    f"{hi.accuracy:.1%} ({labels[hi.run_id]}).", (lo.run_id, hi.run_id),
                    {"low": lo.accuracy, "high": hi.accuracy})]


def findings(results: Sequence[RunResult], skipped: Sequence[tuple[dict, str]] = ()) -> list[Finding]:
    """All findings, most useful first. `skipped`: (config, reason) of sweep entries never run."""
    ok = [r for r in results if r.status == "ok"]
    labels = short_labels(results)
    return (best_findings(ok, labels) + lever_findings(ok) + batch_findings(ok)
            + accuracy_findings(ok, labels) + failure_findings(results, skipped))
