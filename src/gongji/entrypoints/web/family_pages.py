"""zh-CN pages for family mutual aid (家庭共济): the citizen's five-step flow and staff actions.

The citizen's steps follow the Gansu app (seed 000): 【家庭共济】 on the home page → confirm
the agreement and Q&A once (承诺协议) → add a relative on a signed commitment (承诺书) →
the member list (成员列表), with unbinding (a change is unbind, then bind: seed 003) →
共济管理: 共济账户划拨 (allocation profiles only) and 共济明细. Staff see a person's bindings
and their credit entries; fraud handling (违规终止, 追回, seed 003 四(四)) is ``family_fraud_pages``.

Every page calls the use cases in ``gongji.services.family``; nothing here branches on the
province, only on the active profile's ``funding_model``. Writes end in POST → 303 → GET with
a flash code; a service error is shown with its code and Chinese message and a 4xx status.
Other people appear masked (张*, 6207**********1234), never whole.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gongji.adapters.db.models import Person
from gongji.domain.errors import (
    AuthorizerNotEmployee,
    Forbidden,
    FundingModelMismatch,
    GongjiError,
    InvalidRequest,
    NotFound,
)
from gongji.domain.masking import mask_id_number, mask_name, mask_text
from gongji.domain.money import yuan
from gongji.domain.relations import RELATION_ZH
from gongji.entrypoints.web.pages import (
    FLASH,
    _ctx,
    _fmt_time,
    _form_key,
    _gj,
    _limit,
    _need,
    _redirect,
    act,
    error_page,
    parse_yuan,
    render,
)
from gongji.services.auth import Principal, Role
from gongji.services.family import agreement as family_agreement
from gongji.services.family import allocation as family_allocation
from gongji.services.family import binding as family_binding
from gongji.services.family import fraud as family_fraud
from gongji.services.family import notices as family_notices
from gongji.services.family import views as family_views
from gongji.services.registry import accounts
from gongji.services.registry.persons import Ctx

router = APIRouter(include_in_schema=False)
Str = Annotated[str, Form()]

HISTORY_SHOWN = 50

# Flash codes of these pages (the query carries only a code, never free text).
FAMILY_FLASH = {
    "agreed": "已确认《家庭共济承诺协议》，请添加共济亲属",
    "bound": "绑定成功，已添加共济亲属",
    "unbound": "已解除共济绑定关系",
    "allocated": "共济账户划拨成功",
    "allocated_replayed": "该笔划拨已处理过（重复提交），未重复划拨",
}
CREDIT_KIND_ZH = {family_fraud.CREDIT_KIND_FRAUD: "虚构家庭成员关系，违规享受家庭共济待遇"}


# --- helpers ---------------------------------------------------------------------------------


def _flash(request: Request) -> str | None:
    code = request.query_params.get("ok", "")
    return FAMILY_FLASH.get(code) or FLASH.get(code)


def _time(value: str | None) -> str:
    return _fmt_time(datetime.fromisoformat(value)) if value else ""


def shown(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Uses of family money (``family_notices``) with their times as the pages show them."""
    for row in rows:
        row["at_text"] = _fmt_time(row["at"])
    return rows


def _party(who: dict[str, Any] | None) -> dict[str, str] | None:
    """The other party as the service gives it — masked already; the person id is left out."""
    if who is None:
        return None
    return {"name": str(who["name"]), "cert_no": str(who["cert_no"])}


def _binding_row(b: dict[str, Any]) -> dict[str, Any]:
    """One binding view (``family_views.binding_view``) as the pages show it; money in yuan."""
    return {
        "id": b["binding_id"],
        "relation_name": b["relation_name"],
        "status": b["status"],
        "status_name": b["status_name"],
        "active": b["status"] == "active",
        "revoked": b["status"] == "revoked",
        "since": _time(b["created_at"]),
        "ended": _time(b["ended_at"]),
        "end_reason": mask_text(b["end_reason"] or ""),
        "commitment_version": b["commitment_version"],
        "relative": _party(b.get("relative")),
        "authorizer": _party(b.get("authorizer")),
        "authorizer_id": (b.get("authorizer") or {}).get("person_id"),
        "balance": yuan(b["family_balance_fen"]) if "family_balance_fen" in b else None,
        "paid": yuan(b["paid_fen"]),
        "case": b.get("case"),
    }


def _citizen(request: Request) -> tuple[Principal, int] | Response:
    principal = _need(request, Role.CITIZEN)
    if isinstance(principal, Response):
        return principal
    if principal.person_id is None:
        return error_page(request, principal, Forbidden("该账号未关联参保人员", "No person linked to this account"))
    return principal, principal.person_id


def _allocation(request: Request) -> bool:
    return _gj(request).profile.family.funding_model == "allocation"


def _members(request: Request, ctx: Ctx, person_id: int) -> dict[str, Any]:
    gj = _gj(request)
    return gj.run(lambda uow: family_views.members(uow, ctx, gj.profile, person_id=person_id))


def _accepted(request: Request, person_id: int) -> bool:
    return bool(
        _gj(request).run(lambda uow: family_agreement.has_accepted_agreement(uow, _gj(request).profile, person_id))
    )


# --- step 2: the agreement (first use) and the member list -----------------------------------


def _agreement_page(request: Request, principal: Principal, *, error: GongjiError | None = None) -> Response:
    t = family_agreement.texts(_gj(request).profile)
    title, *body = [line.strip() for line in t.agreement.splitlines() if line.strip()]
    return render(
        request,
        "family_agreement.html",
        principal,
        failed=error,
        title=title,
        paragraphs=body,
        qa=t.qa,
        version=t.version,
    )


@router.get("/me/family")
def family_home(request: Request) -> Response:
    """成员列表 and 共济管理; on first use (agreement not confirmed) the agreement and Q&A."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, person_id = who
    accepted = _accepted(request, person_id)
    if not accepted and request.query_params.get("read") == "agreement":
        return _agreement_page(request, principal)
    ctx = _ctx(request, principal)
    try:
        data = _members(request, ctx, person_id)
        paid_for_me = _gj(request).run(lambda uow: family_notices.paid_for_me(uow, ctx, person_id=person_id))
    except GongjiError as err:
        return error_page(request, principal, err)
    if not accepted and not data["bound_by"]:
        return _agreement_page(request, principal)
    bindings = [_binding_row(b) for b in data["bindings"]]
    # a relative sees who pays for them, what and when, without first signing the authorizer's
    # agreement; a person who cannot be an authorizer for want of employee insurance gets a note,
    # not a warning (issue 17: banners never contradict each other)
    not_employee = data["can_authorize"].get("code") == AuthorizerNotEmployee.code
    return render(
        request,
        "family_members.html",
        principal,
        flash=_flash(request),
        allocation=data["funding_model"] == "allocation",
        can_authorize=data["can_authorize"],
        bindings=bindings,
        any_active=any(b["active"] for b in bindings),
        bound_by=[_binding_row(b) for b in data["bound_by"]],
        paid_for_me=shown(paid_for_me),
        agreement_needed=not accepted,
        not_employee=not_employee,
    )


@router.post("/me/family/agreement")
def family_accept_agreement(request: Request, agree: Str = "", version: Str = "") -> Response:
    """确认，下一步: record the confirmation of the agreement, then on to adding a relative."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, person_id = who

    def accept(uow: Any, ctx: Ctx) -> None:
        if agree != "1":
            raise InvalidRequest("请先阅读并勾选“我已阅读并同意”", "Tick the agreement box first", field="agree")
        family_agreement.accept_agreement(
            uow, ctx, _gj(request).profile, person_id=person_id, version=version.strip()[:20]
        )

    return act(
        request,
        principal,
        accept,
        on_error=lambda err: _agreement_page(request, principal, error=err),
        redirect_to=lambda _: "/me/family/bind?ok=agreed",
    )


# --- step 3: add a relative on a signed commitment ----------------------------------------------


def _bind_page(
    request: Request,
    principal: Principal,
    person_id: int,
    *,
    form: dict[str, str] | None = None,
    error: GongjiError | None = None,
) -> Response:
    profile = _gj(request).profile
    t = family_agreement.texts(_gj(request).profile)
    try:
        can_authorize = _members(request, _ctx(request, principal), person_id)["can_authorize"]
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "family_bind.html",
        principal,
        failed=error,
        flash=_flash(request),
        form=form or {},
        relations=[(kind, RELATION_ZH[kind]) for kind in profile.family.relation_kinds],
        commitment=[line.strip() for line in t.commitment.splitlines() if line.strip()],
        version=t.version,
        can_authorize=can_authorize,
    )


@router.get("/me/family/bind")
def family_bind_form(request: Request) -> Response:
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, person_id = who
    if not _accepted(request, person_id):
        return _redirect("/me/family")
    return _bind_page(request, principal, person_id)


@router.post("/me/family/bind")
def family_bind(
    request: Request,
    relative_name: Str = "",
    relative_cert_no: Str = "",
    relation: Str = "",
    commitment_version: Str = "",
    commitment_signed: Str = "",
    signature: Str = "",
) -> Response:
    """添加共济亲属: bind on the signed commitment; an error re-shows the form with what was
    typed (the signature is never echoed back: it is signed again).

    Not through ``act``: ``family_binding.bind_relative`` runs its own units of work (a name/ID mismatch
    is counted in a transaction of its own, which must stay when the bind is refused)."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, person_id = who
    gj = _gj(request)
    kept = {"relative_name": relative_name[:50], "relative_cert_no": relative_cert_no[:18], "relation": relation[:30]}
    try:
        req = family_binding.BindRequest(
            authorizer_id=person_id,
            relative_name=_limit(relative_name, 50, "relative_name"),
            relative_cert_no=_limit(relative_cert_no, 50, "relative_cert_no").upper(),
            relation=relation.strip(),
            commitment_version=commitment_version.strip()[:20],
            commitment_signed=commitment_signed == "1",
            signature=_limit(signature, 50, "signature"),
        )
        family_binding.bind_relative(gj.run, _ctx(request, principal), gj.profile, req)
    except GongjiError as err:
        return _bind_page(request, principal, person_id, form=kept, error=err)
    return _redirect("/me/family?ok=bound")


# --- step 4: one binding, unbinding -------------------------------------------------------------


def _binding_page(
    request: Request, principal: Principal, person_id: int, binding_id: int, *, error: GongjiError | None = None
) -> Response:
    try:
        data = _members(request, _ctx(request, principal), person_id)
    except GongjiError as err:
        return error_page(request, principal, err)
    found = [b for b in data["bindings"] if b["binding_id"] == binding_id]
    if not found:
        return error_page(
            request, principal, NotFound("共济绑定关系不存在", "Family binding not found", binding_id=binding_id)
        )
    return render(
        request,
        "family_binding.html",
        principal,
        failed=error,
        b=_binding_row(found[0]),
        allocation=data["funding_model"] == "allocation",
    )


@router.get("/me/family/bindings/{binding_id}")
def family_binding_page(request: Request, binding_id: int) -> Response:
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, person_id = who
    return _binding_page(request, principal, person_id, binding_id)


@router.post("/me/family/bindings/{binding_id}/unbind")
def family_unbind(request: Request, binding_id: int, confirm: Str = "", reason: Str = "") -> Response:
    """解除绑定 (confirmed by a tick); the family account's balance goes back to the authorizer."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, person_id = who

    def unbind(uow: Any, ctx: Ctx) -> None:
        if confirm != "1":
            raise InvalidRequest("请勾选确认解除绑定", "Tick the box to confirm unbinding", field="confirm")
        family_binding.unbind(uow, ctx, binding_id=binding_id, reason=_limit(reason, 200, "reason") or None)

    return act(
        request,
        principal,
        unbind,
        on_error=lambda err: _binding_page(request, principal, person_id, binding_id, error=err),
        redirect_to=lambda _: "/me/family?ok=unbound",
    )


# --- step 5: 共济账户划拨 and 共济明细 --------------------------------------------------------------


def _no_allocation() -> FundingModelMismatch:
    return FundingModelMismatch(
        "本省家庭共济直接使用共济人历年账户资金，无需划拨",
        "This province draws directly on the authorizer's past-years balance; nothing to allocate",
    )


def _allocate_page(
    request: Request,
    principal: Principal,
    person_id: int,
    *,
    form: dict[str, str] | None = None,
    error: GongjiError | None = None,
) -> Response:
    if not _allocation(request):
        return error_page(request, principal, error or _no_allocation())
    ctx = _ctx(request, principal)
    gj = _gj(request)

    def go(uow: Any) -> tuple[dict[str, Any], dict[str, int] | None]:
        return family_views.members(uow, ctx, gj.profile, person_id=person_id), accounts.account_balances(
            uow, person_id
        )

    try:
        data, balances = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    form = dict(form or {})
    form.setdefault("binding_id", request.query_params.get("binding", "")[:12])
    if not form.get("idempotency_key"):
        form["idempotency_key"] = str(uuid.uuid4())
    return render(
        request,
        "family_allocate.html",
        principal,
        failed=error,
        bindings=[_binding_row(b) for b in data["bindings"] if b["status"] == "active"],
        balances=balances,
        draw_order=[
            "历年账户" if s == "past_years" else "当年账户" for s in gj.profile.family.allocation_draw_order or ()
        ],
        form=form,
    )


@router.get("/me/family/allocate")
def family_allocate_form(request: Request) -> Response:
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    return _allocate_page(request, *who)


def _binding_id(value: str) -> int:
    if not (value.strip().isascii() and value.strip().isdigit()) or len(value.strip()) > 12:
        raise InvalidRequest("请选择共济亲属", "Choose a bound relative", field="binding_id")
    return int(value.strip())


ACCOUNT_ZH = {"current": "当年账户", "past": "历年账户"}


def _allocate_confirm(request: Request, principal: Principal, person_id: int, kept: dict[str, str]) -> Response:
    """The confirmation before an allocation (irreversible for the citizen: only an unbind brings
    the money back): the amount from each of their accounts, into whose family account."""
    gj = _gj(request)
    ctx = _ctx(request, principal)

    def go(uow: Any) -> dict[str, Any]:
        plan = family_allocation.allocation_plan(
            uow,
            ctx,
            gj.profile,
            binding_id=_binding_id(kept["binding_id"]),
            amount_fen=parse_yuan(kept["amount_yuan"], field="amount_yuan"),
        )
        relative = uow.session.get(Person, plan["relative_id"])
        plan["relative_name"] = mask_name(relative.name)
        plan["relation_name"] = RELATION_ZH.get(plan["relation"], plan["relation"])
        for d in plan["draws"]:
            d["account_name"] = ACCOUNT_ZH[d["account"].rsplit(":", 1)[-1]]
        return plan

    try:
        plan = gj.run(go)
    except GongjiError as err:
        return _allocate_page(request, principal, person_id, form=kept, error=err)
    return render(request, "family_allocate_confirm.html", principal, plan=plan, form=kept)


@router.post("/me/family/allocate")
def family_allocate(
    request: Request, binding_id: Str = "", amount_yuan: Str = "", idempotency_key: Str = "", confirm: Str = ""
) -> Response:
    """Move money from the citizen's personal account into a relative's family account, after a
    confirmation page that shows what moves from where (``confirm`` = 1 from that page)."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, person_id = who
    profile = _gj(request).profile
    kept = {"binding_id": binding_id[:12], "amount_yuan": amount_yuan[:20], "idempotency_key": idempotency_key[:100]}
    if confirm != "1":
        if not _allocation(request):
            return error_page(request, principal, _no_allocation())
        return _allocate_confirm(request, principal, person_id, kept)

    def allocate(uow: Any, ctx: Ctx) -> str:
        result = family_allocation.allocate(
            uow,
            ctx,
            profile,
            binding_id=_binding_id(binding_id),
            amount_fen=parse_yuan(amount_yuan, field="amount_yuan"),
            idempotency_key=_form_key(idempotency_key),
        )
        return "allocated_replayed" if result.replayed else "allocated"

    return act(
        request,
        principal,
        allocate,
        on_error=lambda err: _allocate_page(request, principal, person_id, form=kept, error=err),
        redirect_to=lambda flash: f"/me/family?ok={flash}",
    )


@router.get("/me/family/history")
def family_history(request: Request) -> Response:
    """共济明细: the movements family mutual aid caused on the citizen's accounts, newest first."""
    who = _citizen(request)
    if isinstance(who, Response):
        return who
    principal, person_id = who
    ctx = _ctx(request, principal)
    try:
        rows = _gj(request).run(lambda uow: family_views.history(uow, ctx, person_id=person_id, limit=HISTORY_SHOWN))
    except GongjiError as err:
        return error_page(request, principal, err)
    return render(
        request,
        "family_history.html",
        principal,
        rows=[
            {
                "at": _time(r["at"]),
                "kind_name": r["kind_name"],
                "account_name": r["account_name"],
                "narration": mask_text(r["narration"] or ""),
                "amount": ("+" if r["amount_fen"] > 0 else "") + yuan(r["amount_fen"]),
                "incoming": r["amount_fen"] > 0,
                "balance": yuan(r["balance_fen"]),
                "is_reversal": r["kind"].startswith("reversal."),
                "reversed": r["reversed"],
                "txn_id": r["txn_id"],
            }
            for r in rows
        ],
        allocation=_allocation(request),
    )


# --- staff -------------------------------------------------------------------------------------


def _staff_page(
    request: Request, principal: Principal, person_id: int, *, error: GongjiError | None = None
) -> Response:
    """The person's bindings (an audited read), each with its fraud case or the way to revoke it."""
    gj = _gj(request)
    ctx = _ctx(request, principal)

    def go(uow: Any) -> tuple[dict[str, Any], dict[str, str]]:
        data = family_views.staff_bindings(uow, ctx, gj.profile, person_id=person_id)
        person = uow.session.get(Person, person_id)
        uow.commit()  # the audit row of the read
        assert person is not None  # staff_bindings refuses an unknown person
        return data, {"name": mask_name(person.name), "cert_no": mask_id_number(person.cert_no)}

    try:
        data, person = gj.run(go)
    except GongjiError as err:
        return error_page(request, principal, err)
    bindings = [_binding_row(b) for b in data["bindings"]]
    for b in bindings:
        b["as_authorizer"] = b["authorizer_id"] == person_id
    flash = _flash(request)
    return render(
        request,
        "family_staff.html",
        principal,
        failed=error,
        flash=flash,
        person_id=person_id,
        person=person,
        allocation=gj.profile.family.funding_model == "allocation",
        bindings=bindings,
        credits=[
            {
                "id": c["credit_id"],
                "kind": CREDIT_KIND_ZH.get(c["kind"], c["kind"]),
                "binding_id": c["binding_id"],
                "case_id": c["case_id"],
                "reason": mask_text(c["reason"] or ""),
                "amount": yuan(c["amount_fen"]),
                "at": _time(c["at"]),
            }
            for c in data["credit_records"]
        ],
    )


@router.get("/staff/persons/{person_id}/family")
def staff_family(request: Request, person_id: int) -> Response:
    principal = _need(request, Role.STAFF)
    if isinstance(principal, Response):
        return principal
    return _staff_page(request, principal, person_id)
