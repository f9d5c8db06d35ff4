"""Ordinary resident premium payments by channel (SPEC §6; seed 002 §六 缴费方式), staff and tax.

``record_payment`` books a premium paid at a bank, in the tax bureau's app or collected in a
batch (集中代缴): within the collection window (002 §一), exactly the amount the person owes after
their subsidy (002 §四: nothing under a full subsidy — the roster pays it, ``services.subsidies``;
the whole premium under a fixed one, 先缴后补), once a year (002 §八2), for a person enrolled in 390
in normal status. The money moves in the ledger from ``external:channel:<channel>`` to the premium
income account of ``services.premiums``; the ``reference`` (the bank's or tax bureau's serial) is
the idempotency key: the same reference and body answers the first payment, another body is
``E_IDEMPOTENCY_MISMATCH``.

``payment_status``: a person's premium for a year — due, subsidy, payments and subsidy grants.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import LedgerTxn, PremiumPayment, ResidentPremium
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import ledger as L
from gongji.domain.errors import (
    Forbidden,
    IdempotencyConflict,
    InvalidRequest,
    NoPremiumStandard,
    PremiumPersonUnknown,
    PremiumRelativeNotEnrolled,
    UnknownCode,
)
from gongji.domain.ids import parse_id_number
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.money import require_positive_fen
from gongji.domain.registry import RESIDENT_BASIC
from gongji.domain.resident import check_amount, check_not_yet_paid, check_window, premium_due
from gongji.policy.schema import Profile
from gongji.services import ledger, premiums, subsidies
from gongji.services.auth import Role
from gongji.services.registry import Ctx, audit_event, get_person, person_regions

CHANNELS = ("bank", "tax_app", "batch")
CHANNEL_ZH = {"bank": "银行", "tax_app": "税务APP", "batch": "集中代缴", "family_account": "家庭共济账户"}
_REFERENCE = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def channel_account(channel: str) -> str:
    """Where money paid through a channel comes from (outside the ledger)."""
    return f"external:channel:{channel}"


def _key(channel: str, reference: str) -> str:
    return f"premium-channel:{channel}:{reference}"


def _view(uow: UnitOfWork, premium: ResidentPremium, payment: PremiumPayment, *, replayed: bool) -> dict[str, Any]:
    return {
        "payment_id": payment.id,
        "channel": payment.channel,
        "channel_name": CHANNEL_ZH.get(payment.channel, payment.channel),
        "amount_fen": payment.amount_fen,
        "ledger_txn_id": payment.ledger_txn_id,
        "premium": premiums.premium_view(uow, premium, payment=payment),
        "replayed": replayed,
    }


def record_payment(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    cert_no: str,
    benefit_year: int,
    amount_fen: int,
    channel: str,
    reference: str,
    insutype: str = RESIDENT_BASIC,
) -> dict[str, Any]:
    """Book one premium payment through ``channel``; see the module docstring. Every refusal is
    raised before anything is written."""
    ctx.principal.require(Role.STAFF, Role.TAX)
    if channel not in CHANNELS:
        raise UnknownCode("缴费渠道不存在", "Unknown payment channel", field="channel", value=channel)
    if not isinstance(reference, str) or not _REFERENCE.match(reference):
        raise InvalidRequest("缴费流水号格式不正确", "reference: 1–64 of A-Z a-z 0-9 . _ : -", field="reference")
    require_positive_fen(amount_fen)
    if insutype != RESIDENT_BASIC:
        raise UnknownCode(
            "仅受理城乡居民基本医疗保险（390）缴费", "Only insutype 390", field="insutype", value=insutype
        )
    today = ctx.clock.today()
    cert = parse_id_number(cert_no, today=today, region_known=region_table().is_known).value
    key = _key(channel, reference)
    request = {
        "op": "premium.channel",
        "cert_no": cert,
        "benefit_year": benefit_year,
        "amount_fen": amount_fen,
        "channel": channel,
        "reference": reference,
    }
    done = uow.session.scalar(select(LedgerTxn).where(LedgerTxn.idempotency_key == key))
    if done is not None:
        if done.request_hash != L.request_hash(request):
            raise IdempotencyConflict(idempotency_key=key)
        payment = uow.session.scalars(select(PremiumPayment).where(PremiumPayment.ledger_txn_id == done.id)).one()
        premium = uow.session.get(ResidentPremium, payment.premium_id)
        assert premium is not None
        return _view(uow, premium, payment, replayed=True)

    person = premiums.person_by_cert(uow, cert)
    if person is None:
        raise PremiumPersonUnknown("未查询到缴费人的参保登记信息", "The person is not registered", who="person")
    standard = premiums.standard_for(profile, benefit_year, insutype)
    check_window(standard, today)
    enrollment = subsidies.resident_enrollment(uow, profile, person.id)
    if enrollment is None:
        raise PremiumRelativeNotEnrolled()
    if ctx.principal.role is Role.STAFF:
        ctx.principal.require_region(enrollment.region_code)
    existing = uow.session.scalar(
        select(ResidentPremium).where(
            ResidentPremium.person_id == person.id,
            ResidentPremium.benefit_year == benefit_year,
            ResidentPremium.insutype == insutype,
        )
    )
    check_not_yet_paid(existing.paid_fen if existing is not None and existing.status == premiums.PAID else 0)
    due = premium_due(standard, subsidies.person_category(uow, profile, person.id))
    check_amount(due, amount_fen)

    region = enrollment.region_code
    premium = premiums.claim_premium(uow, ctx, person_id=person.id, standard=standard, region_code=region)
    check_not_yet_paid(premium.paid_fen if premium.status == premiums.PAID else 0)  # a concurrent twin
    now = ctx.clock.now()
    income = premiums.premium_income_account(region, insutype)
    ledger.ensure_account(uow, code=income, kind=L.AccountKind.EXTERNAL, now=now, region_code=region)
    ledger.ensure_account(uow, code=channel_account(channel), kind=L.AccountKind.EXTERNAL, now=now)
    result = ledger.post(
        uow,
        L.TransactionDraft(
            idempotency_key=key,
            kind=f"premium.{channel}",
            narration=f"{benefit_year}年度城乡居民医保缴费（{CHANNEL_ZH[channel]}）",
            postings=L.transfer(channel_account(channel), income, amount_fen),
        ),
        request=request,
        now=now,
        user_id=ctx.principal.user_id,
    )
    premium.status = premiums.PAID
    premium.individual_fen = standard.individual_fen
    premium.paid_fen = amount_fen
    premium.channel = channel
    premium.paid_at = now
    premium.refunded_at = None
    payment = PremiumPayment(
        premium_id=premium.id,
        channel=channel,
        amount_fen=amount_fen,
        ledger_txn_id=int(result.body["txn_id"]),
        tax_request_id=reference if channel == "tax_app" else None,
        status=premiums.PAID,
        created_at=now,
    )
    uow.session.add(payment)
    uow.session.flush()
    audit_event(
        uow, ctx, "premium.channel_payment", "resident_premium", premium.id, channel=channel, amount_fen=amount_fen
    )
    return _view(uow, premium, payment, replayed=False)


def payment_status(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, person_id: int, benefit_year: int) -> dict[str, Any]:
    """A person's premium for a benefit year: paid or not, by which channel, what is due after the
    subsidy, the payments and the subsidy grants. Citizens see themselves, staff persons in their
    regions, the tax bureau anyone (the read is audited)."""
    if ctx.principal.role not in (Role.CITIZEN, Role.STAFF, Role.TAX):
        raise Forbidden()
    if ctx.principal.role is not Role.TAX:
        ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    person = get_person(uow, person_id)
    premium = uow.session.scalar(
        select(ResidentPremium).where(
            ResidentPremium.person_id == person_id,
            ResidentPremium.benefit_year == benefit_year,
            ResidentPremium.insutype == RESIDENT_BASIC,
        )
    )
    category = subsidies.person_category(uow, profile, person_id)
    try:
        due: dict[str, Any] | None = asdict(
            premium_due(premiums.standard_for(profile, benefit_year, RESIDENT_BASIC), category)
        )
    except NoPremiumStandard:
        due = None
    payments = (
        uow.session.scalars(
            select(PremiumPayment).where(PremiumPayment.premium_id == premium.id).order_by(PremiumPayment.id)
        ).all()
        if premium is not None
        else []
    )
    if ctx.principal.role is not Role.CITIZEN:
        audit_event(uow, ctx, "premium.status_read", "person", person_id, benefit_year=benefit_year)
    status = premium.status if premium is not None else premiums.UNPAID
    return {
        "person_id": person_id,
        "name_masked": mask_name(person.name),
        "id_masked": mask_id_number(person.cert_no),
        "benefit_year": benefit_year,
        "status": status,
        "status_name": premiums.STATUS_ZH[status],
        "paid_fen": premium.paid_fen if premium is not None else 0,
        "channel": premium.channel if premium is not None else None,
        "subsidy": (
            {"code": category.code, "name": category.name, "kind": category.kind, "amount_fen": category.amount_fen}
            if category
            else None
        ),
        "due": due,
        "payments": [
            {
                "payment_id": p.id,
                "channel": p.channel,
                "channel_name": CHANNEL_ZH.get(p.channel, p.channel),
                "amount_fen": p.amount_fen,
                "status": p.status,
                "paid_at": p.created_at.isoformat(),
            }
            for p in payments
        ],
        "subsidy_grants": [subsidies.grant_view(g) for g in subsidies.grants_of(uow, person_id, benefit_year)],
    }
