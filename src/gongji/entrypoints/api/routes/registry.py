"""Staff registry API: employers, persons, enrollments, personal-account income (maker–checker),
freeze, 冲正; citizen self view."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from gongji.domain.errors import Forbidden, UnknownCode
from gongji.domain.registry import EnrollmentAction
from gongji.entrypoints.api.deps import CtxDep, GjDep, IdempotencyKey
from gongji.entrypoints.api.schemas import EmployerIn, EnrollmentChangeIn, EnrollmentIn, IncomeIn, PersonIn, ReasonIn
from gongji.services.auth import Role
from gongji.services.ledger import PostResult
from gongji.services.registry import accounts, income
from gongji.services.registry import persons as registry

router = APIRouter(prefix="/api", tags=["registry 登记"])


def money_answer(result: PostResult, response: Response) -> dict[str, Any]:
    """201 with the ledger answer; a replay of the same key answers 200 + Idempotent-Replayed."""
    if result.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return result.body


@router.post("/employers", status_code=201)
def register_employer(body: EmployerIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """登记单位 (staff)."""

    def go(uow: Any) -> dict[str, Any]:
        e = registry.register_employer(uow, ctx, code=body.code, name=body.name, region_code=body.region_code)
        uow.commit()
        return {"employer_id": e.id, "code": e.code, "name": e.name, "region_code": e.region_code}

    return gj.run(go)


@router.post("/persons", status_code=201)
def register_person(body: PersonIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """登记人员 (staff). A resident ID number gives sex and birth date."""

    def go(uow: Any) -> dict[str, Any]:
        p = registry.register_person(uow, ctx, **body.model_dump())
        uow.commit()
        return registry.person_view(p)

    return gj.run(go)


@router.get("/persons")
def search_persons(
    gj: GjDep, ctx: CtxDep, q: str = Query(max_length=50), limit: int = Query(50, ge=1, le=200)
) -> dict[str, Any]:
    """Search by exact ID number or name prefix, in the staff member's regions (masked)."""

    def go(uow: Any) -> dict[str, Any]:
        items = registry.search_persons(uow, ctx, query=q, limit=limit)
        return {"items": items, "count": len(items)}

    return gj.run(go)


@router.get("/persons/{person_id}")
def person_record(person_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """The whole record of one person (staff in scope, or the citizen themself); audited."""

    def go(uow: Any) -> dict[str, Any]:
        record = registry.person_record(uow, ctx, person_id=person_id)
        uow.commit()  # the audit row of the read
        return record

    return gj.run(go)


@router.post("/persons/{person_id}/enrollments", status_code=201)
def enroll(person_id: int, body: EnrollmentIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """参保登记: employees through their employer (employer_code), residents directly."""

    def go(uow: Any) -> dict[str, Any]:
        e = registry.enroll(uow, ctx, person_id=person_id, **body.model_dump())
        uow.commit()
        return registry.enrollment_view(e)

    return gj.run(go)


@router.post("/enrollments/{enrollment_id}/{action}")
def change_enrollment(
    enrollment_id: int, action: str, body: EnrollmentChangeIn, gj: GjDep, ctx: CtxDep
) -> dict[str, Any]:
    """Change status: suspend 暂停 / interrupt 断缴 / resume 恢复 / end 终止 / transfer 转移."""
    try:
        act = EnrollmentAction(action)
    except ValueError:
        raise UnknownCode("操作不存在", "Unknown action", field="action", value=action) from None

    def go(uow: Any) -> dict[str, Any]:
        e = registry.change_enrollment(
            uow,
            ctx,
            enrollment_id=enrollment_id,
            action=act,
            effective_date=body.effective_date,
            reason=body.reason,
            to_region=body.to_region,
        )
        uow.commit()
        return registry.enrollment_view(e)

    return gj.run(go)


@router.post("/persons/{person_id}/account/income", status_code=201)
def post_income(
    person_id: int, body: IncomeIn, key: IdempotencyKey, response: Response, gj: GjDep, ctx: CtxDep
) -> dict[str, Any]:
    """Enter a month's personal-account income (Idempotency-Key header; a replay returns the answer).

    201 when posted; 202 with ``status: pending`` when the amount is above the profile's
    threshold and waits for a second clerk's approval (``/api/account-incomes/{id}/approve``).
    """

    def go(uow: Any) -> dict[str, Any]:
        result = income.post_account_income(
            uow, ctx, gj.profile, person_id=person_id, idempotency_key=key, **body.model_dump()
        )
        uow.commit()
        if result.body["status"] == income.PENDING and not result.replayed:
            response.status_code = 202
        return money_answer(result, response)

    return gj.run(go)


@router.get("/account-incomes/pending")
def pending_incomes(gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """Income entries waiting for a second clerk, in the caller's regions (names masked)."""
    items = gj.run(lambda uow: income.pending_incomes(uow, ctx))
    return {"items": items, "count": len(items)}


@router.get("/account-incomes/{income_id}")
def income_entry(income_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """One entry with the account it credits and that account's balance before and after."""
    return gj.run(lambda uow: income.income_for_review(uow, ctx, income_id=income_id))


@router.post("/account-incomes/{income_id}/approve")
def approve_income(income_id: int, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """复核通过: a clerk other than the one who entered it posts the waiting income (E_FOUR_EYES)."""

    def go(uow: Any) -> dict[str, Any]:
        result = income.approve_income(uow, ctx, income_id=income_id)
        uow.commit()
        return result.body

    return gj.run(go)


@router.post("/account-incomes/{income_id}/reject")
def reject_income(income_id: int, body: ReasonIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """驳回 a waiting income entry with a reason; nothing moves and the month may be entered again."""

    def go(uow: Any) -> dict[str, Any]:
        view = income.reject_income(uow, ctx, income_id=income_id, reason=body.reason)
        uow.commit()
        return view

    return gj.run(go)


@router.get("/me/overview")
def my_overview(gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """参保人首页: own insurance and account balances (ID number masked)."""
    if ctx.principal.role is not Role.CITIZEN or ctx.principal.person_id is None:
        raise Forbidden("仅参保人可查看", "Citizens only")

    def go(uow: Any) -> dict[str, Any]:
        record = registry.person_record(uow, ctx, person_id=ctx.principal.person_id or 0, audit_read=False)
        record["cert_no"] = record.pop("cert_no_masked")
        return record

    return gj.run(go)


@router.get("/persons/{person_id}/account/movements")
def account_movements(
    person_id: int, gj: GjDep, ctx: CtxDep, limit: int = Query(50, ge=1, le=200), before_id: int | None = None
) -> dict[str, Any]:
    """个人账户明细, newest first; page with ``before_id`` (the last posting_id seen)."""

    def go(uow: Any) -> dict[str, Any]:
        items = accounts.account_movements(uow, ctx, person_id=person_id, limit=limit, before_id=before_id)
        uow.commit()  # the audit row of a staff read
        return {"items": items, "count": len(items)}

    return gj.run(go)


@router.post("/persons/{person_id}/account/{action}")
def freeze_account(person_id: int, action: str, body: ReasonIn, gj: GjDep, ctx: CtxDep) -> dict[str, Any]:
    """冻结 freeze / 解冻 unfreeze a personal account (a frozen account takes no debits)."""
    if action not in {"freeze", "unfreeze"}:
        raise UnknownCode("操作不存在", "Unknown action", field="action", value=action)

    def go(uow: Any) -> dict[str, Any]:
        account = accounts.set_account_frozen(
            uow, ctx, person_id=person_id, frozen=action == "freeze", reason=body.reason
        )
        uow.commit()
        return {"person_id": person_id, "status": account.status}

    return gj.run(go)


@router.post("/ledger/transactions/{txn_id}/reverse", status_code=201)
def reverse_transaction(
    txn_id: int, body: ReasonIn, key: IdempotencyKey, response: Response, gj: GjDep, ctx: CtxDep
) -> dict[str, Any]:
    """冲正: undo a mistaken posting by a reversing entry; history keeps both. Needs Idempotency-Key."""

    def go(uow: Any) -> dict[str, Any]:
        result = accounts.reverse_transaction(uow, ctx, txn_id=txn_id, reason=body.reason, idempotency_key=key)
        uow.commit()
        return money_answer(result, response)

    return gj.run(go)
