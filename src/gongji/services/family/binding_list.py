"""Family bindings (家庭共济绑定) for staff on the list convention (issue 17): by binding date,
the authorizer's insured region and state, sorted, paged, exported; both parties masked.

A binding is in a clerk's scope when its authorizer (whose account pays) is enrolled in one of
the clerk's regions: an EXISTS over the authorizer's enrollments carries the scope and the list's
region filter, as the person search does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from gongji.adapters.db.models import Enrollment, FamilyBinding, Person
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import family as F
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.relations import RELATION_ZH
from gongji.services import listing
from gongji.services.auth import Role
from gongji.services.registry.context import Ctx, audit_event

B = FamilyBinding
Authorizer = aliased(Person)
Relative = aliased(Person)
SPEC = listing.ListSpec(
    sorts={"created": ("绑定时间", B.created_at), "ended": ("解除时间", B.ended_at), "relation": ("关系", B.relation)},
    default_sort="created",
    default_desc=True,
    states=F.BINDING_STATUS_ZH,
    date_label="绑定日期",
    state_label="绑定状态",
)


def _select(ctx: Ctx, lq: listing.ListQuery) -> Any:
    ctx.principal.require(Role.STAFF)
    in_scope = listing.filtered(
        select(Enrollment.id).where(Enrollment.person_id == B.authorizer_id),
        lq,
        region_col=Enrollment.region_code,
        scope=ctx.principal.regions,
    )
    stmt = (
        select(B, Authorizer, Relative)
        .join(Authorizer, Authorizer.id == B.authorizer_id)
        .join(Relative, Relative.id == B.relative_id)
        .where(in_scope.exists())
    )
    stmt = listing.filtered(stmt, lq, date_col=B.created_at, state_col=B.status)
    return listing.ordered(stmt, lq, SPEC, B.id)


def _regions(uow: UnitOfWork, ctx: Ctx, person_ids: set[int]) -> dict[int, str]:
    """Each authorizer's first insured region in the clerk's scope, by name."""
    out: dict[int, str] = {}
    if person_ids:
        found = uow.session.execute(
            select(Enrollment.person_id, Enrollment.region_code)
            .where(
                Enrollment.person_id.in_(person_ids),
                listing.region_scope(Enrollment.region_code, ctx.principal.regions),
            )
            .order_by(Enrollment.person_id, Enrollment.id)
        )
        for pid, code in found:
            out.setdefault(pid, region_table().full_name(code))
    return out


def _row(b: FamilyBinding, a: Person, r: Person, regions: dict[int, str]) -> dict[str, Any]:
    return {
        "binding_id": b.id,
        "authorizer_id": a.id,
        "authorizer_name": mask_name(a.name),
        "authorizer_cert": mask_id_number(a.cert_no),
        "relative_name": mask_name(r.name),
        "relative_cert": mask_id_number(r.cert_no),
        "relation_name": RELATION_ZH.get(b.relation, "其他"),  # type: ignore[call-overload]
        "region_name": regions.get(a.id, ""),
        "status_name": F.BINDING_STATUS_ZH.get(b.status, "其他"),
        "created_at": b.created_at,
        "ended_at": b.ended_at,
    }


def page(uow: UnitOfWork, ctx: Ctx, *, lq: listing.ListQuery) -> listing.Page:
    found = listing.page_of(uow.session, _select(ctx, lq), lq)
    regions = _regions(uow, ctx, {a.id for _, a, _ in found.rows})
    rows = [_row(b, a, r, regions) for b, a, r in found.rows]
    return listing.Page(total=found.total, rows=rows, page=found.page, size=found.size)


def export_rows(uow: UnitOfWork, ctx: Ctx, *, lq: listing.ListQuery) -> Iterator[list[Any]]:
    """Every matching binding (≤ 100,000), masked, in batches of 500; the export is audited."""
    audit_event(uow, ctx, "family.binding_export", "family_binding", None, **lq.params(page=1))
    batch: list[Any] = []

    def flush() -> Iterator[list[Any]]:
        regions = _regions(uow, ctx, {a.id for _, a, _ in batch})
        for b, a, r in batch:
            v = _row(b, a, r, regions)
            yield [
                v["binding_id"], v["created_at"], v["authorizer_name"], v["authorizer_cert"], v["region_name"],
                v["relative_name"], v["relative_cert"], v["relation_name"], v["status_name"], v["ended_at"],
            ]  # fmt: skip

    for row in uow.session.execute(_select(ctx, lq).limit(100_000).execution_options(yield_per=500)):
        batch.append(row)
        if len(batch) == 500:
            yield from flush()
            batch = []
    if batch:
        yield from flush()
