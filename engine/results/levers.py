"""Pruning and int8 quantization of a run in words: what was pruned or quantized, and whether a
speed-up can be expected. One wording for the CLI summary, the History view and reports."""
from __future__ import annotations

from engine import format as f
from engine.results.result import RunResult


def lever_rows(r: RunResult) -> list[tuple[str, str]]:
    """What pruning and int8 quantization did, as (label, text) rows."""
    rows = []
    p = getattr(r, "prune", None)
    if p is not None:
        text = f"{p.kind} {p.amount:g}: params {p.params_before:,} -> {p.params_after:,}"
        if p.zero_weights_share is not None:
            text += f", {f.pct(p.zero_weights_share)} of the pruned layers' weights are zero"
        if p.kind == "unstructured":
            text += " (dense kernels still multiply the zeros: expect no speed-up)"
        rows.append(("pruned", text))
        rows.append(("", f"layers {', '.join(p.layers)}" + (f"; left alone: {', '.join(p.skipped)}" if p.skipped else "")))
    q = getattr(r, "quantization", None)
    if q is not None:
        rows.append(("int8", f"{q.method}: {', '.join(q.layers)}" + (f" (left fp32: {', '.join(q.skipped)})"
                                                                     if q.skipped else "")))
        rows.append(("", f"kernels {q.kernels}" + (" - SIMULATED: its speed is not int8's" if q.simulated else "")
                     + f"; calibrated on {q.calibration_samples:,} samples of {q.calibration_data}"))
    return rows
