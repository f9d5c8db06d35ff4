"""异地就医备案 (seed 001 二): a 即办件 — accepted at once, or refused at once with the reason.

``register`` checks, in order: who acts for whom (``common.acting_for``), the person's normal
insurance, the kind fits the person, the destination lies outside the insured pooling region,
the materials (ID, form, and the kind's proof or a signed 个人承诺书), the dates (the kind's
validity; 补办 before discharge), and that no other registration covers those days. Nothing is
written on a refusal. ``change`` ends the registration yesterday and starts a new one today for
the new destination or end date; ``cancel`` ends it yesterday; a long-term registration in force
may do either only after the profile's minimum period.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select

from gongji.adapters.db.models import OffsiteRegistration, Person
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import offsite as O
from gongji.domain.errors import (
    GongjiError,
    InvalidRequest,
    InvalidStateTransition,
    NotFound,
    OffsiteDatesInvalid,
    OffsiteOverlap,
    UnknownCode,
)
from gongji.domain.masking import mask_id_number, mask_name
from gongji.policy.schema import Profile
from gongji.services.family.common import lock_persons
from gongji.services.offsite import common as C
from gongji.services.registry.context import Ctx, audit_event, get_person, require_reason

LIST_LIMIT = 200


@dataclass(frozen=True)
class Application:
    """One registration as applied for (the 异地就医登记备案表's content)."""

    person_id: int
    kind: str
    destination_code: str
    materials: frozenset[str] = field(default_factory=frozenset)
    commitment_signed: bool = False
    start_date: date | None = None
    end_date: date | None = None
    late: O.Late | None = None
    hospital: str = ""
    address: str = ""
    phone: str = ""
    agent_name: str = ""
    agent_relation: str = ""


def register(uow: UnitOfWork, ctx: Ctx, profile: Profile, app: Application) -> OffsiteRegistration:
    """Accept or refuse an application at once; the accepted registration, flushed."""
    acting = C.acting_for(uow, ctx, app.person_id, agent_name=app.agent_name, agent_relation=app.agent_relation)
    rules = profile.offsite
    kind = O.kind_of(rules, app.kind)
    lock_persons(uow, app.person_id)
    enrollment = C.insurance_of(uow, app.person_id)
    C.check_kind_fits(kind.code, enrollment)
    destination = C.check_destination(app.destination_code, enrollment.region_code)
    materials = O.check_materials(kind, set(app.materials), commitment_signed=app.commitment_signed)
    today = ctx.clock.today()
    start, end = O.period(rules, kind, today=today, start=app.start_date, end=app.end_date, late=app.late)
    if app.late is not None and not app.hospital.strip():
        raise OffsiteDatesInvalid("补办备案请填写住院医院", "A late registration names the hospital", field="hospital")
    _check_no_overlap(uow, app.person_id, start, end)
    reg = OffsiteRegistration(
        serial=f"tmp-{uuid.uuid4().hex[:20]}",
        person_id=app.person_id,
        insutype=enrollment.insutype,
        insured_region=enrollment.region_code,
        kind=kind.code,
        category=kind.category,
        destination_code=destination,
        start_date=start,
        end_date=end,
        status=O.ACTIVE,
        channel=acting.channel,
        materials=",".join(materials),
        commitment_version=O.COMMITMENT_VERSION if O.COMMITMENT in materials else None,
        applicant_person_id=acting.applicant_person_id,
        agent_name=acting.agent_name,
        agent_relation=acting.agent_relation,
        address=_text(app.address, 200, "address"),
        phone=_text(app.phone, 20, "phone"),
        late=app.late is not None,
        admission_date=app.late.admission_date if app.late else None,
        hospital=_text(app.hospital, 100, "hospital"),
        created_by_user_id=ctx.principal.user_id,
        created_at=ctx.clock.now(),
    )
    uow.session.add(reg)
    uow.session.flush()
    reg.serial = f"YD{today:%Y%m%d}{reg.id:08d}"
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        "offsite.register",
        "offsite_registration",
        reg.id,
        person_id=reg.person_id,
        kind=reg.kind,
        destination=destination,
        start=start.isoformat(),
        end=end.isoformat() if end else None,
        channel=acting.channel,
        late=reg.late,
    )
    return reg


def change(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    registration_id: int,
    destination_code: str | None = None,
    end_date: date | None = None,
    reason: str,
) -> OffsiteRegistration:
    """变更: the old registration ends yesterday (``changed``); a new one of the same kind starts
    today (or at the old start, if that is later) with the new destination and/or end date."""
    reason = require_reason(reason)
    old = _live(uow, ctx, registration_id)
    kind = O.kind_of(profile.offsite, old.kind)
    today = ctx.clock.today()
    O.check_may_end(kind, start=old.start_date, today=today)
    destination = C.check_destination(destination_code or old.destination_code, old.insured_region)
    start = max(today, old.start_date)
    start, end = O.period(profile.offsite, kind, today=today, start=start, end=end_date, late=None)
    if (destination, end) == (old.destination_code, old.end_date):
        raise OffsiteDatesInvalid("变更内容与原备案相同", "Nothing changes", field="destination_code")
    _end(ctx, old, O.CHANGED, reason)
    uow.session.flush()
    _check_no_overlap(uow, old.person_id, start, end)
    new = OffsiteRegistration(
        **{c: getattr(old, c) for c in _COPIED},
        serial=f"tmp-{uuid.uuid4().hex[:20]}",
        destination_code=destination,
        start_date=start,
        end_date=end,
        status=O.ACTIVE,
        channel=C.acting_for(uow, ctx, old.person_id).channel,
        replaces_id=old.id,
        created_by_user_id=ctx.principal.user_id,
        created_at=ctx.clock.now(),
    )
    uow.session.add(new)
    uow.session.flush()
    new.serial = f"YD{today:%Y%m%d}{new.id:08d}"
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        "offsite.change",
        "offsite_registration",
        old.id,
        new_id=new.id,
        destination=destination,
        reason=reason,
    )
    return new


_COPIED = (
    "person_id",
    "insutype",
    "insured_region",
    "kind",
    "category",
    "materials",
    "commitment_version",
    "applicant_person_id",
    "agent_name",
    "agent_relation",
    "address",
    "phone",
    "late",
    "admission_date",
    "hospital",
)


def cancel(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, registration_id: int, reason: str) -> OffsiteRegistration:
    """取消备案: valid until yesterday (never, when it had not started)."""
    reason = require_reason(reason)
    reg = _live(uow, ctx, registration_id)
    O.check_may_end(O.kind_of(profile.offsite, reg.kind), start=reg.start_date, today=ctx.clock.today())
    _end(ctx, reg, O.CANCELLED, reason)
    uow.session.flush()
    audit_event(uow, ctx, "offsite.cancel", "offsite_registration", reg.id, reason=reason)
    return reg


def get(uow: UnitOfWork, ctx: Ctx, registration_id: int, *, audit_read: bool = True) -> dict[str, Any]:
    """One registration as its 登记备案表 shows it (a staff read is audited)."""
    reg = _get(uow, ctx, registration_id)
    if audit_read and ctx.principal.role.value == "staff":
        audit_event(uow, ctx, "offsite.read", "offsite_registration", reg.id)
    person = get_person(uow, reg.person_id)
    return view(reg, ctx.clock.today()) | {
        "name": mask_name(person.name),
        "cert_no": mask_id_number(person.cert_no),
        "sex": person.sex,
        "applicant_name": mask_name(get_person(uow, reg.applicant_person_id).name) if reg.applicant_person_id else None,
    }


def of_person(uow: UnitOfWork, ctx: Ctx, person_id: int) -> list[dict[str, Any]]:
    """A person's registrations, newest first (the person, a bound relative, staff in scope)."""
    C.require_person_view(uow, ctx, person_id)
    rows = uow.session.scalars(
        select(OffsiteRegistration)
        .where(OffsiteRegistration.person_id == person_id)
        .order_by(OffsiteRegistration.id.desc())
    )
    return [view(r, ctx.clock.today()) for r in rows]


def staff_list(
    uow: UnitOfWork, ctx: Ctx, *, kind: str = "", region: str = "", state: str = "", limit: int = LIST_LIMIT
) -> list[dict[str, Any]]:
    """Registrations in the clerk's regions (names masked), newest first, filtered by kind,
    insured region and state (有效 / 待生效 / 已到期 / 已变更 / 已取消 on today's date)."""
    where = [C.scope_filter(ctx, OffsiteRegistration.insured_region, region)]
    if kind:
        where.append(OffsiteRegistration.kind == kind)
    if state:
        where.append(_state_filter(state, ctx.clock.today()))
    rows = uow.session.execute(
        select(OffsiteRegistration, Person)
        .join(Person, Person.id == OffsiteRegistration.person_id)
        .where(*where)
        .order_by(OffsiteRegistration.id.desc())
        .limit(max(1, min(limit, LIST_LIMIT)))
    ).all()
    today = ctx.clock.today()
    return [view(r, today) | {"name": mask_name(p.name), "cert_no": mask_id_number(p.cert_no)} for r, p in rows]


def _state_filter(state: str, today: date) -> Any:
    R = OffsiteRegistration
    if state in (O.CHANGED, O.CANCELLED):
        return R.status == state
    active = R.status == O.ACTIVE
    if state == "pending_start":
        return and_(active, R.start_date > today)
    if state == "expired":
        return and_(active, R.end_date.is_not(None), R.end_date < today)
    if state == "valid":
        return and_(active, R.start_date <= today, or_(R.end_date.is_(None), R.end_date >= today))
    raise UnknownCode("备案状态不存在", "Unknown state", field="state", value=state)


def view(reg: OffsiteRegistration, today: date) -> dict[str, Any]:
    state = O.state_on(reg.status, reg.start_date, reg.end_date, today)
    materials = [m for m in reg.materials.split(",") if m]
    return {
        "registration_id": reg.id,
        "serial": reg.serial,
        "person_id": reg.person_id,
        "insutype": reg.insutype,
        "insured_region": reg.insured_region,
        "insured_region_name": C.destination_name(reg.insured_region),
        "kind": reg.kind,
        "kind_zh": O.KIND_ZH[reg.kind],
        "category": reg.category,
        "category_zh": O.CATEGORY_ZH[reg.category],
        "destination_code": reg.destination_code,
        "destination_name": C.destination_name(reg.destination_code),
        "start_date": reg.start_date.isoformat(),
        "end_date": reg.end_date.isoformat() if reg.end_date else None,
        "end_text": reg.end_date.isoformat() if reg.end_date else "长期有效",
        "status": reg.status,
        "state": state,
        "state_zh": O.STATE_ZH[state],
        "channel": reg.channel,
        "channel_zh": O.CHANNEL_ZH.get(reg.channel, reg.channel),
        "materials": materials,
        "materials_zh": [O.MATERIAL_ZH[m] for m in materials if m in O.MATERIAL_ZH],
        "commitment_version": reg.commitment_version,
        "agent_name": mask_name(reg.agent_name) if reg.agent_name else None,
        "agent_relation": reg.agent_relation,
        "late": reg.late,
        "admission_date": reg.admission_date.isoformat() if reg.admission_date else None,
        "hospital": reg.hospital,
        "address": reg.address,
        "replaces_id": reg.replaces_id,
        "end_reason": reg.end_reason,
        "created_at": reg.created_at.isoformat(),
        "live": reg.status == O.ACTIVE and state != "expired",
    }


def _text(value: str, n: int, name: str) -> str | None:
    value = (value or "").strip()
    if len(value) > n:
        raise InvalidRequest(f"输入过长（不超过{n}个字符）", f"Too long (at most {n} characters)", field=name)
    return value or None


def _check_no_overlap(uow: UnitOfWork, person_id: int, start: date, end: date | None) -> None:
    R = OffsiteRegistration
    overlapping = uow.session.scalar(
        select(R).where(
            R.person_id == person_id,
            R.status == O.ACTIVE,
            or_(R.end_date.is_(None), R.end_date >= start),
            *([R.start_date <= end] if end is not None else []),
        )
    )
    if overlapping is not None:
        raise OffsiteOverlap(registration_id=overlapping.id, serial=overlapping.serial)


def _end(ctx: Ctx, reg: OffsiteRegistration, status: str, reason: str) -> None:
    reg.end_date = O.ended_on(start=reg.start_date, end=reg.end_date, today=ctx.clock.today())
    reg.status = status
    reg.end_reason = reason
    reg.ended_by_user_id = ctx.principal.user_id
    reg.ended_at = ctx.clock.now()


def _get(uow: UnitOfWork, ctx: Ctx, registration_id: int, *, lock: bool = False) -> OffsiteRegistration:
    query = select(OffsiteRegistration).where(OffsiteRegistration.id == registration_id)
    reg = uow.session.scalar(query.with_for_update() if lock else query)
    if reg is None:
        raise NotFound("异地就医备案不存在", "Registration not found", registration_id=registration_id)
    try:
        C.require_view(uow, ctx, reg.person_id, reg.insured_region)
    except GongjiError:
        if ctx.principal.role.value == "citizen":  # to a citizen someone else's record does not exist
            raise NotFound("异地就医备案不存在", "Registration not found", registration_id=registration_id) from None
        raise
    return reg


def _live(uow: UnitOfWork, ctx: Ctx, registration_id: int) -> OffsiteRegistration:
    """A registration still in force or not yet started, that the actor may change."""
    reg = _get(uow, ctx, registration_id, lock=True)
    C.acting_for(uow, ctx, reg.person_id)
    if reg.status != O.ACTIVE or O.state_on(reg.status, reg.start_date, reg.end_date, ctx.clock.today()) == "expired":
        raise InvalidStateTransition(
            "该备案已变更、取消或到期，不能再变更或取消", "This registration is no longer in force", status=reg.status
        )
    return reg
