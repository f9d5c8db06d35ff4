"""Resident-insurance enrollment forms at the township window (城乡居民参保登记, SPEC §6; seed 002 §五).

Three paper forms of seed 002, each kept as a record that is never deleted (``status`` moves):

- 附件1 《参保登记表》 (:func:`submit_registration`, :func:`review_registration`): first or broken
  enrollment (首次参保或中断参保, §五1). Staff fill it for the applicant; the review approves it —
  the person is registered if new and enrolled in 390 with the person type of the applicant's
  identity — or rejects it with a reason, which writes nothing to the registry.
- 附件2 《参保信息变更登记表》 (:func:`submit_change`, :func:`review_change`): key information
  (姓名, 身份证件号码, 户籍所在地) and non-key information (phone, address), before and after (§五3).
- 附件3 《停保或流出登记表》 (:func:`submit_stop`, :func:`review_stop`): ends the 390 enrollment, or
  transfers it to the region the person moves to, through ``registry.change_enrollment``. Seed
  002 gives only its title; its fields are designed here (docs/resident.md).

Duplicate enrollment (重复参保, 002 §八2) is detected and cleared: :func:`find_duplicates` lists a
person's live basic enrollments (310 or 390, every region) and pending registrations; approving
a registration for someone with a live basic enrollment is refused
(``E_RESIDENT_DUPLICATE_ENROLLMENT``) until staff end the wrong one with
:func:`clear_duplicate` (a reason is required) or reject the application.

Every bad input is refused with its own code before anything is written; the codes are listed in
``CODES`` (docs/resident.md), each raised as its own class of ``domain/errors.py``
(``EnrollmentFormRefusal`` and its subclasses; docs/errors.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import or_, select

from gongji.adapters.db.models import (
    Enrollment,
    Person,
    ResidentAddress,
    ResidentChange,
    ResidentChangeItem,
    ResidentRegistration,
    ResidentStop,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.pdf import forms as pdf
from gongji.adapters.region_data import region_table
from gongji.domain.errors import (
    CertInUse,
    ChangeStale,
    DeclarationOutdated,
    DuplicateEnrollment,
    FormPending,
    IdempotencyConflict,
    InvalidRequest,
    InvalidStateTransition,
    NotFound,
    ResidentRefusal,
    UnknownCode,
    all_error_classes,
)
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID, parse_id_number
from gongji.domain.masking import mask_id_number, mask_name, mask_phone
from gongji.domain.registry import (
    EMPLOYEE_BASIC,
    INSUTYPES,
    RESIDENT_BASIC,
    RESIDENT_PSN_TYPES,
    STATUS_ZH,
    EnrollmentAction,
    EnrollmentStatus,
    scope_prefix,
)
from gongji.domain.resident import graduate_benefits_until, pick_subsidy, student_enrollment_region
from gongji.policy.schema import Profile
from gongji.services.auth import Role
from gongji.services.registry import persons as registry
from gongji.services.registry.persons import Ctx, audit_event, require_reason, require_region_code, validate_name

# --- codes ------------------------------------------------------------------------------------

E_IDENTITY_AGE = "E_RESIDENT_IDENTITY_AGE"
E_SIGNATURE = "E_RESIDENT_SIGNATURE"
E_DECLARATION = "E_RESIDENT_DECLARATION"
E_ID_MISMATCH = "E_RESIDENT_ID_MISMATCH"
E_NAME_MISMATCH = "E_RESIDENT_NAME_MISMATCH"
E_SCHOOL_REGION = "E_RESIDENT_SCHOOL_REGION"
E_DUPLICATE = "E_RESIDENT_DUPLICATE_ENROLLMENT"
E_NOT_DUPLICATE = "E_RESIDENT_NOT_DUPLICATE"
E_PENDING = "E_RESIDENT_PENDING"
E_PERSON_UNKNOWN = "E_RESIDENT_PERSON_UNKNOWN"
E_NOT_ENROLLED = "E_RESIDENT_NOT_ENROLLED"
E_CHANGE_NOOP = "E_RESIDENT_CHANGE_NOOP"
E_CHANGE_STALE = "E_RESIDENT_CHANGE_STALE"
E_CERT_IN_USE = "E_RESIDENT_CERT_IN_USE"
E_STOP_DATE = "E_RESIDENT_STOP_DATE"
E_STOP_DESTINATION = "E_RESIDENT_STOP_DESTINATION"
E_STOP_REASON = "E_RESIDENT_STOP_REASON"
E_GRADUATE_COVERED = "E_RESIDENT_GRADUATE_COVERED"

CODES: dict[str, str] = {
    E_IDENTITY_AGE: "申请人身份与出生日期不符（年龄界限见 IDENTITY_AGE_BOUNDS）",
    E_SIGNATURE: "缺少申请人或监护人签字或签字日期，或签字人不符合要求",
    E_DECLARATION: "声明文本版本不是当前版本",
    E_ID_MISMATCH: "填写的性别或出生日期与身份证号码不一致",
    E_NAME_MISMATCH: "该证件号码已登记在另一姓名下，请先办理信息变更（附件2）",
    E_SCHOOL_REGION: "大学生须填写有效的学籍地（学校所在统筹区）",
    E_DUPLICATE: "该人员已有有效的职工或居民基本医疗保险参保记录（重复参保）",
    E_NOT_DUPLICATE: "该参保记录不构成重复参保，不能按重复参保清理",
    E_PENDING: "已有待审核的同一人员登记表",
    E_PERSON_UNKNOWN: "未找到证件号码与姓名一致的已登记人员",
    E_NOT_ENROLLED: "该人员没有城乡居民医保参保记录",
    E_CHANGE_NOOP: "变更后与变更前相同",
    E_CHANGE_STALE: "登记信息已在填表后发生变化，请重新填写变更登记表",
    E_CERT_IN_USE: "新的证件号码已登记在其他人员名下",
    E_STOP_DATE: "停保（流出）日期不能晚于今天，也不能早于参保开始日期",
    E_STOP_DESTINATION: "流出须填写有效且不同于原参保地的流入地；只有流出可以转移参保关系",
    E_STOP_REASON: "停保原因与人员情况不符（毕业离校仅适用于大学生）",
    E_GRADUATE_COVERED: "在校期间参保的大学生毕业后待遇享受到当年12月31日，此前不能停保",
}
"""Codes of this module, beyond the catalogue's own (E_ID_*, E_UNKNOWN_CODE, E_VALIDATION,
E_RESIDENT_SUBSIDY_UNKNOWN, E_OUT_OF_REGION, E_STATE, E_IDEMPOTENCY_MISMATCH)."""


_REFUSALS: dict[str, type[ResidentRefusal]] = {
    cls.code: cls for cls in all_error_classes() if issubclass(cls, ResidentRefusal) and cls.code in CODES
}
"""Each code of ``CODES`` → its class in ``domain.errors`` (E_RESIDENT_PERSON_UNKNOWN and
E_RESIDENT_NOT_ENROLLED are the 代缴 classes of the same meaning)."""


def _refuse(code: str, zh: str, en: str, **detail: Any) -> ResidentRefusal:
    return _REFUSALS[code](zh, en, **detail)


# --- the 附件1 vocabulary ----------------------------------------------------------------------

IDENTITIES: dict[str, tuple[str, str]] = {
    "newborn": ("1401", "新生儿"),
    "preschool": ("1402", "学龄前儿童"),
    "pupil": ("1403", "中小学生"),
    "college": ("1404", "大学生"),
    "minor": ("1405", "未成年(未入学)"),
    "adult": ("15", "普通居民(成年)"),
}
"""申请人身份 of 附件1 → (NHSA psn_type, the form's wording)."""

IDENTITY_AGE_BOUNDS: dict[str, tuple[int, int | None]] = {
    "newborn": (0, 1),
    "preschool": (0, 7),
    "pupil": (5, 21),
    "college": (15, None),
    "minor": (0, 18),
    "adult": (18, None),
}
"""Whole years of age on the day the form is submitted: ``low ≤ age < high`` (None: no upper
bound). A newborn is before the first birthday; preschool under 7; primary and secondary pupils
5–20 (early school entry, vocational secondary); college students (大中专学生 incl. full-time
postgraduates) from 15 with no upper bound; a minor not in school under 18; an ordinary adult 18
or over. Seed 002 sets no ages: these bounds only catch a wrong box or a mistyped birth date."""

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
SEX_NAMES = {"1": "男", "2": "女"}
STATUS_NAMES = {
    "pending": "待审核",
    "approved": "已通过",
    "rejected": "未通过",
    "applied": "已变更",
}
DECLARATION_VERSION = "002-2022"
DECLARATION_TEXT = (
    "以上信息填报真实，现申请参加城乡居民医保，"
    "并已了解城乡居民基本医疗保险费征收部门和缴费方式，以及每年规定的缴费时间。"
)
"""The applicant's declaration printed above the signature on 附件1 (seed 002, verbatim)."""

BASIC = (EMPLOYEE_BASIC, RESIDENT_BASIC)
_PHONE = re.compile(r"^\+?\d{5,20}$")


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


CHANGE_ITEMS: dict[str, tuple[str, bool]] = {
    "name": ("姓名", True),
    "cert_no": ("身份证件号码", True),
    "hukou_region": ("户籍所在地", True),
    "hukou_village": ("户籍所在地村(社区)", True),
    "phone": ("联系电话", False),
    "township": ("通讯地址乡/镇(街道)", False),
    "address": ("通讯地址", False),
}
"""变更项目 → (the form's wording, key information 关键信息?). 002 §五3 names 姓名、身份证号码、户籍
所在地 as key information; the rest is non-key. Derived rows (sex, birth date) follow an ID change."""
DERIVED_ITEMS = {"sex": "性别", "birth_date": "出生日期"}


@dataclass(frozen=True)
class ChangeRowIn:
    """One row of 附件2: the person as registered (ID number and name), what changes to what."""

    cert_no: str
    name: str
    item: str
    after: str
    signed_by: str = ""
    remark: str | None = None


@dataclass(frozen=True)
class ChangeIn:
    filler_name: str
    filler_phone: str
    rows: tuple[ChangeRowIn, ...]
    filled_on: date | None = None


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


@dataclass
class Submitted:
    """A submitted form and whether it answers a replay of the same idempotency key."""

    form_id: int
    replayed: bool
    view: dict[str, Any] = field(default_factory=dict)


# --- helpers -------------------------------------------------------------------------------------

Row = TypeVar("Row", ResidentRegistration, ResidentChange, ResidentStop)


def _staff(ctx: Ctx) -> None:
    ctx.principal.require(Role.STAFF)


def _digest(kind: str, form: Any) -> str:
    text = json.dumps({"kind": kind, "form": asdict(form)}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _replay(uow: UnitOfWork, model: type[Row], key: str | None, digest: str) -> Row | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 255:
        raise InvalidRequest("幂等键为1-255个字符", "Idempotency key: 1-255 characters", field="Idempotency-Key")
    row = uow.session.scalar(select(model).where(model.idempotency_key == key))
    if row is not None and row.request_hash != digest:
        raise IdempotencyConflict()
    return row


def _text(value: str | None, n: int, field: str, *, required: bool = False, zh: str = "") -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise InvalidRequest(f"请填写{zh}", f"{field} is required", field=field)
        return None
    if len(cleaned) > n:
        raise InvalidRequest(f"{zh}不超过{n}个字", f"{field}: at most {n} characters", field=field)
    return cleaned


def _phone(value: str | None, field: str, *, required: bool = False) -> str | None:
    cleaned = (value or "").strip().replace(" ", "").replace("-", "")
    if not cleaned:
        if required:
            raise InvalidRequest("请填写联系电话", "A phone number is required", field=field)
        return None
    if not _PHONE.match(cleaned):
        raise InvalidRequest("联系电话格式错误", "Malformed phone number", field=field)
    return cleaned


def age_on(birth: date, day: date) -> int:
    """Whole years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _signature(name: str | None, signed_on: date | None, today: date, *, field: str) -> tuple[str, date]:
    cleaned = (name or "").strip()
    if not cleaned or len(cleaned) > 50:
        raise _refuse(
            E_SIGNATURE, "缺少申请人或监护人签字", "The applicant's or guardian's signature is missing", field=field
        )
    if signed_on is None or signed_on > today:
        raise _refuse(
            E_SIGNATURE,
            "请填写签字日期（不能晚于今天）",
            "The signature date is missing or in the future",
            field="signed_on",
        )
    return cleaned, signed_on


def _in_scope(ctx: Ctx, column: Any) -> Any:
    return or_(*[column.startswith(scope_prefix(r)) for r in ctx.principal.regions])


def _region_name(code: str | None) -> str:
    return region_table().full_name(code) if code else ""


def _unit(unit: str | None, region_code: str) -> str:
    cleaned = (unit or "").strip()
    if len(cleaned) > 100:
        raise InvalidRequest("受理单位不超过100个字", "Unit: at most 100 characters", field="unit")
    return cleaned or f"{region_table().name(region_code)}医疗保障经办机构"


def _normalize_cert(cert_type: str, cert_no: str, today: date) -> str:
    if cert_type == CERT_TYPE_RESIDENT_ID:
        return parse_id_number(cert_no or "", today=today, region_known=region_table().is_known).value
    return (cert_no or "").strip().upper()


def _person_by_cert(uow: UnitOfWork, cert_type: str, cert_no: str) -> Person | None:
    return uow.session.scalar(select(Person).where(Person.cert_type == cert_type, Person.cert_no == cert_no))


def _live_basic(uow: UnitOfWork, person_id: int) -> list[Enrollment]:
    return list(
        uow.session.scalars(
            select(Enrollment)
            .where(
                Enrollment.person_id == person_id,
                Enrollment.insutype.in_(BASIC),
                Enrollment.status != EnrollmentStatus.TERMINATED.value,
            )
            .order_by(Enrollment.id)
        )
    )


def _enrollment_brief(ctx: Ctx, e: Enrollment) -> dict[str, Any]:
    return {
        "enrollment_id": e.id,
        "person_id": e.person_id,
        "insutype": e.insutype,
        "insutype_name": INSUTYPES.get(e.insutype, e.insutype),
        "region_code": e.region_code,
        "region_name": _region_name(e.region_code),
        "status": e.status,
        "status_name": STATUS_ZH.get(EnrollmentStatus(e.status), e.status),
        "psn_type": e.psn_type,
        "start_date": e.start_date.isoformat(),
        "can_clear": ctx.principal.role is Role.STAFF
        and any(e.region_code.startswith(scope_prefix(r)) for r in ctx.principal.regions),
    }


def _set_address(
    uow: UnitOfWork, ctx: Ctx, person_id: int, **values: str | None
) -> tuple[ResidentAddress, dict[str, str | None]]:
    row = uow.session.get(ResidentAddress, person_id)
    if row is None:
        row = ResidentAddress(person_id=person_id, updated_at=ctx.clock.now())
        uow.session.add(row)
    before = {k: getattr(row, k) for k in values}
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = ctx.clock.now()
    return row, before


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
    subsidy = pick_subsidy(codes, profile.resident.subsidy)  # SubsidyUnknown for a code the profile lacks
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
            school_region=school_region, household_region=form.hukou_region, subsidy=subsidy
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


def _get(uow: UnitOfWork, ctx: Ctx, model: type[Row], form_id: int) -> Row:
    _staff(ctx)
    row = uow.session.get(model, form_id)
    if row is None:
        raise NotFound("登记表不存在", "Form not found", form_id=form_id)
    ctx.principal.require_region(row.region_code)
    return row


def _pending(row: ResidentRegistration | ResidentChange | ResidentStop) -> None:
    if row.status != "pending":
        raise InvalidStateTransition(
            f"该登记表已审核（{STATUS_NAMES.get(row.status, row.status)}），不能重复审核",
            "This form was already reviewed",
            status=row.status,
        )


def _reviewed(row: ResidentRegistration | ResidentChange | ResidentStop, ctx: Ctx, unit: str | None) -> None:
    row.reviewed_by_user_id = ctx.principal.user_id
    row.reviewer_name = ctx.principal.display_name[:50]
    row.reviewed_at = ctx.clock.now()
    row.review_unit = _unit(unit, row.region_code)


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


# --- 附件2: information change -----------------------------------------------------------------------


def _person_by_row(uow: UnitOfWork, cert_no: str, name: str, *, field: str) -> Person:
    cert = (cert_no or "").strip().upper()
    person = uow.session.scalars(select(Person).where(Person.cert_no == cert).order_by(Person.id)).first()
    if person is None or person.name != (name or "").strip():
        raise _refuse(
            E_PERSON_UNKNOWN,
            "未找到证件号码与姓名一致的已登记人员",
            "No registered person has this ID number and name",
            field=field,
        )
    return person


def _resident_enrollment(uow: UnitOfWork, ctx: Ctx, person_id: int, *, live: bool) -> Enrollment:
    """The person's 390 enrollment in the staff member's regions (live ones first)."""
    query = select(Enrollment).where(Enrollment.person_id == person_id, Enrollment.insutype == RESIDENT_BASIC)
    if live:
        query = query.where(Enrollment.status != EnrollmentStatus.TERMINATED.value)
    found = list(uow.session.scalars(query.order_by(Enrollment.id.desc())))
    found.sort(key=lambda e: e.status == EnrollmentStatus.TERMINATED.value)
    if not found:
        raise _refuse(
            E_NOT_ENROLLED,
            "该人员没有有效的城乡居民医保参保记录" if live else "该人员没有城乡居民医保参保记录",
            "The person has no resident-insurance enrollment",
            person_id=person_id,
        )
    for e in found:
        if any(e.region_code.startswith(scope_prefix(r)) for r in ctx.principal.regions):
            return e
    ctx.principal.require_region(found[0].region_code)  # raises OutOfRegion
    raise AssertionError("unreachable")


def _current(uow: UnitOfWork, person: Person, item: str) -> str | None:
    if item in ("name", "cert_no", "hukou_region", "phone"):
        value = getattr(person, item)
        return str(value) if value is not None else None
    address = uow.session.get(ResidentAddress, person.id)
    return getattr(address, item) if address is not None else None


def _after(uow: UnitOfWork, ctx: Ctx, person: Person, item: str, raw: str, *, field: str) -> str:
    """The new value, validated as registration would (an ID number is re-validated)."""
    value = (raw or "").strip()
    if item == "name":
        return validate_name(value)
    if item == "cert_no":
        if person.cert_type == CERT_TYPE_RESIDENT_ID:
            value = parse_id_number(value, today=ctx.clock.today(), region_known=region_table().is_known).value
        elif not re.fullmatch(r"[0-9A-Z()（）\-]{4,50}", value.upper()):
            raise InvalidRequest("证件号码格式错误", "Malformed certificate number", field=field)
        other = _person_by_cert(uow, person.cert_type, value.upper())
        if other is not None and other.id != person.id:
            raise CertInUse(
                "新的证件号码已登记在其他人员名下",
                "The new number belongs to another person",
                field=field,
            )
        return value.upper()
    if item == "hukou_region":
        return require_region_code(value, field=field)
    if item == "phone":
        return _phone(value, field, required=True) or ""
    n = 200 if item == "address" else 100
    return _text(value, n, field, required=True, zh=CHANGE_ITEMS[item][0]) or ""


def submit_change(uow: UnitOfWork, ctx: Ctx, form: ChangeIn, *, idempotency_key: str | None = None) -> Submitted:
    """Record 附件2 as pending (002 §五3): each row is checked against the person's current record
    (its 变更前), the new value validated; nothing is changed until the review applies it."""
    _staff(ctx)
    digest = _digest("change", form)
    replayed = _replay(uow, ResidentChange, idempotency_key, digest)
    if replayed is not None:
        return Submitted(replayed.id, True, change_view(uow, ctx, replayed))
    today = ctx.clock.today()
    filler = _text(form.filler_name, 50, "filler_name", required=True, zh="填报人") or ""
    phone = _phone(form.filler_phone, "filler_phone", required=True) or ""
    filled_on = form.filled_on or today
    if filled_on > today:
        raise InvalidRequest("填表日期不能晚于今天", "Filled-on date is in the future", field="filled_on")
    rows = [r for r in form.rows if (r.cert_no or r.name or r.after or "").strip()]
    if not 1 <= len(rows) <= 20:
        raise InvalidRequest("请填写1-20行变更内容", "1 to 20 change rows", field="rows")
    seen: set[tuple[int, str]] = set()
    checked: list[tuple[ChangeRowIn, Person, str | None, str]] = []
    region: str | None = None
    for index, r in enumerate(rows, start=1):
        at = f"rows[{index}]"
        person = _person_by_row(uow, r.cert_no, r.name, field=f"{at}.cert_no")
        enrollment = _resident_enrollment(uow, ctx, person.id, live=False)
        region = region or enrollment.region_code
        if r.item not in CHANGE_ITEMS:
            raise UnknownCode("变更项目不存在", "Unknown change item", field=f"{at}.item", value=r.item)
        if (person.id, r.item) in seen:
            raise InvalidRequest("同一人员的同一项目只能填写一行", "One row per person and item", field=f"{at}.item")
        seen.add((person.id, r.item))
        if not (r.signed_by or "").strip() or len(r.signed_by.strip()) > 50:
            raise _refuse(E_SIGNATURE, f"第{index}行缺少签字", f"Row {index} is not signed", field=f"{at}.signed_by")
        _text(r.remark, 200, f"{at}.remark", zh="备注")
        before = _current(uow, person, r.item)
        after = _after(uow, ctx, person, r.item, r.after, field=f"{at}.after")
        if after == (before or ""):
            raise _refuse(
                E_CHANGE_NOOP, f"第{index}行变更后与变更前相同", f"Row {index} changes nothing", field=f"{at}.after"
            )
        pending = uow.session.scalar(
            select(ResidentChange.id)
            .join(ResidentChangeItem, ResidentChangeItem.change_id == ResidentChange.id)
            .where(ResidentChangeItem.person_id == person.id, ResidentChange.status == "pending")
        )
        if pending is not None:
            raise FormPending(
                "该人员已有待审核的信息变更登记表",
                "A change form for this person is pending",
                form_id=pending,
            )
        checked.append((r, person, before, after))
    assert region is not None
    change = ResidentChange(
        idempotency_key=idempotency_key,
        request_hash=digest if idempotency_key else None,
        status="pending",
        region_code=region,
        filler_name=filler,
        filler_phone=phone,
        filled_on=filled_on,
        is_key=any(CHANGE_ITEMS[r.item][1] for r, *_ in checked),
        channel=ctx.channel.name[:10],
        created_by_user_id=ctx.principal.user_id,
        created_at=ctx.clock.now(),
    )
    uow.session.add(change)
    uow.session.flush()
    for seq, (r, person, before, after) in enumerate(checked, start=1):
        uow.session.add(
            ResidentChangeItem(
                change_id=change.id,
                seq=seq,
                person_id=person.id,
                cert_no=person.cert_no,
                name=person.name,
                item=r.item,
                is_key=CHANGE_ITEMS[r.item][1],
                before_value=before,
                after_value=after,
                signed_by=r.signed_by.strip(),
                remark=(r.remark or "").strip() or None,
                derived=False,
            )
        )
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        "resident.change.submit",
        "resident_change",
        change.id,
        items=[r.item for r, *_ in checked],
        persons=sorted({p.id for _, p, *_ in checked}),
    )
    return Submitted(change.id, False, change_view(uow, ctx, change))


def _items(uow: UnitOfWork, change_id: int) -> list[ResidentChangeItem]:
    return list(
        uow.session.scalars(
            select(ResidentChangeItem).where(ResidentChangeItem.change_id == change_id).order_by(ResidentChangeItem.seq)
        )
    )


def _shown(item: str, value: str | None) -> str | None:
    """A before/after value as the audit log keeps it (names and numbers masked)."""
    if value is None:
        return None
    if item == "name":
        return mask_name(value)
    if item == "cert_no":
        return mask_id_number(value)
    if item == "phone":
        return mask_phone(value)
    return value


def review_change(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    change_id: int,
    approve: bool,
    opinion: str | None = None,
    unit: str | None = None,
) -> ResidentChange:
    """经办机构意见 on 附件2: approve → every row applied to its person (the current value must
    still be the row's 变更前, a new ID number is validated again, and sex and birth date follow
    it as derived rows); reject → the opinion is kept and nothing changes."""
    change = _get(uow, ctx, ResidentChange, change_id)
    _pending(change)
    items = _items(uow, change.id)
    if approve:
        seq = len(items)
        for row in items:
            person = registry.get_person(uow, row.person_id)
            field_name = f"rows[{row.seq}].after"
            if (_current(uow, person, row.item) or None) != (row.before_value or None):
                raise ChangeStale(
                    f"第{row.seq}行的变更前信息已变化，请重新填写变更登记表",
                    "The record changed since the form was filled",
                    field=field_name,
                )
            after = _after(uow, ctx, person, row.item, row.after_value, field=field_name)
            if row.item in ("hukou_village", "township", "address"):
                _set_address(uow, ctx, person.id, **{row.item: after})
            else:
                setattr(person, row.item, after)
            if row.item == "cert_no" and person.cert_type == CERT_TYPE_RESIDENT_ID:
                parsed = parse_id_number(after, today=ctx.clock.today())
                derived = {"sex": parsed.sex, "birth_date": parsed.birth_date.isoformat()}
                current = {
                    "sex": person.sex,
                    "birth_date": person.birth_date.isoformat() if person.birth_date else None,
                }
                for key, value in derived.items():
                    if current[key] != value:
                        seq += 1
                        uow.session.add(
                            ResidentChangeItem(
                                change_id=change.id,
                                seq=seq,
                                person_id=person.id,
                                cert_no=row.cert_no,
                                name=row.name,
                                item=key,
                                is_key=True,
                                before_value=current[key],
                                after_value=value,
                                signed_by=row.signed_by,
                                remark="由新身份证号码重新核定",
                                derived=True,
                            )
                        )
                person.sex = parsed.sex
                person.birth_date = parsed.birth_date
            uow.session.flush()
            audit_event(
                uow,
                ctx,
                "person.change",
                "person",
                person.id,
                change_id=change.id,
                item=row.item,
                before=_shown(row.item, row.before_value),
                after=_shown(row.item, after),
            )
        change.status = "applied"
        change.applied_at = ctx.clock.now()
        change.opinion = _text(opinion, 200, "opinion", zh="经办机构意见") or "同意变更"
    else:
        change.opinion = require_reason(opinion)
        change.status = "rejected"
    _reviewed(change, ctx, unit)
    uow.session.flush()
    audit_event(uow, ctx, f"resident.change.{'apply' if approve else 'reject'}", "resident_change", change.id)
    return change


def change_view(uow: UnitOfWork, ctx: Ctx, change: ResidentChange, *, masked: bool = True) -> dict[str, Any]:
    rows = []
    for r in _items(uow, change.id):
        label = CHANGE_ITEMS.get(r.item, (DERIVED_ITEMS.get(r.item, r.item), True))[0]
        rows.append(
            {
                "seq": r.seq,
                "person_id": r.person_id,
                "cert_no": mask_id_number(r.cert_no) if masked else r.cert_no,
                "name": mask_name(r.name) if masked else r.name,
                "item": r.item,
                "item_name": label,
                "is_key": r.is_key,
                "before": _shown(r.item, r.before_value) if masked else r.before_value,
                "after": _shown(r.item, r.after_value) if masked else r.after_value,
                "signed_by": mask_name(r.signed_by) if masked else r.signed_by,
                "remark": r.remark,
                "derived": r.derived,
            }
        )
    return {
        "kind": "change",
        "form_id": change.id,
        "status": change.status,
        "status_name": STATUS_NAMES.get(change.status, change.status),
        "region_code": change.region_code,
        "region_name": _region_name(change.region_code),
        "filler_name": mask_name(change.filler_name) if masked else change.filler_name,
        "filler_phone": mask_phone(change.filler_phone) if masked else change.filler_phone,
        "filled_on": change.filled_on.isoformat(),
        "is_key": change.is_key,
        "rows": rows,
        "created_at": change.created_at.isoformat(),
        "reviewer_name": change.reviewer_name,
        "reviewed_at": change.reviewed_at.isoformat() if change.reviewed_at else None,
        "review_unit": change.review_unit,
        "opinion": change.opinion,
        "applied_at": change.applied_at.isoformat() if change.applied_at else None,
    }


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
        "reviewer_name": row.reviewer_name,
        "reviewed_at": row.reviewed_at.isoformat() if row.reviewed_at else None,
        "review_unit": row.review_unit,
        "opinion": row.opinion,
        "applied_at": row.applied_at.isoformat() if row.applied_at else None,
    }


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


# --- reads and printouts ---------------------------------------------------------------------------

MODELS: dict[str, type[ResidentRegistration] | type[ResidentChange] | type[ResidentStop]] = {
    "registration": ResidentRegistration,
    "change": ResidentChange,
    "stop": ResidentStop,
}
KIND_NAMES = {
    "registration": "参保登记表（附件1）",
    "change": "参保信息变更登记表（附件2）",
    "stop": "停保或流出登记表（附件3）",
}


def _kind(kind: str) -> type[ResidentRegistration] | type[ResidentChange] | type[ResidentStop]:
    if kind not in MODELS:
        raise UnknownCode("登记表类型不存在", "Unknown form kind", field="kind", value=kind)
    return MODELS[kind]


def view(
    uow: UnitOfWork, ctx: Ctx, kind: str, row: Any, *, profile: Profile | None = None, masked: bool = True
) -> dict[str, Any]:
    if kind == "registration":
        return registration_view(uow, ctx, row, profile=profile, masked=masked)
    if kind == "change":
        return change_view(uow, ctx, row, masked=masked)
    return stop_view(uow, ctx, row, masked=masked)


def list_forms(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    kind: str,
    status: str | None = "pending",
    limit: int = 50,
    profile: Profile | None = None,
) -> list[dict[str, Any]]:
    """Forms of one kind in the staff member's regions, newest first, masked."""
    _staff(ctx)
    model = _kind(kind)
    if status is not None and status not in STATUS_NAMES:
        raise UnknownCode("状态不存在", "Unknown status", field="status", value=status)
    query = select(model).where(_in_scope(ctx, model.region_code))
    if status is not None:
        query = query.where(model.status == status)
    rows = uow.session.scalars(query.order_by(model.id.desc()).limit(max(1, min(limit, 200))))
    return [view(uow, ctx, kind, r, profile=profile) for r in rows]


def get_form(uow: UnitOfWork, ctx: Ctx, *, kind: str, form_id: int, profile: Profile | None = None) -> dict[str, Any]:
    """The whole form (names and numbers in full), for staff in its region; the read is audited."""
    model: Any = _kind(kind)
    row = _get(uow, ctx, model, form_id)
    audit_event(uow, ctx, f"resident.{kind}.read", f"resident_{kind}", form_id)
    return view(uow, ctx, kind, row, profile=profile, masked=False)


def form_pdf(
    uow: UnitOfWork, ctx: Ctx, *, kind: str, form_id: int, profile: Profile | None = None
) -> tuple[str, bytes]:
    """The printable form (A4, Chinese, the seed's layout, filled in; nothing masked: it is the
    staff's own printout of a form they hold on paper). The print is audited; the ID number is
    never logged. Returns (file name, PDF bytes)."""
    data = get_form(uow, ctx, kind=kind, form_id=form_id, profile=profile)
    audit_event(uow, ctx, f"resident.{kind}.print", f"resident_{kind}", form_id)
    county = region_table().name(data["region_code"])
    if kind == "registration":
        return f"resident-registration-{form_id}.pdf", pdf.render_registration(
            _registration_sheet(data, county, profile)
        )
    if kind == "change":
        return f"resident-change-{form_id}.pdf", pdf.render_change(_change_sheet(data, county))
    return f"resident-stop-{form_id}.pdf", pdf.render_stop(_stop_sheet(data, county))


def _review(data: dict[str, Any], opinion_key: str) -> pdf.Review:
    status = data["status"]
    reviewed = date.fromisoformat(data["reviewed_at"][:10]) if data["reviewed_at"] else None
    return pdf.Review(
        decided=None if status == "pending" else status in ("approved", "applied"),
        reviewer=data["reviewer_name"] or "",
        unit=data["review_unit"] or "",
        on=reviewed,
        note=data.get(opinion_key) or "",
    )


def _region_parts(code: str) -> tuple[str, str, str]:
    table = region_table()
    county = table.get(code)
    city = table.get(county.parent_code) if county and county.parent_code else None
    province = table.get(city.parent_code) if city and city.parent_code else None
    return (province.name if province else "", city.name if city else "", county.name if county else code)


def _registration_sheet(d: dict[str, Any], county: str, profile: Profile | None) -> pdf.RegistrationSheet:
    province, city, hukou_county = _region_parts(d["hukou_region"])
    return pdf.RegistrationSheet(
        title=f"{county}城乡居民基本医疗保险参保登记表",
        serial=f"登记编号 R{d['form_id']:08d}",
        name=d["name"],
        cert_type_name=d["cert_type_name"],
        cert_no=d["cert_no"],
        sex=d["sex"],
        birth_date=date.fromisoformat(d["birth_date"]),
        phone=d["phone"] or "",
        household_label="居住证登记地" if d["household_kind"] == "permit" else "户籍所在地",
        province=province,
        city=city,
        county=hukou_county,
        village=d["hukou_village"] or "",
        township=d["township"],
        address=d["address"] or "",
        identities=[(zh, key == d["applicant_identity"]) for key, (_psn, zh) in IDENTITIES.items()],
        subsidies=_subsidy_boxes(d, profile),
        enrollment=f"{d['enroll_region_name']} · {d['psn_type_name']}"
        + (f" · 学校：{d['school_name'] or ''}（学籍地 {d['school_region_name']}）" if d["school_region"] else "")
        + (" · 新生儿不设待遇等待期" if d["no_waiting_period"] else ""),
        declaration=DECLARATION_TEXT,
        signer=f"{d['signer_name']}（{d['signer_role_name']}）",
        signed_on=date.fromisoformat(d["signed_on"]),
        review=_review(d, "review_reason"),
    )


def _subsidy_boxes(d: dict[str, Any], profile: Profile | None) -> list[tuple[str, bool]]:
    """财政补助对象 as boxes: the profile's categories, ticked where the form has them (and any code
    on the form that the profile no longer has, ticked)."""
    chosen = set(d["subsidy_codes"])
    known = list(profile.resident.subsidy) if profile is not None else []
    boxes = [(s.name, s.code in chosen) for s in known]
    codes = {s.code for s in known}
    return boxes + [
        (name, True) for code, name in zip(d["subsidy_codes"], d["subsidy_names"], strict=True) if code not in codes
    ]


def _change_sheet(d: dict[str, Any], county: str) -> pdf.ChangeSheet:
    return pdf.ChangeSheet(
        title=f"{county}城乡居民基本医疗保险参保信息变更登记表",
        serial=f"变更编号 C{d['form_id']:08d}",
        filler=d["filler_name"],
        phone=d["filler_phone"],
        is_key=d["is_key"],
        filled_on=date.fromisoformat(d["filled_on"]),
        rows=[
            pdf.ChangeLine(
                seq=r["seq"],
                cert_no=r["cert_no"],
                name=r["name"],
                item=r["item_name"],
                before=r["before"] or "",
                after=r["after"],
                signed_by=r["signed_by"],
                remark=r["remark"] or "",
            )
            for r in d["rows"]
        ],
        review=_review(d, "opinion"),
    )


def _stop_sheet(d: dict[str, Any], county: str) -> pdf.StopSheet:
    return pdf.StopSheet(
        title=f"{county}城乡居民基本医疗保险停保或流出登记表",
        serial=f"停保编号 S{d['form_id']:08d}",
        name=d["name"],
        cert_no=d["cert_no"],
        sex=d["sex_name"],
        birth_date=d["birth_date"] or "",
        insured_region=d["region_name"],
        psn_type=d["psn_type_name"],
        enrollment_start=d["enrollment_start"],
        reasons=[(zh, key == d["reason"]) for key, zh in STOP_REASONS.items()],
        reason_note=d["reason_note"] or "",
        effective_date=date.fromisoformat(d["effective_date"]),
        destination=d["destination_region_name"] or "",
        handling="转移参保关系至流入地" if d["transfer"] else "终止参保",
        graduated_on=d["graduated_on"] or "",
        applicant=f"{d['applicant_name']}（{d['applicant_role_name']}）",
        applicant_phone=d["applicant_phone"] or "",
        signed_on=date.fromisoformat(d["signed_on"]),
        review=_review(d, "opinion"),
    )
