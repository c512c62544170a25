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
    """The measured part of the step (layers, loss, optimizer, data) against the unprofiled step. The idle
    time is that step's remainder, so the full sum equals it by construction: the line says so, and the
    figure that can go wrong is the measured part, which must not exceed the step."""
    layers, other = profile.layer_time_s(), profile.other_time_s()
    idle = profile.other.idle_s
    measured = layers + other - idle
    text = f"sum: layers {_ms(layers)} + loss, optimizer, data {_ms(other - idle)} = measured {_ms(measured)}"
    step = profile.unprofiled_step_time_s
    if not step:
        return text + f" + idle {_ms(idle)} per step"
    gaps = "gaps between kernels" if str(profile.device).startswith("cuda") else "host time between operators"
    text += (f" per step, {f.pct(measured / step)} of the unprofiled step {_ms(step)} (median); idle {_ms(idle)} "
             f"is the rest of that step ({gaps})")
    if measured > step:
        text += f"; the measured part exceeds the unprofiled step {f.ratio(measured / step)}"
    return text
