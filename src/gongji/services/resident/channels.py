"""Ordinary resident premium payments by channel (SPEC §6; seed 002 §六 缴费方式), staff and tax.

``record_payment`` books a premium paid at a bank, in the tax bureau's app or collected in a
batch (集中代缴): within the collection window (002 §一), exactly the amount the person owes after
their subsidy (002 §四: a full-subsidy person pays nothing by any channel — ``E_RESIDENT_FULL_SUBSIDY``, the
roster pays it, ``services.resident.roster``;
the whole premium under a fixed one, 先缴后补), once a year (002 §八2), for a person enrolled in 390
in normal status. The money moves in the ledger from ``external:channel:<channel>`` to the premium
income account of ``services.resident.premiums``; the ``reference`` (the bank's or tax bureau's serial) is
the idempotency key: the same reference and body answers the first payment, another body is
``E_IDEMPOTENCY_MISMATCH``.

Late payments (中途参保, notes §1.2): with ``late=True`` a payment for the current benefit year
(the calendar year of today) is accepted after its window closed; the premium then carries the
waiting period the domain decides (``services.resident.waiting``: 3 months, more after a break; none for a
newborn, who pays the standard of the birth year and has benefits from payment, 002 §五4). A late
payment for another year is ``E_RESIDENT_LATE_YEAR``. Every accepted payment stores its benefit
start (1 January for an in-window payment without a break).

``buy_back_waiting``: staff book a payment that buys off variable waiting months (缴费购买等待期,
notes §1.2), from the channel to the premium income, idempotent by reference.

``payment_status``: a person's premium for a year — due, subsidy, payments and subsidy grants,
benefit start and waiting period.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import LedgerTxn, PremiumPayment, ResidentPremium
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import ledger as L
from gongji.domain.clock import local_date
from gongji.domain.errors import (
    BuybackNotAllowed,
    Forbidden,
    IdempotencyConflict,
    InvalidRequest,
    LatePaymentYear,
    NoPremiumStandard,
    PremiumAmountMismatch,
    PremiumNotPaid,
    PremiumPersonUnknown,
    PremiumRelativeNotEnrolled,
    UnknownCode,
)
from gongji.domain.ids import parse_id_number
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.money import require_positive_fen
from gongji.domain.registry import RESIDENT_BASIC
from gongji.domain.resident import (
    benefit_start_after_buyback,
    buy_back,
    check_amount,
    check_not_yet_paid,
    check_person_may_pay,
    check_window,
    premium_due,
)
from gongji.policy.schema import Profile
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.registry.persons import Ctx, audit_event, get_person, person_regions
from gongji.services.resident import categories, premiums, subsidies, waiting

CHANNELS = ("bank", "tax_app", "batch")
CASH = "cash"  # a township's counter (services.collection.cash): only through ``cash_account``
CHANNEL_ZH = {
    "bank": "银行",
    "tax_app": "税务APP",
    "batch": "集中代缴",
    "family_account": "家庭共济账户",
    CASH: "乡镇现金收缴",
}
_REFERENCE = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def channel_account(channel: str) -> str:
    """Where money paid through a channel comes from (outside the ledger)."""
    return f"external:channel:{channel}"


def _check_channel(channel: str, reference: object, *, cash: bool = False) -> None:
    """A channel we take payments from, and its serial (the idempotency reference); ``cash`` only
    from a township's counter, which names the account the cash reaches."""
    if channel not in CHANNELS and not (cash and channel == CASH):
        raise UnknownCode("缴费渠道不存在", "Unknown payment channel", field="channel", value=channel)
    if not isinstance(reference, str) or not _REFERENCE.match(reference):
        raise InvalidRequest("缴费流水号格式不正确", "reference: 1–64 of A-Z a-z 0-9 . _ : -", field="reference")


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
    late: bool = False,
    cash_account: str | None = None,
) -> dict[str, Any]:
    """Book one premium payment through ``channel``; see the module docstring. Every refusal is
    raised before anything is written.

    ``cash_account``: a township's cash on hand (``services.collection.cash``, channel ``cash``) —
    the money reaches it instead of the premium income, which it reaches once the township
    remits it and the treasury confirms (双限报解, 002 §六3).

    ``late``: the payer enrolls outside the collection window (中途参保). Only for the current
    benefit year, ``today.year`` (else ``E_RESIDENT_LATE_YEAR``); the window check is skipped and
    the premium gets the waiting period of notes §1.2 (``services.resident.waiting.record``). A newborn
    (``domain.resident.is_newborn_for``: born in the benefit year) pays that year's standard — the
    standard of the birth year — and has no waiting period. Without ``late`` a payment outside the
    window is refused as before (``E_RESIDENT_OUTSIDE_WINDOW``); ``late`` on a day the window is
    still open is an ordinary in-window payment."""
    ctx.principal.require(Role.STAFF, Role.TAX)
    _check_channel(channel, reference, cash=cash_account is not None)
    require_positive_fen(amount_fen)
    if insutype != RESIDENT_BASIC:
        raise UnknownCode(
            "仅受理城乡居民基本医疗保险（390）缴费", "Only insutype 390", field="insutype", value=insutype
        )
    if not isinstance(late, bool):
        raise InvalidRequest("late 应为 true 或 false", "late: true or false", field="late")
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
    if late:  # only then, so that the stored hashes of earlier payments still match
        request["late"] = True
    if cash_account is not None:
        request["cash_account"] = cash_account
    done = uow.session.scalar(select(LedgerTxn).where(LedgerTxn.idempotency_key == key))
    if done is not None:
        if done.request_hash != L.request_hash(request):
            raise IdempotencyConflict(idempotency_key=key)
        payment = uow.session.scalars(select(PremiumPayment).where(PremiumPayment.ledger_txn_id == done.id)).one()
        premium = uow.session.get(ResidentPremium, payment.premium_id)
        assert premium is not None
        return _view(uow, premium, payment, replayed=True)

    if late:
        check_late_year(benefit_year, today)
    person = premiums.person_by_cert(uow, cert)
    if person is None:
        raise PremiumPersonUnknown("未查询到缴费人的参保登记信息", "The person is not registered", who="person")
    standard = premiums.standard_for(profile, benefit_year, insutype)
    outside_window = not standard.is_collecting(today)
    if not late:
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
    region = enrollment.region_code
    subsidy = categories.person_category(uow, profile, person.id, benefit_year=benefit_year, region_code=region)
    check_person_may_pay(subsidy, benefit_year=benefit_year, insutype=insutype)  # 002 §四(二)1
    check_amount(premium_due(standard, subsidy), amount_fen)

    premium = premiums.claim_premium(uow, ctx, person_id=person.id, standard=standard, region_code=region)
    check_not_yet_paid(premium.paid_fen if premium.status == premiums.PAID else 0)  # a concurrent twin
    now = ctx.clock.now()
    income = premiums.premium_income_account(region, insutype)
    ledger.ensure_account(uow, code=income, kind=L.AccountKind.EXTERNAL, now=now, region_code=region)
    ledger.ensure_account(uow, code=channel_account(channel), kind=L.AccountKind.EXTERNAL, now=now)
    if cash_account is not None:
        ledger.ensure_account(uow, code=cash_account, kind=L.AccountKind.FUND, now=now, region_code=region)
    result = ledger.post(
        uow,
        L.TransactionDraft(
            idempotency_key=key,
            kind=f"premium.{channel}",
            narration=f"{benefit_year}年度城乡居民医保缴费（{CHANNEL_ZH[channel]}）",
            postings=L.transfer(channel_account(channel), cash_account or income, amount_fen),
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
    waiting.record(uow, profile, premium, paid_on=today, outside_window=outside_window)
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
        uow,
        ctx,
        "premium.channel_payment",
        "resident_premium",
        premium.id,
        channel=channel,
        amount_fen=amount_fen,
        outside_window=outside_window,
        waiting_months=premium.waiting_months,
        benefit_start=premium.benefit_start.isoformat() if premium.benefit_start else None,
    )
    return _view(uow, premium, payment, replayed=False)


def check_late_year(benefit_year: int, today: date) -> None:
    """A late payment (中途参保) is for the current benefit year only: a later year is collected in
    its own window, an earlier one is over (notes §1.2: benefits run to 31 December of the year
    of payment)."""
    if benefit_year > today.year:
        raise LatePaymentYear(
            f"{benefit_year}年度尚未到待遇期，请在集中缴费期内缴费，不能按中途参保办理",
            f"Benefit year {benefit_year} has not begun: pay it in its collection window, not as a late payment",
            benefit_year=benefit_year,
            current_year=today.year,
            reason="future_year",
        )
    if benefit_year < today.year:
        raise LatePaymentYear(
            f"{benefit_year}年度待遇期已结束，不能补缴；中途参保仅受理{today.year}年度缴费",
            f"Benefit year {benefit_year} is over; a late payment is only for {today.year}",
            benefit_year=benefit_year,
            current_year=today.year,
            reason="past_year",
        )


def _buyback_key(channel: str, reference: str) -> str:
    return f"premium-buyback:{channel}:{reference}"


def _buyback_view(
    uow: UnitOfWork, premium: ResidentPremium, *, months: int, cost_fen: int, channel: str, txn_id: int, replayed: bool
) -> dict[str, Any]:
    return {
        "months": months,
        "cost_fen": cost_fen,
        "channel": channel,
        "channel_name": CHANNEL_ZH.get(channel, channel),
        "ledger_txn_id": txn_id,
        "premium": premiums.premium_view(uow, premium),
        "replayed": replayed,
    }


def buy_back_waiting(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    cert_no: str,
    benefit_year: int,
    months: int,
    amount_fen: int,
    channel: str,
    reference: str,
) -> dict[str, Any]:
    """缴费购买等待期 (notes §1.2): the person pays to remove ``months`` of the variable waiting
    period of their paid resident premium (390) for ``benefit_year``. Staff only, in the
    premium's region.

    The price is ``buyback_premium_years_per_month`` × the year's individual premium per month
    (``amount_fen`` must be exactly that: ``E_RESIDENT_AMOUNT``); at most the variable months not
    yet bought, and after a long break the rest stays at least ``long_break_min_months``
    (``E_RESIDENT_BUYBACK``, ``detail.at_most``). Also ``E_RESIDENT_BUYBACK``: a newborn (no
    waiting period), a premium without a waiting period or whose waiting period is over.
    ``E_RESIDENT_NOT_PAID``: no paid premium. The money moves from ``external:channel:<channel>``
    to the premium income account, key ``premium-buyback:<channel>:<reference>`` (the same
    reference and body answer the first buy-back). The premium's ``bought_back_months``,
    ``waiting_months`` and ``benefit_start`` are updated: the remaining months counted as at
    payment, but benefits never start before the day of the buy-back
    (``domain.resident.benefit_start_after_buyback``). Every refusal writes nothing.
    """
    ctx.principal.require(Role.STAFF)
    _check_channel(channel, reference)
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
        raise InvalidRequest("购买月数应为1-120之间的整数", "months: a whole number 1..120", field="months")
    require_positive_fen(amount_fen)
    today = ctx.clock.today()
    cert = parse_id_number(cert_no, today=today, region_known=region_table().is_known).value
    key = _buyback_key(channel, reference)
    request = {
        "op": "premium.buyback",
        "cert_no": cert,
        "benefit_year": benefit_year,
        "months": months,
        "amount_fen": amount_fen,
        "channel": channel,
        "reference": reference,
    }
    person = premiums.person_by_cert(uow, cert)
    done = uow.session.scalar(select(LedgerTxn).where(LedgerTxn.idempotency_key == key))
    if done is not None:
        if done.request_hash != L.request_hash(request) or person is None:
            raise IdempotencyConflict(idempotency_key=key)
        premium = _premium_row(uow, person.id, benefit_year)
        assert premium is not None
        return _buyback_view(
            uow, premium, months=months, cost_fen=amount_fen, channel=channel, txn_id=done.id, replayed=True
        )

    if person is None:
        raise PremiumPersonUnknown("未查询到参保人的参保登记信息", "The person is not registered", who="person")
    premium = _premium_row(uow, person.id, benefit_year, lock=True)
    if premium is None or premium.status != premiums.PAID:
        raise PremiumNotPaid(
            "该年度城乡居民医保费尚未缴纳，不能购买待遇等待期",
            "The resident premium for this year is not paid; there is no waiting period to buy off",
            benefit_year=benefit_year,
        )
    ctx.principal.require_region(premium.region_code)
    policy = profile.resident.waiting_period
    quote = waiting.buyback_quote(profile, premium, person, today=today)
    reason = quote["unavailable_reason"]
    if reason == "newborn":
        raise BuybackNotAllowed(
            "新生儿不设待遇享受等待期，无需购买", "A newborn has no waiting period", months=months, at_most=0
        )
    if reason == "waiting_over":
        raise BuybackNotAllowed(
            "该年度没有尚未结束的待遇等待期，无需购买",
            "There is no waiting period left to buy off for this year",
            months=months,
            at_most=0,
            benefit_start=premium.benefit_start.isoformat() if premium.benefit_start else None,
        )
    if months > quote["months_left"]:
        raise BuybackNotAllowed(
            months=months, at_most=quote["months_left"], bought_back_months=quote["bought_back_months"]
        )
    paid_on = local_date(premium.paid_at) if premium.paid_at else today
    bought_total = quote["bought_back_months"] + months
    result = buy_back(
        policy,
        months=bought_total,
        individual_fen=quote["individual_fen"],
        years_broken=premium.years_broken,
        newborn=False,
        benefit_year=benefit_year,
        outside_window=waiting.outside_window_when_paid(profile, premium),
    )
    cost = months * quote["cost_per_month_fen"]
    if amount_fen != cost:
        raise PremiumAmountMismatch(
            "购买待遇等待期的金额与应缴金额不一致",
            "The amount differs from the buy-back price",
            due_fen=cost,
            paid_fen=amount_fen,
        )

    now = ctx.clock.now()
    region = premium.region_code
    income = premiums.premium_income_account(region, premium.insutype)
    ledger.ensure_account(uow, code=income, kind=L.AccountKind.EXTERNAL, now=now, region_code=region)
    ledger.ensure_account(uow, code=channel_account(channel), kind=L.AccountKind.EXTERNAL, now=now)
    posted = ledger.post(
        uow,
        L.TransactionDraft(
            idempotency_key=key,
            kind="premium.buyback",
            narration=f"{benefit_year}年度城乡居民医保缴费购买待遇等待期{months}个月（{CHANNEL_ZH[channel]}）",
            postings=L.transfer(channel_account(channel), income, amount_fen),
        ),
        request=request,
        now=now,
        user_id=ctx.principal.user_id,
    )
    before = premium.benefit_start
    premium.bought_back_months = bought_total
    premium.waiting_months = result.waiting_months
    premium.benefit_start = benefit_start_after_buyback(
        benefit_year, paid_on=paid_on, waiting_months=result.waiting_months, bought_on=today
    )
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        "premium.waiting_buyback",
        "resident_premium",
        premium.id,
        channel=channel,
        months=months,
        amount_fen=amount_fen,
        benefit_start_before=before.isoformat() if before else None,
        benefit_start=premium.benefit_start.isoformat(),
    )
    return _buyback_view(
        uow,
        premium,
        months=months,
        cost_fen=amount_fen,
        channel=channel,
        txn_id=int(posted.body["txn_id"]),
        replayed=False,
    )


def _premium_row(uow: UnitOfWork, person_id: int, benefit_year: int, *, lock: bool = False) -> ResidentPremium | None:
    query = select(ResidentPremium).where(
        ResidentPremium.person_id == person_id,
        ResidentPremium.benefit_year == benefit_year,
        ResidentPremium.insutype == RESIDENT_BASIC,
    )
    if lock:  # a concurrent buy-back for the same premium waits, then sees the months bought
        query = query.with_for_update().execution_options(populate_existing=True)
    return uow.session.scalar(query)


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
    if premium is not None:
        region = premium.region_code
    else:
        enrollment = subsidies.resident_enrollment(uow, profile, person_id)
        region = enrollment.region_code if enrollment else profile.profile.province_code
    category = categories.person_category(uow, profile, person_id, benefit_year=benefit_year, region_code=region)
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
        "benefit_start": premium.benefit_start.isoformat() if premium is not None and premium.benefit_start else None,
        "waiting": (
            waiting.view(premium)
            | {"buyback": waiting.buyback_quote(profile, premium, person, today=ctx.clock.today())}
            if premium is not None
            else None
        ),
    }
