"""Resident premiums paid from the family account (代缴, SPEC §6; seeds 000, 003 附件三, 004).

The tax bureau forwards an authorizer's request ("我帮他人缴费" / "共济账户代缴", seed 003 附件三
(二)1). Medical insurance checks it (信息核验: binding, balance, insurance kind, enrollment) and
either debits the family funds at once — the premium counts as paid (划扣成功的视同缴费到账,
(二)3) — or answers the reason so that another channel can be used ((二)2). A refund is asked
by the authorizer, reviewed by staff, paid back by the original route, and the tax bureau is
told (→ unpaid, (二)4). Henan signs the commitment inside the tax flow instead of binding first
(seed 004; profile ``family.premium_payment_mode = "commitment_at_payment"``).

- tax bureau: ``tax_family_payment``, ``tax_answer``, ``tax_family_payments_by_year`` (结果查询,
  seed 004), ``tax_refund_notifications``, ``ack_tax_refund_notification``;
- citizens (staff at the window): ``family_payments_by_year`` (代缴明细), ``request_family_refund``;
- staff: ``family_refund_requests``, ``review_family_refund``.

Money moves only through ``services.family.pay_premium`` and ``refund_premium``. Subsidized
persons (参保资助) are left to the subsidy work: here the amount must be the full individual
premium of the profile.
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
    DuplicateRecord,
    FamilyRefusal,
    Forbidden,
    IdempotencyConflict,
    InvalidRequest,
    InvalidStateTransition,
    NoPremiumStandard,
    NotFound,
    OutsideCollectionWindow,
    PremiumAlreadyPaid,
    PremiumAmountMismatch,
    PremiumInsutypeNotAllowed,
    PremiumPersonUnknown,
    PremiumRelativeNotEnrolled,
    RefundAfterBenefitStart,
    RelationNotAllowed,
    ResidentRefusal,
    SelfBinding,
    UnknownCode,
)
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID, parse_id_number
from gongji.domain.masking import mask_id_number, mask_name
from gongji.domain.money import require_positive_fen
from gongji.domain.registry import INSUTYPES, RESIDENT_BASIC, EnrollmentStatus, region_in_scope
from gongji.domain.relations import RELATION_KINDS, RELATION_ZH, RelationKind
from gongji.policy.schema import PolicyLookupError, PremiumStandard, Profile
from gongji.services import family, ledger
from gongji.services.auth import Role
from gongji.services.registry import Ctx, audit_event, get_person, person_regions, require_reason

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

TAX_KIND = "family_premium"
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

    def canonical(self) -> dict[str, Any]:
        body = asdict(self)
        if self.commitment is not None:
            body["commitment"]["signed_at"] = self.commitment.signed_at.isoformat()
        return body


@dataclass(frozen=True)
class _Checked:
    """A request that passed the schema checks (a failure there is 422 and is not stored)."""

    payer_cert_no: str
    relative_cert_no: str
    commitment: TaxCommitment | None


def _check_schema(ctx: Ctx, profile: Profile, req: TaxPremiumRequest) -> _Checked:
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
    return _Checked(payer, relative, commitment)


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


def tax_family_payment(uow: UnitOfWork, ctx: Ctx, profile: Profile, req: TaxPremiumRequest) -> dict[str, Any]:
    """The tax bureau forwards a premium to be paid from the family account (seed 003 附件三(二)).

    Answer ``{"request_id", "status": "paid" | "refused", "reason_code", "reason", "reason_en",
    "detail", "premium"}``. Checked in this order, each refusal with its own ``reason_code``:
    persons known; insurance kind allowed; standard for the benefit year, today in its window;
    amount = the individual premium; relative enrolled in 390 in the province in normal status,
    not yet paid; the authorizer (employee, normal) and an active binding (``requires_binding``)
    or a valid commitment (``commitment_at_payment``: relation allowed and plausible); family
    funds enough. A paid answer debits at once; a refused one moves nothing. Both are stored
    under ``request_id``: the same request again gets the same answer, a different body under
    the same id is IdempotencyConflict (409). Malformed requests are 422 and are not stored.
    """
    ctx.principal.require(Role.TAX)
    if not isinstance(req.request_id, str) or not _REQUEST_ID.match(req.request_id):
        raise InvalidRequest(
            "请求流水号1-64位字母、数字或._:-", "request_id: 1-64 of A-Z a-z 0-9 . _ : -", field="request_id"
        )
    digest = L.request_hash(req.canonical())
    stored = uow.session.scalar(select(TaxRequest).where(TaxRequest.request_id == req.request_id))
    if stored is not None:
        if stored.request_hash != digest:
            raise IdempotencyConflict(
                "同一请求流水号已用于内容不同的请求",
                "This request_id was used with a different body",
                request_id=req.request_id,
            )
        answer: dict[str, Any] = json.loads(stored.answer_json)
        return answer
    checked = _check_schema(ctx, profile, req)
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
        answer = _answer(req.request_id, PAID, premium=premium_view(uow, premium, payment=payment))
    except (ResidentRefusal, FamilyRefusal) as refusal:
        existing = _premium_of(uow, checked.relative_cert_no, req.benefit_year, req.insutype)
        view = premium_view(uow, existing) if existing is not None else None
        answer = _answer(req.request_id, "refused", refusal=refusal, premium=view)
    row.status = answer["status"]
    row.answer_json = json.dumps(answer, ensure_ascii=False, sort_keys=True)
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        "tax.family_premium",
        "tax_request",
        row.id,
        request_id=req.request_id,
        status=answer["status"],
        reason_code=answer["reason_code"],
        benefit_year=req.benefit_year,
        insutype=req.insutype,
        amount_fen=req.amount_fen,
    )
    return answer


def _answer(
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
    return uow.session.scalar(
        select(ResidentPremium).where(
            ResidentPremium.person_id == person.id,
            ResidentPremium.benefit_year == benefit_year,
            ResidentPremium.insutype == insutype,
        )
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
    inside = [region for region, _ in rows if F.in_province(region, profile.profile.province_code)]
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
    uow: UnitOfWork, ctx: Ctx, profile: Profile, req: TaxPremiumRequest, checked: _Checked
) -> tuple[ResidentPremium, PremiumPayment]:
    payer = person_by_cert(uow, checked.payer_cert_no)
    if payer is None:
        raise PremiumPersonUnknown(
            "未查询到缴费人（共济人）的参保登记信息", "The payer (authorizer) is not registered", who="payer"
        )
    relative = person_by_cert(uow, checked.relative_cert_no)
    if relative is None:
        raise PremiumPersonUnknown("未查询到被代缴人的参保登记信息", "The relative is not registered", who="relative")
    if payer.id == relative.id:
        raise SelfBinding("家庭共济账户不能为本人代缴", "The family account does not pay one's own premium")
    if not profile.allows_family_premium(req.insutype):
        raise PremiumInsutypeNotAllowed(insutype=req.insutype)
    standard = standard_for(profile, req.benefit_year, req.insutype)
    if not standard.is_collecting(ctx.clock.today()):
        raise OutsideCollectionWindow(
            benefit_year=standard.benefit_year,
            collection_start=standard.collection_start.isoformat() if standard.collection_start else None,
            collection_end=standard.collection_end.isoformat(),
        )
    if req.amount_fen != standard.individual_fen:
        raise PremiumAmountMismatch(expected_fen=standard.individual_fen, amount_fen=req.amount_fen)
    region = _resident_region(uow, profile, relative.id)
    premium = claim_premium(uow, ctx, person_id=relative.id, standard=standard, region_code=region)
    if premium.status == PAID:
        raise PremiumAlreadyPaid(benefit_year=standard.benefit_year, insutype=standard.insutype)
    if checked.commitment is not None:
        _check_commitment_relation(ctx, profile, checked.commitment, payer, relative)

    payee = premium_income_account(region, req.insutype)
    ledger.ensure_account(uow, code=payee, kind=L.AccountKind.EXTERNAL, now=ctx.clock.now(), region_code=region)
    result = family.pay_premium(
        uow,
        ctx,
        profile,
        authorizer_id=payer.id,
        relative_id=relative.id,
        amount_fen=req.amount_fen,
        insutype=req.insutype,
        payee_account=payee,
        idempotency_key=f"tax:{req.request_id}",
        reference=req.request_id,
    )

    now = ctx.clock.now()
    commitment_id = None
    if checked.commitment is not None:
        c = checked.commitment
        row = PremiumCommitment(
            authorizer_id=payer.id,
            relative_id=relative.id,
            benefit_year=standard.benefit_year,
            relation=c.relation,
            phone=c.phone,
            commitment_version=c.version,
            commitment_sha256=c.text_sha256,
            signature_sha256=c.signature_sha256,
            signed_at=c.signed_at,
            channel="tax_app",
            tax_request_id=req.request_id,
            created_at=now,
        )
        uow.session.add(row)
        uow.session.flush()
        commitment_id = row.id
    premium.status = PAID
    premium.individual_fen = standard.individual_fen
    premium.paid_fen = req.amount_fen
    premium.channel = CHANNEL_FAMILY
    premium.paid_at = now
    premium.refunded_at = None
    payment = PremiumPayment(
        premium_id=premium.id,
        channel=CHANNEL_FAMILY,
        amount_fen=req.amount_fen,
        payer_person_id=payer.id,
        binding_id=result.body["family"][0]["binding_id"],
        commitment_id=commitment_id,
        family_payment_id=result.body["payment_id"],
        ledger_txn_id=result.body["txn_id"],
        tax_request_id=req.request_id,
        status=PAID,
        created_at=now,
    )
    uow.session.add(payment)
    uow.session.flush()
    return premium, payment


def _check_commitment_relation(ctx: Ctx, profile: Profile, c: TaxCommitment, payer: Person, relative: Person) -> None:
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


def _who(person: Person) -> dict[str, Any]:
    return {"person_id": person.id, "name": mask_name(person.name), "cert_no": mask_id_number(person.cert_no)}


def premium_view(uow: UnitOfWork, premium: ResidentPremium, *, payment: PremiumPayment | None = None) -> dict[str, Any]:
    """One person's premium for a year (masked), with the payment that just paid it if given."""
    view: dict[str, Any] = {
        "premium_id": premium.id,
        "relative": _who(get_person(uow, premium.person_id)),
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
    if payment is not None:
        view["payment"] = _payment_view(uow, payment)
    return view


def _payment_view(uow: UnitOfWork, p: PremiumPayment) -> dict[str, Any]:
    return {
        "payment_id": p.id,
        "channel": p.channel,
        "amount_fen": p.amount_fen,
        "payer": _who(get_person(uow, p.payer_person_id)) if p.payer_person_id else None,
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
            "relative": _who(get_person(uow, r.person_id)),
            "payer": _who(get_person(uow, p.payer_person_id)) if p.payer_person_id else None,
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


# --- refunds (退费核销, seed 003 附件三(二)4) ------------------------------------------------------------


def refund_view(r: PremiumRefund) -> dict[str, Any]:
    return {
        "refund_id": r.id,
        "payment_id": r.premium_payment_id,
        "reason": r.reason,
        "note": r.note,
        "status": r.status,
        "status_name": REFUND_STATUS_ZH.get(r.status, r.status),
        "requested_at": r.requested_at.isoformat(),
        "reviewed_at": r.reviewed_at.isoformat() if r.reviewed_at else None,
        "review_note": r.review_note,
        "refund_payment_id": r.refund_payment_id,
        "tax_notified": r.tax_notified,
    }


def _lock_premium(uow: UnitOfWork, premium_id: int) -> ResidentPremium:
    return uow.session.scalars(
        select(ResidentPremium)
        .where(ResidentPremium.id == premium_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _family_payment(uow: UnitOfWork, ctx: Ctx, payment_id: int) -> PremiumPayment:
    """A family-account payment the actor may act on: the payer themself (to a citizen anyone
    else's payment does not exist), or staff in the payer's or the relative's regions."""
    if ctx.principal.role not in (Role.CITIZEN, Role.STAFF):
        raise Forbidden()
    p = uow.session.get(PremiumPayment, payment_id)
    if (
        p is None
        or p.channel != CHANNEL_FAMILY
        or p.reverses_id is not None
        or p.payer_person_id is None
        or (ctx.principal.role is Role.CITIZEN and ctx.principal.person_id != p.payer_person_id)
    ):
        raise NotFound("代缴记录不存在", "Premium payment not found", payment_id=payment_id)
    _require_staff_scope(uow, ctx, p)
    return p


def _require_staff_scope(uow: UnitOfWork, ctx: Ctx, p: PremiumPayment) -> None:
    if ctx.principal.role is not Role.STAFF:
        return
    relative_id = uow.session.scalar(select(ResidentPremium.person_id).where(ResidentPremium.id == p.premium_id))
    assert relative_id is not None and p.payer_person_id is not None
    regions = person_regions(uow, relative_id) + person_regions(uow, p.payer_person_id)
    ctx.principal.require_person_access(person_id=relative_id, regions=regions)


def _guard_benefit_started(profile: Profile, premium: ResidentPremium, ctx: Ctx) -> None:
    """Once the benefit period has started the personal premium is not refunded (002 §七), unless
    the profile says otherwise. The deadline and the reasons' own rules are
    ``domain.resident.check_refund``'s, to be wired in with the resident premium work."""
    started = ctx.clock.today() >= date(premium.benefit_year, 1, 1)
    if started and not profile.resident.refund.refund_after_benefit_start:
        raise RefundAfterBenefitStart(benefit_year=premium.benefit_year)


def request_family_refund(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, *, payment_id: int, reason: str, note: str | None = None
) -> dict[str, Any]:
    """The authorizer asks for a premium paid from their family funds back (seed 003 附件三(二)4:
    由授权人向医保部门发起退费申请). One request at a time per payment; ``reason`` is one of the
    profile's refund reasons."""
    payment = _family_payment(uow, ctx, payment_id)
    if reason not in profile.resident.refund.reasons:
        raise UnknownCode("退费原因不在本省退费范围内", "Not a refund reason here", field="reason", value=reason)
    note = (note or "").strip() or None
    if note is not None and len(note) > 200:
        raise InvalidRequest("说明不超过200字", "Note: at most 200 characters", field="note")
    premium = _lock_premium(uow, payment.premium_id)
    if payment.status != PAID or premium.status != PAID:
        raise InvalidStateTransition("该笔代缴已退费，不能再申请", "This payment is no longer in force")
    _guard_benefit_started(profile, premium, ctx)
    open_one = uow.session.scalar(
        select(PremiumRefund.id).where(PremiumRefund.premium_payment_id == payment.id, PremiumRefund.status != REJECTED)
    )
    if open_one is not None:
        raise DuplicateRecord("该笔代缴已提交退费申请", "A refund request for this payment exists", refund_id=open_one)
    row = PremiumRefund(
        premium_payment_id=payment.id,
        reason=reason,
        note=note,
        status=REQUESTED,
        requested_by_user_id=ctx.principal.user_id,
        requested_at=ctx.clock.now(),
        tax_notified=False,
    )
    uow.session.add(row)
    uow.session.flush()
    audit_event(uow, ctx, "premium.refund_request", "premium_refund", row.id, payment_id=payment.id, reason=reason)
    return refund_view(row)


def family_refund_requests(
    uow: UnitOfWork, ctx: Ctx, *, status: str = REQUESTED, limit: int = 100
) -> list[dict[str, Any]]:
    """Staff: refund requests in their regions (the relative's insured place), oldest first."""
    ctx.principal.require(Role.STAFF)
    if status not in REFUND_STATUS_ZH:
        raise UnknownCode("退费申请状态不存在", "Unknown refund status", field="status", value=status)
    rows = uow.session.execute(
        select(PremiumRefund, PremiumPayment, ResidentPremium)
        .join(PremiumPayment, PremiumPayment.id == PremiumRefund.premium_payment_id)
        .join(ResidentPremium, ResidentPremium.id == PremiumPayment.premium_id)
        .where(PremiumRefund.status == status)
        .order_by(PremiumRefund.id)
    )
    scopes = list(ctx.principal.regions)
    out = []
    for refund, payment, premium in rows:
        if not region_in_scope(premium.region_code, scopes):
            continue
        out.append(refund_view(refund) | {"premium": premium_view(uow, premium, payment=payment)})
        if len(out) >= max(1, min(limit, 500)):
            break
    return out


def review_family_refund(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, *, refund_id: int, approve: bool, note: str
) -> dict[str, Any]:
    """Staff review a refund request. Approved: the ledger payment is reversed back to the family
    source it came from (原渠道返还), a negative ``premium_payment`` is recorded, the premium is
    refunded (unpaid for tax) and a notification waits for the tax bureau. Rejected: nothing
    moves; the authorizer may ask again."""
    ctx.principal.require(Role.STAFF)
    refund = uow.session.get(PremiumRefund, refund_id)
    if refund is None:
        raise NotFound("退费申请不存在", "Refund request not found", refund_id=refund_id)
    payment = uow.session.get(PremiumPayment, refund.premium_payment_id)
    assert payment is not None
    _require_staff_scope(uow, ctx, payment)
    note = require_reason(note)
    if refund.status != REQUESTED:
        raise InvalidStateTransition("该退费申请已审核", "This request was already reviewed", status=refund.status)
    now = ctx.clock.now()
    if approve:
        premium = _lock_premium(uow, payment.premium_id)
        if payment.status != PAID or premium.status != PAID:
            raise InvalidStateTransition("该笔代缴已不在有效状态", "This payment is no longer in force")
        _guard_benefit_started(profile, premium, ctx)
        assert payment.family_payment_id is not None
        result = family.refund_premium(
            uow,
            ctx,
            family_payment_id=payment.family_payment_id,
            reason=f"城乡居民医保代缴退费（{refund.reason}）",
            idempotency_key=f"premium-refund:{refund.id}",
        )
        back = PremiumPayment(
            premium_id=premium.id,
            channel=CHANNEL_FAMILY,
            amount_fen=-payment.amount_fen,
            payer_person_id=payment.payer_person_id,
            binding_id=payment.binding_id,
            commitment_id=payment.commitment_id,
            family_payment_id=payment.family_payment_id,
            ledger_txn_id=result.body["txn_id"],
            tax_request_id=payment.tax_request_id,
            reverses_id=payment.id,
            status=REFUND_ROW,
            created_at=now,
        )
        uow.session.add(back)
        uow.session.flush()
        payment.status = REFUNDED
        premium.status = REFUNDED
        premium.paid_fen -= payment.amount_fen
        premium.channel = None
        premium.refunded_at = now
        refund.status = APPROVED
        refund.refund_payment_id = back.id
        refund.tax_notified = False
    else:
        refund.status = REJECTED
    refund.reviewed_by_user_id = ctx.principal.user_id
    refund.review_note = note
    refund.reviewed_at = now
    uow.session.flush()
    audit_event(uow, ctx, "premium.refund_review", "premium_refund", refund.id, approve=approve, payment_id=payment.id)
    return refund_view(refund)


# --- telling the tax bureau (→ unpaid) ----------------------------------------------------------------


def _notification_view(uow: UnitOfWork, r: PremiumRefund) -> dict[str, Any]:
    payment = uow.session.get(PremiumPayment, r.premium_payment_id)
    assert payment is not None
    premium = uow.session.get(ResidentPremium, payment.premium_id)
    assert premium is not None
    return {
        "notification_id": r.id,
        "kind": "family_premium_refund",
        "tax_request_id": payment.tax_request_id,
        "benefit_year": premium.benefit_year,
        "insutype": premium.insutype,
        "refund_fen": payment.amount_fen,
        "tax_status": TAX_STATUS[REFUNDED],
        "relative": _who(get_person(uow, premium.person_id)),
        "payer": _who(get_person(uow, payment.payer_person_id)) if payment.payer_person_id else None,
        "refunded_at": r.reviewed_at.isoformat() if r.reviewed_at else None,
        "acked": r.tax_notified,
        "acked_at": r.tax_acked_at.isoformat() if r.tax_acked_at else None,
    }


def tax_refund_notifications(uow: UnitOfWork, ctx: Ctx, *, limit: int = 100) -> list[dict[str, Any]]:
    """Approved refunds the tax bureau has not acknowledged yet, oldest first: each one turns the
    relative's premium to unpaid on the tax side (seed 003 附件三(二)4)."""
    ctx.principal.require(Role.TAX)
    rows = uow.session.scalars(
        select(PremiumRefund)
        .where(PremiumRefund.status == APPROVED, PremiumRefund.tax_notified.is_(False))
        .order_by(PremiumRefund.id)
        .limit(max(1, min(limit, 500)))
    )
    return [_notification_view(uow, r) for r in rows]


def ack_tax_refund_notification(uow: UnitOfWork, ctx: Ctx, *, notification_id: int) -> dict[str, Any]:
    """The tax bureau has recorded the refund (status unpaid); acking again changes nothing."""
    ctx.principal.require(Role.TAX)
    r = uow.session.get(PremiumRefund, notification_id)
    if r is None or r.status != APPROVED:
        raise NotFound("退费通知不存在", "No such refund notification", notification_id=notification_id)
    if not r.tax_notified:
        r.tax_notified = True
        r.tax_acked_at = ctx.clock.now()
        uow.session.flush()
        audit_event(uow, ctx, "tax.refund_ack", "premium_refund", r.id)
    return _notification_view(uow, r)
