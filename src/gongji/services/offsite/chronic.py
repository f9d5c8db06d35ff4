"""门诊慢特病认定 (seed 001 三): one recognition per person and disease (and organ, for the
anti-rejection treatment), from a start date for the profile's ``valid_months``.

Two routes, as the seed's 联办事项 list them:
- **application** — the person (online, or a bound relative for them) or a clerk at the window
  applies; the recognition waits (``pending``) until a clerk approves it. A clerk who entered it
  cannot approve it (E_FOUR_EYES, the project's maker–checker); any clerk of the region may
  reject it with a reason.
- **institution** — 主动服务: a designated institution recognizes it when it treats the patient,
  naming the physician; it is valid at once.

A recognition may be revoked by staff with a reason: valid until yesterday.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select

from gongji.adapters.db.models import ChronicRecognition, Person
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import offsite as O
from gongji.domain.errors import (
    ChronicDuplicate,
    FourEyesRequired,
    GongjiError,
    InvalidRequest,
    InvalidStateTransition,
    NotFound,
    OffsiteDatesInvalid,
    UnknownCode,
)
from gongji.domain.masking import mask_id_number, mask_name
from gongji.policy.schema import Profile
from gongji.services.auth import Role
from gongji.services.family.common import lock_persons
from gongji.services.offsite import common as C
from gongji.services.registry.context import Ctx, audit_event, get_person, require_reason

APPLICATION, INSTITUTION_ROUTE = "application", "institution"
ROUTE_ZH = {APPLICATION: "申请认定", INSTITUTION_ROUTE: "定点医疗机构认定（主动服务）"}
LIST_LIMIT = 200


def apply(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    person_id: int,
    disease: str,
    organ: str | None = None,
    start_date: date | None = None,
    diagnosis: str = "",
    agent_name: str = "",
    agent_relation: str = "",
) -> ChronicRecognition:
    """An application for recognition, waiting for a clerk's review."""
    acting = C.acting_for(uow, ctx, person_id, agent_name=agent_name, agent_relation=agent_relation)
    rec = _new(uow, ctx, profile, person_id=person_id, disease=disease, organ=organ, start=start_date)
    rec.route, rec.channel, rec.status = APPLICATION, acting.channel, O.PENDING
    rec.diagnosis = _text(diagnosis, 200, "diagnosis")
    uow.session.add(rec)
    uow.session.flush()
    audit_event(uow, ctx, "chronic.apply", "chronic_recognition", rec.id, person_id=person_id, disease=disease)
    return rec


def recognize_at_institution(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    person_id: int,
    disease: str,
    organ: str | None = None,
    start_date: date | None = None,
    physician: str,
    diagnosis: str = "",
) -> ChronicRecognition:
    """主动服务: the signed-in designated institution recognizes the disease; valid at once."""
    ctx.principal.require(Role.INSTITUTION)
    physician = (physician or "").strip()
    if not 2 <= len(physician) <= 50:
        raise InvalidRequest("请填写认定医师姓名", "The recognizing physician is required", field="physician")
    get_person(uow, person_id)
    rec = _new(uow, ctx, profile, person_id=person_id, disease=disease, organ=organ, start=start_date)
    rec.route, rec.channel, rec.status = INSTITUTION_ROUTE, O.INSTITUTION, O.APPROVED
    rec.fixmedins_code = ctx.principal.fixmedins_code
    rec.physician = physician
    rec.diagnosis = _text(diagnosis, 200, "diagnosis")
    rec.reviewed_by_user_id = ctx.principal.user_id
    rec.reviewer_name = physician
    rec.reviewed_at = ctx.clock.now()
    uow.session.add(rec)
    uow.session.flush()
    audit_event(uow, ctx, "chronic.recognize", "chronic_recognition", rec.id, person_id=person_id, disease=disease)
    return rec


def approve(uow: UnitOfWork, ctx: Ctx, *, recognition_id: int, note: str = "") -> ChronicRecognition:
    rec = _pending(uow, ctx, recognition_id)
    if rec.entered_by_user_id == ctx.principal.user_id:
        raise FourEyesRequired(recognition_id=recognition_id)
    _decide(ctx, rec, O.APPROVED, _text(note, 200, "note"))
    audit_event(uow, ctx, "chronic.approve", "chronic_recognition", rec.id, entered_by=rec.entered_by_user_id)
    _one_thing_part_ends(uow, ctx, rec)
    return rec


def reject(uow: UnitOfWork, ctx: Ctx, *, recognition_id: int, reason: str) -> ChronicRecognition:
    reason = require_reason(reason)
    rec = _pending(uow, ctx, recognition_id)
    _decide(ctx, rec, O.REJECTED, reason)
    audit_event(uow, ctx, "chronic.reject", "chronic_recognition", rec.id, reason=reason)
    _one_thing_part_ends(uow, ctx, rec)
    return rec


def _one_thing_part_ends(uow: UnitOfWork, ctx: Ctx, rec: ChronicRecognition) -> None:
    """A recognition applied for in a one-thing case (issue 14 §5) ends that part of the case."""
    from gongji.services.onething import routing  # late: routing uses this module

    uow.session.flush()
    routing.recognition_decided(uow, ctx, rec)


def revoke(uow: UnitOfWork, ctx: Ctx, *, recognition_id: int, reason: str) -> ChronicRecognition:
    """撤销: an approved recognition is valid until yesterday (never, if it had not started)."""
    reason = require_reason(reason)
    rec = _get(uow, ctx, recognition_id, lock=True)
    ctx.principal.require(Role.STAFF)
    today = ctx.clock.today()
    if rec.status != O.APPROVED or _state(rec, today) == "expired":
        raise InvalidStateTransition("仅能撤销有效或待生效的认定", "Only a recognition in force can be revoked")
    rec.valid_until = O.ended_on(start=rec.start_date, end=rec.valid_until, today=today)
    rec.status = O.REVOKED
    rec.review_note = reason
    uow.session.flush()
    audit_event(uow, ctx, "chronic.revoke", "chronic_recognition", rec.id, reason=reason)
    return rec


def get(uow: UnitOfWork, ctx: Ctx, profile: Profile, recognition_id: int) -> dict[str, Any]:
    rec = _get(uow, ctx, recognition_id)
    person = get_person(uow, rec.person_id)
    if ctx.principal.role is Role.STAFF:
        audit_event(uow, ctx, "chronic.read", "chronic_recognition", rec.id)
    return view(profile, rec, ctx.clock.today()) | {
        "name": mask_name(person.name),
        "cert_no": mask_id_number(person.cert_no),
    }


def of_person(uow: UnitOfWork, ctx: Ctx, profile: Profile, person_id: int) -> list[dict[str, Any]]:
    C.require_person_view(uow, ctx, person_id)
    rows = uow.session.scalars(
        select(ChronicRecognition)
        .where(ChronicRecognition.person_id == person_id)
        .order_by(ChronicRecognition.id.desc())
    )
    return [view(profile, r, ctx.clock.today()) for r in rows]


def staff_list(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, *, disease: str = "", region: str = "", state: str = ""
) -> list[dict[str, Any]]:
    """Recognitions in the clerk's regions (masked), pending first then newest, filtered."""
    R = ChronicRecognition
    where = [C.scope_filter(ctx, R.insured_region, region)]
    if disease:
        where.append(R.disease == disease)
    today = ctx.clock.today()
    if state in (O.PENDING, O.REJECTED, O.REVOKED):
        where.append(R.status == state)
    elif state == "valid":
        where += [R.status == O.APPROVED, R.start_date <= today, or_(R.valid_until.is_(None), R.valid_until >= today)]
    elif state == "pending_start":
        where += [R.status == O.APPROVED, R.start_date > today]
    elif state == "expired":
        where += [R.status == O.APPROVED, R.valid_until < today]
    elif state:
        raise UnknownCode("认定状态不存在", "Unknown state", field="state", value=state)
    rows = uow.session.execute(
        select(R, Person)
        .join(Person, Person.id == R.person_id)
        .where(*where)
        .order_by((R.status != O.PENDING), R.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    return [
        view(profile, r, today) | {"name": mask_name(p.name), "cert_no": mask_id_number(p.cert_no)} for r, p in rows
    ]


def view(profile: Profile, rec: ChronicRecognition, today: date) -> dict[str, Any]:
    state = _state(rec, today)
    disease = profile.offsite.disease(rec.disease)
    return {
        "recognition_id": rec.id,
        "person_id": rec.person_id,
        "insured_region": rec.insured_region,
        "insured_region_name": C.destination_name(rec.insured_region),
        "disease": rec.disease,
        "organ": rec.organ,
        "disease_zh": O.disease_name(disease, rec.organ) if disease else rec.disease,
        "route": rec.route,
        "route_zh": ROUTE_ZH.get(rec.route, rec.route),
        "channel": rec.channel,
        "channel_zh": O.CHANNEL_ZH.get(rec.channel, rec.channel),
        "start_date": rec.start_date.isoformat(),
        "valid_until": rec.valid_until.isoformat() if rec.valid_until else None,
        "valid_text": rec.valid_until.isoformat() if rec.valid_until else "长期有效",
        "status": rec.status,
        "state": state,
        "state_zh": O.RECOGNITION_STATE_ZH[state],
        "fixmedins_code": rec.fixmedins_code,
        "physician": rec.physician,
        "diagnosis": rec.diagnosis,
        "entered_by_user_id": rec.entered_by_user_id,
        "reviewer_name": rec.reviewer_name,
        "reviewed_at": rec.reviewed_at.isoformat() if rec.reviewed_at else None,
        "review_note": rec.review_note,
    }


def _state(rec: ChronicRecognition, today: date) -> str:
    if rec.status in (O.PENDING, O.REJECTED, O.REVOKED):
        return rec.status
    return O.state_on(O.ACTIVE, rec.start_date, rec.valid_until, today)


def _new(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, *, person_id: int, disease: str, organ: str | None, start: date | None
) -> ChronicRecognition:
    """The checked recognition (not yet added): insured, a listed disease and organ, no live twin."""
    d = O.disease_of(profile.offsite, disease)
    organ = O.check_organ(d, organ)
    lock_persons(uow, person_id)
    enrollment = C.insurance_of(uow, person_id)
    today = ctx.clock.today()
    start = start or today
    until = O.recognition_until(d, start)
    if start > today or (until is not None and until < today):
        raise OffsiteDatesInvalid(
            "认定开始日期不能晚于今天，且认定须仍在有效期内",
            "The start is in the future or already expired",
            field="start_date",
        )
    R = ChronicRecognition
    twin = uow.session.scalar(
        select(R.id).where(
            R.person_id == person_id,
            R.disease == d.code,
            R.organ.is_(None) if organ is None else R.organ == organ,
            or_(R.status == O.PENDING, (R.status == O.APPROVED) & or_(R.valid_until.is_(None), R.valid_until >= today)),
        )
    )
    if twin is not None:
        raise ChronicDuplicate(recognition_id=twin)
    return ChronicRecognition(
        person_id=person_id,
        insured_region=enrollment.region_code,
        disease=d.code,
        organ=organ,
        start_date=start,
        valid_until=until,
        entered_by_user_id=ctx.principal.user_id,
        entered_at=ctx.clock.now(),
    )


def _decide(ctx: Ctx, rec: ChronicRecognition, status: str, note: str | None) -> None:
    rec.status = status
    rec.review_note = note
    rec.reviewed_by_user_id = ctx.principal.user_id
    rec.reviewer_name = ctx.principal.display_name
    rec.reviewed_at = ctx.clock.now()


def _text(value: str, n: int, name: str) -> str | None:
    value = (value or "").strip()
    if len(value) > n:
        raise InvalidRequest(f"输入过长（不超过{n}个字符）", f"Too long (at most {n} characters)", field=name)
    return value or None


def _get(uow: UnitOfWork, ctx: Ctx, recognition_id: int, *, lock: bool = False) -> ChronicRecognition:
    query = select(ChronicRecognition).where(ChronicRecognition.id == recognition_id)
    rec = uow.session.scalar(query.with_for_update() if lock else query)
    if rec is None:
        raise NotFound("门诊慢特病认定不存在", "Recognition not found", recognition_id=recognition_id)
    try:
        C.require_view(uow, ctx, rec.person_id, rec.insured_region)
    except GongjiError:
        if ctx.principal.role is Role.CITIZEN:
            raise NotFound("门诊慢特病认定不存在", "Recognition not found", recognition_id=recognition_id) from None
        raise
    return rec


def _pending(uow: UnitOfWork, ctx: Ctx, recognition_id: int) -> ChronicRecognition:
    ctx.principal.require(Role.STAFF)
    rec = _get(uow, ctx, recognition_id, lock=True)
    if rec.status != O.PENDING:
        raise InvalidStateTransition("该认定不在待审核状态", "This recognition is not pending", status=rec.status)
    return rec
