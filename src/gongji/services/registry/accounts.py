"""Personal-account use cases: opening, year-end rollover, freeze, 冲正, reads (monthly income is
in ``services.registry.income``).

The employee personal account is two ledger accounts, current year (当年) and past years (历年);
money moves only through ``services.ledger.post``, staff act only within their regions (SPEC §9),
and every change is audited in the same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select

from gongji.adapters.db.models import AccountIncome, LedgerAccount, LedgerPosting, PersonalAccount, Settlement
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import ledger as L
from gongji.domain.errors import InvalidStateTransition, NotFound
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.registry.context import Ctx, audit_event, get_person, person_regions, require_reason


def open_personal_account(
    uow: UnitOfWork, *, person_id: int, region_code: str, opened_on: date, ctx: Ctx
) -> PersonalAccount:
    account = uow.session.scalar(select(PersonalAccount).where(PersonalAccount.person_id == person_id))
    if account is None:
        account = PersonalAccount(person_id=person_id, status="normal", opened_on=opened_on)
        uow.session.add(account)
    now = ctx.clock.now()
    for code in (L.personal_current(person_id), L.personal_past(person_id)):
        ledger.ensure_account(
            uow, code=code, kind=L.AccountKind.PERSONAL, now=now, person_id=person_id, region_code=region_code
        )
    uow.session.flush()
    return account


def year_end_rollover(uow: UnitOfWork, ctx: Ctx, *, year: int, person_ids: list[int]) -> int:
    """Move each current-year balance into past years (历年结余); idempotent per person and year."""
    moved = 0
    for person_id in person_ids:
        current = ledger.balances_of(uow, [L.personal_current(person_id)])[L.personal_current(person_id)]
        if current <= 0:
            continue
        result = ledger.post(
            uow,
            L.TransactionDraft(
                idempotency_key=f"rollover:{year}:{person_id}",
                kind="rollover",
                narration=f"{year}年度当年余额结转历年",
                postings=L.transfer(L.personal_current(person_id), L.personal_past(person_id), current),
            ),
            request={"op": "rollover", "year": year, "person_id": person_id},
            now=ctx.clock.now(),
            user_id=ctx.principal.user_id,
        )
        moved += 0 if result.replayed else 1
    if moved:
        audit_event(uow, ctx, "account.rollover", "ledger", year, persons=moved)
    return moved


def persons_with_accounts(uow: UnitOfWork, *, after_id: int, limit: int) -> list[int]:
    return list(
        uow.session.scalars(
            select(PersonalAccount.person_id)
            .where(PersonalAccount.person_id > after_id)
            .order_by(PersonalAccount.person_id)
            .limit(limit)
        )
    )


def account_balances(uow: UnitOfWork, person_id: int) -> dict[str, int] | None:
    if uow.session.scalar(select(PersonalAccount.id).where(PersonalAccount.person_id == person_id)) is None:
        return None
    b = ledger.balances_of(uow, [L.personal_current(person_id), L.personal_past(person_id)])
    current, past = b[L.personal_current(person_id)], b[L.personal_past(person_id)]
    return {"current_fen": current, "past_years_fen": past, "total_fen": current + past}


def reverse_transaction(
    uow: UnitOfWork, ctx: Ctx, *, txn_id: int, reason: str, idempotency_key: str
) -> ledger.PostResult:
    """Staff fix a mistaken posting by a reversing entry (never an edit), within their regions."""
    ctx.principal.require(Role.STAFF)
    reason = require_reason(reason)
    touched = ledger.account_codes_of(uow, txn_id)
    if not touched:
        raise NotFound("交易不存在", "Transaction not found", txn_id=txn_id)
    settled = uow.session.scalar(
        select(Settlement.id).where(or_(Settlement.account_txn_id == txn_id, Settlement.fund_txn_id == txn_id))
    )
    if settled is not None:
        # the settlement, its accumulators and the institution's books move together (SPEC §5)
        raise InvalidStateTransition(
            "该交易属于定点医药机构结算，须由机构撤销结算（2208）",
            "This transaction belongs to a settlement; the institution cancels it (2208)",
            setl_id=str(settled),
        )
    for _code, region, person_id in touched:
        if person_id is not None and region is not None:
            ctx.principal.require_region(region)
    result = ledger.reverse(
        uow,
        txn_id=txn_id,
        idempotency_key=idempotency_key,
        reason=reason,
        now=ctx.clock.now(),
        user_id=ctx.principal.user_id,
    )
    if not result.replayed:
        income = uow.session.scalar(select(AccountIncome).where(AccountIncome.txn_id == txn_id))
        if income is not None:
            income.status = "reversed"  # its month may be entered again (services.registry.income)
        audit_event(
            uow, ctx, "ledger.reverse", "ledger_txn", txn_id, reason=reason, reversal_txn_id=result.body["txn_id"]
        )
    return result


def set_account_frozen(uow: UnitOfWork, ctx: Ctx, *, person_id: int, frozen: bool, reason: str) -> PersonalAccount:
    """Freeze (no debits) or unfreeze a personal account; credits still arrive while frozen."""
    ctx.principal.require(Role.STAFF)
    reason = require_reason(reason)
    account = uow.session.scalar(select(PersonalAccount).where(PersonalAccount.person_id == person_id))
    if account is None:
        raise NotFound("该人员没有个人账户", "This person has no personal account", person_id=person_id)
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    target = "frozen" if frozen else "normal"
    if account.status == target:
        raise InvalidStateTransition("账户已是该状态", f"Account is already {target}", status=target)
    account.status = target
    uow.session.flush()
    audit_event(uow, ctx, "account.freeze" if frozen else "account.unfreeze", "person", person_id, reason=reason)
    return account


def account_movements(
    uow: UnitOfWork, ctx: Ctx, *, person_id: int, limit: int = 50, before_id: int | None = None
) -> list[dict[str, Any]]:
    """A person's account movements (the citizen themself, or staff in scope: audited)."""
    get_person(uow, person_id)
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    if ctx.principal.role is not Role.CITIZEN:
        audit_event(uow, ctx, "account.read", "person", person_id)
    return ledger.movements(uow, person_id=person_id, limit=limit, before_id=before_id)


def reversal_effects(uow: UnitOfWork, *, person_id: int, txn_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """What reversing each of ``txn_ids`` would do to this person's accounts, for the 冲正
    confirmation: per account the change and the balance now and after (``after_fen`` below zero
    means the reversal will be refused: the money was spent)."""
    rows = uow.session.execute(
        select(LedgerPosting.txn_id, LedgerAccount.code, LedgerPosting.amount_fen, LedgerAccount.balance_fen)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerPosting.txn_id.in_(txn_ids), LedgerAccount.person_id == person_id)
        .order_by(LedgerPosting.id)
    ).all()
    effects: dict[int, list[dict[str, Any]]] = {txn_id: [] for txn_id in txn_ids}
    for txn_id, code, amount, balance in rows:
        effects[txn_id].append(
            {"account": code, "change_fen": -amount, "balance_fen": balance, "after_fen": balance - amount}
        )
    return effects
