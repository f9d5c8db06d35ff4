"""Resident premiums paid from the family account (代缴, SPEC §6; seeds 000, 003 附件三, 004).

The tax bureau forwards an authorizer's request ("我帮他人缴费" / "共济账户代缴", seed 003 附件三
(二)1). Medical insurance checks it (信息核验: binding, balance, insurance kind, enrollment) and
either debits the family funds at once — the premium counts as paid (划扣成功的视同缴费到账,
(二)3) — or answers the reason so that another channel can be used ((二)2). A refund is asked
by the authorizer, reviewed by staff, paid back by the original route, and the tax bureau is
told (→ unpaid, (二)4). Henan signs the commitment inside the tax flow instead of binding first
(seed 004; profile ``family.premium_payment_mode = "commitment_at_payment"``).

- tax bureau: ``tax_family_payment``, ``tax_answer``, ``tax_family_payments_by_year`` (结果查询,
  seed 004);
- citizens (staff at the window): ``family_payments_by_year`` (代缴明细).

Refunds of any premium, incl. these, and the tax bureau's refund notifications are
``services.resident.refunds``. Money moves only through ``services.family.premiums.pay_premium`` and
``refund_premium``. Subsidized persons (参保资助, 002 §四): a full-subsidy relative pays nothing,
so the request is refused ``E_RESIDENT_FULL_SUBSIDY`` with the reason for the tax bureau (the
roster pays the premium from the assistance fund); under a fixed subsidy the whole individual
premium is due (先缴后补) and the subsidy is paid to the person afterwards.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from gongji.adapters.db.models import (
    Enrollment,
    Person,
    PremiumCommitment,
    PremiumPayment,
    PremiumRefund,
    ResidentPremium,
    TaxRequest,
)
from gongji.adapters.db.unit_of_work import RetryableConflict, UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.domain import family as F
from gongji.domain import ledger as L
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import (
    FamilyRefusal,
    Forbidden,
    IdempotencyConflict,
    InvalidRequest,
    NoPremiumStandard,
    NotFound,
    OutsideCollectionWindow,
    PremiumAlreadyPaid,
    PremiumAmountMismatch,
    PremiumInsutypeNotAllowed,
    PremiumPersonUnknown,
    PremiumRelativeNotEnrolled,
    RelationNotAllowed,
    ResidentRefusal,
    SelfBinding,
    TaxAcceptanceTimeOutOfTolerance,
    UnknownCode,
)
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID, parse_id_number
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.money import require_positive_fen
from gongji.domain.registry import INSUTYPES, RESIDENT_BASIC, EnrollmentStatus
from gongji.domain.relations import RELATION_KINDS, RELATION_ZH, RelationKind
from gongji.domain.resident import check_person_may_pay
from gongji.policy.schema import PolicyLookupError, PremiumStandard, Profile
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.family import premiums as family_premiums
from gongji.services.registry.persons import Ctx, audit_event, get_person, person_regions
from gongji.services.resident import categories, waiting

CHANNEL_FAMILY = "family_account"
CHANNELS = ("bank", "tax_app", "batch", CHANNEL_FAMILY)
"""How a premium was paid: bank, the tax bureau's app, a batch (subsidy roster), the family fund."""

UNPAID, PAID, REFUNDED = "unpaid", "paid", "refunded"
STATUS_ZH = {UNPAID: "未缴费", PAID: "已缴费", REFUNDED: "已退费"}
TAX_STATUS = {UNPAID: "unpaid", PAID: "paid", REFUNDED: "unpaid"}
"""What the tax bureau records: a refunded premium is unpaid again (seed 003 附件三(二)4)."""
REFUND_ROW = "refund"  # premium_payment.status of a refund movement

REQUESTED, APPROVED, REJECTED = "requested", "approved", "rejected"
REFUND_STATUS_ZH = {REQUESTED: "待审核", APPROVED: "已退费", REJECTED: "未通过"}
REFUND_REASON_ZH = {  # seed 002 §七; the profile lists which apply
    "cross_province_duplicate": "跨省重复缴费",
    "death": "死亡",
    "missing": "失踪",
    "emigration": "出国定居",
    "joined_employee_insurance": "参加职工医保",
    "joined_other_region_resident": "参加其他统筹地区居民医保",
}
FULL_SUBSIDY_REASON = "full_subsidy"
"""The reason of a 代缴 returned to the family account when the full-subsidy roster pays the
premium (services.resident.roster): set by the system, never asked for."""
SYSTEM_REFUND_REASON_ZH = {FULL_SUBSIDY_REASON: "认定为全额资助对象，代缴原渠道退回"}

TAX_KIND = "family_premium"
REFUSED = "refused"  # a tax request answered with the reason (its status; PAID otherwise)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PHONE = re.compile(r"^\+?\d{5,20}$")
_INSUTYPE = re.compile(r"^[0-9]{3,5}$")
SIGNING_CLOCK_SKEW = timedelta(minutes=5)


def premium_income_account(region_code: str, insutype: str) -> str:
    """Premium income of the relative's pooling region for one insurance type: where a premium
    paid from family funds is booked when the deduction succeeds (seed 003 附件三(二)3)."""
    return f"external:premium:{region_code}:{insutype}"


# --- the tax bureau's request ----------------------------------------------------------------------


@dataclass(frozen=True)
class TaxCommitment:
    """The commitment (承诺书) signed in the tax flow (seed 004): relation, phone, the text's
    version and SHA-256 as shown, the SHA-256 of the electronic signature, when it was signed."""

    relation: str
    phone: str
    version: str
    text_sha256: str
    signature_sha256: str
    signed_at: datetime


@dataclass(frozen=True)
class TaxPremiumRequest:
    """What the tax bureau passes on (seed 003 附件三(二)2): payer, relative, amount, year,
    insurance; under ``commitment_at_payment`` also the commitment."""

    request_id: str
    payer_cert_no: str
    relative_cert_no: str
    benefit_year: int
    amount_fen: int
    insutype: str = RESIDENT_BASIC
    commitment: TaxCommitment | None = None
    accepted_at: datetime | None = None
    """受理时间: when the tax bureau accepted the payment (issue 14 §1); the window is judged on it
    when it lies within the profile's tolerance before now (``window_day``)."""

    def canonical(self) -> dict[str, Any]:
        body = asdict(self)
        if self.commitment is not None:
            body["commitment"]["signed_at"] = self.commitment.signed_at.isoformat()
        if self.accepted_at is None:
            del body["accepted_at"]  # requests without it hash as they did before it existed
        else:
            body["accepted_at"] = self.accepted_at.isoformat()
        return body


@dataclass(frozen=True)
class CheckedTaxRequest:
    """A request that passed the schema checks (a failure there is 422 and is not stored)."""

    payer_cert_no: str
    relative_cert_no: str
    commitment: TaxCommitment | None


def check_tax_schema(ctx: Ctx, profile: Profile, req: TaxPremiumRequest) -> CheckedTaxRequest:
    today = ctx.clock.today()
    known = region_table().is_known
    payer = parse_id_number(req.payer_cert_no, today=today, region_known=known).value
    relative = parse_id_number(req.relative_cert_no, today=today, region_known=known).value
    require_positive_fen(req.amount_fen)
    if not isinstance(req.insutype, str) or not _INSUTYPE.match(req.insutype):
        raise InvalidRequest("险种类型代码应为3-5位数字", "insutype: 3-5 digits", field="insutype")
    if (
        isinstance(req.benefit_year, bool)
        or not isinstance(req.benefit_year, int)
        or not 2000 <= req.benefit_year <= 2100
    ):
        raise InvalidRequest("待遇年度应为2000-2100之间的整数", "benefit_year: 2000..2100", field="benefit_year")
    commitment = None  # under requires_binding a commitment sent along is not needed and not kept
    if not profile.family.premium_payment_requires_binding:
        commitment = _check_commitment(ctx, req.commitment)
    return CheckedTaxRequest(payer, relative, commitment)


def _check_commitment(ctx: Ctx, c: TaxCommitment | None) -> TaxCommitment:
    if c is None:
        raise InvalidRequest(
            "本省代缴须在缴费时签署承诺书，请提供承诺信息",
            "This province takes a commitment with the payment",
            field="commitment",
        )
    if c.relation not in RELATION_KINDS:
        raise UnknownCode("亲属关系代码不存在", "Unknown relation code", field="commitment.relation", value=c.relation)
    if not _PHONE.match(c.phone or ""):
        raise InvalidRequest("联系电话格式错误", "Malformed phone number", field="commitment.phone")
    if not 1 <= len(c.version or "") <= 20:
        raise InvalidRequest("承诺书版本1-20个字符", "Commitment version: 1-20 characters", field="commitment.version")
    for name in ("text_sha256", "signature_sha256"):
        if not _SHA256.match(getattr(c, name) or ""):
            raise InvalidRequest(
                "摘要应为64位小写十六进制SHA-256", "A lowercase hex SHA-256 is expected", field=f"commitment.{name}"
            )
    signed_at = c.signed_at if c.signed_at.tzinfo else c.signed_at.replace(tzinfo=SHANGHAI)
    if signed_at > ctx.clock.now() + SIGNING_CLOCK_SKEW:
        raise InvalidRequest("签署时间晚于当前时间", "signed_at is in the future", field="commitment.signed_at")
    return TaxCommitment(c.relation, c.phone, c.version, c.text_sha256, c.signature_sha256, signed_at)


def check_request_id(req: TaxPremiumRequest) -> None:
    """The first check of a tax request (422, not stored): checked before the id is looked up."""
    if not isinstance(req.request_id, str) or not _REQUEST_ID.match(req.request_id):
        raise InvalidRequest(
            "请求流水号1-64位字母、数字或._:-", "request_id: 1-64 of A-Z a-z 0-9 . _ : -", field="request_id"
        )


def tax_family_payment(uow: UnitOfWork, ctx: Ctx, profile: Profile, req: TaxPremiumRequest) -> dict[str, Any]:
    """The tax bureau forwards a premium to be paid from the family account (seed 003 附件三(二)).

    Answer ``{"request_id", "status": "paid" | "refused", "reason_code", "reason", "reason_en",
    "detail", "premium"}``. Checked in this order, each refusal with its own ``reason_code``:
    persons known; insurance kind allowed; standard for the benefit year, today in its window;
    amount = the individual premium; relative enrolled in 390 in the province in normal status,
    not yet paid, not a full-subsidy person (E_RESIDENT_FULL_SUBSIDY); the authorizer
    (employee, normal) and an active binding (``requires_binding``)
    or a valid commitment (``commitment_at_payment``: relation allowed and plausible); family
    funds enough. A paid answer debits at once; a refused one moves nothing. Both are stored
    under ``request_id``: the same request again gets the same answer, a different body under
    the same id is IdempotencyConflict (409). Malformed requests are 422 and are not stored.
    """
    ctx.principal.require(Role.TAX)
    check_request_id(req)
    digest = L.request_hash(req.canonical())
    stored = uow.session.scalar(select(TaxRequest).where(TaxRequest.request_id == req.request_id))
    if stored is not None:
        if stored.request_hash != digest:
            raise tax_request_conflict(req.request_id)
        answer: dict[str, Any] = json.loads(stored.answer_json)
        return answer
    checked = check_tax_schema(ctx, profile, req)
    # Claim the request id first: a concurrent twin waits here, then reruns and replays.
    row = TaxRequest(
        request_id=req.request_id,
        request_hash=digest,
        kind=TAX_KIND,
        status="pending",
        answer_json="{}",
        user_id=ctx.principal.user_id,
        created_at=ctx.clock.now(),
    )
    uow.session.add(row)
    try:
        uow.session.flush()
    except IntegrityError as exc:
        raise RetryableConflict() from exc

    try:
        with uow.session.begin_nested():  # a refusal undoes whatever the checks began
            premium, payment = _verify_and_pay(uow, ctx, profile, req, checked)
        answer = tax_answer_body(req.request_id, PAID, premium=premium_view(uow, premium, payment=payment))
    except (ResidentRefusal, FamilyRefusal) as refusal:
        existing = _premium_of(uow, checked.relative_cert_no, req.benefit_year, req.insutype)
        view = premium_view(uow, existing) if existing is not None else None
        answer = tax_answer_body(req.request_id, REFUSED, refusal=refusal, premium=view)
    row.status = answer["status"]
    row.answer_json = tax_answer_json(answer)
    uow.session.flush()
    audit_event(uow, ctx, "tax.family_premium", "tax_request", row.id, **tax_audit_detail(req, answer))
    return answer


def tax_answer_json(answer: dict[str, Any]) -> str:
    """How an answer is stored under its request id (and read back by a replay)."""
    return json.dumps(answer, ensure_ascii=False, sort_keys=True)


def tax_audit_detail(req: TaxPremiumRequest, answer: dict[str, Any]) -> dict[str, Any]:
    """The detail of the ``tax.family_premium`` audit row of an answered request."""
    return {
        "request_id": req.request_id,
        "status": answer["status"],
        "reason_code": answer["reason_code"],
        "benefit_year": req.benefit_year,
        "insutype": req.insutype,
        "amount_fen": req.amount_fen,
    }


def tax_payment_key(request_id: str) -> str:
    """The idempotency key of the family payment (and, scoped, of its ledger transaction) made
    for a tax request: a request answered on one path is replayed on the other."""
    return f"tax:{request_id}"


def tax_request_conflict(request_id: str) -> IdempotencyConflict:
    return IdempotencyConflict(
        "同一请求流水号已用于内容不同的请求", "This request_id was used with a different body", request_id=request_id
    )


def tax_answer_body(
    request_id: str,
    status: str,
    *,
    refusal: ResidentRefusal | FamilyRefusal | None = None,
    premium: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "status": status,
        "reason_code": refusal.code if refusal else None,
        "reason": refusal.message_zh if refusal else None,
        "reason_en": refusal.message_en if refusal else None,
        "detail": dict(refusal.detail) if refusal else {},
        "premium": premium,
    }


def person_by_cert(uow: UnitOfWork, cert_no: str) -> Person | None:
    return uow.session.scalar(
        select(Person).where(Person.cert_type == CERT_TYPE_RESIDENT_ID, Person.cert_no == cert_no)
    )


def _premium_of(uow: UnitOfWork, cert_no: str, benefit_year: int, insutype: str) -> ResidentPremium | None:
    person = person_by_cert(uow, cert_no)
    if person is None:
        return None
    # populate_existing: the row as stored, even when an earlier request of the same unit of
    # work (a batch chunk) left it in the session, so the answer reads as it does over HTTP
    return uow.session.scalar(
        select(ResidentPremium)
        .where(
            ResidentPremium.person_id == person.id,
            ResidentPremium.benefit_year == benefit_year,
            ResidentPremium.insutype == insutype,
        )
        .execution_options(populate_existing=True)
    )


def standard_for(profile: Profile, benefit_year: int, insutype: str) -> PremiumStandard:
    try:
        return profile.premium_for(benefit_year, insutype)
    except PolicyLookupError:
        raise NoPremiumStandard(benefit_year=benefit_year, insutype=insutype) from None


def _resident_region(uow: UnitOfWork, profile: Profile, person_id: int) -> str:
    """The pooling region of the person's resident basic enrollment (390), normal, in the
    province. A 392 premium rides on the same enrollment (大病保险 follows 居民基本医保)."""
    rows = uow.session.execute(
        select(Enrollment.region_code, Enrollment.status).where(
            Enrollment.person_id == person_id,
            Enrollment.insutype == RESIDENT_BASIC,
            Enrollment.status == EnrollmentStatus.NORMAL.value,
        )
    ).all()
    return resident_region_of(profile, [region for region, _ in rows])


def resident_region_of(profile: Profile, normal_390_regions: list[str]) -> str:
    """The rule of ``_resident_region`` over the regions of the person's normal 390 enrollments."""
    inside = [region for region in normal_390_regions if F.in_province(region, profile.profile.province_code)]
    if not inside:
        raise PremiumRelativeNotEnrolled()
    return inside[0]


def claim_premium(
    uow: UnitOfWork, ctx: Ctx, *, person_id: int, standard: PremiumStandard, region_code: str
) -> ResidentPremium:
    """The person's premium row for the year, created unpaid if missing, locked for update (a
    concurrent payment for the same person waits here and then sees it paid)."""
    values = {
        "person_id": person_id,
        "benefit_year": standard.benefit_year,
        "insutype": standard.insutype,
        "region_code": region_code,
        "status": UNPAID,
        "individual_fen": standard.individual_fen,
        "paid_fen": 0,
        "created_at": ctx.clock.now(),
    }
    insert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    uow.session.execute(
        insert(ResidentPremium)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["person_id", "benefit_year", "insutype"])
    )
    return uow.session.scalars(
        select(ResidentPremium)
        .where(
            ResidentPremium.person_id == person_id,
            ResidentPremium.benefit_year == standard.benefit_year,
            ResidentPremium.insutype == standard.insutype,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _verify_and_pay(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, req: TaxPremiumRequest, checked: CheckedTaxRequest
) -> tuple[ResidentPremium, PremiumPayment]:
    payer = person_by_cert(uow, checked.payer_cert_no)
    relative = person_by_cert(uow, checked.relative_cert_no) if payer is not None else None
    payer, relative = check_parties(payer, relative)
    paid_on = window_day(profile, ctx.clock.now(), req)
    standard = check_premium_terms(profile, paid_on, req)
    region = _resident_region(uow, profile, relative.id)
    premium = claim_premium(uow, ctx, person_id=relative.id, standard=standard, region_code=region)
    check_not_paid(premium.status, standard)
    codes = categories.person_subsidy_codes(uow, relative.id)
    check_not_full_subsidy(profile, codes, standard, region)
    if checked.commitment is not None:
        check_commitment_relation(ctx, profile, checked.commitment, payer, relative)

    payee = premium_income_account(region, req.insutype)
    ledger.ensure_account(uow, code=payee, kind=L.AccountKind.EXTERNAL, now=ctx.clock.now(), region_code=region)
    result = family_premiums.pay_premium(
        uow,
        ctx,
        profile,
        authorizer_id=payer.id,
        relative_id=relative.id,
        amount_fen=req.amount_fen,
        insutype=req.insutype,
        payee_account=payee,
        idempotency_key=tax_payment_key(req.request_id),
        reference=req.request_id,
    )

    now = ctx.clock.now()
    commitment_id = None
    if checked.commitment is not None:
        row = PremiumCommitment(
            **commitment_row(
                checked.commitment,
                payer_id=payer.id,
                relative_id=relative.id,
                benefit_year=standard.benefit_year,
                request_id=req.request_id,
                now=now,
            )
        )
        uow.session.add(row)
        uow.session.flush()
        commitment_id = row.id
    for column, value in paid_premium_values(standard, req.amount_fen, now).items():
        setattr(premium, column, value)
    waiting.record(uow, profile, premium, paid_on=paid_on)  # in the window: breaks only
    payment = PremiumPayment(
        **premium_payment_row(
            premium_id=premium.id,
            amount_fen=req.amount_fen,
            payer_id=payer.id,
            family=result.body,
            commitment_id=commitment_id,
            request_id=req.request_id,
            now=now,
        )
    )
    uow.session.add(payment)
    uow.session.flush()
    return premium, payment


# The rows ``_verify_and_pay`` writes once the money moved (shared with the tax batch).


def commitment_row(
    c: TaxCommitment, *, payer_id: int, relative_id: int, benefit_year: int, request_id: str, now: datetime
) -> dict[str, Any]:
    """The premium_commitment row of a commitment signed in the tax flow (Henan, seed 004)."""
    return {
        "authorizer_id": payer_id,
        "relative_id": relative_id,
        "benefit_year": benefit_year,
        "relation": c.relation,
        "phone": c.phone,
        "commitment_version": c.version,
        "commitment_sha256": c.text_sha256,
        "signature_sha256": c.signature_sha256,
        "signed_at": c.signed_at,
        "channel": "tax_app",
        "tax_request_id": request_id,
        "created_at": now,
    }


def paid_premium_values(standard: PremiumStandard, amount_fen: int, now: datetime) -> dict[str, Any]:
    """What a premium row becomes when the family account paid it (before its waiting period)."""
    return {
        "status": PAID,
        "individual_fen": standard.individual_fen,
        "paid_fen": amount_fen,
        "channel": CHANNEL_FAMILY,
        "paid_at": now,
        "refunded_at": None,
    }


def premium_payment_row(
    *,
    premium_id: int,
    amount_fen: int,
    payer_id: int,
    family: dict[str, Any],
    commitment_id: int | None,
    request_id: str,
    now: datetime,
) -> dict[str, Any]:
    """The premium_payment row of a 代缴; ``family`` is ``family_premiums.pay_premium``'s answer."""
    return {
        "premium_id": premium_id,
        "channel": CHANNEL_FAMILY,
        "amount_fen": amount_fen,
        "payer_person_id": payer_id,
        "binding_id": family["family"][0]["binding_id"],
        "commitment_id": commitment_id,
        "family_payment_id": family["payment_id"],
        "ledger_txn_id": family["txn_id"],
        "tax_request_id": request_id,
        "status": PAID,
        "created_at": now,
    }


# The checks of ``_verify_and_pay`` that read nothing, in its order (the tax batch,
# ``services.resident.batch``, runs them over facts it read for a whole chunk).


def check_parties(payer: Person | None, relative: Person | None) -> tuple[Person, Person]:
    """Both persons registered (the payer first), and not the same person."""
    if payer is None:
        raise PremiumPersonUnknown(
            "未查询到缴费人（共济人）的参保登记信息", "The payer (authorizer) is not registered", who="payer"
        )
    if relative is None:
        raise PremiumPersonUnknown("未查询到被代缴人的参保登记信息", "The relative is not registered", who="relative")
    if payer.id == relative.id:
        raise SelfBinding("家庭共济账户不能为本人代缴", "The family account does not pay one's own premium")
    return payer, relative


def window_day(profile: Profile, now: datetime, req: TaxPremiumRequest) -> date:
    """The day a tax request's collection window is judged on (issue 14 §1): the business clock's
    day, or the tax bureau's acceptance time (受理时间) when the request carries one — so a payment
    accepted at 23:59 on the window's last day and forwarded after midnight is still in it. An
    acceptance time later than now (beyond the clock skew) or earlier by more than the profile's
    ``tax_acceptance_tolerance_minutes`` is refused (E_RESIDENT_TAX_ACCEPTED_AT)."""
    if req.accepted_at is None:
        return now.astimezone(SHANGHAI).date()
    accepted = req.accepted_at if req.accepted_at.tzinfo else req.accepted_at.replace(tzinfo=SHANGHAI)
    tolerance = timedelta(minutes=profile.family.tax_acceptance_tolerance_minutes)
    if accepted > now + SIGNING_CLOCK_SKEW or now - accepted > tolerance:
        raise TaxAcceptanceTimeOutOfTolerance(
            accepted_at=accepted.astimezone(SHANGHAI).isoformat(),
            now=now.astimezone(SHANGHAI).isoformat(timespec="seconds"),
            tolerance_minutes=profile.family.tax_acceptance_tolerance_minutes,
        )
    return accepted.astimezone(SHANGHAI).date()


def check_premium_terms(profile: Profile, today: date, req: TaxPremiumRequest) -> PremiumStandard:
    """Insurance type allowed, a standard for the year, ``today`` in its window, the amount due."""
    if not profile.allows_family_premium(req.insutype):
        raise PremiumInsutypeNotAllowed(insutype=req.insutype)
    standard = standard_for(profile, req.benefit_year, req.insutype)
    if not standard.is_collecting(today):
        raise OutsideCollectionWindow(
            benefit_year=standard.benefit_year,
            collection_start=standard.collection_start.isoformat() if standard.collection_start else None,
            collection_end=standard.collection_end.isoformat(),
        )
    if req.amount_fen != standard.individual_fen:
        raise PremiumAmountMismatch(expected_fen=standard.individual_fen, amount_fen=req.amount_fen)
    return standard


def check_not_paid(status: str, standard: PremiumStandard) -> None:
    if status == PAID:
        raise PremiumAlreadyPaid(benefit_year=standard.benefit_year, insutype=standard.insutype)


def check_not_full_subsidy(profile: Profile, codes: tuple[str, ...], standard: PremiumStandard, region: str) -> None:
    """A full-subsidy relative pays nothing, so no family account pays for them (002 §四(二)1;
    ``domain.resident.check_person_may_pay``): the answer tells the tax bureau why."""
    subsidy = categories.pick(profile, codes, benefit_year=standard.benefit_year, region_code=region)
    check_person_may_pay(subsidy, benefit_year=standard.benefit_year, insutype=standard.insutype)


def check_commitment_relation(ctx: Ctx, profile: Profile, c: TaxCommitment, payer: Person, relative: Person) -> None:
    """Henan (seed 004): the relation chosen while signing must be one the profile allows and
    not contradict the registered birth dates (as at binding, SPEC §4)."""
    if not profile.allows_relation(c.relation):
        raise RelationNotAllowed(relation=c.relation)
    relation: RelationKind = c.relation  # type: ignore[assignment]
    F.check_plausible(
        relation,
        F.Party(payer.id, payer.sex, payer.birth_date),
        F.Party(relative.id, relative.sex, relative.birth_date),
        today=ctx.clock.today(),
        spouse_min_age_male=profile.family.spouse_min_age_male,
        spouse_min_age_female=profile.family.spouse_min_age_female,
        relation_zh=RELATION_ZH[relation],
    )


def tax_answer(uow: UnitOfWork, ctx: Ctx, *, request_id: str) -> dict[str, Any]:
    """The stored answer to one of the tax bureau's requests (NotFound if never received)."""
    ctx.principal.require(Role.TAX)
    row = uow.session.scalar(select(TaxRequest).where(TaxRequest.request_id == request_id))
    if row is None or row.kind != TAX_KIND:
        raise NotFound("未找到该请求流水号", "No such request_id", request_id=request_id)
    answer: dict[str, Any] = json.loads(row.answer_json)
    return answer


# --- views -------------------------------------------------------------------------------------


def who(person: Person) -> dict[str, Any]:
    return {"person_id": person.id, "name": mask_name(person.name), "cert_no": mask_id_number(person.cert_no)}


def premium_view(uow: UnitOfWork, premium: ResidentPremium, *, payment: PremiumPayment | None = None) -> dict[str, Any]:
    """One person's premium for a year (masked), with the payment that just paid it if given."""
    view: dict[str, Any] = {
        "premium_id": premium.id,
        "relative": who(get_person(uow, premium.person_id)),
        "benefit_year": premium.benefit_year,
        "insutype": premium.insutype,
        "insutype_name": INSUTYPES.get(premium.insutype, premium.insutype),
        "region_code": premium.region_code,
        "status": premium.status,
        "status_name": STATUS_ZH.get(premium.status, premium.status),
        "tax_status": TAX_STATUS.get(premium.status, premium.status),
        "individual_fen": premium.individual_fen,
        "paid_fen": premium.paid_fen,
        "channel": premium.channel,
        "paid_at": premium.paid_at.isoformat() if premium.paid_at else None,
        "refunded_at": premium.refunded_at.isoformat() if premium.refunded_at else None,
    }
    view.update(waiting.view(premium))  # benefit_start, waiting_months, … (待遇等待期, notes §1.2)
    if payment is not None:
        view["payment"] = _payment_view(uow, payment)
    return view


def _payment_view(uow: UnitOfWork, p: PremiumPayment) -> dict[str, Any]:
    return {
        "payment_id": p.id,
        "channel": p.channel,
        "amount_fen": p.amount_fen,
        "payer": who(get_person(uow, p.payer_person_id)) if p.payer_person_id else None,
        "binding_id": p.binding_id,
        "commitment_id": p.commitment_id,
        "txn_id": p.ledger_txn_id,
        "tax_request_id": p.tax_request_id,
        "status": p.status,
        "created_at": p.created_at.isoformat(),
    }


def _by_year(uow: UnitOfWork, *, person_id: int, benefit_year: int) -> dict[str, Any]:
    base = (
        select(PremiumPayment, ResidentPremium)
        .join(ResidentPremium, ResidentPremium.id == PremiumPayment.premium_id)
        .where(
            ResidentPremium.benefit_year == benefit_year,
            PremiumPayment.channel == CHANNEL_FAMILY,
            PremiumPayment.reverses_id.is_(None),
        )
        .order_by(PremiumPayment.id)
    )

    def item(p: PremiumPayment, r: ResidentPremium) -> dict[str, Any]:
        refund = uow.session.scalar(
            select(PremiumRefund).where(PremiumRefund.premium_payment_id == p.id).order_by(PremiumRefund.id.desc())
        )
        return {
            "payment_id": p.id,
            "benefit_year": r.benefit_year,
            "insutype": r.insutype,
            "insutype_name": INSUTYPES.get(r.insutype, r.insutype),
            "amount_fen": p.amount_fen,
            "status": p.status,
            "status_name": STATUS_ZH.get(p.status, p.status),
            "paid_at": p.created_at.isoformat(),
            "tax_request_id": p.tax_request_id,
            "relative": who(get_person(uow, r.person_id)),
            "payer": who(get_person(uow, p.payer_person_id)) if p.payer_person_id else None,
            "refund": refund_view(refund) if refund else None,
        }

    for_others = [item(p, r) for p, r in uow.session.execute(base.where(PremiumPayment.payer_person_id == person_id))]
    for_me = [item(p, r) for p, r in uow.session.execute(base.where(ResidentPremium.person_id == person_id))]
    return {
        "person_id": person_id,
        "benefit_year": benefit_year,
        "paid_for_others": for_others,
        "paid_for_others_fen": sum(i["amount_fen"] for i in for_others if i["status"] == PAID),
        "paid_for_me": for_me,
    }


def family_payments_by_year(uow: UnitOfWork, ctx: Ctx, *, person_id: int, benefit_year: int) -> dict[str, Any]:
    """代缴明细 for a benefit year (seed 000 共济管理, 004 结果查询): what the person paid for
    relatives from family funds, and what was paid for them; names masked. Citizens see
    themselves; staff persons in their regions (the read is audited)."""
    if ctx.principal.role not in (Role.CITIZEN, Role.STAFF):
        raise Forbidden()
    ctx.principal.require_person_access(person_id=person_id, regions=person_regions(uow, person_id))
    get_person(uow, person_id)
    if ctx.principal.role is Role.STAFF:
        audit_event(uow, ctx, "premium.family_read", "person", person_id, benefit_year=benefit_year)
    return _by_year(uow, person_id=person_id, benefit_year=benefit_year)


def tax_family_payments_by_year(uow: UnitOfWork, ctx: Ctx, *, payer_cert_no: str, benefit_year: int) -> dict[str, Any]:
    """结果查询 (seed 004): the tax app shows an authorizer what their family account paid for a
    year. An unknown number answers an empty list; the read is audited."""
    ctx.principal.require(Role.TAX)
    cert = parse_id_number(payer_cert_no, today=ctx.clock.today(), region_known=region_table().is_known).value
    payer = person_by_cert(uow, cert)
    audit_event(uow, ctx, "tax.family_premium_query", "person", payer.id if payer else None, benefit_year=benefit_year)
    if payer is None:
        return {"person_id": None, "benefit_year": benefit_year, "paid_for_others": [], "paid_for_others_fen": 0}
    view = _by_year(uow, person_id=payer.id, benefit_year=benefit_year)
    view.pop("paid_for_me")
    return view


# --- refund requests, as the payment lists show them (the use cases: services.resident.refunds) ----------


def refund_view(r: PremiumRefund) -> dict[str, Any]:
    """A refund request (any channel; the use cases are ``services.resident.refunds``)."""
    return {
        "refund_id": r.id,
        "payment_id": r.premium_payment_id,
        "reason": r.reason,
        "reason_name": REFUND_REASON_ZH.get(r.reason) or SYSTEM_REFUND_REASON_ZH.get(r.reason, r.reason),
        "note": r.note,
        "evidence": r.evidence,
        "status": r.status,
        "status_name": REFUND_STATUS_ZH.get(r.status, r.status),
        "requested_at": r.requested_at.isoformat(),
        "reviewed_at": r.reviewed_at.isoformat() if r.reviewed_at else None,
        "review_note": r.review_note,
        "refund_payment_id": r.refund_payment_id,
        "refund_fen": r.refund_fen,
        "withheld_fen": r.withheld_fen,
        "tax_notified": r.tax_notified,
    }
