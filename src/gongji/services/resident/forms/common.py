"""What the three 附件 forms share: refusal codes, vocabulary, input cleaning, idempotent replay,
the review bookkeeping and the person/enrollment look-ups (seed 002 §五)."""

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
    ResidentRegistration,
    ResidentStop,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain.errors import (
    FourEyesRequired,
    IdempotencyConflict,
    InvalidRequest,
    InvalidStateTransition,
    NotFound,
    ResidentRefusal,
    all_error_classes,
)
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID, parse_id_number
from gongji.domain.registry import (
    EMPLOYEE_BASIC,
    INSUTYPES,
    RESIDENT_BASIC,
    STATUS_ZH,
    EnrollmentStatus,
    scope_prefix,
)
from gongji.services.auth import Role
from gongji.services.registry.persons import Ctx

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


SEX_NAMES = {"1": "男", "2": "女"}
STATUS_NAMES = {
    "pending": "待审核",
    "approved": "已通过",
    "rejected": "未通过",
    "applied": "已变更",
}


BASIC = (EMPLOYEE_BASIC, RESIDENT_BASIC)
_PHONE = re.compile(r"^\+?\d{5,20}$")


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


def _second_clerk(row: ResidentRegistration | ResidentChange | ResidentStop, ctx: Ctx) -> None:
    """Separation of duties (issue 12 Part C): the clerk who entered a form cannot approve it."""
    if row.created_by_user_id is not None and row.created_by_user_id == ctx.principal.user_id:
        raise FourEyesRequired(form_id=row.id)


def _reviewed(row: ResidentRegistration | ResidentChange | ResidentStop, ctx: Ctx, unit: str | None) -> None:
    row.reviewed_by_user_id = ctx.principal.user_id
    row.reviewer_name = ctx.principal.display_name[:50]
    row.reviewed_at = ctx.clock.now()
    row.review_unit = _unit(unit, row.region_code)


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
