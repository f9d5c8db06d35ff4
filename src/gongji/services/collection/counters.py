"""The aggregates the dashboard reads: ``collection_unit_stat`` (task size per lower unit and
benefit year, kept by ``task``) and ``collection_paid_day`` (net premiums paid per lower unit,
benefit year and day, kept by the database triggers of migration 0024 in the payment's own
transaction). Nothing here scans ``premium_payment`` or ``collection_task``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.adapters.db.models import (
    CollectionPaidDay,
    CollectionRegionDay,
    CollectionUnit,
    CollectionUnitStat,
    ResidentPremium,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.clock import local_date

RESIDENT_BASIC = "390"


def _insert(uow: UnitOfWork):  # type: ignore[no-untyped-def]
    return pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert


def add_paid(uow: UnitOfWork, *, unit_id: int, benefit_year: int, day: object, delta: int) -> None:
    stmt = _insert(uow)(CollectionPaidDay).values(unit_id=unit_id, benefit_year=benefit_year, day=day, paid=delta)
    uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["unit_id", "benefit_year", "day"], set_={"paid": CollectionPaidDay.paid + delta}
        )
    )


def add_region_paid(uow: UnitOfWork, *, region_code: str, benefit_year: int, day: object, delta: int) -> None:
    stmt = _insert(uow)(CollectionRegionDay).values(
        region_code=region_code, benefit_year=benefit_year, day=day, paid=delta
    )
    uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["region_code", "benefit_year", "day"], set_={"paid": CollectionRegionDay.paid + delta}
        )
    )


def add_task(uow: UnitOfWork, *, unit_id: int, benefit_year: int, delta: int) -> None:
    stmt = _insert(uow)(CollectionUnitStat).values(unit_id=unit_id, benefit_year=benefit_year, task_count=delta)
    uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["unit_id", "benefit_year"], set_={"task_count": CollectionUnitStat.task_count + delta}
        )
    )


def move_paid(uow: UnitOfWork, *, person_id: int, from_unit: int, to_unit: int) -> None:
    """A person moved between units: their premiums in force count for the new unit (on the
    day they were paid), so both units' paid ÷ task stay true."""
    rows = uow.session.execute(
        select(ResidentPremium.benefit_year, ResidentPremium.paid_at).where(
            ResidentPremium.person_id == person_id,
            ResidentPremium.insutype == RESIDENT_BASIC,
            ResidentPremium.status == "paid",
            ResidentPremium.paid_at.is_not(None),
        )
    ).all()
    old = uow.session.get(CollectionUnit, from_unit)
    new = uow.session.get(CollectionUnit, to_unit)
    assert old is not None and new is not None
    for year, paid_at in rows:
        assert paid_at is not None
        day = local_date(paid_at)
        add_paid(uow, unit_id=from_unit, benefit_year=year, day=day, delta=-1)
        add_paid(uow, unit_id=to_unit, benefit_year=year, day=day, delta=1)
        if old.region_code != new.region_code:
            add_region_paid(uow, region_code=old.region_code, benefit_year=year, day=day, delta=-1)
            add_region_paid(uow, region_code=new.region_code, benefit_year=year, day=day, delta=1)
