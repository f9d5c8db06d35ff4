"""2206 预结算 and 2207 结算 (SPEC §5).

2206 runs the same calculation as 2207 and previews the account split without locks; nothing is
written. 2207 books, in one database transaction with the settlement row, the accumulators and
the regions: the fund's share from ``clearing:fundpay:<insured region>:<insutype>:<institution>``
(what the pool owes the institution, settled later by the back office) to the institution's
receivable ``external:institution:<code>``, and the personal share through
``services.family.payment.pay`` (own account → family funds → cash) to the same receivable.

The other transactions: 1101 ``person_info``, 2201/2202 ``visits``, 2204/2205 ``fees`` (外配处方 in
``prescriptions``), the shared figures in ``benefit``, 2208/2601 ``cancel``, 5203 ``views``; the
envelope, authentication and msgid replay are ``interface``'s, 3201/3202 ``reconciliation``'s.
"""

from __future__ import annotations

from typing import Any

from gongji.adapters.db.models import (
    FamilyBinding,
    Institution,
    Settlement,
    SettlementParty,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import ledger as L
from gongji.domain import settlement as S
from gongji.domain.credentials import interface_psn_type
from gongji.domain.errors import NotFound
from gongji.policy.schema import Profile
from gongji.services import ledger
from gongji.services.family import payment as family_payment
from gongji.services.registry.persons import Ctx, audit_event
from gongji.services.settlement.benefit import Computed, accumulate, batch_of, compute
from gongji.services.settlement.lookups import age_on, fmt_time, money, out_type, own_balance, psn_no
from gongji.services.settlement.views import part_split, setldetail, share_values


def _acct_flag(data: dict[str, Any]) -> str:
    flag = str(data.get("acct_used_flag"))
    if flag not in {"0", "1", "2"}:
        from gongji.domain.errors import UnknownCode

        raise UnknownCode("个人账户使用标志须为0、1或2", "acct_used_flag must be 0, 1 or 2", field="acct_used_flag")
    return flag


def _setlinfo(
    c: Computed,
    amounts: S.SettlementAmounts,
    shares: tuple[S.PartShare, ...],
    *,
    balc_fen: int,
    msgid: str,
    setl_id: int | None,
) -> dict[str, Any]:
    p = c.person
    info: dict[str, Any] = {
        "mdtrt_id": str(c.visit.id),
        "psn_no": psn_no(p.id),
        "psn_name": p.name,
        "psn_cert_type": p.cert_type,
        "certno": p.cert_no,
        "gend": p.sex,
        "naty": None,
        "brdy": p.birth_date.isoformat() if p.birth_date else None,
        "age": age_on(p.birth_date, c.setl_time.date()),
        "insutype": c.enrollment.insutype,
        "psn_type": interface_psn_type(c.enrollment.psn_type),
        "cvlserv_flag": "0",
        "setl_time": fmt_time(c.setl_time),
        "mdtrt_cert_type": c.visit.mdtrt_cert_type or "02",
        "med_type": c.med_type,
        "medfee_sumamt": money(amounts.medfee_fen),
        "fulamt_ownpay_amt": money(amounts.fulamt_ownpay_fen),
        "overlmt_selfpay": money(amounts.overlmt_selfpay_fen),
        "preselfpay_amt": money(amounts.preselfpay_fen),
        "inscp_scp_amt": money(amounts.inscp_fen),
        "act_pay_dedc": money(amounts.act_pay_dedc_fen),
        "hifp_pay": money(amounts.hifp_pay_fen),
        "pool_prop_selfpay": amounts.pool_ratio_permille / 1000,
        "cvlserv_pay": 0,
        "hifes_pay": 0,
        "hifmi_pay": 0,
        "hifob_pay": 0,
        "maf_pay": 0,
        "oth_pay": 0,
        "fund_pay_sumamt": money(amounts.fund_pay_sumamt_fen),
        "psn_part_amt": money(amounts.psn_part_amt_fen),
        "acct_pay": money(amounts.acct_pay_fen),
        "psn_cash_pay": money(amounts.psn_cash_pay_fen),
        "hosp_part_amt": money(amounts.hosp_part_amt_fen),
        "balc": money(balc_fen),
        "acct_mulaid_pay": money(amounts.acct_mulaid_pay_fen),
        "medins_setl_id": msgid,
        "clr_optins": c.enrollment.region_code,
        "clr_way": "1",
        "clr_type": c.clr_type,
        "hifdm_pay": 0,
        "exp_content": _explanation(c),
        "psn_part_split": part_split(shares),
    }
    if setl_id is not None:
        info = {"setl_id": str(setl_id), **info}
    return info


def _explanation(c: Computed) -> str | None:
    """字段扩展: the waiting period (notes §1.2) and the off-site rule applied (issue 14 §4)."""
    notes = [c.offsite.text_zh] if c.offsite.text_zh else []
    if c.waiting_until:
        notes.append(f"待遇等待期内，医保基金不予支付（{c.waiting_until.isoformat()}起享受待遇）")
    return "；".join(notes) or None


def pre_settle(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, institution: Institution, msgid: str, data: dict[str, Any]
) -> dict[str, Any]:
    """2206: the same calculation as 2207, with the account split previewed; nothing is written."""
    flag = _acct_flag(data)
    c = compute(uow, ctx, profile, institution, data, lock=False)
    own = fam = 0
    balance = own_balance(uow, c.person.id)
    amount = _account_amount(c, flag)
    if amount > 0:
        split = family_payment.preview(
            uow,
            profile,
            relative_id=c.person.id,
            amount_fen=amount,
            use=c.use,
            institution_region=institution.region_code,
            use_family=flag == "2",
            limits=c.limits,
        )
        own, fam = split.own_fen, split.family_fen
    amounts = S.compose(c.split, c.fund, own_fen=own, family_fen=fam)
    shares = c.limits.shares(own, fam)
    return {
        "setlinfo": _setlinfo(c, amounts, shares, balc_fen=balance - own, msgid=msgid, setl_id=None),
        "setldetail": setldetail(
            c.enrollment.insutype,
            amounts.inscp_fen,
            amounts.hifp_pay_fen,
            amounts.acct_pay_fen,
            c.fund.cap_left_fen,
            shares,
            fund_note=c.offsite.text_zh or None,
        ),
    }


def _account_amount(c: Computed, flag: str) -> int:
    """What to ask the accounts for: nothing (flag 0), what the own account may pay (1), or what
    the own account and family funds together may pay (2); each source stays within its scope."""
    if flag == "0":
        return 0
    return c.limits.own_max_fen if flag == "1" else c.limits.payable_fen


def settle(
    uow: UnitOfWork, ctx: Ctx, profile: Profile, institution: Institution, msgid: str, data: dict[str, Any]
) -> dict[str, Any]:
    """2207: fund share, then the personal share through the family payment service, in one
    database transaction with the settlement row, the accumulators and the regions."""
    flag = _acct_flag(data)
    now = ctx.clock.now()
    code = institution.fixmedins_code
    payee = family_payment.institution_payee(code)
    # Every 2207 of this institution credits its receivable: lock it first (creating it on the
    # institution's first settlement), so concurrent settlements queue here instead of
    # deadlocking (fund posting takes the receivable before the shared family account, a
    # personal-only payment the other way round).
    ledger.lock_or_create(uow, code=payee, kind=L.AccountKind.EXTERNAL, now=now, region_code=institution.region_code)
    c = compute(uow, ctx, profile, institution, data, lock=True)
    fund_txn_id = None
    insured_region = c.enrollment.region_code
    if c.fund.hifp_pay_fen:
        source = fund_owed_account(insured_region, c.enrollment.insutype, code)
        fund_txn_id = _post_fund(uow, ctx, source, payee, c.fund.hifp_pay_fen, code, msgid, insured_region)
    own = fam = 0
    account_txn_id = payment_id = None
    draws: list[dict[str, Any]] = []
    amount = _account_amount(c, flag)
    if amount > 0:
        paid = family_payment.pay(
            uow,
            ctx,
            profile,
            relative_id=c.person.id,
            amount_fen=amount,
            use=c.use,
            payee_account=payee,
            idempotency_key=L.scoped_key(f"nhsa:{code}", msgid),
            institution_region=institution.region_code,
            use_family=flag == "2",
            reference=f"nhsa:{code}:{msgid}",
            limits=c.limits,
            insured_region=insured_region,
        ).body
        own, fam = int(paid["own_fen"]), int(paid["family_fen"])
        account_txn_id = paid.get("txn_id")
        payment_id = paid.get("payment_id")
        draws = list(paid["family"])
    amounts = S.compose(c.split, c.fund, own_fen=own, family_fen=fam)
    shares = c.limits.shares(own, fam)
    balance = own_balance(uow, c.person.id)
    row = Settlement(
        visit_id=c.visit.id,
        person_id=c.person.id,
        fixmedins_code=code,
        msgid=msgid,
        chrg_bchno=batch_of(data),
        insutype=c.enrollment.insutype,
        med_type=c.med_type,
        clr_type=c.clr_type,
        use_kind=c.use,
        institution_level=institution.level,
        acct_used_flag=flag,
        year=c.year,
        setl_time=c.setl_time,
        status="settled",
        refd_setl_flag="0",
        reverses_id=None,
        **{name: int(getattr(amounts, name)) for name in AMOUNT_FIELDS},
        balc_fen=balance,
        pool_ratio_permille=amounts.pool_ratio_permille,
        year_deductible_fen=0 if c.deductible_per_admission else amounts.act_pay_dedc_fen,
        fund_txn_id=fund_txn_id,
        account_txn_id=account_txn_id,
        family_payment_id=payment_id,
        treatment_region=institution.region_code,
        insured_region=insured_region,
        out_type=out_type(institution.region_code, insured_region),
        offsite_rule=c.offsite.rule,
        offsite_points=c.offsite.points,
        offsite_note=c.offsite.text_zh[:500] or None,
        **share_values(shares),
        created_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    _record_parties(uow, row, own, draws)
    accumulate(uow, c, sign=1, now=now)
    for line in c.lines:
        line.status = "settled"
    for rx in c.prescriptions:
        rx.status = "dispensed"
        rx.dispensed_by = code
        rx.dispensed_setl_id = row.id
    audit_event(
        uow,
        ctx,
        "nhsa.2207",
        "settlement",
        row.id,
        person_id=c.person.id,
        medfee_fen=amounts.medfee_fen,
        fund_fen=amounts.fund_pay_sumamt_fen,
        acct_fen=amounts.acct_pay_fen,
        family_fen=amounts.acct_mulaid_pay_fen,
    )
    return {
        "setlinfo": _setlinfo(c, amounts, shares, balc_fen=balance, msgid=msgid, setl_id=row.id),
        "setldetail": setldetail(
            c.enrollment.insutype,
            amounts.inscp_fen,
            amounts.hifp_pay_fen,
            amounts.acct_pay_fen,
            c.fund.cap_left_fen,
            shares,
            fund_note=c.offsite.text_zh or None,
        ),
    }


def _post_fund(
    uow: UnitOfWork, ctx: Ctx, source: str, payee: str, amount_fen: int, code: str, msgid: str, region: str
) -> int:
    """The fund's share, from what the insured place's pool owes the institution to its
    receivable. The clearing account exists after the first settlement of its kind: it is
    created only when the posting finds it missing (``post`` reads before it writes, so the
    retry starts clean)."""
    now = ctx.clock.now()
    draft = L.TransactionDraft(
        idempotency_key=L.scoped_key(f"nhsa:{code}", f"{msgid}:fund"),
        kind="settlement.fund",
        narration=f"统筹基金支付（结算报文 {msgid}）"[:200],
        postings=L.transfer(source, payee, amount_fen),
    )
    request = {"op": "settlement.fund", "msgid": msgid, "amount_fen": amount_fen}
    try:
        posted = ledger.post(uow, draft, request=request, now=now, user_id=ctx.principal.user_id)
    except NotFound:
        ledger.ensure_account(uow, code=source, kind=L.AccountKind.CLEARING, now=now, region_code=region)
        posted = ledger.post(uow, draft, request=request, now=now, user_id=ctx.principal.user_id)
    return int(posted.body["txn_id"])


def fund_owed_account(insured_region: str, insutype: str, fixmedins_code: str) -> str:
    """What the insured place's pool owes one institution for settled claims (清算 later)."""
    return f"clearing:fundpay:{insured_region}:{insutype}:{fixmedins_code}"


AMOUNT_FIELDS = (
    "medfee_fen",
    "fulamt_ownpay_fen",
    "overlmt_selfpay_fen",
    "preselfpay_fen",
    "inscp_fen",
    "act_pay_dedc_fen",
    "hifp_pay_fen",
    "fund_pay_sumamt_fen",
    "psn_part_amt_fen",
    "acct_pay_fen",
    "acct_mulaid_pay_fen",
    "psn_cash_pay_fen",
    "hosp_part_amt_fen",
)


def _record_parties(uow: UnitOfWork, row: Settlement, own_fen: int, draws: list[dict[str, Any]]) -> None:
    """Regions for clearing: the insured person's own place, and each paying authorizer's."""
    uow.session.add(
        SettlementParty(
            settlement_id=row.id,
            role="insured",
            person_id=row.person_id,
            binding_id=None,
            region_code=row.insured_region,
            amount_fen=own_fen,
        )
    )
    for draw in draws:
        binding = uow.session.get(FamilyBinding, int(draw["binding_id"]))
        assert binding is not None
        region = ledger.region_of(uow, L.personal_past(binding.authorizer_id)) or row.insured_region
        uow.session.add(
            SettlementParty(
                settlement_id=row.id,
                role="authorizer",
                person_id=binding.authorizer_id,
                binding_id=binding.id,
                region_code=region,
                amount_fen=int(draw["amount_fen"]),
            )
        )
