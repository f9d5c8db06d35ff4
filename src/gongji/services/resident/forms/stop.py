"""附件3 《停保或流出登记表》: ends the 390 enrollment, or transfers it to the region the person moves
to, through ``registry.change_enrollment``. Seed 002 gives only its title; its fields are designed
here (docs/resident.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    Enrollment,
    ResidentStop,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain.errors import (
    FormPending,
    InvalidRequest,
    UnknownCode,
)
from gongji.domain.masking import mask_id_number, mask_name, mask_phone
from gongji.domain.registry import (
    RESIDENT_PSN_TYPES,
    EnrollmentAction,
)
from gongji.domain.resident import graduate_benefits_until
from gongji.services.registry import persons as registry
from gongji.services.registry.persons import Ctx, audit_event, require_reason
from gongji.services.resident.forms.common import (
    E_GRADUATE_COVERED,
    E_SIGNATURE,
    E_STOP_DATE,
    E_STOP_DESTINATION,
    E_STOP_REASON,
    IDENTITIES,
    SEX_NAMES,
    STATUS_NAMES,
    Submitted,
    _digest,
    _get,
    _pending,
    _person_by_row,
    _phone,
    _refuse,
    _region_name,
    _replay,
    _resident_enrollment,
    _reviewed,
    _second_clerk,
    _signature,
    _staff,
    _text,
)

STOP_REASONS = {
    "outflow": "流出（迁往其他统筹地区）",
    "employee": "参加职工医保",
    "death": "死亡",
    "graduated": "大学生毕业离校",
    "other": "其他",
}
APPLICANT_ROLES = {"self": "本人", "guardian": "监护人", "family": "近亲属"}


@dataclass(frozen=True)
class StopIn:
    """附件3 as designed here (docs/resident.md): who, why, from when, where to, who applies."""

    cert_no: str
    name: str
    reason: str
    effective_date: date | None = None
    applicant_name: str = ""
    signed_on: date | None = None
    applicant_role: str = "self"
    applicant_phone: str | None = None
    destination_region: str | None = None
    transfer: bool = False
    graduated_on: date | None = None
    reason_note: str | None = None


# --- 附件3: stop or outflow ---------------------------------------------------------------------------


def submit_stop(uow: UnitOfWork, ctx: Ctx, form: StopIn, *, idempotency_key: str | None = None) -> Submitted:
    """Record 附件3 as pending: the person's live 390 enrollment, the reason, the date."""
    _staff(ctx)
    digest = _digest("stop", form)
    replayed = _replay(uow, ResidentStop, idempotency_key, digest)
    if replayed is not None:
        return Submitted(replayed.id, True, stop_view(uow, ctx, replayed))
    today = ctx.clock.today()
    person = _person_by_row(uow, form.cert_no, form.name, field="cert_no")
    enrollment = _resident_enrollment(uow, ctx, person.id, live=True)
    if form.reason not in STOP_REASONS:
        raise UnknownCode("停保原因不存在", "Unknown stop reason", field="reason", value=form.reason)
    note = _text(form.reason_note, 200, "reason_note", zh="原因说明")
    if form.reason == "other" and (note is None or len(note) < 2):
        raise InvalidRequest("原因为「其他」时请说明（2-200字）", "Explain an 'other' reason", field="reason_note")
    effective = form.effective_date
    if effective is None or effective > today or effective < enrollment.start_date:
        raise _refuse(
            E_STOP_DATE,
            "停保（流出）日期须在参保开始日期与今天之间",
            "The stop date must lie between the enrollment's start and today",
            field="effective_date",
        )
    destination = (form.destination_region or "").strip() or None
    if form.reason == "outflow":
        if destination is None or not region_table().is_current(destination) or destination == enrollment.region_code:
            raise _refuse(
                E_STOP_DESTINATION,
                "流出须填写有效且不同于原参保地的流入地区划代码",
                "An outflow needs a valid destination region other than the current one",
                field="destination_region",
            )
    elif form.transfer:
        raise _refuse(
            E_STOP_DESTINATION,
            "只有流出可以转移参保关系",
            "Only an outflow can transfer the enrollment",
            field="transfer",
        )
    else:
        destination = None
    graduated_on = None
    if form.reason == "graduated":
        if enrollment.psn_type != IDENTITIES["college"][0]:
            raise _refuse(
                E_STOP_REASON,
                "毕业离校仅适用于以大学生身份参保的人员",
                "Only college students graduate",
                field="reason",
            )
        if form.graduated_on is None or form.graduated_on > today:
            raise InvalidRequest("请填写毕业日期（不能晚于今天）", "Graduation date required", field="graduated_on")
        graduated_on = form.graduated_on
        until = graduate_benefits_until(graduated_on)
        if effective < until:
            raise _refuse(
                E_GRADUATE_COVERED,
                f"在校期间参保的学生毕业后待遇享受到{until.year}年12月31日，此前不能停保",
                f"A graduate keeps benefits until {until.isoformat()}",
                field="effective_date",
                covered_until=until.isoformat(),
            )
    if form.applicant_role not in APPLICANT_ROLES:
        raise UnknownCode("申请人身份不存在", "Unknown applicant role", field="applicant_role")
    applicant, signed_on = _signature(form.applicant_name, form.signed_on, today, field="applicant_name")
    if form.reason == "death" and form.applicant_role == "self":
        raise _refuse(
            E_SIGNATURE,
            "死亡停保须由近亲属或监护人申请签字",
            "A death is reported by a relative",
            field="applicant_role",
        )
    phone = _phone(form.applicant_phone, "applicant_phone")
    pending = uow.session.scalar(
        select(ResidentStop.id).where(ResidentStop.enrollment_id == enrollment.id, ResidentStop.status == "pending")
    )
    if pending is not None:
        raise FormPending(
            "该参保记录已有待审核的停保登记表",
            "A stop form for this enrollment is pending",
            form_id=pending,
        )
    row = ResidentStop(
        idempotency_key=idempotency_key,
        request_hash=digest if idempotency_key else None,
        status="pending",
        region_code=enrollment.region_code,
        person_id=person.id,
        enrollment_id=enrollment.id,
        reason=form.reason,
        reason_note=note,
        effective_date=effective,
        destination_region=destination,
        transfer=bool(form.transfer and form.reason == "outflow"),
        graduated_on=graduated_on,
        applicant_name=applicant,
        applicant_role=form.applicant_role,
        applicant_phone=phone,
        signed_on=signed_on,
        channel=ctx.channel.name[:10],
        created_by_user_id=ctx.principal.user_id,
        created_at=ctx.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        "resident.stop.submit",
        "resident_stop",
        row.id,
        person_id=person.id,
        enrollment_id=enrollment.id,
        reason=form.reason,
    )
    return Submitted(row.id, False, stop_view(uow, ctx, row))


def review_stop(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    stop_id: int,
    approve: bool,
    opinion: str | None = None,
    unit: str | None = None,
) -> ResidentStop:
    """经办机构意见 on 附件3: approve → the enrollment ended (终止参保) on the stop date, or moved to
    the destination (转移) for an outflow marked so, via ``registry.change_enrollment`` with the
    reason; reject → the opinion is kept and the enrollment is untouched."""
    row = _get(uow, ctx, ResidentStop, stop_id)
    _pending(row)
    if approve:
        _second_clerk(row, ctx)
        reason = STOP_REASONS[row.reason] + (f"：{row.reason_note}" if row.reason_note else "")
        registry.change_enrollment(
            uow,
            ctx,
            enrollment_id=row.enrollment_id,
            action=EnrollmentAction.TRANSFER if row.transfer else EnrollmentAction.END,
            effective_date=row.effective_date,
            reason=f"附件3停保或流出登记表#{row.id} {reason}"[:200],
            to_region=row.destination_region if row.transfer else None,
        )
        row.status = "approved"
        row.applied_at = ctx.clock.now()
        row.opinion = _text(opinion, 200, "opinion", zh="经办机构意见") or "同意"
    else:
        row.opinion = require_reason(opinion)
        row.status = "rejected"
    _reviewed(row, ctx, unit)
    uow.session.flush()
    audit_event(uow, ctx, f"resident.stop.{'approve' if approve else 'reject'}", "resident_stop", row.id)
    return row


def stop_view(uow: UnitOfWork, ctx: Ctx, row: ResidentStop, *, masked: bool = True) -> dict[str, Any]:
    person = registry.get_person(uow, row.person_id)
    e = uow.session.get(Enrollment, row.enrollment_id)
    assert e is not None
    return {
        "kind": "stop",
        "form_id": row.id,
        "status": row.status,
        "status_name": STATUS_NAMES.get(row.status, row.status),
        "region_code": row.region_code,
        "region_name": _region_name(row.region_code),
        "person_id": row.person_id,
        "name": mask_name(person.name) if masked else person.name,
        "cert_no": mask_id_number(person.cert_no) if masked else person.cert_no,
        "sex_name": SEX_NAMES.get(person.sex, "未说明"),
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "enrollment_id": row.enrollment_id,
        "enrollment_start": e.start_date.isoformat(),
        "psn_type_name": RESIDENT_PSN_TYPES.get(e.psn_type, e.psn_type),
        "enrollment_status": e.status,
        "reason": row.reason,
        "reason_name": STOP_REASONS.get(row.reason, row.reason),
        "reason_note": row.reason_note,
        "effective_date": row.effective_date.isoformat(),
        "destination_region": row.destination_region,
        "destination_region_name": _region_name(row.destination_region),
        "transfer": row.transfer,
        "graduated_on": row.graduated_on.isoformat() if row.graduated_on else None,
        "applicant_name": mask_name(row.applicant_name) if masked else row.applicant_name,
        "applicant_role": row.applicant_role,
        "applicant_role_name": APPLICANT_ROLES.get(row.applicant_role, row.applicant_role),
        "applicant_phone": mask_phone(row.applicant_phone) if masked else row.applicant_phone,
        "signed_on": row.signed_on.isoformat(),
        "created_at": row.created_at.isoformat(),
        "created_by_user_id": row.created_by_user_id,
        "reviewer_name": row.reviewer_name,
        "reviewed_at": row.reviewed_at.isoformat() if row.reviewed_at else None,
        "review_unit": row.review_unit,
        "opinion": row.opinion,
        "applied_at": row.applied_at.isoformat() if row.applied_at else None,
    }
