"""The resident enrollment forms of seed 002 (附件1–3) as filled-in A4 PDFs in Chinese.

Each form keeps the seed's table layout: 附件1 《参保登记表》 row by row (姓名 … 收件审核), 附件2
《参保信息变更登记表》 with its eight columns (序号 … 备注) and at least the six printed rows, and 附件3
《停保或流出登记表》 as designed in docs/resident.md. Ticked boxes print as ■, empty ones as □. This
module only draws what it is given (the staff's own printout: nothing is masked here); the use
cases in ``services.resident.forms`` decide what that is. The same input gives the same bytes
(reportlab ``invariant``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gongji.adapters.pdf.fonts import cjk_font

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
TICKED, EMPTY = "■", "□"
MIN_CHANGE_ROWS = 6  # the seed's 附件2 prints six numbered rows


@dataclass(frozen=True)
class Review:
    """收件审核 / 经办机构意见: ``decided`` None while pending, True approved, False refused."""

    decided: bool | None
    reviewer: str
    unit: str
    on: date | None
    note: str


@dataclass(frozen=True)
class RegistrationSheet:
    title: str
    serial: str
    name: str
    cert_type_name: str
    cert_no: str
    sex: str  # "1" male, "2" female
    birth_date: date
    phone: str
    household_label: str
    province: str
    city: str
    county: str
    village: str
    township: str
    address: str
    identities: Sequence[tuple[str, bool]]
    subsidies: Sequence[tuple[str, bool]]
    enrollment: str
    declaration: str
    signer: str
    signed_on: date
    review: Review


@dataclass(frozen=True)
class ChangeLine:
    seq: int
    cert_no: str
    name: str
    item: str
    before: str
    after: str
    signed_by: str
    remark: str


@dataclass(frozen=True)
class ChangeSheet:
    title: str
    serial: str
    filler: str
    phone: str
    is_key: bool
    filled_on: date
    rows: Sequence[ChangeLine]
    review: Review


@dataclass(frozen=True)
class StopSheet:
    title: str
    serial: str
    name: str
    cert_no: str
    sex: str
    birth_date: str
    insured_region: str
    psn_type: str
    enrollment_start: str
    reasons: Sequence[tuple[str, bool]]
    reason_note: str
    effective_date: date
    destination: str
    handling: str
    graduated_on: str
    applicant: str
    applicant_phone: str
    signed_on: date
    review: Review


def day_zh(value: date | None) -> str:
    """``2026年11月23日``; blank fields as printed on the paper form when there is no date."""
    return f"{value.year}年{value.month}月{value.day}日" if value else "　　年　　月　　日"


def boxes(options: Sequence[tuple[str, bool]]) -> str:
    return "　".join(f"{TICKED if checked else EMPTY}{escape(label)}" for label, checked in options)


class _Styles:
    def __init__(self) -> None:
        font = cjk_font()
        self.cell = ParagraphStyle("cell", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
        self.small = ParagraphStyle("small", parent=self.cell, fontSize=8.5, leading=11)
        self.tiny = ParagraphStyle("tiny", parent=self.cell, fontSize=8, leading=10)
        self.label = ParagraphStyle("label", parent=self.cell, alignment=TA_CENTER)
        self.title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=TA_CENTER)
        self.right = ParagraphStyle("right", parent=self.small, alignment=TA_RIGHT)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(text, style)


def _t(text: str) -> str:
    return escape(text or "")


def _grid(rows: list[list[object]], widths: Sequence[float], spans: Sequence[tuple[int, int, int, int]]) -> Table:
    table = Table(rows, colWidths=list(widths), repeatRows=0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    style += [("SPAN", (c0, r0), (c1, r1)) for c0, r0, c1, r1 in spans]
    table.setStyle(TableStyle(style))
    return table


def _review_text(review: Review, *, yes: str, no: str, who: str = "经办人") -> str:
    lines = [
        f"{TICKED if review.decided is True else EMPTY}{yes}",
        f"{TICKED if review.decided is False else EMPTY}{no}",
    ]
    if review.note:
        lines.append(f"意见：{_t(review.note)}")
    lines.append(f"{who}：{_t(review.reviewer) or '　　　　'}　（受理单位盖章）{_t(review.unit)}　{day_zh(review.on)}")
    return "<br/>".join(lines)


def _document(title: str, serial: str, story: list[Flowable], s: _Styles) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="医疗保障经办机构",
        subject=serial,
        creator="Gongji",
        invariant=1,
    )
    head: list[Flowable] = [_p(_t(title), s.title), Spacer(1, 2 * mm), _p(_t(serial), s.right), Spacer(1, 2 * mm)]
    doc.build(head + story)
    return buffer.getvalue()


def render_registration(sheet: RegistrationSheet) -> bytes:
    """附件1 《城乡居民基本医疗保险参保登记表》, filled in."""
    s = _Styles()
    L = lambda text: _p(_t(text), s.label)  # noqa: E731
    C = lambda text: _p(_t(text), s.cell)  # noqa: E731
    sex = boxes([("男性", sheet.sex == "1"), ("女性", sheet.sex == "2")])
    address = f"{sheet.township}（乡/镇(街道)）" + (f"　{sheet.address}" if sheet.address else "")
    declaration = f"{_t(sheet.declaration)}<br/>签字：{_t(sheet.signer)}　　{day_zh(sheet.signed_on)}"
    review = _review_text(
        sheet.review, yes="经审核，符合城乡居民医保参保规定。", no="经审核，不符合城乡居民医保参保规定。"
    )
    rows: list[list[object]] = [
        [L("姓名"), C(sheet.name), L("身份证件类型"), C(sheet.cert_type_name), "", ""],
        [L("身份证件号码"), C(sheet.cert_no), "", "", "", ""],
        [L("性别"), _p(sex, s.cell), L("出生日期"), C(day_zh(sheet.birth_date)), L("联系电话"), C(sheet.phone)],
        [
            L(sheet.household_label),
            C(sheet.province),
            C(sheet.city),
            C(sheet.county),
            C(f"{sheet.village}（村(社区)）" if sheet.village else "村(社区)"),
            "",
        ],
        [L("通讯地址"), C(address), "", "", "", ""],
        [L("申请人身份"), _p(boxes(sheet.identities), s.cell), "", "", "", ""],
        [L("财政补助对象"), _p(boxes(sheet.subsidies) or "无", s.cell), "", "", "", ""],
        [L("参保信息"), C(sheet.enrollment), "", "", "", ""],
        [L("申请人或监护人"), _p(declaration, s.cell), "", "", "", ""],
        [L("收件审核"), _p(review, s.cell), "", "", "", ""],
    ]
    spans = [(3, 0, 5, 0), (1, 1, 5, 1), (4, 3, 5, 3)] + [(1, r, 5, r) for r in range(4, 10)]
    widths = [30 * mm, 36 * mm, 26 * mm, 30 * mm, 22 * mm, WIDTH - 144 * mm]
    return _document(sheet.title, sheet.serial, [_grid(rows, widths, spans)], s)


def render_change(sheet: ChangeSheet) -> bytes:
    """附件2 《城乡居民基本医疗保险参保信息变更登记表》, filled in."""
    s = _Styles()
    kind = boxes([("关键信息", sheet.is_key), ("非关键信息", not sheet.is_key)])
    head = _p(
        f"填报人：{_t(sheet.filler)}　　联系电话：{_t(sheet.phone)}　　{kind}　　{day_zh(sheet.filled_on)}", s.cell
    )
    header = ["序号", "身份证件号码", "姓名", "变更项目", "变更前", "变更后", "签字", "备注"]
    rows: list[list[object]] = [[_p(h, s.label) for h in header]]
    for line in sheet.rows:
        rows.append(
            [
                _p(str(line.seq), s.label),
                _p(_t(line.cert_no), s.tiny),
                _p(_t(line.name), s.cell),
                _p(_t(line.item), s.small),
                _p(_t(line.before), s.small),
                _p(_t(line.after), s.small),
                _p(_t(line.signed_by), s.cell),
                _p(_t(line.remark), s.small),
            ]
        )
    for seq in range(len(sheet.rows) + 1, MIN_CHANGE_ROWS + 1):
        rows.append([_p(str(seq), s.label), "", "", "", "", "", "", ""])
    opinion = _review_text(sheet.review, yes="同意变更", no="不同意变更")
    rows.append([_p(f"经办机构意见：<br/>{opinion}", s.cell), "", "", "", "", "", "", ""])
    last = len(rows) - 1
    widths = [12 * mm, 38 * mm, 17 * mm, 22 * mm, 26 * mm, 26 * mm, 15 * mm, WIDTH - 156 * mm]
    table = _grid(rows, widths, [(0, last, 7, last)])
    return _document(sheet.title, sheet.serial, [head, Spacer(1, 3 * mm), table], s)


def render_stop(sheet: StopSheet) -> bytes:
    """附件3 《城乡居民基本医疗保险停保或流出登记表》 (fields designed in docs/resident.md)."""
    s = _Styles()
    L = lambda text: _p(_t(text), s.label)  # noqa: E731
    C = lambda text: _p(_t(text), s.cell)  # noqa: E731
    reason = boxes(sheet.reasons) + (f"<br/>说明：{_t(sheet.reason_note)}" if sheet.reason_note else "")
    applicant = (
        "以上信息填报真实，现申请办理城乡居民基本医疗保险停保（流出）手续。"
        f"<br/>申请人签字：{_t(sheet.applicant)}　联系电话：{_t(sheet.applicant_phone)}　{day_zh(sheet.signed_on)}"
    )
    review = _review_text(sheet.review, yes="同意停保（流出）", no="不同意停保（流出）")
    rows: list[list[object]] = [
        [L("姓名"), C(sheet.name), L("性别"), C(sheet.sex), L("出生日期"), C(sheet.birth_date)],
        [L("身份证件号码"), C(sheet.cert_no), "", "", "", ""],
        [L("参保地"), C(sheet.insured_region), "", L("人员类别"), C(sheet.psn_type), ""],
        [L("参保开始日期"), C(sheet.enrollment_start), "", L("停保（流出）日期"), C(day_zh(sheet.effective_date)), ""],
        [L("停保或流出原因"), _p(reason, s.cell), "", "", "", ""],
        [L("流入地"), C(sheet.destination or "—"), "", L("处理方式"), C(sheet.handling), ""],
        [L("毕业日期"), C(sheet.graduated_on or "—"), "", "", "", ""],
        [L("申请人"), _p(applicant, s.cell), "", "", "", ""],
        [L("经办机构意见"), _p(review, s.cell), "", "", "", ""],
    ]
    spans = [
        (1, 1, 5, 1),
        (1, 2, 2, 2),
        (4, 2, 5, 2),
        (1, 3, 2, 3),
        (4, 3, 5, 3),
        (1, 4, 5, 4),
        (1, 5, 2, 5),
        (4, 5, 5, 5),
        (1, 6, 5, 6),
        (1, 7, 5, 7),
        (1, 8, 5, 8),
    ]
    widths = [30 * mm, 38 * mm, 20 * mm, 34 * mm, 28 * mm, WIDTH - 150 * mm]
    return _document(sheet.title, sheet.serial, [_grid(rows, widths, spans)], s)
