"""The month's 保险费划扣明细表 as finance prints it (openpyxl, write-only: the detail sheet is
streamed, never held in memory): 汇总 (per pooling region), 全额清算 (transfers), 明细 (every line,
names and ID numbers masked). Each sheet: the title, 单位：元, the header, the rows, 合计."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.services.backoffice import premium_clearing as PC
from gongji.services.registry.context import Ctx, audit_event

UNIT = "单位：元"
YUAN_FORMAT = "#,##0.00"


def yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(fen) / 100


def bold_row(ws: WriteOnlyWorksheet, values: list[Any]) -> None:
    cells = []
    for v in values:
        c = WriteOnlyCell(ws, value=v)
        c.font = Font(bold=True)
        cells.append(c)
    ws.append(cells)


def money_row(ws: WriteOnlyWorksheet, values: list[Any], money_cols: set[int], *, bold: bool = False) -> None:
    cells = []
    for i, v in enumerate(values):
        c = WriteOnlyCell(ws, value=yuan(v) if i in money_cols and isinstance(v, int) else v)
        if i in money_cols:
            c.number_format = YUAN_FORMAT
        if bold:
            c.font = Font(bold=True)
        cells.append(c)
    ws.append(cells)


def sheet_head(ws: WriteOnlyWorksheet, title: str, header: list[str]) -> None:
    bold_row(ws, [title])
    ws.append([UNIT])
    bold_row(ws, header)


SUMMARY_HEADER = [
    "统筹区代码", "统筹区名称", "本统筹区划转笔数", "本统筹区划转金额", "跨统筹区应付笔数", "跨统筹区应付金额",
    "跨统筹区应收笔数", "跨统筹区应收金额", "确认期限", "确认状态", "用款计划金额",
]  # fmt: skip
TRANSFER_HEADER = [
    "付款统筹区代码", "付款统筹区（授权人参保地）", "收款统筹区代码", "收款统筹区（近亲属参保地）", "笔数", "清算金额",
    "划转期限", "划转日期", "银行流水号", "状态",
]  # fmt: skip
LINE_HEADER = [
    "序号", "划扣时间", "业务类型", "险种", "待遇年度", "授权人", "授权人证件号码", "授权人参保统筹区",
    "近亲属", "近亲属证件号码", "近亲属参保统筹区", "清算类型", "金额",
]  # fmt: skip


def month_workbook(uow: UnitOfWork, ctx: Ctx, *, month: str, region: str | None = None) -> bytes:
    view = PC.month_view(uow, ctx, month=month, region=region)
    label = f"{view['month'][:4]}年{int(view['month'][5:])}月"
    book = Workbook(write_only=True)

    ws = book.create_sheet("汇总")
    sheet_head(ws, f"个人账户家庭共济保险费划扣汇总表（{label}）", SUMMARY_HEADER)
    for r in view["regions"]:
        money_row(
            ws,
            [r["region_code"], r["region_name"], r["within_count"], r["within_fen"], r["pay_count"], r["pay_fen"],
             r["receive_count"], r["receive_fen"], r["confirm_due"], r["confirm_state_zh"], r["plan_fen"]],
            {3, 5, 7, 10},
        )  # fmt: skip
    regions = view["regions"]
    money_row(
        ws,
        ["合计", "", sum(r["within_count"] for r in regions), sum(r["within_fen"] for r in regions),
         sum(r["pay_count"] for r in regions), sum(r["pay_fen"] for r in regions),
         sum(r["receive_count"] for r in regions), sum(r["receive_fen"] for r in regions), "", "",
         sum(r["plan_fen"] or 0 for r in regions)],
        {3, 5, 7, 10}, bold=True,
    )  # fmt: skip

    ws = book.create_sheet("全额清算")
    sheet_head(ws, f"跨统筹区保险费全额清算表（{label}）", TRANSFER_HEADER)
    for t in view["transfers"]:
        money_row(
            ws,
            [t["payer_region"], t["payer_name"], t["payee_region"], t["payee_name"], t["line_count"], t["amount_fen"],
             t["due"], t["paid_on"] or "", t["bank_ref"] or "", t["state_zh"]],
            {5},
        )  # fmt: skip
    money_row(
        ws,
        ["合计", "", "", "", sum(t["line_count"] for t in view["transfers"]),
         sum(t["amount_fen"] for t in view["transfers"]), "", "", "", ""],
        {5}, bold=True,
    )  # fmt: skip

    ws = book.create_sheet("明细")
    sheet_head(ws, f"个人账户家庭共济保险费划扣明细表（{label}）", LINE_HEADER)
    n = total = 0
    for n, ln in enumerate(PC.iter_month_lines(uow, ctx, month=month, region=region), start=1):
        total += ln["amount_fen"]
        money_row(
            ws,
            [n, ln["paid_at"], ln["movement_zh"], ln["insutype"], ln["benefit_year"], ln["authorizer"],
             ln["authorizer_cert"], ln["authorizer_region_name"], ln["relative"], ln["relative_cert"],
             ln["relative_region_name"], ln["kind_zh"], ln["amount_fen"]],
            {12},
        )  # fmt: skip
    money_row(ws, ["合计", f"{n}笔", "", "", "", "", "", "", "", "", "", "", total], {12}, bold=True)
    out = BytesIO()
    book.save(out)
    audit_event(uow, ctx, "premium_clearing.export", "premium_clearing_month", view["month"], region=region, lines=n)
    return out.getvalue()
