"""Refunds of resident premiums (退费办理, SPEC §6; seed 002 §七, seed 003 附件三(二)4), any channel.

A refund is asked for one payment in force (``premium_payment`` with status paid), reviewed by
staff, and on approval paid back by the route the money came in (原渠道返还):

- **who asks**: for a premium paid from the family account, the authorizer who paid it (seed 003
  附件三(二)4: 由授权人向医保部门发起退费申请); for any other channel, the insured person; staff in the
  person's (or the payer's) region at the counter, for either;
- **the rules**, ``domain.resident.check_refund`` (seed 002 §七): a reason of the profile's list
  (跨省重复缴费、死亡、失踪、出国定居、参加职工医保或其他统筹地区居民医保), asked by the yearly
  deadline (``deadline_month_day`` of the year of payment, 002: 12-30), not once the benefit year
  has begun (待遇享受期开始后 … 个人缴费不再退回; checked again at approval), and for a person whose
  premium was subsidized by medical assistance only their own share (只退回个人缴费部分);
- **the money** on approval: the payment's ledger transaction is reversed (the whole premium
  goes back to where it came from: the family account or past-years balance, the bank / tax app
  / batch channel, or the medical-assistance fund for a premium the full-subsidy roster paid);
  then the subsidy the person was paid out apart from the premium (roster payout, 先缴后补, top-up)
  is withheld from that refund and returned to the medical-assistance fund
  (``external:assistance:<region>``) in a second balanced transaction. The payer gets
  premium − subsidy, the fund gets its subsidy back, nothing is lost or paid twice. A premium a
  **family account** paid goes back to it whole: the subsidy was paid to the relative, so the
  relative owes it (``recoveries.open_recovery``), never the family's money (issue 12);
- **after**: a negative ``premium_payment`` row, the premium refunded (unpaid for tax), and a
  notification waits for the tax bureau — which collects every resident premium and records
  the person as unpaid (seed 003 附件三(二)4) — until it acks.

**What the system knows** (issue 12 Part C): a reason is checked against the records — "参加职工
医保" needs an employee basic enrollment (310) in force, "死亡" a death on record (an approved 死亡
附件3 or an enrollment ended for 死亡), "跨省重复缴费" the other province's record entered by staff
as ``evidence`` (at the counter when staff ask, else before approving) — refused with
``E_RESIDENT_REFUND_NO_EMPLOYEE_ENROLLMENT`` / ``_NO_DEATH_RECORD`` / ``_EVIDENCE``. **Separation of
duties**: the clerk who entered a request cannot approve it (``E_FOUR_EYES``).

One request in progress or approved per payment (a partial unique index); a rejected one may be
asked again. Each refusal is raised before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import Enrollment, PremiumPayment, PremiumRefund, ResidentPremium, SubsidyGrant
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import ledger as L
from gongji.domain.clock import local_date
from gongji.domain.errors import (
    DuplicateRecord,
    Forbidden,
    FourEyesRequired,
    InvalidRequest,
    InvalidStateTransition,
    NotFound,
    RefundAfterBenefitStart,
    RefundEvidenceMissing,
    RefundNoDeathRecord,
    RefundNoEmployeeEnrollment,
    UnknownCode,
)
from gongji.domain.registry import EMPLOYEE_BASIC, EnrollmentStatus, region_in_scope
from gongji.domain.resident import RefundDecision, check_refund
from gongji.policy.schema import Profile
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.collection import cash_assistance
from gongji.services.family import premiums as family_premiums
from gongji.services.registry.persons import Ctx, audit_event, get_person, person_regions, require_reason
from gongji.services.resident import categories, recoveries, subsidies
from gongji.services.resident.channels import CHANNEL_ZH, channel_account
from gongji.services.resident.premiums import (
    APPROVED,
    CHANNEL_FAMILY,
    FULL_SUBSIDY_REASON,
    PAID,
    REFUND_REASON_ZH,
    REFUND_ROW,
    REFUND_STATUS_ZH,
    REFUNDED,
    REJECTED,
    REQUESTED,
    TAX_STATUS,
    premium_view,
    refund_view,
    who,
)

PAID_OUT_KINDS = recoveries.PAID_OUT_KINDS
"""Subsidy grants paid to the person apart from the premium: withheld from a refund (002 §七)."""
MAX_NOTE = 200


# --- what a refund would be ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Refundable:
    payment: PremiumPayment
    premium: ResidentPremium
    decision: RefundDecision
    source: str  # where the premium came from: the reversal pays it back there
    from_assistance: bool  # the full-subsidy roster paid the premium
    withheld_fen: int  # subsidy paid out to the person, kept back from the refund for the assistance fund
    recover_fen: int = 0  # family-paid: the subsidy paid out to the relative, now owed by them (应收)
    fund_region: str = ""  # whose assistance fund paid the subsidy (categories.subsidy_region, 002 §四(二)3)

    @property
    def back_to_source_fen(self) -> int:
        return self.payment.amount_fen - self.withheld_fen


def _grants(uow: UnitOfWork, premium: ResidentPremium) -> tuple[int, int, set[int]]:
    """(all subsidy of the year, the part paid out to the person, ledger txns of roster payments)."""
    rows = uow.session.execute(
        select(SubsidyGrant.kind, SubsidyGrant.amount_fen, SubsidyGrant.ledger_txn_id).where(
            SubsidyGrant.person_id == premium.person_id, SubsidyGrant.benefit_year == premium.benefit_year
        )
    ).all()
    total = sum(int(amount) for _, amount, _ in rows)
    paid_out = sum(int(amount) for kind, amount, _ in rows if kind in PAID_OUT_KINDS)
    roster_txns = {int(txn) for kind, _, txn in rows if kind == subsidies.ROSTER_PAY and txn is not None}
    return total, paid_out, roster_txns


def _source_of(uow: UnitOfWork, payment: PremiumPayment, *, from_assistance: bool, region: str) -> str:
    if from_assistance:
        return subsidies.assistance_account(region)
    if payment.channel == CHANNEL_FAMILY:
        assert payment.family_payment_id is not None
        return family_premiums.premium_source(uow, family_payment_id=payment.family_payment_id)
    return channel_account(payment.channel)


def _refundable(
    uow: UnitOfWork,
    profile: Profile,
    payment: PremiumPayment,
    premium: ResidentPremium,
    *,
    reason: str,
    day: date,
) -> _Refundable:
    """Apply ``check_refund`` as of ``day`` (the day of asking) to a payment in force."""
    if payment.status != PAID or premium.status != PAID:
        raise InvalidStateTransition("该笔缴费已退费，不能再申请", "This payment is no longer in force")
    subsidy_total, paid_out, roster_txns = _grants(uow, premium) if premium.insutype == "390" else (0, 0, set())
    from_assistance = payment.ledger_txn_id is not None and payment.ledger_txn_id in roster_txns
    decision = check_refund(
        profile.resident_terms(premium.benefit_year, premium.region_code).refund,
        reason=reason,
        today=day,
        payment_day=min(local_date(payment.created_at), day),
        benefit_year=premium.benefit_year,
        paid_individual_fen=payment.amount_fen,
        subsidy_fen=subsidy_total,
        paid_from_family=payment.channel == CHANNEL_FAMILY,
    )
    if from_assistance:  # the assistance fund paid the premium: it is its own to get back
        withheld = 0
    else:
        withheld = max(0, min(payment.amount_fen, payment.amount_fen - decision.amount_fen))
    source = _source_of(uow, payment, from_assistance=from_assistance, region=premium.region_code)
    recover = 0
    if payment.channel == CHANNEL_FAMILY and withheld > 0:
        # the family account gets its whole 代缴 back: the subsidy was paid to the relative, not to
        # the family, so it is owed by the relative (never taken from family money, issue 12)
        owed = recoveries.paid_out_fen(uow, premium.person_id, premium.benefit_year)
        owed -= recoveries.already_owed_fen(uow, premium.person_id, premium.benefit_year)
        recover, withheld = max(0, min(withheld, owed)), 0
    fund = categories.subsidy_region(uow, profile, premium.person_id, insured_region=premium.region_code)
    return _Refundable(payment, premium, decision, source, from_assistance, withheld, recover, fund)


def _quote_view(r: _Refundable) -> dict[str, Any]:
    to_person = 0 if r.from_assistance else r.back_to_source_fen
    return {
        "payment_fen": r.payment.amount_fen,
        "refund_fen": to_person,
        "withheld_fen": r.withheld_fen,
        "to_assistance_fen": r.withheld_fen + (r.payment.amount_fen if r.from_assistance else 0),
        "recover_fen": r.recover_fen,
        "route": "family_account" if r.payment.channel == CHANNEL_FAMILY else "original",
        "route_name": (
            "退回医疗救助资金"
            if r.from_assistance
            else f"原渠道退回（{CHANNEL_ZH.get(r.payment.channel, r.payment.channel)}）"
        ),
        "notify_tax": True,
    }


# --- who may act on a payment ------------------------------------------------------------------------


def _payment(uow: UnitOfWork, ctx: Ctx, payment_id: int) -> tuple[PremiumPayment, ResidentPremium]:
    """A payment the actor may ask a refund of. To a citizen, a payment that is not theirs to
    refund does not exist (the family payer for the family account, the insured person else)."""
    if ctx.principal.role not in (Role.CITIZEN, Role.STAFF):
        raise Forbidden()
    p = uow.session.get(PremiumPayment, payment_id)
    premium = uow.session.get(ResidentPremium, p.premium_id) if p is not None else None
    if p is None or premium is None or p.reverses_id is not None:
        raise NotFound("缴费记录不存在", "Premium payment not found", payment_id=payment_id)
    if ctx.principal.role is Role.CITIZEN:
        asker = p.payer_person_id if p.channel == CHANNEL_FAMILY else premium.person_id
        if ctx.principal.person_id != asker:
            raise NotFound("缴费记录不存在", "Premium payment not found", payment_id=payment_id)
    _require_staff_scope(uow, ctx, p, premium)
    return p, premium


def _require_staff_scope(uow: UnitOfWork, ctx: Ctx, p: PremiumPayment, premium: ResidentPremium) -> None:
    if ctx.principal.role is not Role.STAFF:
        return
    regions = [premium.region_code, *person_regions(uow, premium.person_id)]
    if p.payer_person_id is not None:
        regions += person_regions(uow, p.payer_person_id)
    ctx.principal.require_person_access(person_id=premium.person_id, regions=regions)


def _lock_premium(uow: UnitOfWork, premium_id: int) -> ResidentPremium:
    return uow.session.scalars(
        select(ResidentPremium)
        .where(ResidentPremium.id == premium_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _check_reason(reason: object) -> str:
    if not isinstance(reason, str) or reason not in REFUND_REASON_ZH:
        raise UnknownCode("退费原因代码不存在", "Unknown refund reason", field="reason", value=str(reason)[:40])
    return reason


def _check_grounds(uow: UnitOfWork, premium: ResidentPremium, reason: str) -> None:
    """The reason as the records show it: an employee enrollment in force for "参加职工医保", a
    death on record for "死亡" (issue 12 Part C). Evidence for "跨省重复缴费" is ``_evidence``'s."""
    if reason == "joined_employee_insurance":
        employee = uow.session.scalar(
            select(Enrollment.id)
            .where(
                Enrollment.person_id == premium.person_id,
                Enrollment.insutype == EMPLOYEE_BASIC,
                Enrollment.status != EnrollmentStatus.TERMINATED.value,
            )
            .limit(1)
        )
        if employee is None:
            raise RefundNoEmployeeEnrollment(person_id=premium.person_id)
    elif reason == "death" and not subsidies.is_dead(uow, premium.person_id):
        raise RefundNoDeathRecord(person_id=premium.person_id)


def _evidence(ctx: Ctx, reason: str, evidence: str | None, *, stored: str | None) -> str | None:
    """The other province's record for "跨省重复缴费", entered by staff (2-200 characters): given
    now, or already stored on the request. Other reasons take none."""
    if reason != "cross_province_duplicate":
        return None
    text = (evidence or "").strip() or None
    if text is not None:
        ctx.principal.require(Role.STAFF)
        if not 2 <= len(text) <= MAX_NOTE:
            raise InvalidRequest(
                f"外省参保缴费凭证为2-{MAX_NOTE}字", f"Evidence: 2-{MAX_NOTE} characters", field="evidence"
            )
        return text
    if stored is None:
        raise RefundEvidenceMissing()
    return stored


def _check_note(note: str | None) -> str | None:
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidRequest(f"说明不超过{MAX_NOTE}字", f"Note: at most {MAX_NOTE} characters", field="note")
    return note


# --- views -------------------------------------------------------------------------------------------


def _open_request(uow: UnitOfWork, payment_id: int) -> PremiumRefund | None:
    return uow.session.scalar(
        select(PremiumRefund).where(PremiumRefund.premium_payment_id == payment_id, PremiumRefund.status != REJECTED)
    )


def refund_of_payment(uow: UnitOfWork, payment_id: int) -> dict[str, Any] | None:
    """The request in progress or approved for a payment, if any (for the payment lists)."""
    row = _open_request(uow, payment_id)
    return refund_view(row) if row is not None else None


# --- use cases -----------------------------------------------------------------------------------------


def quote_refund(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, payment_id: int, reason: str) -> dict[str, Any]:
    """What a refund of this payment for ``reason`` would pay back today, or the refusal (raised):
    shown before the citizen or the counter confirms. Writes nothing."""
    payment, premium = _payment(uow, ctx, payment_id)
    reason = _check_reason(reason)
    r = _refundable(uow, profile, payment, premium, reason=reason, day=ctx.clock.today())
    _check_grounds(uow, premium, reason)
    return {"payment_id": payment.id, "premium": premium_view(uow, premium), **_quote_view(r)}


def _request(uow: UnitOfWork, ctx: Ctx, refund_id: int) -> tuple[PremiumRefund, PremiumPayment, ResidentPremium]:
    """A refund request, its payment and premium, for staff of the person's (or payer's) regions."""
    ctx.principal.require(Role.STAFF)
    refund = uow.session.get(PremiumRefund, refund_id)
    if refund is None:
        raise NotFound("退费申请不存在", "Refund request not found", refund_id=refund_id)
    payment = uow.session.get(PremiumPayment, refund.premium_payment_id)
    assert payment is not None
    premium = uow.session.get(ResidentPremium, payment.premium_id)
    assert premium is not None
    _require_staff_scope(uow, ctx, payment, premium)
    return refund, payment, premium


def quote_request(uow: UnitOfWork, ctx: Ctx, profile: Profile, *, refund_id: int) -> dict[str, Any]:
    """Staff: what approving this request would move now — the same decision as ``review_refund``
    (the deadline as of the day it was asked, the benefit period as of today), or the refusal
    (raised). Writes nothing."""
    refund, payment, premium = _request(uow, ctx, refund_id)
    if refund.status != REQUESTED:
        raise InvalidStateTransition("该退费申请已审核", "This request was already reviewed", status=refund.status)
    _guard_benefit_started(profile, premium, ctx)
    r = _refundable(uow, profile, payment, premium, reason=refund.reason, day=local_date(refund.requested_at))
    _check_grounds(uow, premium, refund.reason)
    return {
        "refund_id": refund.id,
        "payment_id": payment.id,
        "needs_evidence": refund.reason == "cross_province_duplicate" and refund.evidence is None,
        "entered_by_me": refund.requested_by_user_id == ctx.principal.user_id,
        **_quote_view(r),
    }


def request_refund(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    payment_id: int,
    reason: str,
    note: str | None = None,
    evidence: str | None = None,
) -> dict[str, Any]:
    """Ask for a payment's refund (see the module docstring for who may ask and the rules). Staff
    at the counter enter the evidence of a cross-province duplicate with the request; a citizen's
    request waits for staff to enter it before approval."""
    payment, premium = _payment(uow, ctx, payment_id)
    reason = _check_reason(reason)
    note = _check_note(note)
    premium = _lock_premium(uow, premium.id)
    _refundable(uow, profile, payment, premium, reason=reason, day=ctx.clock.today())
    _check_grounds(uow, premium, reason)
    if ctx.principal.role is Role.STAFF:
        evidence = _evidence(ctx, reason, evidence, stored=None)
    elif evidence:
        raise InvalidRequest("凭证由经办人员录入", "Evidence is entered by staff", field="evidence")
    existing = _open_request(uow, payment.id)
    if existing is not None:
        raise DuplicateRecord(
            "该笔缴费已提交退费申请", "A refund request for this payment exists", refund_id=existing.id
        )
    row = PremiumRefund(
        premium_payment_id=payment.id,
        reason=reason,
        note=note,
        status=REQUESTED,
        requested_by_user_id=ctx.principal.user_id,
        requested_at=ctx.clock.now(),
        evidence=evidence,
        evidence_by_user_id=ctx.principal.user_id if evidence else None,
        tax_notified=False,
    )
    uow.session.add(row)
    uow.session.flush()
    audit_event(uow, ctx, "premium.refund_request", "premium_refund", row.id, payment_id=payment.id, reason=reason)
    return refund_view(row)


def refund_requests(uow: UnitOfWork, ctx: Ctx, *, status: str = REQUESTED, limit: int = 100) -> list[dict[str, Any]]:
    """Staff: refund requests of premiums insured in their regions, oldest first (masked)."""
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
        out.append(
            refund_view(refund)
            | {
                "premium": premium_view(uow, premium),
                "channel": payment.channel,
                "channel_name": CHANNEL_ZH.get(payment.channel, payment.channel),
                "payment_fen": payment.amount_fen,
                "payer": who(get_person(uow, payment.payer_person_id)) if payment.payer_person_id else None,
            }
        )
        if len(out) >= max(1, min(limit, 500)):
            break
    return out


def pending_refund_count(uow: UnitOfWork, ctx: Ctx) -> int:
    """How many requests wait for review in the staff member's regions (for the staff home):
    one query of the premiums' regions, no views built."""
    ctx.principal.require(Role.STAFF)
    regions = uow.session.scalars(
        select(ResidentPremium.region_code)
        .join(PremiumPayment, PremiumPayment.premium_id == ResidentPremium.id)
        .join(PremiumRefund, PremiumRefund.premium_payment_id == PremiumPayment.id)
        .where(PremiumRefund.status == REQUESTED)
    )
    scopes = list(ctx.principal.regions)
    return sum(1 for region in regions if region_in_scope(region, scopes))


def _guard_benefit_started(profile: Profile, premium: ResidentPremium, ctx: Ctx) -> None:
    """待遇享受期开始后 … 个人缴费不再退回 (002 §七): checked again when staff approve."""
    refund = profile.resident_terms(premium.benefit_year, premium.region_code).refund
    if ctx.clock.today() >= date(premium.benefit_year, 1, 1) and not refund.refund_after_benefit_start:
        raise RefundAfterBenefitStart(benefit_year=premium.benefit_year)


def review_refund(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    *,
    refund_id: int,
    approve: bool,
    note: str,
    evidence: str | None = None,
) -> dict[str, Any]:
    """Staff review a refund request (see the module docstring for what approval moves): approval
    by a clerk other than the one who entered it, with the reason borne out by the records.
    Rejected: nothing moves; the payer may ask again."""
    refund, payment, premium = _request(uow, ctx, refund_id)
    note = require_reason(note)
    if refund.status != REQUESTED:
        raise InvalidStateTransition("该退费申请已审核", "This request was already reviewed", status=refund.status)
    now = ctx.clock.now()
    if approve:
        if refund.requested_by_user_id == ctx.principal.user_id:
            raise FourEyesRequired(refund_id=refund.id)
        premium = _lock_premium(uow, payment.premium_id)
        _guard_benefit_started(profile, premium, ctx)
        r = _refundable(uow, profile, payment, premium, reason=refund.reason, day=local_date(refund.requested_at))
        _check_grounds(uow, premium, refund.reason)
        given = _evidence(ctx, refund.reason, evidence, stored=refund.evidence)
        if given is not None and given != refund.evidence:
            refund.evidence = given
            refund.evidence_by_user_id = ctx.principal.user_id
        back = _pay_back(uow, ctx, r, refund)
        payment.status = REFUNDED
        premium.status = REFUNDED
        premium.paid_fen -= payment.amount_fen
        premium.channel = None
        premium.refunded_at = now
        refund.status = APPROVED
        refund.refund_payment_id = back.id
        refund.refund_fen = 0 if r.from_assistance else r.back_to_source_fen
        refund.withheld_fen = r.withheld_fen
        refund.tax_notified = False
        recoveries.open_recovery(
            uow,
            ctx,
            key=f"premium-refund:{refund.id}",
            person_id=premium.person_id,
            region_code=r.fund_region or premium.region_code,
            benefit_year=premium.benefit_year,
            origin=recoveries.ORIGIN_REFUND,
            amount_fen=r.recover_fen,
            refund_id=refund.id,
            premium_id=premium.id,
        )
    else:
        refund.status = REJECTED
    refund.reviewed_by_user_id = ctx.principal.user_id
    refund.review_note = note
    refund.reviewed_at = now
    uow.session.flush()
    audit_event(uow, ctx, "premium.refund_review", "premium_refund", refund.id, approve=approve, payment_id=payment.id)
    return refund_view(refund)


def _pay_back(uow: UnitOfWork, ctx: Ctx, r: _Refundable, refund: PremiumRefund) -> PremiumPayment:
    """Reverse the payment to its source, withhold the paid-out subsidy for the assistance fund,
    and record the negative payment row."""
    payment, premium = r.payment, r.premium
    narration = f"城乡居民医保退费（{REFUND_REASON_ZH.get(refund.reason, refund.reason)}）"
    key = f"premium-refund:{refund.id}"
    fund_region = r.fund_region or premium.region_code
    assistance = subsidies.assistance_account(fund_region)
    withhold = (assistance, r.withheld_fen) if r.withheld_fen > 0 else None
    now = ctx.clock.now()
    if withhold is not None:
        ledger.ensure_account(uow, code=assistance, kind=L.AccountKind.EXTERNAL, now=now, region_code=fund_region)
    if payment.channel == CHANNEL_FAMILY and not r.from_assistance:
        assert payment.family_payment_id is not None
        txn_id = int(
            family_premiums.refund_premium(
                uow,
                ctx,
                family_payment_id=payment.family_payment_id,
                reason=narration,
                idempotency_key=key,
            ).body["txn_id"]
        )
    else:
        if payment.ledger_txn_id is None:
            raise InvalidStateTransition("该笔缴费无记账凭证，不能原路退回", "This payment has no ledger entry")
        txn_id = int(
            ledger.reverse(
                uow,
                txn_id=payment.ledger_txn_id,
                idempotency_key=L.scoped_key("premium-refund", key),
                reason=narration,
                now=now,
                user_id=ctx.principal.user_id,
            ).body["txn_id"]
        )
        if r.from_assistance:  # deducted from a township's 待报解 account: back on to the fund
            cash_assistance.return_to_fund(
                uow,
                paid_txn_id=payment.ledger_txn_id,
                region_code=premium.region_code,
                key=key,
                now=now,
                user_id=ctx.principal.user_id,
            )
        if withhold is not None:
            ledger.post(
                uow,
                L.TransactionDraft(
                    idempotency_key=L.scoped_key("premium-refund-withhold", key),
                    kind="premium.refund.withhold",
                    narration=f"{narration}：资助部分不予退回，退回医疗救助资金",
                    postings=L.transfer(r.source, assistance, r.withheld_fen),
                ),
                request={"op": "premium.refund.withhold", "refund_id": refund.id, "amount_fen": r.withheld_fen},
                now=now,
                user_id=ctx.principal.user_id,
            )
    back = PremiumPayment(
        premium_id=premium.id,
        channel=payment.channel,
        amount_fen=-payment.amount_fen,
        payer_person_id=payment.payer_person_id,
        binding_id=payment.binding_id,
        commitment_id=payment.commitment_id,
        family_payment_id=payment.family_payment_id,
        ledger_txn_id=txn_id,
        tax_request_id=payment.tax_request_id,
        reverses_id=payment.id,
        status=REFUND_ROW,
        created_at=now,
    )
    uow.session.add(back)
    uow.session.flush()
    return back


# --- telling the tax bureau (→ unpaid) ----------------------------------------------------------------


def _notification_view(uow: UnitOfWork, r: PremiumRefund) -> dict[str, Any]:
    payment = uow.session.get(PremiumPayment, r.premium_payment_id)
    assert payment is not None
    premium = uow.session.get(ResidentPremium, payment.premium_id)
    assert premium is not None
    return {
        "notification_id": r.id,
        "kind": "family_premium_refund" if payment.channel == CHANNEL_FAMILY else "premium_refund",
        "channel": payment.channel,
        "tax_request_id": payment.tax_request_id,
        "benefit_year": premium.benefit_year,
        "insutype": premium.insutype,
        "refund_fen": payment.amount_fen,
        "reason": r.reason,
        # a 代缴 returned because the full-subsidy roster paid the premium: still paid (by assistance)
        "tax_status": TAX_STATUS[PAID if r.reason == FULL_SUBSIDY_REASON else REFUNDED],
        "paid_by_assistance": r.reason == FULL_SUBSIDY_REASON,
        "relative": who(get_person(uow, premium.person_id)),
        "payer": who(get_person(uow, payment.payer_person_id)) if payment.payer_person_id else None,
        "refunded_at": r.reviewed_at.isoformat() if r.reviewed_at else None,
        "acked": r.tax_notified,
        "acked_at": r.tax_acked_at.isoformat() if r.tax_acked_at else None,
    }


def tax_refund_notifications(uow: UnitOfWork, ctx: Ctx, *, limit: int = 100) -> list[dict[str, Any]]:
    """Approved refunds the tax bureau has not acknowledged yet, oldest first: each one turns the
    person's premium to unpaid on the tax side (seed 003 附件三(二)4)."""
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
