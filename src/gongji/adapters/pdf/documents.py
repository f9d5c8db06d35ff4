"""参保证明 and 个人账户对账单 as A4 PDFs (issue 17), with the issuing office's seal drawn as vectors.

The first page ends in a fixed block (``QR_BOX``): the QR code of the verification URL, the code
and how to check it, and on the right the office's round seal (红色圆形公章: ring, star, the office's
name along the top arc, 业务专用章 below) over the issuer and the date. The facts flow above it;
a long statement continues on further pages. Nothing is fetched: the seal is drawn, the font is
the machine's CJK TrueType (``fonts.cjk_font``). The same input gives the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Circle, Drawing, Group, Polygon, String, mmult, rotate, translate
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle

from gongji.adapters.pdf.certificate import QR_BORDER, QR_LEVEL, _fitting_size, _wrap
from gongji.adapters.pdf.fonts import cjk_font
from gongji.domain.certificates import ACCOUNT_STATEMENT, DOCUMENT_TITLES, INSURANCE_PROOF, DocumentFacts
from gongji.domain.clock import SHANGHAI
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.money import yuan

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
QR_BOX = (MARGIN, 30 * mm, 36 * mm)
"""The QR code on page 1: (x, y, size) in points from the bottom-left corner, quiet zone included."""
SEAL_RED = colors.HexColor("#d0021b")
SEAL_SIZE = 40 * mm
VERIFY_NOTE = "可扫描二维码或登录网站核验本证明真伪。"
PRIVACY_NOTE = "为保护个人信息，姓名和证件号码已作部分隐藏。"
_FOOT_TOP = 78 * mm  # the first page's facts stop above this line


def seal_drawing(issuer: str, size: float = SEAL_SIZE) -> Drawing:
    """The office's round seal: a red ring, a five-pointed star, ``issuer`` along the upper arc
    and 业务专用章 under the star."""
    font = cjk_font()
    d = Drawing(size, size)
    c = size / 2
    d.add(Circle(c, c, c - 1.5, strokeColor=SEAL_RED, strokeWidth=2.4, fillColor=None))
    outer, inner = size * 0.13, size * 0.05
    points: list[float] = []
    for i in range(10):
        r = outer if i % 2 == 0 else inner
        a = math.radians(90 + 36 * i)
        points += [c + r * math.cos(a), c + r * math.sin(a)]
    d.add(Polygon(points, fillColor=SEAL_RED, strokeColor=SEAL_RED, strokeWidth=0.1))
    chars = list(issuer)
    span = min(250.0, 22.0 * max(len(chars) - 1, 1))
    font_size = size * 0.12
    radius = c - 3 - font_size * 0.95
    for i, ch in enumerate(chars):
        angle = 90 + span / 2 - (span * i / (len(chars) - 1) if len(chars) > 1 else span / 2)
        x = c + radius * math.cos(math.radians(angle))
        y = c + radius * math.sin(math.radians(angle))
        glyph = String(0, 0, ch, fontName=font, fontSize=font_size, fillColor=SEAL_RED, textAnchor="middle")
        d.add(Group(glyph, transform=mmult(translate(x, y), rotate(angle - 90))))
    d.add(
        String(
            c,
            c - size * 0.3,
            "业务专用章",
            fontName=font,
            fontSize=size * 0.09,
            fillColor=SEAL_RED,
            textAnchor="middle",
        )
    )
    return d


def _styles() -> dict[str, ParagraphStyle]:
    font = cjk_font()
    return {
        "title": ParagraphStyle("t", fontName=font, fontSize=18, leading=24, alignment=TA_CENTER),
        "body": ParagraphStyle("b", fontName=font, fontSize=10.5, leading=16, alignment=TA_LEFT),
        "cell": ParagraphStyle("c", fontName=font, fontSize=9, leading=12, alignment=TA_LEFT),
        "small": ParagraphStyle("s", fontName=font, fontSize=8.5, leading=12, alignment=TA_LEFT),
    }


def _table(rows: Sequence[Sequence[str]], widths_mm: Sequence[float], style: ParagraphStyle, header: bool) -> Table:
    data = [[Paragraph(escape(str(v)), style) for v in row] for row in rows]
    table = Table(data, colWidths=[w * mm for w in widths_mm], repeatRows=1 if header else 0)
    commands: list[tuple[object, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    commands.append(("BACKGROUND", (0, 0), (-1, 0) if header else (0, -1), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(commands))
    return table


def _foot(c: Canvas, facts: DocumentFacts, code: str, url: str) -> None:
    """Page 1's fixed block: QR code, code, address, notes; the seal over the issuer and date."""
    font = cjk_font()
    qr_x, qr_y, qr_size = QR_BOX
    widget = QrCodeWidget(url, barLevel=QR_LEVEL, barBorder=QR_BORDER, barWidth=qr_size, barHeight=qr_size)
    drawing = Drawing(qr_size, qr_size)
    drawing.add(widget)
    renderPDF.draw(drawing, c, qr_x, qr_y)
    text_x = qr_x + qr_size + 4 * mm
    text_width = PAGE_WIDTH - MARGIN - SEAL_SIZE - 6 * mm - text_x
    y = qr_y + qr_size - 5 * mm
    c.setFillColor(colors.black)
    c.setFont(font, 11)
    c.drawString(text_x, y, f"验证码：{code}")
    y -= 6 * mm
    c.setFont(font, 9)
    c.drawString(text_x, y, f"证明编号：{facts.serial}")
    y -= 5 * mm
    c.drawString(text_x, y, "核验网址：")
    y -= 4.5 * mm
    size = _fitting_size(url, font, text_width, largest=8, smallest=5.5)
    c.setFont(font, size)
    for line in _wrap(url, font, size, text_width):
        c.drawString(text_x, y, line)
        y -= size + 2.5
    c.setFont(font, 9)
    c.drawString(text_x, y - 2 * mm, VERIFY_NOTE)
    c.setFont(font, 8)
    c.setFillColor(colors.HexColor("#555555"))
    c.drawString(qr_x, qr_y - 6 * mm, PRIVACY_NOTE)
    issued = facts.issued_at.astimezone(SHANGHAI)
    seal_x = PAGE_WIDTH - MARGIN - SEAL_SIZE
    c.setFillColor(colors.black)
    c.setFont(font, 11)
    c.drawRightString(PAGE_WIDTH - MARGIN, qr_y + 12 * mm, f"出具机构：{facts.issuer}")
    c.drawRightString(PAGE_WIDTH - MARGIN, qr_y + 5 * mm, f"{issued.year}年{issued.month}月{issued.day}日")
    renderPDF.draw(seal_drawing(facts.issuer), c, seal_x, qr_y)


def _build(facts: DocumentFacts, story: list[Flowable], *, code: str, url: str) -> bytes:
    title = DOCUMENT_TITLES[facts.kind]
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author=facts.issuer,
        subject=f"证明编号 {facts.serial}",
        creator="Gongji",
        invariant=1,
    )
    width = PAGE_WIDTH - 2 * MARGIN
    first = Frame(MARGIN, _FOOT_TOP, width, PAGE_HEIGHT - MARGIN - _FOOT_TOP, id="first")
    later = Frame(MARGIN, MARGIN, width, PAGE_HEIGHT - 2 * MARGIN, id="later")

    def on_first(c: Canvas, _doc: BaseDocTemplate) -> None:
        _foot(c, facts, code, url)

    def on_later(c: Canvas, d: BaseDocTemplate) -> None:
        c.setFont(cjk_font(), 8)
        c.drawRightString(PAGE_WIDTH - MARGIN, MARGIN / 2, f"{title}（续） 证明编号 {facts.serial} 第{d.page}页")

    doc.addPageTemplates(
        [
            PageTemplate(id="first", frames=[first], onPage=on_first, autoNextPageTemplate="later"),
            PageTemplate(id="later", frames=[later], onPage=on_later),
        ]
    )
    doc.build(story)
    return buffer.getvalue()


def _head(facts: DocumentFacts, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    issued = facts.issued_at.astimezone(SHANGHAI)
    who = _table(
        [
            ["姓名", mask_name(facts.person_name), "证件号码", mask_id_number(facts.cert_no)],
            ["证明编号", facts.serial, "出具时间", f"{issued.year}年{issued.month}月{issued.day}日 {issued:%H:%M}"],
        ],
        (22, 45, 22, 85),
        s["cell"],
        header=False,
    )
    return [Paragraph(escape(DOCUMENT_TITLES[facts.kind]), s["title"]), Spacer(1, 5 * mm), who, Spacer(1, 4 * mm)]


def render_insurance_proof(facts: DocumentFacts, *, code: str, url: str) -> bytes:
    """参保证明: who, as of which day, every enrollment with its place, category, status and dates."""
    if facts.kind != INSURANCE_PROOF:
        raise ValueError(f"not a proof of insurance: {facts.kind!r}")
    s = _styles()
    as_of = facts.body["as_of"]
    rows = [["险种", "参保地", "人员类别", "参保状态", "参保日期", "终止日期"]]
    rows += [
        [e["insutype_name"], e["region_name"], e["psn_type_name"], e["status_name"], e["start_date"], e["end_date"]]
        for e in facts.body["enrollments"]
    ]
    story = _head(facts, s)
    story.append(Paragraph(escape(f"兹证明该参保人员截至{as_of}的基本医疗保险参保情况如下："), s["body"]))
    story += [Spacer(1, 3 * mm), _table(rows, (38, 44, 20, 22, 25, 25), s["cell"], header=True)]
    story += [Spacer(1, 4 * mm), Paragraph("特此证明。", s["body"])]
    return _build(facts, story, code=code, url=url)


def render_account_statement(facts: DocumentFacts, *, code: str, url: str) -> bytes:
    """个人账户对账单: the period, opening balance, each movement with the balance after it,
    credits, debits and the closing balance (yuan, two decimals)."""
    if facts.kind != ACCOUNT_STATEMENT:
        raise ValueError(f"not an account statement: {facts.kind!r}")
    s = _styles()
    b = facts.body
    summary = _table(
        [
            ["对账期间", f"{b['period_start']} 至 {b['period_end']}", "期初余额", f"{yuan(b['opening_fen'])} 元"],
            ["本期收入", f"{yuan(b['credits_fen'])} 元", "本期支出", f"{yuan(b['debits_fen'])} 元"],
            ["期末余额", f"{yuan(b['closing_fen'])} 元", "明细笔数", f"{len(b['lines'])} 笔"],
        ],
        (22, 60, 22, 70),
        s["cell"],
        header=False,
    )
    rows = [["日期", "账户", "摘要", "收入/支出（元）", "余额（元）"]]
    rows.append([b["period_start"], "", "期初余额", "", yuan(b["opening_fen"])])
    rows += [
        [
            line["date"],
            line["account"],
            line["narration"],
            ("+" if line["amount_fen"] > 0 else "") + yuan(line["amount_fen"]),
            yuan(line["balance_fen"]),
        ]
        for line in b["lines"]
    ]
    rows.append([b["period_end"], "", "期末余额", "", yuan(b["closing_fen"])])
    story = _head(facts, s) + [summary, Spacer(1, 4 * mm)]
    story.append(Paragraph("余额为当年账户与历年账户合计。金额单位：元。", s["small"]))
    story += [Spacer(1, 2 * mm), _table(rows, (22, 18, 76, 32, 26), s["cell"], header=True)]
    return _build(facts, story, code=code, url=url)


def render_document(facts: DocumentFacts, *, code: str, url: str) -> bytes:
    render = render_account_statement if facts.kind == ACCOUNT_STATEMENT else render_insurance_proof
    return render(facts, code=code, url=url)
