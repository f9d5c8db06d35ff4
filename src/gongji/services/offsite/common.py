"""What registrations and recognitions share: who may act for whom and through which channel,
the person's insurance they are made from, the destination, the staff's region scope.

Channels (seed 001: 一网受理 online, at most one visit): the citizen for themself online, a
citizen for a relative bound to them in family mutual aid (either side of the binding), staff at
the window for the person or for an agent (代办人) who came instead, and — for a recognition —
the designated institution (主动服务).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from gongji.adapters.db.models import Enrollment, FamilyBinding, Person
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import offsite as O
from gongji.domain.errors import (
    Forbidden,
    InvalidRequest,
    OffsiteDestinationInvalid,
    OffsiteKindNotEligible,
    OffsiteNotBound,
    OffsiteNotInsured,
)
from gongji.domain.registry import EMPLOYEE_BASIC, RESIDENT_BASIC, RETIRED, EnrollmentStatus, scope_prefix
from gongji.services.auth import Role
from gongji.services.registry.context import Ctx, get_person, person_regions


@dataclass(frozen=True)
class Acting:
    """How an application came in: the channel, and the relative or agent who applied."""

    channel: str
    applicant_person_id: int | None = None
    agent_name: str | None = None
    agent_relation: str | None = None


def acting_for(uow: UnitOfWork, ctx: Ctx, person_id: int, *, agent_name: str = "", agent_relation: str = "") -> Acting:
    """The channel of an application for ``person_id``, or a refusal: a citizen for themself or
    for a bound relative (E_OFFSITE_NOT_BOUND otherwise), staff for a person in their regions."""
    get_person(uow, person_id)
    p = ctx.principal
    if p.role is Role.CITIZEN:
        if p.person_id == person_id:
            return Acting(O.ONLINE_SELF)
        if p.person_id is None or not bound(uow, p.person_id, person_id):
            raise OffsiteNotBound(person_id=person_id)
        return Acting(O.ONLINE_RELATIVE, applicant_person_id=p.person_id)
    if p.role is Role.STAFF:
        p.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
        name, relation = agent_name.strip(), agent_relation.strip()
        if len(name) > 50 or len(relation) > 24:
            raise InvalidRequest("代办人姓名或关系过长", "Agent name or relation too long", field="agent_name")
        if name:
            if not relation:
                raise InvalidRequest(
                    "请填写代办人与申请人的关系", "The agent's relation is required", field="agent_relation"
                )
            return Acting(O.WINDOW_AGENT, agent_name=name, agent_relation=relation)
        return Acting(O.WINDOW)
    raise Forbidden()


def bound(uow: UnitOfWork, a: int, b: int) -> bool:
    """Are ``a`` and ``b`` bound to each other in family mutual aid now (either side)?"""
    pair = or_(
        and_(FamilyBinding.authorizer_id == a, FamilyBinding.relative_id == b),
        and_(FamilyBinding.authorizer_id == b, FamilyBinding.relative_id == a),
    )
    return (
        uow.session.scalar(select(FamilyBinding.id).where(pair, FamilyBinding.status == "active").limit(1)) is not None
    )


def bound_relatives(uow: UnitOfWork, person_id: int) -> list[Person]:
    """The persons bound to ``person_id`` now, for the citizen's "for whom" choice."""
    ids = {
        other
        for a, r in uow.session.execute(
            select(FamilyBinding.authorizer_id, FamilyBinding.relative_id).where(
                or_(FamilyBinding.authorizer_id == person_id, FamilyBinding.relative_id == person_id),
                FamilyBinding.status == "active",
            )
        )
        for other in (a, r)
        if other != person_id
    }
    return list(uow.session.scalars(select(Person).where(Person.id.in_(ids)).order_by(Person.id))) if ids else []


def insurance_of(uow: UnitOfWork, person_id: int) -> Enrollment:
    """The normal basic enrollment the person is insured by (employee first, then resident)."""
    rows = list(
        uow.session.scalars(
            select(Enrollment).where(
                Enrollment.person_id == person_id,
                Enrollment.insutype.in_((EMPLOYEE_BASIC, RESIDENT_BASIC)),
                Enrollment.status == EnrollmentStatus.NORMAL.value,
            )
        )
    )
    if not rows:
        raise OffsiteNotInsured(person_id=person_id)
    return sorted(rows, key=lambda e: e.insutype != EMPLOYEE_BASIC)[0]


def check_kind_fits(kind: str, enrollment: Enrollment) -> None:
    """异地安置退休 is for retirees (310 退休), 常驻异地工作 for working employees (310 在职)."""
    employee = enrollment.insutype == EMPLOYEE_BASIC
    if kind == "retiree_resettled" and not (employee and enrollment.psn_type == RETIRED):
        raise OffsiteKindNotEligible("异地安置退休备案仅限职工医保退休人员", "For retired employees only", field="kind")
    if kind == "posted_worker" and not (employee and enrollment.psn_type != RETIRED):
        raise OffsiteKindNotEligible("常驻异地工作备案仅限职工医保在职人员", "For working employees only", field="kind")


def pooling_region(insured_region: str) -> str:
    """The pooling region (统筹区) of an enrollment: its city (市级统筹, the reading used here)."""
    return insured_region[:4] + "00"


def check_destination(code: str, insured_region: str) -> str:
    """A current province, city or county code outside the insured pooling region."""
    region = region_table().get(code.strip())
    if region is None or not region.current:
        raise OffsiteDestinationInvalid("就医地区划代码不存在", "Unknown destination code", field="destination_code")
    if not O.outside(region.code, pooling_region(insured_region)):
        raise OffsiteDestinationInvalid(
            "就医地在参保统筹区内，无需办理异地就医备案",
            "The destination is inside the insured pooling region",
            field="destination_code",
        )
    return region.code


def destination_name(code: str) -> str:
    return region_table().full_name(code)


def scope_filter(ctx: Ctx, column: Any, region: str = "") -> ColumnElement[bool]:
    """Rows in the staff member's regions, narrowed to ``region`` (which must be in them)."""
    ctx.principal.require(Role.STAFF)
    if region:
        ctx.principal.require_region(region)
        return column.startswith(scope_prefix(region))  # type: ignore[no-any-return]
    return or_(*[column.startswith(scope_prefix(r)) for r in ctx.principal.regions])


def require_view(uow: UnitOfWork, ctx: Ctx, person_id: int, insured_region: str) -> None:
    """Who may see a registration or recognition: the person, a bound relative, staff of the
    region it was made in, an auditor."""
    p = ctx.principal
    if p.role is Role.CITIZEN and p.person_id is not None and p.person_id != person_id:
        if not bound(uow, p.person_id, person_id):
            raise OffsiteNotBound(person_id=person_id)
        return
    if p.role is Role.STAFF:
        p.require_region(insured_region)
        return
    p.require_person_access(person_id=person_id, regions=[insured_region])


def require_person_view(uow: UnitOfWork, ctx: Ctx, person_id: int) -> None:
    """Who may see a person's registrations and recognitions: the person, a bound relative,
    staff of a region the person is insured in, an auditor."""
    get_person(uow, person_id)
    p = ctx.principal
    if p.role is Role.CITIZEN and p.person_id != person_id:
        if p.person_id is None or not bound(uow, p.person_id, person_id):
            raise OffsiteNotBound(person_id=person_id)
        return
    p.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
