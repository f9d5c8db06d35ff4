"""零星报销 claims for staff on the list convention (issue 17; seed 003 附件二(四)): by 受理 date or
month, the claimant's region (inside the clerk's scope) and state, sorted, paged, exported to
Excel (yuan, names and ID numbers masked, the export audited)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import Person
from gongji.adapters.db.models import ReimbursementClaim as C
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import reimbursement as R
from gongji.services import listing
from gongji.services.auth import Role
from gongji.services.backoffice.reimbursement_views import month_range, summary
from gongji.services.registry.context import Ctx, audit_event

SPEC = listing.ListSpec(
    sorts={
        "registered": ("受理时间", C.registered_at),
        "begin": ("就医日期", C.begin_date),
        "total": ("发票金额", C.total_fen),
    },
    default_sort="registered",
    default_desc=True,
    states=R.STATE_ZH,
    date_label="受理日期",
    state_label="申请状态",
)


def _select(ctx: Ctx, lq: listing.ListQuery, month: str) -> Any:
    ctx.principal.require(Role.STAFF)
    stmt = select(C, Person).join(Person, Person.id == C.person_id)
    stmt = listing.filtered(
        stmt, lq, date_col=C.registered_at, region_col=C.region_code, state_col=C.state, scope=ctx.principal.regions
    )
    if month:
        start, end = month_range(month)
        stmt = stmt.where(C.registered_at >= start, C.registered_at < end)
    return listing.ordered(stmt, lq, SPEC, C.id)


def page(uow: UnitOfWork, ctx: Ctx, *, lq: listing.ListQuery, month: str = "") -> listing.Page:
    found = listing.page_of(uow.session, _select(ctx, lq, month), lq)
    rows = [summary(c, p) for c, p in found.rows]
    return listing.Page(total=found.total, rows=rows, page=found.page, size=found.size)


def export_rows(uow: UnitOfWork, ctx: Ctx, *, lq: listing.ListQuery, month: str = "") -> Iterator[list[Any]]:
    """Every matching claim (≤ 100,000), masked; the export is audited."""
    audit_event(uow, ctx, "reimburse.export", "reimbursement_claim", None, month=month, **lq.params(page=1))
    for c, p in uow.session.execute(_select(ctx, lq, month).limit(100_000).execution_options(yield_per=500)):
        v = summary(c, p)
        yield [
            c.id, c.registered_at, v["person_name"], v["cert_no"], v["region_name"], v["reason_zh"], c.begin_date,
            v["total_fen"], v["payout_fen"], v["state_zh"],
        ]  # fmt: skip
