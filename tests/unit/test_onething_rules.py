"""就医费用报销"一件事" rules (seed 001; issue 14 §5), pure: the time limits in working days from
acceptance on the official calendar, the parts and their order, materials and visits."""

from __future__ import annotations

from datetime import date

import pytest

from gongji.adapters.official_calendar import official_schedule
from gongji.domain import onething as T
from gongji.domain.calendar import WorkCalendar
from gongji.domain.errors import InvalidRequest, OneThingTooManyMaterials, OneThingVisitLimit, UnknownCode
from gongji.policy.loader import default_profiles_dir, load_profiles


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar(official_schedule())


def at(cal: WorkCalendar, accepted: date, today: date, closed: date | None = None) -> T.Timing:
    return T.timing(cal, accepted_on=accepted, committed_days=2, statutory_days=3, today=today, closed_on=closed)


def test_the_gansu_profile_carries_the_seeds_limits_materials_visits_and_steps() -> None:
    """001 基本信息/联办效能: 承诺2个工作日, 法定3个工作日, 3份材料, 1次跑动, 3个环节."""
    profiles = load_profiles(default_profiles_dir())
    r = profiles["gansu"].onething
    assert r is not None
    assert (r.committed_working_days, r.statutory_working_days, r.max_materials, r.max_visits) == (2, 3, 3, 1)
    assert r.steps == ("申请", "受理审核", "办结")
    assert r.visit_reason == "需现场提交本人有效证件办理结算"
    assert r.family_scope_answer == "目前，职工医保个人账户家庭共济办理仅支持省内办理。"


def test_a_case_accepted_the_day_before_national_day_is_due_after_the_holiday_week(cal: WorkCalendar) -> None:
    """Accepted Wed 2026-09-30: 10-01…10-07 are off, so the committed 2 working days end Fri 10-09
    and the statutory 3 on the make-up Saturday 10-10 (Mon–Fri counting would say 10-02/10-05)."""
    t = at(cal, date(2026, 9, 30), date(2026, 9, 30))
    assert (t.committed_due, t.statutory_due) == (date(2026, 10, 9), date(2026, 10, 10))
    assert (t.state, t.remaining, t.provisional) == ("on_time", 2, False)
    assert at(cal, date(2026, 9, 30), date(2026, 10, 5)).remaining == 2  # holidays do not run the clock
    assert at(cal, date(2026, 9, 30), date(2026, 10, 8)).remaining == 1
    assert at(cal, date(2026, 9, 30), date(2026, 10, 9)).state == "due_today"
    late = at(cal, date(2026, 9, 30), date(2026, 10, 10))
    assert (late.state, late.remaining) == ("overdue", -1)  # the make-up Saturday is a working day
    assert at(cal, date(2026, 9, 30), date(2026, 10, 12)).state == "statutory_overdue"


def test_a_closed_case_is_judged_on_the_day_it_closed(cal: WorkCalendar) -> None:
    assert at(cal, date(2026, 9, 30), date(2026, 11, 1), closed=date(2026, 10, 9)).state == "finished_in_time"
    late = at(cal, date(2026, 9, 30), date(2026, 11, 1), closed=date(2026, 10, 10))
    assert late.state == "finished_late" and late.late


def test_a_deadline_in_a_year_the_schedule_does_not_cover_is_provisional(cal: WorkCalendar) -> None:
    assert at(cal, date(2026, 12, 31), date(2026, 12, 31)).provisional  # runs into 2027


def test_parts_are_known_each_once_in_the_forms_order() -> None:
    assert T.check_parts(["direct_settlement", "family_binding", "family_binding"]) == (
        "family_binding",
        "direct_settlement",
    )
    with pytest.raises(UnknownCode):
        T.check_parts(["offsite_registration", "lottery"])
    with pytest.raises(InvalidRequest):
        T.check_parts([])


def test_at_most_three_materials_none_twice_and_the_id_among_them() -> None:
    """001 联办效能: 递交材料 3份 (相同的不重复提交)."""
    assert T.check_materials(["commitment", "id_card", "application_form"], max_materials=3) == (
        "id_card",
        "application_form",
        "commitment",
    )
    with pytest.raises(OneThingTooManyMaterials):
        T.check_materials(["id_card", "application_form", "residence_proof", "referral_proof"], max_materials=3)
    with pytest.raises(OneThingTooManyMaterials):
        T.check_materials(["id_card", "id_card"], max_materials=3)
    with pytest.raises(InvalidRequest):
        T.check_materials(["application_form"], max_materials=3)


def test_settlement_follows_the_registration_and_the_recognition_and_the_case_ends_with_its_parts() -> None:
    """串并联办理: direct settlement waits; the others run side by side."""
    states = {"offsite_registration": "done", "chronic_recognition": "processing", "direct_settlement": "waiting"}
    assert not T.ready("direct_settlement", states)
    assert T.ready("direct_settlement", states | {"chronic_recognition": "refused"})
    assert T.ready("direct_settlement", {"direct_settlement": "waiting"})  # nothing to follow
    assert T.case_state(states.values()) == "reviewing"
    assert T.case_state(["done", "refused", "done"]) == "done"


def test_online_is_no_visit_the_window_the_one_visit_and_no_second() -> None:
    """001 到场次数: 0次或1次."""
    assert T.visits_at_acceptance("online") == 0 and T.visits_at_acceptance("window") == 1
    T.check_visit(visits=0, max_visits=1)
    with pytest.raises(OneThingVisitLimit):
        T.check_visit(visits=1, max_visits=1)
