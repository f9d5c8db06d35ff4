"""Registry use cases: employers, persons, enrollments, and the staff view of a person.

Staff act only within their regions (SPEC §9); every change is audited in the same
transaction. Personal-account money is in ``services.registry.accounts``. ``Ctx``,
``audit_event``, ``get_person``, ``person_regions`` and ``require_reason`` live in
``services.registry.context`` and are re-exported here, where most callers import them.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from gongji.adapters.db.models import Employer, Enrollment, EnrollmentEvent, LedgerAccount, Person, PersonalAccount
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain.errors import DuplicateRecord, InvalidRequest, InvalidStateTransition, NotFound, UnknownCode
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID, parse_id_number
from gongji.domain.masking import mask_id_number, mask_name, mask_phone
from gongji.domain.registry import (
    EMPLOYEE_INSUTYPES,
    EMPLOYEE_PSN_TYPES,
    INSUTYPES,
    RESIDENT_PSN_TYPES,
    RETIRED,
    EnrollmentAction,
    EnrollmentStatus,
    next_status,
)
from gongji.services import listing
from gongji.services.auth import Role
from gongji.services.registry import cards, search
from gongji.services.registry.accounts import account_balances, open_personal_account
from gongji.services.registry.context import Ctx as Ctx
from gongji.services.registry.context import audit_event as audit_event
from gongji.services.registry.context import get_person as get_person
from gongji.services.registry.context import person_regions as person_regions
from gongji.services.registry.context import require_reason as require_reason

_NAME = re.compile(r"^[\u3400-\u9fff\uf900-\ufaffA-Za-z·•．.\s]{1,50}$")
_PHONE = re.compile(r"^\+?\d{5,20}$")
_CERT_TYPES = {"01", "02", "03", "04", "05", "06", "07", "08", "16", "17", "90", "99"}
MAX_START_AHEAD = timedelta(days=366)  # an enrollment may be registered up to a year ahead


def require_region_code(code: str, *, field: str = "region_code") -> str:
    if not re.fullmatch(r"\d{6}", code or "") or not region_table().is_current(code):
        raise UnknownCode("行政区划代码不存在或已撤销", "Unknown or abolished region code", field=field, value=code)
    return code


def validate_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not _NAME.match(cleaned):
        raise InvalidRequest("姓名须为1-50个汉字或字母", "Name must be 1-50 letters", field="name")
    return cleaned


# --- employers -----------------------------------------------------------------------------


def register_employer(uow: UnitOfWork, ctx: Ctx, *, code: str, name: str, region_code: str) -> Employer:
    ctx.principal.require(Role.STAFF)
    require_region_code(region_code)
    ctx.principal.require_region(region_code)
    if not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{18}", code or ""):
        raise InvalidRequest("统一社会信用代码应为18位", "Unified social credit code: 18 characters", field="code")
    if not (1 <= len(name.strip()) <= 100):
        raise InvalidRequest("单位名称1-100个字符", "Employer name: 1-100 characters", field="name")
    if uow.session.scalar(select(Employer.id).where(Employer.code == code)):
        raise DuplicateRecord("单位已登记", "Employer already registered", code=code)
    employer = Employer(code=code, name=name.strip(), region_code=region_code)
    uow.session.add(employer)
    uow.session.flush()
    audit_event(uow, ctx, "employer.register", "employer", employer.id, code=code, region=region_code)
    return employer


# --- persons -------------------------------------------------------------------------------


def register_person(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    cert_no: str,
    name: str,
    cert_type: str = CERT_TYPE_RESIDENT_ID,
    sex: str | None = None,
    birth_date: date | None = None,
    phone: str | None = None,
    hukou_region: str | None = None,
) -> Person:
    """Register a person. A resident ID gives sex and birth date; other certificates need them."""
    ctx.principal.require(Role.STAFF)
    name = validate_name(name)
    if cert_type not in _CERT_TYPES:
        raise UnknownCode("证件类型不存在", "Unknown certificate type", field="cert_type", value=cert_type)
    if cert_type == CERT_TYPE_RESIDENT_ID:
        parsed = parse_id_number(cert_no, today=ctx.clock.today(), region_known=region_table().is_known)
        cert_no, sex, birth_date = parsed.value, parsed.sex, parsed.birth_date
    else:
        cert_no = (cert_no or "").strip()
        if not re.fullmatch(r"[0-9A-Za-z()（）\-]{4,50}", cert_no):
            raise InvalidRequest("证件号码格式错误", "Malformed certificate number", field="cert_no")
        if sex not in {"1", "2", "9"}:
            raise InvalidRequest("请填写性别（1男 2女 9未说明）", "Sex is required: 1, 2 or 9", field="sex")
        if birth_date is None or birth_date > ctx.clock.today():
            raise InvalidRequest("请填写有效的出生日期", "A valid birth date is required", field="birth_date")
    if phone is not None and phone != "" and not _PHONE.match(phone):
        raise InvalidRequest("手机号码格式错误", "Malformed phone number", field="phone")
    if hukou_region:
        require_region_code(hukou_region, field="hukou_region")
    if uow.session.scalar(select(Person.id).where(Person.cert_type == cert_type, Person.cert_no == cert_no)):
        raise DuplicateRecord("该证件号码已登记", "This certificate number is already registered")
    person = Person(
        cert_type=cert_type,
        cert_no=cert_no,
        name=name,
        sex=sex or "9",
        birth_date=birth_date,
        phone=phone or None,
        hukou_region=hukou_region or None,
        created_at=ctx.clock.now(),
    )
    uow.session.add(person)
    uow.session.flush()
    audit_event(uow, ctx, "person.register", "person", person.id, cert_no=cert_no, name=mask_name(name))
    return person


def _live_enrollments(uow: UnitOfWork, person_id: int) -> list[Enrollment]:
    return list(
        uow.session.scalars(
            select(Enrollment)
            .where(Enrollment.person_id == person_id, Enrollment.status != EnrollmentStatus.TERMINATED.value)
            .order_by(Enrollment.id)
        )
    )


# --- enrollments ---------------------------------------------------------------------------


def enroll(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    person_id: int,
    insutype: str,
    region_code: str,
    psn_type: str,
    start_date: date,
    employer_code: str | None = None,
    ssc_no: str | None = None,
) -> Enrollment:
    """Enroll a person: employees through their employer, residents directly.

    Employees get a personal account (current year and past years) in the ledger. ``ssc_no``,
    the social-security card number, is stored with the person (就诊凭证 03; ``cards``).
    """
    ctx.principal.require(Role.STAFF)
    if insutype not in INSUTYPES:
        raise UnknownCode("险种类型不存在", "Unknown insurance type", field="insutype", value=insutype)
    require_region_code(region_code)
    ctx.principal.require_region(region_code)
    person = get_person(uow, person_id)
    employer_id = None
    if insutype in EMPLOYEE_INSUTYPES:
        if psn_type not in EMPLOYEE_PSN_TYPES:
            raise UnknownCode(
                "职工医保人员类别应为在职(11)或退休(12)", "Employee person type must be 11 or 12", field="psn_type"
            )
        if psn_type != RETIRED:
            if not employer_code:
                raise InvalidRequest(
                    "在职职工须通过单位参保", "Working employees enroll through an employer", field="employer_code"
                )
            employer = uow.session.scalar(select(Employer).where(Employer.code == employer_code))
            if employer is None:
                raise NotFound("单位不存在", "Employer not found", employer_code=employer_code)
            if employer.region_code != region_code:
                raise InvalidRequest(
                    "单位所在统筹区与参保地不一致", "Employer is in another pooling region", field="region_code"
                )
            employer_id = employer.id
    elif psn_type not in RESIDENT_PSN_TYPES:
        raise UnknownCode("居民医保人员类别不存在", "Unknown resident person type", field="psn_type")
    if start_date > ctx.clock.today() + MAX_START_AHEAD:
        raise InvalidRequest("参保开始日期过远", "Start date too far in the future", field="start_date")

    live = _live_enrollments(uow, person_id)
    basic = {"310", "390"}
    for e in live:
        if e.insutype == insutype or (e.insutype in basic and insutype in basic):
            raise DuplicateRecord(
                "该人员已有有效的基本医疗保险参保记录（重复参保）",
                "The person already has a live basic-insurance enrollment (duplicate enrollment)",
                enrollment_id=e.id,
            )
    enrollment = Enrollment(
        person_id=person.id,
        insutype=insutype,
        region_code=region_code,
        status=EnrollmentStatus.NORMAL.value,
        psn_type=psn_type,
        employer_id=employer_id,
        start_date=start_date,
    )
    uow.session.add(enrollment)
    uow.session.flush()
    _event(uow, ctx, enrollment, "enroll", None, None, start_date, None)
    if insutype in EMPLOYEE_INSUTYPES:
        open_personal_account(uow, person_id=person.id, region_code=region_code, opened_on=start_date, ctx=ctx)
    if ssc_no is not None and ssc_no.strip():
        cards.record_card(uow, ctx, person_id=person.id, ssc_no=ssc_no)
    audit_event(
        uow,
        ctx,
        "enrollment.create",
        "enrollment",
        enrollment.id,
        person_id=person.id,
        insutype=insutype,
        region=region_code,
    )
    return enrollment


def _event(
    uow: UnitOfWork,
    ctx: Ctx,
    e: Enrollment,
    action: str,
    from_status: str | None,
    from_region: str | None,
    effective: date,
    reason: str | None,
) -> None:
    uow.session.add(
        EnrollmentEvent(
            enrollment_id=e.id,
            action=action,
            from_status=from_status,
            to_status=e.status,
            from_region=from_region,
            to_region=e.region_code,
            effective_date=effective,
            reason=reason,
            user_id=ctx.principal.user_id,
            at=ctx.clock.now(),
        )
    )


def change_enrollment(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    enrollment_id: int,
    action: EnrollmentAction,
    effective_date: date,
    reason: str | None = None,
    to_region: str | None = None,
) -> Enrollment:
    """Suspend, interrupt, resume, end, or transfer an enrollment to another pooling region."""
    ctx.principal.require(Role.STAFF)
    e = uow.session.get(Enrollment, enrollment_id)
    if e is None:
        raise NotFound("参保记录不存在", "Enrollment not found", enrollment_id=enrollment_id)
    ctx.principal.require_region(e.region_code)
    if reason is not None and len(reason) > 200:
        raise InvalidRequest("原因不超过200字", "Reason: at most 200 characters", field="reason")
    from_status, from_region = e.status, e.region_code
    e.status = next_status(EnrollmentStatus(e.status), action).value
    if action is EnrollmentAction.TRANSFER:
        if not to_region:
            raise InvalidRequest("请填写转入统筹区", "Transfer needs to_region", field="to_region")
        require_region_code(to_region, field="to_region")
        if to_region == e.region_code:
            raise InvalidStateTransition("转入统筹区与当前统筹区相同", "Already insured in that region")
        e.region_code = to_region
        for account in uow.session.scalars(select(LedgerAccount).where(LedgerAccount.person_id == e.person_id)):
            account.region_code = to_region
    if action is EnrollmentAction.END:
        e.end_date = effective_date
    uow.session.flush()
    _event(uow, ctx, e, action.value, from_status, from_region, effective_date, reason)
    audit_event(
        uow,
        ctx,
        f"enrollment.{action.value}",
        "enrollment",
        e.id,
        from_status=from_status,
        to_status=e.status,
        from_region=from_region,
        to_region=e.region_code,
        reason=reason,
    )
    return e


# --- reads ---------------------------------------------------------------------------------


def person_record(uow: UnitOfWork, ctx: Ctx, *, person_id: int, audit_read: bool = True) -> dict[str, Any]:
    """The whole record of one person; a staff read of it is audited (SPEC §9)."""
    person = get_person(uow, person_id)
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    enrollments = list(
        uow.session.scalars(select(Enrollment).where(Enrollment.person_id == person_id).order_by(Enrollment.id))
    )
    account = uow.session.scalar(select(PersonalAccount).where(PersonalAccount.person_id == person_id))
    record = person_view(person) | {
        "cert_no": person.cert_no,
        "name": person.name,
        "phone": person.phone,
        "ssc_no": cards.masked_card(person.ssc_no),
        "enrollments": [enrollment_view(e) for e in enrollments],
        "account": None
        if account is None
        else {
            "status": account.status,
            "opened_on": account.opened_on.isoformat(),
            **(account_balances(uow, person_id) or {}),
        },
    }
    if audit_read and ctx.principal.role is not Role.CITIZEN:
        audit_event(uow, ctx, "person.read", "person", person_id)
    return record


def person_view(person: Person) -> dict[str, Any]:
    """A person with name, ID number and phone masked: for lists and write answers."""
    return {
        "person_id": person.id,
        "cert_type": person.cert_type,
        "cert_no": mask_id_number(person.cert_no),
        "cert_no_masked": mask_id_number(person.cert_no),
        "name": mask_name(person.name),
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "phone": mask_phone(person.phone),
        "hukou_region": person.hukou_region,
    }


def enrollment_view(e: Enrollment) -> dict[str, Any]:
    return {
        "enrollment_id": e.id,
        "insutype": e.insutype,
        "insutype_name": INSUTYPES.get(e.insutype, e.insutype),
        "region_code": e.region_code,
        "region_name": region_table().full_name(e.region_code),
        "status": e.status,
        "psn_type": e.psn_type,
        "psn_type_name": {**EMPLOYEE_PSN_TYPES, **RESIDENT_PSN_TYPES}.get(e.psn_type, e.psn_type),
        "start_date": e.start_date.isoformat(),
        "end_date": e.end_date.isoformat() if e.end_date else None,
    }


def search_persons(uow: UnitOfWork, ctx: Ctx, *, query: str, limit: int = 50) -> list[dict[str, Any]]:
    """Staff search by whole or partial ID number, name, phone or card number, within the staff
    member's regions (masked); the first ``limit``. Paged lists use ``search.find_persons``."""
    query = (query or "").strip()
    if not (1 <= len(query) <= 50):
        raise InvalidRequest("请输入1-50个字符的姓名或证件号码", "Query: 1-50 characters", field="q")
    lq = listing.ListQuery(sort="name", desc=False, size=max(1, min(limit, 200)))
    return search.find_persons(uow, ctx, query=query, lq=lq).rows


def count_persons(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(Person)) or 0)


def count_personal_accounts(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(PersonalAccount)) or 0)
