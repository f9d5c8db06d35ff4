"""Settlement pages for staff (issue 17): settlements per institution and day (filter, sort, page,
Excel), one institution's day with its 3201/3202 reconciliation results, and one settlement's
whole split with its reversal. Use cases: ``services.settlement.staff_lists``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gongji.adapters import xlsx_list
from gongji.adapters.xlsx_list import XCol
from gongji.domain.errors import GongjiError
from gongji.entrypoints.web.listing_view import ListView, params_of, region_options, xlsx_answer
from gongji.entrypoints.web.pages import _ctx, _gj, _need, error_page, parse_date, render
from gongji.services.auth import Role
from gongji.services.listing import ListQuery
from gongji.services.settlement import staff_lists

router = APIRouter(include_in_schema=False)
EXPORT_COLS = [
    XCol("结算日期", width=12),
    XCol("机构编码", width=16),
    XCol("机构名称", width=26),
    XCol("笔数", "int", width=8),
    XCol("医疗费总额（元）", "yuan", width=16),
    XCol("基金支付（元）", "yuan", width=16),
    XCol("个人账户（元）", "yuan", width=16),
    XCol("家庭共济（元）", "yuan", width=16),
    XCol("现金支付（元）", "yuan", width=16),
]


@router.get("/staff/settlements")
def settlements(request: Request, institution: str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    code = institution.strip()[:20]
    lv = ListView(
        q=ListQuery.parse({}, staff_lists.SPEC),
        spec=staff_lists.SPEC,
        unit="组（机构·日）",
        regions=region_options(principal.regions),
        export="/staff/settlements.xlsx",
        form_id="settlement-filter",
        extra=[{"name": "institution", "label": "机构编码", "value": code, "maxlength": 20}],
    )
    try:
        lv.q = ListQuery.parse(params_of(request.query_params), staff_lists.SPEC)
        lv.page = _gj(request).run(lambda uow: staff_lists.days(uow, ctx, lq=lv.q, institution=code))
    except GongjiError as err:
        return render(request, "staff_settlements.html", principal, failed=err, lv=lv)
    return render(request, "staff_settlements.html", principal, lv=lv)


@router.get("/staff/settlements.xlsx")
def settlements_export(request: Request, institution: str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    code = institution.strip()[:20]

    def go(uow: Any) -> Any:
        lq = ListQuery.parse(params_of(request.query_params), staff_lists.SPEC)
        rows = (
            [r["day"], r["code"], r["institution"], r["count"], r["medfee_fen"], r["fund_fen"], r["own_fen"],
             r["family_fen"], r["cash_fen"]]
            for r in staff_lists.every_day(uow, ctx, lq=lq, institution=code)
        )  # fmt: skip
        return xlsx_list.write("结算日汇总", EXPORT_COLS, rows, caption="定点医药机构结算日汇总（金额单位：元）")

    try:
        out = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return xlsx_answer("结算日汇总.xlsx", out)


@router.get("/staff/settlements/day")
def settlement_day(request: Request, institution: str = "", day: str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    try:
        when = parse_date(day, field="day")
        d = _gj(request).run(
            lambda uow: staff_lists.day_detail(uow, ctx, institution=institution.strip()[:20], day=when)
        )
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "staff_settlement_day.html", principal, d=d)


@router.get("/staff/settlements/{setl_id}")
def settlement_one(request: Request, setl_id: int) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        found = staff_lists.one(uow, ctx, setl_id=setl_id)
        uow.commit()  # the audit row of the read
        return found

    try:
        s = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "staff_settlement.html", principal, s=s)
