"""A week's reconciliation with tax as an Excel sheet (openpyxl, write-only): the title, 单位：元,
both sides' totals, every difference (ID numbers masked) and the 合计 row."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook

from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.services.backoffice import tax_recon as TR
from gongji.services.backoffice.premium_clearing_excel import bold_row, money_row, sheet_head
from gongji.services.registry.context import Ctx, audit_event

HEADER = [
    "序号", "差异类型", "税务请求流水号", "业务", "近亲属参保地", "近亲属证件号码", "医保金额", "税务金额",
    "医保状态", "税务状态", "处理状态", "处理方式", "处理原因",
]  # fmt: skip
STATUS_ZH = {"paid": "已缴费", "unpaid": "未缴费", None: ""}
MOVEMENT_ZH = {"deduct": "划扣", "refund": "退费返还"}


def week_workbook(
    uow: UnitOfWork, ctx: Ctx, *, week: str, region: str | None = None, state: str | None = None
) -> bytes:
    v = TR.week_view(uow, ctx, week=week, region=region, state=state)
    book = Workbook(write_only=True)
    ws = book.create_sheet("对账差异")
    sheet_head(ws, f"共济账户代缴城乡居民保费对账差异表（{v['week']}：{v['week_start']}至{v['week_end']}）", [
        "", "笔数", "金额", "已缴费金额"])  # fmt: skip
    ours, theirs = v["ours"], v["theirs"] or {}
    money_row(ws, ["医保推送", ours["row_count"], ours["total_fen"], ours["paid_fen"]], {2, 3})
    money_row(ws, ["税务比对", theirs.get("row_count"), theirs.get("total_fen"), theirs.get("paid_fen")], {2, 3})
    ws.append(["对账状态", "账账相符" if v["balanced"] else v["tax_state_zh"]])
    ws.append([])
    bold_row(ws, HEADER)
    names = region_table()
    rows = v["differences"]
    for n, d in enumerate(rows, start=1):
        code = d["region_code"]
        place = names.name(code) if code and names.is_known(code) else (code or "")
        money_row(
            ws,
            [n, d["kind_zh"], d["request_id"], MOVEMENT_ZH.get(d["movement"], d["movement"]), place,
             d["relative_cert"], d["mi_amount_fen"], d["tax_amount_fen"], STATUS_ZH.get(d["mi_status"], ""),
             STATUS_ZH.get(d["tax_status"], ""), d["state_zh"], d["resolution_zh"], d["reason"] or ""],
            {6, 7},
        )  # fmt: skip
    money_row(
        ws,
        ["合计", f"{len(rows)}条", "", "", "", "", sum(d["mi_amount_fen"] or 0 for d in rows),
         sum(d["tax_amount_fen"] or 0 for d in rows), "", "", "", "", ""],
        {6, 7}, bold=True,
    )  # fmt: skip
    out = BytesIO()
    book.save(out)
    audit_event(uow, ctx, "tax_recon.export", "tax_recon_week", v["week"], region=region, rows=len(rows))
    return out.getvalue()
