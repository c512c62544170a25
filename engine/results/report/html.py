"""The self-contained HTML report: one file, CSS inline, charts as inline SVG, no external resources."""
from __future__ import annotations

from pathlib import Path

from engine.paths import ASSETS
from engine.results.report.charts import Chart
from engine.results.report.model import ReportData

TEMPLATE_DIR = ASSETS / "report"


def render_html(data: ReportData, charts: list[Chart]) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=False, lstrip_blocks=False)
    return env.get_template("report.html.j2").render(r=data, charts=charts)


def write_html(data: ReportData, charts: list[Chart], path: str | Path) -> Path:
    path = Path(path)
    path.write_text(render_html(data, charts), encoding="utf-8")
    return path
