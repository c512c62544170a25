"""The roofline of a profile: one point per layer (arithmetic intensity, achieved FLOP/s), labelled
by its id and coloured by its bound, under the device's roofs (memory bandwidth x intensity, then
the matrix-multiply peak). matplotlib's object API, log-log; torch-free.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.results.report.charts import Chart, _declutter, _figure, _render, _style
from engine.results.report.safe import chart_text

BOUND_COLOURS = {"compute": "#1f5fa8", "memory": "#e07a1f", "launch": "#c2398d"}
MAX_LABELS = 40


def roofline_chart(profile: Any, png: bool = True) -> Chart:
    """The chart for the report (SVG and PNG); empty when no layer has both figures."""
    chart = Chart("roofline", f"Roofline: {chart_text(profile.net)} on {chart_text(profile.device_name or profile.device)}",
                  "Each point is a layer: its FLOPs per byte moved against the FLOP/s it reached. The sloped roof "
                  "is the measured memory bandwidth, the flat one the matrix-multiply peak at the run's precision; "
                  "a point far below both is held back by something else (launch overhead, small work).")
    points = [x for x in profile.layers if x.intensity_flop_per_byte and x.achieved_flops_per_s]
    if not points:
        chart.caption = "No layer has both a FLOP count and a measured time: nothing to place on a roofline."
        return chart
    return _render(draw(profile, points), chart, png)


def draw(profile: Any, points: list[Any] | None = None) -> Any:
    points = points if points is not None else [x for x in profile.layers
                                                if x.intensity_flop_per_byte and x.achieved_flops_per_s]
    fig = _figure(7.0, 4.6)
    ax = fig.add_subplot()
    xs = [x.intensity_flop_per_byte for x in points]
    peaks = profile.peaks
    lo_x, hi_x = min(xs) / 4, max(xs) * 4
    if peaks.ridge_flop_per_byte:
        lo_x, hi_x = min(lo_x, peaks.ridge_flop_per_byte / 8), max(hi_x, peaks.ridge_flop_per_byte * 8)
    if peaks.bytes_per_s and peaks.flops_per_s:
        ridge = peaks.ridge_flop_per_byte
        ax.plot([lo_x, ridge, hi_x], [peaks.bytes_per_s * lo_x, peaks.flops_per_s, peaks.flops_per_s],
                color="#333333", linewidth=1.4, label="roofs (measured)")
        ax.axvline(ridge, color="#999999", linewidth=0.8, linestyle=":")
    for bound, colour in BOUND_COLOURS.items():
        sel = [x for x in points if x.bound == bound]
        if sel:
            ax.scatter([x.intensity_flop_per_byte for x in sel], [x.achieved_flops_per_s for x in sel], s=28,
                       color=colour, label=f"{bound}-bound", zorder=3)
    labels = [ax.annotate(chart_text(x.id), (x.intensity_flop_per_byte, x.achieved_flops_per_s), fontsize=7,
                          xytext=(6, 4), textcoords="offset points")
              for x in sorted(points, key=lambda p: -p.time_s)[:MAX_LABELS]]  # the largest layers named first
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo_x, hi_x)
    ax.set_xlabel("arithmetic intensity (FLOP per byte)")
    ax.set_ylabel("achieved FLOP/s")
    _style(ax)
    ax.legend(fontsize=8, loc="lower right")
    fig.canvas.draw()  # the layout settled, so labels can be moved off each other
    _declutter(fig, labels)
    return fig


def write_roofline_png(profile: Any, path: str | Path) -> Path:
    """The roofline alone as a PNG file (the benchmark and the docs use it)."""
    path = Path(path)
    draw(profile).savefig(path, format="png", dpi=150)
    return path
