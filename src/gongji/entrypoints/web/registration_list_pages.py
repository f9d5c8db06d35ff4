"""Resident staff lists on the list convention (issue 17): 参保登记表 (附件1) and 保费退费申请 —
filter by date, region and status, sort, page, export to Excel (masked)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gongji.adapters.xlsx_list import XCol
from gongji.entrypoints.web.pages import _gj
from gongji.entrypoints.web.staff_list_pages import _export, _list_page
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
    profile = _gj(request).profile
    return _list_page(
        request,
        spec=RL.SPEC,
        template="resident_registrations.html",
        unit="份",
        export="/staff/resident/registrations.xlsx",
        form_id="registration-filter",
        load=lambda uow, ctx, lq: RL.page(uow, ctx, lq=lq, profile=profile),
    )


@router.get("/staff/resident/registrations.xlsx")
def registrations_export(request: Request) -> Response:
    return _export(
        request,
        spec=RL.SPEC,
        title="参保登记表",
        cols=EXPORT_COLS,
        rows=lambda uow, ctx, lq: RL.export_rows(uow, ctx, lq=lq),
    )


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
    return _list_page(
        request,
        spec=FL.SPEC,
        template="premium_refund_list.html",
        unit="笔",
        export="/staff/resident/refund-list.xlsx",
        form_id="refund-filter",
        load=lambda uow, ctx, lq: FL.page(uow, ctx, lq=lq),
    )


@router.get("/staff/resident/refund-list.xlsx")
def refund_list_export(request: Request) -> Response:
    return _export(
        request,
        spec=FL.SPEC,
        title="保费退费申请",
        sheet="退费申请",
        cols=REFUND_COLS,
        rows=lambda uow, ctx, lq: FL.export_rows(uow, ctx, lq=lq),
    )
