"""What a profile puts on each node of the canvas: a fill from a sequential colour scale by share of
the step time (pale yellow for a small share, dark red for the largest), and a badge line with the
time per step, the share and the bound. Computed once per profile; the node items only paint them.
Qt-light (QColor only) so it is quick to test."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QColor

import engine.format as fmt
from gui import plain_text

if TYPE_CHECKING:  # the editor paints marks; it need not load the profile model to start
    from engine.profile import ProfileResult

# ColorBrewer YlOrRd (9 classes): sequential, ordered in lightness, readable by colour-blind people.
SCALE = ("#FFFFCC", "#FFEDA0", "#FED976", "#FEB24C", "#FD8D3C", "#FC4E2A", "#E31A1C", "#BD0026", "#800026")
# The bound of a layer: the same three colours on the badges' words and the roofline's points.
BOUND_COLORS = {"compute": "#2563EB", "memory": "#EA580C", "launch": "#7C3AED"}
BOUND_WORDS = {"compute": "compute-bound", "memory": "memory-bound", "launch": "launch/overhead-bound"}


def scale_color(t: float) -> QColor:
    """The scale at t in [0, 1] (clamped), interpolated between its classes."""
    t = min(1.0, max(0.0, t)) * (len(SCALE) - 1)
    i = min(int(t), len(SCALE) - 2)
    a, b, f = QColor(SCALE[i]), QColor(SCALE[i + 1]), t - i
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * f, a.greenF() + (b.greenF() - a.greenF()) * f,
                           a.blueF() + (b.blueF() - a.blueF()) * f)


def text_on(color: QColor) -> QColor:
    """Dark text on the pale end of the scale, white on the dark end."""
    return QColor("#0F172A") if color.lightnessF() > 0.55 else QColor("#FFFFFF")


@dataclass(frozen=True)
class ProfileMark:
    """One node's share of the step, as the canvas shows it."""
    layer_id: str
    time_s: float
    share: float
    bound: str
    fill: str  # the scale's colour, #RRGGBB
    badge: str  # "1.23 ms · 34.0 % · memory"
    tooltip: str  # HTML lines (escaped) appended to the node's tooltip

    @property
    def color(self) -> QColor:
        return QColor(self.fill)


def scale_top(profile: ProfileResult) -> float:
    """The share the darkest colour stands for: the largest layer's (the legend says so)."""
    return max((layer.share for layer in profile.layers), default=0.0) or 1.0


def marks_for(profile: ProfileResult) -> dict[str, ProfileMark]:
    """One mark per profiled layer, keyed by the spec's layer id."""
    top = scale_top(profile)
    marks = {}
    for layer in profile.layers:
        color = scale_color(layer.share / top)
        rate = (f"achieved {fmt.si(layer.achieved_flops_per_s, 'FLOP/s')}, "
                f"{fmt.si(layer.achieved_bytes_per_s, 'B/s')}; "
                f"intensity {fmt.number(layer.intensity_flop_per_byte)} FLOP/byte")
        split = (f"forward {fmt.seconds(layer.forward_s)}, backward {fmt.seconds(layer.backward_s)}"
                 if layer.backward_s else f"forward {fmt.seconds(layer.forward_s)}")
        tip = (f"<b>Profile:</b> {fmt.seconds(layer.time_s)} per step ({fmt.pct(layer.share)} of the step), "
               f"{plain_text.escape(BOUND_WORDS.get(layer.bound, layer.bound))}<br>{split}<br>{rate}")
        marks[layer.id] = ProfileMark(layer_id=layer.id, time_s=layer.time_s, share=layer.share, bound=layer.bound,
                                      fill=color.name(), tooltip=tip,
                                      badge=f"{fmt.seconds(layer.time_s)} · {fmt.pct(layer.share)} · {layer.bound}")
    return marks
