"""Resident staff lists on the list convention (issue 17): 参保登记表 (附件1) and 保费退费申请 —
filter by date, region and status, sort, page, export to Excel (masked)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gongji.adapters import xlsx_list
from gongji.adapters.xlsx_list import XCol
from gongji.domain.errors import GongjiError
from gongji.entrypoints.web.listing_view import ListView, params_of, region_options, xlsx_answer
from gongji.entrypoints.web.pages import _ctx, _gj, _need, error_page, render
from gongji.services.auth import Role
from gongji.services.listing import ListQuery
from gongji.services.resident import refund_list as FL
from gongji.services.resident import registration_list as RL

router = APIRouter(include_in_schema=False)
EXPORT_COLS = [
    XCol("登记表编号", "int", width=10),
    XCol("提交时间", "date", width=20),
    XCol("姓名", width=10),
    XCol("证件号码", width=22),
    XCol("性别", width=6),
    XCol("出生日期", "date", width=12),
    XCol("申请人身份", width=16),
    XCol("受理地", width=24),
    XCol("参保地", width=24),
    XCol("审核状态", width=10),
]


@router.get("/staff/resident/registrations")
def registrations(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    gj = _gj(request)
    lv = ListView(
        q=ListQuery.parse({}, RL.SPEC),
        spec=RL.SPEC,
        unit="份",
        regions=region_options(principal.regions),
        export="/staff/resident/registrations.xlsx",
        form_id="registration-filter",
    )
    try:
        lv.q = ListQuery.parse(params_of(request.query_params), RL.SPEC)
        lv.page = gj.run(lambda uow: RL.page(uow, ctx, lq=lv.q, profile=gj.profile))
    except GongjiError as err:
        return render(request, "resident_registrations.html", principal, failed=err, lv=lv)
    return render(request, "resident_registrations.html", principal, lv=lv)


@router.get("/staff/resident/registrations.xlsx")
def registrations_export(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)

    def go(uow: Any) -> Any:
        lq = ListQuery.parse(params_of(request.query_params), RL.SPEC)
        rows = RL.export_rows(uow, ctx, lq=lq)
        out = xlsx_list.write("参保登记表", EXPORT_COLS, rows, caption="参保登记表（已脱敏）")
        uow.commit()  # the audit row of the export
        return out

    try:
        out = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return xlsx_answer("参保登记表.xlsx", out)


# --- premium refund requests (保费退费申请) on the list convention -------------------------------

REFUND_COLS = [
    XCol("申请编号", "int", width=10),
    XCol("申请时间", "date", width=20),
    XCol("参保人", width=10),
    XCol("证件号码", width=22),
    XCol("待遇年度", "int", width=10),
    XCol("险种", width=22),
    XCol("缴费渠道", width=14),
    XCol("缴费金额（元）", "yuan", width=14),
    XCol("退费原因", width=24),
    XCol("审核状态", width=10),
    XCol("退费金额（元）", "yuan", width=14),
]


@router.get("/staff/resident/refund-list")
def refund_list(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    lv = ListView(
        q=ListQuery.parse({}, FL.SPEC),
        spec=FL.SPEC,
        unit="笔",
        regions=region_options(principal.regions),
        export="/staff/resident/refund-list.xlsx",
        form_id="refund-filter",
    )
    try:
        lv.q = ListQuery.parse(params_of(request.query_params), FL.SPEC)
        lv.page = _gj(request).run(lambda uow: FL.page(uow, ctx, lq=lv.q))
    except GongjiError as err:
        return render(request, "premium_refund_list.html", principal, failed=err, lv=lv)
    return render(request, "premium_refund_list.html", principal, lv=lv)


@router.get("/staff/resident/refund-list.xlsx")
def refund_list_export(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)

    def go(uow: Any) -> Any:
        lq = ListQuery.parse(params_of(request.query_params), FL.SPEC)
        rows = FL.export_rows(uow, ctx, lq=lq)
        out = xlsx_list.write("退费申请", REFUND_COLS, rows, caption="保费退费申请（已脱敏）")
        uow.commit()  # the audit row of the export
        return out

    try:
        out = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return xlsx_answer("保费退费申请.xlsx", out)
