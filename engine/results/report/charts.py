"""Report charts with matplotlib's object API (no pyplot: no global backend, safe in the GUI process).

Each chart renders to inline SVG (HTML) and PNG (PDF) from the same Figure, so both formats show
the same picture. A chart without data is not drawn; its caption says why.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from engine.format import number
from engine.results import compare, spread
from engine.results.report.safe import chart_text
from engine.results.result import RunResult

PALETTE = {"fp32": "#1f5fa8", "tf32": "#2a9d8f", "bf16": "#e07a1f", "fp16": "#c2398d", "int8": "#6b4fbb",
           "fp8": "#8c564b"}
OTHER = "#666666"
FRONT = "#d62828"
MAX_BARS = 40
MAX_LABELS = 14


@dataclass
class Chart:
    key: str
    title: str
    caption: str
    svg: str = ""  # inline <svg>, empty when there is no data
    png: bytes = b""
    width_in: float = 7.0
    height_in: float = 4.0


def _figure(w: float, h: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(w, h), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _render(fig, chart: Chart, png: bool = True) -> Chart:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    chart.svg = svg[svg.find("<svg"):]
    fig.set_layout_engine("none")  # the layout is settled; the PNG need not solve it again
    if png:
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=170)
        chart.png = out.getvalue()
    chart.width_in, chart.height_in = fig.get_size_inches()
    return chart


def _style(ax) -> None:
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=9)


def _declutter(fig, annotations) -> None:
    """Move point labels that would overlap an earlier one (or leave the axes) to a free offset."""
    renderer = fig.canvas.get_renderer()
    placed = []
    for ann in annotations:
        ax_box = ann.axes.get_window_extent(renderer)
        for dy in (4, -12, 14, -22, 24, -32, 34):
            ann.set_position((6, dy))
            box = ann.get_window_extent(renderer).expanded(1.02, 1.1)
            inside = box.x1 <= ax_box.x1 + 40 and box.y0 >= ax_box.y0 - 5 and box.y1 <= ax_box.y1 + 5
            if inside and not any(box.overlaps(b) for b in placed):
                break
        else:
            ann.set_position((6, 4))
        placed.append(ann.get_window_extent(renderer))


def _thousands():
    from matplotlib.ticker import FuncFormatter
    return FuncFormatter(lambda v, _pos: f"{v:,.0f}")


def throughput_bars(results: Sequence[RunResult], labels: dict[str, str], baseline_id: str | None) -> Chart:
    chart = Chart("throughput", "Throughput by configuration",
                  "Samples per second in the timed window; the ratio is to the baseline run.")
    runs = [r for r in results if r.status == "ok" and r.throughput_sps] + \
           [r for r in results if r.status != "ok"]
    if not any(r.throughput_sps for r in runs):
        chart.caption = "No run finished, so there is no throughput to show."
        return chart
    if len(runs) > MAX_BARS:
        runs = sorted(runs, key=lambda r: -(r.throughput_sps or 0))[:MAX_BARS]
        chart.caption += f" The {MAX_BARS} fastest runs are shown."
    base = next((r for r in results if r.run_id == baseline_id), None)
    fig = _figure(7.0, 0.8 + 0.3 * len(runs))
    ax = fig.add_subplot()
    ys = list(range(len(runs)))[::-1]
    top = max(r.throughput_sps or 0 for r in runs)
    bars = [(y, r) for y, r in zip(ys, runs, strict=True) if r.throughput_sps]
    ax.barh([y for y, _ in bars], [r.throughput_sps for _, r in bars], height=0.7,  # one call: fast to draw
            color=[PALETTE.get(r.config.precision, OTHER) for _, r in bars])
    for y, r in zip(ys, runs, strict=True):
        if r.throughput_sps:
            note = number(r.throughput_sps)
            if base and base.throughput_sps and r.run_id != base.run_id:
                note += f"  ({r.throughput_sps / base.throughput_sps:.2f}×)"
            elif base and r.run_id == base.run_id:
                note += "  (baseline)"
            ax.text(r.throughput_sps + top * 0.01, y, note, va="center", fontsize=8.5)
        else:
            ax.text(top * 0.01, y, chart_text(r.status.upper() + (f": {r.error}" if r.error else "")), va="center",
                    in_layout=False,  # a long error must not squeeze the bars away
                    fontsize=8.5, color=FRONT)
    ax.set_yticks(ys, [chart_text(labels[r.run_id]) for r in runs], fontsize=9)
    ax.set_xlim(0, top * 1.3)
    ax.set_xlabel("throughput (samples/s)", fontsize=10)
    ax.xaxis.set_major_formatter(_thousands())
    _style(ax)
    ax.grid(axis="y", visible=False)
    precisions = sorted({r.config.precision for r in runs if r.throughput_sps}, key=str)
    if len(precisions) > 1:
        from matplotlib.patches import Patch
        ax.legend(handles=[Patch(color=PALETTE.get(p, OTHER), label=chart_text(p)) for p in precisions], fontsize=8,
                  loc="lower right", frameon=False)
    return _render(fig, chart)


def pareto_chart(results: Sequence[RunResult], plot: compare.ParetoPlot, labels: dict[str, str]) -> Chart:
    points = compare.plot_points(results, plot)
    x_metric, _y = plot.axes(results)
    x_dir = "left" if plot.x.better == "lower" else "right"
    y_dir = "up" if plot.y.better == "higher" else "down"
    chart = Chart(plot.key, plot.title, f"Each dot is a run; Pareto-optimal runs (no other run is better on both "
                  f"axes) are ringed in red and joined. Better is {y_dir} and to the {x_dir}.")
    if len(points) < 1:
        missing = [m for m in (plot.x, plot.y) if not any(m.value(r) is not None for r in results if r.status == "ok")]
        why = "; ".join(f"{m.label}: {compare.missing_reason(results, m)}" for m in missing) or "no finished run"
        chart.caption = f"Not drawn: {why}."
        return chart
    front = compare.pareto_front(points, plot.x.better, plot.y.better)
    by_id = {r.run_id: r for r in results}
    plot = compare.ParetoPlot(plot.key, plot.title, x_metric, plot.y)  # the x drawn (GPU or host memory)
    fig = _figure(7.0, 4.2)
    ax = fig.add_subplot()
    uses_energy = "energy" in plot.x.key + plot.y.key
    estimated = {rid for rid in points if uses_energy and spread.energy_estimated(by_id[rid])}
    # one scatter per marker, front/not and measured/estimated: fast to draw
    groups: dict[tuple[str, bool, bool], list[str]] = {}
    for rid in points:
        gpu = by_id[rid].on_gpu
        groups.setdefault(("s" if gpu else "o", rid in front, rid in estimated), []).append(rid)
    for (marker, on_front, hollow), ids in groups.items():
        colours = [PALETTE.get(by_id[i].config.precision, OTHER) for i in ids]
        ax.scatter([points[i][0] * plot.x.scale for i in ids], [points[i][1] * plot.y.scale for i in ids], s=38,
                   marker=marker, zorder=3, alpha=0.9 if on_front or hollow else 0.55, linewidths=1.6,
                   facecolors="white" if hollow else colours, edgecolors=colours)
    with_bars = _error_bars(ax, [by_id[rid] for rid in points], points, plot)
    fpts = sorted((points[i][0] * plot.x.scale, points[i][1] * plot.y.scale) for i in front)
    if len(fpts) > 1:
        ax.plot([p[0] for p in fpts], [p[1] for p in fpts], color=FRONT, linewidth=1.2, zorder=2, alpha=0.8)
    ax.scatter([p[0] for p in fpts], [p[1] for p in fpts], s=110, facecolors="none", edgecolors=FRONT,
               linewidths=1.5, zorder=4)
    show = list(points) if len(points) <= MAX_LABELS else sorted(front)[:MAX_LABELS]
    show.sort(key=lambda rid: (rid not in front, -points[rid][1]))  # the front's labels get the best places
    annotations = [ax.annotate(chart_text(labels[rid]), (points[rid][0] * plot.x.scale, points[rid][1] * plot.y.scale),
                               textcoords="offset points", xytext=(6, 4), fontsize=8,
                               color="#222222" if rid in front else "#666666") for rid in show]
    for axis, vals in (("x", [p[0] for p in points.values()]), ("y", [p[1] for p in points.values()])):
        if compare.wants_log(vals):
            (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    ax.set_xlabel(f"{plot.x.label} ({plot.x.unit})", fontsize=10)
    ax.set_ylabel(f"{plot.y.label} ({plot.y.unit})", fontsize=10)
    ax.margins(0.18)
    _style(ax)
    _declutter(fig, annotations)
    precisions = sorted({by_id[i].config.precision for i in points}, key=str)
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], marker="o", linestyle="", color=PALETTE.get(p, OTHER), label=chart_text(p))
               for p in precisions] if len(precisions) > 1 else []
    if estimated:
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor=OTHER,
                              label="hollow = estimated energy"))
        chart.caption += (" Hollow dots: energy estimated (from the processor's rated power and its use, or "
                          "integrated power), not read from an energy counter.")
    if with_bars:
        chart.caption += " Bars: the 95 % interval over the run's measuring windows."
    if handles:
        ax.legend(handles=handles, fontsize=8, frameon=False, loc="best")
    if len(points) == 1:
        chart.caption = "Only one run has both values, so there is no trade-off to show yet."
    return _render(fig, chart)


def _error_bars(ax, runs: Sequence[RunResult], points: dict[str, tuple[float, float]],
                plot: compare.ParetoPlot) -> bool:
    """Draw each run's 95 % intervals (where it was measured in windows) as bars; True if any."""
    drawn = False
    for r in runs:
        x, y = points[r.run_id]
        ix, iy = spread.metric_interval(r, plot.x.key), spread.metric_interval(r, plot.y.key)
        if ix is None and iy is None:
            continue
        xerr = [[max(0.0, x - ix[0]) * plot.x.scale], [max(0.0, ix[1] - x) * plot.x.scale]] if ix else None
        yerr = [[max(0.0, y - iy[0]) * plot.y.scale], [max(0.0, iy[1] - y) * plot.y.scale]] if iy else None
        ax.errorbar([x * plot.x.scale], [y * plot.y.scale], xerr=xerr, yerr=yerr, fmt="none", ecolor="#475569",
                    elinewidth=0.9, capsize=2, zorder=2)
        drawn = True
    return drawn


def all_charts(results: Sequence[RunResult], labels: dict[str, str], baseline_id: str | None) -> list[Chart]:
    return [throughput_bars(results, labels, baseline_id)] + \
           [pareto_chart(results, p, labels) for p in compare.PARETO_PLOTS]
