"""What settlement asks (issue 14 §4, wired by another change): does person P hold a valid
off-site registration covering place D on day X, and a valid recognition of disease K on day X?

Both read only the stored dates: a changed or cancelled registration and a revoked recognition
keep their last valid day, so a visit on an earlier day is still judged by what held then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from gongji.adapters.db.models import ChronicRecognition, OffsiteRegistration
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import offsite as O


@dataclass(frozen=True)
class RegistrationFact:
    registration_id: int
    serial: str
    kind: str
    category: str  # long_term / temporary
    destination_code: str
    start_date: date
    end_date: date | None


@dataclass(frozen=True)
class RecognitionFact:
    recognition_id: int
    disease: str
    organ: str | None
    start_date: date
    valid_until: date | None
    route: str


def valid_registration(uow: UnitOfWork, *, person_id: int, place: str, day: date) -> RegistrationFact | None:
    """The registration of ``person_id`` valid on ``day`` whose destination covers ``place`` (a
    province, city or county code: a registration for a city covers its counties)."""
    R = OffsiteRegistration
    rows = uow.session.scalars(
        select(R)
        .where(R.person_id == person_id, R.start_date <= day, or_(R.end_date.is_(None), R.end_date >= day))
        .order_by(R.id.desc())
    )
    for r in rows:
        if O.covers(r.destination_code, place):
            return RegistrationFact(r.id, r.serial, r.kind, r.category, r.destination_code, r.start_date, r.end_date)
    return None


def valid_recognition(
    uow: UnitOfWork, *, person_id: int, disease: str, day: date, organ: str | None = None
) -> RecognitionFact | None:
    """The approved (or later revoked) recognition of ``disease`` valid on ``day``; ``organ``
    narrows the anti-rejection treatment to one transplant."""
    R = ChronicRecognition
    query = select(R).where(
        R.person_id == person_id,
        R.disease == disease,
        R.status.in_((O.APPROVED, O.REVOKED)),
        R.start_date <= day,
        or_(R.valid_until.is_(None), R.valid_until >= day),
    )
    if organ is not None:
        query = query.where(R.organ == organ)
    r = uow.session.scalars(query.order_by(R.id.desc())).first()
    if r is None:
        return None
    return RecognitionFact(r.id, r.disease, r.organ, r.start_date, r.valid_until, r.route)
