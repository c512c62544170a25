"""Comparison reports built only from stored results: HTML, PDF, CSV and JSON.

    make_report(results, html="r.html", pdf="r.pdf", csv="r.csv", json="r.json", baseline_id=None)

Torch-free; matplotlib, jinja2 and reportlab are imported only when a file that needs them is written.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.results.findings import Finding
from engine.results.report.model import ReportData, build
from engine.results.report.safe import finite
from engine.results.result import RunResult

if TYPE_CHECKING:
    from engine.results.report.charts import Chart

__all__ = ["ReportData", "build", "make_report"]


def make_report(results: Sequence[RunResult], *, html: str | Path | None = None, pdf: str | Path | None = None,
                csv: str | Path | None = None, json: str | Path | None = None, baseline_id: str | None = None,
                skipped: Sequence[tuple[dict, str]] = (), title: str | None = None,
                profiles: Mapping[str, Any] | None = None, lead_findings: Sequence[Finding] = (),
                lead_charts: Sequence[Chart] = ()) -> list[Path]:
    """Write the requested report files; returns their paths. `profiles`: run id -> its stored
    ProfileResult, for the Profile section; `lead_findings` and `lead_charts` come first (an explain's
    waterfall, say). Raises ValueError without runs, OSError when a file cannot be written."""
    results = [finite(r) for r in results]  # 10**400 or NaN from an imported file: "not available"
    data = build(results, baseline_id, skipped, title)
    data.findings = [*lead_findings, *data.findings]
    if profiles:
        from engine.results.lever_rank import conv_layer_findings
        from engine.results.report.profile_section import profile_sections
        data.profiles = profile_sections(results, data.labels, profiles, charts=bool(html or pdf))
        per_layer = conv_layer_findings([r for r in results if r.status == "ok"], profiles)
        at = next((i for i, f in enumerate(data.findings) if f.kind in ("batch", "memory", "accuracy", "oom",
                                                                          "skipped", "failed")), len(data.findings))
        data.findings[at:at] = per_layer  # beside the other convolution findings
    written: list[Path] = []
    if html or pdf:
        from engine.results.report.charts import all_charts
        charts = [*lead_charts, *all_charts(data.results, data.labels, data.baseline_id)]
        if html:
            from engine.results.report.html import write_html
            written.append(write_html(data, charts, html))
        if pdf:
            from engine.results.report.pdf import write_pdf
            written.append(write_pdf(data, charts, pdf))
    if csv:
        from engine.results.report.tabular import write_csv
        written.append(write_csv(results, csv))
    if json:
        from engine.results.report.tabular import write_json
        extra = {"baseline_run_id": data.baseline_id, "findings": [f.text for f in data.findings],
                 "skipped": [{"config": c, "reason": why} for c, why in skipped],
                 "place": asdict(data.place) if data.place else None}
        shown = {r.run_id for r in results}
        if any(rid in shown for rid in profiles or {}):
            extra["profiles"] = {rid: p.model_dump(mode="json") for rid, p in (profiles or {}).items() if rid in shown}
        written.append(write_json(results, json, extra))
    return written
