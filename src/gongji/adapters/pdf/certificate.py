"""The premium payment certificate (城乡居民基本医疗保险缴费证明) as an A4 PDF in Chinese.

The layout is fixed: the title, the serial number, one table of the facts, then the QR code of the
verification URL with the verification code beside it, and the issuer at the bottom. The
verification code itself comes from :mod:`gongji.domain.certificates`; this module only draws.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from gongji.adapters.pdf.fonts import cjk_font
from gongji.domain.certificates import (
    CHANNELS,
    FAMILY_ACCOUNT,
    INSUTYPE_NAMES,
    PREMIUM_PAYMENT,
    CertificateFacts,
    chinese_capital_amount,
)
from gongji.domain.clock import SHANGHAI
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.money import yuan

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 22 * mm
QR_LEVEL = "M"
QR_BORDER = 4  # modules of quiet zone on each side (ISO/IEC 18004)
QR_BOX = (MARGIN, 62 * mm, 38 * mm)
"""Where the QR code is drawn: (x, y, size) in points from the bottom-left corner, quiet zone included."""

VERIFY_NOTE = "可扫描二维码或登录网站核验本证明真伪。"
PRIVACY_NOTE = "为保护个人信息，本证明中的姓名和证件号码已作部分隐藏。"

_ROW_HEIGHT = 10 * mm
_LABEL_WIDTH = 44 * mm
_TABLE_TOP = PAGE_HEIGHT - 58 * mm


def render_premium_certificate(
    facts: CertificateFacts,
    *,
    code: str,
    url: str,
    title: str = "城乡居民基本医疗保险缴费证明",
    issuer: str = "医疗保障经办机构",
    void: bool = False,
) -> bytes:
    """Draw the certificate for ``facts`` and return the PDF bytes (A4, one page).

    ``code`` is ``verification_code(facts, secret)`` and ``url`` the ``verification_url`` it is
    checked at; the QR code encodes ``url``. The payer (缴费人) is shown masked — name as
    ``张*``, ID number as ``6207**********1234`` — and so is the relative whose family account
    paid (代缴人): the certificate is handed to third parties, who need to match it to a person
    they already know, not learn the whole identity number (PIPL, SPEC §9). Anyone allowed the
    whole values gets them from the site after verification. The same input gives the same bytes
    (reportlab ``invariant=1``: no creation date, a fixed document ID).

    ``void``: the premium was refunded after the certificate was issued — the same facts and code,
    stamped 作废 with the reason, so a copy handed on cannot pass for proof of payment.
    """
    if facts.kind != PREMIUM_PAYMENT:
        raise ValueError(f"not a premium payment certificate: {facts.kind!r}")
    insutype_name = INSUTYPE_NAMES.get(facts.insutype)
    if insutype_name is None:
        raise ValueError(f"no premium certificate for insutype {facts.insutype!r} (one of {sorted(INSUTYPE_NAMES)})")
    font = cjk_font()

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, initialFontName=font, initialFontSize=11)
    c.setTitle(title)
    c.setAuthor(issuer)
    c.setSubject(f"证明编号 {facts.serial}")
    c.setCreator("Gongji")

    # Title and serial number.
    c.setFillColor(colors.black)
    c.setFont(font, 20)
    c.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 30 * mm, title)
    c.setFont(font, 10)
    c.drawRightString(PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 40 * mm, f"证明编号：{facts.serial}")
    c.setFont(font, 11)
    c.drawString(MARGIN, PAGE_HEIGHT - 50 * mm, f"兹证明下列参保人员已缴纳{insutype_name}费，缴费信息如下：")

    _table(c, font, list(_rows(facts, insutype_name)))
    if void:
        _void_stamp(c, font)

    # The QR code of the verification URL, the code and how to check beside it.
    qr_x, qr_y, qr_size = QR_BOX
    widget = QrCodeWidget(url, barLevel=QR_LEVEL, barBorder=QR_BORDER, barWidth=qr_size, barHeight=qr_size)
    drawing = Drawing(qr_size, qr_size)
    drawing.add(widget)
    renderPDF.draw(drawing, c, qr_x, qr_y)

    text_x = qr_x + qr_size + 6 * mm
    text_width = PAGE_WIDTH - MARGIN - text_x
    y = qr_y + qr_size - 8 * mm
    c.setFont(font, 12)
    c.drawString(text_x, y, f"验证码：{code}")
    y -= 7 * mm
    c.setFont(font, 9)
    c.drawString(text_x, y, "核验网址：")
    y -= 5 * mm
    size = _fitting_size(url, font, text_width, largest=9, smallest=6)
    c.setFont(font, size)
    for line in _wrap(url, font, size, text_width):
        c.drawString(text_x, y, line)
        y -= size + 3
    y -= 2 * mm
    c.setFont(font, 10)
    c.drawString(text_x, y, VERIFY_NOTE)
    c.setFont(font, 8)
    c.setFillColor(colors.HexColor("#555555"))
    c.drawString(qr_x, qr_y - 8 * mm, PRIVACY_NOTE)

    # Issuer and date, bottom right.
    issued = facts.issued_at.astimezone(SHANGHAI)
    c.setFillColor(colors.black)
    c.setFont(font, 11)
    c.drawRightString(PAGE_WIDTH - MARGIN, 36 * mm, f"出具机构：{issuer}")
    c.drawRightString(PAGE_WIDTH - MARGIN, 29 * mm, f"{issued.year}年{issued.month}月{issued.day}日")

    c.showPage()
    c.save()
    return buffer.getvalue()


VOID_NOTE = "该笔保费已退费，本证明作废。"


def _void_stamp(c: canvas.Canvas, font: str) -> None:
    """A red 作废 across the table and the reason under the heading."""
    c.saveState()
    c.setFillColor(colors.HexColor("#c0392b"))
    c.setStrokeColor(colors.HexColor("#c0392b"))
    c.setFont(font, 11)
    c.drawString(MARGIN, PAGE_HEIGHT - 56 * mm, VOID_NOTE)
    c.translate(PAGE_WIDTH / 2, _TABLE_TOP - 40 * mm)
    c.rotate(20)
    c.setLineWidth(3)
    c.rect(-42 * mm, -14 * mm, 84 * mm, 28 * mm)
    c.setFont(font, 56)
    c.drawCentredString(0, -9 * mm, "作废")
    c.restoreState()


def _rows(facts: CertificateFacts, insutype_name: str) -> Iterator[tuple[str, str]]:
    issued = facts.issued_at.astimezone(SHANGHAI)
    yield "缴费人姓名", mask_name(facts.person_name)
    yield "证件号码", mask_id_number(facts.cert_no)
    yield "险种", insutype_name
    yield "待遇年度/缴费年度", f"{facts.benefit_year}年度"
    yield "缴费金额", f"{yuan(facts.amount_fen)} 元"
    yield "金额大写", f"人民币{chinese_capital_amount(facts.amount_fen)}"
    yield "缴费日期", f"{facts.paid_on.year}年{facts.paid_on.month}月{facts.paid_on.day}日"
    yield "缴费渠道", CHANNELS[facts.channel]
    if facts.channel == FAMILY_ACCOUNT:
        yield "代缴人（共济人）", mask_name(facts.payer_name)
    yield "证明编号", facts.serial
    yield "出具时间", f"{issued.year}年{issued.month}月{issued.day}日 {issued:%H:%M}"


def _table(c: canvas.Canvas, font: str, rows: list[tuple[str, str]]) -> None:
    left, right = MARGIN, PAGE_WIDTH - MARGIN
    top = _TABLE_TOP
    bottom = top - _ROW_HEIGHT * len(rows)
    c.setFillColor(colors.HexColor("#f2f2f2"))
    c.rect(left, bottom, _LABEL_WIDTH, top - bottom, stroke=0, fill=1)
    c.setStrokeColor(colors.black)
    c.setLineWidth(0.6)
    c.rect(left, bottom, right - left, top - bottom, stroke=1, fill=0)
    c.line(left + _LABEL_WIDTH, bottom, left + _LABEL_WIDTH, top)
    c.setFillColor(colors.black)
    value_width = right - left - _LABEL_WIDTH - 8 * mm
    for index, (label, value) in enumerate(rows):
        row_top = top - _ROW_HEIGHT * index
        if index:
            c.line(left, row_top, right, row_top)
        baseline = row_top - _ROW_HEIGHT + 3.5 * mm
        c.setFont(font, 11)
        c.drawString(left + 4 * mm, baseline, label)
        c.setFont(font, _fitting_size(value, font, value_width, largest=11, smallest=7))
        c.drawString(left + _LABEL_WIDTH + 4 * mm, baseline, value)


def _fitting_size(text: str, font: str, width: float, *, largest: float, smallest: float) -> float:
    size = largest
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break ``text`` (a URL: no spaces to break at) into lines no wider than ``width``."""
    lines: list[str] = []
    line = ""
    for ch in text:
        if line and stringWidth(line + ch, font, size) > width:
            lines.append(line)
            line = ""
        line += ch
    if line:
        lines.append(line)
    return lines
