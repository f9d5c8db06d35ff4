"""Off-site care registrations (异地就医备案) for staff on the list convention (issue 17): by
kind, handling date, insured region and state (有效 / 待生效 / 已到期 read on today's date,
已变更 / 已取消 stored), sorted, paged, exported; names and ID numbers masked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import OffsiteRegistration as R
from gongji.adapters.db.models import Person
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import offsite as O
from gongji.domain.errors import InvalidRequest
from gongji.domain.masking import mask_id_number, mask_name
from gongji.services import listing
from gongji.services.auth import Role
from gongji.services.offsite.registration import _state_filter, view
from gongji.services.registry.context import Ctx, audit_event

SPEC = listing.ListSpec(
    sorts={"created": ("办理时间", R.created_at), "start": ("开始日期", R.start_date), "end": ("结束日期", R.end_date)},
    default_sort="created",
    default_desc=True,
    states=O.STATE_ZH,
    date_label="办理日期",
    state_label="备案状态",
)


def check_kind(kind: str) -> str:
    kind = (kind or "").strip()[:24]
    if kind and kind not in O.KIND_ZH:
        raise InvalidRequest("备案类型不存在", "Unknown registration kind", field="kind")
    return kind


def _select(ctx: Ctx, lq: listing.ListQuery, kind: str) -> Any:
    ctx.principal.require(Role.STAFF)
    stmt = select(R, Person).join(Person, Person.id == R.person_id)
    stmt = listing.filtered(stmt, lq, date_col=R.created_at, region_col=R.insured_region, scope=ctx.principal.regions)
    if kind:
        stmt = stmt.where(R.kind == check_kind(kind))
    if lq.state:
        stmt = stmt.where(_state_filter(lq.state, ctx.clock.today()))
    return listing.ordered(stmt, lq, SPEC, R.id)


def _row(ctx: Ctx, r: R, p: Person) -> dict[str, Any]:
    return view(r, ctx.clock.today()) | {
        "name": mask_name(p.name),
        "cert_no": mask_id_number(p.cert_no),
        "created_at": r.created_at,
    }


def page(uow: UnitOfWork, ctx: Ctx, *, lq: listing.ListQuery, kind: str = "") -> listing.Page:
    found = listing.page_of(uow.session, _select(ctx, lq, kind), lq)
    rows = [_row(ctx, r, p) for r, p in found.rows]
    return listing.Page(total=found.total, rows=rows, page=found.page, size=found.size)


def export_rows(uow: UnitOfWork, ctx: Ctx, *, lq: listing.ListQuery, kind: str = "") -> Iterator[list[Any]]:
    """Every matching registration (≤ 100,000), masked; the export is audited."""
    audit_event(uow, ctx, "offsite.export", "offsite_registration", None, kind=kind, **lq.params(page=1))
    for r, p in uow.session.execute(_select(ctx, lq, kind).limit(100_000).execution_options(yield_per=500)):
        v = _row(ctx, r, p)
        yield [
            v["serial"], v["created_at"], v["name"], v["cert_no"], v["kind_zh"], v["category_zh"],
            v["insured_region_name"], v["destination_name"], r.start_date, r.end_date, v["state_zh"], v["channel_zh"],
        ]  # fmt: skip
