"""What settlement asks (issue 14 §4; ``services.settlement.offsite_rules``): does person P hold a
valid off-site registration covering place D on day X, and a valid recognition of disease K on
day X? And which registrations bear on a visit (``registrations_seen``)?

Both read only the stored dates: a changed or cancelled registration and a revoked recognition
keep their last valid day, so a visit on an earlier day is still judged by what held then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select

from gongji.adapters.db.models import ChronicRecognition, OffsiteRegistration
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import offsite as O
from gongji.domain.offsite_settlement import REDUCING_KINDS, RegistrationSeen
from gongji.policy.schema import Profile


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


def registrations_seen(uow: UnitOfWork, *, person_id: int, place: str, day: date) -> tuple[RegistrationSeen, ...]:
    """The person's registrations bearing on a visit at ``place`` on ``day``: any that covers
    it (valid that day, destination covering the place), and any 转诊转院 / 急诊抢救 one that took
    effect (its last day not before its first) but does not cover it — valid that day for another
    place, or for this place on other days: a referral or emergency without proper registration."""
    R = OffsiteRegistration
    rows = uow.session.scalars(
        select(R).where(R.person_id == person_id, or_(R.end_date.is_(None), R.end_date >= R.start_date)).order_by(R.id)
    )
    seen = []
    for r in rows:
        valid = O.valid_on(r.start_date, r.end_date, day)
        here = O.covers(r.destination_code, place)
        if (valid and here) or r.kind in REDUCING_KINDS and (valid or here):
            seen.append(RegistrationSeen(r.kind, O.KIND_ZH.get(r.kind, r.kind), r.serial, r.late, valid and here))
    return tuple(seen)


# --- what 1101 shows (issue 14 "Also") ---------------------------------------------------------

BIZ_APPY_TYPE = {
    "retiree_resettled": "08",
    "long_term_resident": "08",
    "posted_worker": "08",
    "referral": "06",
    "emergency": "07",
    "other_temporary": "99",
}
"""Registration kind → ``biz_appy_type`` 业务申请类型 (data/nhsa_code_tables.json: 06 转诊转院登记,
07 异地急诊住院登记, 08 异地安置登记, 99 其他); the long-term kinds are read as 异地安置."""


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def registrations_shown(uow: UnitOfWork, *, person_id: int, today: date) -> list[dict[str, object]]:
    """The person's registrations in force today or starting later (1101 ``outreginfo``), with
    the 2501 转院备案 field names: ``mdtrtarea_admdvs`` 就医地行政区划, ``begndate``, ``enddate``,
    ``trt_dcla_detl_sn`` 待遇申报明细流水号 (our serial), ``memo`` the kind in Chinese."""
    R = OffsiteRegistration
    rows = uow.session.scalars(
        select(R)
        .where(R.person_id == person_id)
        .where(or_(R.end_date.is_(None), and_(R.end_date >= today, R.end_date >= R.start_date)))
        .order_by(R.start_date, R.id)
    )
    return [
        {
            "biz_appy_type": BIZ_APPY_TYPE.get(r.kind, "99"),
            "mdtrtarea_admdvs": r.destination_code,
            "begndate": _day(r.start_date),
            "enddate": _day(r.end_date),
            "trt_dcla_detl_sn": r.serial,
            "memo": O.KIND_ZH.get(r.kind, r.kind) + ("（补办）" if r.late else ""),
        }
        for r in rows
    ]


def recognitions_shown(uow: UnitOfWork, profile: Profile, *, person_id: int, today: date) -> list[dict[str, object]]:
    """The person's recognitions valid today (1101 ``opspinfo``), with the 5301 fields
    ``opsp_dise_code`` (the disease's first national code), ``opsp_dise_name``, ``begndate``,
    ``enddate`` and 2503's ``ide_fixmedins_no`` (the recognizing institution, if any)."""
    R = ChronicRecognition
    rows = uow.session.scalars(
        select(R)
        .where(
            R.person_id == person_id,
            R.status.in_((O.APPROVED, O.REVOKED)),
            R.start_date <= today,
            or_(R.valid_until.is_(None), R.valid_until >= today),
        )
        .order_by(R.start_date, R.id)
    )
    shown: list[dict[str, object]] = []
    for r in rows:
        disease = profile.offsite.disease(r.disease)
        if disease is None:  # a disease no longer listed in the profile
            continue
        shown.append(
            {
                "opsp_dise_code": disease.opsp_codes[0],
                "opsp_dise_name": O.disease_name(disease, r.organ),
                "begndate": _day(r.start_date),
                "enddate": _day(r.valid_until),
                "ide_fixmedins_no": r.fixmedins_code,
            }
        )
    return shown
