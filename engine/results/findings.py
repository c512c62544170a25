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
from engine.results.compare import LABEL_FIELDS, median_runs, option_word, peak_mem_bytes, short_labels
from engine.results.result import RunResult
from engine.results.stats import Ratio, ratio_interval
from engine.sweep.grid import describe

SATURATION_GAIN = 0.10  # "stops growing" when all larger batches together add less than 10 %


@dataclass(frozen=True)
class Finding:
    kind: str  # lever | rank | conv | best | simulated | parallel | batch | memory | oom | skipped | failed | accuracy
    text: str
    run_ids: tuple[str, ...] = ()
    numbers: dict[str, float] = field(default_factory=dict)


def _geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


# The levers compared value against value: every config field that tells runs apart except the
# batch (batch findings) and the data set (not a speed lever).
LEVER_FIELDS = tuple(f for f in LABEL_FIELDS if f not in ("batch", "dataset", "devices", "processes"))  # devices: parallel_findings


def value_name(f: str, v) -> str:
    if f == "channels_last":
        return "channels-last" if v else "contiguous"
    if f == "compile":
        return f"compile:{v}" if v else "eager"
    if f == "cuda_graph":
        return "CUDA graph" if v else "no CUDA graph"
    if f == "batch":
        return f"batch {v}"
    if f == "prune":
        return f"prune {v}" if v else "unpruned"
    if f == "devices":
        return f"{len(v)} devices" if v else "one device"
    if f == "backend":
        return {"torch": "PyTorch", "onnxruntime": "ONNX Runtime"}.get(v, str(v))
    if f == "device":
        return {"cpu": "CPU"}.get(v, "GPU" if str(v).startswith("cuda") else str(v))
    if isinstance(v, bool) or v is None:
        return option_word(f, v)
    return str(v)


def _reference(f: str, values: set) -> object:
    prefs = {"precision": ["fp32", "tf32", "bf16", "fp16", "int8", "fp8"], "channels_last": [False, True],
             "compile": [None], "cuda_graph": [False], "device": ["cpu"], "mode": ["train", "infer"], "prune": [None],
             "conv_algo": ["library"], "threads": [None], "cudnn_benchmark": [False],
             "backend": ["torch"], "binarize": [False]}
    for p in prefs.get(f, []):
        if p in values:
            return p
    return sorted(values, key=str)[0]


def match_key(r: RunResult, without: str) -> tuple:
    def value(f: str) -> object:
        v = getattr(r.config, f)
        return tuple(v) if isinstance(v, list) else v  # a device list
    return tuple((f, value(f)) for f in LABEL_FIELDS if f != without) + (("network", r.network.name),)


def _energy_estimated(*runs: RunResult) -> bool:
    return any(r.energy_j.gpu_method and r.energy_j.gpu_method != "counter" for r in runs)


def figure_values(runs: Sequence[RunResult], metric: str) -> list[float]:
    """What a configuration's figure rests on: each repeat's value when it was run more than once,
    else its measuring windows' values, else its one value."""
    def one(r: RunResult) -> float | None:
        return r.throughput_sps if metric == "throughput_sps" else r.energy_per_sample_j.total
    if len(runs) > 1:
        return [v for v in (one(r) for r in runs) if v]
    windows = getattr(runs[0], "windows", None)
    per_window = list(getattr(windows, metric, []) or []) if windows is not None else []
    if len(per_window) >= 2:
        return [v for v in per_window if v]
    v = one(runs[0])
    return [v] if v else []



def _busy(runs: Sequence[RunResult]) -> bool:
    return any(getattr(r, "disturbed", False) or any(q.startswith("machine busy") for q in r.quality) for r in runs)


def _ratio_text(ratio: Ratio, more: str, less: str, busy: bool) -> str:
    """'2.08× the throughput (1.9–2.3×)', or 'inconclusive for throughput: 0.12–14.5×, machine busy'."""
    if ratio.low == ratio.high:  # no spread to test (one value each side, or identical values)
        if abs(ratio.value - 1) < 0.005:
            return f"the same {more.split(' ', 1)[-1]}"
        return f"{ratio.value:.2f}× {more}" if ratio.value >= 1 else f"{1 / ratio.value:.2f}× {less}"
    if not ratio.conclusive:
        return f"inconclusive for {more.split(' ', 1)[-1]}: {ratio.low:.2g}–{ratio.high:.3g}×" + \
            (", machine busy" if busy else "")
    if ratio.value >= 1:
        return f"{ratio.value:.2f}× {more} ({ratio.low:.2f}–{ratio.high:.2f}×)"
    return f"{1 / ratio.value:.2f}× {less} ({1 / ratio.high:.2f}–{1 / ratio.low:.2f}×)"


def _combined(ratios: list[Ratio]) -> Ratio:
    """Several matched configurations (e.g. batch sizes): geometric means of the values and bounds."""
    return Ratio(_geomean([r.value for r in ratios]), _geomean([r.low for r in ratios]),
                 _geomean([r.high for r in ratios]))


def accuracy_comparable(runs: Sequence[RunResult]) -> bool:
    """Whether the accuracies of these runs compare: they saw the same training (the same stored
    weights, or training runs of equal steps)."""
    same = {getattr(r.config, "weights", None) for r in runs}
    steps = {r.steps for r in runs}
    trained_alike = all(r.config.mode == "train" for r in runs) and len(steps) == 1
    return (len(same) == 1 and None not in same) or trained_alike


def _accuracy_change(pairs: list[tuple[list[RunResult], list[RunResult]]]) -> str:
    """The accuracy change of a lever, or why the runs cannot say: only runs that saw the same
    training (the same stored weights, or equal training steps) compare."""
    diffs, incomparable = [], False
    for a_runs, b_runs in pairs:
        a = [r for r in a_runs if r.accuracy is not None]
        b = [r for r in b_runs if r.accuracy is not None]
        if not a or not b:
            continue
        if accuracy_comparable(a + b):
            diffs += [x.accuracy - y.accuracy for x in a for y in b]
        else:
            incomparable = True
    if diffs:
        mid = sorted(diffs)[len(diffs) // 2]
        spread = f" ({min(diffs) * 100:+.1f} to {max(diffs) * 100:+.1f})" if len(diffs) > 1 else ""
        return f"; accuracy {mid * 100:+.1f} points{spread}"
    if incomparable:
        return "; accuracy not comparable (different weights or amounts of training)"
    return ""


def lever_findings(ok: Sequence[RunResult]) -> list[Finding]:
    """For each config field that varies: each value vs a reference value over matched runs, one
    finding per device and mode (never pooled across them), a ratio stated only when its interval
    excludes 1."""
    out = []
    for f in LEVER_FIELDS:
        values = {getattr(r.config, f) for r in ok}
        if len(values) < 2:
            continue
        ref = _reference(f, values)
        groups: dict[tuple, dict] = defaultdict(lambda: defaultdict(list))
        for r in ok:
            groups[match_key(r, f)][getattr(r.config, f)].append(r)
        for v in sorted(values - {ref}, key=str):
            pairs = [(g[v], g[ref]) for g in groups.values() if v in g and ref in g]
            by_place: dict[tuple, list] = defaultdict(list)
            for a, b in pairs:  # one finding per device and mode: never pool a CPU with a GPU
                place = tuple(x for x in ((a[0].hardware.device_name or a[0].config.device) if f != "device" else "",
                                          a[0].config.mode if f != "mode" else "") if x)
                by_place[place].append((a, b))
            for place_pairs in by_place.values():
                out.extend(_lever_finding(f, v, ref, place_pairs))
    return out


def _simulated(runs: Sequence[RunResult]) -> bool:
    return any(r.quantization is not None and r.quantization.simulated for r in runs)


def _quant_note(runs: Sequence[RunResult]) -> str:
    """What a quantized run quantized, said beside its measured ratio: '; fp8 on fc1, fc2 (left bf16: fc5)'."""
    q = next((r.quantization for r in runs if r.quantization is not None), None)
    if q is None or not q.layers:
        return ""
    left = f" (left {q.kept_precision}: {', '.join(q.skipped)})" if q.skipped else ""
    eager = "; eager: its quantized layers pay mostly when compiled" if q.compiled is False and q.kept_precision == "bf16" else ""
    return f"; {q.precision} on {', '.join(q.layers)}{left}{eager}"


def _simulated_text(runs: Sequence[RunResult]) -> str:
    """Why a quantized run's speed is not compared: the CPU's reference kernels, or no int8/fp8 GEMM ran."""
    q = next(r.quantization for r in runs if r.quantization is not None and r.quantization.simulated)
    if q.kept_precision == "fp32" and q.compiled is not True:  # the CPU's static quantization, not compiled
        return "simulated int8 (fp32 kernels between quantize steps), so its speed is not compared; compile it for int8 kernels"
    return f"simulated {q.precision} ({q.simulated_why or f'no {q.precision} kernel ran'}), so its speed is not compared"


def _lever_note(f: str, runs: Sequence[RunResult]) -> str:
    """What a pruning run did, said beside its measured ratio (an unstructured one: why no speed-up)."""
    if f == "precision":
        return _quant_note(runs)
    p = next((r.prune for r in runs if r.prune is not None), None) if f == "prune" else None
    if p is None:
        return ""
    if p.kind == "unstructured":
        return (f"; {p.zero_weights_share * 100:.0f} % of the pruned layers' weights are zero, but dense kernels "
                f"multiply the zeros too: no speed-up is expected from the zeros alone")
    if p.kind == "structured":
        return f"; a smaller network: {p.params_before:,} -> {p.params_after:,} parameters"
    return f"; sparse 2:4 kernels on {', '.join(p.layers)}"


def _binarize_finding(v, ref, pairs: list) -> list[Finding]:
    """Binarized vs float: the speed is simulated (float arithmetic on +1/-1), so only what is real is
    said: the binarized layers' share of the arithmetic, the memory and the accuracy change."""
    runs = [x for a, b in pairs for x in (*a, *b)]
    binary = next((x for a, _ in pairs for x in a if x.network.binary_flops_per_sample), None)
    share = ""
    if binary is not None and binary.network.flops_per_sample:
        share = (f"; {binary.network.binary_flops_per_sample / binary.network.flops_per_sample:.0%} of its "
                 f"arithmetic is binary operations")
    text = (f"{value_name('binarize', v)} vs {value_name('binarize', ref)}{scope(pairs[0][0][0], 'binarize', len(pairs))}: "
            f"simulated binarization (float arithmetic on +1/-1 values, no bit-packed kernel), so its speed is not "
            f"compared{share}{_memory_change(pairs)}{_accuracy_change(pairs)}.")
    return [Finding("lever", text, tuple(x.run_id for x in runs), {"simulated": 1.0})]


def _lever_finding(f: str, v, ref, pairs: list) -> list[Finding]:
    if f == "binarize":
        return _binarize_finding(v, ref, pairs)
    real = [(a, b) for a, b in pairs if not _simulated([*a, *b])]  # a simulated int8/fp8 run is never a speed-up
    if real and len(real) < len(pairs):
        found = _lever_finding(f, v, ref, real)
        sim = [r for a, b in pairs for r in (*a, *b) if r.quantization is not None and r.quantization.simulated]
        what = "int8 runs (no compile)" if all(r.quantization.kept_precision == "fp32" for r in sim) else \
            f"{'/'.join(sorted({r.quantization.precision for r in sim}))} runs (no {v} kernel ran)"
        return [Finding(x.kind, x.text[:-1] + f"; simulated {what} left out.", x.run_ids, x.numbers) for x in found]
    if not real:
        runs = [x for a, b in pairs for x in (*a, *b)]
        text = (f"{value_name(f, v)} vs {value_name(f, ref)}{scope(pairs[0][0][0], f, len(pairs))}: "
                f"{_simulated_text(runs)}{_accuracy_change(pairs)}.")
        return [Finding("lever", text, tuple(x.run_id for x in runs), {"simulated": 1.0})]
    tp = [ratio_interval(figure_values(a, "throughput_sps"), figure_values(b, "throughput_sps")) for a, b in pairs]
    tp = [r for r in tp if r]
    if not tp:
        return []
    runs = [x for a, b in pairs for x in (*a, *b)]
    busy = _busy(runs)
    spread = any(len(figure_values(a, "throughput_sps")) > 1 or len(figure_values(b, "throughput_sps")) > 1 for a, b in pairs)
    g_tp = _combined(tp)
    where = scope(pairs[0][0][0], f, len(tp))
    text = (f"{value_name(f, v)} vs {value_name(f, ref)}{where}: "
            f"{_ratio_text(g_tp, 'the throughput', 'less throughput', busy)}")
    numbers = {"throughput_ratio": g_tp.value, "throughput_ratio_low": g_tp.low, "throughput_ratio_high": g_tp.high,
               "pairs": float(len(tp)), "conclusive": float(g_tp.conclusive)}
    en_pairs = [(a, b) for a, b in pairs if figure_values(a, "energy_per_sample_j") and figure_values(b, "energy_per_sample_j")]
    kinds = {energy_kind(x) for a, b in en_pairs for x in (*a, *b)}
    if en_pairs and len(kinds) == 1:  # never a ratio of a measured and an estimated energy
        en = [ratio_interval(figure_values(a, "energy_per_sample_j"), figure_values(b, "energy_per_sample_j")) for a, b in en_pairs]
        g_en = _combined([r for r in en if r])
        est = " (estimated)" if kinds == {"estimated"} else ""
        text += ", " + _ratio_text(g_en, "more energy per sample", "less energy per sample", busy) + est
        numbers["energy_per_sample_ratio"] = g_en.value
    elif en_pairs:
        text += ", energy per sample not compared (measured on one side, estimated on the other)"
    text += _lever_note(f, [a[0] for a, _ in pairs])
    text += _memory_change(pairs)
    text += _accuracy_change(pairs)
    if not spread:
        text += " (one run each and no measuring windows: no interval)"
    return [Finding("lever", text + ".", tuple(x.run_id for x in runs), numbers)]


def _memory_change(pairs: list) -> str:
    """', peak memory +12 MiB' (the median over matched pairs) where both sides measured it and the
    change is at least 1 MiB."""
    diffs = sorted(peak_mem_bytes(x) - peak_mem_bytes(y) for a, b in pairs for x in a for y in b
                   if peak_mem_bytes(x) and peak_mem_bytes(y))
    if not diffs or abs(diffs[len(diffs) // 2]) < 2**20:
        return ""
    return f", peak memory {diffs[len(diffs) // 2] / 2**20:+,.0f} MiB"


def scope(r: RunResult, compared: str, n: int) -> str:
    """Where a comparison holds, e.g. ' on NVIDIA H200, train (geometric mean of 3 matched pairs)'."""
    parts = [r.network.name]
    if compared != "device":
        parts.append(r.hardware.device_name or r.config.device)
    if compared != "mode":
        parts.append(r.config.mode)
    where = f" on {', '.join(str(p) for p in parts if p)}" if parts else ""
    if n > 1:
        return f"{where} (geometric mean of {n} matched pairs)"
    return where + f" at batch {r.config.batch}" if compared != "batch" else where


MEASURED_ENERGY = {"counter", "rapl"}


def energy_kind(r: RunResult) -> str:
    """'measured' (an energy counter or RAPL) or 'estimated' (integrated power, a TDP model)."""
    method = getattr(r.energy_per_sample_j, "method", None)
    if method is None:  # results from before energy per sample carried its method
        method = r.energy_j.gpu_method if r.energy_j.gpu is not None else ("rapl" if r.energy_j.cpu is not None else None)
    return "measured" if method in MEASURED_ENERGY else "estimated"



def best_findings(ok: Sequence[RunResult], labels: dict[str, str]) -> list[Finding]:
    out = []
    tp = median_runs([r for r in ok if r.throughput_sps], labels, lambda r: r.throughput_sps)
    if len(tp) >= 2:
        fast = max(tp, key=lambda r: r.throughput_sps)
        slow = min(tp, key=lambda r: r.throughput_sps)
        ratio = fast.throughput_sps / slow.throughput_sps
        out.append(Finding("best", f"Fastest: {labels[fast.run_id]} at {number(fast.throughput_sps)} samples/s, "
                           f"{ratio:.1f}× the slowest ({labels[slow.run_id]}, {number(slow.throughput_sps)} samples/s).",
                           (fast.run_id, slow.run_id), {"throughput_sps": fast.throughput_sps, "ratio": ratio}))
    en = median_runs([r for r in ok if r.energy_per_sample_j.total], labels, lambda r: r.energy_per_sample_j.total)
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
            groups[match_key(r, "batch")].append(r)
    out = []
    for runs in groups.values():
        if len({r.config.batch for r in runs}) < 3:  # repeats of one batch say nothing about batch size
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
            dips = [i for i in range(1, len(runs)) if tps[i] < tps[i - 1] * 0.95]
            dip = (f"; not steadily: {number(tps[dips[0]])} samples/s at batch {b[dips[0]]}, less than at "
                   f"batch {b[dips[0] - 1]}") if dips else ""
            out.append(Finding("batch", f"Throughput still grows at the largest batch tried ({where}): "
                               f"{tps[-1] / tps[0]:.1f}× from batch {b[0]} to {b[-1]} "
                               f"({number(tps[0])} → {number(tps[-1])} samples/s){dip}.",
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
    by_reason: dict[str, list[dict]] = {}
    named: set[str] = set()
    for config, reason in skipped:
        if describe(config) in named:  # the later repeats of a refused configuration: named once
            continue
        named.add(describe(config))
        by_reason.setdefault(reason, []).append(config)
    for reason, configs in by_reason.items():  # one reason, said once for the configurations it ruled out
        if len(configs) == 1:
            text = f"{describe(configs[0])} was not run: {reason}."
        else:
            text = f"{len(configs)} configurations were not run ({reason}): {', '.join(describe(c) for c in configs)}."
        out.append(Finding("skipped", text, (), {"batch": float(configs[0].get("batch", 0)),
                                                 "configurations": float(len(configs))}))
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


def parallel_findings(ok: Sequence[RunResult]) -> list[Finding]:
    """Each several-device run against its 1-device baseline: '2× H200: 1.62× throughput, 81 %
    efficiency, 1.05× energy per sample' (energy only when the baseline run is among the runs and
    both energies are of one kind)."""
    by_id = {r.run_id: r for r in ok}
    out = []
    for r in ok:
        p = r.parallel
        if p is None or not r.throughput_sps:
            continue
        name = (r.hardware.device_name or r.config.device).removeprefix("NVIDIA ")
        what = f"{p.world_size}× {name}" if r.on_gpu else f"{p.world_size} CPU processes"
        if p.kind == "pipeline":
            what += f" as a {p.world_size}-stage pipeline"
        if p.nodes > 1:
            what += f" on {p.nodes} machines"
        numbers = {"devices": float(p.world_size)}
        if p.baseline_throughput_sps is None or r.scaling_efficiency is None:
            why = r.unavailable.get("scaling_efficiency", "no 1-device baseline")
            out.append(Finding("parallel", f"{what}: {number(r.throughput_sps)} samples/s; scaling not known ({why}).",
                               (r.run_id,), numbers))
            continue
        gain = r.throughput_sps / p.baseline_throughput_sps
        text = f"{what}: {gain:.2f}× throughput, {r.scaling_efficiency:.0%} efficiency"
        numbers.update(throughput_ratio=gain, scaling_efficiency=r.scaling_efficiency)
        base = by_id.get(p.baseline_run_id or "")
        ids = (r.run_id,) + ((base.run_id,) if base else ())
        if base and r.energy_per_sample_j.total and base.energy_per_sample_j.total \
                and energy_kind(r) == energy_kind(base):
            e = r.energy_per_sample_j.total / base.energy_per_sample_j.total
            text += f", {e:.2f}× energy per sample"
            numbers["energy_per_sample_ratio"] = e
        if r.communication_share is not None:
            text += f"; a gradient all-reduce is in flight {r.communication_share:.0%} of the step"
            numbers["communication_share"] = r.communication_share
        if p.kind == "pipeline":
            text += _pipeline_note(r, numbers)
        elif r.scaling_efficiency < 0.6:
            text += (" — the extra devices barely pay here: the per-device work is too small next to "
                     "communication and start-up (try a larger batch per device, or bf16 gradient compression)")
        scope_text = (f"the same batch {p.global_batch}" if p.kind == "pipeline"
                      else f"batch {p.per_device_batch} per device")
        out.append(Finding("parallel", text + f" (vs one device, {scope_text}).", ids, numbers))
    return out


def _pipeline_note(r: RunResult, numbers: dict[str, float]) -> str:
    """A pipeline's idle share against GPipe's ideal bubble, and whether splitting the net paid."""
    p = r.parallel
    assert p is not None and r.scaling_efficiency is not None
    text = ""
    if p.bubble_share is not None:
        numbers["bubble_share"] = p.bubble_share
        text += f"; the stages sat idle {p.bubble_share:.0%} of the step"
        if p.ideal_bubble_share is not None:
            numbers["ideal_bubble_share"] = p.ideal_bubble_share
            text += (f" (the ideal bubble with {p.microbatches} micro-batches is {p.ideal_bubble_share:.0%}; the rest "
                     f"is transfers and unequal stages)")
    if r.scaling_efficiency * p.world_size < 1.0:
        text += (" — pipelining does not pay here: each stage's share of a step is too small next to the pipeline "
                 "bubble and the transfers between stages (it pays for nets too big for one device; otherwise use "
                 "data parallelism)")
    elif r.scaling_efficiency < 0.6:
        text += " — the stages wait more than they compute: more micro-batches or a better-balanced cut would help"
    return text


def simulated_findings(ok: Sequence[RunResult]) -> list[Finding]:
    """Nets with binarized layers: their speed is simulated (float arithmetic on +1/-1), said once."""
    binary = [r for r in ok if r.network.binary_flops_per_sample]
    if not binary:
        return []
    nets = ", ".join(sorted({r.network.name for r in binary}))
    return [Finding("simulated", f"Speed of {nets} is simulated binarization: its binarized layers ran as float "
                    f"arithmetic on +1/-1 values (no bit-packed kernel), so it is not a binarization speed-up.",
                    tuple(r.run_id for r in binary))]


def findings(results: Sequence[RunResult], skipped: Sequence[tuple[dict, str]] = ()) -> list[Finding]:
    """All findings, most useful first. `skipped`: (config, reason) of sweep entries never run."""
    from engine.results.lever_rank import conv_findings, rank_findings  # they build on this module
    ok = [r for r in results if r.status == "ok"]
    labels = short_labels(results)  # a binarized net's label says its speed is simulated
    return (best_findings(ok, labels) + simulated_findings(ok) + parallel_findings(ok) + rank_findings(ok)
            + lever_findings(ok) + conv_findings(ok) + batch_findings(ok) + accuracy_findings(ok, labels) + failure_findings(results, skipped))
