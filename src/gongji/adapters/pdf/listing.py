"""A printable list (名单) on A4: a title, lines under it, a table that repeats its header on every
page, and a foot with the issuing office, the date and room for the seal (加盖公章). Used for the
monthly village posting (公示) and the full-subsidy roster (花名册) of the collection work."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gongji.adapters.pdf.fonts import cjk_font


@dataclass(frozen=True)
class Listing:
    title: str
    lines: Sequence[str]
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths_mm: Sequence[float]
    foot: Sequence[str] = field(default_factory=tuple)  # issuing office, date, seal
    subject: str = ""


def render_listing(doc: Listing) -> bytes:
    font = cjk_font()
    title = ParagraphStyle("t", fontName=font, fontSize=15, leading=20, alignment=TA_CENTER)
    body = ParagraphStyle("b", fontName=font, fontSize=10, leading=14, alignment=TA_LEFT)
    cell = ParagraphStyle("c", fontName=font, fontSize=9, leading=12, alignment=TA_CENTER)
    right = ParagraphStyle("r", fontName=font, fontSize=10, leading=16, alignment=TA_RIGHT)
    data = [[Paragraph(escape(h), cell) for h in doc.headers]]
    data += [[Paragraph(escape(str(v)), cell) for v in row] for row in doc.rows]
    if not doc.rows:
        data.append([Paragraph("（无）", cell)] + [""] * (len(doc.headers) - 1))
    table = Table(data, colWidths=[w * mm for w in doc.widths_mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story: list[Flowable] = [Paragraph(escape(doc.title), title), Spacer(1, 3 * mm)]
    story += [Paragraph(escape(line), body) for line in doc.lines]
    story += [Spacer(1, 3 * mm), table, Spacer(1, 8 * mm)]
    story += [Paragraph(escape(line), right) for line in doc.foot]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=doc.title,
        author="医疗保障经办机构",
        subject=doc.subject,
        creator="Gongji",
        invariant=1,
    ).build(story)
    return buffer.getvalue()
