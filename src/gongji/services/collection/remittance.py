"""双限报解 (issue 16 §4, seed 002 §六3): when a township's cash must go to the bank, its remittance to
the 待报解社会保险费 account, and the transfer from there to the treasury.

The rule ("征收费款达到1万元或者征收费款不足1万元但收费累计达到5个工作日的，要及时…解报"), figures from
the region's terms (``collection.remittance``: ``threshold_fen``, ``max_working_days``):

- by amount: the unremitted receipts reach the threshold on the day of the receipt that makes
  them reach it (or the next working day, for cash taken on a rest day);
- by days: the oldest unremitted receipt's day plus ``max_working_days`` working days on the
  official calendar (``services.calendar``: cash of Tue 2026-09-29 is due Mon 10-12 across the
  National Day week and the make-up Saturday);

whichever comes first is ``due_on``. Before it the state is ``pending``, on it ``due``, after it
``overdue``; no unremitted cash is ``none``.

``remit``: the township remits every unremitted receipt at once (bank voucher ``reference``,
unique): cash on hand → 待报解 account. ``confirm_treasury``: the bank and tax confirm the money
reached the treasury (``tips`` 三方协议扣款 or ``bank_query`` 银行端查询缴费): 待报解 → premium income.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import TownshipCashReceipt, TownshipRemittance
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import ledger as L
from gongji.domain.calendar import WorkCalendar
from gongji.domain.errors import InvalidRequest, InvalidStateTransition, NotFound, NothingToRemit
from gongji.domain.registry import RESIDENT_BASIC, region_in_scope
from gongji.policy.schema import Profile
from gongji.services import calendar, ledger
from gongji.services.auth import Role
from gongji.services.collection import cash
from gongji.services.registry.persons import Ctx, audit_event
from gongji.services.resident import premiums

REMITTED, IN_TREASURY = "remitted", "in_treasury"
STATUS_ZH = {REMITTED: "已解报至待报解账户，待缴入国库", IN_TREASURY: "已缴入国库"}
METHODS = {"tips": "三方协议TIPS扣款", "bank_query": "银行端查询缴费"}
STATE_ZH = {"none": "无待解报费款", "pending": "未到解报期限", "due": "今日应解报", "overdue": "已超期未解报"}
_REFERENCE = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


@dataclass(frozen=True)
class RemitState:
    state: str
    amount_fen: int
    receipts: int
    oldest_on: date | None
    reached_on: date | None  # the day the amount reached the threshold
    days_due_on: date | None  # the oldest receipt's day + max working days
    due_on: date | None
    threshold_fen: int
    max_working_days: int

    def view(self) -> dict[str, Any]:
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
        reasons = []
        if self.reached_on is not None:
            reasons.append(f"费款达到{self.threshold_fen // 100}元")
        if self.days_due_on is not None and self.due_on == self.days_due_on:
            reasons.append(f"收费累计{self.max_working_days}个工作日")
        return {
            "state": self.state,
            "state_name": STATE_ZH[self.state],
            "unremitted_fen": self.amount_fen,
            "receipts": self.receipts,
            "oldest_on": iso(self.oldest_on),
            "reached_on": iso(self.reached_on),
            "days_due_on": iso(self.days_due_on),
            "due_on": iso(self.due_on),
            "reasons": reasons,
            "threshold_fen": self.threshold_fen,
            "max_working_days": self.max_working_days,
        }


def remit_state(
    receipts: Sequence[tuple[date, int]], *, today: date, cal: WorkCalendar, threshold_fen: int, max_working_days: int
) -> RemitState:
    """The 双限报解 rule over unremitted receipts ``(day, amount)`` in the order taken (module doc)."""
    if not receipts:
        return RemitState("none", 0, 0, None, None, None, None, threshold_fen, max_working_days)
    total, reached = 0, None
    for day, amount in receipts:
        total += amount
        if reached is None and total >= threshold_fen:
            reached = day
    oldest = min(day for day, _ in receipts)
    days_due = cal.deadline(oldest, max_working_days).due
    due = days_due if reached is None else min(days_due, cal.next_working_day(reached))
    state = "pending" if today < due else "due" if today == due else "overdue"
    return RemitState(state, total, len(receipts), oldest, reached, days_due, due, threshold_fen, max_working_days)


def township_state(
    uow: UnitOfWork, profile: Profile, code: str, *, today: date, cal: WorkCalendar | None = None
) -> RemitState:
    open_ = cash.unremitted(uow, code)
    year = open_[0].benefit_year if open_ else today.year + 1
    rule = profile.resident_terms(year, code[:6]).remittance
    return remit_state(
        [(r.received_on, r.amount_fen) for r in open_],
        today=today,
        cal=cal or calendar.load(uow),
        threshold_fen=rule.threshold_fen,
        max_working_days=rule.max_working_days,
    )


def township_page(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, township_code: str) -> dict[str, Any]:
    """The township's cash: the 双限报解 state, unremitted receipts, remittances (newest first)."""
    code = cash.require_township(uow, ctx, township_code)
    state = township_state(uow, profile, code, today=ctx.clock.today())
    remittances = uow.session.scalars(
        select(TownshipRemittance)
        .where(TownshipRemittance.township_code == code)
        .order_by(TownshipRemittance.id.desc())
    )
    return {
        "township_code": code,
        "cash": state.view(),
        "receipts": [cash.receipt_view(r) for r in cash.unremitted(uow, code)],
        "remittances": [remittance_view(r) for r in remittances],
        "balances": ledger.balances_of(uow, [cash.township_cash(code), cash.township_pending(code)]),
    }


def remittance_view(r: TownshipRemittance) -> dict[str, Any]:
    return {
        "remittance_id": r.id,
        "township_code": r.township_code,
        "amount_fen": r.amount_fen,
        "receipts": r.receipt_count,
        "reference": r.reference,
        "status": r.status,
        "status_name": STATUS_ZH[r.status],
        "remitted_at": r.remitted_at.isoformat(),
        "treasury_method": r.treasury_method,
        "treasury_method_name": METHODS.get(r.treasury_method or ""),
        "treasury_reference": r.treasury_reference,
        "treasury_at": r.treasury_at.isoformat() if r.treasury_at else None,
    }


def _check_reference(value: object, field: str) -> str:
    if not isinstance(value, str) or not _REFERENCE.match(value):
        raise InvalidRequest("凭证号格式不正确", f"{field}: 1–64 of A-Z a-z 0-9 . _ : -", field=field)
    return value


def remit(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, township_code: str, reference: str) -> dict[str, Any]:
    """Remit every unremitted receipt to the 待报解 account (voucher ``reference``, idempotent)."""
    code = cash.require_township(uow, ctx, township_code)
    reference = _check_reference(reference, "reference")
    done = uow.session.scalar(select(TownshipRemittance).where(TownshipRemittance.reference == reference))
    if done is not None:
        if done.township_code != code:
            raise InvalidStateTransition("该凭证号已用于其他乡镇的解报", "The voucher was used by another township")
        return remittance_view(done) | {"replayed": True}
    open_ = cash.unremitted(uow, code)
    if not open_:
        raise NothingToRemit(township_code=code)
    total = sum(r.amount_fen for r in open_)
    now = ctx.clock.now()
    pending = cash.township_pending(code)
    ledger.ensure_account(uow, code=pending, kind=L.AccountKind.FUND, now=now, region_code=code[:6])
    posted = ledger.post(
        uow,
        L.TransactionDraft(
            idempotency_key=f"township-remit:{code}:{reference}",
            kind="collection.remit",
            narration=f"乡镇现金费款解报至待报解社会保险费账户（{len(open_)}笔）",
            postings=L.transfer(cash.township_cash(code), pending, total),
        ),
        request={"op": "collection.remit", "township": code, "reference": reference, "receipts": [r.id for r in open_]},
        now=now,
        user_id=ctx.principal.user_id,
    )
    row = TownshipRemittance(
        township_code=code,
        region_code=code[:6],
        amount_fen=total,
        receipt_count=len(open_),
        reference=reference,
        status=REMITTED,
        ledger_txn_id=int(posted.body["txn_id"]),
        remitted_by_user_id=ctx.principal.user_id,
        remitted_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    for r in open_:
        r.remittance_id = row.id
    uow.session.flush()
    audit_event(uow, ctx, "collection.remit", "township_remittance", row.id, township=code, amount_fen=total)
    return remittance_view(row) | {"replayed": False}


def confirm_treasury(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, *, remittance_id: int, method: str, reference: str
) -> dict[str, Any]:
    """The money of a remittance reached the treasury: 待报解 → premium income (module docstring)."""
    ctx.principal.require(Role.STAFF)
    if method not in METHODS:
        raise InvalidRequest("入库确认方式应为 tips 或 bank_query", "method: tips or bank_query", field="method")
    reference = _check_reference(reference, "treasury_reference")
    row = uow.session.scalar(
        select(TownshipRemittance)
        .where(TownshipRemittance.id == remittance_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None or not region_in_scope(row.region_code, list(ctx.principal.regions)):
        raise NotFound("解报记录不存在", "Remittance not found", remittance_id=remittance_id)
    cash.require_township(uow, ctx, row.township_code)
    if row.status == IN_TREASURY:
        if (row.treasury_method, row.treasury_reference) == (method, reference):
            return remittance_view(row) | {"replayed": True}
        raise InvalidStateTransition("该笔解报已确认缴入国库", "Already confirmed in the treasury")
    now = ctx.clock.now()
    income = premiums.premium_income_account(row.region_code, RESIDENT_BASIC)
    ledger.ensure_account(uow, code=income, kind=L.AccountKind.EXTERNAL, now=now, region_code=row.region_code)
    posted = ledger.post(
        uow,
        L.TransactionDraft(
            idempotency_key=f"township-treasury:{row.id}",
            kind="collection.treasury",
            narration=f"待报解社会保险费缴入国库（{METHODS[method]}）",
            postings=L.transfer(cash.township_pending(row.township_code), income, row.amount_fen),
        ),
        request={"op": "collection.treasury", "remittance_id": row.id, "method": method, "reference": reference},
        now=now,
        user_id=ctx.principal.user_id,
    )
    row.status = IN_TREASURY
    row.treasury_method = method
    row.treasury_reference = reference
    row.treasury_txn_id = int(posted.body["txn_id"])
    row.treasury_by_user_id = ctx.principal.user_id
    row.treasury_at = now
    uow.session.flush()
    audit_event(uow, ctx, "collection.treasury", "township_remittance", row.id, method=method)
    return remittance_view(row) | {"replayed": False}


def district_view(uow: UnitOfWork, ctx: Ctx, profile: Profile) -> dict[str, Any]:
    """Every township in the staff member's scope holding unremitted cash or a remittance not yet in
    the treasury, overdue first (the district's dashboard)."""
    ctx.principal.require(Role.STAFF)
    scopes = list(ctx.principal.regions)
    open_codes = set(
        uow.session.scalars(
            select(TownshipCashReceipt.township_code).where(TownshipCashReceipt.remittance_id.is_(None))
        )
    )
    waiting = list(uow.session.scalars(select(TownshipRemittance).where(TownshipRemittance.status == REMITTED)))
    codes = sorted(c for c in open_codes | {r.township_code for r in waiting} if region_in_scope(c[:6], scopes))
    cal = calendar.load(uow)
    today = ctx.clock.today()
    order = {"overdue": 0, "due": 1, "pending": 2, "none": 3}
    rows = []
    for code in codes:
        state = township_state(uow, profile, code, today=today, cal=cal)
        rows.append(
            {"township_code": code, **state.view()}
            | {"awaiting_treasury": [remittance_view(r) for r in waiting if r.township_code == code]}
        )
    rows.sort(key=lambda r: (order[r["state"]], r["township_code"]))
    counts = {s: sum(1 for r in rows if r["state"] == s) for s in ("overdue", "due", "pending")}
    return {"today": today.isoformat(), "townships": rows, "counts": counts}
