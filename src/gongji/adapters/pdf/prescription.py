"""A centre prescription printed as a paper prescription (seed 004: 支持将电子处方打印成纸质处方，方便
老年人等有需求的参保人持纸质处方前往定点零售药店购药): an A4 page in Chinese with the centre's number
the pharmacy fetches it by, the drugs and their use, the physician's code and the validity.
Name and ID number come masked, as on every printed record (SPEC §9); same view, same bytes."""

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

TITLE = "医保电子处方（纸质打印件）"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
ROW = 8 * mm
INSUTYPE_ZH = {"310": "职工基本医疗保险", "390": "城乡居民基本医疗保险"}
COLUMNS = (("药品名称", 52), ("数量", 16), ("单次剂量", 26), ("频次", 26), ("途径", 20), ("天数", 14))


def _fit(c: canvas.Canvas, font: str, text: str, x: float, y: float, width: float, size: int = 10) -> None:
    while size > 6 and stringWidth(text, font, size) > width:
        size -= 1
    c.setFont(font, size)
    c.drawString(x, y, text)


def render_prescription(v: Mapping[str, Any]) -> bytes:
    font = cjk_font()
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, initialFontName=font, initialFontSize=11)
    c.setTitle(TITLE)
    c.setAuthor(v["fixmedins_name"])
    c.setSubject(f"处方编号 {v['hi_rxno']}")
    c.setCreator("Gongji")
    c.setFont(font, 16)
    c.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 20 * mm, v["fixmedins_name"])
    c.setFont(font, 18)
    c.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 30 * mm, TITLE)
    c.setFont(font, 13)
    c.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 40 * mm, f"处方编号：{v['hi_rxno']}")
    width = PAGE_WIDTH - 2 * MARGIN
    y = PAGE_HEIGHT - 48 * mm
    facts = [
        ("姓名", v["psn_name"], "证件号码", v["certno"]),
        ("险种", INSUTYPE_ZH.get(v.get("insutype") or "", v.get("insutype") or ""), "医院处方号", v["rxno"]),
        ("诊断", " ".join(x for x in (v.get("dise_codg"), v.get("dise_name")) if x), "开方时间", v["prsc_time"][:16]),
        ("开方医师", v.get("bilg_dr_name") or "", "医保医师代码", v.get("bilg_dr_codg") or ""),
    ]
    half = width / 2
    for a, av, b, bv in facts:
        c.rect(MARGIN, y - ROW, width, ROW)
        c.line(MARGIN + half, y, MARGIN + half, y - ROW)
        _fit(c, font, f"{a}：{av}", MARGIN + 2 * mm, y - ROW + 2.5 * mm, half - 4 * mm)
        _fit(c, font, f"{b}：{bv}", MARGIN + half + 2 * mm, y - ROW + 2.5 * mm, half - 4 * mm)
        y -= ROW
    y -= 6 * mm
    c.setFont(font, 14)
    c.drawString(MARGIN, y, "Rp.")
    y -= 3 * mm
    x = MARGIN
    c.setFillColor(colors.HexColor("#eeeeee"))
    c.rect(MARGIN, y - ROW, width, ROW, fill=1, stroke=1)
    c.setFillColor(colors.black)
    for label, w in COLUMNS:
        _fit(c, font, label, x + 1.5 * mm, y - ROW + 2.5 * mm, w * mm - 3 * mm)
        x += w * mm
    y -= ROW
    for line in v["lines"]:
        x = MARGIN
        cells = (
            line["hilist_name"],
            str(line["cnt"]),
            line["sin_dos_dscr"],
            line["used_frqu_dscr"],
            line["medc_way_dscr"],
            f"{line['prd_days']}天",
        )
        c.rect(MARGIN, y - ROW, width, ROW)
        for text, (_label, w) in zip(cells, COLUMNS, strict=True):
            _fit(c, font, text, x + 1.5 * mm, y - ROW + 2.5 * mm, w * mm - 3 * mm)
            x += w * mm
        y -= ROW
    y -= 8 * mm
    c.setFont(font, 11)
    c.drawString(MARGIN, y, f"有效期至：{v['vali_end_time'][:16]}")
    if v.get("amount"):
        c.drawRightString(PAGE_WIDTH - MARGIN, y, f"处方金额：{v['amount']} 元")
    y -= 7 * mm
    c.setFont(font, 10)
    for text in (
        "请持本处方到开方机构所在统筹地区的定点零售药店购药，药店凭处方编号在医保电子处方中心调取并核验处方。",
        "本处方经医保电子处方中心流转，只能调剂一次；已撤销、已过有效期的处方不能调剂。",
    ):
        _fit(c, font, text, MARGIN, y, width, size=10)
        y -= 6 * mm
    c.setFont(font, 8)
    c.setFillColor(colors.HexColor("#555555"))
    c.drawString(MARGIN, 18 * mm, "为保护个人信息，本处方中的姓名和证件号码已作部分隐藏。")
    c.showPage()
    c.save()
    return buffer.getvalue()
