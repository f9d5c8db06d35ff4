"""Family mutual aid API (家庭共济, SPEC §4): citizens bind/unbind/allocate, staff fraud handling.

Citizens act on their own person (seed 000's five steps: read the agreement, confirm it, sign
the commitment and bind, allocate to the family account, see members and history). Staff may
help at the window (seed 003) and handle fraud: stop, open and collect the receivable, write it
off with a second approval (seed 003 四(四)). A designated
institution charges a patient: own account first, then family funds, then cash.

Every rule lives in ``services.family``; these routes only parse, run the use case in one unit
of work and shape the answer. Money writes need an Idempotency-Key header.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from gongji.bootstrap import Gongji
from gongji.domain.errors import Forbidden
from gongji.entrypoints.api.deps import CtxDep, GjDep, IdempotencyKey
from gongji.entrypoints.api.routes.registry import money_answer
from gongji.entrypoints.api.schemas import (
    FamilyAgreementIn,
    FamilyAllocationIn,
    FamilyBindIn,
    FamilyCollectionIn,
    FamilyRevokeIn,
    FamilyUnbindIn,
    ReasonIn,
)
from gongji.services.auth import Role
from gongji.services.family import agreement as family_agreement
from gongji.services.family import allocation as family_allocation
from gongji.services.family import binding as family_binding
from gongji.services.family import fraud as family_fraud
from gongji.services.family import views as family_views
from gongji.services.registry.persons import Ctx

router = APIRouter(prefix="/api/family", tags=["family 家庭共济"])


def _citizen(ctx: Ctx) -> int:
    """The logged-in citizen's own person id; anyone else is refused."""
    if ctx.principal.role is not Role.CITIZEN or ctx.principal.person_id is None:
        raise Forbidden("仅参保人本人可办理", "Citizens only")
    return ctx.principal.person_id


def _accept(gj: Gongji, ctx: Ctx, person_id: int, body: FamilyAgreementIn) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        row = family_agreement.accept_agreement(uow, ctx, gj.profile, person_id=person_id, version=body.version)
        uow.commit()
        return {"accepted": True, "version": row.version, "person_id": person_id}

    return gj.run(go)


def _bind(gj: Gongji, ctx: Ctx, authorizer_id: int, body: FamilyBindIn) -> dict[str, Any]:
    req = family_binding.BindRequest(
        authorizer_id=authorizer_id,
        relative_name=body.relative_name,
        relative_cert_no=body.relative_cert_no,
        relation=body.relation,
        commitment_version=body.commitment.version,
        commitment_signed=body.commitment.signed,
        signature=body.commitment.signature,
    )
    # bind_relative commits, and counts a failed name match in its own transaction
    return family_binding.bind_relative(gj.run, ctx, gj.profile, req)


# --- citizens (seed 000: 阅读协议 → 确认 → 签署承诺书并绑定 → 共济账户划拨 → 成员与明细) ----------


@router.get("/texts")
def texts(gj: GjDep) -> dict[str, Any]:
    """The active profile's agreement (承诺协议), Q&A and commitment (承诺书), with version and digests."""
    t = family_agreement.texts(gj.profile)
    return {
        "version": t.version,
        "agreement": t.agreement,
        "qa": [{"q": q, "a": a} for q, a in t.qa],
        "commitment": t.commitment,
        "agreement_sha256": t.agreement_sha256,
        "commitment_sha256": t.commitment_sha256,
    }


@router.post("/agreement")
def accept_agreement(body: FamilyAgreementIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Confirm the agreement and Q&A of the given (current) version; once per version."""
    return _accept(gj, ctx, _citizen(ctx), body)


@router.get("/members")
def members(gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """成员列表: my bindings as authorizer (with family-account balances) and who binds me."""
    person_id = _citizen(ctx)
    return gj.run(lambda uow: family_views.members(uow, ctx, gj.profile, person_id=person_id))


@router.post("/bindings", status_code=201)
def bind(body: FamilyBindIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Bind a close relative on my signed commitment (承诺制; no paper proof is asked)."""
    return _bind(gj, ctx, _citizen(ctx), body)


@router.post("/bindings/{binding_id}/unbind")
def unbind(binding_id: int, gj: GjDep, ctx: CtxDep, body: FamilyUnbindIn | None = None) -> dict[str, Any]:
    """解除绑定; the family account's balance goes back to the authorizer (原渠道返还)."""
    reason = body.reason if body else None

    def go(uow: Any) -> dict[str, Any]:
        binding = family_binding.unbind(uow, ctx, binding_id=binding_id, reason=reason)
        view = family_views.binding_view(uow, gj.profile, binding, side="authorizer")
        uow.commit()
        return view

    return gj.run(go)


@router.post("/bindings/{binding_id}/allocations", status_code=201)
def allocate(
    binding_id: int, body: FamilyAllocationIn, key: IdempotencyKey, response: Response, gj: GjDep, ctx: CtxDep
) -> dict[str, Any]:
    """共济账户划拨: move money from my personal account into the relative's family account.
    Needs an Idempotency-Key header; a replay returns the first answer (200 + Idempotent-Replayed)."""

    def go(uow: Any) -> dict[str, Any]:
        result = family_allocation.allocate(
            uow, ctx, gj.profile, binding_id=binding_id, amount_fen=body.amount_fen, idempotency_key=key
        )
        uow.commit()
        return money_answer(result, response)

    return gj.run(go)


@router.get("/history")
def history(
    gj: GjDep, ctx: CtxDep, limit: int = Query(50, ge=1, le=200), before_id: int | None = None
) -> dict[str, Any]:
    """共济明细: my movements caused by family mutual aid, newest first; page with ``before_id``."""
    person_id = _citizen(ctx)

    def go(uow: Any) -> dict[str, Any]:
        items = family_views.history(uow, ctx, person_id=person_id, limit=limit, before_id=before_id)
        return {"items": items, "count": len(items)}

    return gj.run(go)


# --- designated institutions ---------------------------------------------------------------------


# The direct charge ``POST /api/family/payments`` is gone (issue 13 §2): an institution's password
# login could debit anyone by ID number. Institutions settle through the signed 两定 interface
# (2207, acct_used_flag 2; docs/settlement.md, docs/his-signing.md).


# --- staff: window service (seed 003) and fraud (虚构家庭成员关系, seed 003 四(四)) --------------------


@router.get("/persons/{person_id}/bindings")
def staff_bindings(person_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Every binding the person is part of (masked) and their credit entries; audited."""

    def go(uow: Any) -> dict[str, Any]:
        view = family_views.staff_bindings(uow, ctx, gj.profile, person_id=person_id)
        uow.commit()  # the audit row of the read
        return view

    return gj.run(go)


@router.post("/persons/{person_id}/agreement")
def staff_accept_agreement(person_id: int, body: FamilyAgreementIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Window service: record the person's confirmation of the agreement (staff in scope)."""
    ctx.principal.require(Role.STAFF)
    return _accept(gj, ctx, person_id, body)


@router.post("/persons/{person_id}/bindings", status_code=201)
def staff_bind(person_id: int, body: FamilyBindIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Window service: bind a relative for the person, on the commitment they signed."""
    ctx.principal.require(Role.STAFF)
    return _bind(gj, ctx, person_id, body)


@router.get("/bindings/{binding_id}/revoke-plan")
def revoke_plan(binding_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """What a revoke would do: bindings revoked and stopped, family balances returned, amount owed."""
    return gj.run(lambda uow: family_fraud.revoke_plan(uow, ctx, binding_id=binding_id))


@router.post("/bindings/{binding_id}/revoke", status_code=201)
def revoke(binding_id: int, body: FamilyRevokeIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """立即停止相关当事人家庭共济待遇 (seed 003 四(四)): the pair's bindings are revoked, the parties'
    other bindings stopped, a fraud case opens the receivable and both parties get a credit entry."""

    def go(uow: Any) -> dict[str, Any]:
        case = family_fraud.revoke(uow, ctx, binding_id=binding_id, reason=body.reason, liable=body.liable)
        view = family_fraud.case_view(uow, ctx, case)
        uow.commit()
        return view

    return gj.run(go)


@router.get("/recoveries")
def recoveries(gj: GjDep, ctx: CtxDep, include_closed: bool = False) -> dict[str, Any]:
    """追回应收: the fraud cases owed to my regions (open ones unless ``include_closed``), with age
    in days, and per region the open cases' count and sums."""
    return gj.run(lambda uow: family_fraud.recoveries(uow, ctx, open_only=not include_closed))


@router.get("/recoveries/{case_id}")
def recovery(case_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    return gj.run(lambda uow: family_fraud.get_case(uow, ctx, case_id=case_id))


@router.post("/recoveries/{case_id}/collections", status_code=201)
def collect(
    case_id: int, body: FamilyCollectionIn, key: IdempotencyKey, response: Response, gj: GjDep, ctx: CtxDep
) -> dict[str, Any]:
    """Record money collected from the parties: it returns to the authorizer's past-years account.
    Needs an Idempotency-Key header; a replay returns the first answer (200 + Idempotent-Replayed)."""

    def go(uow: Any) -> dict[str, Any]:
        result = family_fraud.collect(
            uow, ctx, case_id=case_id, amount_fen=body.amount_fen, idempotency_key=key, note=body.note
        )
        uow.commit()
        if result["replayed"]:
            response.status_code = 200
            response.headers["Idempotent-Replayed"] = "true"
        return result

    return gj.run(go)


@router.post("/recoveries/{case_id}/write-off")
def request_write_off(case_id: int, body: ReasonIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Ask to write off what is still owed; a second staff member approves."""

    def go(uow: Any) -> dict[str, Any]:
        case = family_fraud.request_write_off(uow, ctx, case_id=case_id, reason=body.reason)
        view = family_fraud.case_view(uow, ctx, case)
        uow.commit()
        return view

    return gj.run(go)


@router.post("/recoveries/{case_id}/write-off/approve")
def approve_write_off(case_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Approve a write-off asked by another staff member (E_FOUR_EYES for the same clerk)."""

    def go(uow: Any) -> dict[str, Any]:
        case = family_fraud.approve_write_off(uow, ctx, case_id=case_id)
        view = family_fraud.case_view(uow, ctx, case)
        uow.commit()
        return view

    return gj.run(go)
