"""zh-CN pages for premium refunds (退费办理, seed 002 §七; 退费核销, seed 003 附件三(二)4); the
full-subsidy roster's pages are ``roster_pages``.

- Staff, ``/staff/resident/refunds?status=``: the refund requests of their regions (masked), each
  with its quote — what goes back to the payer and what is withheld for the medical-assistance
  fund — or the reason it can no longer be refunded; a requested one is rejected with a required
  note, or approved after a confirmation page showing the amounts (POST → 303 → GET with a flash).
- Citizens, ``/me/premiums``: their own resident premium for this and next benefit year with its
  payments, and the premiums they paid for relatives from the family account; a payment in force
  links 申请退费 → ``/me/premiums/{payment_id}/refund``: reason (and note) → the quote → confirm →
  back to ``/me/premiums`` with the request's status. A refusal is shown in Chinese with its code.

The use cases are ``services.resident.refunds`` and ``services.resident.channels.payment_status``;
who may see or ask what is decided there. ID numbers never go into URLs; names and ID numbers
are shown masked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.domain.errors import FourEyesRequired, GongjiError, InvalidRequest
from gongji.domain.masking import mask_text
from gongji.domain.registry import EMPLOYEE_INSUTYPES
from gongji.entrypoints.web.family_pages import _citizen
from gongji.entrypoints.web.pages import (
    FLASH,
    _ctx,
    _err_view,
    _fmt_time,
    _gj,
    _limit,
    _need,
    act,
    error_page,
    render,
)
from gongji.policy.schema import Profile
from gongji.services.auth import Principal, Role
from gongji.services.registry import persons as registry
from gongji.services.registry.persons import Ctx
from gongji.services.resident import channels as premium_channels
from gongji.services.resident import refunds as premium_refunds
from gongji.services.resident import views as P
from gongji.services.resident.premiums import (
    CHANNEL_FAMILY,
    PAID,
    REFUND_REASON_ZH,
    REFUND_STATUS_ZH,
    REQUESTED,
    STATUS_ZH,
)

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]

REFUND_FLASH = {
    "refund_requested": "退费申请已提交，等待医保经办机构审核",
    "refund_approved": "审核通过，保费已按原渠道退回，并已通知税务部门",
    "refund_rejected": "已审核为不通过，缴费人可重新申请",
}
PAYMENT_STATUS_ZH = STATUS_ZH | {"refund": "退费"}
REASON_REFUSALS = (
    "E_UNKNOWN_CODE",
    "E_RESIDENT_REFUND_REASON",
    "E_RESIDENT_REFUND_NO_EMPLOYEE_ENROLLMENT",
    "E_RESIDENT_REFUND_NO_DEATH_RECORD",
    "E_RESIDENT_REFUND_EVIDENCE",
)
"""Refusals of the reason chosen, not of the payment: the form is shown again to pick another."""


def _flash(request: Request) -> str | None:
    code = request.query_params.get("ok", "")
    return REFUND_FLASH.get(code) or FLASH.get(code)


def _time(value: str | None) -> str:
    return _fmt_time(datetime.fromisoformat(value)) if value else ""


def _fen(fen: int | None) -> int:
    return int(fen or 0)


def _run_commit(request: Request, use_case: Callable[[Any], Any]) -> Any:
    def go(uow: Any) -> Any:
        result = use_case(uow)
        uow.commit()
        return result

    return _gj(request).run(go)


# --- staff: refund review ------------------------------------------------------------------------


def _quote_or_refusal(uow: Any, ctx: Ctx, profile: Profile, item: dict[str, Any]) -> dict[str, Any]:
    """What approving a pending request would move now (as ``review_refund`` decides), or the
    refusal to show instead."""
    if item["status"] != REQUESTED:
        return {"quote": None, "refusal": None}
    try:
        quote = premium_refunds.quote_request(uow, ctx, profile, refund_id=item["refund_id"])
    except GongjiError as err:
        return {"quote": None, "refusal": _err_view(err)}
    return {"quote": quote, "refusal": None}


def _staff_row(item: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    premium = item["premium"]
    return {
        "refund_id": item["refund_id"],
        "payment_id": item["payment_id"],
        "status": item["status"],
        "status_name": item["status_name"],
        "relative": premium["relative"],
        "payer": item["payer"],
        "benefit_year": premium["benefit_year"],
        "insutype_name": premium["insutype_name"],
        "channel_name": item["channel_name"],
        "payment_fen": item["payment_fen"],
        "reason_name": item["reason_name"],
        "note": mask_text(item["note"] or ""),
        "evidence": mask_text(item["evidence"] or ""),
        "requested_at": _time(item["requested_at"]),
        "reviewed_at": _time(item["reviewed_at"]),
        "review_note": mask_text(item["review_note"] or ""),
        "refund_fen": _fen(item["refund_fen"]),
        "withheld_fen": _fen(item["withheld_fen"]),
        **extra,
    }


def _review_page(
    request: Request,
    principal: Principal,
    status: str,
    *,
    error: GongjiError | None = None,
    failed_id: int | None = None,
) -> Response:
    gj = _gj(request)
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        items = premium_refunds.refund_requests(uow, ctx, status=status)
        rows = [_staff_row(i, _quote_or_refusal(uow, ctx, gj.profile, i)) for i in items]
        pending = len(items) if status == REQUESTED else premium_refunds.pending_refund_count(uow, ctx)
        return {"rows": rows, "pending": pending}

    try:
        data = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "premium_refunds_staff.html",
        principal,
        failed=error,
        flash=_flash(request),
        status=status,
        statuses=REFUND_STATUS_ZH,
        failed_id=failed_id,
        **data,
    )


@router.get("/staff/resident/refunds")
def refund_review(request: Request, status: str = REQUESTED) -> Response:
    """退费审核: the requests of one status in the staff member's regions, oldest first."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _review_page(request, principal, status if status in REFUND_STATUS_ZH else REQUESTED)


def _approve_confirm_page(
    request: Request, principal: Principal, refund_id: int, *, note: str, evidence: str
) -> Response:
    """审核通过 is irreversible (the money goes back): first this page, with what will move — back
    to the payer, to the medical-assistance fund, by which route — and, for 跨省重复缴费 without
    evidence yet, the field to enter it. Refusals (the clerk who entered it, the reason unproven,
    the benefit year begun …) show on the list instead."""
    gj = _gj(request)
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        if len(note.strip()) < 2:
            raise InvalidRequest("请填写审核意见（2-200字）", "A note of 2-200 characters", field="note")
        quote = premium_refunds.quote_request(uow, ctx, gj.profile, refund_id=refund_id)
        if quote["entered_by_me"]:
            raise FourEyesRequired(refund_id=refund_id)
        [item] = [i for i in premium_refunds.refund_requests(uow, ctx) if i["refund_id"] == refund_id]
        return {"quote": quote, "row": _staff_row(item, {})}

    try:
        data = gj.run(go)
    except GongjiError as err:
        if err.http_status in (401, 404):
            return error_page(request, principal, err)
        return _review_page(request, principal, REQUESTED, error=err, failed_id=refund_id)
    return render(
        request,
        "premium_refund_approve.html",
        principal,
        refund_id=refund_id,
        note=_limit(note, 200, "note"),
        evidence=evidence[:200],
        **data,
    )


@router.post("/staff/resident/refunds/{refund_id}")
def refund_decide(
    request: Request,
    refund_id: int,
    decision: Str = "",
    note: Str = "",
    confirmed: Str = "",
    evidence: Str = "",
) -> Response:
    """审核不通过 with a note (2-200 characters); 审核通过 asks for confirmation first (the amounts,
    ``_approve_confirm_page``), then pays back by the original route in the same unit of work
    (``premium_refunds.review_refund``) — with the evidence staff entered for 跨省重复缴费."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    gj = _gj(request)
    if decision == "approve" and confirmed != "yes":
        return _approve_confirm_page(request, principal, refund_id, note=note, evidence=evidence)

    def review(uow: Any, ctx: Ctx) -> str:
        if decision not in ("approve", "reject"):
            raise InvalidRequest("请选择审核通过或不通过", "decision: approve or reject", field="decision")
        approve = decision == "approve"
        premium_refunds.review_refund(
            uow,
            ctx,
            gj.profile,
            refund_id=refund_id,
            approve=approve,
            note=_limit(note, 200, "note"),
            evidence=_limit(evidence, 200, "evidence") or None,
        )
        return "refund_approved" if approve else "refund_rejected"

    return act(
        request,
        principal,
        review,
        on_error=lambda err: _review_page(request, principal, REQUESTED, error=err, failed_id=refund_id),
        redirect_to=lambda flash: f"/staff/resident/refunds?status={REQUESTED}&ok={flash}",
    )


# --- citizens: my premiums and the refund request ----------------------------------------------------


def _open_refund(uow: Any, payment_id: int) -> dict[str, Any] | None:
    return premium_refunds.refund_of_payment(uow, payment_id)


def _my_payment_row(uow: Any, p: dict[str, Any]) -> dict[str, Any]:
    in_force = p["status"] == PAID and p["amount_fen"] > 0
    refund = _open_refund(uow, p["payment_id"]) if p["amount_fen"] > 0 else None
    family_paid = p["channel"] == CHANNEL_FAMILY
    return {
        "payment_id": p["payment_id"],
        "channel_name": p["channel_name"],
        "amount_fen": p["amount_fen"],
        "status": p["status"],
        "status_name": PAYMENT_STATUS_ZH.get(p["status"], p["status"]),
        "paid_at": _time(p["paid_at"]),
        "refund": refund,
        "can_refund": in_force and refund is None and not family_paid,
        "payer_asks": in_force and family_paid,  # a family-account premium is refunded at its payer's request
    }


def _family_row(uow: Any, item: dict[str, Any]) -> dict[str, Any]:
    refund = _open_refund(uow, item["payment_id"])
    return {
        "payment_id": item["payment_id"],
        "benefit_year": item["benefit_year"],
        "relative": item["relative"],
        "insutype_name": item["insutype_name"],
        "amount_fen": item["amount_fen"],
        "status": item["status"],
        "status_name": item["status_name"],
        "paid_at": _time(item["paid_at"]),
        "refund": refund,
        "can_refund": item["status"] == PAID and refund is None,
    }


@router.get("/me/premiums")
def my_premiums(request: Request) -> Response:
    """我的居民医保缴费: this and next benefit year, each payment with its refund status."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, person_id = who
    gj = _gj(request)
    ctx = _ctx(request, principal)
    this_year = ctx.clock.today().year
    years = [this_year + 1, this_year]

    def go(uow: Any) -> dict[str, Any]:
        record = registry.person_record(uow, ctx, person_id=person_id, audit_read=False)
        resident = any(e["insutype"] == "390" for e in record["enrollments"])
        mine = []
        for year in years:
            s = premium_channels.payment_status(uow, ctx, gj.profile, person_id=person_id, benefit_year=year)
            mine.append(s | {"payments": [_my_payment_row(uow, p) for p in s["payments"]]})
        for_others = [
            _family_row(uow, item)
            for year in years
            for item in P.payments_by_year(uow, ctx, benefit_year=year)["paid_for_others"]
        ]
        employee = any(e["insutype"] in EMPLOYEE_INSUTYPES for e in record["enrollments"])
        if not resident:  # no 应缴 prompt for a premium the person does not owe (issue 17)
            mine = [s for s in mine if s["payments"]]
        return {"resident": resident, "employee": employee, "mine": mine, "for_others": for_others}

    try:
        data = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "premium_mine.html", principal, flash=_flash(request), **data)


def _reasons(request: Request) -> list[tuple[str, str]]:
    return [(r, REFUND_REASON_ZH.get(r, r)) for r in _gj(request).profile.resident.refund.reasons]


def _refund_page(
    request: Request,
    principal: Principal,
    payment_id: int,
    *,
    reason: str = "",
    note: str = "",
    step: str = "form",
    error: GongjiError | None = None,
) -> Response:
    """The refund page of one payment: ``step`` "form" (reason, note) or "confirm" (the quote for
    ``reason``). The payment is read through a quote, so a payment the citizen may not refund is
    ``E_NOT_FOUND`` and one no longer refundable shows its refusal instead of the form."""
    gj = _gj(request)
    ctx = _ctx(request, principal)
    reasons = _reasons(request)
    asked = reason if step == "confirm" else (reasons[0][0] if reasons else "")

    def go(uow: Any) -> dict[str, Any]:
        quote = premium_refunds.quote_refund(uow, ctx, gj.profile, payment_id=payment_id, reason=asked)
        return {"quote": quote, "open": _open_refund(uow, payment_id)}

    refusal = None
    status_code = 200
    try:
        data = gj.run(go) if asked else {"quote": None, "open": None}
    except GongjiError as err:
        if err.http_status in (401, 403, 404):
            return error_page(request, principal, err)
        data, refusal, status_code = {"quote": None, "open": None}, _err_view(err), err.http_status
        step = "form"  # no quote to confirm: the refusal instead
    can_ask = data["open"] is None and (refusal is None or refusal["code"] in REASON_REFUSALS)
    return render(
        request,
        "premium_refund_form.html",
        principal,
        status_code,
        failed=error,
        payment_id=payment_id,
        step=step,
        reasons=reasons,
        reason=reason,
        reason_name=REFUND_REASON_ZH.get(reason, ""),
        note=note,
        refusal=refusal,
        can_ask=can_ask and bool(reasons),
        **data,
    )


@router.get("/me/premiums/{payment_id}/refund")
def refund_form(request: Request, payment_id: int) -> Response:
    """申请退费: the payment, and a reason to pick (the profile's list) with an optional note."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    return _refund_page(request, who[0], payment_id)


@router.post("/me/premiums/{payment_id}/refund")
def refund_quote(request: Request, payment_id: int, reason: Str = "", note: Str = "") -> Response:
    """下一步: the quote for the reason chosen (退回金额, 资助部分退回医疗救助资金, route), to confirm."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal = who[0]
    reason = reason.strip()[:40]
    try:
        note = _limit(note, premium_refunds.MAX_NOTE, "note")
        if not reason:  # any other reason is the service's to refuse (E_RESIDENT_REFUND_REASON …)
            raise InvalidRequest("请选择退费原因", "Choose a refund reason", field="reason")
    except GongjiError as err:
        return _refund_page(request, principal, payment_id, note=note[: premium_refunds.MAX_NOTE], error=err)
    return _refund_page(request, principal, payment_id, reason=reason, note=note, step="confirm")


@router.post("/me/premiums/{payment_id}/refund/confirm")
def refund_confirm(request: Request, payment_id: int, reason: Str = "", note: Str = "") -> Response:
    """确认申请退费 → ``premium_refunds.request_refund`` → ``/me/premiums`` with the status. A second
    submission of the same payment is refused (``E_DUPLICATE``: one open request per payment)."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal = who[0]
    gj = _gj(request)
    reason = reason.strip()[:40]
    kept = note[: premium_refunds.MAX_NOTE]

    def ask(uow: Any, ctx: Ctx) -> None:
        premium_refunds.request_refund(
            uow,
            ctx,
            gj.profile,
            payment_id=payment_id,
            reason=reason,
            note=_limit(note, premium_refunds.MAX_NOTE, "note") or None,
        )

    return act(
        request,
        principal,
        ask,
        on_error=lambda err: _refund_page(request, principal, payment_id, reason=reason, note=kept, error=err),
        redirect_to=lambda _: "/me/premiums?ok=refund_requested",
    )
