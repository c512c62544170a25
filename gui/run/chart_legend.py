"""A chart's title line with its legend: one entry per trace, coloured like the trace.

One device: the entries follow the title on its line when they fit there, else they go under it as below
(a CPU run's "Energy per sample" was clipped to "CPU ("). A job over several GPUs: the entries go under the
title in a grid of as many columns as the chart's width holds, so four or eight GPUs wrap onto more rows
instead of running off the chart's right edge; the legend stays above the plot and covers no data.
When a row cannot hold the full names ("GPU 3 · rank 3"), each GPU is named by its short label ("GPU 3").
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtGui import QFont, QFontMetricsF

TITLE_PT = 9.0
GAP_PX = 12.0  # between two columns
SLACK = 1.08  # the mark's glyph may come from a fallback font: measure a little wide


@dataclass(frozen=True)
class Entry:
    name: str  # the trace's full label
    short: str  # its label when space is tight (the same as name for most traces)
    color: str
    dashed: bool = False
    value: str | None = None  # the hover readout at the cursor's time


def _text(e: Entry, short: bool) -> str:
    label = e.short if short else e.name
    mark = "╌" if e.dashed else "━"
    return f"{mark} {label}" + (f" {e.value}" if e.value is not None else "")


def _span(e: Entry, short: bool) -> str:
    # non-breaking spaces: an entry never wraps inside itself
    text = html.escape(_text(e, short)).replace(" ", "&nbsp;")
    return f"<span style='color:{e.color}'>{text}</span>"


def grid_shape(entries: list[Entry], width_px: float, font: QFont) -> tuple[bool, int]:
    """(short labels?, columns) for the entries in a chart `width_px` wide: the full names when they all
    fit on one row, else the short names in as many columns as fit (at least one)."""
    f = QFont(font)
    f.setPointSizeF(TITLE_PT)
    metrics = QFontMetricsF(f)

    def columns(short: bool) -> int:
        cell = max(metrics.horizontalAdvance(_text(e, short)) for e in entries) * SLACK + GAP_PX
        return max(1, int((width_px + GAP_PX) // cell))

    full = columns(False)
    if full >= len(entries) or all(e.short == e.name for e in entries):
        return False, min(full, len(entries))
    return True, min(columns(True), len(entries))


def fits_inline(title: str, entries: list[Entry], width_px: float, font: QFont) -> bool:
    """Whether the title and its entries' names (without hover values) fit on one line `width_px` wide."""
    f = QFont(font)
    f.setPointSizeF(TITLE_PT)
    bold = QFont(f)
    bold.setWeight(QFont.Weight.DemiBold)
    sep = QFontMetricsF(f).horizontalAdvance("  ")
    names = sum(QFontMetricsF(f).horizontalAdvance(_text(Entry(e.name, e.short, e.color, e.dashed), False)) + sep
                for e in entries)
    return (QFontMetricsF(bold).horizontalAdvance(title) + names) * SLACK <= width_px


def title_html(title: str, entries: list[Entry], grid: bool, width_px: float, font: QFont) -> str:
    """The title with its legend. `grid`: entries in rows under the title (several GPUs); else inline."""
    head = f"<span style='font-weight:600;color:#222'>{html.escape(title)}</span>"
    if not grid:
        return "&nbsp;&nbsp;".join([head, *(_span(e, False) for e in entries)])
    short, cols = grid_shape(entries, width_px, font)
    rows = []
    for start in range(0, len(entries), cols):
        cells = "".join(f"<td style='padding-right:{GAP_PX:.0f}px'>{_span(e, short)}</td>"
                        for e in entries[start:start + cols])
        rows.append(f"<tr>{cells}</tr>")
    return f"{head}<table cellspacing='0' cellpadding='0'>{''.join(rows)}</table>"
