"""Full-subsidy money through the township's 两险 待报解 account (issue 16 §4; seed 002 §四(二)1: "区医保
服务中心核实信息后，将资助金打入乡镇、街道城乡居民'两险'待报解社保费账户扣款").

When a full-subsidy roster is approved (``services.resident.roster``), the premiums it pays for
persons who belong to a collection unit are not booked straight from the assistance fund to the
premium income: the fund first pays each township's total into that township's 待报解 account
(``township:<code>:pending``, one transaction per roster and township), and each person's premium
is then deducted there (the grant's source). Persons without a unit (or whose unit lies in
another district than their insurance) are booked directly, as before.

A refund of such a premium reverses the deduction (income → 待报解 account); ``return_to_fund``
then sends the money on from the township's account back to the assistance fund, whose it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from gongji.adapters.db.models import CollectionMember, CollectionUnit, LedgerAccount, LedgerPosting
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import ledger as L
from gongji.services import ledger
from gongji.services.collection.cash import township_pending

PENDING_PREFIX, PENDING_SUFFIX = "township:", ":pending"


def township_of(uow: UnitOfWork, person_id: int, region_code: str) -> str | None:
    """The code of the township whose village holds the person, if it lies in ``region_code``."""
    unit_id = uow.session.scalar(select(CollectionMember.unit_id).where(CollectionMember.person_id == person_id))
    unit = uow.session.get(CollectionUnit, unit_id) if unit_id is not None else None
    town = uow.session.get(CollectionUnit, unit.parent_id) if unit is not None and unit.parent_id else None
    return town.code if town is not None and town.region_code == region_code else None


def fund_townships(
    uow: UnitOfWork,
    *,
    roster_id: int,
    items: Iterable[tuple[int, str, int]],
    now: datetime,
    user_id: int | None,
) -> dict[int, str]:
    """Pay each township's total of ``items`` (person, region, amount) from the assistance fund into
    its 待报解 account; answer the account each person's premium is to be deducted from."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    source: dict[int, str] = {}
    for person_id, region, amount in items:
        town = township_of(uow, person_id, region)
        if town is None or amount <= 0:
            continue
        totals[(town, region)] += amount
        source[person_id] = township_pending(town)
    for (town, region), amount in sorted(totals.items()):
        fund = L.assistance_fund(region)
        ledger.ensure_account(uow, code=fund, kind=L.AccountKind.EXTERNAL, now=now, region_code=region)
        ledger.ensure_account(uow, code=township_pending(town), kind=L.AccountKind.FUND, now=now, region_code=region)
        ledger.post(
            uow,
            L.TransactionDraft(
                idempotency_key=f"subsidy-roster-township:{roster_id}:{town}",
                kind="subsidy.roster_township",
                narration="全额资助金打入乡镇（街道）城乡居民“两险”待报解社保费账户",
                postings=L.transfer(fund, township_pending(town), amount),
            ),
            request={"op": "subsidy.roster_township", "roster_id": roster_id, "township": town, "amount_fen": amount},
            now=now,
            user_id=user_id,
        )
    return source


def return_to_fund(
    uow: UnitOfWork, *, paid_txn_id: int, region_code: str, key: str, now: datetime, user_id: int | None
) -> None:
    """After a premium deducted from a township's 待报解 account was reversed back into it: send the
    amount on to the assistance fund. Nothing when the premium was not deducted there."""
    rows = uow.session.execute(
        select(LedgerAccount.code, LedgerPosting.amount_fen)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerPosting.txn_id == paid_txn_id)
    ).all()
    pending = [
        (code, -amount)
        for code, amount in rows
        if code.startswith(PENDING_PREFIX) and code.endswith(PENDING_SUFFIX) and amount < 0
    ]
    for code, amount in pending:
        fund = L.assistance_fund(region_code)
        ledger.ensure_account(uow, code=fund, kind=L.AccountKind.EXTERNAL, now=now, region_code=region_code)
        ledger.post(
            uow,
            L.TransactionDraft(
                idempotency_key=f"{key}:township-return",
                kind="subsidy.roster_township_return",
                narration="退费：全额资助金由乡镇待报解社保费账户退回医疗救助资金",
                postings=L.transfer(code, fund, amount),
            ),
            request={"op": "subsidy.roster_township_return", "txn_id": paid_txn_id, "amount_fen": amount},
            now=now,
            user_id=user_id,
        )
