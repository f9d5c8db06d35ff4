"""The 参保登记表 (附件1) list for staff on the list convention (issue 17): by submission date,
region (受理统筹区, ``ix_resident_registration_region_code``), status, sorted, paged, exported;
masked rows (``forms.views.view``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import ResidentRegistration as RR
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.policy.schema import Profile
from gongji.services import listing
from gongji.services.registry.context import Ctx, audit_event
from gongji.services.resident.forms.common import STATUS_NAMES, _staff
from gongji.services.resident.forms.views import view

SPEC = listing.ListSpec(
    sorts={"submitted": ("提交时间", RR.created_at), "name": ("姓名", RR.name), "birth": ("出生日期", RR.birth_date)},
    default_sort="submitted",
    default_desc=True,
    states={k: v for k, v in STATUS_NAMES.items() if k != "applied"},
    date_label="提交日期",
    state_label="审核状态",
)


def _select(ctx: Ctx, lq: listing.ListQuery) -> Any:
    _staff(ctx)
    stmt = listing.filtered(
        select(RR),
        lq,
        date_col=RR.created_at,
        region_col=RR.region_code,
        state_col=RR.status,
        scope=ctx.principal.regions,
    )
    return listing.ordered(stmt, lq, SPEC, RR.id)


def page(uow: UnitOfWork, ctx: Ctx, *, lq: listing.ListQuery, profile: Profile | None = None) -> listing.Page:
    found = listing.page_of(uow.session, _select(ctx, lq), lq, scalars=True)
    rows = [view(uow, ctx, "registration", r, profile=profile) for r in found.rows]
    return listing.Page(total=found.total, rows=rows, page=found.page, size=found.size)


def export_rows(uow: UnitOfWork, ctx: Ctx, *, lq: listing.ListQuery) -> Iterator[list[Any]]:
    """Every matching form (≤ 100,000), masked; the export is audited."""
    audit_event(uow, ctx, "resident.registration.export", "resident_registration", None, **lq.params(page=1))
    for r in uow.session.scalars(_select(ctx, lq).limit(100_000).execution_options(yield_per=500)):
        v = view(uow, ctx, "registration", r)
        yield [
            r.id,
            r.created_at,
            v["name"],
            v["cert_no"],
            v["sex_name"],
            r.birth_date,
            v["identity_name"],
            v["region_name"],
            v["enroll_region_name"],
            v["status_name"],
        ]
