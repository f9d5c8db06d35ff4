"""Working days on the official schedule with 调休 (issue 14 §1, SPEC §7): the pure calendar over
the schedule ``chinesecalendar`` carries, staff overrides and confirmed years."""

from __future__ import annotations

from datetime import date

import pytest

from gongji.adapters.official_calendar import official_schedule
from gongji.domain.calendar import DayOverride, WorkCalendar
from gongji.domain.errors import InvalidRequest


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar(official_schedule())


def test_the_2026_national_day_week_is_off_and_saturday_10_10_is_worked(cal: WorkCalendar) -> None:
    """国务院办公厅 2026 安排: 10月1日至7日放假调休, 10月10日（周六）上班 (as chinesecalendar 1.11 has it)."""
    assert [cal.is_working_day(date(2026, 10, d)) for d in range(1, 8)] == [False] * 7
    makeup = cal.day(date(2026, 10, 10))
    assert date(2026, 10, 10).weekday() == 5
    assert makeup.working and makeup.kind == "makeup" and makeup.name == "国庆节调休上班"
    assert cal.day(date(2026, 10, 3)).name == "国庆节"
    assert cal.is_working_day(date(2026, 10, 8)) and cal.is_working_day(date(2026, 10, 9))
    assert not cal.is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_a_case_accepted_the_day_before_national_day_with_2_working_days_ends_on_10_09(cal: WorkCalendar) -> None:
    """001 承诺办结时限2个工作日: accepted Wed 2026-09-30, the holiday week does not count → Fri 10-09
    (Mon–Fri counting would say 10-02); the statutory 3 days end on the make-up Saturday 10-10."""
    assert cal.add_working_days(date(2026, 9, 30), 2) == date(2026, 10, 9)
    assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert cal.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert not cal.deadline(date(2026, 9, 30), 3).provisional


def test_a_make_up_sunday_counts_as_a_working_day(cal: WorkCalendar) -> None:
    """Sun 2026-09-20 is worked (调休); counting from Fri 09-18 it is the first working day."""
    assert cal.add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)


def test_counting_matches_chinesecalendar_find_workday(cal: WorkCalendar) -> None:
    import chinese_calendar

    for start in (date(2026, 1, 30), date(2026, 2, 13), date(2026, 4, 30), date(2026, 9, 24)):
        for n in (0, 1, 2, 3, 5, 10):
            assert cal.add_working_days(start, n) == chinese_calendar.find_workday(n, start), (start, n)


def test_working_days_between_counts_the_end_not_the_start_and_inverts_add(cal: WorkCalendar) -> None:
    start = date(2026, 9, 30)
    assert cal.working_days_between(start, date(2026, 10, 9)) == 2
    assert cal.working_days_between(start, date(2026, 10, 7)) == 0  # the whole holiday
    assert cal.working_days_between(date(2026, 10, 9), start) == -2
    for n in range(0, 30):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_a_year_the_package_does_not_cover_falls_back_to_monday_to_friday_marked_provisional(
    cal: WorkCalendar,
) -> None:
    """SPEC §7: chinesecalendar 1.11 raises for 2027; we count Mon–Fri and say it is provisional."""
    new_year = cal.day(date(2027, 1, 1))  # a Friday: a holiday once published, a working day until then
    assert new_year.working and new_year.provisional and new_year.source == "provisional"
    assert not cal.is_working_day(date(2027, 1, 2))
    due = cal.deadline(date(2026, 12, 30), 3)
    assert due.due == date(2027, 1, 4) and due.provisional
    assert not cal.deadline(date(2026, 12, 1), 3).provisional  # stays inside 2026


def test_overrides_beat_the_schedule_and_a_confirmed_year_is_no_longer_provisional() -> None:
    overrides = [
        DayOverride(date(2027, 1, 1), False, "元旦"),
        DayOverride(date(2027, 2, 20), True, "春节调休上班"),  # a Saturday
        DayOverride(date(2026, 10, 9), False, "演示：临时放假"),
    ]
    cal = WorkCalendar(official_schedule(), overrides, confirmed_years=[2027])
    assert cal.day(date(2027, 1, 1)).kind == "holiday" and cal.day(date(2027, 1, 1)).source == "override"
    assert cal.day(date(2027, 2, 20)).kind == "makeup" and cal.is_working_day(date(2027, 2, 20))
    assert not cal.is_working_day(date(2026, 10, 9))  # an override beats the official schedule too
    assert cal.day(date(2027, 3, 3)).source == "confirmed" and not cal.is_provisional(date(2027, 3, 3))
    # accepted Thu 2026-12-31: Fri 01-01 is off, so 2 working days end on Tue 01-05, not provisional
    due = cal.deadline(date(2026, 12, 31), 2)
    assert (due.due, due.provisional) == (date(2027, 1, 5), False)


def test_unconfirmed_year_with_overrides_stays_provisional_on_its_other_days() -> None:
    cal = WorkCalendar(official_schedule(), [DayOverride(date(2027, 1, 1), False, "元旦")])
    assert not cal.is_provisional(date(2027, 1, 1))
    assert cal.is_provisional(date(2027, 1, 4))
    assert cal.provisional_between(date(2026, 12, 31), date(2027, 1, 4))


@pytest.mark.parametrize("n", [-1, 3661, True])
def test_a_count_outside_0_to_3660_is_refused_in_chinese(cal: WorkCalendar, n: int) -> None:
    with pytest.raises(InvalidRequest) as err:
        cal.add_working_days(date(2026, 1, 1), n)
    assert "工作日天数" in err.value.message_zh


def test_zero_working_days_is_the_start_day_itself(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)
    assert cal.next_working_day(date(2026, 10, 3)) == date(2026, 10, 8)


def test_remittance_within_5_working_days_skips_the_national_day_week(cal: WorkCalendar) -> None:
    """002 双限报解: cash below 10,000 yuan is remitted within 5 working days (the profile's
    ``collection.remittance.max_working_days``) — counted on the official calendar, so cash collected
    on Tue 2026-09-29 is due Mon 10-12 (09-30, 10-08, 10-09, the make-up Saturday 10-10, 10-12), not
    10-06 as Mon–Fri would say."""
    from gongji.policy import load_profiles
    from gongji.services.calendar import remittance_deadline

    gansu = load_profiles()["gansu"]
    assert gansu.resident_terms(2027, "620702").remittance.max_working_days == 5
    due = remittance_deadline(cal, gansu, region_code="620702", benefit_year=2027, collected_on=date(2026, 9, 29))
    assert (due.due, due.provisional) == (date(2026, 10, 12), False)
