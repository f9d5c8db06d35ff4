"""Waiting periods for late or broken resident enrollment, the pure rules added for the use cases
(domain/resident.py section 6: ``years_broken``, ``waiting_starts_on``, ``decide_waiting``,
``benefit_start_after_buyback``).

Sources: POLICY-NOTES §1.2 / 国办发〔2024〕38号 (fixed 3 months outside the window or after a
break, 每多断保1年 +1 month, 4+ years ≥ 6 months after buy-back, benefits from the end of the
waiting period to 31 December, years up to 2024 are not breaks); seed 002 §五4 (新生儿不设待遇
享受等待期). Figures: the Gansu profile's ``[resident.waiting_period]``.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongji.domain import resident as R
from gongji.policy import load_profiles

WAITING = load_profiles()["gansu"].resident.waiting_period


def broken(benefit_year: int, paid: frozenset[int] = frozenset(), spells=(), born: int | None = None) -> int:
    return R.years_broken(
        benefit_year,
        effective_benefit_year=WAITING.effective_benefit_year,
        paid_years=paid,
        employee_spells=list(spells),
        born_year=born,
    )


def test_years_broken_counts_the_uncovered_years_right_before_notes_1_2():
    """POLICY-NOTES §1.2 / 国办发〔2024〕38号: consecutive years without cover before the year."""
    assert broken(2027, frozenset({2025, 2026})) == 0
    assert broken(2027, frozenset({2025})) == 1
    assert broken(2027) == 2
    assert broken(2030, frozenset({2026})) == 3  # 2027–2029; the cover in 2026 stops the count


def test_years_up_to_2024_are_not_breaks_notes_1_2():
    """POLICY-NOTES §1.2: years up to 2024 do not count as breaks — counting starts in 2025."""
    assert broken(2025) == 0
    assert broken(2026) == 1
    later = WAITING.model_copy(update={"effective_benefit_year": 2027})
    assert (
        R.years_broken(2028, effective_benefit_year=later.effective_benefit_year, paid_years=(), employee_spells=())
        == 1
    )


def test_before_the_first_collected_year_the_resident_enrollment_is_the_record():
    """Years before ``records_from_benefit_year`` (2027 in the profiles) were collected before
    this system: a 390 enrollment in force then covers them; from 2027 on only a paid premium
    does (POLICY-NOTES §1.2 counts breaks of cover, not of our records)."""
    legacy = [(date(2019, 1, 1), None)]

    def with_record(year: int, paid: frozenset[int] = frozenset()) -> int:
        return R.years_broken(
            year,
            effective_benefit_year=WAITING.effective_benefit_year,
            paid_years=paid,
            employee_spells=(),
            resident_spells=legacy,
            records_from=WAITING.records_from_benefit_year,
        )

    assert WAITING.records_from_benefit_year == 2027
    assert with_record(2027) == 0  # 2025 and 2026: enrolled, paid in the old system
    assert with_record(2029) == 2  # 2027 and 2028 unpaid here although still enrolled
    assert with_record(2029, frozenset({2028})) == 0
    assert broken(2027) == 2  # without the enrollment record: two years broken
    joined = [(date(2025, 3, 1), None)]  # enrolled during 2025: not covered for 2025, covered for 2026
    assert (
        R.years_broken(
            2027,
            effective_benefit_year=2025,
            paid_years=(),
            employee_spells=(),
            resident_spells=joined,
            records_from=2027,
        )
        == 0
    )
    assert (
        R.years_broken(
            2026,
            effective_benefit_year=2025,
            paid_years=(),
            employee_spells=(),
            resident_spells=joined,
            records_from=2027,
        )
        == 1
    )


def test_employee_insurance_in_a_year_covers_it_notes_1_2():
    """POLICY-NOTES §1.2: only years without any basic cover are breaks; employee insurance (310)
    at any time of a year covers it."""
    assert broken(2028, spells=[(date(2010, 1, 1), date(2025, 3, 31))]) == 2  # 2026, 2027
    assert broken(2028, spells=[(date(2010, 1, 1), date(2026, 12, 31))]) == 1
    assert broken(2028, spells=[(date(2027, 12, 31), None)]) == 0
    assert broken(2028, spells=[(date(2028, 1, 1), None)]) == 3  # 2025–2027: it starts after them


def test_nobody_breaks_before_birth_nor_in_the_year_of_birth_our_reading():
    """Our reading of POLICY-NOTES §1.2 with seed 002 §五4: the birth year is a newborn's."""
    assert broken(2028, born=2026) == 1  # only 2027
    assert broken(2027, born=2026) == 0


def test_months_are_counted_from_the_month_after_payment_but_not_before_1_january():
    """POLICY-NOTES §1.2 (参保后设置待遇等待期), our reading: whole months from the month after
    paying; a payment in the window (the year before) waits from 1 January."""
    assert R.waiting_starts_on(2026, date(2026, 3, 10)) == date(2026, 4, 1)
    assert R.waiting_starts_on(2026, date(2026, 12, 31)) == date(2027, 1, 1)
    assert R.waiting_starts_on(2027, date(2026, 9, 2)) == date(2027, 1, 1)
    assert R.add_months(date(2026, 11, 23), 3) == date(2027, 2, 1)
    with pytest.raises(ValueError):
        R.add_months(date(2026, 1, 1), -1)


def test_a_late_payment_waits_three_months_then_benefits_to_31_december_notes_1_2():
    """POLICY-NOTES §1.2 / 国办发〔2024〕38号: fixed 3 months outside the window; benefits from the
    end of the waiting period to 31 December of that year."""
    d = R.decide_waiting(
        WAITING, benefit_year=2026, paid_on=date(2026, 3, 10), years_broken=0, newborn=False, outside_window=True
    )
    assert (d.waiting_months, d.benefit_start, d.benefit_end) == (3, date(2026, 7, 1), date(2026, 12, 31))
    assert d.benefits_in_year
    november = R.decide_waiting(
        WAITING, benefit_year=2026, paid_on=date(2026, 11, 23), years_broken=0, newborn=False, outside_window=True
    )
    assert november.benefit_start == date(2027, 3, 1) and not november.benefits_in_year


def test_in_the_window_without_a_break_benefits_start_on_1_january_notes_1_2():
    """POLICY-NOTES §1.2: continuous payment in the central window — no waiting period."""
    d = R.decide_waiting(
        WAITING, benefit_year=2027, paid_on=date(2026, 11, 23), years_broken=0, newborn=False, outside_window=False
    )
    assert (d.waiting_months, d.benefit_start) == (0, date(2027, 1, 1))


def test_in_the_window_after_a_two_year_break_waits_three_plus_one_from_1_january_notes_1_2():
    """POLICY-NOTES §1.2: 每多断保1年 one more month (the first year is free): 2 years → 3+1."""
    d = R.decide_waiting(
        WAITING, benefit_year=2027, paid_on=date(2026, 11, 23), years_broken=2, newborn=False, outside_window=False
    )
    assert (d.waiting_months, d.benefit_start) == (4, date(2027, 5, 1))


def test_a_newborn_has_benefits_from_payment_seed002_s5_4():
    """Seed 002 §五4: 新生儿缴费后按规定享受居民医保待遇，不设待遇享受等待期."""
    d = R.decide_waiting(
        WAITING, benefit_year=2026, paid_on=date(2026, 3, 10), years_broken=0, newborn=True, outside_window=True
    )
    assert (d.waiting_months, d.benefit_start) == (0, date(2026, 3, 10))


def test_buy_back_moves_the_start_but_never_before_the_day_of_buying_notes_1_2():
    """POLICY-NOTES §1.2 (缴费购买等待期): the months left counted as at payment; our reading: bought
    months do not reach back before the buy-back day."""
    paid = date(2026, 11, 23)
    assert R.benefit_start_after_buyback(2027, paid_on=paid, waiting_months=3, bought_on=paid) == date(2027, 4, 1)
    assert R.benefit_start_after_buyback(2027, paid_on=paid, waiting_months=3, bought_on=date(2027, 4, 9)) == date(
        2027, 4, 9
    )


@given(
    year=st.integers(min_value=2025, max_value=2040),
    day=st.dates(min_value=date(2024, 1, 1), max_value=date(2041, 12, 31)),
    years=st.integers(min_value=0, max_value=20),
    late=st.booleans(),
)
def test_benefits_never_start_before_1_january_nor_before_payment_when_late(year, day, years, late):
    """POLICY-NOTES §1.2: the fund pays nothing before the waiting period ends; a benefit year
    starts on 1 January at the earliest."""
    d = R.decide_waiting(
        WAITING, benefit_year=year, paid_on=day, years_broken=years, newborn=False, outside_window=late
    )
    assert d.benefit_start >= date(year, 1, 1)
    if d.waiting_months:
        assert d.benefit_start > day
        assert d.benefit_start == R.add_months(R.waiting_starts_on(year, day), d.waiting_months)
