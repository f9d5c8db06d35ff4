"""Registry use cases: employers, persons, enrollments, personal-account income, rollover.

Staff act only within their regions (SPEC §9); every change is audited in the same
transaction; money moves only through ``services.ledger.post``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from gongji.adapters.db.models import (
    Employer,
    Enrollment,
    EnrollmentEvent,
    LedgerAccount,
    Person,
    PersonalAccount,
    Settlement,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import ledger as L
from gongji.domain.clock import Clock
from gongji.domain.errors import (
    DuplicateRecord,
    InvalidRequest,
    InvalidStateTransition,
    NotFound,
    UnknownCode,
)
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID, parse_id_number
from gongji.domain.masking import mask_id_number, mask_name, mask_phone
from gongji.domain.money import require_positive_fen
from gongji.domain.registry import (
    EMPLOYEE_BASIC,
    EMPLOYEE_INSUTYPES,
    EMPLOYEE_PSN_TYPES,
    INSUTYPES,
    RESIDENT_PSN_TYPES,
    RETIRED,
    EnrollmentAction,
    EnrollmentStatus,
    next_status,
    scope_prefix,
)
from gongji.services import audit, ledger
from gongji.services.audit import Channel
from gongji.services.auth import Principal, Role

_NAME = re.compile(r"^[\u3400-\u9fff\uf900-\ufaffA-Za-z·•．.\s]{1,50}$")
_PHONE = re.compile(r"^\+?\d{5,20}$")
_CERT_TYPES = {"01", "02", "03", "04", "05", "06", "07", "08", "16", "17", "90", "99"}
MAX_START_AHEAD = timedelta(days=366)  # an enrollment may be registered up to a year ahead
INCOME_KINDS = {"employee_contribution": "在职职工个人缴费划入", "retiree_credit": "退休人员定额划入"}


@dataclass(frozen=True)
class Ctx:
    """Who is acting, through which channel, on which clock."""

    principal: Principal
    channel: Channel
    clock: Clock


def audit_event(uow: UnitOfWork, ctx: Ctx, action: str, entity: str, entity_id: object, **detail: Any) -> None:
    """The audit row of a use case's change or read, by the acting principal (same transaction)."""
    audit.record(
        uow,
        actor=ctx.principal,
        action=action,
        entity=entity,
        entity_id=entity_id,
        now=ctx.clock.now(),
        channel=ctx.channel,
        detail=detail,
    )


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


def get_person(uow: UnitOfWork, person_id: int) -> Person:
    """The person, or NotFound."""
    person = uow.session.get(Person, person_id)
    if person is None:
        raise NotFound("人员不存在", "Person not found", person_id=person_id)
    return person


def _live_enrollments(uow: UnitOfWork, person_id: int) -> list[Enrollment]:
    return list(
        uow.session.scalars(
            select(Enrollment)
            .where(Enrollment.person_id == person_id, Enrollment.status != EnrollmentStatus.TERMINATED.value)
            .order_by(Enrollment.id)
        )
    )


def person_regions(uow: UnitOfWork, person_id: int) -> list[str]:
    """The pooling regions a person is (or was) insured in, for scope checks."""
    return list(uow.session.scalars(select(Enrollment.region_code).where(Enrollment.person_id == person_id).distinct()))


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
) -> Enrollment:
    """Enroll a person: employees through their employer, residents directly.

    Employees get a personal account (current year and past years) in the ledger.
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


def open_personal_account(
    uow: UnitOfWork, *, person_id: int, region_code: str, opened_on: date, ctx: Ctx
) -> PersonalAccount:
    account = uow.session.scalar(select(PersonalAccount).where(PersonalAccount.person_id == person_id))
    if account is None:
        account = PersonalAccount(person_id=person_id, status="normal", opened_on=opened_on)
        uow.session.add(account)
    now = ctx.clock.now()
    for code in (L.personal_current(person_id), L.personal_past(person_id)):
        ledger.ensure_account(
            uow, code=code, kind=L.AccountKind.PERSONAL, now=now, person_id=person_id, region_code=region_code
        )
    uow.session.flush()
    return account


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


# --- personal-account money ----------------------------------------------------------------


def post_account_income(
    uow: UnitOfWork,
    ctx: Ctx,
    *,
    person_id: int,
    month: str,
    kind: str,
    amount_fen: int,
    idempotency_key: str,
) -> ledger.PostResult:
    """Credit a month's income to the current-year personal account.

    Working employees: their own contribution (about 2% of the base, notes §1.1) remitted by
    the employer; retirees: the fixed credit from the pooled fund.
    """
    ctx.principal.require(Role.STAFF)
    request = {"op": "account_income", "person_id": person_id, "month": month, "kind": kind, "amount_fen": amount_fen}
    if kind not in INCOME_KINDS:
        raise UnknownCode("入账类型不存在", "Unknown income kind", field="kind", value=kind)
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month or ""):
        raise InvalidRequest("月份格式应为YYYY-MM", "Month must be YYYY-MM", field="month")
    require_positive_fen(amount_fen)
    e = uow.session.scalar(
        select(Enrollment).where(
            Enrollment.person_id == person_id,
            Enrollment.insutype == EMPLOYEE_BASIC,
            Enrollment.status != EnrollmentStatus.TERMINATED.value,
        )
    )
    if e is None:
        raise NotFound("该人员没有职工医保参保记录", "No employee enrollment for this person", person_id=person_id)
    ctx.principal.require_region(e.region_code)
    if e.status != EnrollmentStatus.NORMAL.value:
        raise InvalidStateTransition(
            "参保状态非正常，不能划入个人账户", "Enrollment is not normal; no income can be posted"
        )
    if (kind == "retiree_credit") != (e.psn_type == RETIRED):
        raise InvalidRequest("入账类型与人员类别不符", "Income kind does not match the person type", field="kind")
    source = f"external:{kind}:{e.region_code}"
    ledger.ensure_account(uow, code=source, kind=L.AccountKind.EXTERNAL, now=ctx.clock.now(), region_code=e.region_code)
    result = ledger.post(
        uow,
        L.TransactionDraft(
            idempotency_key=idempotency_key,
            kind=f"income.{kind}",
            narration=f"{month} {INCOME_KINDS[kind]}",
            postings=L.transfer(source, L.personal_current(person_id), amount_fen),
        ),
        request=request,
        now=ctx.clock.now(),
        user_id=ctx.principal.user_id,
        extra={"person_id": person_id, "month": month},
    )
    if not result.replayed:
        audit_event(
            uow,
            ctx,
            "account.income",
            "person",
            person_id,
            month=month,
            kind=kind,
            amount_fen=amount_fen,
            txn_id=result.body["txn_id"],
        )
    return result


def year_end_rollover(uow: UnitOfWork, ctx: Ctx, *, year: int, person_ids: list[int]) -> int:
    """Move each current-year balance into past years (历年结余); idempotent per person and year."""
    moved = 0
    for person_id in person_ids:
        current = ledger.balances_of(uow, [L.personal_current(person_id)])[L.personal_current(person_id)]
        if current <= 0:
            continue
        result = ledger.post(
            uow,
            L.TransactionDraft(
                idempotency_key=f"rollover:{year}:{person_id}",
                kind="rollover",
                narration=f"{year}年度当年余额结转历年",
                postings=L.transfer(L.personal_current(person_id), L.personal_past(person_id), current),
            ),
            request={"op": "rollover", "year": year, "person_id": person_id},
            now=ctx.clock.now(),
            user_id=ctx.principal.user_id,
        )
        moved += 0 if result.replayed else 1
    if moved:
        audit_event(uow, ctx, "account.rollover", "ledger", year, persons=moved)
    return moved


def persons_with_accounts(uow: UnitOfWork, *, after_id: int, limit: int) -> list[int]:
    return list(
        uow.session.scalars(
            select(PersonalAccount.person_id)
            .where(PersonalAccount.person_id > after_id)
            .order_by(PersonalAccount.person_id)
            .limit(limit)
        )
    )


# --- reads ---------------------------------------------------------------------------------


def account_balances(uow: UnitOfWork, person_id: int) -> dict[str, int] | None:
    if uow.session.scalar(select(PersonalAccount.id).where(PersonalAccount.person_id == person_id)) is None:
        return None
    b = ledger.balances_of(uow, [L.personal_current(person_id), L.personal_past(person_id)])
    current, past = b[L.personal_current(person_id)], b[L.personal_past(person_id)]
    return {"current_fen": current, "past_years_fen": past, "total_fen": current + past}


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
    """Staff search by exact ID number, or by name prefix, within the staff member's regions."""
    ctx.principal.require(Role.STAFF)
    query = (query or "").strip().upper()
    if not (1 <= len(query) <= 50):
        raise InvalidRequest("请输入1-50个字符的姓名或证件号码", "Query: 1-50 characters", field="q")
    limit = max(1, min(limit, 200))
    scope = or_(*[Enrollment.region_code.startswith(scope_prefix(r)) for r in ctx.principal.regions])
    cond = Person.cert_no == query if re.fullmatch(r"[0-9X]{15,18}", query) else Person.name.startswith(query)
    rows = uow.session.execute(
        select(Person, Enrollment)
        .join(Enrollment, Enrollment.person_id == Person.id)
        .where(cond, scope)
        .order_by(Person.id, Enrollment.id)
        .limit(limit * 3)
    ).all()
    seen: dict[int, dict[str, Any]] = {}
    for person, e in rows:
        item = seen.setdefault(
            person.id,
            {
                "person_id": person.id,
                "name": mask_name(person.name),
                "cert_no": mask_id_number(person.cert_no),
                "phone": mask_phone(person.phone),
                "enrollments": [],
            },
        )
        item["enrollments"].append({"insutype": e.insutype, "region_code": e.region_code, "status": e.status})
    return list(seen.values())[:limit]


def count_persons(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(Person)) or 0)


def count_personal_accounts(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(PersonalAccount)) or 0)


def require_reason(reason: str | None) -> str:
    cleaned = (reason or "").strip()
    if not 2 <= len(cleaned) <= 200:
        raise InvalidRequest("请填写原因（2-200字）", "A reason of 2-200 characters is required", field="reason")
    return cleaned


def reverse_transaction(
    uow: UnitOfWork, ctx: Ctx, *, txn_id: int, reason: str, idempotency_key: str
) -> ledger.PostResult:
    """Staff fix a mistaken posting by a reversing entry (never an edit), within their regions."""
    ctx.principal.require(Role.STAFF)
    reason = require_reason(reason)
    touched = ledger.account_codes_of(uow, txn_id)
    if not touched:
        raise NotFound("交易不存在", "Transaction not found", txn_id=txn_id)
    settled = uow.session.scalar(
        select(Settlement.id).where(or_(Settlement.account_txn_id == txn_id, Settlement.fund_txn_id == txn_id))
    )
    if settled is not None:
        # the settlement, its accumulators and the institution's books move together (SPEC §5)
        raise InvalidStateTransition(
            "该交易属于定点医药机构结算，须由机构撤销结算（2208）",
            "This transaction belongs to a settlement; the institution cancels it (2208)",
            setl_id=str(settled),
        )
    for _code, region, person_id in touched:
        if person_id is not None and region is not None:
            ctx.principal.require_region(region)
    result = ledger.reverse(
        uow,
        txn_id=txn_id,
        idempotency_key=idempotency_key,
        reason=reason,
        now=ctx.clock.now(),
        user_id=ctx.principal.user_id,
    )
    if not result.replayed:
        audit_event(
            uow, ctx, "ledger.reverse", "ledger_txn", txn_id, reason=reason, reversal_txn_id=result.body["txn_id"]
        )
    return result


def set_account_frozen(uow: UnitOfWork, ctx: Ctx, *, person_id: int, frozen: bool, reason: str) -> PersonalAccount:
    """Freeze (no debits) or unfreeze a personal account; credits still arrive while frozen."""
    ctx.principal.require(Role.STAFF)
    reason = require_reason(reason)
    account = uow.session.scalar(select(PersonalAccount).where(PersonalAccount.person_id == person_id))
    if account is None:
        raise NotFound("该人员没有个人账户", "This person has no personal account", person_id=person_id)
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    target = "frozen" if frozen else "normal"
    if account.status == target:
        raise InvalidStateTransition("账户已是该状态", f"Account is already {target}", status=target)
    account.status = target
    uow.session.flush()
    audit_event(uow, ctx, "account.freeze" if frozen else "account.unfreeze", "person", person_id, reason=reason)
    return account


def account_movements(
    uow: UnitOfWork, ctx: Ctx, *, person_id: int, limit: int = 50, before_id: int | None = None
) -> list[dict[str, Any]]:
    """A person's account movements (the citizen themself, or staff in scope: audited)."""
    get_person(uow, person_id)
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    if ctx.principal.role is not Role.CITIZEN:
        audit_event(uow, ctx, "account.read", "person", person_id)
    return ledger.movements(uow, person_id=person_id, limit=limit, before_id=before_id)
