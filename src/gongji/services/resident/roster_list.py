"""Full-subsidy rosters (全额资助对象花名册) for staff on the list convention (issue 17): by upload
date, the uploading office's region and status, sorted, paged, exported with the yuan each
approved roster moved. A roster lists no person here (its rows are on the approval page, masked).

A roster belongs to the regions of the clerk who uploaded it (``scope``, comma-joined): a clerk
sees it when those regions are in theirs. In SQL: a one-region roster by its region's prefix; a
roster of several regions only to a clerk of exactly those regions (never wider than allowed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, or_, select

from gongji.adapters.db.models import SubsidyRoster as R
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.policy.schema import Profile
from gongji.services import listing
from gongji.services.auth import Role
from gongji.services.registry.context import Ctx, audit_event
from gongji.services.resident.roster import STATUS_ZH

MODE_ZH = {"all_or_nothing": "全部成功才导入", "valid_only": "仅导入正确行"}
SPEC = listing.ListSpec(
    sorts={
        "uploaded": ("上传时间", R.uploaded_at),
        "year": ("待遇年度", R.benefit_year),
        "rows": ("行数", R.row_count),
    },
    default_sort="uploaded",
    default_desc=True,
    states=STATUS_ZH,
    date_label="上传日期",
    state_label="审核状态",
)


def _select(ctx: Ctx, lq: listing.ListQuery) -> Any:
    ctx.principal.require(Role.STAFF)
    regions = list(ctx.principal.regions)
    visible = or_(
        and_(R.scope.not_like("%,%"), listing.region_scope(R.scope, regions)),
        R.scope == ",".join(regions),
    )
    stmt = listing.filtered(
        select(R).where(visible), lq, date_col=R.uploaded_at, region_col=R.scope, state_col=R.status, scope=regions
    )
    return listing.ordered(stmt, lq, SPEC, R.id)


def _row(r: R, names: dict[str, str]) -> dict[str, Any]:
    result = json.loads(r.result_json) if r.result_json else {}
    return {
        "roster_id": r.id,
        "uploaded_at": r.uploaded_at,
        "benefit_year": r.benefit_year,
        "category_name": names.get(r.category_code, "其他类别"),
        "mode_name": MODE_ZH.get(r.mode, "其他"),
        "row_count": r.row_count,
        "region_name": "、".join(region_table().full_name(c) for c in r.scope.split(",") if c),
        "status": r.status,
        "status_name": STATUS_ZH.get(r.status, "其他"),
        "reviewed_at": r.reviewed_at,
        "accepted": result.get("accepted"),
        "premium_paid_fen": result.get("premium_paid_fen"),
        "paid_out_fen": result.get("paid_out_fen"),
        "family_returned_fen": result.get("family_returned_fen"),
        "review_note": r.review_note or "",
    }


def _names(profile: Profile) -> dict[str, str]:
    return {c.code: c.name for c in profile.resident.subsidy}


def page(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, lq: listing.ListQuery) -> listing.Page:
    found = listing.page_of(uow.session, _select(ctx, lq), lq, scalars=True)
    names = _names(profile)
    return listing.Page(total=found.total, rows=[_row(r, names) for r in found.rows], page=found.page, size=found.size)


def export_rows(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, lq: listing.ListQuery) -> Iterator[list[Any]]:
    """Every matching roster (≤ 100,000); the export is audited."""
    audit_event(uow, ctx, "subsidy.roster_export", "subsidy_roster", None, **lq.params(page=1))
    names = _names(profile)
    for r in uow.session.scalars(_select(ctx, lq).limit(100_000).execution_options(yield_per=500)):
        v = _row(r, names)
        yield [
            v["roster_id"], v["uploaded_at"], v["benefit_year"], v["category_name"], v["mode_name"], v["row_count"],
            v["region_name"], v["status_name"], v["reviewed_at"], v["accepted"], v["premium_paid_fen"],
            v["paid_out_fen"], v["family_returned_fen"], v["review_note"],
        ]  # fmt: skip
