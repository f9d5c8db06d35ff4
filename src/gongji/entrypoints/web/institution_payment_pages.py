"""zh-CN staff pages of the monthly payment of institutions (拨付, issue 15 §2, §6).

``/staff/payments``: the statements of the clerk's regions on the list convention (issue 17:
month or dates, region, state, sort, pages, ``.xlsx``), and prepare a
region's month; ``/staff/payments/{id}``: the institutions with their shares (yuan), the
reconciliation differences per institution and per settlement (explain each), approve (a second
clerk), the payment order, the bank file and the bank's answer per institution; downloads of the
拨付结算单 (.xlsx) and the bank file (.csv). Rules: ``services.backoffice.institution_payments``.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from starlette.background import BackgroundTask

from gongji.adapters.db.models import Institution
from gongji.adapters.xlsx_list import XCol
from gongji.domain import institution_payments as D
from gongji.domain.errors import GongjiError, InvalidRequest
from gongji.domain.registry import region_in_scope
from gongji.entrypoints.web.pages import _ctx, _gj, _need, act, error_page, render
from gongji.entrypoints.web.staff_list_pages import _export, _list_page
from gongji.services.auth import Principal, Role
from gongji.services.backoffice import clearing_tables as T
from gongji.services.backoffice import institution_payment_list as PL
from gongji.services.backoffice import institution_payments as P
from gongji.services.backoffice import institution_payments_excel as X

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _last_month(request: Request) -> str:
    today = _gj(request).clock.today()
    year, mon = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{mon:02d}"


def _regions(uow: Any, principal: Principal) -> list[tuple[str, str]]:
    """Pooling regions with designated institutions, within the clerk's scope, by name."""
    codes = uow.session.scalars(select(Institution.region_code).distinct().order_by(Institution.region_code))
    return [(c, T.region_label(c)) for c in codes if region_in_scope(c, list(principal.regions))]


@router.get("/staff/payments")
def runs_page(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _runs(request, principal)


PAYMENT_COLS = [
    XCol("结算单编号", "int", width=10),
    XCol("结算月份", width=10),
    XCol("统筹区", width=24),
    XCol("编制时间", "date", width=20),
    XCol("机构数", "int", width=8),
    XCol("结算笔数", "int", width=10),
    XCol("统筹基金（元）", "yuan", width=14),
    XCol("个人账户（元）", "yuan", width=14),
    XCol("家庭共济（元）", "yuan", width=14),
    XCol("应拨付合计（元）", "yuan", width=16),
    XCol("未处理差异", "int", width=10),
    XCol("状态", width=12),
    XCol("支付单号", width=20),
]


def _month(request: Request) -> str:
    return (request.query_params.get("month") or "").strip()[:7]


def _runs(request: Request, principal: Principal, error: GongjiError | None = None) -> Response:
    gj = _gj(request)
    month = _month(request)
    try:
        regions = gj.run(lambda uow: _regions(uow, principal))
    except GongjiError as err:
        return error_page(request, principal, err)
    months = [{"name": "month", "label": "结算月份", "value": month, "maxlength": 7}]
    return _list_page(
        request,
        spec=PL.SPEC,
        template="staff_payments.html",
        unit="份",
        export="/staff/payments.xlsx",
        form_id="payment-filter",
        load=lambda uow, ctx, lq: PL.page(uow, ctx, lq=lq, month=month),
        extra=months,
        failed=error,
        regions=regions,
        default_month=_last_month(request),
    )


@router.get("/staff/payments.xlsx")
def runs_export(request: Request) -> Response:
    month = _month(request)
    return _export(
        request,
        spec=PL.SPEC,
        title="定点医药机构拨付结算单",
        cols=PAYMENT_COLS,
        rows=lambda uow, ctx, lq: PL.export_rows(uow, ctx, lq=lq, month=month),
    )


@router.post("/staff/payments")
def prepare(request: Request, region: Str = "", month: Str = "") -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return act(
        request,
        principal,
        lambda uow, ctx: P.prepare(uow, ctx, region.strip(), month.strip()),
        on_error=lambda err: _runs(request, principal, error=err),
        redirect_to=lambda run: f"/staff/payments/{run.id}?done=prepare",
    )


def _run_page(request: Request, principal: Principal, run_id: int, *, error: GongjiError | None = None) -> Response:
    gj = _gj(request)
    state = (request.query_params.get("state") or "")[:10]
    try:

        def go(uow: Any) -> dict[str, Any]:
            run = P.get_run(uow, run_id)
            P.readable(principal, run)
            return P.run_view(uow, run)

        view = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    rows = [x for x in view["lines"] if not state or x["state"] == state]
    return render(
        request,
        "staff_payments_run.html",
        principal,
        failed=error,
        v=view,
        rows=rows,
        state=state,
        line_states=list(D.LINE_STATE_ZH.items()),
        done=request.query_params.get("done", ""),
        me=principal.user_id,
        form_key=f"web-{secrets.token_hex(8)}",  # a resubmitted form is a replay, not a second answer
    )


@router.get("/staff/payments/{run_id}")
def run_page(request: Request, run_id: int) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _run_page(request, principal, run_id)


@router.get("/staff/payments/{run_id}/statement.xlsx")
def statement(request: Request, run_id: int) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal

    def go(uow: Any) -> tuple[Any, str]:
        run = P.get_run(uow, run_id)
        P.readable(principal, run)
        return T.to_tempfile(lambda p: X.write_statement(uow, run, p)), f"payments-{run.region_code}-{run.month}.xlsx"

    try:
        path, name = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return FileResponse(path, media_type=XLSX, filename=name, background=BackgroundTask(path.unlink, missing_ok=True))


@router.get("/staff/payments/{run_id}/bank.csv")
def bank(request: Request, run_id: int) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)

    def go(uow: Any) -> tuple[bytes, str]:
        run = P.get_run(uow, run_id)
        content = P.bank_export(uow, ctx, run)
        uow.commit()
        return content, f"{run.order_no}.csv"

    try:
        content, name = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return Response(
        content, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _step(request: Request, run_id: int, use_case: Any, done: str) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return act(
        request,
        principal,
        use_case,
        on_error=lambda err: _run_page(request, principal, run_id, error=err),
        redirect_to=lambda _: f"/staff/payments/{run_id}?done={done}",
    )


@router.post("/staff/payments/{run_id}/differences/{difference_id}/accept")
def accept(request: Request, run_id: int, difference_id: int, reason: Str = "") -> Response:
    return _step(
        request, run_id, lambda uow, ctx: P.accept_difference(uow, ctx, difference_id, reason=reason), "accepted"
    )


@router.post("/staff/payments/{run_id}/confirm")
def confirm(
    request: Request,
    run_id: int,
    institution: Str = "",
    outcome: Str = "",
    bank_ref: Str = "",
    request_key: Str = "",
    reason: Str = "",
) -> Response:
    if outcome not in {"paid", "rejected"}:
        principal = _need(request, Role.STAFF)
        if isinstance(principal, Response):
            return principal
        return _run_page(
            request,
            principal,
            run_id,
            error=InvalidRequest("请选择银行结果", "Choose the bank's answer", field="outcome"),
        )
    return _step(
        request,
        run_id,
        lambda uow, ctx: P.confirm(
            uow,
            ctx,
            run_id,
            institution.strip(),
            bank_ref=bank_ref,
            request_key=request_key,
            paid=outcome == "paid",
            reason=reason,
        ),
        outcome,
    )


@router.post("/staff/payments/{run_id}/{step}")
def run_step(request: Request, run_id: int, step: str, institution: Str = "") -> Response:
    steps: dict[str, Any] = {
        "approve": lambda uow, ctx: P.approve(uow, ctx, run_id),
        "order": lambda uow, ctx: P.order(uow, ctx, run_id),
        "reorder": lambda uow, ctx: P.reorder(uow, ctx, run_id, institution.strip()),
    }
    if step not in steps:
        principal = _need(request, Role.STAFF)
        if isinstance(principal, Response):
            return principal
        return error_page(request, principal, InvalidRequest("没有该步骤", "No such step", field="step"))
    return _step(request, run_id, steps[step], step)
