"""附件1 《参保登记表》: first or broken enrollment (首次参保或中断参保, seed 002 §五1). Staff fill it
for the applicant; the review approves it — the person is registered if new and enrolled in 390
with the person type of the applicant's identity — or rejects it with a reason, which writes
nothing to the registry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    ResidentRegistration,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain.errors import (
    DeclarationOutdated,
    FormPending,
    InvalidRequest,
    UnknownCode,
)
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID, parse_id_number
from gongji.domain.masking import mask_id_number, mask_name, mask_phone
from gongji.domain.registry import (
    RESIDENT_BASIC,
    RESIDENT_PSN_TYPES,
)
from gongji.domain.resident import categories_of, student_enrollment_region
from gongji.policy.schema import Profile
from gongji.services.registry import persons as registry
from gongji.services.registry.persons import Ctx, audit_event, require_reason, require_region_code, validate_name
from gongji.services.resident.forms.common import (
    E_ID_MISMATCH,
    E_IDENTITY_AGE,
    E_NAME_MISMATCH,
    E_SCHOOL_REGION,
    E_SIGNATURE,
    IDENTITIES,
    IDENTITY_AGE_BOUNDS,
    SEX_NAMES,
    STATUS_NAMES,
    Submitted,
    _digest,
    _enrollment_brief,
    _get,
    _live_basic,
    _pending,
    _person_by_cert,
    _phone,
    _refuse,
    _region_name,
    _replay,
    _reviewed,
    _second_clerk,
    _set_address,
    _signature,
    _staff,
    _text,
    age_on,
)
from gongji.services.resident.forms.duplicates import _refuse_duplicates

SIGNER_ROLES = {"self": "本人", "guardian": "监护人"}
HOUSEHOLD_KINDS = {"hukou": "户籍所在地", "permit": "居住证登记地"}
CERT_TYPE_NAMES = {
    "01": "居民身份证（户口簿）",
    "04": "香港特区护照/港澳居民来往内地通行证",
    "05": "澳门特区护照/港澳居民来往内地通行证",
    "06": "台湾居民来往大陆通行证",
    "07": "外国人永久居留证",
    "08": "外国人护照",
    "16": "中国护照",
    "17": "港澳台居民居住证",
    "99": "其他身份证件",
}


DECLARATION_VERSION = "002-2022"
DECLARATION_TEXT = (
    "以上信息填报真实，现申请参加城乡居民医保，"
    "并已了解城乡居民基本医疗保险费征收部门和缴费方式，以及每年规定的缴费时间。"
)
"""The applicant's declaration printed above the signature on 附件1 (seed 002, verbatim)."""


# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationIn:
    """附件1 as filled. For a resident ID (01) sex and birth date come from the number; if given
    they must agree with it. ``subsidy_codes`` are the profile's ``resident.subsidy`` codes."""

    name: str
    cert_no: str
    region_code: str
    township: str
    hukou_region: str
    applicant_identity: str
    signer_name: str = ""
    signed_on: date | None = None
    cert_type: str = CERT_TYPE_RESIDENT_ID
    sex: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    household_kind: str = "hukou"
    hukou_village: str | None = None
    address: str | None = None
    subsidy_codes: tuple[str, ...] = ()
    school_name: str | None = None
    school_region: str | None = None
    signer_role: str = "self"
    declaration_version: str = DECLARATION_VERSION


# --- 附件1: registration ---------------------------------------------------------------------------


def _identity(value: str) -> str:
    key = (value or "").strip()
    by_psn = {psn: k for k, (psn, _zh) in IDENTITIES.items()}
    key = by_psn.get(key, key)
    if key not in IDENTITIES:
        raise UnknownCode("申请人身份不存在", "Unknown applicant identity", field="applicant_identity", value=value)
    return key


def check_identity_age(identity: str, birth: date, today: date) -> None:
    """Refuse an applicant identity that the birth date contradicts (``IDENTITY_AGE_BOUNDS``)."""
    low, high = IDENTITY_AGE_BOUNDS[identity]
    age = age_on(birth, today)
    if age < low or (high is not None and age >= high):
        shown = f"{low}岁及以上" if high is None else f"{low}至{high - 1}岁" if high - 1 > low else f"{low}岁"
        zh_name = IDENTITIES[identity][1]
        raise _refuse(
            E_IDENTITY_AGE,
            f"申请人身份「{zh_name}」与出生日期不符（应为{shown}，实际{age}岁）",
            f"Applicant identity {identity} does not fit the birth date (age {age})",
            field="applicant_identity",
            age=age,
            low=low,
            high=high,
        )


@dataclass(frozen=True)
class _Checked:
    cert_no: str
    name: str
    sex: str
    birth_date: date
    identity: str
    subsidy_codes: tuple[str, ...]
    enroll_region: str
    school_region: str | None


def _check_registration(uow: UnitOfWork, ctx: Ctx, profile: Profile, form: RegistrationIn) -> _Checked:
    today = ctx.clock.today()
    require_region_code(form.region_code)
    ctx.principal.require_region(form.region_code)
    name = validate_name(form.name)
    if form.cert_type not in CERT_TYPE_NAMES:
        raise UnknownCode("证件类型不存在", "Unknown certificate type", field="cert_type", value=form.cert_type)
    if form.cert_type == CERT_TYPE_RESIDENT_ID:
        parsed = parse_id_number(form.cert_no or "", today=today, region_known=region_table().is_known)
        cert_no, sex, birth = parsed.value, parsed.sex, parsed.birth_date
        if (form.sex and form.sex != sex) or (form.birth_date and form.birth_date != birth):
            raise _refuse(
                E_ID_MISMATCH,
                "填写的性别或出生日期与身份证号码不一致",
                "Sex or birth date differs from the identity number",
                field="birth_date" if form.birth_date and form.birth_date != birth else "sex",
            )
    else:
        cert_no = (form.cert_no or "").strip().upper()
        if not re.fullmatch(r"[0-9A-Z()（）\-]{4,50}", cert_no):
            raise InvalidRequest("证件号码格式错误", "Malformed certificate number", field="cert_no")
        if form.sex not in SEX_NAMES:
            raise InvalidRequest("请选择性别", "Sex is required: 1 or 2", field="sex")
        if form.birth_date is None or form.birth_date > today:
            raise InvalidRequest("请填写有效的出生日期", "A valid birth date is required", field="birth_date")
        sex, birth = form.sex, form.birth_date
    _phone(form.phone, "phone")
    if form.household_kind not in HOUSEHOLD_KINDS:
        raise UnknownCode("户籍类型不存在", "Unknown household kind", field="household_kind")
    require_region_code(form.hukou_region, field="hukou_region")
    _text(form.hukou_village, 100, "hukou_village", zh="村(社区)")
    _text(form.township, 100, "township", required=True, zh="通讯地址乡/镇(街道)")
    _text(form.address, 200, "address", zh="通讯地址")
    identity = _identity(form.applicant_identity)
    check_identity_age(identity, birth, today)
    codes = tuple(sorted({c.strip() for c in form.subsidy_codes if c.strip()}))
    # SubsidyUnknown for a code the profile lacks; which categories there are is the same every year
    categories = categories_of(codes, profile.resident_terms(today.year, form.region_code).subsidies)
    school_region = None
    if identity == "college":
        if not form.school_region or not region_table().is_current(form.school_region):
            raise _refuse(
                E_SCHOOL_REGION,
                "大学生须填写有效的学籍地（学校所在统筹区代码）",
                "A college student needs the school's region",
                field="school_region",
            )
        school_region = form.school_region
        enroll_region = student_enrollment_region(
            school_region=school_region, household_region=form.hukou_region, categories=categories
        )
    else:
        enroll_region = form.region_code
    ctx.principal.require_region(enroll_region)
    if form.declaration_version != DECLARATION_VERSION:
        raise DeclarationOutdated(
            "声明文本已更新，请按当前版本重新签字",
            "The declaration text changed; sign the current version",
            field="declaration_version",
            current=DECLARATION_VERSION,
        )
    if form.signer_role not in SIGNER_ROLES:
        raise _refuse(E_SIGNATURE, "签字人应为本人或监护人", "Signer must be self or guardian", field="signer_role")
    signer, _signed_on = _signature(form.signer_name, form.signed_on, today, field="signer_name")
    if form.signer_role == "self":
        if age_on(birth, today) < 18:
            raise _refuse(
                E_SIGNATURE,
                "未成年人的登记表须由监护人签字",
                "A minor's form is signed by a guardian",
                field="signer_role",
            )
        if signer != name:
            raise _refuse(
                E_SIGNATURE,
                "本人签字须与申请人姓名一致",
                "A self-signature must be the applicant's name",
                field="signer_name",
            )
    existing = _person_by_cert(uow, form.cert_type, cert_no)
    if existing is not None and existing.name != name:
        raise _refuse(
            E_NAME_MISMATCH,
            "该证件号码已登记在另一姓名下，请先办理信息变更（附件2）",
            "This number is registered under another name; file a change form first",
            field="name",
        )
    pending = uow.session.scalar(
        select(ResidentRegistration.id).where(
            ResidentRegistration.cert_type == form.cert_type,
            ResidentRegistration.cert_no == cert_no,
            ResidentRegistration.status == "pending",
        )
    )
    if pending is not None:
        raise FormPending("该人员已有待审核的参保登记表", "A registration for this person is pending", form_id=pending)
    return _Checked(cert_no, name, sex, birth, identity, codes, enroll_region, school_region)


def submit_registration(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, form: RegistrationIn, *, idempotency_key: str | None = None
) -> Submitted:
    """Record 附件1 as pending (002 §五1). Every check runs first; a refusal writes nothing.

    A person who already has a live basic enrollment may still apply (the form is kept and
    shown with its duplicates); approval is refused until the duplicate is cleared.
    """
    _staff(ctx)
    digest = _digest("registration", form)
    replayed = _replay(uow, ResidentRegistration, idempotency_key, digest)
    if replayed is not None:
        return Submitted(replayed.id, True, registration_view(uow, ctx, replayed, profile=profile))
    c = _check_registration(uow, ctx, profile, form)
    row = ResidentRegistration(
        idempotency_key=idempotency_key,
        request_hash=digest if idempotency_key else None,
        status="pending",
        region_code=form.region_code,
        enroll_region=c.enroll_region,
        name=c.name,
        cert_type=form.cert_type,
        cert_no=c.cert_no,
        sex=c.sex,
        birth_date=c.birth_date,
        phone=_phone(form.phone, "phone"),
        household_kind=form.household_kind,
        hukou_region=form.hukou_region,
        hukou_village=_text(form.hukou_village, 100, "hukou_village"),
        township=_text(form.township, 100, "township") or "",
        address=_text(form.address, 200, "address"),
        applicant_identity=c.identity,
        psn_type=IDENTITIES[c.identity][0],
        subsidy_codes=",".join(c.subsidy_codes),
        school_name=_text(form.school_name, 100, "school_name") if c.identity == "college" else None,
        school_region=c.school_region,
        no_waiting_period=c.identity == "newborn",  # 002 §五4: 新生儿 … 不设待遇享受等待期
        signer_name=form.signer_name.strip(),
        signer_role=form.signer_role,
        signed_on=form.signed_on,
        declaration_version=form.declaration_version,
        channel=ctx.channel.name[:10],
        created_by_user_id=ctx.principal.user_id,
        created_at=ctx.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        "resident.registration.submit",
        "resident_registration",
        row.id,
        identity=c.identity,
        region=row.region_code,
        enroll_region=row.enroll_region,
        subsidy=list(c.subsidy_codes),
    )
    return Submitted(row.id, False, registration_view(uow, ctx, row, profile=profile))


def review_registration(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    registration_id: int,
    approve: bool,
    reason: str | None = None,
    unit: str | None = None,
) -> ResidentRegistration:
    """收件审核 of 附件1: approve → the person (registered if new) enrolled in 390 in the form's
    enrollment region with the identity's person type, starting today; reject → the reason is
    kept and nothing is written to the registry."""
    row = _get(uow, ctx, ResidentRegistration, registration_id)
    _pending(row)
    if approve:
        _second_clerk(row, ctx)
        person = _refuse_duplicates(uow, ctx, row.cert_type, row.cert_no)
        if person is None:
            person = registry.register_person(
                uow,
                ctx,
                cert_no=row.cert_no,
                name=row.name,
                cert_type=row.cert_type,
                sex=row.sex,
                birth_date=row.birth_date,
                phone=row.phone,
                hukou_region=row.hukou_region,
            )
        elif person.name != row.name:
            raise _refuse(
                E_NAME_MISMATCH,
                "该证件号码已登记在另一姓名下，请先办理信息变更（附件2）",
                "This number is registered under another name",
                field="name",
            )
        enrollment = registry.enroll(
            uow,
            ctx,
            person_id=person.id,
            insutype=RESIDENT_BASIC,
            region_code=row.enroll_region,
            psn_type=row.psn_type,
            start_date=ctx.clock.today(),
        )
        _set_address(uow, ctx, person.id, hukou_village=row.hukou_village, township=row.township, address=row.address)
        row.status = "approved"
        row.person_id = person.id
        row.enrollment_id = enrollment.id
        row.review_reason = None
    else:
        row.review_reason = require_reason(reason)
        row.status = "rejected"
    _reviewed(row, ctx, unit)
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        f"resident.registration.{'approve' if approve else 'reject'}",
        "resident_registration",
        row.id,
        person_id=row.person_id,
        enrollment_id=row.enrollment_id,
        reason=row.review_reason,
    )
    return row


def registration_view(
    uow: UnitOfWork, ctx: Ctx, row: ResidentRegistration, *, profile: Profile | None = None, masked: bool = True
) -> dict[str, Any]:
    """The form as data. ``masked`` (lists, write answers): name, ID number, phone and signer
    masked; the whole form is for the staff's audited read and printout."""
    codes = [c for c in row.subsidy_codes.split(",") if c]
    names = {s.code: s.name for s in (profile.resident.subsidy if profile is not None else ())}
    view: dict[str, Any] = {
        "kind": "registration",
        "form_id": row.id,
        "status": row.status,
        "status_name": STATUS_NAMES.get(row.status, row.status),
        "region_code": row.region_code,
        "region_name": _region_name(row.region_code),
        "enroll_region": row.enroll_region,
        "enroll_region_name": _region_name(row.enroll_region),
        "name": mask_name(row.name) if masked else row.name,
        "cert_type": row.cert_type,
        "cert_type_name": CERT_TYPE_NAMES.get(row.cert_type, row.cert_type),
        "cert_no": mask_id_number(row.cert_no) if masked else row.cert_no,
        "sex": row.sex,
        "sex_name": SEX_NAMES.get(row.sex, row.sex),
        "birth_date": row.birth_date.isoformat(),
        "phone": mask_phone(row.phone) if masked else row.phone,
        "household_kind": row.household_kind,
        "hukou_region": row.hukou_region,
        "hukou_region_name": _region_name(row.hukou_region),
        "hukou_village": row.hukou_village,
        "township": row.township,
        "address": row.address,
        "applicant_identity": row.applicant_identity,
        "identity_name": IDENTITIES[row.applicant_identity][1],
        "psn_type": row.psn_type,
        "psn_type_name": RESIDENT_PSN_TYPES.get(row.psn_type, row.psn_type),
        "subsidy_codes": codes,
        "subsidy_names": [names.get(c, c) for c in codes],
        "school_name": row.school_name,
        "school_region": row.school_region,
        "school_region_name": _region_name(row.school_region),
        "no_waiting_period": row.no_waiting_period,
        "signer_name": mask_name(row.signer_name) if masked else row.signer_name,
        "signer_role": row.signer_role,
        "signer_role_name": SIGNER_ROLES.get(row.signer_role, row.signer_role),
        "signed_on": row.signed_on.isoformat(),
        "declaration_version": row.declaration_version,
        "created_at": row.created_at.isoformat(),
        "created_by_user_id": row.created_by_user_id,
        "reviewer_name": row.reviewer_name,
        "reviewed_at": row.reviewed_at.isoformat() if row.reviewed_at else None,
        "review_unit": row.review_unit,
        "review_reason": row.review_reason,
        "person_id": row.person_id,
        "enrollment_id": row.enrollment_id,
    }
    if row.status == "pending":
        person = _person_by_cert(uow, row.cert_type, row.cert_no)
        view["duplicates"] = [] if person is None else [_enrollment_brief(ctx, e) for e in _live_basic(uow, person.id)]
    return view
