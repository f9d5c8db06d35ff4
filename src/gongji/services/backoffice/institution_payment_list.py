"""拨付结算单 (monthly payment statements of institutions) for staff on the list convention (issue 17):
by 结算月份 or 编制日期, pooling region (inside the clerk's scope) and state, sorted, paged, exported to
Excel in yuan (the export audited). Statements name institutions, not persons: nothing to mask."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import InstitutionPaymentRun as Run
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import institution_payments as D
from gongji.services import listing
from gongji.services.auth import Role
from gongji.services.backoffice.clearing import _check_month
from gongji.services.backoffice.institution_payments import run_view
from gongji.services.registry.context import Ctx, audit_event

SPEC = listing.ListSpec(
    sorts={
        "month": ("结算月份", Run.month),
        "prepared": ("编制时间", Run.prepared_at),
        "total": ("应拨付合计", Run.total_fen),
    },
    default_sort="month",
    default_desc=True,
    states=D.RUN_STATE_ZH,
    date_label="编制日期",
    state_label="结算单状态",
)


def _select(ctx: Ctx, lq: listing.ListQuery, month: str) -> Any:
    ctx.principal.require(Role.STAFF)
    stmt = listing.filtered(
        select(Run), lq, date_col=Run.prepared_at, region_col=Run.region_code, state_col=Run.state,
        scope=ctx.principal.regions,
    )  # fmt: skip
    if month:
        stmt = stmt.where(Run.month == _check_month(month))
    return listing.ordered(stmt, lq, SPEC, Run.id)


def page(uow: UnitOfWork, ctx: Ctx, *, lq: listing.ListQuery, month: str = "") -> listing.Page:
    found = listing.page_of(uow.session, _select(ctx, lq, month), lq, scalars=True)
    rows = [run_view(uow, r) for r in found.rows]
    return listing.Page(total=found.total, rows=rows, page=found.page, size=found.size)


def export_rows(uow: UnitOfWork, ctx: Ctx, *, lq: listing.ListQuery, month: str = "") -> Iterator[list[Any]]:
    """Every matching statement (≤ 100,000); the export is audited."""
    audit_event(uow, ctx, "payment.export", "institution_payment_run", None, month=month, **lq.params(page=1))
    for r in list(uow.session.scalars(_select(ctx, lq, month).limit(100_000))):
        v = run_view(uow, r)
        yield [
            r.id, r.month, v["region_name"], r.prepared_at, v["institutions"], v["settlements"], v["fund_fen"],
            v["own_acct_fen"], v["family_fen"], v["total_fen"], v["open_differences"], v["state_zh"], r.order_no,
        ]  # fmt: skip
