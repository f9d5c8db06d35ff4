"""Collection units, the year's task and progress against the target curve (issue 16 §1–§2,
seed 002 §八1 units, §八2 参保空档期, §八3 targets). Both databases."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from gongji.adapters.db.models import CollectionTask, CollectionTaskChange
from gongji.bootstrap import Gongji
from gongji.domain.errors import Conflict, InvalidRequest, OutOfRegion
from gongji.services.auth import Principal
from gongji.services.collection import progress, task, units
from tests import collection_support as cs
from tests import support
from tests.collection_support import DISTRICT, YEAR


@pytest.fixture
def staff(gj: Gongji) -> Principal:
    return support.staff(gj, [DISTRICT])


def _overview(gj: Gongji, who: Principal, day: date, area: str | None = None) -> progress.Overview:
    def go(uow: Any) -> progress.Overview:
        scope = units.scope_of(uow, who)
        return progress.overview(uow, gj.profile, scope, benefit_year=YEAR, day=day, area=area)

    return gj.run(go)


def _clerk(gj: Gongji, by: Principal, township: int) -> Principal:
    clerk = support.staff(gj, [DISTRICT])
    c = support.ctx(gj, by)
    cs.run(gj, lambda uow: units.set_staff_township(uow, c, user_id=clerk.user_id, township_id=township))
    return clerk


def test_units_are_township_village_street_community_college_school(gj: Gongji, staff: Principal) -> None:
    """002 §八1: 乡镇以行政村为单位、街道以社区为单位、大中专院校以学校为单位."""
    town = cs.unit(gj, staff, "梁家墩镇", "town")
    street = cs.unit(gj, staff, "东街街道", "street")
    college = cs.unit(gj, staff, "河西学院", "college")
    cs.unit(gj, staff, "太平堡村", "village", parent=town)
    cs.unit(gj, staff, "南关社区", "community", parent=street)
    cs.unit(gj, staff, "医学院", "school", parent=college)
    c = support.ctx(gj, staff)
    with pytest.raises(InvalidRequest):
        gj.run(lambda uow: units.create_unit(uow, c, name="某社区", kind="community", parent_id=town))
    with pytest.raises(InvalidRequest):
        gj.run(lambda uow: units.create_unit(uow, c, name="某学校", kind="school", parent_id=street))
    rows = gj.run(lambda uow: [(u.code, u.kind) for u in units.units_under(uow, units.scope_of(uow, staff))])
    assert ("620702001", "town") in rows and ("620702001001", "village") in rows
    assert ("620702003001", "school") in rows


def test_task_is_the_alive_non_employee_residents_not_insured_elsewhere_with_gaps(gj: Gongji, staff: Principal) -> None:
    """Issue 16 §1: who should enroll per unit, from the registry; 参保空档期 (employee insurance
    ended, no resident enrollment) is in the task of the unit as a gap (002 §八2)."""
    town = cs.unit(gj, staff, "上秦镇", "town")
    village = cs.unit(gj, staff, "徐赵寨村", "village", parent=town)
    ok = cs.residents(gj, staff, village, 3)
    worker = support.employee(gj, staff, region=DISTRICT, name="赵工")
    cs.member(gj, staff, worker, village)
    dead = support.resident(gj, staff, name="钱故")
    cs.member(gj, staff, dead, village)
    support.died(gj, staff, dead)
    elsewhere = support.resident(gj, support.staff(gj, ["620000"]), name="孙外", region="620402")  # in 白银市
    cs.member(gj, staff, elsewhere, village)
    gap = support.employee(gj, staff, region=DISTRICT, name="周空")
    cs.member(gj, staff, gap, village)
    _end_employee(gj, staff, gap)

    totals = cs.compute(gj, staff)

    rows = _task_rows(gj)
    assert set(rows) == {*ok, gap}
    assert rows[gap][1] == "gap" and totals == {"task": 4, "gap": 1, "out": 0}
    assert _overview(gj, staff, date(2026, 11, 23)).total.task == 4


def _end_employee(gj: Gongji, by: Principal, person_id: int) -> None:
    from gongji.adapters.db.models import Enrollment
    from gongji.domain.registry import EnrollmentAction
    from gongji.services.registry import persons as registry

    def go(uow: Any) -> None:
        e = uow.session.scalars(select(Enrollment).where(Enrollment.person_id == person_id)).one()
        registry.change_enrollment(
            uow,
            support.ctx(gj, by),
            enrollment_id=e.id,
            action=EnrollmentAction.END,
            effective_date=date(2026, 6, 30),
            reason="离职",
        )
        uow.commit()

    gj.run(go)


def _task_rows(gj: Gongji) -> dict[int, tuple[str, str, int]]:
    def go(uow: Any) -> dict[int, tuple[str, str, int]]:
        t = CollectionTask
        return {
            r.person_id: (r.status, r.source, r.unit_id)
            for r in uow.session.scalars(select(t).where(t.benefit_year == YEAR))
        }

    return gj.run(go)


def test_progress_on_a_date_counts_the_payments_made_by_then(gj: Gongji, staff: Principal) -> None:
    """Issue 16 §2: progress = paid ÷ task on any date, from known payments (paid 9-20, 10-15,
    11-20 of 4 in the task: 1/4 on 9-30, 2/4 on 10-31, 3/4 on 11-22)."""
    town = cs.unit(gj, staff, "大满镇", "town")
    village = cs.unit(gj, staff, "紫家寨村", "village", parent=town)
    people = cs.residents(gj, staff, village, 4)
    cs.compute(gj, staff)
    for pid, day in zip(people, (date(2026, 9, 20), date(2026, 10, 15), date(2026, 11, 20)), strict=False):
        cs.pay_on(gj, staff, pid, day)

    def at(day: date) -> tuple[int, int, int]:
        row = _overview(gj, staff, day, area=f"t{town}").children[0]
        return row.paid, row.task, row.permille

    assert at(date(2026, 9, 19)) == (0, 4, 0)
    assert at(date(2026, 9, 30)) == (1, 4, 250)
    assert at(date(2026, 10, 31)) == (2, 4, 500)
    assert at(date(2026, 11, 22)) == (3, 4, 750)
    district = _overview(gj, staff, date(2026, 11, 22), area=DISTRICT)
    assert (district.total.paid, district.total.task) == (3, 4)
    assert district.series[-1] == (date(2026, 11, 22), 3)
    province = _overview(gj, support.staff(gj, ["620000"]), date(2026, 10, 31), area="62")  # the district rollup
    assert (province.total.paid, province.total.task, province.children[0].key) == (2, 4, "6207")
    assert province.series[-1] == (date(2026, 10, 31), 2)


def test_a_unit_below_the_9_30_step_is_behind(gj: Gongji, staff: Principal) -> None:
    """002 §八3: ≥35% by 9-30; a village with 1 of 4 paid (25%) on 10-01 is behind, one with 2
    of 4 is not; before 9-30 nothing is due yet."""
    town = cs.unit(gj, staff, "沙井镇", "town")
    slow = cs.unit(gj, staff, "沙井村", "village", parent=town)
    fast = cs.unit(gj, staff, "坝庙村", "village", parent=town)
    a, b = cs.residents(gj, staff, slow, 4), cs.residents(gj, staff, fast, 4)
    cs.compute(gj, staff)
    cs.pay_on(gj, staff, a[0], date(2026, 9, 10))
    cs.pay_on(gj, staff, b[0], date(2026, 9, 10))
    cs.pay_on(gj, staff, b[1], date(2026, 9, 11))
    rows = {r.name: r for r in _overview(gj, staff, date(2026, 10, 1), area=f"t{town}").children}
    assert rows["沙井村"].behind and rows["沙井村"].required_permille == 350
    assert not rows["坝庙村"].behind and rows["沙井村"].shortfall == 1
    early = {r.name: r for r in _overview(gj, staff, date(2026, 9, 29), area=f"t{town}").children}
    assert not early["沙井村"].behind


def test_task_adjustments_need_a_reason_and_are_recorded_after_the_freeze(gj: Gongji, staff: Principal) -> None:
    """Issue 16 §1: adjustable by staff with a reason, frozen at a date; after the freeze the
    task cannot be recomputed, only adjusted person by person (each change recorded)."""
    town = cs.unit(gj, staff, "乌江镇", "town")
    village = cs.unit(gj, staff, "元丰村", "village", parent=town)
    a, b = cs.residents(gj, staff, village, 2)
    worker = support.employee(gj, staff, region=DISTRICT, name="吴工")
    cs.member(gj, staff, worker, village)
    cs.compute(gj, staff)
    c = support.ctx(gj, staff)
    with pytest.raises(InvalidRequest):
        gj.run(lambda uow: task.adjust(uow, c, person_id=a, benefit_year=YEAR, action="remove", reason=""))
    cs.run(gj, lambda uow: task.freeze(uow, c, region_code=DISTRICT, benefit_year=YEAR, on=gj.clock.today()))
    with pytest.raises(Conflict):
        cs.compute(gj, staff)
    cs.run(gj, lambda uow: task.adjust(uow, c, person_id=a, benefit_year=YEAR, action="remove", reason="已在外省参保"))
    cs.run(
        gj, lambda uow: task.adjust(uow, c, person_id=worker, benefit_year=YEAR, action="add", reason="灵活就业转居民")
    )
    rows = _task_rows(gj)
    assert rows[a][0] == "out" and rows[worker][:2] == ("in", "manual") and rows[b][0] == "in"
    assert _overview(gj, staff, gj.clock.today()).total.task == 2
    log = gj.run(
        lambda uow: [(x.action, x.reason, x.after_freeze) for x in uow.session.scalars(select(CollectionTaskChange))]
    )
    assert ("remove", "已在外省参保", True) in log and ("add", "灵活就业转居民", True) in log


def test_movers_and_employee_joiners_leave_the_task_with_a_record(gj: Gongji, staff: Principal) -> None:
    """Issue 16 §1: a move within the district carries the task row and the payment to the new
    unit; a person who joined employee insurance leaves the task with a record."""
    town = cs.unit(gj, staff, "甘浚镇", "town")
    v1 = cs.unit(gj, staff, "星光村", "village", parent=town)
    v2 = cs.unit(gj, staff, "中沟村", "village", parent=town)
    mover, joiner, stay = cs.residents(gj, staff, v1, 3)
    cs.compute(gj, staff)
    cs.pay_on(gj, staff, mover, date(2026, 9, 5))
    cs.member(gj, staff, mover, v2)
    support.joined_employee_insurance(gj, staff, joiner)
    c = support.ctx(gj, staff)
    left = cs.run(gj, lambda uow: task.sync_leavers(uow, c, region_code=DISTRICT, benefit_year=YEAR))
    assert left == {"employee": 1, "dead": 0}
    rows = _task_rows(gj)
    assert rows[mover] == ("in", "computed", v2) and rows[joiner][0] == "out" and rows[stay][0] == "in"
    figures = {r.name: (r.paid, r.task) for r in _overview(gj, staff, date(2026, 11, 1), area=f"t{town}").children}
    assert figures == {"星光村": (0, 1), "中沟村": (1, 1)}
    log = gj.run(lambda uow: [x.action for x in uow.session.scalars(select(CollectionTaskChange))])
    assert sorted(log) == ["leave", "move"]


def test_a_township_clerk_sees_only_their_own_units(gj: Gongji, staff: Principal) -> None:
    """Issue 16 §1/§5: a township's 医保专干 sees the progress of their villages only, and cannot
    open the district or another township."""
    t1 = cs.unit(gj, staff, "党寨镇", "town")
    t2 = cs.unit(gj, staff, "碱滩镇", "town")
    v1 = cs.unit(gj, staff, "陈家墩村", "village", parent=t1)
    v2 = cs.unit(gj, staff, "古城村", "village", parent=t2)
    cs.residents(gj, staff, v1, 2)
    cs.residents(gj, staff, v2, 3)
    cs.compute(gj, staff)
    clerk = _clerk(gj, staff, t1)
    mine = _overview(gj, clerk, date(2026, 11, 1))
    assert [r.name for r in mine.children] == ["陈家墩村"] and mine.total.task == 2
    for area in (DISTRICT, f"t{t2}"):
        with pytest.raises(OutOfRegion):
            _overview(gj, clerk, date(2026, 11, 1), area=area)
    other = support.resident(gj, staff, name="冯邻")
    cs.member(gj, staff, other, v2)
    with pytest.raises(OutOfRegion):
        cs.member(gj, clerk, other, v1)  # taking someone from another township


def test_a_refund_takes_the_payment_out_from_its_day_on(gj: Gongji, staff: Principal) -> None:
    """The aggregates count a premium until the day it stops being paid (the trigger of migration
    0024/0028 on every status change, whichever service makes it; here the row as refunds.py
    leaves it)."""
    from datetime import datetime

    from sqlalchemy import update

    from gongji.adapters.db.models import ResidentPremium
    from gongji.domain.clock import SHANGHAI

    town = cs.unit(gj, staff, "花寨乡", "township")
    village = cs.unit(gj, staff, "余家城村", "village", parent=town)
    (pid,) = cs.residents(gj, staff, village, 1)
    cs.compute(gj, staff)
    cs.pay_on(gj, staff, pid, date(2026, 9, 10))
    refunded_at = datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI)
    cs.run(
        gj,
        lambda uow: uow.session.execute(
            update(ResidentPremium)
            .where(ResidentPremium.person_id == pid)
            .values(status="refunded", refunded_at=refunded_at)
        ),
    )
    for day, paid in ((date(2026, 10, 7), 1), (date(2026, 10, 8), 0)):
        assert _overview(gj, staff, day, area=f"t{town}").total.paid == paid
        assert _overview(gj, staff, day, area=DISTRICT).series[-1] == (day, paid)
