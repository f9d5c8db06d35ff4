"""A township's cash at its counter (issue 16 §4, seed 002 §六3 双限报解), staff.

``record_receipt``: a township (乡镇、街道, ``township_code``: 9 digits, the district's 6 and 3
more) takes a resident's premium in cash. The premium is booked as any channel payment
(``services.resident.channels.record_payment``, channel ``cash``: window, amount after subsidy,
once a year, full-subsidy persons pay nothing) but the money reaches the township's cash on hand
(``township:<code>:cash``, never negative) instead of the premium income: it reaches the income
only when the township remits it (``services.collection.remittance``). The receipt number is the
idempotency key: the same number and body answers the first receipt.

A staff member acts for a township-level unit (``collection_unit``) inside their regions; a
clerk bound to one township (``collection_staff_scope``) only for it.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import CollectionUnit, PremiumPayment, ResidentPremium, TownshipCashReceipt
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.clock import local_date
from gongji.domain.errors import IdempotencyConflict, InvalidRequest, TownshipUnknown
from gongji.policy.schema import Profile
from gongji.services.auth import Role
from gongji.services.collection import units
from gongji.services.registry.persons import Ctx, audit_event
from gongji.services.resident import channels

_TOWNSHIP = re.compile(r"^[0-9]{9}$")
_RECEIPT = re.compile(r"^[A-Za-z0-9._:\-]{1,48}$")


def township_cash(code: str) -> str:
    """库存现金: what a township collected at its counter and has not yet remitted."""
    return f"township:{code}:cash"


def township_pending(code: str) -> str:
    """The township's 城乡居民"两险"待报解社会保险费 account at the bank (002 §六3, §四(二)1)."""
    return f"township:{code}:pending"


def require_township(uow: UnitOfWork, ctx: Ctx, code: object) -> str:
    """The code of a township-level unit (乡镇、街道、院校) the staff member may act for: inside their
    regions, and their own township for a clerk bound to one (else ``E_COLLECTION_TOWNSHIP``)."""
    ctx.principal.require(Role.STAFF)
    if not isinstance(code, str) or not _TOWNSHIP.match(code):
        raise InvalidRequest("乡镇（街道）代码应为9位数字", "township_code: 9 digits", field="township_code")
    unit = uow.session.scalar(
        select(CollectionUnit).where(CollectionUnit.code == code, CollectionUnit.parent_id.is_(None))
    )
    scope = units.scope_of(uow, ctx.principal)
    if unit is None or not scope.region_ok(unit.region_code) or scope.township_id not in (None, unit.id):
        raise TownshipUnknown(township_code=code)
    return code


def township_name(uow: UnitOfWork, code: str) -> str:
    return uow.session.scalar(select(CollectionUnit.name).where(CollectionUnit.code == code)) or code


def record_receipt(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    township_code: str,
    receipt_no: str,
    cert_no: str,
    benefit_year: int,
    amount_fen: int,
) -> dict[str, Any]:
    """Book one cash receipt (module docstring); every refusal before anything is written."""
    code = require_township(uow, ctx, township_code)
    if not isinstance(receipt_no, str) or not _RECEIPT.match(receipt_no):
        raise InvalidRequest("收据号格式不正确", "receipt_no: 1–48 of A-Z a-z 0-9 . _ : -", field="receipt_no")
    reference = f"{code}-{receipt_no}"
    paid = channels.record_payment(
        uow,
        ctx,
        profile,
        cert_no=cert_no,
        benefit_year=benefit_year,
        amount_fen=amount_fen,
        channel=channels.CASH,
        reference=reference,
        cash_account=township_cash(code),
    )
    payment = uow.session.get(PremiumPayment, paid["payment_id"])
    assert payment is not None
    premium = uow.session.get(ResidentPremium, payment.premium_id)
    assert premium is not None
    if not code.startswith(premium.region_code):
        raise TownshipUnknown("该居民不在本乡镇（街道）所属区县参保", "The person is insured in another district")
    existing = uow.session.scalar(select(TownshipCashReceipt).where(TownshipCashReceipt.receipt_no == reference))
    if existing is not None:
        if not paid["replayed"]:  # pragma: no cover - the ledger key and the receipt go together
            raise IdempotencyConflict(idempotency_key=reference)
        return receipt_view(existing) | {"replayed": True}
    now = ctx.clock.now()
    row = TownshipCashReceipt(
        township_code=code,
        region_code=premium.region_code,
        receipt_no=reference,
        person_id=premium.person_id,
        benefit_year=benefit_year,
        amount_fen=amount_fen,
        payment_id=payment.id,
        ledger_txn_id=int(paid["ledger_txn_id"]),
        received_on=local_date(now),
        received_at=now,
        user_id=ctx.principal.user_id,
    )
    uow.session.add(row)
    uow.session.flush()
    audit_event(
        uow, ctx, "collection.cash_receipt", "township_cash_receipt", row.id, township=code, amount_fen=amount_fen
    )
    return receipt_view(row) | {"replayed": False}


def receipt_view(r: TownshipCashReceipt) -> dict[str, Any]:
    return {
        "receipt_id": r.id,
        "township_code": r.township_code,
        "receipt_no": r.receipt_no.split("-", 1)[1],
        "benefit_year": r.benefit_year,
        "amount_fen": r.amount_fen,
        "received_on": r.received_on.isoformat(),
        "remittance_id": r.remittance_id,
    }


def unremitted(uow: UnitOfWork, code: str) -> list[TownshipCashReceipt]:
    """The township's receipts not yet remitted whose premium is still in force, oldest first (a
    receipt refunded before remittance went back to the payer from the cash on hand)."""
    return list(
        uow.session.scalars(
            select(TownshipCashReceipt)
            .join(PremiumPayment, PremiumPayment.id == TownshipCashReceipt.payment_id)
            .where(
                TownshipCashReceipt.township_code == code,
                TownshipCashReceipt.remittance_id.is_(None),
                PremiumPayment.status == "paid",
            )
            .order_by(TownshipCashReceipt.received_at, TownshipCashReceipt.id)
        )
    )
