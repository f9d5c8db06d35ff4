"""记账凭证 and 试算平衡表 as finance prints them (openpyxl, write-only): the title with the region's
name and the month, 单位：元, the header, the rows in yuan, the 合计 row [seed 003 附件四]."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.services.backoffice import accounting as A
from gongji.services.backoffice.premium_clearing_excel import money_row, sheet_head
from gongji.services.registry.context import Ctx, audit_event

VOUCHER_HEADER = ["凭证号", "日期", "统筹区代码", "统筹区名称", "摘要", "科目编码", "会计科目", "借方金额", "贷方金额"]
TRIAL_HEADER = [
    "科目编码", "会计科目", "类别", "期初借方余额", "期初贷方余额", "本期借方发生额", "本期贷方发生额",
    "期末借方余额", "期末贷方余额",
]  # fmt: skip
TRIAL_MONEY = {3, 4, 5, 6, 7, 8}
TRIAL_KEYS = (
    "opening_debit_fen", "opening_credit_fen", "debit_fen", "credit_fen", "closing_debit_fen", "closing_credit_fen",
)  # fmt: skip


def _label(month: str) -> str:
    return f"{month[:4]}年{int(month[5:])}月"


def voucher_title(v: dict[str, Any]) -> str:
    return f"{v['region_name']}基本医疗保险基金记账凭证（{_label(v['month'])}）"


def trial_title(t: dict[str, Any]) -> str:
    return f"{t['region_name']}基本医疗保险基金试算平衡表（{_label(t['month'])}）"


def write_vouchers(uow: UnitOfWork, ctx: Ctx, path: Path, *, month: str, region: str | None) -> dict[str, Any]:
    """One row per voucher line (the voucher's number, date and 摘要 on each), 合计 at the end."""
    v = A.vouchers(uow, ctx, month=month, region=region)
    book = Workbook(write_only=True)
    ws = book.create_sheet("记账凭证")
    sheet_head(ws, voucher_title(v), VOUCHER_HEADER)
    for x in v["vouchers"]:
        for ln in x["lines"]:
            money_row(
                ws,
                [x["number"], x["date"], x["region"], x["region_name"], x["summary"], ln["code"], ln["subject"],
                 ln["debit_fen"] or None, ln["credit_fen"] or None],
                {7, 8},
            )  # fmt: skip
    money_row(
        ws, ["合计", f"{len(v['vouchers'])}张", "", "", "", "", "", v["debit_fen"], v["credit_fen"]], {7, 8}, bold=True
    )
    book.save(path)
    audit_event(uow, ctx, "accounting.export", "accounting", month, what="vouchers", region=v["region"])
    return v


def write_trial_balance(uow: UnitOfWork, ctx: Ctx, path: Path, *, month: str, region: str | None) -> dict[str, Any]:
    """One row per subject (details indented under their parent), 合计 of the top-level subjects."""
    t = A.trial_balance(uow, ctx, month=month, region=region)
    book = Workbook(write_only=True)
    ws = book.create_sheet("试算平衡表")
    sheet_head(ws, trial_title(t), TRIAL_HEADER)
    for r in t["rows"]:
        money_row(
            ws,
            [r["code"], "　" * (r["level"] - 1) + r["short"], r["class_zh"], *(r[k] or None for k in TRIAL_KEYS)],
            TRIAL_MONEY,
        )  # fmt: skip
    s = t["totals"]
    money_row(
        ws,
        ["合计", "", "", *(s[k] for k in TRIAL_KEYS)],
        TRIAL_MONEY, bold=True,
    )  # fmt: skip
    ws.append(["试算结果：" + ("平衡" if t["balanced"] else "不平衡")])
    book.save(path)
    audit_event(uow, ctx, "accounting.export", "accounting", month, what="trial_balance", region=t["region"])
    return t


WRITERS: dict[str, Callable[..., dict[str, Any]]] = {"vouchers": write_vouchers, "trial-balance": write_trial_balance}


def filename(which: str, month: str, region: str) -> str:
    return f"accounting-{which}-{region}-{month}.xlsx"
