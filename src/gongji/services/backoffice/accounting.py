"""Fund accounting for finance [seed 003 附件四; SPEC §7 Accounting]: journal vouchers (记账凭证) and
the trial balance (试算平衡表) of a pooling region and month, from the ledger, by the subject mapping
in ``gongji/data/accounting`` (rules in ``domain.accounting``, SQL in ``accounting_sql``).

Who: staff whose scope covers the region asked for — a region's own staff its books, the
province's staff every region's and the province's total (region ``330000``). A ledger account
that no mapping row covers refuses every voucher and balance (E_ACCOUNTING_UNMAPPED) rather than
leaving money out of the books.
"""

from __future__ import annotations

from datetime import datetime, time
from functools import lru_cache
from importlib import resources
from typing import Any

from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain.accounting import CLASSES, Chart, parse_chart, parse_month, split_balance
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import AccountingUnmapped, InvalidRequest, OutOfRegion
from gongji.domain.registry import region_in_scope, scope_prefix
from gongji.services.auth import Principal, Role
from gongji.services.backoffice import accounting_sql as Q
from gongji.services.registry.context import Ctx

VOUCHER_WORD = "记"  # 记账凭证 numbered 记字第N号


@lru_cache(maxsize=1)
def chart() -> Chart:
    folder = resources.files("gongji") / "data" / "accounting"
    texts = [(folder / name).read_text(encoding="utf-8") for name in ("subjects.csv", "mapping.csv", "summaries.csv")]
    return parse_chart(*texts)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = parse_month(month)
    start = datetime.combine(datetime(year, mon, 1).date(), time(), SHANGHAI)
    end = datetime.combine(datetime(year + (mon == 12), mon % 12 + 1, 1).date(), time(), SHANGHAI)
    return start, end


def region_name(code: str) -> str:
    """``330203`` → 宁波市海曙区, ``330100`` → 杭州市, ``330000`` → 浙江省 (as finance heads its tables)."""
    table = region_table()
    if not table.is_known(code):
        return code
    if code.endswith("0000"):
        return table.name(code)
    return table.full_name(code).removeprefix(table.name(f"{code[:2]}0000"))


def scope(principal: Principal, region: str | None) -> str:
    """The region asked for (default: the staff member's first scope), if the staff member covers it."""
    principal.require(Role.STAFF)
    code = (region or "").strip() or (principal.regions[0] if principal.regions else "")
    if len(code) != 6 or not code.isdigit():
        raise InvalidRequest("统筹区代码应为6位数字", "region must be a 6-digit code", field="region")
    if not region_in_scope(code, list(principal.regions)):
        raise OutOfRegion("无权查看该统筹区的会计账簿", "These books are outside your regions", region=code)
    return code


def _like(region: str) -> str:
    return f"{scope_prefix(region)}%"


def require_mapped(uow: UnitOfWork, end: datetime) -> None:
    missing = Q.unmapped(uow.session.connection(), chart(), end=end)
    if missing:
        raise AccountingUnmapped(accounts=[f"{code} ({kind})" for code, kind in missing])


def regions(principal: Principal) -> list[dict[str, str]]:
    """The books the staff member may open, for the region filter: each scope, and the cities of
    a province or the counties of a city under it (GB/T 2260)."""
    principal.require(Role.STAFF)
    table, found = region_table(), []
    for code in principal.regions:
        found.append(code)
        if table.is_known(code):
            found += [r.code for r in table.children(code)]
    return [{"code": c, "name": region_name(c)} for c in dict.fromkeys(found)]


def vouchers(uow: UnitOfWork, ctx: Ctx, *, month: str, region: str | None = None) -> dict[str, Any]:
    """The month's vouchers of ``region`` (a pooling region, or a city or the province: all of its
    regions, each numbered on its own), each with its debit and credit lines in fen."""
    code = scope(ctx.principal, region)
    start, end = month_bounds(month)
    require_mapped(uow, end)
    c = chart()
    out: list[dict[str, Any]] = []
    for row in Q.voucher_lines(uow.session.connection(), c, start=start, end=end, region_like=_like(code)):
        if not out or (out[-1]["region"], out[-1]["no"]) != (row.region, int(row.no)):
            out.append(
                {
                    "region": row.region,
                    "region_name": region_name(row.region),
                    "no": int(row.no),
                    "number": f"{VOUCHER_WORD}字第{int(row.no)}号",
                    "date": str(row.day),
                    "kind": row.kind,
                    "summary": f"{c.summary(row.kind)}（{int(row.txns)}笔）",
                    "txns": int(row.txns),
                    "lines": [],
                    "debit_fen": 0,
                    "credit_fen": 0,
                }
            )
        v = out[-1]
        debit, credit = split_balance(int(row.net))
        v["lines"].append(
            {"code": c.code(row.subject), "subject": row.subject, "debit_fen": debit, "credit_fen": credit}
        )
        v["debit_fen"] += debit
        v["credit_fen"] += credit
    for v in out:  # debits first, then by subject code (as ``domain.accounting.voucher_lines``)
        v["lines"].sort(key=lambda ln: (ln["debit_fen"] == 0, ln["code"]))
    return {
        "month": month,
        "region": code,
        "region_name": region_name(code),
        "vouchers": out,
        "debit_fen": sum(v["debit_fen"] for v in out),
        "credit_fen": sum(v["credit_fen"] for v in out),
        "balanced": all(v["debit_fen"] == v["credit_fen"] for v in out),
    }


def trial_balance(uow: UnitOfWork, ctx: Ctx, *, month: str, region: str | None = None) -> dict[str, Any]:
    """试算平衡表: per subject (details under their parent) the opening balance, the month's debits
    and credits and the closing balance, each balance on its side; the totals of the top-level
    subjects, and whether debits equal credits in each column."""
    code = scope(ctx.principal, region)
    start, end = month_bounds(month)
    require_mapped(uow, end)
    c = chart()
    sums: dict[str, list[int]] = {}
    for row in Q.trial_balance(uow.session.connection(), c, start=start, end=end, region_like=_like(code)):
        name: str | None = row.subject
        while name is not None:  # a detail's figures count in its parents too
            acc = sums.setdefault(name, [0, 0, 0])
            acc[0] += int(row.opening)
            acc[1] += int(row.debit)
            acc[2] += int(row.credit)
            name = c.subjects[name].parent
    rows: list[dict[str, Any]] = []
    for name, (opening, debit, credit) in sorted(sums.items(), key=lambda kv: c.code(kv[0])):
        s = c.subjects[name]
        o_dr, o_cr = split_balance(opening)
        e_dr, e_cr = split_balance(opening + debit - credit)
        rows.append(
            {
                "code": s.code,
                "subject": name,
                "short": name.rsplit("/", 1)[-1],
                "level": s.level,
                "class_zh": CLASSES[s.cls],
                "opening_debit_fen": o_dr,
                "opening_credit_fen": o_cr,
                "debit_fen": debit,
                "credit_fen": credit,
                "closing_debit_fen": e_dr,
                "closing_credit_fen": e_cr,
            }
        )
    keys = (
        "opening_debit_fen",
        "opening_credit_fen",
        "debit_fen",
        "credit_fen",
        "closing_debit_fen",
        "closing_credit_fen",
    )
    totals = {k: sum(r[k] for r in rows if r["level"] == 1) for k in keys}
    balanced = all(totals[k] == totals[k2] for k, k2 in zip(keys[::2], keys[1::2], strict=True))
    return {
        "month": month,
        "region": code,
        "region_name": region_name(code),
        "rows": rows,
        "totals": totals,
        "balanced": balanced,
    }
