"""The explain waterfall as text: the baseline's figures, then one row per lever (each against the
baseline), the levers not tried and why. The CLI prints it; the GUI's table shows the same cells."""
from __future__ import annotations

from typing import Any

from engine.format import MISSING, byte_size, energy, throughput
from engine.profile.waterfall import Step, ratio_text
from engine.shown_text import one_line

WATERFALL_HEADERS = ("lever", "kind", "throughput", "energy/sample", "peak memory", "accuracy", "why")


def waterfall_cells(step: Step) -> tuple[str, ...]:
    """One waterfall row: lever, kind, throughput ×, energy per sample ×, peak memory ×, accuracy, why."""
    if step.status != "ok":
        why = f"{step.status}: {step.error}" if step.error else step.status
        return (step.label, step.tag, MISSING, MISSING, MISSING, MISSING, one_line(why))
    est = " est." if step.energy and step.energy_note == "estimated" else ""
    en = ratio_text(step.energy) + est if step.energy else MISSING
    mem = f"{step.memory_ratio:.2f}×" if step.memory_ratio else MISSING
    acc = f"{step.accuracy_points:+.1f} pts" if step.accuracy_points is not None else MISSING
    return (step.label, step.tag, ratio_text(step.throughput), en, mem, acc, step.why)


def baseline_line(result: Any) -> str:
    b = result.baseline
    acc = f", accuracy {b['accuracy']:.1%}" if b.get("accuracy") is not None else ""
    n = len(b["run_ids"])
    return (f"Baseline ({n} run{'s' if n != 1 else ''}): {throughput(b['throughput_sps'])}, "
            f"{energy(b['energy_per_sample_j'])} per sample, peak memory {byte_size(b['peak_mem_bytes'])}{acc}")


def waterfall_lines(result: Any) -> list[str]:
    """The whole waterfall, as printed by `main.py explain`."""
    lines = [f"Waterfall: {result.bound_words} run of {result.network} on {result.device}, each lever alone "
             f"against the baseline" + (f" (median of {result.repeats} runs each, 95 % interval)"
                                        if result.repeats > 1 else ""), baseline_line(result)]
    rows = [WATERFALL_HEADERS] + [waterfall_cells(s) for s in result.steps]
    widths = [max(len(r[i]) for r in rows) for i in range(len(WATERFALL_HEADERS) - 1)]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1])
    if not result.steps:
        lines.append("  (no lever ran)")
    for s in result.skipped:
        lines.append(f"not tried: {s.key}: {s.why}")
    for n in result.notes:
        lines.append(f"note: {n}")
    if result.baseline.get("energy_note"):
        lines.append(f"note: energy per sample not measured: {one_line(result.baseline['energy_note'])}")
    helped = [s for s in result.steps if s.helped]
    if helped:
        best = max(helped, key=lambda s: s.throughput.value)
        lines.append(f"Largest gain: {best.label} ({best.tag}), {ratio_text(best.throughput)} the throughput.")
    return lines
