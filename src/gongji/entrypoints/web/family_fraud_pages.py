"""zh-CN staff pages for family fraud cases (seed 003 四(四) "立即停止相关当事人家庭共济待遇，追回医保基金
…并纳入医保信用管理").

- 违规终止: a confirmation page shows what will happen before anything is written — which bindings
  are revoked and which stopped, how much family-account money goes back to whose past-years
  account, and the amount that will be owed;
- 追回应收: the open cases of the staff member's regions with amounts and age (days), and per
  region counts and sums; a case page records collections and asks for / approves a write-off
  (a second staff member approves: E_FOUR_EYES).
Every rule lives in ``services.family.fraud``; persons appear masked.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.adapters.db.models import FamilyBinding, Person
from gongji.adapters.region_data import region_table
from gongji.domain import family as F
from gongji.domain.errors import GongjiError, InvalidRequest, NotFound
from gongji.domain.masking import mask_id_number, mask_name, mask_text
from gongji.entrypoints.web.pages import (
    FLASH,
    _ctx,
    _form_key,
    _gj,
    _limit,
    _need,
    act,
    error_page,
    parse_yuan,
    render,
)
from gongji.services.auth import Principal, Role
from gongji.services.family import fraud as family_fraud
from gongji.services.registry.persons import Ctx, person_regions

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]

FRAUD_FLASH = {
    "revoked": "已停止当事人家庭共济待遇，违规共济案件已立案，信用记录已登记",
    "collected": "已登记追回款，资金已退回共济人历年账户",
    "collected_replayed": "该笔追回款已登记过（重复提交），未重复入账",
    "write_off_requested": "已申请核销，须由另一名工作人员审核",
    "written_off": "核销已审核通过，案件已办结",
}


def _who(uow: Any, person_id: int) -> dict[str, str]:
    person = uow.session.get(Person, person_id)
    assert person is not None  # a binding's parties exist (foreign keys)
    return {"name": mask_name(person.name), "cert_no": mask_id_number(person.cert_no)}


def _region_name(code: str) -> str:
    return region_table().full_name(code)


# --- 违规终止: confirm, then revoke -----------------------------------------------------------------


def _revoke_page(
    request: Request,
    principal: Principal,
    person_id: int,
    binding_id: int,
    *,
    form: dict[str, str] | None = None,
    error: GongjiError | None = None,
) -> Response:
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        _binding_of(uow, ctx, person_id, binding_id)
        plan = family_fraud.revoke_plan(uow, ctx, binding_id=binding_id)
        for row in (*plan["revoked"], *plan["stopped"]):
            row["authorizer"] = _who(uow, row["authorizer_id"])
            row["relative"] = _who(uow, row["relative_id"])
            row["status_name"] = F.BINDING_STATUS_ZH.get(row["status"], row["status"])
        plan["authorizer"] = _who(uow, plan["authorizer_id"])
        plan["relative"] = _who(uow, plan["relative_id"])
        plan["returned_fen"] = sum(r["returned_fen"] for r in (*plan["revoked"], *plan["stopped"]))
        return plan

    try:
        plan = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "family_revoke_confirm.html",
        principal,
        failed=error,
        person_id=person_id,
        plan=plan,
        liable_options=F.LIABLE_ZH,
        form=form or {"liable": "both"},
    )


def _binding_of(uow: Any, ctx: Ctx, person_id: int, binding_id: int) -> FamilyBinding:
    """A binding of the person, for staff in scope of the person."""
    ctx.principal.require(Role.STAFF)
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    binding = uow.session.get(FamilyBinding, binding_id)
    if binding is None or person_id not in (binding.authorizer_id, binding.relative_id):
        raise NotFound("共济绑定关系不存在", "Family binding not found", binding_id=binding_id)
    return binding


@router.get("/staff/persons/{person_id}/family/bindings/{binding_id}/revoke")
def staff_revoke_confirm(request: Request, person_id: int, binding_id: int) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _revoke_page(request, principal, person_id, binding_id)


@router.post("/staff/persons/{person_id}/family/bindings/{binding_id}/revoke")
def staff_revoke(
    request: Request, person_id: int, binding_id: int, reason: Str = "", liable: Str = "", confirm: Str = ""
) -> Response:
    """违规终止 after the confirmation page: stop, open the case, record credit for both parties."""
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    kept = {"reason": reason[:200], "liable": liable[:10]}

    def revoke(uow: Any, ctx: Ctx) -> int:
        _binding_of(uow, ctx, person_id, binding_id)
        if confirm != "1":
            raise InvalidRequest("请勾选确认终止", "Tick the box to confirm", field="confirm")
        case = family_fraud.revoke(
            uow, ctx, binding_id=binding_id, reason=_limit(reason, 200, "reason"), liable=liable.strip()
        )
        return case.id

    return act(
        request,
        principal,
        revoke,
        on_error=lambda err: _revoke_page(request, principal, person_id, binding_id, form=kept, error=err),
        redirect_to=lambda case_id: f"/staff/family/recoveries/{case_id}?ok=revoked",
    )


# --- 追回应收 ----------------------------------------------------------------------------------------


@router.get("/staff/family/recoveries")
def staff_recoveries(request: Request) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    ctx = _ctx(request, principal)
    show_all = request.query_params.get("all") == "1"

    def go(uow: Any) -> dict[str, Any]:
        data = family_fraud.recoveries(uow, ctx, open_only=not show_all)
        for c in data["cases"]:
            c["authorizer"] = _who(uow, c["authorizer_id"])
            c["relative"] = _who(uow, c["relative_id"])
            c["region_name"] = _region_name(c["region_code"])
        for r in data["regions"]:
            r["region_name"] = _region_name(r["region_code"])
        return data

    try:
        data = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(request, "family_recoveries.html", principal, data=data, show_all=show_all)


def _case_page(
    request: Request,
    principal: Principal,
    case_id: int,
    *,
    form: dict[str, str] | None = None,
    error: GongjiError | None = None,
) -> Response:
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        case = family_fraud.get_case(uow, ctx, case_id=case_id)
        case["authorizer"] = _who(uow, case["authorizer_id"])
        case["relative"] = _who(uow, case["relative_id"])
        case["region_name"] = _region_name(case["region_code"])
        case["reason"] = mask_text(case["reason"])
        return case

    try:
        case = _gj(request).run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    form = dict(form or {})
    if not form.get("idempotency_key"):
        form["idempotency_key"] = str(uuid.uuid4())
    code = request.query_params.get("ok", "")
    write_off = case["write_off"]
    return render(
        request,
        "family_recovery.html",
        principal,
        failed=error,
        flash=FRAUD_FLASH.get(code) or FLASH.get(code),
        case=case,
        is_open=case["status"] in F.OPEN_CASE_STATUSES,
        may_approve=write_off is not None and write_off["requested_by_user_id"] != principal.user_id,
        form=form,
    )


@router.get("/staff/family/recoveries/{case_id}")
def staff_recovery(request: Request, case_id: int) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _case_page(request, principal, case_id)


def _case_action(request: Request, case_id: int, action: Any, *, form: dict[str, str] | None = None) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return act(
        request,
        principal,
        action,
        on_error=lambda err: _case_page(request, principal, case_id, form=form, error=err),
        redirect_to=lambda flash: f"/staff/family/recoveries/{case_id}?ok={flash}",
    )


@router.post("/staff/family/recoveries/{case_id}/collect")
def staff_recovery_collect(
    request: Request, case_id: int, amount_yuan: Str = "", note: Str = "", idempotency_key: Str = ""
) -> Response:
    """登记追回款: the amount returns to the authorizer's past-years account."""
    kept = {"amount_yuan": amount_yuan[:20], "note": note[:200], "idempotency_key": idempotency_key[:100]}

    def collect(uow: Any, ctx: Ctx) -> str:
        result = family_fraud.collect(
            uow,
            ctx,
            case_id=case_id,
            amount_fen=parse_yuan(amount_yuan, field="amount_yuan"),
            idempotency_key=_form_key(idempotency_key),
            note=_limit(note, 200, "note") or None,
        )
        return "collected_replayed" if result["replayed"] else "collected"

    return _case_action(request, case_id, collect, form=kept)


@router.post("/staff/family/recoveries/{case_id}/write-off")
def staff_recovery_write_off(request: Request, case_id: int, reason: Str = "") -> Response:
    def ask(uow: Any, ctx: Ctx) -> str:
        family_fraud.request_write_off(uow, ctx, case_id=case_id, reason=_limit(reason, 200, "reason"))
        return "write_off_requested"

    return _case_action(request, case_id, ask)


@router.post("/staff/family/recoveries/{case_id}/write-off/approve")
def staff_recovery_approve(request: Request, case_id: int) -> Response:
    def approve(uow: Any, ctx: Ctx) -> str:
        family_fraud.approve_write_off(uow, ctx, case_id=case_id)
        return "written_off"

    return _case_action(request, case_id, approve)
