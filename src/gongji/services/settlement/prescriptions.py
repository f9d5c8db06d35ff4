"""External prescriptions (外配处方, seed 004): issued by a hospital's 2204 line, checked and
dispensed at a pharmacy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from gongji.adapters.db.models import (
    Institution,
    Person,
    Prescription,
    Visit,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.errors import (
    FeeDetailInvalid,
    PrescriptionRequired,
)
from gongji.domain.registry import scope_prefix
from gongji.policy.schema import Profile


def check_prescription(
    uow: UnitOfWork, profile: Profile, institution: Institution, person: Person, rxno: str | None, now: datetime
) -> Prescription:
    """Seed 004: a pharmacy dispenses prescription drugs only on a valid external prescription of
    a designated institution in its own pooling region, for this person."""
    if not rxno:
        raise PrescriptionRequired(reason="missing")
    candidates = list(
        uow.session.scalars(
            select(Prescription).where(Prescription.rxno == str(rxno), Prescription.person_id == person.id)
        )
    )
    if not candidates:
        raise PrescriptionRequired("外配处方不存在或不属于该参保人", "No such prescription for this person", rxno=rxno)
    local = [
        p
        for p in candidates
        if not profile.settlement.prescription_same_pooling_region
        or p.issuer_region.startswith(scope_prefix(institution.region_code))
    ]
    if not local:
        raise PrescriptionRequired(
            "暂不接受本统筹地区以外医疗机构的外配处方",
            "Prescriptions from outside this pooling region are not accepted",
        )
    valid = [p for p in local if p.status == "valid" and _aware(p.valid_until) >= now]
    if not valid:
        raise PrescriptionRequired("外配处方已过有效期或已调剂", "The prescription expired or was already dispensed")
    return valid[0]


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone columns; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def issue_prescription(
    uow: UnitOfWork,
    profile: Profile,
    institution: Institution,
    person: Person,
    visit: Visit,
    rxno: str,
    now: datetime,
) -> None:
    existing = uow.session.scalar(
        select(Prescription).where(Prescription.issuer_code == institution.fixmedins_code, Prescription.rxno == rxno)
    )
    if existing is not None:
        if existing.person_id != person.id:
            raise FeeDetailInvalid("处方号已用于其他参保人", "This rxno belongs to another person", field="rxno")
        return
    policy = profile.settlement
    issued = now.astimezone(UTC)  # in UTC: SQLite gives it back naive and _aware reads that as UTC
    uow.session.add(
        Prescription(
            rxno=rxno,
            issuer_code=institution.fixmedins_code,
            issuer_region=institution.region_code,
            person_id=person.id,
            visit_id=visit.id,
            issued_at=issued,
            valid_until=issued + timedelta(days=policy.prescription_valid_days),
            keep_until=date(now.year + policy.prescription_retention_years, now.month, min(now.day, 28)),
            status="valid",
        )
    )
    uow.session.flush()
