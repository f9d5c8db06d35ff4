"""Excel for the full-subsidy roster upload (issue 17): the template to fill in, and the upload's
validation report as Excel with the sheet's row numbers.

The report is a check only (``roster.upload_roster`` with ``dry_run``): nothing is kept, the
same rules as the upload page, names and ID numbers masked, amounts in yuan.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Font

from gongji.adapters import xlsx_list
from gongji.adapters.xlsx_list import XCol
from gongji.domain.errors import GongjiError, InvalidRequest
from gongji.entrypoints.web.listing_view import xlsx_answer
from gongji.entrypoints.web.pages import _ctx, _gj, _need
from gongji.entrypoints.web.roster_pages import ERROR_ZH, ROSTER_MODES, _read_roster, _roster_page, _run_commit
from gongji.services.auth import Role
from gongji.services.resident import roster

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]
REPORT_COLS = [
    XCol("行号", "int", width=8),
    XCol("姓名（已脱敏）", width=14),
    XCol("身份证号码（已脱敏）", width=22),
    XCol("结果", width=26),
    XCol("原因", width=50),
    XCol("资助金额（元）", "yuan", width=14),
    XCol("退回共济账户（元）", "yuan", width=16),
]
NOTES = (
    "填写说明",
    "1. 第一行是表头，请勿修改；从第二行起每行填写一名全额资助对象。",
    "2. 身份证号码填写18位居民身份证号码（末位X大写），单元格为文本格式，请勿改为数字。",
    "3. 姓名须与身份证件一致。",
    "4. 保存为 .xlsx（或另存为 UTF-8 / GBK 编码的 CSV）后，在“全额资助对象花名册”页面上传。",
    "5. 上传前可先“校验并下载Excel报告”：报告逐行列出行号、结果和原因，不保存花名册。",
)


@router.get("/staff/resident/roster/template.xlsx")
def roster_template(request: Request) -> Response:
    """The roster template: 身份证号码 (text) and 姓名, with a sheet of instructions."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    book = Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append(["身份证号码", "姓名"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 14
    sheet.column_dimensions["A"].number_format = "@"  # ID numbers stay text (a number loses digits)
    notes = book.create_sheet("填写说明")
    for line in NOTES:
        notes.append([line])
    notes.column_dimensions["A"].width = 90
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return xlsx_answer("全额资助对象花名册模板.xlsx", out)


@router.post("/staff/resident/roster/report.xlsx")
def roster_report(
    request: Request,
    benefit_year: Str = "",
    category: Str = "",
    mode: Str = "all_or_nothing",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Check the uploaded roster without keeping it and answer its report as Excel."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    gj = _gj(request)
    ctx = _ctx(request, principal)
    form = {"benefit_year": benefit_year.strip()[:4], "category": category.strip()[:40], "mode": mode.strip()[:20]}
    try:
        if not (form["benefit_year"].isascii() and form["benefit_year"].isdigit() and len(form["benefit_year"]) == 4):
            raise InvalidRequest("请选择待遇年度", "Choose the benefit year", field="benefit_year")
        if form["mode"] not in ROSTER_MODES:
            raise InvalidRequest("请选择导入方式", "Choose the import mode", field="mode")
        data = _read_roster(file)
        summary: dict[str, Any] = _run_commit(
            request,
            lambda uow: roster.upload_roster(
                uow,
                ctx,
                gj.profile,
                benefit_year=int(form["benefit_year"]),
                category=form["category"],
                file=data,
                mode=form["mode"],
                dry_run=True,
            ),
        )
    except GongjiError as err:
        return _roster_page(request, principal, error=err, form=form | {"dry_run": "1"})
    finally:
        if file is not None:
            file.file.close()
    rows = (
        [r["row"], r["name_masked"], r["id_masked"], r["outcome_zh"], ERROR_ZH.get(r["reason_code"] or "", ""),
         r["amount_fen"] if r["accepted"] else None, r.get("family_returned_fen") or None]
        for r in summary["report"]
    )  # fmt: skip
    caption = (
        f"花名册校验报告（未保存）：共{summary['rows']}行，正确{summary['accepted']}行，错误{summary['bad']}行；"
        "行号为上传表格中的行号（表头为第1行）"
    )
    return xlsx_answer("花名册校验报告.xlsx", xlsx_list.write("校验报告", REPORT_COLS, rows, caption=caption))
