"""Waiting periods for late or broken resident enrollment (待遇等待期), wired into the use cases:
channel payments (``late``: 中途参保), the tax bureau's family-account 代缴, the full-subsidy roster,
buy-back (缴费购买等待期) and the payment status.

Sources: POLICY-NOTES §1.2 / 国办发〔2024〕38号 — from benefit year 2025 a fixed 3 months outside
the window or after a break, each further break year +1 month (the first is free), after 4+ years
at least 6 months after buy-back, buy-back at one individual premium per month, benefits from
the end of the waiting period to 31 December, years up to 2024 not counted; seed 002 §五4 — a
newborn pays the standard of the birth year and has no waiting period.

Runs on SQLite and PostgreSQL (``gj``). Gansu: 2026 standard 400.00 (window 2025-09-01..12-31),
2027 400.00 (window 2026-09-01..12-31). A refused call writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from gongji.adapters.db.models import AuditLog, Enrollment, LedgerTxn, PremiumPayment, ResidentPremium
from gongji.bootstrap import Gongji
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import GongjiError
from gongji.policy.schema import PremiumStandard
from gongji.services import auth, ledger
from gongji.services.auth import Principal, Role
from gongji.services.resident import channels as premium_channels
from gongji.services.resident import premiums, subsidies
from tests import support

PREMIUM = 40_000
INCOME = "external:premium:620702:390"
BANK = "external:channel:bank"


# --- builders ----------------------------------------------------------------------------------------


def at(gj: Gongji, day: date) -> None:
    """Move the fixed clock to 10:00 Beijing time on ``day``."""
    gj.clock.at = datetime(day.year, day.month, day.day, 10, 0, tzinfo=SHANGHAI)  # type: ignore[attr-defined]


ok = support.committed  # run the call in one unit of work and commit


def snapshot(gj: Gongji) -> dict[str, Any]:
    def go(uow: Any) -> dict[str, Any]:
        counts = {
            m.__tablename__: int(uow.session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (LedgerTxn, PremiumPayment, ResidentPremium, AuditLog)
        }
        rows = uow.session.execute(
            select(
                ResidentPremium.id,
                ResidentPremium.status,
                ResidentPremium.benefit_start,
                ResidentPremium.waiting_months,
                ResidentPremium.years_broken,
                ResidentPremium.bought_back_months,
            ).order_by(ResidentPremium.id)
        ).all()
        return counts | {"premiums": [tuple(r) for r in rows]}

    return gj.run(go)


def refused(gj: Gongji, call: Callable[[Any], Any]) -> GongjiError:
    before = snapshot(gj)
    with pytest.raises(GongjiError) as info:
        ok(gj, call)
    assert snapshot(gj) == before, info.value.code
    return info.value


@pytest.fixture
def staff(gj: Gongji) -> Principal:
    return support.staff(gj, ["620700"])


NEWCOMER = date(2026, 11, 1)
"""Enrolled (registered in 390) this November: before 2027 (``records_from_benefit_year``) the
enrollment record is the evidence of cover, so this person had none in 2025 and 2026."""


def resident(
    gj: Gongji, staff: Principal, *, birth: date = date(1970, 5, 6), name: str = "李四", start: date = NEWCOMER
) -> int:
    return support.resident(gj, staff, name=name, birth=birth, start=start)


def paid_before(gj: Gongji, pid: int, *years: int) -> None:
    """Premiums of earlier years, paid (history the registry would hold)."""

    def go(uow: Any) -> None:
        for year in years:
            uow.session.add(
                ResidentPremium(
                    person_id=pid,
                    benefit_year=year,
                    insutype="390",
                    region_code="620702",
                    status="paid",
                    individual_fen=PREMIUM,
                    paid_fen=PREMIUM,
                    channel="bank",
                    paid_at=datetime(year - 1, 10, 1, 9, tzinfo=SHANGHAI),
                    created_at=datetime(year - 1, 10, 1, 9, tzinfo=SHANGHAI),
                )
            )
        uow.commit()

    gj.run(go)


def pay(gj: Gongji, who: Principal, pid: int, year: int, *, late: bool = False, ref: str | None = None) -> Any:
    c = support.ctx(gj, who)
    cert = support.person_cert(gj, pid)
    reference = ref or f"BANK-{uuid.uuid4().hex[:12]}"
    return lambda uow: premium_channels.record_payment(
        uow,
        c,
        gj.profile,
        cert_no=cert,
        benefit_year=year,
        amount_fen=PREMIUM,
        channel="bank",
        reference=reference,
        late=late,
    )


def buy(gj: Gongji, who: Principal, pid: int, year: int, months: int, *, amount: int | None = None, ref: str = "BB-1"):
    c = support.ctx(gj, who)
    cert = support.person_cert(gj, pid)
    return lambda uow: premium_channels.buy_back_waiting(
        uow,
        c,
        gj.profile,
        cert_no=cert,
        benefit_year=year,
        months=months,
        amount_fen=PREMIUM * months if amount is None else amount,
        channel="bank",
        reference=ref,
    )


def status(gj: Gongji, who: Principal, pid: int, year: int) -> dict[str, Any]:
    c = support.ctx(gj, who)
    return ok(gj, lambda uow: premium_channels.payment_status(uow, c, gj.profile, person_id=pid, benefit_year=year))


def balances(gj: Gongji, *codes: str) -> dict[str, int]:
    return gj.run(lambda uow: ledger.balances_of(uow, list(codes)))


def with_standards(gj: Gongji, *years: int, window_ends: date | None = None) -> None:
    """Gansu with demo standards for later benefit years (windows 09-01..12-31 of the year before,
    or up to ``window_ends``)."""
    base = gj.profile
    extra = tuple(
        PremiumStandard(
            benefit_year=y,
            individual_fen=PREMIUM,
            fiscal_fen=75_000,
            collection_start=date(y - 1, 9, 1),
            collection_end=window_ends or date(y - 1, 12, 31),
            demo=True,
            source="demo (test)",
        )
        for y in years
    )
    resident_policy = base.resident.model_copy(update={"premium": (*base.resident.premium, *extra)})
    gj.profiles["gansu"] = base.model_copy(update={"resident": resident_policy})


# --- late payment (中途参保) ------------------------------------------------------------------------------


def test_late_payment_gets_the_fixed_three_month_waiting_period_notes_1_2(gj: Gongji, staff: Principal) -> None:
    """POLICY-NOTES §1.2 / 国办发〔2024〕38号: enrolling outside the central window → 3 months; the
    fund pays from the end of the waiting period to 31 December. Paid 2026-03-10 → waiting April,
    May, June; benefits 2026-07-01..12-31."""
    at(gj, date(2026, 3, 10))
    pid = resident(gj, staff)
    paid_before(gj, pid, 2025)  # continuous: only the late payment causes the wait
    answer = ok(gj, pay(gj, staff, pid, 2026, late=True))
    p = answer["premium"]
    assert p["status"] == "paid" and p["benefit_year"] == 2026
    assert (p["waiting_months"], p["years_broken"], p["bought_back_months"]) == (3, 0, 0)
    assert (p["benefit_start"], p["waiting_until"], p["benefit_end"]) == ("2026-07-01", "2026-06-30", "2026-12-31")
    assert p["benefits_in_year"] is True
    s = status(gj, staff, pid, 2026)
    assert s["benefit_start"] == "2026-07-01" and s["waiting"]["waiting_months"] == 3
    assert s["waiting"]["buyback"]["months_left"] == 0  # only variable months can be bought off


def test_late_payment_late_in_the_year_keeps_the_year_but_has_no_benefits_in_it_notes_1_2(
    gj: Gongji, staff: Principal
) -> None:
    """POLICY-NOTES §1.2: benefits only from the end of the waiting period to 31 December — paid on
    2026-11-23 the wait runs past the year end, so no benefits in 2026 (our reading: the payment
    is accepted and said so; the year counts as covered for the next one)."""
    pid = resident(gj, staff)
    paid_before(gj, pid, 2025)
    p = ok(gj, pay(gj, staff, pid, 2026, late=True))["premium"]
    assert (p["benefit_start"], p["benefits_in_year"]) == ("2027-03-01", False)
    nxt = ok(gj, pay(gj, staff, pid, 2027))["premium"]  # in the 2027 window, 2025 and 2026 paid
    assert (nxt["years_broken"], nxt["waiting_months"], nxt["benefit_start"]) == (0, 0, "2027-01-01")


def test_without_late_a_payment_outside_the_window_is_still_refused(gj: Gongji, staff: Principal) -> None:
    """Seed 002 §一 (缴费期限): unchanged without ``late``."""
    at(gj, date(2026, 3, 10))
    pid = resident(gj, staff)
    assert refused(gj, pay(gj, staff, pid, 2026)).code == "E_RESIDENT_OUTSIDE_WINDOW"


def test_late_payment_for_a_future_or_past_year_is_refused_and_writes_nothing_notes_1_2(
    gj: Gongji, staff: Principal
) -> None:
    """POLICY-NOTES §1.2: 中途参保 is for the year of payment; the next year has its own window
    (even while it is open), a past year is over."""
    pid = resident(gj, staff)
    future = refused(gj, pay(gj, staff, pid, 2027, late=True))
    assert future.code == "E_RESIDENT_LATE_YEAR" and future.detail["reason"] == "future_year"
    assert future.message_zh and future.message_en
    past = refused(gj, pay(gj, staff, pid, 2025, late=True))
    assert past.code == "E_RESIDENT_LATE_YEAR" and past.detail == {
        "benefit_year": 2025,
        "current_year": 2026,
        "reason": "past_year",
    }


def test_late_while_the_window_is_still_open_is_an_ordinary_payment(gj: Gongji, staff: Principal) -> None:
    """``late`` allows a payment after the window; on a day the window is open (here one running
    into February) the payment is an in-window one: continuous → benefits from 1 January."""
    with_standards(gj, 2028, window_ends=date(2028, 2, 28))
    at(gj, date(2028, 1, 20))
    pid = resident(gj, staff)
    paid_before(gj, pid, 2025, 2026, 2027)
    p = ok(gj, pay(gj, staff, pid, 2028, late=True))["premium"]
    assert (p["waiting_months"], p["benefit_start"]) == (0, "2028-01-01")


# --- years broken ---------------------------------------------------------------------------------------


def test_in_window_continuous_payment_benefits_from_1_january_notes_1_2(gj: Gongji, staff: Principal) -> None:
    """POLICY-NOTES §1.2: paid in the central window, no break → no waiting period."""
    pid = resident(gj, staff)
    paid_before(gj, pid, 2025, 2026)
    p = ok(gj, pay(gj, staff, pid, 2027))["premium"]
    assert (p["years_broken"], p["waiting_months"], p["benefit_start"], p["waiting_until"]) == (
        0,
        0,
        "2027-01-01",
        None,
    )


def test_after_a_two_year_break_the_wait_is_three_plus_one_from_1_january_notes_1_2(
    gj: Gongji, staff: Principal
) -> None:
    """POLICY-NOTES §1.2 / 国办发〔2024〕38号: a break (2025 and 2026 without cover) → fixed 3 months,
    每多断保1年 +1 (the first year is free) → 4; paid in the window in 2026, the wait runs from
    1 January 2027 (our reading) → benefits from 2027-05-01."""
    pid = resident(gj, staff)
    p = ok(gj, pay(gj, staff, pid, 2027))["premium"]
    assert (p["years_broken"], p["waiting_months"], p["benefit_start"]) == (2, 4, "2027-05-01")


def test_a_one_year_break_waits_the_fixed_three_months_notes_1_2(gj: Gongji, staff: Principal) -> None:
    """POLICY-NOTES §1.2: 2025 paid, 2026 not → one break year → 3 months (no variable part)."""
    pid = resident(gj, staff)
    paid_before(gj, pid, 2025)
    p = ok(gj, pay(gj, staff, pid, 2027))["premium"]
    assert (p["years_broken"], p["waiting_months"], p["benefit_start"]) == (1, 3, "2027-04-01")


def test_employee_insurance_counts_as_cover_notes_1_2(gj: Gongji, staff: Principal) -> None:
    """POLICY-NOTES §1.2: 连续参保 across insurance types — employee insurance (310) until mid-2026,
    then resident insurance: no break."""
    pid = resident(gj, staff)

    def employee_until_june(uow: Any) -> None:
        uow.session.add(
            Enrollment(
                person_id=pid,
                insutype="310",
                region_code="620702",
                status="terminated",
                psn_type="11",
                start_date=date(2015, 1, 1),
                end_date=date(2026, 6, 30),
            )
        )
        uow.commit()

    gj.run(employee_until_june)
    p = ok(gj, pay(gj, staff, pid, 2027))["premium"]
    assert (p["years_broken"], p["waiting_months"], p["benefit_start"]) == (0, 0, "2027-01-01")


def test_a_refunded_premium_is_no_cover_notes_1_2(gj: Gongji, staff: Principal) -> None:
    """POLICY-NOTES §1.2: covered means paid; a refunded year is a break."""
    pid = resident(gj, staff)
    paid_before(gj, pid, 2025, 2026)

    def refund_2026(uow: Any) -> None:
        row = uow.session.scalar(
            select(ResidentPremium).where(ResidentPremium.person_id == pid, ResidentPremium.benefit_year == 2026)
        )
        row.status = "refunded"
        uow.commit()

    gj.run(refund_2026)
    p = ok(gj, pay(gj, staff, pid, 2027))["premium"]
    assert (p["years_broken"], p["waiting_months"]) == (1, 3)


# --- newborns ------------------------------------------------------------------------------------------


def test_a_newborn_pays_late_the_birth_year_standard_without_waiting_seed002_s5_4(gj: Gongji, staff: Principal) -> None:
    """Seed 002 §五4: 新生儿 … 缴费后按规定享受居民医保待遇，不设待遇享受等待期 — born 2026-01-15, paid
    2026-03-10 for 2026 (the birth year, its window long closed): benefits from the payment day."""
    at(gj, date(2026, 3, 10))
    baby = resident(gj, staff, birth=date(2026, 1, 15), name="王小宝")
    answer = ok(gj, pay(gj, staff, baby, 2026, late=True))
    p = answer["premium"]
    assert answer["amount_fen"] == PREMIUM and p["individual_fen"] == PREMIUM  # the 2026 standard
    assert (p["waiting_months"], p["years_broken"], p["benefit_start"]) == (0, 0, "2026-03-10")
    refusal = refused(gj, buy(gj, staff, baby, 2026, 1))
    assert refusal.code == "E_RESIDENT_BUYBACK" and "新生儿" in refusal.message_zh


# --- buy-back (缴费购买等待期) ---------------------------------------------------------------------------------


def test_buy_back_costs_one_individual_premium_a_month_and_moves_the_start_notes_1_2(
    gj: Gongji, staff: Principal
) -> None:
    """POLICY-NOTES §1.2: the variable part (1 month after a 2-year break) may be bought off at one
    year's individual premium (current standard: 400.00) per month; 4 → 3 months, benefits from
    2027-04-01. The reference makes a repeat answer the first buy-back."""
    pid = resident(gj, staff)
    ok(gj, pay(gj, staff, pid, 2027))
    assert status(gj, staff, pid, 2027)["waiting"]["buyback"] == {
        "months_left": 1,
        "months_most": 1,
        "bought_back_months": 0,
        "cost_per_month_fen": PREMIUM,
        "individual_fen": PREMIUM,
        "unavailable_reason": None,
    }
    before = balances(gj, INCOME, BANK)
    first = ok(gj, buy(gj, staff, pid, 2027, 1, ref="BB-0001"))
    assert (first["months"], first["cost_fen"], first["replayed"]) == (1, PREMIUM, False)
    p = first["premium"]
    assert (p["waiting_months"], p["bought_back_months"], p["benefit_start"]) == (3, 1, "2027-04-01")
    after = balances(gj, INCOME, BANK)
    assert after[INCOME] - before[INCOME] == PREMIUM and after[BANK] - before[BANK] == -PREMIUM
    again = ok(gj, buy(gj, staff, pid, 2027, 1, ref="BB-0001"))
    assert again["replayed"] is True and again["ledger_txn_id"] == first["ledger_txn_id"]
    assert balances(gj, INCOME, BANK) == after
    other = refused(gj, buy(gj, staff, pid, 2027, 1, amount=PREMIUM + 1, ref="BB-0001"))
    assert other.code == "E_IDEMPOTENCY_MISMATCH"
    more = refused(gj, buy(gj, staff, pid, 2027, 1, ref="BB-0002"))  # the one variable month is gone
    assert more.code == "E_RESIDENT_BUYBACK" and more.detail["at_most"] == 0


def test_buy_back_refusals_write_nothing_notes_1_2(gj: Gongji, staff: Principal) -> None:
    """POLICY-NOTES §1.2: only the variable months; the exact price; a paid premium only."""
    pid = resident(gj, staff)
    unpaid = refused(gj, buy(gj, staff, pid, 2027, 1))
    assert unpaid.code == "E_RESIDENT_NOT_PAID"
    ok(gj, pay(gj, staff, pid, 2027))  # 2-year break: 4 months, 1 variable
    too_many = refused(gj, buy(gj, staff, pid, 2027, 2))
    assert too_many.code == "E_RESIDENT_BUYBACK" and too_many.detail["at_most"] == 1
    assert refused(gj, buy(gj, staff, pid, 2027, 1, amount=PREMIUM - 1)).code == "E_RESIDENT_AMOUNT"
    assert refused(gj, buy(gj, staff, pid, 2027, 0)).code == "E_VALIDATION"
    outsider = support.staff(gj, ["620100"])
    assert refused(gj, buy(gj, outsider, pid, 2027, 1)).code == "E_OUT_OF_REGION"
    at(gj, date(2027, 5, 2))  # the waiting period is over: nothing left to buy
    assert refused(gj, buy(gj, staff, pid, 2027, 1)).code == "E_RESIDENT_BUYBACK"


def test_a_four_year_break_keeps_six_months_after_buy_back_notes_1_2(gj: Gongji, staff: Principal) -> None:
    """POLICY-NOTES §1.2: after 4+ years of break, fixed + variable stay ≥ 6 months after buy-back.
    4 years (2025–2028) → 3+3 = 6, nothing to buy; 5 years (2025–2029) → 7, one month may go."""
    with_standards(gj, 2029, 2030)
    at(gj, date(2028, 11, 20))
    four = resident(gj, staff, name="赵四")
    p = ok(gj, pay(gj, staff, four, 2029))["premium"]
    assert (p["years_broken"], p["waiting_months"], p["benefit_start"]) == (4, 6, "2029-07-01")
    assert refused(gj, buy(gj, staff, four, 2029, 1)).detail["at_most"] == 0

    at(gj, date(2029, 11, 20))
    five = resident(gj, staff, name="钱五")
    p = ok(gj, pay(gj, staff, five, 2030))["premium"]
    assert (p["years_broken"], p["waiting_months"], p["benefit_start"]) == (5, 7, "2030-08-01")
    assert refused(gj, buy(gj, staff, five, 2030, 2, ref="BB-5")).detail["at_most"] == 1
    at(gj, date(2030, 7, 10))  # bought late: benefits from the day of buying, not back to 07-01
    p = ok(gj, buy(gj, staff, five, 2030, 1, ref="BB-5"))["premium"]
    assert (p["waiting_months"], p["bought_back_months"], p["benefit_start"]) == (6, 1, "2030-07-10")


# --- the other ways a premium is paid ----------------------------------------------------------------------


@pytest.fixture
def tax(gj: Gongji) -> Principal:
    def go(uow: Any) -> Principal:
        user = auth.create_user(uow, username="tax_wait", password=support.PASSWORD, role=Role.TAX, display_name="税务")
        p = auth.principal_of(uow, user)
        uow.commit()
        return p

    return gj.run(go)


def test_a_premium_paid_from_the_family_account_gets_its_waiting_period_notes_1_2(
    gj: Gongji, staff: Principal, tax: Principal
) -> None:
    """POLICY-NOTES §1.2 with seed 003 附件三(二) (共济账户代缴, always in the window): a child with
    two uncovered years waits 4 months; the tax bureau's answer shows the benefit start."""
    payer = support.employee(gj, staff, income_fen=100_000, birth=date(1980, 5, 1))
    who = support.citizen(gj, payer)
    child = resident(gj, staff, birth=date(2012, 3, 3), name="王小明")
    binding = support.bind(gj, who, child, "child")
    support.allocate(gj, who, binding["binding_id"], PREMIUM)
    req = premiums.TaxPremiumRequest(
        request_id="TAX-WAIT-1",
        payer_cert_no=support.person_cert(gj, payer),
        relative_cert_no=support.person_cert(gj, child),
        benefit_year=2027,
        amount_fen=PREMIUM,
    )
    answer = ok(gj, lambda uow: premiums.tax_family_payment(uow, support.ctx(gj, tax), gj.profile, req))
    assert answer["status"] == "paid", answer
    p = answer["premium"]
    assert (p["years_broken"], p["waiting_months"], p["benefit_start"]) == (2, 4, "2027-05-01")


def test_a_premium_paid_by_the_full_subsidy_roster_gets_its_benefit_start_notes_1_2(
    gj: Gongji, staff: Principal
) -> None:
    """POLICY-NOTES §1.2 with seed 002 §四(二)1 (全额资助代缴 in the window): continuous → 1 January;
    after a two-year break → 4 months."""
    c = support.ctx(gj, staff)
    continuous = resident(gj, staff, name="孙六")
    broken = resident(gj, staff, name="周七")
    paid_before(gj, continuous, 2025, 2026)
    for pid in (continuous, broken):
        ok(
            gj,
            lambda uow, pid=pid: subsidies.change_category(
                uow, c, gj.profile, person_id=pid, subsidy_codes=("extreme_poverty",), benefit_year=2027, reason="认定"
            ),
        )
    rows = [{"id_number": support.person_cert(gj, p), "name": support.person_name(gj, p)} for p in (continuous, broken)]
    report = support.full_subsidy_roster(gj, staff, benefit_year=2027, category="extreme_poverty", rows=rows)
    assert report["outcomes"] == {"pay_full": 2}
    assert status(gj, staff, continuous, 2027)["benefit_start"] == "2027-01-01"
    s = status(gj, staff, broken, 2027)
    assert (s["benefit_start"], s["waiting"]["waiting_months"], s["waiting"]["years_broken"]) == ("2027-05-01", 4, 2)


def test_payment_status_before_any_payment_has_no_waiting_period(gj: Gongji, staff: Principal) -> None:
    pid = resident(gj, staff)
    s = status(gj, staff, pid, 2027)
    assert s["status"] == "unpaid" and s["benefit_start"] is None and s["waiting"] is None
