"""More staff lists on the list convention (issue 17): family bindings (/staff/family/bindings),
full-subsidy rosters (/staff/resident/rosters) and off-site registrations (/staff/offsite) —
filter by date, region and state, sort, page ("共 N 条"), export to Excel (masked, yuan)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gongji.adapters import xlsx_list
from gongji.adapters.xlsx_list import XCol
from gongji.domain import offsite as O
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import GongjiError
from gongji.entrypoints.web.listing_view import ListView, params_of, region_options, xlsx_answer
from gongji.entrypoints.web.pages import _ctx, _gj, _need, error_page, render, templates
from gongji.services.auth import Role
from gongji.services.family import binding_list as BL
from gongji.services.listing import ListQuery, ListSpec
from gongji.services.offsite import registration_list as OL
from gongji.services.resident import roster_list as RL

router = APIRouter(include_in_schema=False)


def localtime(at: datetime | None) -> str:
    """A stored timestamp as Beijing time to the minute (SQLite gives back naive Beijing time)."""
    if at is None:
        return "—"
    return (at if at.tzinfo else at.replace(tzinfo=SHANGHAI)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


templates.env.filters["localtime"] = localtime

BINDING_COLS = [
    XCol("绑定编号", "int", width=10),
    XCol("绑定时间", "date", width=20),
    XCol("授权人", width=10),
    XCol("授权人证件号码", width=22),
    XCol("授权人参保地", width=24),
    XCol("共济人员", width=10),
    XCol("共济人员证件号码", width=22),
    XCol("关系", width=8),
    XCol("绑定状态", width=14),
    XCol("解除时间", "date", width=20),
]
ROSTER_COLS = [
    XCol("花名册编号", "int", width=10),
    XCol("上传时间", "date", width=20),
    XCol("待遇年度", "int", width=10),
    XCol("资助类别", width=20),
    XCol("导入方式", width=14),
    XCol("行数", "int", width=8),
    XCol("经办区域", width=24),
    XCol("审核状态", width=10),
    XCol("审核时间", "date", width=20),
    XCol("导入人数", "int", width=10),
    XCol("代缴保费（元）", "yuan", width=14),
    XCol("资助金发放（元）", "yuan", width=14),
    XCol("退回家庭共济（元）", "yuan", width=16),
    XCol("审核意见", width=24),
]
OFFSITE_COLS = [
    XCol("备案编号", width=22),
    XCol("办理时间", "date", width=20),
    XCol("姓名", width=10),
    XCol("证件号码", width=22),
    XCol("备案类型", width=14),
    XCol("备案类别", width=14),
    XCol("参保地", width=24),
    XCol("就医地", width=24),
    XCol("开始日期", "date", width=12),
    XCol("结束日期", "date", width=12),
    XCol("备案状态", width=10),
    XCol("办理渠道", width=12),
]


def _list_page(
    request: Request,
    *,
    spec: ListSpec,
    template: str,
    unit: str,
    export: str,
    form_id: str,
    load: Callable[[Any, Any, ListQuery], Any],
    extra: list[dict[str, Any]] | None = None,
    failed: GongjiError | None = None,
    **more: Any,
) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    lv = ListView(
        q=ListQuery.parse({}, spec),
        spec=spec,
        unit=unit,
        regions=region_options(principal.regions),
        export=export,
        form_id=form_id,
        extra=extra or [],
    )
    try:
        lv.q = ListQuery.parse(params_of(request.query_params), spec)
        q = lv.q
        lv.page = _gj(request).run(lambda uow: load(uow, ctx, q))
    except GongjiError as err:
        return render(request, template, principal, failed=err, lv=lv, **more)
    return render(request, template, principal, failed=failed, lv=lv, **more)


def _export(
    request: Request,
    *,
    spec: ListSpec,
    title: str,
    cols: list[XCol],
    rows: Callable[[Any, Any, ListQuery], Any],
    sheet: str | None = None,
) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)

    def go(uow: Any) -> Any:
        lq = ListQuery.parse(params_of(request.query_params), spec)
        out = xlsx_list.write(sheet or title, cols, rows(uow, ctx, lq), caption=f"{title}（已脱敏）")
        uow.commit()  # the audit row of the export
        return out

    try:
        out = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return xlsx_answer(f"{title}.xlsx", out)


# --- family bindings ------------------------------------------------------------------------------


@router.get("/staff/family/bindings")
def bindings(request: Request) -> Response:
    return _list_page(
        request,
        spec=BL.SPEC,
        template="family_bindings_staff.html",
        unit="条",
        export="/staff/family/bindings.xlsx",
        form_id="binding-filter",
        load=lambda uow, ctx, lq: BL.page(uow, ctx, lq=lq),
    )


@router.get("/staff/family/bindings.xlsx")
def bindings_export(request: Request) -> Response:
    return _export(
        request,
        spec=BL.SPEC,
        title="家庭共济绑定",
        cols=BINDING_COLS,
        rows=lambda uow, ctx, lq: BL.export_rows(uow, ctx, lq=lq),
    )


# --- full-subsidy rosters ---------------------------------------------------------------------------


@router.get("/staff/resident/rosters")
def rosters(request: Request) -> Response:
    profile = _gj(request).profile
    return _list_page(
        request,
        spec=RL.SPEC,
        template="premium_roster_list.html",
        unit="份",
        export="/staff/resident/rosters.xlsx",
        form_id="roster-filter",
        load=lambda uow, ctx, lq: RL.page(uow, ctx, profile, lq=lq),
    )


@router.get("/staff/resident/rosters.xlsx")
def rosters_export(request: Request) -> Response:
    profile = _gj(request).profile
    return _export(
        request,
        spec=RL.SPEC,
        title="全额资助花名册",
        cols=ROSTER_COLS,
        rows=lambda uow, ctx, lq: RL.export_rows(uow, ctx, profile, lq=lq),
    )


# --- off-site registrations -------------------------------------------------------------------------


@router.get("/staff/offsite")
def offsite(request: Request) -> Response:
    kind = request.query_params.get("kind", "")[:24]
    kinds = [{"name": "kind", "label": "备案类型", "value": kind, "options": list(O.KIND_ZH.items())}]

    def load(uow: Any, ctx: Any, lq: ListQuery) -> Any:
        return OL.page(uow, ctx, lq=lq, kind=OL.check_kind(kind))

    return _list_page(
        request,
        spec=OL.SPEC,
        template="offsite_staff.html",
        unit="件",
        export="/staff/offsite.xlsx",
        form_id="offsite-filter",
        load=load,
        extra=kinds,
    )


@router.get("/staff/offsite.xlsx")
def offsite_export(request: Request) -> Response:
    kind = request.query_params.get("kind", "")[:24]
    return _export(
        request,
        spec=OL.SPEC,
        title="异地就医备案",
        cols=OFFSITE_COLS,
        rows=lambda uow, ctx, lq: OL.export_rows(uow, ctx, lq=lq, kind=OL.check_kind(kind)),
    )
