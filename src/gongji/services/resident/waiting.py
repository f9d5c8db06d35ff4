"""Waiting periods for late or broken resident enrollment (待遇等待期, notes §1.2: 国办发〔2024〕38号).

The rules are ``domain.resident`` section 6 (``years_broken``, ``decide_waiting``,
``buyback_months``, ``buy_back``); the figures are the profile's ``[resident.waiting_period]``.
This module gathers the facts and keeps the decision on the premium row:

- ``record``: called by every use case that marks a resident premium paid (channel payments,
  the tax bureau's family-account 代缴, the full-subsidy roster) — counts the years broken, asks
  the domain and stores ``benefit_start``, ``waiting_months``, ``years_broken`` on the premium;
- ``view``: the decision as the premium views show it;
- ``buyback_quote``: how many waiting months may still be bought off and at what price;
- ``fund_waits_until``: for settlement — the fund pays nothing before a premium's benefit start.

A year counts as covered when the person has a resident premium for it in status paid, or an
employee enrollment (310) overlapping it, or — for a year before the profile's
``records_from_benefit_year``, whose payments were collected before this system — a resident
enrollment (390) in force on 1 January of it (``domain.resident.years_broken``). A premium without
``benefit_start`` (paid before migration 0008) has no waiting period.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import Enrollment, Person, ResidentPremium
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.clock import local_date
from gongji.domain.registry import EMPLOYEE_BASIC, RESIDENT_BASIC, RESIDENT_CRITICAL
from gongji.domain.resident import (
    WaitingDecision,
    buyback_months,
    decide_waiting,
    is_newborn_for,
    years_broken,
)
from gongji.policy.schema import PolicyLookupError, Profile

PAID = "paid"  # premiums.PAID (services.resident.premiums imports this module, not the other way round)
RESIDENT_INSUTYPES = (RESIDENT_BASIC, RESIDENT_CRITICAL)
"""Resident basic (390) and its critical-illness insurance (392), which rides on it."""


Spells = list[tuple[date, date | None]]


def _facts(uow: UnitOfWork, person_id: int, benefit_year: int) -> tuple[set[int], Spells, Spells]:
    """Years before ``benefit_year`` with a paid resident premium; the employee (310) and the
    resident (390) enrollments as (start, end)."""
    paid_years = set(
        uow.session.scalars(
            select(ResidentPremium.benefit_year).where(
                ResidentPremium.person_id == person_id,
                ResidentPremium.status == PAID,
                ResidentPremium.benefit_year < benefit_year,
            )
        )
    )
    employee: Spells = []
    resident: Spells = []
    for insutype, start, end in uow.session.execute(
        select(Enrollment.insutype, Enrollment.start_date, Enrollment.end_date).where(
            Enrollment.person_id == person_id, Enrollment.insutype.in_((EMPLOYEE_BASIC, RESIDENT_BASIC))
        )
    ):
        (employee if insutype == EMPLOYEE_BASIC else resident).append((start, end))
    return paid_years, employee, resident


def decide(
    uow: UnitOfWork, profile: Profile, *, person: Person, benefit_year: int, paid_on: date, outside_window: bool
) -> WaitingDecision:
    """The waiting period of a payment made on ``paid_on`` for ``benefit_year`` (reads only)."""
    paid_years, employee, resident = _facts(uow, person.id, benefit_year)
    return decide_with_facts(
        profile,
        birth_date=person.birth_date,
        benefit_year=benefit_year,
        paid_on=paid_on,
        outside_window=outside_window,
        paid_years=paid_years,
        employee_spells=employee,
        resident_spells=resident,
    )


def decide_with_facts(
    profile: Profile,
    *,
    birth_date: date | None,
    benefit_year: int,
    paid_on: date,
    outside_window: bool,
    paid_years: set[int],
    employee_spells: Spells,
    resident_spells: Spells,
) -> WaitingDecision:
    """``decide`` over facts already read (pure): what ``_facts`` reads for one person, the tax
    batch (``services.resident.batch``) reads for a whole chunk."""
    policy = profile.resident.waiting_period
    employee, resident = employee_spells, resident_spells
    broken = years_broken(
        benefit_year,
        effective_benefit_year=policy.effective_benefit_year,
        paid_years=paid_years,
        employee_spells=employee,
        born_year=birth_date.year if birth_date else None,
        resident_spells=resident,
        records_from=policy.records_from_benefit_year,
    )
    newborn = birth_date is not None and is_newborn_for(birth_date, benefit_year)
    return decide_waiting(
        policy,
        benefit_year=benefit_year,
        paid_on=paid_on,
        years_broken=broken,
        newborn=newborn,
        outside_window=outside_window,
    )


def record(
    uow: UnitOfWork, profile: Profile, premium: ResidentPremium, *, paid_on: date, outside_window: bool = False
) -> WaitingDecision:
    """Decide the waiting period of ``premium``, just paid on ``paid_on``, and keep it on the row
    (``benefit_start``, ``waiting_months``, ``years_broken``; nothing bought off yet)."""
    person = uow.session.get(Person, premium.person_id)
    assert person is not None
    decision = decide(
        uow, profile, person=person, benefit_year=premium.benefit_year, paid_on=paid_on, outside_window=outside_window
    )
    premium.benefit_start = decision.benefit_start
    premium.waiting_months = decision.waiting_months
    premium.years_broken = decision.years_broken
    premium.bought_back_months = 0
    return decision


def view(premium: ResidentPremium) -> dict[str, Any]:
    """The waiting period as the premium views show it (keys added to ``premiums.premium_view``)."""
    start = premium.benefit_start
    end = date(premium.benefit_year, 12, 31)
    waiting = int(premium.waiting_months or 0)
    return {
        "benefit_start": start.isoformat() if start else None,
        "benefit_end": end.isoformat(),
        "benefits_in_year": start is None or start <= end,
        "waiting_months": waiting,
        "waiting_until": (start - timedelta(days=1)).isoformat() if start and waiting else None,
        "years_broken": int(premium.years_broken or 0),
        "bought_back_months": int(premium.bought_back_months or 0),
    }


def outside_window_when_paid(profile: Profile, premium: ResidentPremium) -> bool:
    """Was ``premium`` paid outside its collection window (late, 中途参保)? Read back from the
    payment day and the standard, so the row needs no flag of its own."""
    if premium.paid_at is None:
        return False
    try:
        standard = profile.premium_for(premium.benefit_year, premium.insutype)
    except PolicyLookupError:
        return False
    return not standard.is_collecting(local_date(premium.paid_at))


def buyback_quote(profile: Profile, premium: ResidentPremium, person: Person, *, today: date) -> dict[str, Any]:
    """How many waiting months of a paid premium may still be bought off (notes §1.2: only the
    variable part; after a long break at least ``long_break_min_months`` stay), and what one month
    costs: ``buyback_premium_years_per_month`` individual premiums of the premium's own benefit
    year (our reading of "current standard": the standard the person has just paid). None is
    available for an unpaid premium, a newborn, an older premium without a recorded benefit
    start, or once the waiting period is over (``reason`` says which)."""
    policy = profile.resident.waiting_period
    bought = int(premium.bought_back_months or 0)
    newborn = person.birth_date is not None and is_newborn_for(person.birth_date, premium.benefit_year)
    most = buyback_months(
        policy,
        years_broken=int(premium.years_broken or 0),
        newborn=newborn,
        benefit_year=premium.benefit_year,
        outside_window=outside_window_when_paid(profile, premium),
    )
    try:
        individual = profile.premium_for(premium.benefit_year, premium.insutype).individual_fen
    except PolicyLookupError:
        individual = premium.individual_fen
    reason = None
    if premium.status != PAID:
        reason = "not_paid"
    elif newborn and policy.newborns_exempt:
        reason = "newborn"
    elif premium.benefit_start is None or premium.benefit_start <= today:
        reason = "waiting_over"
    elif most - bought <= 0:
        reason = "nothing_to_buy"
    return {
        "months_left": 0 if reason else most - bought,
        "months_most": most,
        "bought_back_months": bought,
        "cost_per_month_fen": policy.buyback_premium_years_per_month * individual,
        "individual_fen": individual,
        "unavailable_reason": reason,
    }


def _waiting_premiums(uow: UnitOfWork, person_id: int, insutypes: tuple[str, ...], day: date) -> list[ResidentPremium]:
    return list(
        uow.session.scalars(
            select(ResidentPremium)
            .where(
                ResidentPremium.person_id == person_id,
                ResidentPremium.benefit_year == day.year,
                ResidentPremium.insutype.in_(insutypes),
                ResidentPremium.status == PAID,
                ResidentPremium.benefit_start.is_not(None),
                ResidentPremium.benefit_start > day,
            )
            .order_by(ResidentPremium.benefit_start.desc())
        )
    )


def fund_waits_until(uow: UnitOfWork, person_id: int, insutype: str, day: date) -> date | None:
    """The benefit start, when ``day`` lies before it, of the person's paid resident premium of
    ``day``'s year (the visit's insurance type or 390, which 392 rides on): the fund pays nothing
    in a waiting period (notes §1.2). None otherwise — also for a premium without
    ``benefit_start`` (older data) or no premium at all (the enrollment decides, as before)."""
    if insutype not in RESIDENT_INSUTYPES:
        return None
    rows = _waiting_premiums(uow, person_id, tuple({RESIDENT_BASIC, insutype}), day)
    return rows[0].benefit_start if rows else None


def person_info_note(uow: UnitOfWork, person_id: int, day: date) -> str | None:
    """1101 ``baseinfo.exp_content`` (字段扩展): the waiting periods in force on ``day``, as JSON
    text, or None."""
    rows = _waiting_premiums(uow, person_id, RESIDENT_INSUTYPES, day)
    if not rows:
        return None
    periods = [
        {
            "insutype": r.insutype,
            "benefit_year": r.benefit_year,
            "waiting_months": r.waiting_months,
            "benefit_start": r.benefit_start.isoformat() if r.benefit_start else None,
        }
        for r in rows
    ]
    return json.dumps(
        {"waiting_period": periods, "memo": "待遇等待期内医保基金不予支付"}, ensure_ascii=False, sort_keys=True
    )
