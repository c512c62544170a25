"""The PDF report (reportlab platypus): the same sections as the HTML, on landscape A4 pages.

Text uses DejaVu Sans from matplotlib's own font folder, so ×, –, η and ⚠ print as in the HTML
(reportlab's built-in Helvetica has no glyphs for some of them).
"""
from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from engine.results.report.charts import Chart
from engine.results.report.model import ReportData

INK, MUTED, GOOD, BAD = "#1d2330", "#5f6b7a", "#1b7f3b", "#b3261e"


def _fonts() -> tuple[str, str]:
    from matplotlib import get_data_path
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    folder = Path(get_data_path()) / "fonts" / "ttf"
    try:
        if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVu", str(folder / "DejaVuSans.ttf")))
            pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(folder / "DejaVuSans-Bold.ttf")))
            from reportlab.lib.fonts import addMapping
            addMapping("DejaVu", 0, 0, "DejaVu")
            addMapping("DejaVu", 1, 0, "DejaVu-Bold")
        return "DejaVu", "DejaVu-Bold"
    except (OSError, TypeError):  # font files missing: fall back to the built-ins
        return "Helvetica", "Helvetica-Bold"


def _styles(font: str, bold: str):
    from reportlab.lib.styles import ParagraphStyle
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12.5, textColor=INK)
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=18, leading=22, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=13, leading=16, spaceBefore=12, spaceAfter=6),
        "h3": ParagraphStyle("h3", parent=base, fontName=bold, fontSize=10.5, leading=13, spaceBefore=6, spaceAfter=3),
        "meta": ParagraphStyle("meta", parent=base, textColor=MUTED, fontSize=8.5),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.5),
        "cellr": ParagraphStyle("cellr", parent=base, fontSize=7.5, leading=9.5, alignment=2),
        "head": ParagraphStyle("head", parent=base, fontName=bold, fontSize=7.5, leading=9.5, alignment=2),
        "headl": ParagraphStyle("headl", parent=base, fontName=bold, fontSize=7.5, leading=9.5),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=12, bulletIndent=2, spaceAfter=2),
        "rec": ParagraphStyle("rec", parent=base, backColor="#f3f7fc", borderPadding=(4, 6, 4, 6),
                              leftIndent=6, spaceBefore=3, spaceAfter=6),
    }


def _table_style(extra=()):
    from reportlab.lib import colors
    from reportlab.platypus import TableStyle
    return TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f2f5")),
                       ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#dfe3e8")),
                       ("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                       ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3), *extra])


def _comparison(data: ReportData, st, width: float):
    from reportlab.lib import colors
    from reportlab.platypus import LongTable, Paragraph
    head = [Paragraph("Configuration", st["headl"]), Paragraph("Status", st["headl"])] + [
        Paragraph(f"{escape(lbl)}<br/><font color='{MUTED}' size='6.5'>{escape(unit)}</font>", st["head"])
        for lbl, unit in data.columns]
    rows, extra = [head], []
    for i, row in enumerate(data.rows, start=1):
        label = escape(row.label) + (" <i>(baseline)</i>" if row.is_baseline else "")
        label += f"<br/><font color='{MUTED}' size='6.5'>{escape(row.run_id)}</font>"
        if row.quality:  # the warnings themselves are listed under Quality; the table stays compact
            n = len(row.quality)
            label += f"<br/><font color='#8a5a00' size='6.5'>⚠ {n} quality warning{'s' if n > 1 else ''}</font>"
        color = GOOD if row.status == "ok" else BAD
        status = f"<font color='{color}'>{row.status}</font>"
        if row.busy:
            status += "<br/><font color='#8a5a00' size='6.5'>⚠ machine busy</font>"
        cells = [Paragraph(label, st["cell"]), Paragraph(status, st["cell"])]
        for c in row.cells:
            tone = {"better": GOOD, "worse": BAD}.get(c.tone, MUTED)
            txt = escape(c.text) + (f"<br/><font color='{tone}' size='6.5'>{escape(c.ratio)}</font>" if c.ratio else "")
            cells.append(Paragraph(txt, st["cellr"]))
        rows.append(cells)
        if row.is_baseline:
            extra.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#fbf8e8")))
    n = len(data.columns)
    first = min(width * 0.26, 190)
    rest = (width - first - 44) / max(1, n)
    return LongTable(rows, colWidths=[first, 44] + [rest] * n, repeatRows=1, style=_table_style(extra))


def _h(text: str, style, room_cm: float = 4.0) -> list:
    """A heading that starts a new page when less than room_cm is left (never alone at a page's foot)."""
    from reportlab.lib.units import cm
    from reportlab.platypus import CondPageBreak, Paragraph
    return [CondPageBreak(room_cm * cm), Paragraph(escape(text), style)]


def _chart(chart: Chart, st, width: float, max_h: float) -> list:
    from reportlab.platypus import Image, Paragraph
    parts = [Paragraph(escape(chart.title), st["h3"])]
    if chart.png:
        w, h = chart.width_in * 72, chart.height_in * 72
        scale = min(width / w, max_h / h, 1.25)
        parts.append(Image(io.BytesIO(chart.png), width=w * scale, height=h * scale))
    parts.append(Paragraph(escape(chart.caption), st["meta"]))
    return parts


def _charts(charts: list[Chart], st, width: float, height: float) -> list:
    """Charts two to a row (each row kept on one page), so four charts fill about two pages."""
    from reportlab.platypus import KeepTogether, Table, TableStyle
    col = (width - 16) / 2
    out = []
    for i in range(0, len(charts), 2):
        pair = charts[i:i + 2]
        cells = [_chart(c, st, col, height * 0.8) for c in pair] + [[]] * (2 - len(pair))
        out.append(KeepTogether(Table([cells], colWidths=[col + 8, col + 8], style=TableStyle(
            [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 10)]))))
    return out


def _network(data: ReportData, st, width: float) -> list:
    """The section: per network a heading and its layer table, kept on one page when it fits one
    (the section heading travels with the first table, never alone at a page's foot)."""
    from reportlab.platypus import KeepTogether, LongTable, Paragraph
    out = []
    for i, n in enumerate(data.networks):
        part = [Paragraph("Network", st["h2"])] if i == 0 else []
        part += [Paragraph(escape(f"{n.name} — {n.params:,} parameters, {n.flops_per_sample:,} FLOPs per sample "
                                 "(forward)"), st["h3"])]
        if n.note:
            part.append(Paragraph(escape(n.note), st["meta"]))
        if n.layers:
            head = [Paragraph(h, st["headl"]) for h in ("Layer", "Type", "Parameters")] + \
                   [Paragraph(h, st["head"]) for h in ("Output shape", "Weights", "FLOPs")]
            rows = [head] + [[Paragraph(escape(v), st["cell"]) for v in (lr.id, lr.type, lr.params)] +
                             [Paragraph(escape(v), st["cellr"]) for v in (lr.output_shape, lr.n_params, lr.flops)]
                             for lr in n.layers]
            w = [width * f for f in (0.14, 0.13, 0.39, 0.12, 0.1, 0.12)]
            part.append(LongTable(rows, colWidths=w, repeatRows=1, style=_table_style()))
        if len(n.layers) <= 30:
            out.append(KeepTogether(part))
        else:
            out += part
    return out


def _place(data: ReportData, st, width: float) -> list:
    """The Place section: the fastest target per place, the targets that cannot run it, the assumptions."""
    from reportlab.platypus import Paragraph, Spacer, Table
    section = data.place
    if section is None:
        return []
    out = [*_h("Place (projected, not measured)", st["h2"], 5), Paragraph(escape(section.source_note), st["meta"]),
           Spacer(1, 3)]
    if section.rows:
        head = ["Place", "Fastest target that runs it", "Precision", "Samples/s", "Energy/sample", "$ per million",
                "gCO₂ per million"]
        body = [[Paragraph(escape(c), st["cell"]) for c in (p.place, p.target, p.precision, p.throughput,
                                                           p.energy_per_sample, p.usd_per_million, p.gco2_per_million)]
                for p in section.rows]
        widths = [0.1, 0.3, 0.08, 0.13, 0.13, 0.13, 0.13]
        out.append(Table([[Paragraph(h, st["headl"]) for h in head], *body], colWidths=[w * width for w in widths],
                         style=_table_style(), repeatRows=1))
    if section.cannot_run:
        names = "; ".join(f"{name} ({why})" for name, why in section.cannot_run)
        out.append(Paragraph(escape(f"Cannot run it: {names}."), st["meta"]))
    out += [Paragraph(escape(a), st["bullet"], bulletText="•") for a in section.assumptions]
    return out


def _profiles(data: ReportData, st, width: float, height: float) -> list:
    """The Profile section: per profiled run its verdict, its layer table and its roofline."""
    from reportlab.platypus import LongTable, Paragraph
    if not data.profiles:
        return []
    out = _h("Profile (a separate run under torch.profiler)", st["h2"], 5)
    for p in data.profiles:
        out += _h(f"{p.label}: {p.heading}", st["h3"], 4)
        out += [Paragraph(escape(f"{p.run_id}: {p.verdict}"), st["base"]), Paragraph(escape(p.summary), st["meta"])]
        head = [Paragraph(escape(c), st["headl"]) for c in p.columns]
        body = [[Paragraph(escape(c), st["cell"]) for c in row] for row in p.rows]
        out.append(LongTable([head, *body], colWidths=[width / len(p.columns)] * len(p.columns), repeatRows=1,
                             style=_table_style()))
        out += [Paragraph(escape(n), st["bullet"], bulletText="•") for n in p.notes]
        if p.roofline is not None and p.roofline.png:
            out += _chart(p.roofline, st, width * 0.7, height * 0.6)
    return out


def write_pdf(data: ReportData, charts: list[Chart], path: str | Path) -> Path:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    path = Path(path)
    font, bold = _fonts()
    st = _styles(font, bold)
    page_w, page_h = landscape(A4)
    margin = 1.5 * cm
    width, height = page_w - 2 * margin - 12, page_h - 2 * margin - 12  # frames pad 6 pt each side

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(margin, 0.8 * cm, f"{data.title} · generated {data.generated_at}")
        canvas.drawRightString(page_w - margin, 0.8 * cm, f"page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), leftMargin=margin, rightMargin=margin,
                            topMargin=margin, bottomMargin=margin, title=data.title, author="Tradeoff Lab")
    story = [Paragraph(escape(data.title), st["title"]),
             Paragraph(f"Generated {data.generated_at} from {data.n_runs} stored runs. Baseline for ratios: "
                       f"<b>{escape(data.baseline_label)}</b>.", st["meta"]),
             Spacer(1, 4), Paragraph(escape(data.summary), st["base"]), *_h("Findings", st["h2"])]
    if data.findings:
        story += [Paragraph(escape(f.text), st["bullet"], bulletText="•") for f in data.findings]
    else:
        story.append(Paragraph("No findings: the runs do not differ in a way that can be compared yet.", st["base"]))
    if data.recommendations:
        story += _h("Recommendations", st["h3"], 3)
        story += [Paragraph(escape(rec.text), st["rec"]) for rec in data.recommendations]
    story += [*_h("Comparison", st["h2"], 5),
              Paragraph("Ratios (small figures) are each run's value divided by the baseline's; green is better, "
                        "red worse.", st["meta"]), Spacer(1, 3), _comparison(data, st, width),
              *_h("Charts", st["h2"], 11)]
    story += _charts([c for c in charts if c.png], st, width, height)
    story += [Paragraph(f"<b>{escape(c.title)}</b> — {escape(c.caption)}", st["bullet"], bulletText="•")
              for c in charts if not c.png]
    story += _place(data, st, width)
    story += _profiles(data, st, width, height)
    story += _h("Quality", st["h2"], 2.5)
    if data.quality:
        story += [Paragraph(f"<b>{escape(lbl)}</b>: {escape(q)}", st["bullet"], bulletText="•") for lbl, q in data.quality]
    else:
        story.append(Paragraph("No run carries a quality warning.", st["base"]))
    if data.unavailable:
        story += _h("Not measured", st["h3"], 2)
        story += [Paragraph(f"<b>{escape(m)}</b>: {escape(why)}", st["bullet"], bulletText="•")
                  for m, why in data.unavailable]
    story += [*_network(data, st, width), *_h("Environment", st["h2"])]
    story += [Paragraph(f"<font color='{MUTED}'>{escape(k)}:</font> {escape(v)}", st["base"]) for k, v in data.environment]
    story += _h("Method", st["h2"])
    story += [Paragraph(escape(m), st["bullet"], bulletText="•") for m in data.method]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return path
