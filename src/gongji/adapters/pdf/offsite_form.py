"""The 异地就医登记备案表 (seed 001 二 办理材料 2) of one registration as an A4 PDF in Chinese.

Drawn from the registration's view (``services.offsite.registration.get``): the title, the
serial, one table of what was registered, the commitment when one was signed, and a line for
the applicant's signature. Name and ID number come masked, as on every printed record (SPEC §9).
The same view gives the same bytes (reportlab ``invariant=1``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from gongji.adapters.pdf.fonts import cjk_font
from gongji.domain.offsite import COMMITMENT_TEXT

TITLE = "异地就医登记备案表"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
ROW = 9 * mm
LABEL_WIDTH = 40 * mm
SEX_ZH = {"1": "男", "2": "女", "9": "未说明"}
INSUTYPE_ZH = {"310": "职工基本医疗保险", "390": "城乡居民基本医疗保险"}


def rows(v: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = [
        ("姓名", v["name"]),
        ("证件号码", v["cert_no"]),
        ("性别", SEX_ZH.get(v.get("sex") or "", "")),
        ("参保险种", INSUTYPE_ZH.get(v["insutype"], v["insutype"])),
        ("参保地", v["insured_region_name"]),
        ("备案类型", f"{v['category_zh']} · {v['kind_zh']}"),
        ("就医地", f"{v['destination_name']}（{v['destination_code']}）"),
        ("备案开始日期", v["start_date"]),
        ("备案结束日期", v["end_text"]),
        ("办理渠道", v["channel_zh"]),
        ("提交材料", "、".join(v["materials_zh"])),
        ("备案状态", v["state_zh"]),
    ]
    if v.get("late"):
        out.append(("补办备案", f"入院日期 {v['admission_date']}，{v.get('hospital') or ''}（出院前补办）"))
    if v.get("address"):
        out.append(("异地居住地址", v["address"]))
    if v.get("agent_name"):
        out.append(("代办人", f"{v['agent_name']}（{v.get('agent_relation') or ''}）"))
    if v.get("applicant_name"):
        out.append(("代办亲属", v["applicant_name"]))
    return out


def render_registration_form(v: Mapping[str, Any], *, issuer: str = "医疗保障经办机构") -> bytes:
    font = cjk_font()
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, initialFontName=font, initialFontSize=11)
    c.setTitle(TITLE)
    c.setAuthor(issuer)
    c.setSubject(f"备案编号 {v['serial']}")
    c.setCreator("Gongji")
    c.setFont(font, 20)
    c.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 28 * mm, TITLE)
    c.setFont(font, 10)
    c.drawRightString(PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 38 * mm, f"备案编号：{v['serial']}")
    y = PAGE_HEIGHT - 44 * mm
    width = PAGE_WIDTH - 2 * MARGIN
    c.setStrokeColor(colors.black)
    for label, value in rows(v):
        c.rect(MARGIN, y - ROW, width, ROW)
        c.line(MARGIN + LABEL_WIDTH, y, MARGIN + LABEL_WIDTH, y - ROW)
        c.setFont(font, 11)
        c.drawString(MARGIN + 3 * mm, y - ROW + 3 * mm, label)
        size = 11
        while size > 7 and stringWidth(value, font, size) > width - LABEL_WIDTH - 6 * mm:
            size -= 1
        c.setFont(font, size)
        c.drawString(MARGIN + LABEL_WIDTH + 3 * mm, y - ROW + 3 * mm, value)
        y -= ROW
    if v.get("commitment_version"):
        y -= 8 * mm
        c.setFont(font, 12)
        c.drawString(MARGIN, y, "个人承诺书")
        c.setFont(font, 10)
        for line in _wrap(COMMITMENT_TEXT, font, 10, width):
            y -= 6 * mm
            c.drawString(MARGIN, y, line)
    c.setFont(font, 11)
    c.drawString(MARGIN, 40 * mm, "申请人（代办人）签字：")
    c.drawRightString(PAGE_WIDTH - MARGIN, 40 * mm, f"经办机构：{issuer}")
    c.drawRightString(PAGE_WIDTH - MARGIN, 33 * mm, f"办理日期：{v['created_at'][:10]}")
    c.setFont(font, 8)
    c.setFillColor(colors.HexColor("#555555"))
    c.drawString(MARGIN, 22 * mm, "为保护个人信息，本表中的姓名和证件号码已作部分隐藏。")
    c.showPage()
    c.save()
    return buffer.getvalue()


def _wrap(text: str, font: str, size: int, width: float) -> list[str]:
    lines, line = [], ""
    for ch in text:
        if stringWidth(line + ch, font, size) > width:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line] if line else lines
