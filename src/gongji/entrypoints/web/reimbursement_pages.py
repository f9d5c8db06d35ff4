"""zh-CN staff pages of 零星报销 (issue 15 §2, §6; seed 003 附件二(四)).

``/staff/reimbursements`` the claims of the clerk's regions on the list convention (issue 17:
month or dates, region, state, sort, pages, ``.xlsx``); ``…/new`` register
one (invoices and fee list); ``…/{id}`` the claim with the engine's split, 核算, 审核支付 (a second
clerk), 退回; ``…/advances?month=&region=`` the 个人账户家庭共济垫付资金清算表 and its Excel.
Rules in ``services.backoffice.reimbursement``.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from gongji.adapters.xlsx_list import XCol
from gongji.domain import reimbursement as R
from gongji.domain.errors import GongjiError, InvalidRequest
from gongji.entrypoints.web.pages import _ctx, _gj, _need, act, error_page, parse_yuan, render
from gongji.entrypoints.web.staff_list_pages import _export, _list_page
from gongji.services.auth import Principal, Role
from gongji.services.backoffice import reimbursement as U
from gongji.services.backoffice import reimbursement_advances as A
from gongji.services.backoffice import reimbursement_list as RL
from gongji.services.backoffice import reimbursement_views as V
from gongji.services.backoffice.clearing_tables import to_tempfile

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INVOICE_ROWS, FEE_ROWS = 3, 6


def _staff(request: Request) -> Principal | Response:
    return _need(request, Role.STAFF)


def _last_month(request: Request) -> str:
    today = _gj(request).clock.today()
    year, mon = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{mon:02d}"


REIMBURSE_COLS = [
    XCol("申请编号", "int", width=10),
    XCol("受理时间", "date", width=20),
    XCol("姓名", width=10),
    XCol("证件号码", width=22),
    XCol("参保地", width=24),
    XCol("报销原因", width=16),
    XCol("就医日期", "date", width=12),
    XCol("发票合计（元）", "yuan", width=14),
    XCol("应支付（元）", "yuan", width=14),
    XCol("申请状态", width=10),
]


def _month(request: Request) -> str:
    return (request.query_params.get("month") or "").strip()[:7]


@router.get("/staff/reimbursements")
def list_page(request: Request) -> Response:
    month = _month(request)
    months = [{"name": "month", "label": "受理月份", "value": month, "maxlength": 7}]
    return _list_page(
        request,
        spec=RL.SPEC,
        template="staff_reimbursements.html",
        unit="件",
        export="/staff/reimbursements.xlsx",
        form_id="reimbursement-filter",
        load=lambda uow, ctx, lq: RL.page(uow, ctx, lq=lq, month=month),
        extra=months,
        default_month=_last_month(request),
    )


@router.get("/staff/reimbursements.xlsx")
def list_export(request: Request) -> Response:
    month = _month(request)
    return _export(
        request,
        spec=RL.SPEC,
        title="零星报销申请",
        cols=REIMBURSE_COLS,
        rows=lambda uow, ctx, lq: RL.export_rows(uow, ctx, lq=lq, month=month),
    )


def _new(request: Request, principal: Principal, *, error: GongjiError | None = None, form: Any = None) -> Response:
    return render(
        request,
        "staff_reimbursement_new.html",
        principal,
        failed=error,
        f=form or {},
        key=secrets.token_hex(12),
        invoice_rows=range(1, INVOICE_ROWS + 1),
        fee_rows=range(1, FEE_ROWS + 1),
        reasons=list(R.REASON_ZH.items()),
        kinds=list(R.INSTITUTION_KINDS.items()),
        flags=list(R.ACCT_FLAGS.items()),
        today=_gj(request).clock.today().isoformat(),
    )


@router.get("/staff/reimbursements/new")
def new_page(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    return _new(request, principal)


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidRequest("日期格式应为YYYY-MM-DD", "A date is YYYY-MM-DD", field=field) from None


def _int(value: str, field: str) -> int:
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise InvalidRequest("请输入整数", "An integer is expected", field=field)
    return int(text)


def claim_from_form(form: Any) -> U.ClaimIn:
    """The claim as typed on the page: amounts in yuan, empty invoice and fee rows left out."""
    g = lambda name: str(form.get(name) or "").strip()  # noqa: E731
    invoices = tuple(
        R.Invoice(
            g(f"inv_no_{n}"),
            g(f"inv_inst_{n}"),
            g(f"inv_code_{n}") or None,
            _date(g(f"inv_date_{n}"), f"inv_date_{n}"),
            parse_yuan(g(f"inv_amount_{n}"), field=f"inv_amount_{n}"),
        )
        for n in range(1, INVOICE_ROWS + 1)
        if g(f"inv_no_{n}") or g(f"inv_amount_{n}")
    )
    fees = []
    for n in range(1, FEE_ROWS + 1):
        if not (g(f"fee_code_{n}") or g(f"fee_amount_{n}")):
            continue
        fees.append(
            U.FeeIn(
                g(f"fee_code_{n}"),
                g(f"fee_count_{n}") or "1",
                g(f"fee_price_{n}") or "0",
                parse_yuan(g(f"fee_amount_{n}"), field=f"fee_amount_{n}"),
            )
        )
    return U.ClaimIn(
        person_id=_int(g("person_id"), "person_id"),
        insutype=g("insutype") or "310",
        med_type=g("med_type") or "11",
        institution_kind=g("institution_kind") or "hospital",
        institution_level=_int(g("institution_level") or "0", "institution_level"),
        treatment_region=g("treatment_region"),
        begin_date=_date(g("begin_date"), "begin_date"),
        reason=g("reason"),
        acct_used_flag=g("acct_used_flag") or "1",
        invoices=invoices,
        fees=tuple(fees),
    )


@router.post("/staff/reimbursements")
async def register(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    form = await request.form()
    gj = _gj(request)
    try:
        claim = claim_from_form(form)
    except GongjiError as err:
        return _new(request, principal, error=err, form=form)
    key = str(form.get("key") or "")[:200]
    return act(
        request,
        principal,
        lambda uow, ctx: U.register(uow, ctx, gj.profile, claim, idempotency_key=f"web:{principal.user_id}:{key}"),
        on_error=lambda err: _new(request, principal, error=err, form=form),
        redirect_to=lambda c: f"/staff/reimbursements/{c.id}?done=registered",
    )


def _claim_page(request: Request, principal: Principal, claim_id: int, *, error: GongjiError | None = None) -> Response:
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        view = V.read_claim(uow, ctx, claim_id)
        uow.commit()
        return view

    try:
        view = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "staff_reimbursement.html",
        principal,
        failed=error,
        c=view,
        key=secrets.token_hex(12),
        done=request.query_params.get("done", ""),
        me=principal.user_id,
    )


@router.get("/staff/reimbursements/advances")
def advances_page(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    gj = _gj(request)
    q = request.query_params
    month, region = (q.get("month") or _last_month(request))[:7], (q.get("region") or "")[:6]
    province = gj.profile.profile.province_code
    try:
        table = gj.run(lambda uow: A.table(uow, principal, province, month, region=region))
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "staff_reimbursement_advances.html", principal, t=table, month=month, region=region)


@router.get("/staff/reimbursements/advances.xlsx")
def advances_xlsx(request: Request) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    gj = _gj(request)
    q = request.query_params
    month, region = (q.get("month") or "")[:7], (q.get("region") or "")[:6]
    province = gj.profile.profile.province_code
    try:
        path = gj.run(
            lambda uow: to_tempfile(lambda p: A.write_excel(uow, principal, province, month, p, region=region))
        )
    except GongjiError as err:
        return error_page(request, principal, err)
    name = f"reimbursement-advances-{province}-{month}.xlsx"
    return FileResponse(path, media_type=XLSX, filename=name, background=BackgroundTask(path.unlink, missing_ok=True))


@router.get("/staff/reimbursements/{claim_id}")
def claim_page(request: Request, claim_id: int) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    return _claim_page(request, principal, claim_id)


def _step(request: Request, claim_id: int, use_case: Any, done: str) -> Response:
    principal = _staff(request)
    if isinstance(principal, Response):
        return principal
    return act(
        request,
        principal,
        use_case,
        on_error=lambda err: _claim_page(request, principal, claim_id, error=err),
        redirect_to=lambda _: f"/staff/reimbursements/{claim_id}?done={done}",
    )


@router.post("/staff/reimbursements/{claim_id}/compute")
def compute(request: Request, claim_id: int) -> Response:
    profile = _gj(request).profile
    return _step(request, claim_id, lambda uow, ctx: U.compute(uow, ctx, profile, claim_id), "computed")


@router.post("/staff/reimbursements/{claim_id}/approve")
def approve(request: Request, claim_id: int, key: Str = "") -> Response:
    profile = _gj(request).profile
    return _step(
        request,
        claim_id,
        lambda uow, ctx: U.approve(uow, ctx, profile, claim_id, idempotency_key=f"web:{claim_id}:{key[:200] or 'x'}"),
        "paid",
    )


@router.post("/staff/reimbursements/{claim_id}/reject")
def reject(request: Request, claim_id: int, reason: Str = "") -> Response:
    return _step(request, claim_id, lambda uow, ctx: U.reject(uow, ctx, claim_id, reason=reason), "rejected")


@router.get("/me/reimbursements")
def my_claims(request: Request) -> Response:
    """The claimant sees the state of their own claims."""
    principal = _need(request, Role.CITIZEN)
    if isinstance(principal, Response):
        return principal
    claims = _gj(request).run(lambda uow: V.list_claims(uow, principal))
    return render(request, "me_reimbursements.html", principal, claims=claims)
