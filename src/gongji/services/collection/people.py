"""The people behind a dashboard number (issue 16 §5): the task, the paid, the unpaid and the
gap (参保空档期) of an area or unit on a day, within the viewer's scope, masked.

Only this view reads person rows, and only for one area at a time, one page at a time; the
numbers it explains come from the aggregates (``progress``). The counts here are the same
numbers by construction: paid = members of the units whose 390 premium for the year is paid by
the end of the day (``collection_paid_day`` counts the same rows on the same days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select

from gongji.adapters.db.models import CollectionMember, CollectionTask, CollectionUnit, Person, ResidentPremium
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import collection as C
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import InvalidRequest
from gongji.domain.masking import mask_id_number, mask_name, mask_phone
from gongji.services.collection import progress
from gongji.services.collection.units import Scope, check_unit_scope, get_unit, lower_units_query

WHAT_ZH = {"task": "参保任务", "paid": "已缴费", "unpaid": "未缴费", "gap": "参保空档期"}
PAGE = 200


@dataclass(frozen=True)
class Person_:
    person_id: int
    name: str
    cert_no: str
    phone: str
    unit: str
    source: str
    paid_on: date | None


def _area_units(uow: UnitOfWork, scope: Scope, area: str) -> Any:
    """Lower unit ids of ``area`` (``u<id>`` a unit, ``t<id>`` a township, a region prefix) in scope."""
    q = lower_units_query(scope)
    if area.startswith("u"):
        if not area[1:].isdigit():
            raise InvalidRequest("区域参数有误", "Bad area", field="area")
        unit = get_unit(uow, int(area[1:]))
        check_unit_scope(uow, scope, unit)
        return q.where(CollectionUnit.id == unit.id)
    progress._check_area(uow, scope, area)
    if area.startswith("t"):
        return q.where(CollectionUnit.parent_id == int(area[1:]))
    return q.where(CollectionUnit.region_code.startswith(area)) if area else q


def _paid_by(benefit_year: int, day: date) -> Any:
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    return and_(
        ResidentPremium.benefit_year == benefit_year,
        ResidentPremium.insutype == "390",
        ResidentPremium.paid_at < end,
        # in force at the end of the day: paid, or refunded only later
        or_(
            ResidentPremium.status == "paid",
            and_(ResidentPremium.status == "refunded", ResidentPremium.refunded_at >= end),
        ),
    )


def people(
    uow: UnitOfWork, scope: Scope, *, area: str, what: str, benefit_year: int, day: date, offset: int = 0
) -> tuple[int, list[Person_]]:
    """(how many, one page of them) for ``what`` in ``area`` on ``day``, masked."""
    if what not in WHAT_ZH:
        raise InvalidRequest("查询类别有误", "what: task, paid, unpaid or gap", field="what")
    ids = _area_units(uow, scope, area)
    t, m, rp = CollectionTask, CollectionMember, ResidentPremium
    paid_join = and_(rp.person_id == Person.id, _paid_by(benefit_year, day))
    base: Any
    if what == "paid":
        base = (
            select(Person, CollectionUnit.name, m.basis, rp.paid_at)
            .join(m, m.person_id == Person.id)
            .join(CollectionUnit, CollectionUnit.id == m.unit_id)
            .join(rp, paid_join)
            .where(m.unit_id.in_(ids))
        )
    else:
        base = (
            select(Person, CollectionUnit.name, t.source, t.gap_since)
            .join(t, t.person_id == Person.id)
            .join(CollectionUnit, CollectionUnit.id == t.unit_id)
            .where(t.benefit_year == benefit_year, t.status == C.IN, t.unit_id.in_(ids))
        )
        if what == "unpaid":
            base = base.where(~exists(select(rp.id).where(paid_join)))
        elif what == "gap":
            base = base.where(t.source == "gap")
    total = uow.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = uow.session.execute(base.order_by(Person.id).offset(offset).limit(PAGE)).all()
    out = []
    for person, unit_name, extra, when in rows:
        paid_on = None
        if what == "paid" and when is not None:
            from gongji.domain.clock import local_date

            paid_on = local_date(when)
        out.append(
            Person_(
                person_id=person.id,
                name=mask_name(person.name),
                cert_no=mask_id_number(person.cert_no),
                phone=mask_phone(person.phone),
                unit=unit_name,
                source=C.BASIS_ZH.get(extra, "") if what == "paid" else C.SOURCE_ZH.get(extra, extra),
                paid_on=paid_on,
            )
        )
    return int(total), out
