"""零星报销 use cases (seed 003 附件二(四); issue 15 §2): register a claim with its invoices and fee
list, compute the benefit with the 2207 engine, approve (a second clerk) and pay to the bank card.

Money, at approval, in the one database transaction of the use case:

- the fund's share: ``clearing:reimburse:<insured region>:<insutype>`` (what the pool owes for
  零星报销 paid out, settled against the pool by the back office like 2207's ``clearing:fundpay``)
  → ``external:payout:<claimant>``, kind ``reimburse.fund``;
- the accounts' share through the family payment service (own account → family funds, the
  profile's scope per part, 先个人后共济) → the same card, kind ``reimburse.account`` with the
  invoices in the answer — the only kind allowed to pay personal money to a card
  (``domain.ledger.check_no_cash_out``). A family draw on an authorizer insured in another pooling
  region books the region pair (``services.backoffice.advances``): the relative's region advances,
  the authorizer's account is debited at once, and the monthly clearing settles the pair
  (``clearing_sql`` reads paid claims beside settlements); same region: the original channel;
- the yearly accumulators (deductible, cap) move as a 2207's do.

Staff act in the claimant's insured region; reads are audited by the views.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    FamilyBinding,
    ReimbursementClaim,
    ReimbursementDraw,
    ReimbursementFee,
    ReimbursementInvoice,
    Visit,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import ledger as L
from gongji.domain import offsite_settlement as OS
from gongji.domain import reimbursement as R
from gongji.domain import settlement as S
from gongji.domain.errors import (
    IdempotencyConflict,
    InvalidRequest,
    InvalidStateTransition,
    NoBenefitRule,
    NotFound,
    ReimbursementInvoiceDuplicate,
    ReimbursementStale,
    UnknownCode,
)
from gongji.policy.schema import PolicyLookupError, Profile
from gongji.services import ledger
from gongji.services.auth import Role
from gongji.services.family import payment as family_payment
from gongji.services.registry.context import Ctx, audit_event, get_person, require_reason
from gongji.services.resident import waiting
from gongji.services.settlement import benefit, offsite_rules
from gongji.services.settlement.lookups import catalogue, enrollment_of


def fund_account(region: str, insutype: str) -> str:
    """What a pool owes for 零星报销 it paid out (clearing kind: may be negative)."""
    return f"clearing:reimburse:{region}:{insutype}"


# --- register --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeIn:
    item_code: str
    count: str
    price: str  # unit price in yuan, up to 6 decimals
    amount_fen: int


@dataclass(frozen=True)
class ClaimIn:
    person_id: int
    insutype: str
    med_type: str
    institution_kind: str
    institution_level: int
    treatment_region: str
    begin_date: date
    reason: str
    acct_used_flag: str
    invoices: tuple[R.Invoice, ...]
    fees: tuple[FeeIn, ...]

    def request(self) -> dict[str, Any]:
        return {
            "op": "reimburse.register",
            **{k: v for k, v in self.__dict__.items() if k not in {"invoices", "fees", "begin_date"}},
            "begin_date": self.begin_date.isoformat(),
            "invoices": [
                [i.number, i.institution_name, i.institution_code, i.invoice_date.isoformat(), i.amount_fen]
                for i in self.invoices
            ],
            "fees": [[f.item_code, f.count, f.price, f.amount_fen] for f in self.fees],
        }


def _check_codes(claim: ClaimIn, today: date) -> None:
    if claim.reason not in R.REASON_ZH:
        raise UnknownCode("报销原因代码不存在", "Unknown reason", field="reason", value=claim.reason[:20])
    if claim.institution_kind not in R.INSTITUTION_KINDS:
        raise UnknownCode("机构类别应为hospital或pharmacy", "institution_kind is hospital or pharmacy")
    if claim.acct_used_flag not in R.ACCT_FLAGS:
        raise UnknownCode("个人账户使用标志须为0、1或2", "acct_used_flag must be 0, 1 or 2", field="acct_used_flag")
    if not 0 <= claim.institution_level <= 3:
        raise InvalidRequest("机构等级应为0至3", "institution_level is 0..3", field="institution_level")
    if not (len(claim.treatment_region) == 6 and claim.treatment_region.isdigit()):
        raise InvalidRequest(
            "就医地应为6位行政区划代码", "treatment_region is a 6-digit code", field="treatment_region"
        )
    if claim.begin_date > today:
        raise InvalidRequest("就医日期不能晚于今天", "begin_date is in the future", field="begin_date")


def register(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, claim: ClaimIn, *, idempotency_key: str
) -> ReimbursementClaim:
    """Staff of the claimant's insured region register a claim (受理). Idempotent by key; an invoice
    number claimed before (in a claim not rejected) is refused, as is a fee list that does not
    add up to the invoices."""
    ctx.principal.require(Role.STAFF)
    ledger.require_idempotency_key(idempotency_key)
    digest = L.request_hash(claim.request())
    found = uow.session.scalar(select(ReimbursementClaim).where(ReimbursementClaim.idempotency_key == idempotency_key))
    if found is not None:
        if found.request_hash != digest:
            raise IdempotencyConflict(idempotency_key=idempotency_key)
        ctx.principal.require_region(found.region_code)
        return found
    today = ctx.clock.today()
    _check_codes(claim, today)
    get_person(uow, claim.person_id)
    enrollment = enrollment_of(uow, claim.person_id, claim.insutype)
    ctx.principal.require_region(enrollment.region_code)
    invoices = R.check_invoices(claim.invoices, today=today)
    lines = [R.fee_line(str(n), f.item_code, f.count, f.price, f.amount_fen) for n, f in enumerate(claim.fees, 1)]
    R.fee_split(lines, catalogue(), invoices)
    numbers = [i.number.strip() for i in invoices]
    taken = uow.session.scalar(
        select(ReimbursementInvoice.invoice_no).where(
            ReimbursementInvoice.invoice_no.in_(numbers), ReimbursementInvoice.live.is_(True)
        )
    )
    if taken is not None:
        raise ReimbursementInvoiceDuplicate(invoice_no=taken)
    now = ctx.clock.now()
    row = ReimbursementClaim(
        idempotency_key=idempotency_key,
        request_hash=digest,
        person_id=claim.person_id,
        region_code=enrollment.region_code,
        insutype=claim.insutype,
        med_type=S.canonical_med_type(claim.med_type, profile.settlement.med_type_aliases),
        institution_kind=claim.institution_kind,
        institution_level=claim.institution_level,
        treatment_region=claim.treatment_region,
        begin_date=claim.begin_date,
        reason=claim.reason,
        acct_used_flag=claim.acct_used_flag,
        state=R.REGISTERED,
        total_fen=sum(i.amount_fen for i in invoices),
        registered_by_user_id=ctx.principal.user_id,
        registered_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    for inv in invoices:
        uow.session.add(
            ReimbursementInvoice(
                claim_id=row.id,
                invoice_no=inv.number.strip(),
                institution_name=inv.institution_name.strip()[:100],
                institution_code=(inv.institution_code or "").strip()[:30] or None,
                invoice_date=inv.invoice_date,
                amount_fen=inv.amount_fen,
                live=True,
            )
        )
    for line, fee in zip(lines, claim.fees, strict=True):
        uow.session.add(
            ReimbursementFee(
                claim_id=row.id,
                sn=line.sn,
                item_code=line.item_code,
                count=str(line.count),
                price=fee.price.strip(),
                amount_fen=line.amount_fen,
            )
        )
    uow.session.flush()
    audit_event(
        uow,
        ctx,
        "reimburse.register",
        "reimbursement_claim",
        row.id,
        person_id=row.person_id,
        total_fen=row.total_fen,
        invoices=numbers,
    )
    return row


# --- the engine --------------------------------------------------------------------------------------


@dataclass
class Figures:
    split: S.FeeSplit
    fund: S.FundResult
    limits: S.AccountLimits
    use: str
    year: int
    per_admission: bool
    offsite: OS.Ruling
    waiting_until: date | None
    accumulator: Any


def get_claim(uow: UnitOfWork, claim_id: int, *, lock: bool = False) -> ReimbursementClaim:
    """The claim, or NotFound; ``lock``: FOR UPDATE, so two clerks acting on it at once queue and
    the second sees the first one's state (SQLite's BEGIN IMMEDIATE already serializes)."""
    claim = uow.session.get(ReimbursementClaim, claim_id, with_for_update=lock, populate_existing=lock)
    if claim is None:
        raise NotFound("报销申请不存在", "Claim not found", claim_id=claim_id)
    return claim


def invoices_of(uow: UnitOfWork, claim_id: int) -> list[ReimbursementInvoice]:
    return list(
        uow.session.scalars(
            select(ReimbursementInvoice)
            .where(ReimbursementInvoice.claim_id == claim_id)
            .order_by(ReimbursementInvoice.id)
        )
    )


def fees_of(uow: UnitOfWork, claim_id: int) -> list[ReimbursementFee]:
    return list(
        uow.session.scalars(
            select(ReimbursementFee).where(ReimbursementFee.claim_id == claim_id).order_by(ReimbursementFee.id)
        )
    )


def figures(uow: UnitOfWork, profile: Profile, claim: ReimbursementClaim, *, lock: bool) -> Figures:
    """The 2207 engine over the claim: fee split by the catalogue, the benefit rule for insutype ×
    med_type × level, the off-site rule and waiting period, the yearly accumulators (locked when
    paying), and what the own account and family funds may pay by part."""
    enrollment_of(uow, claim.person_id, claim.insutype)
    try:
        rule = profile.benefit_rule(claim.insutype, claim.med_type, claim.institution_level)
    except PolicyLookupError as exc:
        raise NoBenefitRule(insutype=claim.insutype, med_type=claim.med_type, level=claim.institution_level) from exc
    lines = [R.fee_line(f.sn, f.item_code, f.count, f.price, f.amount_fen) for f in fees_of(uow, claim.id)]
    cat = catalogue()
    split = S.split_fees(lines, cat)
    year = claim.begin_date.year
    acc = benefit._accumulator(uow, claim.person_id, year, claim.insutype, claim.med_type, lock=lock)  # noqa: SLF001
    per_admission = rule.deductible_basis == "per_admission"  # the claim is one admission
    deductible_paid = 0 if per_admission else (acc.deductible_paid_fen if acc else 0)
    visit = Visit(  # transient: the off-site rule reads where and when, nothing is stored
        person_id=claim.person_id,
        treatment_region=claim.treatment_region,
        insured_region=claim.region_code,
        begntime=datetime.combine(claim.begin_date, datetime.min.time()),
    )
    offsite = offsite_rules.ruling(
        uow, profile, visit=visit, med_type=claim.med_type, ratio_permille=rule.fund_ratio_permille, data={}
    )
    waits = waiting.fund_waits_until(uow, claim.person_id, claim.insutype, claim.begin_date)
    fund = S.fund_payment(
        split,
        S.BenefitParams(
            deductible_fen=0 if waits else rule.deductible_fen,
            fund_ratio_permille=0 if waits else offsite.ratio(rule.fund_ratio_permille),
            annual_cap_fen=rule.annual_cap_fen,
            deductible_per_admission=per_admission,
        ),
        S.Accumulated(deductible_paid_fen=deductible_paid, fund_paid_fen=acc.fund_paid_fen if acc else 0),
    )
    kinds = {cat[line.item_code].kind for line in lines if line.item_code in cat}
    use = S.use_kind(med_type=claim.med_type, institution_kind=claim.institution_kind, item_kinds=kinds)
    limits = S.account_limits(
        split,
        fund,
        own_parts=profile.settlement.own_account_scope.parts_for(use),
        family_parts=profile.settlement.family_scope.parts_for(use),
    )
    return Figures(split, fund, limits, use, year, per_admission, offsite, waits, acc)


def _store(claim: ReimbursementClaim, f: Figures, amounts: S.SettlementAmounts) -> None:
    claim.hifp_pay_fen = amounts.hifp_pay_fen
    claim.own_fen = amounts.acct_pay_fen - amounts.acct_mulaid_pay_fen
    claim.family_fen = amounts.acct_mulaid_pay_fen
    claim.cash_fen = amounts.psn_cash_pay_fen
    shares = f.limits.shares(claim.own_fen, claim.family_fen)
    claim.figures_json = json.dumps(
        {
            "amounts": {k: getattr(amounts, k) for k in amounts.__dataclass_fields__},
            "use": f.use,
            "year": f.year,
            "cap_left_fen": f.fund.cap_left_fen,
            "offsite": f.offsite.text_zh,
            "waiting_until": f.waiting_until.isoformat() if f.waiting_until else None,
            "split_text": S.describe(shares),
            "parts": [[s.part, s.amount_fen, s.own_fen, s.family_fen, s.cash_fen] for s in shares],
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _in_region(ctx: Ctx, claim: ReimbursementClaim) -> None:
    ctx.principal.require(Role.STAFF)
    ctx.principal.require_region(claim.region_code)


def _require_state(claim: ReimbursementClaim, *states: str) -> None:
    if claim.state not in states:
        raise InvalidStateTransition(
            f"报销申请当前状态为{R.STATE_ZH.get(claim.state, claim.state)}，不能办理此操作",
            "The claim is not in a state for this step",
            state=claim.state,
        )


def compute(uow: UnitOfWork, ctx: Ctx, profile: Profile, claim_id: int) -> ReimbursementClaim:
    """核算: the figures a 2207 of the same costs would give, with the accounts' split previewed
    (nothing locked or moved). May be run again until the claim is approved."""
    claim = get_claim(uow, claim_id, lock=True)
    _in_region(ctx, claim)
    _require_state(claim, R.REGISTERED, R.COMPUTED)
    f = figures(uow, profile, claim, lock=False)
    own = fam = 0
    amount = R.account_request_fen(f.limits, claim.acct_used_flag)
    if amount > 0:
        split = family_payment.preview(
            uow,
            profile,
            relative_id=claim.person_id,
            amount_fen=amount,
            use=f.use,
            institution_region=claim.treatment_region,
            use_family=claim.acct_used_flag == "2",
            limits=f.limits,
        )
        own, fam = split.own_fen, split.family_fen
    amounts = S.compose(f.split, f.fund, own_fen=own, family_fen=fam)
    _store(claim, f, amounts)
    claim.state, claim.computed_by_user_id = R.COMPUTED, ctx.principal.user_id
    claim.computed_at = claim.updated_at = ctx.clock.now()
    audit_event(
        uow,
        ctx,
        "reimburse.compute",
        "reimbursement_claim",
        claim.id,
        fund_fen=claim.hifp_pay_fen,
        own_fen=own,
        family_fen=fam,
        cash_fen=claim.cash_fen,
    )
    return claim


def approve(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, claim_id: int, *, idempotency_key: str
) -> tuple[ReimbursementClaim, bool]:
    """审核支付 by a second clerk: the figures are recomputed under lock and must be those shown
    (else ``ReimbursementStale``, nothing moves), then the fund's and the accounts' shares go to the
    claimant's card with the invoices. A replay of the key answers the paid claim (True)."""
    ledger.require_idempotency_key(idempotency_key)
    claim = get_claim(uow, claim_id, lock=True)
    _in_region(ctx, claim)
    if claim.state == R.PAID:
        if claim.approve_key == idempotency_key:
            return claim, True
        raise InvalidStateTransition("该报销申请已支付", "The claim was paid already", state=claim.state)
    _require_state(claim, R.COMPUTED)
    R.check_approver(
        approver_id=ctx.principal.user_id,
        registered_by=claim.registered_by_user_id,
        computed_by=claim.computed_by_user_id,
    )
    now = ctx.clock.now()
    f = figures(uow, profile, claim, lock=True)
    if f.fund.hifp_pay_fen != claim.hifp_pay_fen:
        raise ReimbursementStale(shown_fen=claim.hifp_pay_fen, now_fen=f.fund.hifp_pay_fen)
    payee = L.cash_payout(claim.person_id)
    ledger.ensure_account(uow, code=payee, kind=L.AccountKind.EXTERNAL, now=now, region_code=claim.region_code)
    invoices = [i.invoice_no for i in invoices_of(uow, claim.id)]
    extra = {"invoices": invoices, "claim_id": claim.id}
    if f.fund.hifp_pay_fen:
        source = fund_account(claim.region_code, claim.insutype)
        ledger.ensure_account(uow, code=source, kind=L.AccountKind.CLEARING, now=now, region_code=claim.region_code)
        posted = ledger.post(
            uow,
            L.TransactionDraft(
                idempotency_key=f"reimburse:{claim.id}:fund",
                kind="reimburse.fund",
                narration=f"零星报销统筹基金支付（申请{claim.id}）",
                postings=L.transfer(source, payee, f.fund.hifp_pay_fen),
            ),
            request={"op": "reimburse.fund", "claim": claim.id, "amount_fen": f.fund.hifp_pay_fen},
            now=now,
            user_id=ctx.principal.user_id,
            extra=extra,
        )
        claim.fund_txn_id = int(posted.body["txn_id"])
    own = fam = 0
    draws: list[dict[str, Any]] = []
    amount = R.account_request_fen(f.limits, claim.acct_used_flag)
    if amount > 0:
        paid = family_payment.pay(
            uow,
            ctx,
            profile,
            relative_id=claim.person_id,
            amount_fen=amount,
            use=f.use,
            payee_account=payee,
            idempotency_key=f"reimburse:{claim.id}",
            institution_region=claim.treatment_region,
            use_family=claim.acct_used_flag == "2",
            reference=f"reimburse:{claim.id}",
            limits=f.limits,
            insured_region=claim.region_code,
            kind="reimburse.account",
            extra=extra,
        ).body
        own, fam = int(paid["own_fen"]), int(paid["family_fen"])
        claim.account_txn_id = paid.get("txn_id")
        draws = list(paid["family"])
    if (own, fam) != (claim.own_fen, claim.family_fen):
        raise ReimbursementStale(shown=[claim.own_fen, claim.family_fen], now=[own, fam])
    amounts = S.compose(f.split, f.fund, own_fen=own, family_fen=fam)
    _store(claim, f, amounts)
    _record_draws(uow, claim, draws)
    _accumulate(f, now)
    claim.state, claim.approved_by_user_id, claim.approve_key = R.PAID, ctx.principal.user_id, idempotency_key
    claim.paid_time = now.replace(tzinfo=None, microsecond=0)  # Beijing time, as a settlement's setl_time
    claim.updated_at = now
    audit_event(
        uow,
        ctx,
        "reimburse.approve",
        "reimbursement_claim",
        claim.id,
        payout_fen=R.payout_fen(amounts),
        fund_fen=amounts.hifp_pay_fen,
        own_fen=own,
        family_fen=fam,
        invoices=invoices,
        computed_by=claim.computed_by_user_id,
    )
    return claim, False


def _record_draws(uow: UnitOfWork, claim: ReimbursementClaim, draws: list[dict[str, Any]]) -> None:
    for d in draws:
        binding = uow.session.get(FamilyBinding, int(d["binding_id"]))
        assert binding is not None
        region = ledger.region_of(uow, L.personal_past(binding.authorizer_id)) or claim.region_code
        uow.session.add(
            ReimbursementDraw(
                claim_id=claim.id,
                binding_id=binding.id,
                authorizer_id=binding.authorizer_id,
                region_code=region,
                amount_fen=int(d["amount_fen"]),
            )
        )
    uow.session.flush()


def _accumulate(f: Figures, now: datetime) -> None:
    acc = f.accumulator
    assert acc is not None  # locked (and created) by figures(lock=True)
    if not f.per_admission:
        acc.deductible_paid_fen += f.fund.act_pay_dedc_fen
    acc.fund_paid_fen += f.fund.hifp_pay_fen
    acc.updated_at = now


def reject(uow: UnitOfWork, ctx: Ctx, claim_id: int, *, reason: str) -> ReimbursementClaim:
    """退回 a claim not paid, with a reason; its invoice numbers may be claimed again."""
    claim = get_claim(uow, claim_id, lock=True)
    _in_region(ctx, claim)
    _require_state(claim, R.REGISTERED, R.COMPUTED)
    claim.reject_reason = require_reason(reason)
    claim.state, claim.updated_at = R.REJECTED, ctx.clock.now()
    for inv in invoices_of(uow, claim.id):
        inv.live = False
    audit_event(uow, ctx, "reimburse.reject", "reimbursement_claim", claim.id, reason=claim.reject_reason)
    return claim
