"""A profile as a table: one row per layer, then the parts of the step no layer owns, and the line
that sums them against the unprofiled step. Shared by `profile`'s output and the report. Torch-free."""
from __future__ import annotations

from typing import Any

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
    step = profile.shares_of_s() or 1e-12
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
    text = f"sum: layers {_ms(layers)} + other {_ms(other)} = {_ms(total)} per step"
    if profile.unprofiled_step_time_s:
        text += (f"; unprofiled step {_ms(profile.unprofiled_step_time_s)} (median): "
                 f"{f.ratio(total / profile.unprofiled_step_time_s)}")
    return text
