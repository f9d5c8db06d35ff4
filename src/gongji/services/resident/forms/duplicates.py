"""Duplicate enrollment (重复参保, seed 002 §八2): :func:`find_duplicates` lists a person's live
basic enrollments (310 or 390, every region) and pending registrations; approving a registration
for someone with a live basic enrollment is refused (``E_RESIDENT_DUPLICATE_ENROLLMENT``) until
staff end the wrong one with :func:`clear_duplicate` (a reason is required) or reject the form."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    Enrollment,
    Person,
    ResidentRegistration,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.errors import (
    DuplicateEnrollment,
    NotFound,
)
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID
from gongji.domain.registry import (
    EnrollmentAction,
    EnrollmentStatus,
)
from gongji.services.registry import persons as registry
from gongji.services.registry.persons import Ctx, audit_event, require_reason
from gongji.services.resident.forms.common import (
    BASIC,
    E_NOT_DUPLICATE,
    IDENTITIES,
    _enrollment_brief,
    _live_basic,
    _normalize_cert,
    _person_by_cert,
    _refuse,
    _region_name,
    _staff,
)


def _refuse_duplicates(uow: UnitOfWork, ctx: Ctx, cert_type: str, cert_no: str) -> Person | None:
    person = _person_by_cert(uow, cert_type, cert_no)
    if person is None:
        return None
    live = _live_basic(uow, person.id)
    if live:
        raise DuplicateEnrollment(
            "该人员已有有效的基本医疗保险参保记录（重复参保），请先清理重复参保或驳回本申请",
            "The person has a live basic enrollment (duplicate); clear it or reject this form",
            enrollments=[_enrollment_brief(ctx, e) for e in live],
        )
    return person


# --- duplicates (重复参保) ---------------------------------------------------------------------------


def find_duplicates(
    uow: UnitOfWork, ctx: Ctx, *, cert_no: str, cert_type: str = CERT_TYPE_RESIDENT_ID
) -> dict[str, Any]:
    """A person's live basic enrollments (310 or 390) in every region and their pending 附件1
    forms, so staff see both sides of a duplicate; ``can_clear`` marks those in their regions.
    ``duplicate`` is true when there are two or more of them together. The read is audited."""
    _staff(ctx)
    number = _normalize_cert(cert_type, cert_no, ctx.clock.today())
    person = _person_by_cert(uow, cert_type, number)
    enrollments = [] if person is None else [_enrollment_brief(ctx, e) for e in _live_basic(uow, person.id)]
    pending = list(
        uow.session.scalars(
            select(ResidentRegistration)
            .where(
                ResidentRegistration.cert_type == cert_type,
                ResidentRegistration.cert_no == number,
                ResidentRegistration.status == "pending",
            )
            .order_by(ResidentRegistration.id)
        )
    )
    audit_event(uow, ctx, "resident.duplicates.read", "person", person.id if person else None)
    return {
        "person": None if person is None else registry.person_view(person),
        "enrollments": enrollments,
        "pending_registrations": [
            {
                "form_id": r.id,
                "region_code": r.region_code,
                "enroll_region": r.enroll_region,
                "enroll_region_name": _region_name(r.enroll_region),
                "identity_name": IDENTITIES[r.applicant_identity][1],
                "created_at": r.created_at.isoformat(),
            }
            for r in pending
        ],
        "duplicate": len(enrollments) + len(pending) >= 2,
    }


def clear_duplicate(
    uow: UnitOfWork, ctx: Ctx, *, enrollment_id: int, reason: str, effective_date: date | None = None
) -> Enrollment:
    """End the wrong one of a duplicate (清理重复参保): a live basic enrollment of a person who has
    another live basic enrollment or a pending 附件1. The reason is required and kept in the
    enrollment history; staff act only on enrollments in their regions."""
    _staff(ctx)
    cleaned = require_reason(reason)
    e = uow.session.get(Enrollment, enrollment_id)
    if e is None:
        raise NotFound("参保记录不存在", "Enrollment not found", enrollment_id=enrollment_id)
    ctx.principal.require_region(e.region_code)
    person = registry.get_person(uow, e.person_id)
    others = [x for x in _live_basic(uow, person.id) if x.id != e.id]
    pending = uow.session.scalar(
        select(ResidentRegistration.id).where(
            ResidentRegistration.cert_type == person.cert_type,
            ResidentRegistration.cert_no == person.cert_no,
            ResidentRegistration.status == "pending",
        )
    )
    live = e.insutype in BASIC and e.status != EnrollmentStatus.TERMINATED.value
    if not live or (not others and pending is None):
        raise _refuse(
            E_NOT_DUPLICATE,
            "该参保记录不构成重复参保（没有其他有效参保记录或待审核的参保登记表）",
            "Not a duplicate: no other live basic enrollment or pending registration",
            enrollment_id=enrollment_id,
        )
    ended = registry.change_enrollment(
        uow,
        ctx,
        enrollment_id=e.id,
        action=EnrollmentAction.END,
        effective_date=effective_date or ctx.clock.today(),
        reason=f"清理重复参保：{cleaned}"[:200],
    )
    audit_event(
        uow,
        ctx,
        "resident.duplicate.clear",
        "enrollment",
        e.id,
        person_id=person.id,
        reason=cleaned,
        kept=[x.id for x in others],
        pending_registration=pending,
    )
    return ended
