"""Collection units (乡镇/街道/院校 → 行政村/社区/学校, seed 002 §八1), who belongs to which, and
which units a staff user sees.

A staff user with a ``collection_staff_scope`` row is a township's 医保专干: they see and act on
that township's lower units only (their ``user_region`` still names the district). Other staff
see the units of the districts in their regions. Moving a person between units moves their paid
premiums in ``collection_paid_day`` and their task row with them (``task.move``), in the same
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, delete, func, select

from gongji.adapters.db.models import (
    AppUser,
    CollectionMember,
    CollectionMemberMove,
    CollectionStaffScope,
    CollectionUnit,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import collection as C
from gongji.domain.errors import Forbidden, InvalidRequest, NotFound, OutOfRegion
from gongji.domain.registry import region_in_scope
from gongji.services.auth import Principal, Role
from gongji.services.registry.context import Ctx, audit_event, get_person, require_reason


@dataclass(frozen=True)
class Scope:
    """What a viewer may see: a township (``township_id``) or the districts under ``regions``."""

    regions: tuple[str, ...]
    township_id: int | None = None

    def region_ok(self, region_code: str) -> bool:
        return region_in_scope(region_code, list(self.regions))


def scope_of(uow: UnitOfWork, principal: Principal) -> Scope:
    if principal.role is not Role.STAFF:
        raise Forbidden(required=["staff"])
    township = uow.session.scalar(
        select(CollectionStaffScope.unit_id).where(CollectionStaffScope.user_id == principal.user_id)
    )
    return Scope(principal.regions, township)


def get_unit(uow: UnitOfWork, unit_id: int) -> CollectionUnit:
    unit = uow.session.get(CollectionUnit, unit_id)
    if unit is None:
        raise NotFound("征缴单位不存在", "Collection unit not found", unit_id=unit_id)
    return unit


def check_unit_scope(uow: UnitOfWork, scope: Scope, unit: CollectionUnit) -> None:
    """The viewer may act on this unit (a township clerk: their township and its units)."""
    if not scope.region_ok(unit.region_code):
        raise OutOfRegion(region=unit.region_code)
    if scope.township_id is not None and scope.township_id not in (unit.id, unit.parent_id):
        raise OutOfRegion(unit_id=unit.id)


def lower_units_query(scope: Scope) -> Select[Any]:
    """Ids of the lower units in the viewer's scope (a subquery for set-based reads)."""
    q = select(CollectionUnit.id).where(CollectionUnit.parent_id.is_not(None))
    if scope.township_id is not None:
        return q.where(CollectionUnit.parent_id == scope.township_id)
    return q.where(_regions_clause(scope.regions))


def _regions_clause(regions: tuple[str, ...]) -> Any:
    from sqlalchemy import false, or_

    from gongji.domain.registry import scope_prefix

    clauses = [CollectionUnit.region_code.startswith(scope_prefix(r)) for r in regions]
    return or_(*clauses) if clauses else false()


# --- maintaining units -----------------------------------------------------------------------


def _next_code(uow: UnitOfWork, prefix: str, width: int) -> str:
    top = uow.session.scalar(
        select(func.max(CollectionUnit.code)).where(
            CollectionUnit.code.startswith(prefix), func.length(CollectionUnit.code) == width
        )
    )
    n = int(top[len(prefix) :]) + 1 if top else 1
    if n > 999:
        raise InvalidRequest("单位代码已用尽", "No unit codes left under this parent", prefix=prefix)
    return f"{prefix}{n:03d}"


def create_unit(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    name: str,
    kind: str,
    region_code: str | None = None,
    parent_id: int | None = None,
    code: str | None = None,
) -> CollectionUnit:
    """Add a township-level unit under a district, or a village/community/school under one."""
    scope = scope_of(uow, ctx.principal)
    parent = get_unit(uow, parent_id) if parent_id is not None else None
    if parent is not None:
        check_unit_scope(uow, scope, parent)
        if parent.parent_id is not None:
            raise InvalidRequest(
                "只能在乡镇级单位下设村级单位", "Lower units go under an upper unit", field="parent_id"
            )
        C.check_lower_kind(parent.kind, kind)
        region = parent.region_code
    else:
        if scope.township_id is not None:
            raise OutOfRegion(unit_id=None)
        region = (region_code or "").strip()
        table = region_table()
        if not table.is_current(region) or (table.get(region) and table.get(region).level != "county"):  # type: ignore[union-attr]
            raise InvalidRequest("请选择区县", "A current district (county) code is required", field="region_code")
        if not scope.region_ok(region):
            raise OutOfRegion(region=region)
    prefix = parent.code if parent is not None else region
    code = code or _next_code(uow, prefix, len(prefix) + 3)
    C.check_unit(kind=kind, code=code, name=name, region_code=region, parent_code=parent.code if parent else None)
    if uow.session.scalar(select(CollectionUnit.id).where(CollectionUnit.code == code)):
        from gongji.domain.errors import DuplicateRecord

        raise DuplicateRecord("单位代码已存在", "Unit code already exists", code=code)
    unit = CollectionUnit(
        code=code,
        name=name.strip(),
        kind=kind,
        parent_id=parent.id if parent else None,
        region_code=region,
        active=True,
        created_at=ctx.clock.now(),
    )
    uow.session.add(unit)
    uow.session.flush()
    audit_event(uow, ctx, "collection.unit_create", "collection_unit", unit.id, code=code, kind=kind)
    return unit


def rename_unit(uow: UnitOfWork, ctx: Ctx, unit_id: int, *, name: str, active: bool = True) -> CollectionUnit:
    unit = get_unit(uow, unit_id)
    check_unit_scope(uow, scope_of(uow, ctx.principal), unit)
    C.check_unit(
        kind=unit.kind,
        code=unit.code,
        name=name,
        region_code=unit.region_code,
        parent_code=unit.code[:9] if unit.parent_id else None,
    )
    if not active and uow.session.scalar(select(CollectionMember.person_id).where(CollectionMember.unit_id == unit.id)):
        raise InvalidRequest(
            "单位下仍有人员，请先迁移", "Move the unit's members elsewhere before closing it", unit_id=unit.id
        )
    unit.name, unit.active = name.strip(), active
    audit_event(uow, ctx, "collection.unit_update", "collection_unit", unit.id, active=active)
    return unit


def units_under(uow: UnitOfWork, scope: Scope, *, region_code: str | None = None) -> list[CollectionUnit]:
    """Every unit in scope (upper and lower), ordered by code."""
    q = select(CollectionUnit).order_by(CollectionUnit.code)
    if scope.township_id is not None:
        q = q.where((CollectionUnit.id == scope.township_id) | (CollectionUnit.parent_id == scope.township_id))
    else:
        q = q.where(_regions_clause(scope.regions))
    if region_code:
        q = q.where(CollectionUnit.region_code.startswith(region_code))
    return list(uow.session.scalars(q))


# --- who belongs where -----------------------------------------------------------------------


def assign(uow: UnitOfWork, ctx: Ctx, *, person_id: int, unit_id: int, basis: str, reason: str) -> CollectionMember:
    """Put a person in a lower unit, or move them (with a record). A move carries the person's
    paid premiums and their task row to the new unit (``task.follow_move``)."""
    from gongji.services.collection import counters, task

    reason = require_reason(reason)
    if basis not in C.BASIS_ZH:
        raise InvalidRequest("归属依据应为户籍、居住地或学籍", "basis: household, residence or school", field="basis")
    get_person(uow, person_id)
    scope = scope_of(uow, ctx.principal)
    unit = get_unit(uow, unit_id)
    check_unit_scope(uow, scope, unit)
    if unit.parent_id is None or not unit.active:
        raise InvalidRequest(
            "请选择在用的村、社区或学校", "Choose an active village, community or school", field="unit_id"
        )
    if (basis == "school") != (unit.kind == "school"):
        raise InvalidRequest(
            "学生按学籍归属学校，其他人员按户籍或居住地", "Students belong to schools by 学籍", field="basis"
        )
    member = uow.session.get(CollectionMember, person_id, with_for_update=True)
    old = member.unit_id if member is not None else None
    if old is not None:
        # moving out of a unit is the old unit's business too (a clerk cannot take people from elsewhere)
        check_unit_scope(uow, scope, get_unit(uow, old))
    if old == unit.id:
        if member is not None:
            member.basis = basis
        return member  # type: ignore[return-value]
    today = ctx.clock.today()
    if member is None:
        member = CollectionMember(person_id=person_id, unit_id=unit.id, basis=basis, since=today)
        uow.session.add(member)
    else:
        member.unit_id, member.basis, member.since = unit.id, basis, today
    uow.session.add(
        CollectionMemberMove(
            person_id=person_id,
            from_unit_id=old,
            to_unit_id=unit.id,
            reason=reason,
            user_id=ctx.principal.user_id,
            at=ctx.clock.now(),
        )
    )
    uow.session.flush()
    if old is not None:
        counters.move_paid(uow, person_id=person_id, from_unit=old, to_unit=unit.id)
        task.follow_move(uow, ctx, person_id=person_id, from_unit=old, to_unit=unit.id, reason=reason)
    audit_event(uow, ctx, "collection.assign", "person", person_id, from_unit=old, to_unit=unit.id, basis=basis)
    return member


def unit_of(uow: UnitOfWork, person_id: int) -> int | None:
    return uow.session.scalar(select(CollectionMember.unit_id).where(CollectionMember.person_id == person_id))


# --- township clerks -------------------------------------------------------------------------


def set_staff_township(uow: UnitOfWork, ctx: Ctx, *, user_id: int, township_id: int | None) -> None:
    """Limit a staff user to one township-level unit (or lift the limit)."""
    scope = scope_of(uow, ctx.principal)
    if scope.township_id is not None:
        raise Forbidden()
    user = uow.session.get(AppUser, user_id)
    if user is None or user.role != Role.STAFF.value:
        raise NotFound("经办人员不存在", "Staff user not found", user_id=user_id)
    uow.session.execute(delete(CollectionStaffScope).where(CollectionStaffScope.user_id == user_id))
    if township_id is not None:
        township = get_unit(uow, township_id)
        check_unit_scope(uow, scope, township)
        if township.parent_id is not None:
            raise InvalidRequest("医保专干应归属乡镇级单位", "A clerk is scoped to an upper unit", field="township_id")
        uow.session.add(CollectionStaffScope(user_id=user_id, unit_id=township_id))
    audit_event(uow, ctx, "collection.staff_scope", "user", user_id, township_id=township_id)


def member_since(uow: UnitOfWork, person_id: int) -> date | None:
    return uow.session.scalar(select(CollectionMember.since).where(CollectionMember.person_id == person_id))


def set_staff_township_row(uow: UnitOfWork, *, user_id: int, township_id: int) -> None:
    """The scope row itself (the demo and the CLI, which act as the system)."""
    uow.session.execute(delete(CollectionStaffScope).where(CollectionStaffScope.user_id == user_id))
    uow.session.add(CollectionStaffScope(user_id=user_id, unit_id=township_id))
