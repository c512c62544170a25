"""Pruning, int8 quantization, the convolution algorithms, the runtime and binarized layers of a run in
words: what was pruned, quantized or computed how, and whether a speed-up can be expected. One wording
for the CLI summary, the History view and reports."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine import format as f
from engine.results.result import RunResult
from engine.shown_text import one_line


def config_levers(config: Mapping[str, Any]) -> str:
    """The levers a stored configuration set, in a few words ('conv im2col, prune structured:0.5'): what
    tells apart runs that share a device, precision, batch and mode (the History list)."""
    algo = config.get("conv_algo") or "library"
    words = ["onnxruntime" if config.get("backend") == "onnxruntime" else "",  # the likeliest to matter first
             "binarized" if config.get("binarize") else "",
             f"conv {algo}" if algo != "library" else "",
             f"prune {config['prune']}" if config.get("prune") else "",
             f"compile {config['compile']}" if config.get("compile") else "",
             "channels-last" if config.get("channels_last") else "",
             "CUDA graph" if config.get("cuda_graph") else ""]
    return one_line(", ".join(w for w in words if w))


def lever_rows(r: RunResult) -> list[tuple[str, str]]:
    """What pruning, int8 quantization, the convolution algorithms, another runtime and binarized layers
    did, as (label, text) rows."""
    rows = []
    p = getattr(r, "prune", None)
    if p is not None:
        text = f"{p.kind} {p.amount:g}: params {p.params_before:,} -> {p.params_after:,}"
        if p.zero_weights_share is not None:
            text += f", {f.pct(p.zero_weights_share)} of the pruned layers' weights are zero"
        if p.finetune_steps:
            text += f", then {p.finetune_steps:,} fine-tuning steps"
        if p.kind == "unstructured":
            text += " (dense kernels still multiply the zeros: expect no speed-up)"
        rows.append(("pruned", text))
        rows.append(("", f"layers {', '.join(p.layers)}" + (f"; left alone: {', '.join(p.skipped)}" if p.skipped else "")))
    q = getattr(r, "quantization", None)
    if q is not None:
        rows.append((q.precision, f"{q.method}: {', '.join(q.layers) or 'no layer'}"
                     + (f" (left {q.kept_precision}: {', '.join(q.skipped)})" if q.skipped else "")))
        sim = f" - SIMULATED: its speed is not {q.precision}'s" + (f" ({q.simulated_why})" if q.simulated_why else "")
        calibrated = f"; calibrated on {q.calibration_samples:,} samples of {q.calibration_data}" \
            if q.method == "static-ptq" else ""
        compiled = {True: "; compiled", False: "; eager (not compiled)"}.get(q.compiled, "") \
            if q.kept_precision == "bf16" else ""
        rows.append(("", f"kernels {q.kernels}" + (sim if q.simulated else "") + calibrated + compiled))
        if q.kernel_names:
            rows.append(("", f"GPU kernels seen: {', '.join(q.kernel_names[:4])}"))
        by_why: dict[str, list[str]] = {}
        for lid, why in q.skipped_why.items():  # one row per reason: a net's convolutions share one
            by_why.setdefault(why.split(": ", 1)[-1] if why.startswith("convolution") else why, []).append(lid)
        rows.extend(("", f"{', '.join(ids)} stayed {q.kept_precision}: {why}") for why, ids in by_why.items())
    rt = getattr(r, "runtime", None)
    if rt is not None:
        export = f", exported and loaded in {f.seconds(rt.export_s)} before timing" if rt.export_s is not None else ""
        rows.append(("runtime", f"ONNX Runtime {rt.version} on {rt.provider}{export}"))
    if r.network.binary_flops_per_sample:
        rows.append(("binarized", f"{r.network.binary_flops_per_sample:,} binary FLOPs per sample ran as float "
                                  f"arithmetic on +1/-1 values - SIMULATED: its speed is not binarization's"))
    return rows + conv_rows(getattr(r, "conv_algos", None))


def conv_rows(conv: Any) -> list[tuple[str, str]]:
    """How the convolutions were computed, where any layer was not the library's or the library's
    kernels were named: ('convolution', 'im2col x2 · im2col buffers 19.8 MiB')."""
    layers = conv.layers if conv else []
    kernels = list(dict.fromkeys(x.library_kernels[0] for x in layers if x.library_kernels))
    if not layers or (all(x.algo == "library" for x in layers) and not kernels):
        return []
    counts: dict[str, int] = {}
    for x in layers:
        counts[x.algo] = counts.get(x.algo, 0) + 1
    text = ", ".join(f"{a} x{n}" for a, n in counts.items())
    own = [x.layer for x in layers if x.chosen_by == "layer"]
    if own:
        text += f" ({', '.join(own)} by the layer's own algo)"
    buffers = sum(x.im2col_buffer_bytes or 0 for x in layers)
    if buffers:
        text += f" · im2col buffers {f.byte_size(buffers)}"
    rows = [("convolution", one_line(text))]
    if kernels:
        rows.append(("", f"library kernels: {one_line(', '.join(kernels[:3]))}"))
    return rows
