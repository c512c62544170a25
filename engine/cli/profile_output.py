"""What `profile` prints: the per-layer table, the time that belongs to no layer, the sum against
the unprofiled step, and the verdict. Torch-free."""
from __future__ import annotations

from typing import Any, TextIO

from engine import format as f
from engine.shown_text import one_line

COLUMNS = ("layer", "type", "forward", "backward", "time", "share", "FLOPs", "bytes", "FLOP/s", "B/s", "FLOP/B",
           "bound")


def _ms(s: float | None) -> str:
    return f.MISSING if s is None else f"{s * 1e3:.3f} ms"


def rows(profile: Any) -> list[tuple[str, ...]]:
    """The table's cells: one row per layer, then one per part of the step no layer owns."""
    out = []
    for x in profile.layers:
        out.append((one_line(x.id, 40), x.type, _ms(x.forward_s), _ms(x.backward_s), _ms(x.time_s), f.pct(x.share),
                    f.count(x.flops), f.byte_size(x.bytes), f.si(x.achieved_flops_per_s, "FLOP/s"),
                    f.si(x.achieved_bytes_per_s, "B/s"), f.number(x.intensity_flop_per_byte), x.bound))
    step = profile.step_time_s or 1e-12
    o = profile.other
    for name, value in (("(loss)", o.loss_s), ("(optimizer)", o.optimizer_s), ("(data)", o.data_s),
                        ("(idle)", o.idle_s)):
        out.append((name, "", "", "", _ms(value), f.pct(value / step), "", "", "", "", "", ""))
    return out


def render_table(profile: Any) -> str:
    """A plain aligned table (numbers right-aligned): the same in a terminal and in a log."""
    cells = [COLUMNS, *rows(profile)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    left = {0, 1, 11}
    lines = []
    for k, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths,
                                                                                                     strict=True))).rstrip())
        if k == 0 or k == len(profile.layers):
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def sum_line(profile: Any) -> str:
    layers, other = profile.layer_time_s(), profile.other_time_s()
    total = layers + other
    text = f"sum: layers {_ms(layers)} + other {_ms(other)} = {_ms(total)} per profiled step"
    if profile.unprofiled_step_time_s:
        text += (f"; unprofiled step {_ms(profile.unprofiled_step_time_s)} (median): "
                 f"{f.ratio(total / profile.unprofiled_step_time_s)}")
    return text


def print_profile(profile: Any, notes: list[str], out: TextIO) -> None:
    peaks = profile.peaks
    roofs = (f"roofs: {f.si(peaks.flops_per_s, 'FLOP/s')} ({peaks.precision}), {f.si(peaks.bytes_per_s, 'B/s')}, "
             f"launch {f.seconds(peaks.launch_s)}; ridge {f.number(peaks.ridge_flop_per_byte)} FLOP/B")
    print(f"\nprofile of run {profile.run_id}: {one_line(profile.net, 80)} on {one_line(profile.device_name or profile.device, 80)}, "
          f"{profile.profiled_steps} profiled steps (a separate run under torch.profiler, "
          f"{f.ratio(profile.profiler_overhead)} the unprofiled step)", file=out)
    print(render_table(profile), file=out)
    print(sum_line(profile), file=out)
    print(roofs, file=out)
    print(f"verdict: {profile.verdict}: {profile.verdict_reason}", file=out)
    for note in [*profile.notes, *notes]:
        print(f"  {note}", file=out)
