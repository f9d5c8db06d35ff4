"""A collection report (周通报、月清理、季汇总, seed 002 §九4) as a printable A4 landscape PDF and
as an Excel workbook: title, issuing office and date, summary lines, and each section's table
(rows behind the target curve in red). The report is any object with ``title``, ``issuer``,
``issued_on``, ``summary`` and ``sections`` (``title``, ``columns``, ``rows``, ``red``)."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gongji.adapters.pdf.fonts import cjk_font

RED = colors.HexColor("#c0392b")


def _day(value: Any) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def render_pdf(report: Any) -> bytes:
    font = cjk_font()
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    red = ParagraphStyle("red", parent=cell, textColor=RED)
    head = ParagraphStyle("head", parent=cell, fontSize=9.5)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=TA_CENTER)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=18)
    right = ParagraphStyle("right", parent=cell, fontSize=10.5, leading=15, alignment=TA_RIGHT)
    buffer = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=report.title,
        author=report.issuer,
        creator="Gongji",
        invariant=1,
    )
    story: list[Flowable] = [Paragraph(escape(report.title), title), Spacer(1, 3 * mm)]
    for line in report.summary:
        story.append(Paragraph(escape(line), cell))
    width = page[0] - 28 * mm
    for section in report.sections:
        story += [Spacer(1, 4 * mm), Paragraph(escape(section.title), h2)]
        if not section.rows:
            story.append(Paragraph("无", cell))
            continue
        data = [[Paragraph(escape(str(c)), head) for c in section.columns]]
        for i, row in enumerate(section.rows):
            style = red if i < len(section.red) and section.red[i] else cell
            data.append([Paragraph(escape(str(v)), style) for v in row])
        table = Table(data, colWidths=[width / len(section.columns)] * len(section.columns), repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        story.append(table)
    story += [
        Spacer(1, 10 * mm),
        Paragraph(escape(report.issuer), right),
        Paragraph(escape(_day(report.issued_on)), right),
    ]
    doc.build(story)
    return buffer.getvalue()


def render_xlsx(report: Any) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = report.kind
    sheet.append([report.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"发文单位：{report.issuer}", f"日期：{report.issued_on.isoformat()}"])
    for line in report.summary:
        sheet.append([line])
    for section in report.sections:
        sheet.append([])
        sheet.append([section.title])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        sheet.append(list(section.columns))
        for i, row in enumerate(section.rows):
            sheet.append(list(row))
            if i < len(section.red) and section.red[i]:
                for cell in sheet[sheet.max_row]:
                    cell.font = Font(color="C0392B")
        if not section.rows:
            sheet.append(["无"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
