"""College students' school (大中专学生学籍) for the settlement's student rule (seed 002 §五2:
大中专学生在入学当年学籍地如发生医疗费用，采用异地就医直接结算报销费用，报销比例不受转外就医调减比例
规定限制).

The registry knew a student's school only from a resident registration made at the school
(附件1 ``school_region``), which a first-year student does not have yet: they are still insured
at home. So staff record the school, its place and the admission day from the admission notice
(录取通知书) — the least the rule needs. "入学当年" is read as the calendar year of admission,
from the admission day on: the student's insurance at the school starts on 1 January after.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gongji.adapters.db.models import StudentStatus
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import offsite as O
from gongji.domain.errors import InvalidRequest, UnknownCode
from gongji.services.auth import Role
from gongji.services.registry.context import Ctx, audit_event, get_person, person_regions


def record(
    uow: UnitOfWork, ctx: Ctx, *, person_id: int, school_name: str, school_region: str, admission_date: date
) -> StudentStatus:
    """Staff of the person's region record a college student's school (from the admission notice)."""
    ctx.principal.require(Role.STAFF)
    get_person(uow, person_id)
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    name = school_name.strip()
    if not 2 <= len(name) <= 100:
        raise InvalidRequest("请填写学校名称（2至100字）", "School name of 2 to 100 characters", field="school_name")
    if not region_table().is_current(school_region):
        raise UnknownCode("学籍地区划代码无效", "Unknown school region", field="school_region", value=school_region)
    if admission_date > ctx.clock.today():
        raise InvalidRequest("入学日期不能晚于今天", "The admission day is in the future", field="admission_date")
    row = StudentStatus(
        person_id=person_id,
        school_name=name,
        school_region=school_region,
        admission_date=admission_date,
        recorded_by_user_id=ctx.principal.user_id,
        recorded_at=ctx.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    audit_event(uow, ctx, "offsite.student", "student_status", row.id, person_id=person_id)
    return row


def view(row: StudentStatus) -> dict[str, object]:
    return {
        "id": row.id,
        "person_id": row.person_id,
        "school_name": row.school_name,
        "school_region": row.school_region,
        "admission_date": row.admission_date.isoformat(),
        "first_year_until": f"{row.admission_date.year}-12-31",
    }


def first_year_school(uow: UnitOfWork, *, person_id: int, place: str, day: date) -> str | None:
    """The school's name when ``day`` is in the person's year of admission (from the admission
    day) and ``place`` is covered by the school's region; else None."""
    rows = uow.session.scalars(
        select(StudentStatus)
        .where(StudentStatus.person_id == person_id, StudentStatus.admission_date <= day)
        .order_by(StudentStatus.admission_date.desc(), StudentStatus.id.desc())
    )
    for row in rows:
        if row.admission_date.year == day.year and _same_place(row.school_region, place):
            return row.school_name
    return None


def _same_place(school_region: str, place: str) -> bool:
    """The school's place covers the treatment place, or both lie in the same city (a school
    recorded by its county, the hospital in the next county of the same city)."""
    return O.covers(school_region, place) or school_region[:4] == place[:4]
