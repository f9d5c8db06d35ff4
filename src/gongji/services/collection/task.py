"""The year's task (参保任务) of a district: who should enroll, per lower unit (issue 16 §1).

``compute`` builds it set-based from the registry: members of the district's units who are
alive, not in employee insurance (310 in force) and not enrolled as residents in another
pooling region. A person whose employee insurance ended with no resident enrollment in force is
in the task as ``gap`` (参保空档期, seed 002 §八2 "杜绝发生参保空档期"). It may be computed again
until the freeze date; after that it changes only person by person, each change recorded with
its reason (``collection_task_change``): staff adjustments, moves between units, and
``sync_leavers`` (people who joined employee insurance or died since). ``collection_unit_stat``
keeps each unit's task size in the same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, literal, select, update

from gongji.adapters.db.models import (
    CollectionMember,
    CollectionTask,
    CollectionTaskChange,
    CollectionTaskYear,
    CollectionUnit,
    CollectionUnitStat,
    Enrollment,
    EnrollmentEvent,
    ResidentStop,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import collection as C
from gongji.domain.errors import Conflict, InvalidRequest, NotFound
from gongji.services.collection import counters
from gongji.services.collection.units import Scope, check_unit_scope, get_unit, scope_of
from gongji.services.registry.context import Ctx, audit_event, get_person, require_reason

EMPLOYEE_BASIC = "310"
RESIDENT_BASIC = "390"
TERMINATED = "terminated"


def _live(insutype: str) -> Any:
    return and_(Enrollment.insutype == insutype, Enrollment.status != TERMINATED)


def _dead(person_id: Any) -> Any:
    by_event = (
        select(EnrollmentEvent.id)
        .join(Enrollment, Enrollment.id == EnrollmentEvent.enrollment_id)
        .where(
            Enrollment.person_id == person_id,
            EnrollmentEvent.to_status == TERMINATED,
            EnrollmentEvent.reason.contains("死亡"),
        )
    )
    by_stop = select(ResidentStop.id).where(
        ResidentStop.person_id == person_id, ResidentStop.reason == "death", ResidentStop.status == "approved"
    )
    return exists(by_event) | exists(by_stop)


def _employee(person_id: Any) -> Any:
    return exists(select(Enrollment.id).where(Enrollment.person_id == person_id, _live(EMPLOYEE_BASIC)))


def _elsewhere(person_id: Any, region_code: str) -> Any:
    home = (region_code, region_code[:4] + "00")
    return exists(
        select(Enrollment.id).where(
            Enrollment.person_id == person_id, _live(RESIDENT_BASIC), Enrollment.region_code.not_in(home)
        )
    )


def year_row(uow: UnitOfWork, region_code: str, benefit_year: int) -> CollectionTaskYear | None:
    return uow.session.get(CollectionTaskYear, (region_code, benefit_year))


def is_frozen(row: CollectionTaskYear | None, today: date) -> bool:
    return row is not None and row.frozen_on is not None and today >= row.frozen_on


def _check_district(uow: UnitOfWork, ctx: Ctx, region_code: str) -> Scope:
    scope = scope_of(uow, ctx.principal)
    if scope.township_id is not None or not scope.region_ok(region_code) or len(region_code) != 6:
        from gongji.domain.errors import OutOfRegion

        raise OutOfRegion(region=region_code)
    return scope


def compute(uow: UnitOfWork, ctx: Ctx, *, region_code: str, benefit_year: int) -> dict[str, int]:
    """(Re)build a district's task for a benefit year from the registry, keeping staff
    adjustments; refused once frozen."""
    _check_district(uow, ctx, region_code)
    row = year_row(uow, region_code, benefit_year)
    today, now = ctx.clock.today(), ctx.clock.now()
    if is_frozen(row, today):
        raise Conflict(
            f"{benefit_year}年度参保任务已于{row.frozen_on}冻结，只能逐人调整",  # type: ignore[union-attr]
            "The task is frozen; adjust it person by person",
            frozen_on=str(row.frozen_on),  # type: ignore[union-attr]
        )
    units = select(CollectionUnit.id).where(CollectionUnit.region_code == region_code)
    t = CollectionTask
    uow.session.execute(
        delete(t).where(
            t.benefit_year == benefit_year,
            t.unit_id.in_(units),
            t.source != "manual",
            func.coalesce(t.left_reason, "") != "manual",
        )
    )
    m = CollectionMember
    live_units = select(CollectionUnit.id).where(
        CollectionUnit.region_code == region_code, CollectionUnit.active.is_(True)
    )
    gap_since = (
        select(func.max(Enrollment.end_date))
        .where(Enrollment.person_id == m.person_id, Enrollment.insutype == EMPLOYEE_BASIC)
        .where(Enrollment.status == TERMINATED)
        .scalar_subquery()
    )
    no_resident = ~exists(select(Enrollment.id).where(Enrollment.person_id == m.person_id, _live(RESIDENT_BASIC)))
    from sqlalchemy import case, null

    is_gap = and_(gap_since.is_not(None), no_resident)
    eligible = select(
        literal(benefit_year),
        m.person_id,
        m.unit_id,
        literal(C.IN),
        case((is_gap, literal("gap")), else_=literal("computed")),
        case((is_gap, gap_since), else_=null()),
        literal(now),
    ).where(
        m.unit_id.in_(live_units),
        ~_employee(m.person_id),
        ~_elsewhere(m.person_id, region_code),
        ~_dead(m.person_id),
        ~exists(select(t.id).where(t.benefit_year == benefit_year, t.person_id == m.person_id)),
    )
    uow.session.execute(
        insert(t).from_select(
            ["benefit_year", "person_id", "unit_id", "status", "source", "gap_since", "updated_at"], eligible
        )
    )
    _recount(uow, region_code, benefit_year)
    if row is None:
        uow.session.add(CollectionTaskYear(region_code=region_code, benefit_year=benefit_year, computed_at=now))
    else:
        row.computed_at = now
    uow.session.flush()
    totals = _totals(uow, region_code, benefit_year)
    audit_event(uow, ctx, "collection.task_compute", "collection_task_year", f"{region_code}:{benefit_year}", **totals)
    return totals


def _recount(uow: UnitOfWork, region_code: str, benefit_year: int) -> None:
    """Rebuild the district's ``collection_unit_stat`` rows for the year (after a set-based change)."""
    units = select(CollectionUnit.id).where(CollectionUnit.region_code == region_code)
    s, t = CollectionUnitStat, CollectionTask
    uow.session.execute(delete(s).where(s.benefit_year == benefit_year, s.unit_id.in_(units)))
    uow.session.execute(
        insert(s).from_select(
            ["unit_id", "benefit_year", "task_count"],
            select(t.unit_id, literal(benefit_year), func.count())
            .where(t.benefit_year == benefit_year, t.status == C.IN, t.unit_id.in_(units))
            .group_by(t.unit_id),
        )
    )


def _totals(uow: UnitOfWork, region_code: str, benefit_year: int) -> dict[str, int]:
    t = CollectionTask
    units = select(CollectionUnit.id).where(CollectionUnit.region_code == region_code)
    rows = uow.session.execute(
        select(t.status, t.source, func.count())
        .where(t.benefit_year == benefit_year, t.unit_id.in_(units))
        .group_by(t.status, t.source)
    ).all()
    out = {"task": 0, "gap": 0, "out": 0}
    for status, source, n in rows:
        if status == C.IN:
            out["task"] += int(n)
            if source == "gap":
                out["gap"] += int(n)
        else:
            out["out"] += int(n)
    return out


def freeze(uow: UnitOfWork, ctx: Ctx, *, region_code: str, benefit_year: int, on: date) -> CollectionTaskYear:
    """Freeze the task at a date (today or later): from then on it changes only by recorded
    person-by-person changes."""
    _check_district(uow, ctx, region_code)
    row = year_row(uow, region_code, benefit_year)
    if row is None:
        raise NotFound("尚未生成该年度参保任务", "The task has not been computed", benefit_year=benefit_year)
    today = ctx.clock.today()
    if is_frozen(row, today):
        raise Conflict("参保任务已冻结", "The task is already frozen", frozen_on=str(row.frozen_on))
    if on < today:
        raise InvalidRequest("冻结日期不能早于今天", "The freeze date cannot be in the past", field="on")
    row.frozen_on, row.frozen_by_user_id = on, ctx.principal.user_id
    audit_event(uow, ctx, "collection.task_freeze", "collection_task_year", f"{region_code}:{benefit_year}", on=str(on))
    return row


def _record(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    benefit_year: int,
    person_id: int,
    action: str,
    from_unit: int | None,
    to_unit: int | None,
    reason: str,
    region_code: str,
) -> None:
    uow.session.add(
        CollectionTaskChange(
            benefit_year=benefit_year,
            person_id=person_id,
            action=action,
            from_unit_id=from_unit,
            to_unit_id=to_unit,
            reason=reason,
            after_freeze=is_frozen(year_row(uow, region_code, benefit_year), ctx.clock.today()),
            user_id=ctx.principal.user_id,
            at=ctx.clock.now(),
        )
    )


def adjust(uow: UnitOfWork, ctx: Ctx, *, person_id: int, benefit_year: int, action: str, reason: str) -> CollectionTask:
    """Add a person to their unit's task (调增) or take them out (调减), with a reason."""
    reason = require_reason(reason)
    if action not in ("add", "remove"):
        raise InvalidRequest("调整方式应为调增或调减", "action: add or remove", field="action")
    get_person(uow, person_id)
    scope = scope_of(uow, ctx.principal)
    t = CollectionTask
    row = uow.session.scalar(
        select(t).where(t.benefit_year == benefit_year, t.person_id == person_id).with_for_update()
    )
    member = uow.session.get(CollectionMember, person_id)
    unit_id = row.unit_id if row is not None else member.unit_id if member is not None else None
    if unit_id is None:
        raise InvalidRequest("该人员未归属征缴单位，请先归属", "Assign the person to a unit first", person_id=person_id)
    unit = get_unit(uow, unit_id)
    check_unit_scope(uow, scope, unit)
    if year_row(uow, unit.region_code, benefit_year) is None:
        raise NotFound("尚未生成该年度参保任务", "The task has not been computed", benefit_year=benefit_year)
    now = ctx.clock.now()
    if action == "add":
        if row is not None and row.status == C.IN:
            raise Conflict("该人员已在参保任务中", "Already in the task", person_id=person_id)
        if row is None:
            row = CollectionTask(
                benefit_year=benefit_year, person_id=person_id, unit_id=unit_id, status=C.IN, source="manual"
            )
            uow.session.add(row)
        row.status, row.source, row.left_reason, row.note, row.updated_at = C.IN, "manual", None, reason, now
        counters.add_task(uow, unit_id=unit_id, benefit_year=benefit_year, delta=1)
    else:
        if row is None or row.status != C.IN:
            raise Conflict("该人员不在参保任务中", "Not in the task", person_id=person_id)
        row.status, row.left_reason, row.note, row.updated_at = C.OUT, "manual", reason, now
        counters.add_task(uow, unit_id=unit_id, benefit_year=benefit_year, delta=-1)
    _record(
        uow,
        ctx,
        benefit_year=benefit_year,
        person_id=person_id,
        action=action,
        from_unit=unit_id if action == "remove" else None,
        to_unit=unit_id if action == "add" else None,
        reason=reason,
        region_code=unit.region_code,
    )
    uow.session.flush()
    audit_event(uow, ctx, f"collection.task_{action}", "person", person_id, benefit_year=benefit_year)
    return row


def follow_move(uow: UnitOfWork, ctx: Ctx, *, person_id: int, from_unit: int, to_unit: int, reason: str) -> None:
    """A member moved: their task rows in force go with them within the district; to another
    district they leave the task (迁出) — the new district's next compute takes them in."""
    old, new = get_unit(uow, from_unit), get_unit(uow, to_unit)
    t = CollectionTask
    rows = uow.session.scalars(
        select(t).where(t.person_id == person_id, t.status == C.IN, t.unit_id == from_unit).with_for_update()
    ).all()
    for row in rows:
        counters.add_task(uow, unit_id=from_unit, benefit_year=row.benefit_year, delta=-1)
        if new.region_code == old.region_code:
            row.unit_id = to_unit
            counters.add_task(uow, unit_id=to_unit, benefit_year=row.benefit_year, delta=1)
            action = "move"
        else:
            row.status, row.left_reason = C.OUT, "moved"
            action = "leave"
        row.updated_at = ctx.clock.now()
        _record(
            uow,
            ctx,
            benefit_year=row.benefit_year,
            person_id=person_id,
            action=action,
            from_unit=from_unit,
            to_unit=to_unit,
            reason=reason,
            region_code=old.region_code,
        )


def sync_leavers(uow: UnitOfWork, ctx: Ctx, *, region_code: str, benefit_year: int) -> dict[str, int]:
    """Take out of the task, with a record each, those who since joined employee insurance
    (参加职工医保) or died; set-based over the district."""
    _check_district(uow, ctx, region_code)
    t = CollectionTask
    units = select(CollectionUnit.id).where(CollectionUnit.region_code == region_code)
    frozen = is_frozen(year_row(uow, region_code, benefit_year), ctx.clock.today())
    result: dict[str, int] = {}
    for left, cond in (("employee", _employee(t.person_id)), ("dead", _dead(t.person_id))):
        which = and_(t.benefit_year == benefit_year, t.status == C.IN, t.unit_id.in_(units), cond)
        uow.session.execute(
            insert(CollectionTaskChange).from_select(
                ["benefit_year", "person_id", "action", "from_unit_id", "reason", "after_freeze", "user_id", "at"],
                select(
                    t.benefit_year,
                    t.person_id,
                    literal("leave"),
                    t.unit_id,
                    literal(C.LEFT_ZH[left]),
                    literal(frozen),
                    literal(ctx.principal.user_id),
                    literal(ctx.clock.now()),
                ).where(which),
            )
        )
        n = uow.session.execute(  # type: ignore[attr-defined]
            update(t)
            .where(which)
            .values(status=C.OUT, left_reason=left, updated_at=ctx.clock.now())
            .execution_options(synchronize_session=False)
        ).rowcount
        result[left] = int(n or 0)
    _recount(uow, region_code, benefit_year)
    audit_event(uow, ctx, "collection.task_sync", "collection_task_year", f"{region_code}:{benefit_year}", **result)
    return result


def changes(uow: UnitOfWork, scope: Scope, *, benefit_year: int, limit: int = 200) -> list[CollectionTaskChange]:
    """The latest recorded changes to the task within the viewer's scope."""
    from gongji.services.collection.units import lower_units_query

    ids = lower_units_query(scope)
    c = CollectionTaskChange
    q = (
        select(c)
        .where(c.benefit_year == benefit_year)
        .where(c.from_unit_id.in_(ids) | c.to_unit_id.in_(ids))
        .order_by(c.id.desc())
        .limit(limit)
    )
    return list(uow.session.scalars(q))


def check_person_in_scope(uow: UnitOfWork, ctx: Ctx, person_id: int) -> None:
    member = uow.session.get(CollectionMember, person_id)
    if member is None:
        raise NotFound("该人员未归属征缴单位", "Person has no collection unit", person_id=person_id)
    check_unit_scope(uow, scope_of(uow, ctx.principal), get_unit(uow, member.unit_id))
