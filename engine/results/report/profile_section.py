"""The report's Profile section: for each run in the report that has a stored profile, its verdict,
its per-layer table (engine.profile.table) and its roofline. Torch-free; the roofline needs matplotlib,
drawn only when an HTML or PDF report is written."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.format import ratio
from engine.profile.table import COLUMNS, rows, sum_line
from engine.results.report.charts import Chart
from engine.shown_text import one_line


@dataclass
class ProfileSection:
    run_id: str
    label: str
    heading: str
    verdict: str
    summary: str  # the sum against the unprofiled step, and the profiler's slow-down
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    notes: list[str] = field(default_factory=list)
    roofline: Chart | None = None


def profile_sections(results: Sequence[Any], labels: Mapping[str, str], profiles: Mapping[str, Any] | None,
                     charts: bool) -> list[ProfileSection]:
    """In the report's run order; `charts`: draw each roofline (HTML/PDF)."""
    out = []
    for r in results:
        p = (profiles or {}).get(r.run_id)
        if p is None:
            continue
        section = ProfileSection(
            run_id=r.run_id, label=labels.get(r.run_id, r.run_id),
            heading=one_line(f"{p.net} on {p.device_name or p.device}: {p.verdict}", 200),
            verdict=one_line(p.verdict_reason, 400),
            summary=(sum_line(p) + f"; the profile ran {p.profiled_steps} steps under torch.profiler, "
                     f"{ratio(p.profiler_overhead)} the unprofiled step"),
            columns=COLUMNS, rows=rows(p), notes=[one_line(n, 300) for n in p.notes])
        if charts:
            from engine.results.report.roofline import roofline_chart
            section.roofline = roofline_chart(p)
        out.append(section)
    return out
