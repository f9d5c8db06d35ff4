"""个人账户家庭共济垫付资金清算表 (seed 003 附件二(四)): per authorizer region and month, the 零星报销
that a relative's region advanced on an authorizer insured in another pooling region — who, how
much, which claims — so that the authorizer's region pays it back. The money itself moves through
the monthly clearing between cities (``clearing``: a paid claim is a detail row there, the pair
accounts of ``advances`` carry it); this table is what the authorizer's region checks and pays by.

Staff see the rows where the advancing or the owing region is theirs. Names are masked. The Excel
is written with openpyxl write-only, rows streamed from the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from gongji.adapters.db.models import Person, ReimbursementClaim, ReimbursementDraw
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain.masking import mask_name
from gongji.domain.registry import scope_prefix
from gongji.services.auth import Principal, Role
from gongji.services.backoffice.clearing_sql import month_bounds
from gongji.services.backoffice.clearing_tables import MONEY, yuan
from gongji.services.backoffice.reimbursement_views import month_range, region_name

HEADERS = (
    "序号",
    "授权人参保地代码",
    "授权人参保地",
    "报销申请号",
    "支付时间",
    "垫付地（近亲属参保地）代码",
    "垫付地（近亲属参保地）",
    "近亲属",
    "授权人",
    "垫付金额",
)
STREAM_ROWS = 2000


def _query(principal: Principal, province: str, month: str, region: str = "") -> Any:
    """Paid claims of ``month`` whose family draw is on an authorizer of another pooling region,
    both in ``province``, visible to ``principal`` (either side in scope)."""
    principal.require(Role.STAFF)
    month_range(month)  # refuses a malformed month
    start, end = month_bounds(month)
    relative, authorizer = aliased(Person), aliased(Person)
    c, d = ReimbursementClaim, ReimbursementDraw
    scopes = [scope_prefix(r) for r in principal.regions]
    q = (
        select(
            d.region_code.label("owing_region"),
            c.id.label("claim_id"),
            c.paid_time,
            c.region_code.label("advancing_region"),
            relative.name.label("relative_name"),
            authorizer.name.label("authorizer_name"),
            d.amount_fen,
        )
        .select_from(d)
        .join(c, c.id == d.claim_id)
        .join(relative, relative.id == c.person_id)
        .join(authorizer, authorizer.id == d.authorizer_id)
        .where(
            c.state == "paid",
            c.paid_time >= start,
            c.paid_time < end,
            c.region_code != d.region_code,
            c.region_code.startswith(province),
            d.region_code.startswith(province),
            or_(*(or_(c.region_code.startswith(p), d.region_code.startswith(p)) for p in scopes)),
        )
        .order_by(d.region_code, c.id, d.id)
    )
    if region:
        p = scope_prefix(region[:6])
        q = q.where(or_(and_(d.region_code.startswith(p)), c.region_code.startswith(p)))
    return q


def _row(x: Any) -> dict[str, Any]:
    return {
        "claim_id": int(x.claim_id),
        "paid_time": x.paid_time.strftime("%Y-%m-%d %H:%M:%S") if x.paid_time else None,
        "owing_region": x.owing_region,
        "owing_name": region_name(x.owing_region),
        "advancing_region": x.advancing_region,
        "advancing_name": region_name(x.advancing_region),
        "relative_name": mask_name(x.relative_name),
        "authorizer_name": mask_name(x.authorizer_name),
        "amount_fen": int(x.amount_fen),
    }


def table(uow: UnitOfWork, principal: Principal, province: str, month: str, *, region: str = "") -> dict[str, Any]:
    """The table as JSON: per authorizer region, its rows and subtotal; the grand total."""
    groups: dict[str, dict[str, Any]] = {}
    for x in uow.session.execute(_query(principal, province, month, region)):
        row = _row(x)
        g = groups.setdefault(
            row["owing_region"],
            {
                "region_code": row["owing_region"],
                "region_name": row["owing_name"],
                "items": 0,
                "total_fen": 0,
                "rows": [],
            },
        )
        g["items"] += 1
        g["total_fen"] += row["amount_fen"]
        g["rows"].append(row)
    regions = list(groups.values())
    return {
        "month": month,
        "title": title(province, month),
        "regions": regions,
        "items": sum(g["items"] for g in regions),
        "total_fen": sum(g["total_fen"] for g in regions),
    }


def title(province: str, month: str) -> str:
    year, mon = month.split("-")
    return f"{region_table().name(f'{province}0000')}个人账户家庭共济垫付资金清算表（{year}年{int(mon)}月）"


def _rows(uow: UnitOfWork, query: Any) -> Iterator[dict[str, Any]]:
    result = uow.session.execute(query.execution_options(stream_results=True, yield_per=STREAM_ROWS))
    for x in result:
        yield _row(x)


def write_excel(
    uow: UnitOfWork, principal: Principal, province: str, month: str, out: BinaryIO | Path, *, region: str = ""
) -> int:
    """The .xlsx as finance prints it: title, 单位：元, headers, rows by authorizer region with a
    小计 after each region, then 合计. Returns the number of claim rows."""
    query = _query(principal, province, month, region)
    book = Workbook(write_only=True)
    ws = book.create_sheet("垫付资金清算表")
    for col, width in zip("ABCDEFGHIJ", (6, 12, 18, 10, 20, 14, 18, 10, 10, 14), strict=True):
        ws.column_dimensions[col].width = width
    head = WriteOnlyCell(ws, value=title(province, month))
    head.font, head.alignment = Font(bold=True, size=14), Alignment(horizontal="center")
    ws.append([head])
    ws.append([None] * (len(HEADERS) - 1) + ["单位：元"])
    ws.append([_bold(ws, h) for h in HEADERS])

    def money(fen: int, bold: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=yuan(fen))
        cell.number_format = MONEY
        if bold:
            cell.font = Font(bold=True)
        return cell

    n = total = sub = sub_n = 0
    current: str | None = None

    def subtotal() -> None:
        assert current is not None
        ws.append(
            [None, current, _bold(ws, f"{region_name(current)} 小计"), f"{sub_n}笔"] + [None] * 5 + [money(sub, True)]
        )

    for row in _rows(uow, query):
        if current is not None and row["owing_region"] != current:
            subtotal()
            sub = sub_n = 0
        current = row["owing_region"]
        n += 1
        sub_n += 1
        sub += row["amount_fen"]
        total += row["amount_fen"]
        ws.append(
            [
                n,
                row["owing_region"],
                row["owing_name"],
                row["claim_id"],
                row["paid_time"],
                row["advancing_region"],
                row["advancing_name"],
                row["relative_name"],
                row["authorizer_name"],
                money(row["amount_fen"]),
            ]
        )
    if current is not None:
        subtotal()
    ws.append([_bold(ws, "合计"), None, None, f"{n}笔"] + [None] * 5 + [money(total, True)])
    book.save(out)
    return n


def _bold(ws: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.font = Font(bold=True)
    return cell
