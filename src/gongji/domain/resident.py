"""Resident insurance rules (城乡居民基本医疗保险参保缴费, SPEC §6; seed 002; notes §1.2). Pure: no I/O.

The use cases gather the facts (the profile, enrollments, payments, the roster) and ask these
functions; every refusal is its own ``ResidentRefusal`` subclass with a Chinese reason. The
figures come from the policy profile (``[resident]``), never from code.

Words used here:
- *benefit year* (待遇享受期): 1 Jan–31 Dec of the year the premium pays for; it is collected in the
  year before (seed 002 §一: 当年缴费次年享受);
- *individual premium* (个人缴费标准): what one person owes for a benefit year (350 元 in 002 §三);
- *subsidy* (参保资助): the part of it that medical assistance bears for a person in hardship —
  ``full`` (全额资助, paid in batch from a roster) or ``fixed`` (定额资助, 先缴后补), 002 §四.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from gongji.domain.errors import (
    BuybackNotAllowed,
    FullSubsidyPaysNothing,
    InvalidIdNumber,
    NoPremiumStandard,
    OutsideCollectionWindow,
    PremiumAlreadyPaid,
    PremiumAmountMismatch,
    PremiumNotPaid,
    RefundAfterBenefitStart,
    RefundDeadlinePassed,
    RefundReasonNotAllowed,
    SubsidyUnknown,
)
from gongji.domain.ids import parse_id_number

if TYPE_CHECKING:  # the profile's models; the rules only read them
    from gongji.policy.schema import PremiumStandard, Refund, SubsidyCategory, WaitingPeriod

RESIDENT_INSUTYPE = "390"
"""城乡居民基本医疗保险 in the national 险种类型 table."""


def _require_fen(value: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{field} must be a whole, non-negative number of fen, not {value!r}")


# --------------------------------------------------------------------------------------------
# 1. Benefit year and collection window (seed 002 §一)


def benefit_year_for_payment(
    premiums: Sequence[PremiumStandard], day: date, *, insutype: str = RESIDENT_INSUTYPE
) -> PremiumStandard:
    """The premium standard being collected on ``day``: what a payment made that day pays for.

    Seed 002 §一: 当年缴费次年享受 — a premium paid in the 2022 window (截止 2022-12-31) buys the
    2023 benefit year, 2023-01-01 to 12-31. Standards are keyed by benefit year, the window kept
    apart (SPEC §3). A window with no start date is open towards the past, so when two windows
    contain the day the one that closes first is meant. None → ``OutsideCollectionWindow``.
    """
    open_now = [p for p in premiums if p.insutype == insutype and p.is_collecting(day)]
    if not open_now:
        raise OutsideCollectionWindow(day=day.isoformat(), insutype=insutype)
    return min(open_now, key=lambda p: p.collection_end)


def check_window(standard: PremiumStandard, day: date) -> None:
    """Refuse a payment for ``standard``'s benefit year outside its collection window (002 §一)."""
    if not standard.is_collecting(day):
        raise OutsideCollectionWindow(
            day=day.isoformat(),
            benefit_year=standard.benefit_year,
            collection_start=standard.collection_start.isoformat() if standard.collection_start else None,
            collection_end=standard.collection_end.isoformat(),
        )


def standard_for_year(
    premiums: Sequence[PremiumStandard], benefit_year: int, *, insutype: str = RESIDENT_INSUTYPE
) -> PremiumStandard:
    """The premium standard of a benefit year (not the year it is collected), or ``NoPremiumStandard``."""
    for item in premiums:
        if item.benefit_year == benefit_year and item.insutype == insutype:
            return item
    raise NoPremiumStandard(benefit_year=benefit_year, insutype=insutype)


# --------------------------------------------------------------------------------------------
# 2. Premium due (seed 002 §三, §四(二))

SubsidyKindOrNone = Literal["full", "fixed"] | None


@dataclass(frozen=True, slots=True)
class Due:
    """What a benefit year's premium costs a person, and who bears it.

    - ``individual_fen``: the individual premium of the standard (002 §三: 350 元);
    - ``subsidy_fen``: the part medical assistance bears (002 §四);
    - ``person_pays_fen``: asked at payment — 0 under a full subsidy (个人不再缴费), the whole
      premium under a fixed one (先缴后补: 按照缴费标准全额缴费);
    - ``payout_later_fen``: the fixed subsidy paid afterwards to the person's 一卡通 or bank card.
    """

    individual_fen: int
    subsidy_fen: int
    person_pays_fen: int
    payout_later_fen: int
    subsidy_kind: SubsidyKindOrNone = None

    @property
    def own_share_fen(self) -> int:
        """What the person bears in the end: the premium less the subsidy."""
        return self.individual_fen - self.subsidy_fen


def subsidy_value_fen(category: SubsidyCategory | None, individual_fen: int) -> int:
    """How much of a premium of ``individual_fen`` a category bears: all of it when full, the
    fixed amount otherwise — never more than the premium, so nobody is paid to be insured."""
    _require_fen(individual_fen, "individual_fen")
    if category is None:
        return 0
    if category.kind == "full":
        return individual_fen
    return min(category.amount_fen or 0, individual_fen)


def premium_due(standard: PremiumStandard, subsidy: SubsidyCategory | None) -> Due:
    """The amount due for ``standard``'s year, for a person with ``subsidy`` (the one
    ``pick_subsidy`` chose) or none.

    002 §四(二)1: a full-subsidy person pays nothing (个人不再缴费; the batch pays from the
    roster). 002 §四(二)2: a fixed-subsidy person pays the whole premium first and gets the
    subsidy later (先缴后补).
    """
    individual = standard.individual_fen
    value = subsidy_value_fen(subsidy, individual)
    if subsidy is None:
        return Due(individual, 0, individual, 0, None)
    if subsidy.kind == "full":
        return Due(individual, value, 0, 0, "full")
    return Due(individual, value, individual, value, "fixed")


def check_amount(due: Due, paid_fen: int) -> None:
    """Refuse a payment that is not exactly what is due (a premium is paid once a year, whole)."""
    if isinstance(paid_fen, bool) or not isinstance(paid_fen, int) or paid_fen != due.person_pays_fen:
        raise PremiumAmountMismatch(due_fen=due.person_pays_fen, paid_fen=paid_fen)


def check_person_may_pay(subsidy: SubsidyCategory | None, *, benefit_year: int, insutype: str) -> None:
    """Refuse any individual payment of a full-subsidy person's resident premium, by any channel.

    002 §四(二)1: 全额资助对象由医保部门从医疗救助资金中给予全额资助，个人不再缴费 — the roster pays it
    from the assistance fund. Paying it anyway (above all from a family account) would leave money
    that the roster then pays out to the person's card: personal-account money turned into cash.
    A fixed subsidy does not refuse: 先缴后补, the whole premium is due (002 §四(二)2). The
    subsidy is of the basic premium (390); a 392 premium is not subsidized."""
    if insutype == "390" and subsidy is not None and subsidy.kind == "full":
        raise FullSubsidyPaysNothing(benefit_year=benefit_year, category=subsidy.code, category_name=subsidy.name)


def check_not_yet_paid(already_paid_fen: int) -> None:
    """Refuse a second payment for a year already paid (002 §八2: 坚决清理重复参保)."""
    _require_fen(already_paid_fen, "already_paid_fen")
    if already_paid_fen > 0:
        raise PremiumAlreadyPaid(already_paid_fen=already_paid_fen)


# --------------------------------------------------------------------------------------------
# 3. Subsidies (seed 002 §四)


def _rank(category: SubsidyCategory) -> tuple[int, int]:
    # full beats any fixed amount; among fixed ones the larger amount wins
    return (1, 0) if category.kind == "full" else (0, category.amount_fen or 0)


def pick_subsidy(
    categories_of_person: Collection[str], profile_subsidies: Sequence[SubsidyCategory]
) -> SubsidyCategory | None:
    """The one subsidy a person gets: the highest of their categories (002 §四(二)3: 资助对象同时
    具有多重身份的，严格按照就高不重复原则实行参保资助).

    A full subsidy beats any fixed one; otherwise the largest amount; on a tie the category that
    comes first in the profile. No category → None; a code the profile does not know →
    ``SubsidyUnknown`` (a typo must not silently cost a person their subsidy).
    """
    best: SubsidyCategory | None = None
    for category in categories_of(categories_of_person, profile_subsidies):  # first of equals stays
        if best is None or _rank(category) > _rank(best):
            best = category
    return best


def categories_of(
    categories_of_person: Collection[str], profile_subsidies: Sequence[SubsidyCategory]
) -> tuple[SubsidyCategory, ...]:
    """The profile's categories named by a person's codes, in profile order; a code the profile
    does not know → ``SubsidyUnknown``."""
    known = {c.code for c in profile_subsidies}
    unknown = sorted(set(categories_of_person) - known)
    if unknown:
        raise SubsidyUnknown(codes=unknown)
    return tuple(c for c in profile_subsidies if c.code in categories_of_person)


def subsidy_region(
    standard_of: str | None, *, province_code: str, insured_region: str, household_region: str | None
) -> str:
    """The district whose subsidy standard and medical-assistance fund apply to a subsidized
    resident (002 §四(二)3): with ``standard_of = "household"`` and a household district in the
    province other than the insured one, the household district (按我区医疗救助参保资助标准); else
    the insured district."""
    if (
        standard_of == "household"
        and household_region
        and household_region.startswith(province_code)
        and household_region != insured_region
    ):
        return household_region
    return insured_region


def subsidy_change(old: SubsidyCategory | None, new: SubsidyCategory | None, *, individual_fen: int) -> int:
    """The top-up when a subsidized person's category changes after the subsidy was granted.

    002 §四(二)4: 导致资助标准提高的，按照新资助标准进行补差；导致资助标准降低或不再具备资助参保
    条件的，原资助参保补助不再退还 — raised → the difference; lowered, equal or gone → 0,
    nothing is taken back. Full after fixed tops up the rest of the premium, so the person ends
    with it fully covered. ``old`` None is 002 §四(二)3 非资助对象参保缴费后，新增认定为资助对象的，
    应及时给予参保资助: the whole new subsidy.
    """
    return max(0, subsidy_value_fen(new, individual_fen) - subsidy_value_fen(old, individual_fen))


def subsidy_start_month(enrolled_on: date) -> tuple[int, int]:
    """(year, month) from which a fixed-subsidy person is subsidized: the month after enrolling.

    002 §四(二)3: 城乡低保对象、返贫致贫人口、已脱贫人口和易返贫致贫人口，当月参保，次月资助 — the
    seed counts from the month of enrollment (参保), not of recognition, and names the fixed
    categories; full-subsidy persons are paid by the roster batch (``check_roster_row``).
    """
    if enrolled_on.month == 12:
        return (enrolled_on.year + 1, 1)
    return (enrolled_on.year, enrolled_on.month + 1)


# --------------------------------------------------------------------------------------------
# 4. Full-subsidy roster (seed 002 §四(二)1)

RosterOutcome = Literal["pay_full", "refund_paid", "bad_id", "dead", "not_insured"]
ROSTER_OUTCOME_ZH: dict[str, str] = {
    "pay_full": "全额资助代缴",
    "refund_paid": "已自主缴费，资助金发放至本人一卡通或银行卡",
    "bad_id": "身份证号码有误",
    "dead": "已死亡，予以剔除",
    "not_insured": "未参保，不予代缴",
}


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One line of the 《全额资助对象花名册》 from the civil-affairs and medical-insurance offices."""

    id_number: str
    name: str


@dataclass(frozen=True, slots=True)
class RosterDecision:
    """What the batch does with a roster row. ``amount_fen`` is 0 for a refused row;
    ``reason_code`` is the error code behind a ``bad_id`` row (e.g. ``E_ID_CHECKSUM``)."""

    outcome: RosterOutcome
    amount_fen: int
    reason_code: str | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome in ("pay_full", "refund_paid")

    @property
    def outcome_zh(self) -> str:
        return ROSTER_OUTCOME_ZH[self.outcome]


def check_roster_row(
    row: RosterRow,
    *,
    alive: bool,
    insured: bool,
    already_paid_fen: int,
    due: Due,
    today: date,
    region_known: Callable[[str], bool] | None = None,
) -> RosterDecision:
    """Decide one row of the full-subsidy batch (002 §四(二)1).

    The township checks each person's 生存状态 and 参保状态 (剔除已死亡人员) before the batch import;
    a row is refused with a reason rather than raised, so one bad row does not stop the batch.
    Not yet paid → ``pay_full`` (the subsidy pays the whole premium); already paid by the person →
    ``refund_paid``: 代缴时已自主缴费的全额资助对象，资助金通过"一卡通"或银行卡发放参保人员.
    """
    if due.subsidy_kind != "full":
        raise ValueError("the roster is for full-subsidy persons; compute due with their full category")
    _require_fen(already_paid_fen, "already_paid_fen")
    try:
        parse_id_number(row.id_number, today=today, region_known=region_known)
    except InvalidIdNumber as error:
        return RosterDecision("bad_id", 0, error.code)
    if not alive:
        return RosterDecision("dead", 0)
    if not insured:
        return RosterDecision("not_insured", 0)
    if already_paid_fen > 0:
        return RosterDecision("refund_paid", min(already_paid_fen, due.subsidy_fen))
    return RosterDecision("pay_full", due.subsidy_fen)


# --------------------------------------------------------------------------------------------
# 5. Refunds (seed 002 §七; seed 003 附件三(二)4)

RefundRoute = Literal["original", "family_account"]


@dataclass(frozen=True, slots=True)
class RefundDecision:
    """A refund that may be made: how much, by which route, and whether tax must be told."""

    amount_fen: int
    route: RefundRoute
    notify_tax: bool


def check_refund(
    policy: Refund,
    *,
    reason: str,
    today: date,
    payment_day: date,
    benefit_year: int,
    paid_individual_fen: int,
    subsidy_fen: int,
    paid_from_family: bool,
) -> RefundDecision:
    """Decide a refund of a resident premium already paid for ``benefit_year``.

    002 §七: after paying the next year's premium, within the payment period, for 跨省重复缴费、
    死亡、失踪、出国定居、参加职工医保或其他统筹地区居民医保 (``policy.reasons``);
    已通过医疗救助渠道享受参保缴费补贴的救助对象，只退回个人缴费部分; 待遇享受期开始后 … 个人缴费
    不再退回; 退费截止时间为2022年12月30日 — the deadline falls in the year of payment.
    003 附件三(二)4: a premium paid from the family account (共济账户代缴) goes back there by the
    original route and tax is told, which resets the person to unpaid. (003 also has the
    authorizer apply; who applies is for the use case to check.)

    ``paid_individual_fen`` is the individual premium recorded as paid for the year, whoever
    paid it; ``subsidy_fen`` the part of it medical assistance granted (the whole of it under a
    full subsidy, the 先缴后补 amount under a fixed one).
    """
    _require_fen(paid_individual_fen, "paid_individual_fen")
    _require_fen(subsidy_fen, "subsidy_fen")
    if payment_day > today:
        raise ValueError(f"payment_day {payment_day} is after today {today}")
    if reason not in policy.reasons:
        raise RefundReasonNotAllowed(reason=reason, allowed=list(policy.reasons))
    if paid_individual_fen == 0:
        raise PremiumNotPaid(benefit_year=benefit_year)
    if today >= date(benefit_year, 1, 1) and not policy.refund_after_benefit_start:
        raise RefundAfterBenefitStart(benefit_year=benefit_year)
    deadline = policy.deadline_for(payment_day.year)
    if today > deadline:
        raise RefundDeadlinePassed(deadline=deadline.isoformat())
    if policy.subsidized_refund_own_share_only:
        amount = max(0, paid_individual_fen - subsidy_fen)
    else:
        amount = paid_individual_fen
    to_family = paid_from_family and policy.family_paid_refund_to_family_account
    return RefundDecision(amount, "family_account" if to_family else "original", notify_tax=to_family)


# --------------------------------------------------------------------------------------------
# 6. Waiting periods for late or broken enrollment (notes §1.2: 国办发〔2024〕38号)


def _waiting_parts(
    policy: WaitingPeriod, *, years_broken: int, newborn: bool, benefit_year: int, outside_window: bool
) -> tuple[int, int]:
    """(total months, the floor that buy-back cannot go below)."""
    if years_broken < 0:
        raise ValueError(f"years_broken must be ≥ 0, not {years_broken}")
    if benefit_year < policy.effective_benefit_year:
        return (0, 0)
    if newborn and policy.newborns_exempt:
        return (0, 0)
    if years_broken == 0 and not outside_window:
        return (0, 0)
    variable = policy.extra_months_per_break_year * max(0, years_broken - policy.free_break_years)
    total = policy.fixed_months + variable
    floor = policy.fixed_months
    if years_broken >= policy.long_break_years:
        floor = max(floor, policy.long_break_min_months)
        total = max(total, floor)
    return (total, floor)


def waiting_months(
    policy: WaitingPeriod,
    *,
    years_broken: int,
    newborn: bool,
    benefit_year: int,
    outside_window: bool = False,
) -> int:
    """Months after enrolling during which the fund pays nothing (待遇等待期), before any buy-back.

    notes §1.2 (国办发〔2024〕38号, 许昌市医保局): enrolling outside the central window or after a
    break → a fixed 3 months; 每多断保1年 one more month (the first break year is free); after a
    break of 4 or more years at least 6 months. Newborns are exempt (002 §五4: 新生儿 … 不设待遇
    享受等待期), and nothing applies before ``effective_benefit_year``.

    ``years_broken`` counts consecutive years without resident cover right before
    ``benefit_year``; the caller leaves out years before the rule took effect (notes §1.2:
    years up to 2024 are not counted as breaks).
    """
    total, _floor = _waiting_parts(
        policy, years_broken=years_broken, newborn=newborn, benefit_year=benefit_year, outside_window=outside_window
    )
    return total


def buyback_months(
    policy: WaitingPeriod,
    *,
    years_broken: int,
    newborn: bool,
    benefit_year: int,
    outside_window: bool = False,
) -> int:
    """The most waiting months that may be bought off (notes §1.2).

    Only the variable part may be removed, and after a break of ``long_break_years`` or more the
    rest stays at least ``long_break_min_months``. A profile with
    ``buyback_premium_years_per_month = 0`` offers no buy-back.
    """
    if policy.buyback_premium_years_per_month == 0:
        return 0
    total, floor = _waiting_parts(
        policy, years_broken=years_broken, newborn=newborn, benefit_year=benefit_year, outside_window=outside_window
    )
    return max(0, total - floor)


@dataclass(frozen=True, slots=True)
class Buyback:
    """Waiting months bought off, what it costs, and the waiting period left."""

    months: int
    cost_fen: int
    waiting_months: int


def buy_back(
    policy: WaitingPeriod,
    *,
    months: int,
    individual_fen: int,
    years_broken: int,
    newborn: bool,
    benefit_year: int,
    outside_window: bool = False,
) -> Buyback:
    """Buy off ``months`` of the variable waiting period (notes §1.2): each month costs
    ``buyback_premium_years_per_month`` individual premiums at the current standard
    (``individual_fen``). More than ``buyback_months`` allows → ``BuybackNotAllowed``."""
    _require_fen(individual_fen, "individual_fen")
    if months < 0:
        raise ValueError(f"months must be ≥ 0, not {months}")
    most = buyback_months(
        policy, years_broken=years_broken, newborn=newborn, benefit_year=benefit_year, outside_window=outside_window
    )
    if months > most:
        raise BuybackNotAllowed(months=months, at_most=most)
    before = waiting_months(
        policy, years_broken=years_broken, newborn=newborn, benefit_year=benefit_year, outside_window=outside_window
    )
    cost = months * policy.buyback_premium_years_per_month * individual_fen
    return Buyback(months, cost, before - months)


WAITING_COUNTED_FROM = 2025
"""notes §1.2: years up to 2024 do not count as breaks — the first year that can."""


def years_broken(
    benefit_year: int,
    *,
    effective_benefit_year: int,
    paid_years: Collection[int],
    employee_spells: Collection[tuple[date, date | None]],
    born_year: int | None = None,
    resident_spells: Collection[tuple[date, date | None]] = (),
    records_from: int | None = None,
) -> int:
    """How many benefit years right before ``benefit_year`` in a row the person had no cover
    (断保年限, notes §1.2): the input of ``waiting_months``.

    A year is covered when the person paid a resident premium for it (``paid_years``: benefit
    years of premiums in status paid) or had employee insurance (310) at some time in it
    (``employee_spells``: enrollment start and end dates, end None while open). Counting stops
    at the first covered year, and never goes below ``max(effective_benefit_year, 2025)``: years
    up to 2024 are not breaks (notes §1.2), nor years before the rule took effect.

    Years before ``records_from`` (the first benefit year this system collected premiums for)
    have no payment records here: for them a resident enrollment (``resident_spells``, 390) in
    force on 1 January of the year counts as cover too — the person was enrolled when the year
    began, so the old system collected that year's premium in its window. Someone who enrolled
    during such a year is counted as broken for it (not covered the whole year).

    Our reading: nobody breaks before they are born, and the year of birth is not a break either
    (a newborn may enroll for it, 002 §五4, but a child born late in a year has no real chance
    to) — counting starts the year after ``born_year`` when given.
    """
    first = max(effective_benefit_year, WAITING_COUNTED_FROM)
    if born_year is not None:
        first = max(first, born_year + 1)

    def overlaps(spells: Collection[tuple[date, date | None]], year: int) -> bool:
        jan1, dec31 = date(year, 1, 1), date(year, 12, 31)
        return any(start <= dec31 and (end is None or end >= jan1) for start, end in spells)

    def covered(year: int) -> bool:
        if year in paid_years or overlaps(employee_spells, year):
            return True
        if records_from is None or year >= records_from:
            return False
        jan1 = date(year, 1, 1)
        return any(start <= jan1 and (end is None or end >= jan1) for start, end in resident_spells)

    count = 0
    year = benefit_year - 1
    while year >= first and not covered(year):
        count += 1
        year -= 1
    return count


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month (the day of the month does not matter)."""
    if months < 0:
        raise ValueError(f"months must be ≥ 0, not {months}")
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def waiting_starts_on(benefit_year: int, paid_on: date) -> date:
    """The day a waiting period starts to run: the first day of the month after the payment,
    but not before 1 January of the benefit year.

    Our reading of notes §1.2 (参保后设置待遇等待期): the months are counted in whole calendar
    months from the month after paying (as 002 §四(二)3 counts 当月参保，次月资助). A waiting
    period is time inside the benefit year without benefits, so for a payment made in the
    collection window (the year before) it runs from 1 January — otherwise an early payer after
    a break would wait through months in which nobody has benefits anyway.
    """
    return max(add_months(paid_on, 1), date(benefit_year, 1, 1))


@dataclass(frozen=True, slots=True)
class WaitingDecision:
    """What a payment for ``benefit_year`` buys: benefits from ``benefit_start`` (the fund pays
    nothing before it, notes §1.2) to 31 December, after ``waiting_months`` of waiting."""

    benefit_year: int
    benefit_start: date
    waiting_months: int
    years_broken: int
    newborn: bool
    outside_window: bool

    @property
    def benefit_end(self) -> date:
        return date(self.benefit_year, 12, 31)

    @property
    def benefits_in_year(self) -> bool:
        """False when the waiting period reaches past 31 December: the premium keeps the year
        covered (no break for the next year) but the fund pays nothing in it."""
        return self.benefit_start <= self.benefit_end


def decide_waiting(
    policy: WaitingPeriod,
    *,
    benefit_year: int,
    paid_on: date,
    years_broken: int,
    newborn: bool,
    outside_window: bool,
) -> WaitingDecision:
    """The benefit start of a premium paid on ``paid_on`` for ``benefit_year`` (notes §1.2).

    - paid in the window with no break (or before the rule took effect): 1 January of the
      benefit year;
    - a newborn (002 §五4, 不设待遇享受等待期): from the day of payment (``newborn_benefits_from``),
      not before 1 January;
    - late (outside the window) or after a break: ``waiting_months`` whole months from
      ``waiting_starts_on`` — a person paying outside the window has benefits only from the end
      of the waiting period to 31 December (notes §1.2). A late payment with no months to wait
      (before the rule took effect) has benefits from ``waiting_starts_on``, never before it
      was paid.
    """
    months = waiting_months(
        policy, years_broken=years_broken, newborn=newborn, benefit_year=benefit_year, outside_window=outside_window
    )
    jan1 = date(benefit_year, 1, 1)
    if newborn and policy.newborns_exempt:
        start = max(newborn_benefits_from(paid_on), jan1)
    elif months == 0 and not outside_window:
        start = jan1
    else:
        start = add_months(waiting_starts_on(benefit_year, paid_on), months)
    return WaitingDecision(benefit_year, start, months, years_broken, newborn, outside_window)


def benefit_start_after_buyback(benefit_year: int, *, paid_on: date, waiting_months: int, bought_on: date) -> date:
    """The benefit start once waiting months were bought off (notes §1.2): ``waiting_months``
    (what is left) counted as ``decide_waiting`` counts them, but never before the day the
    buy-back was paid — bought months do not reach back over settlements already made."""
    return max(add_months(waiting_starts_on(benefit_year, paid_on), waiting_months), bought_on)


# --------------------------------------------------------------------------------------------
# 7. Newborns and students (seed 002 §五)


def is_newborn_for(birth_date: date, benefit_year: int) -> bool:
    """A child enrolls as a newborn for the benefit year of their birth.

    002 §五4 does not define a period after birth (it defers to 甘医保发〔2020〕41号, not in the
    seeds); the 90- or 180-day local rules in notes §2 are unverified and not in the profile.
    A child born into a year could not have paid in that year's window, which is what the
    newborn rules exist for.
    """
    return birth_date.year == benefit_year


def newborn_standard(
    premiums: Sequence[PremiumStandard], birth_date: date, *, insutype: str = RESIDENT_INSUTYPE
) -> PremiumStandard:
    """The premium a newborn pays: the standard of their birth year, payable outside its window.

    002 §五4: 新生儿缴费后按规定享受居民医保待遇 — the newborn pays, then has benefits, in the year
    they were born.
    """
    return standard_for_year(premiums, birth_date.year, insutype=insutype)


def newborn_benefits_from(paid_on: date) -> date:
    """A newborn's benefits start when the premium is paid: 002 §五4 新生儿缴费后按规定享受居民医保
    待遇，不设待遇享受等待期 (no waiting period; backdating to birth is a local rule not in 002)."""
    return paid_on


def student_enrollment_region(
    *, school_region: str, household_region: str, categories: Iterable[SubsidyCategory]
) -> str:
    """Where a college student (大中专学生, incl. full-time postgraduates) is insured.

    002 §五2: 原则上应在学籍地参加城乡居民医疗保险 — at the school's place — except that
    "大中专学生中的特困人员、低保对象、返贫致贫人口、脱贫人口和易返贫致贫人口，参加户籍地居民医疗保险":
    a student with any category the profile marks ``college_students_at_household`` is insured at
    the household registration. Other students, orphans (孤儿) included, stay at the school.
    ``categories`` are all of the student's categories, not only the one paid (就高不重复).
    """
    at_home = any(c.college_students_at_household for c in categories)
    return household_region if at_home else school_region


def graduate_benefits_until(graduated_on: date) -> date:
    """A student insured while at school keeps benefits after graduating until 31 December of the
    graduation year (002 §五2: 在校期间参保的学生毕业后待遇享受到12月31日)."""
    return date(graduated_on.year, 12, 31)


def graduate_covered_on(day: date, *, graduated_on: date) -> bool:
    """Is a graduate, insured as a student, still covered on ``day``? (002 §五2)"""
    return day <= graduate_benefits_until(graduated_on)
