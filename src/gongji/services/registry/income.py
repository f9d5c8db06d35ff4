"""Manual personal-account income (经办录入个人账户入账) under maker–checker (issue 12 Part C).

A clerk enters one month's income of one kind for one employee: working employees get their own
contribution (about 2 % of the base, notes §1.1), retirees the fixed credit from the pooled fund.
The profile bounds the amount per kind (``[accounts.manual_income]``); the month is not in the
future on the business clock; one live entry exists per person, month and kind (a second is
refused whatever its idempotency key; the same key replays the first answer). Above the
profile's threshold the entry waits, no money moving, until a second clerk of the region
approves it (the one who entered it gets ``FourEyesRequired``); any clerk of the region may
reject a waiting entry with a reason. A posted entry undone by 冲正 frees its month again.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from gongji.adapters.db.models import AccountIncome, Enrollment, LedgerTxn, Person
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import ledger as L
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import (
    DuplicateRecord,
    FourEyesRequired,
    IdempotencyConflict,
    InvalidRequest,
    InvalidStateTransition,
    NotFound,
)
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.registry import (
    EMPLOYEE_BASIC,
    INCOME_KINDS,
    RETIRED,
    EnrollmentStatus,
    check_income_entry,
    income_needs_checker,
    scope_prefix,
)
from gongji.policy.schema import Profile
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.registry.context import Ctx, audit_event, get_person, require_reason

PENDING, POSTED, REJECTED, REVERSED = "pending", "posted", "rejected", "reversed"
PENDING_SHOWN = 200


def post_account_income(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    person_id: int,
    month: str,
    kind: str,
    amount_fen: int,
    idempotency_key: str,
) -> ledger.PostResult:
    """Enter a month's income: posted at once up to the threshold, else waiting for a checker.

    The answer is the ledger's (with ``txn_id``) when posted, and says ``status`` either way.
    """
    ctx.principal.require(Role.STAFF)
    ledger.require_idempotency_key(idempotency_key)
    replay = uow.session.scalar(select(AccountIncome).where(AccountIncome.idempotency_key == idempotency_key))
    if replay is not None:
        if (replay.person_id, replay.month, replay.kind, replay.amount_fen) != (person_id, month, kind, amount_fen):
            raise IdempotencyConflict(idempotency_key=idempotency_key)
        ctx.principal.require_region(replay.region_code)
        return ledger.PostResult(_answer(uow, replay), replayed=True)
    rules = profile.accounts.manual_income
    check_income_entry(
        kind=kind, month=month, amount_fen=amount_fen, today=ctx.clock.today(), max_fen=rules.max_fen.get(kind, 0)
    )
    enrollment = _employee_enrollment(uow, ctx, person_id=person_id, kind=kind)
    taken = uow.session.scalar(
        select(AccountIncome).where(
            AccountIncome.person_id == person_id,
            AccountIncome.month == month,
            AccountIncome.kind == kind,
            AccountIncome.status.in_((PENDING, POSTED)),
        )
    )
    if taken is not None:
        raise DuplicateRecord(
            "该人员该月份的此类入账已录入（已入账或待复核），不能重复入账；如有错误请先冲正或驳回",
            "This month's income of this kind is already entered (posted or awaiting approval); "
            "reverse or reject it first",
            income_id=taken.id,
            status=taken.status,
        )
    entry = AccountIncome(
        idempotency_key=idempotency_key,
        person_id=person_id,
        region_code=enrollment.region_code,
        month=month,
        kind=kind,
        amount_fen=amount_fen,
        status=PENDING,
        entered_by_user_id=ctx.principal.user_id,
        entered_at=ctx.clock.now(),
    )
    uow.session.add(entry)
    uow.session.flush()
    posted = None if income_needs_checker(amount_fen, rules.approval_above_fen) else _post(uow, ctx, entry)
    audit_event(
        uow,
        ctx,
        "account.income" if posted else "account.income.enter",
        "person",
        person_id,
        income_id=entry.id,
        month=month,
        kind=kind,
        amount_fen=amount_fen,
        status=entry.status,
        txn_id=entry.txn_id,
    )
    return ledger.PostResult(_answer(uow, entry, posted), replayed=False)


def approve_income(uow: UnitOfWork, ctx: Ctx, *, income_id: int) -> ledger.PostResult:
    """A second clerk of the region approves a waiting entry: now the money moves."""
    entry = _waiting(uow, ctx, income_id)
    if entry.entered_by_user_id == ctx.principal.user_id:
        raise FourEyesRequired(income_id=income_id)
    _employee_enrollment(uow, ctx, person_id=entry.person_id, kind=entry.kind)  # still insured, still in scope
    posted = _post(uow, ctx, entry)
    audit_event(
        uow,
        ctx,
        "account.income.approve",
        "person",
        entry.person_id,
        income_id=entry.id,
        entered_by=entry.entered_by_user_id,
        amount_fen=entry.amount_fen,
        txn_id=entry.txn_id,
    )
    return ledger.PostResult(_answer(uow, entry, posted), replayed=False)


def reject_income(uow: UnitOfWork, ctx: Ctx, *, income_id: int, reason: str) -> dict[str, Any]:
    """Reject a waiting entry (the clerk who entered it may withdraw it): nothing moves and the
    month may be entered again."""
    reason = require_reason(reason)
    entry = _waiting(uow, ctx, income_id)
    entry.status = REJECTED
    entry.reject_reason = reason
    entry.decided_by_user_id = ctx.principal.user_id
    entry.decided_at = ctx.clock.now()
    uow.session.flush()
    audit_event(uow, ctx, "account.income.reject", "person", entry.person_id, income_id=entry.id, reason=reason)
    return income_view(entry)


def pending_incomes(uow: UnitOfWork, ctx: Ctx, *, limit: int = PENDING_SHOWN) -> list[dict[str, Any]]:
    """Entries waiting for a checker in the clerk's regions, oldest first, names masked."""
    ctx.principal.require(Role.STAFF)
    scope = or_(*[AccountIncome.region_code.startswith(scope_prefix(r)) for r in ctx.principal.regions])
    rows = uow.session.execute(
        select(AccountIncome, Person)
        .join(Person, Person.id == AccountIncome.person_id)
        .where(AccountIncome.status == PENDING, scope)
        .order_by(AccountIncome.id)
        .limit(max(1, min(limit, PENDING_SHOWN)))
    ).all()
    return [_listed(entry, person) for entry, person in rows]


def income_for_review(uow: UnitOfWork, ctx: Ctx, *, income_id: int) -> dict[str, Any]:
    """One entry as a checker confirms it: who, which account, its balance before and after."""
    ctx.principal.require(Role.STAFF)
    entry = _get(uow, income_id)
    ctx.principal.require_region(entry.region_code)
    code = L.personal_current(entry.person_id)
    before = ledger.balances_of(uow, [code])[code]
    return _listed(entry, get_person(uow, entry.person_id)) | {
        "account_code": code,
        "balance_before_fen": before,
        "balance_after_fen": before + entry.amount_fen,
    }


def income_view(entry: AccountIncome) -> dict[str, Any]:
    return {
        "income_id": entry.id,
        "person_id": entry.person_id,
        "region_code": entry.region_code,
        "month": entry.month,
        "kind": entry.kind,
        "kind_zh": INCOME_KINDS.get(entry.kind, entry.kind),
        "amount_fen": entry.amount_fen,
        "status": entry.status,
        "entered_by_user_id": entry.entered_by_user_id,
        "entered_at": _beijing(entry.entered_at),
        "decided_by_user_id": entry.decided_by_user_id,
        "decided_at": _beijing(entry.decided_at) if entry.decided_at else None,
        "reject_reason": entry.reject_reason,
        "txn_id": entry.txn_id,
    }


def _beijing(at: datetime) -> str:
    """A stored time in Beijing time, the same on both databases (SQLite gives it back naive)."""
    return (at if at.tzinfo else at.replace(tzinfo=SHANGHAI)).astimezone(SHANGHAI).isoformat()


def _listed(entry: AccountIncome, person: Person) -> dict[str, Any]:
    return income_view(entry) | {"name": mask_name(person.name), "cert_no": mask_id_number(person.cert_no)}


def _answer(uow: UnitOfWork, entry: AccountIncome, posted: ledger.PostResult | None = None) -> dict[str, Any]:
    """The entry, and when it is posted the ledger's answer too (as a replay of its key gives)."""
    if entry.txn_id is None:
        return income_view(entry)
    if posted is None:
        txn = uow.session.get(LedgerTxn, entry.txn_id)
        assert txn is not None  # a foreign key
        return json.loads(txn.result_json) | {"txn_id": txn.id} | income_view(entry)
    return posted.body | income_view(entry)


def _post(uow: UnitOfWork, ctx: Ctx, entry: AccountIncome) -> ledger.PostResult:
    """Credit the entry to the current-year account; the entry's key is the ledger's key."""
    source = f"external:{entry.kind}:{entry.region_code}"
    ledger.ensure_account(
        uow, code=source, kind=L.AccountKind.EXTERNAL, now=ctx.clock.now(), region_code=entry.region_code
    )
    result = ledger.post(
        uow,
        L.TransactionDraft(
            idempotency_key=entry.idempotency_key,
            kind=f"income.{entry.kind}",
            narration=f"{entry.month} {INCOME_KINDS[entry.kind]}",
            postings=L.transfer(source, L.personal_current(entry.person_id), entry.amount_fen),
        ),
        request={
            "op": "account_income",
            "person_id": entry.person_id,
            "month": entry.month,
            "kind": entry.kind,
            "amount_fen": entry.amount_fen,
        },
        now=ctx.clock.now(),
        user_id=ctx.principal.user_id,
        extra={"person_id": entry.person_id, "month": entry.month},
    )
    entry.status = POSTED
    entry.txn_id = int(result.body["txn_id"])
    if entry.entered_by_user_id != ctx.principal.user_id:
        entry.decided_by_user_id = ctx.principal.user_id
        entry.decided_at = ctx.clock.now()
    uow.session.flush()
    return result


def _employee_enrollment(uow: UnitOfWork, ctx: Ctx, *, person_id: int, kind: str) -> Enrollment:
    """The person's live employee enrollment, in the clerk's regions, normal, of the right type."""
    e = uow.session.scalar(
        select(Enrollment).where(
            Enrollment.person_id == person_id,
            Enrollment.insutype == EMPLOYEE_BASIC,
            Enrollment.status != EnrollmentStatus.TERMINATED.value,
        )
    )
    if e is None:
        raise NotFound("该人员没有职工医保参保记录", "No employee enrollment for this person", person_id=person_id)
    ctx.principal.require_region(e.region_code)
    if e.status != EnrollmentStatus.NORMAL.value:
        raise InvalidStateTransition(
            "参保状态非正常，不能划入个人账户", "Enrollment is not normal; no income can be posted"
        )
    if (kind == "retiree_credit") != (e.psn_type == RETIRED):
        raise InvalidRequest("入账类型与人员类别不符", "Income kind does not match the person type", field="kind")
    return e


def _get(uow: UnitOfWork, income_id: int, *, lock: bool = False) -> AccountIncome:
    query = select(AccountIncome).where(AccountIncome.id == income_id)
    entry = uow.session.scalar(query.with_for_update() if lock else query)
    if entry is None:
        raise NotFound("入账记录不存在", "Income entry not found", income_id=income_id)
    return entry


def _waiting(uow: UnitOfWork, ctx: Ctx, income_id: int) -> AccountIncome:
    """A waiting entry in the clerk's regions, locked against a concurrent approve or reject."""
    ctx.principal.require(Role.STAFF)
    entry = _get(uow, income_id, lock=True)
    ctx.principal.require_region(entry.region_code)
    if entry.status != PENDING:
        raise InvalidStateTransition(
            "该入账不在待复核状态", "This income entry is not awaiting approval", status=entry.status
        )
    return entry
