"""Lookups shared by the settlement use cases: the catalogue, persons, visits, enrollments,
and the interface's formats (yuan amounts, Beijing time without a zone)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from functools import cache
from importlib import resources

from sqlalchemy import select

from gongji.adapters.db.models import (
    Enrollment,
    Institution,
    Person,
    Visit,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import ledger as L
from gongji.domain import settlement as S
from gongji.domain.errors import (
    GongjiError,
    NotInsured,
    PersonUnknown,
    VisitUnknown,
    WrongInstitution,
)
from gongji.domain.registry import EnrollmentStatus, scope_prefix
from gongji.services import ledger
from gongji.services.registry.persons import Ctx

# --- catalogue ---------------------------------------------------------------------------------


@cache
def catalogue() -> dict[str, S.CatalogueItem]:
    """The demo catalogue (data/catalogue.csv): 甲/乙/丙 levels, self-pay-first shares, caps."""
    text = resources.files("gongji").joinpath("data/catalogue.csv").read_text(encoding="utf-8")
    items: dict[str, S.CatalogueItem] = {}
    for row in csv.DictReader(io.StringIO(text)):
        items[row["code"]] = S.CatalogueItem(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            level=row["chrgitm_lv"],
            selfpay_prop_permille=int(row["selfpay_prop_permille"]),
            price_cap_fen=int(row["price_cap_fen"]) if row["price_cap_fen"] else None,
            prescription=row["prescription"] == "true",
        )
    return items


# --- small lookups -------------------------------------------------------------------------------


def psn_no(person_id: int) -> str:
    return str(person_id)


def int_id(value: object, error: type[GongjiError], field: str) -> int:
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 18:  # ASCII only: not "١٢" or "²"
        raise error(field=field)
    return int(text)


def institution_of(uow: UnitOfWork, code: str) -> Institution:
    found = uow.session.scalar(select(Institution).where(Institution.fixmedins_code == code))
    if found is None:
        raise WrongInstitution("定点医药机构不存在", "No such designated institution", fixmedins_code=code)
    return found


def person_of(uow: UnitOfWork, value: object) -> Person:
    person = uow.session.get(Person, int_id(value, PersonUnknown, "psn_no"))
    if person is None:
        raise PersonUnknown(field="psn_no")
    return person


def enrollment_of(uow: UnitOfWork, person_id: int, insutype: str) -> Enrollment:
    found = uow.session.scalar(
        select(Enrollment).where(
            Enrollment.person_id == person_id,
            Enrollment.insutype == insutype,
            Enrollment.status != EnrollmentStatus.TERMINATED.value,
        )
    )
    if found is None or found.status != EnrollmentStatus.NORMAL.value:
        raise NotInsured(insutype=insutype, status=found.status if found else None)
    return found


def age_on(birth: date | None, today: date) -> float | None:
    if birth is None:
        return None
    days = (today - birth).days
    return round(days / 365.25, 1)


def out_type(treatment_region: str, insured_region: str) -> str:
    """异地标志: 0 local (same pooling region), 1 in-province off-site, 2 cross-province."""
    if insured_region.startswith(scope_prefix(treatment_region)):
        return "0"
    return "1" if insured_region[:2] == treatment_region[:2] else "2"


def own_balance(uow: UnitOfWork, person_id: int) -> int:
    codes = [L.personal_current(person_id), L.personal_past(person_id)]
    return sum(ledger.balances_of(uow, codes).values())


def visit_of(uow: UnitOfWork, institution: Institution, person: Person, mdtrt_id: object) -> Visit:
    visit = uow.session.get(Visit, int_id(mdtrt_id, VisitUnknown, "mdtrt_id"))
    if visit is None or visit.person_id != person.id:
        raise VisitUnknown(field="mdtrt_id")
    if visit.fixmedins_code != institution.fixmedins_code:
        raise WrongInstitution(field="mdtrt_id")
    return visit


def now_local(ctx: Ctx) -> datetime:
    """The interface speaks Beijing time without a zone (yyyy-MM-dd HH:mm:ss)."""
    return ctx.clock.now().replace(tzinfo=None, microsecond=0)


def fmt_time(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None


def money(fen: int | None) -> float | int | None:
    if fen is None:
        return None
    return fen // 100 if fen % 100 == 0 else fen / 100
