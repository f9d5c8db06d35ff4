"""zh-CN staff pages for manual personal-account income under maker–checker (issue 12 Part C).

- ``/staff/incomes``: the entries waiting for a second clerk in the clerk's regions (masked), each
  linking to its confirmation page.
- ``/staff/incomes/{id}``: what approving will do — the person, the account credited, the amount
  and the balance before and after — with 确认入账 (a checkbox confirms) and 驳回 (a reason).
  The clerk who entered it is told a second clerk must approve (E_FOUR_EYES); a refusal is shown
  in Chinese with its code, never a 500.

The entry form is on the person's page (``pages.staff_post_income``); the use cases are
``services.registry.income``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.domain.errors import GongjiError, InvalidRequest
from gongji.entrypoints.web.pages import _ctx, _fmt_time, _gj, _limit, _need, _region_name, act, error_page, render
from gongji.services.auth import Principal, Role
from gongji.services.registry import income
from gongji.services.registry.persons import Ctx

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]
STATUS_ZH = {"pending": "待复核", "posted": "已入账", "rejected": "已驳回", "reversed": "已冲正"}


def _row(view: dict[str, Any]) -> dict[str, Any]:
    return view | {
        "status_zh": STATUS_ZH.get(view["status"], view["status"]),
        "region_name": _region_name(view["region_code"]),
        "entered_at_text": _fmt_time(datetime.fromisoformat(view["entered_at"])),
    }


@router.get("/staff/incomes")
def pending_page(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    try:
        rows = _gj(request).run(lambda uow: income.pending_incomes(uow, ctx))
    except GongjiError as err:
        return error_page(request, principal, err)
    rules = _gj(request).profile.accounts.manual_income
    return render(
        request,
        "staff_incomes.html",
        principal,
        rows=[_row(r) for r in rows],
        threshold_fen=rules.approval_above_fen,
    )


def _review_page(
    request: Request, principal: Principal, income_id: int, *, error: GongjiError | None = None
) -> Response:
    ctx = _ctx(request, principal)
    try:
        view = _gj(request).run(lambda uow: income.income_for_review(uow, ctx, income_id=income_id))
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "staff_income_review.html",
        principal,
        failed=error,
        r=_row(view),
        own_entry=view["entered_by_user_id"] == principal.user_id,
    )


@router.get("/staff/incomes/{income_id}")
def review_page(request: Request, income_id: int) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _review_page(request, principal, income_id)


def _decide(request: Request, income_id: int, decision: Any) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return act(
        request,
        principal,
        decision,
        on_error=lambda err: _review_page(request, principal, income_id, error=err),
        redirect_to=lambda flash: f"/staff/incomes?ok={flash}",
    )


@router.post("/staff/incomes/{income_id}/approve")
def approve(request: Request, income_id: int, confirm: Str = "") -> Response:
    """复核通过: only after the checker ticked that they checked the amount and the account."""

    def go(uow: Any, ctx: Ctx) -> str:
        if confirm != "1":
            raise InvalidRequest("请先核对金额和入账账户并勾选确认", "Tick the confirmation first", field="confirm")
        income.approve_income(uow, ctx, income_id=income_id)
        return "income_approved"

    return _decide(request, income_id, go)


@router.post("/staff/incomes/{income_id}/reject")
def reject(request: Request, income_id: int, reason: Str = "") -> Response:
    def go(uow: Any, ctx: Ctx) -> str:
        income.reject_income(uow, ctx, income_id=income_id, reason=_limit(reason, 200, "reason"))
        return "income_rejected"

    return _decide(request, income_id, go)
