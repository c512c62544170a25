"""The explain report: the app's comparison report (engine.results.report) of the explain's runs,
led by the waterfall chart and one finding per lever. matplotlib loads only when a file is written."""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.profile.advisor import TAGS
from engine.profile.explain import COMBINED
from engine.profile.explain_text import waterfall_cells
from engine.profile.waterfall import Step
from engine.results.findings import Finding

TAG_COLOURS = {"constant-factor": "#1f5fa8", "algorithmic": "#2a9d8f", "library": "#e07a1f", "hardware": "#c2398d"}
COMBINED_COLOUR = "#475569"


def tag_colour(tag: str) -> str:
    return TAG_COLOURS.get(tag, COMBINED_COLOUR)


def short_label(step: Step) -> str:
    return "all that helped, together" if step.key == COMBINED else step.label


def waterfall_chart(steps: Sequence[Step]) -> Any:
    """Each lever's throughput against the baseline (1×): a bar from 1× to its ratio, log scale,
    coloured by the kind of speed-up, its 95 % interval as a whisker."""
    from engine.results.report.charts import Chart, _figure, _render, _style
    from engine.results.report.safe import chart_text
    chart = Chart("waterfall", "Each lever against the baseline (throughput)",
                  "Each bar is one lever applied alone to the baseline (the last: every lever that helped, "
                  "together); 1× is the baseline; whiskers: 95 % interval. Colour: the kind of speed-up — "
                  + "; ".join(f"{k}: {v}" for k, v in TAGS.items()) + ".")
    shown = [s for s in steps if s.throughput is not None]
    if not shown:
        chart.caption = "No lever finished, so there is nothing to compare with the baseline."
        return chart
    fig = _figure(7.0, 1.3 + 0.42 * len(shown))
    ax = fig.add_subplot()
    ys = list(range(len(shown)))[::-1]
    for y, s in zip(ys, shown, strict=True):
        r = s.throughput
        ax.barh(y, r.value - 1.0, left=1.0, height=0.6, color=tag_colour(s.tag))
        if r.low != r.high:
            ax.errorbar([r.value], [y], xerr=[[r.value - r.low], [r.high - r.value]], fmt="none", ecolor="#222222",
                        elinewidth=0.9, capsize=3)
        ax.text(max(r.value, r.high, 1.0) * 1.03, y, f"{r.value:.2f}×", va="center", fontsize=8.5)
    ax.axvline(1.0, color="#222222", linewidth=1.0)
    lo = min(min(s.throughput.low for s in shown), 1.0)
    hi = max(max(s.throughput.high for s in shown), 1.0)
    ax.set_xscale("log")
    ax.set_xlim(lo / 1.25, hi * 1.45)
    ax.set_yticks(ys, [chart_text(short_label(s)) for s in shown], fontsize=9)
    ax.set_xlabel("throughput against the baseline (×, log scale)", fontsize=10)
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, LogLocator
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}×" if v > 0 and not math.isinf(v) else ""))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda _v, _p: ""))
    _style(ax)
    ax.grid(axis="y", visible=False)
    tags = list(dict.fromkeys(s.tag for s in shown))
    ax.legend(handles=[Patch(color=tag_colour(t), label=chart_text(t)) for t in tags], fontsize=8, frameon=False,
              loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=min(4, len(tags)))
    return _render(fig, chart)


def lever_findings(result: Any) -> list[Finding]:
    """One finding per lever: its row of the waterfall in words; then the levers not tried."""
    out = []
    for s in result.steps:
        c = waterfall_cells(s)
        if s.status == "ok":
            text = (f"{s.label} ({s.tag}): throughput {c[2]}, energy per sample {c[3]}, peak memory {c[4]}, "
                    f"accuracy {c[5]} against the baseline — {s.why}.")
        else:
            text = f"{s.label} ({s.tag}): no figures ({c[6]})."
        numbers = {"throughput_ratio": s.throughput.value} if s.throughput else {}
        out.append(Finding("lever", text, s.run_ids, numbers))
    for s in result.skipped:
        out.append(Finding("skipped", f"{s.key} was not tried: {s.why}."))
    return out


def explain_runs(result: Any) -> list[Any]:
    """The explain's runs, from its sweep folder's result files (oldest first)."""
    from engine.errors import BadResultFile
    from engine.results.store import read_result_file
    from engine.sweep.grid import load_state
    folder = Path(result.folder)
    runs = []
    for e in load_state(folder).entries:
        path = folder / "runs" / f"{e.index:03d}.json"
        if e.run_id and path.is_file():
            try:
                runs.append(read_result_file(path))
            except BadResultFile:
                continue
    return runs


def write_explain_report(result: Any, *, html: str | None = None, pdf: str | None = None) -> list[Path]:
    from engine.results.report import make_report
    runs = explain_runs(result)
    if not runs:
        return []
    baseline = result.baseline["run_ids"][0] if result.baseline["run_ids"] else None
    title = f"Explain: {Path(result.network).stem} on {result.device}, {result.bound_words}"
    return make_report(runs, html=html, pdf=pdf, baseline_id=baseline, title=title,
                       lead_findings=lever_findings(result), lead_charts=[waterfall_chart(result.steps)])
