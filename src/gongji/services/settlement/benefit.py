"""The settlement's figures before any money moves (shared by 2206 and 2207): the fee split,
the fund's share by the profile's benefit rule, the yearly accumulators, the use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gongji.adapters.db.models import (
    BenefitAccumulator,
    Enrollment,
    FeeDetail,
    Institution,
    Person,
    Prescription,
    Settlement,
    Visit,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import offsite_settlement as OS
from gongji.domain import settlement as S
from gongji.domain.errors import (
    AlreadySettled,
    AmountsMismatch,
    NoBenefitRule,
    NotInsured,
    VisitCancelled,
)
from gongji.policy.schema import PolicyLookupError, Profile
from gongji.services.registry.persons import Ctx
from gongji.services.resident import waiting
from gongji.services.settlement import credentials, offsite_rules
from gongji.services.settlement.lookups import enrollment_of, money, now_local, person_of, visit_of
from gongji.services.settlement.prescriptions import check_prescription

CLR_TYPE = {"outpatient": "11", "inpatient": "21", "vaccines": "11"}
"""clr_type by use; pharmacy purchases are 41, registration-only visits 12 (INTERFACE.md §6)."""


# --- 2206 / 2207 结算 ------------------------------------------------------------------------------


@dataclass
class Computed:
    person: Person
    visit: Visit
    enrollment: Enrollment
    med_type: str
    use: str
    clr_type: str
    year: int
    setl_time: datetime
    rule_key: str
    deductible_per_admission: bool
    split: S.FeeSplit
    fund: S.FundResult
    limits: S.AccountLimits
    """What the own account and family funds may pay of each part of 个人负担 (profile scope per use)."""
    lines: list[FeeDetail]
    prescriptions: list[Prescription]
    accumulator: BenefitAccumulator | None
    """The yearly accumulator, locked FOR UPDATE when settling (None in a 2206 before any)."""
    waiting_until: date | None = None
    """A resident's benefit start when the settlement falls in their waiting period (notes §1.2)."""
    offsite: OS.Ruling = OS.Ruling(OS.LOCAL, 0, "")
    """The off-site rule applied (issue 14 §4): registered, student, or the ratio lowered."""


def _split_of(lines: list[FeeDetail]) -> S.FeeSplit:
    return S.FeeSplit(
        medfee_fen=sum(x.amount_fen for x in lines),
        fulamt_ownpay_fen=sum(x.fulamt_ownpay_fen for x in lines),
        overlmt_selfpay_fen=sum(x.overlmt_selfpay_fen for x in lines),
        preselfpay_fen=sum(x.preselfpay_fen for x in lines),
        inscp_fen=sum(x.inscp_fen for x in lines),
    )


PARTS = (
    ("fulamt_ownpay_amt", "fulamt_ownpay_fen", "全自费金额"),
    ("overlmt_selfpay", "overlmt_selfpay_fen", "超限价金额"),
    ("preselfpay_amt", "preselfpay_fen", "先行自付金额"),
    ("inscp_scp_amt", "inscp_fen", "符合政策范围金额"),
)


def _part_fen(value: object, code: str) -> int | None:
    """A part as fen. The spec's parser has read it already, in 2207 and in 2206 alike (2206
    borrows 2207's parts: spec.BORROWED): yuan with at most two decimals → ``int`` fen."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise AmountsMismatch(f"{code} 金额格式不正确", f"{code} is not an amount in yuan", field=code)
    return value


def _fee_split(data: dict[str, Any], lines: list[FeeDetail]) -> S.FeeSplit:
    medfee = int(data["medfee_sumamt"])
    given = {attr: _part_fen(data.get(code), code) for code, attr, _ in PARTS}
    if lines:
        split = _split_of(lines)
        if split.medfee_fen != medfee:
            raise AmountsMismatch(
                f"医疗费总额 {money(medfee)} 与上传费用明细合计 {money(split.medfee_fen)} 不符",
                f"medfee_sumamt {money(medfee)} differs from the uploaded lines' total {money(split.medfee_fen)}",
                field="medfee_sumamt",
            )
        for code, attr, zh in PARTS:
            value = given[attr]
            if value is not None and int(value) != getattr(split, attr):
                raise AmountsMismatch(
                    f"{zh} {money(int(value))} 与中心按明细计算的 {money(getattr(split, attr))} 不符",
                    f"{code} differs from the centre's figure from the fee lines",
                    field=code,
                )
        return split
    if all(v is None for v in given.values()):
        # 2206 without uploaded details: the whole amount is taken as in scope (a negative one is
        # refused below like any negative part, not left to escape as a 500)
        parts = {"fulamt_ownpay_fen": 0, "overlmt_selfpay_fen": 0, "preselfpay_fen": 0, "inscp_fen": medfee}
    else:
        parts = {attr: int(v or 0) for attr, v in given.items()}
    try:
        return S.split_from_totals(medfee_fen=medfee, **parts)
    except S.AmountsDoNotAddUp as exc:
        raise AmountsMismatch(
            f"医疗费总额 {money(medfee)} ≠ 全自费+超限价+先行自付+符合政策范围 {money(exc.expected_fen)}",
            f"medfee_sumamt {money(medfee)} is not the sum of its parts {money(exc.expected_fen)}",
            field="medfee_sumamt",
        ) from exc
    except S.FeeLineInvalid as exc:
        raise AmountsMismatch(str(exc), "An amount is negative", field="medfee_sumamt") from exc


def batch_of(data: dict[str, Any]) -> str:
    """收费批次号; "0" (the spec's empty number) when the institution sends none."""
    return str(data.get("chrg_bchno") or "0")


def _accumulator(uow: UnitOfWork, person_id: int, year: int, insutype: str, med_type: str, *, lock: bool) -> Any:
    """The person's yearly accumulator. With ``lock`` it is created if missing and locked, in one
    statement: INSERT … ON CONFLICT DO UPDATE (a no-op update) … RETURNING takes the row lock
    whether the row was new or not (PostgreSQL: a concurrent settlement of the same person waits
    here and then sees this one's deductible and cap; SQLite's BEGIN IMMEDIATE serializes)."""
    if lock:
        dialect = uow.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = BenefitAccumulator.__table__
        upsert = (
            insert(BenefitAccumulator)
            .values(
                person_id=person_id,
                year=year,
                insutype=insutype,
                med_type=med_type,
                deductible_paid_fen=0,
                fund_paid_fen=0,
                updated_at=datetime.now(UTC),
            )
            .on_conflict_do_update(
                index_elements=["person_id", "year", "insutype", "med_type"],
                set_={"updated_at": table.c.updated_at},
            )
            .returning(BenefitAccumulator)
        )
        return uow.session.scalars(upsert, execution_options={"populate_existing": True}).one()
    query = select(BenefitAccumulator).where(
        BenefitAccumulator.person_id == person_id,
        BenefitAccumulator.year == year,
        BenefitAccumulator.insutype == insutype,
        BenefitAccumulator.med_type == med_type,
    )
    return uow.session.scalar(query)


def compute(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    institution: Institution,
    data: dict[str, Any],
    *,
    lock: bool,
) -> Computed:
    person = person_of(uow, data.get("psn_no"))
    visit = visit_of(uow, institution, person, data.get("mdtrt_id"))
    if visit.status != "open":
        raise VisitCancelled()
    credentials.for_settlement(uow, ctx, institution, visit, data, bind=lock)  # 2206 writes nothing
    insutype = str(data["insutype"])
    if insutype != visit.insutype:
        raise NotInsured("险种与挂号登记的险种不一致", "insutype differs from the visit's", field="insutype")
    enrollment = enrollment_of(uow, person.id, insutype)
    med_type = S.canonical_med_type(str(data["med_type"]), profile.settlement.med_type_aliases)
    try:
        rule = profile.benefit_rule(insutype, med_type, institution.level)
    except PolicyLookupError as exc:
        raise NoBenefitRule(insutype=insutype, med_type=med_type, level=institution.level) from exc
    query = select(FeeDetail).where(FeeDetail.visit_id == visit.id, FeeDetail.status == "active")
    if data.get("chrg_bchno") and data["chrg_bchno"] != "0":
        query = query.where(FeeDetail.chrg_bchno == str(data["chrg_bchno"]))
    lines = list(uow.session.scalars(query.order_by(FeeDetail.id)))
    split = _fee_split(data, lines)
    now = ctx.clock.now()
    prescriptions = []
    if institution.kind == "pharmacy":
        for line in lines:
            if line.prescription:
                prescriptions.append(check_prescription(uow, profile, institution, person, line.rxno, now))
    setl_time = now_local(ctx)
    year = setl_time.year
    acc = _accumulator(uow, person.id, year, insutype, med_type, lock=lock)
    # never pay twice: a batch in force is not settled again (a HIS that timed out sends 2601 or
    # reuses the msgid). The accumulator lock above serializes a person's settlements, so a
    # concurrent twin sees this one once it commits; a partial unique index is the backstop.
    batch = batch_of(data)
    settled = uow.session.scalar(
        select(Settlement.id).where(
            Settlement.visit_id == visit.id, Settlement.chrg_bchno == batch, Settlement.status == "settled"
        )
    )
    if settled is not None:
        raise AlreadySettled(setl_id=str(settled), chrg_bchno=batch)
    per_admission = rule.deductible_basis == "per_admission"
    if per_admission:
        deductible_paid = int(
            uow.session.scalar(
                select(func.coalesce(func.sum(Settlement.act_pay_dedc_fen), 0)).where(
                    Settlement.visit_id == visit.id, Settlement.status == "settled"
                )
            )
            or 0
        )
    else:
        deductible_paid = acc.deductible_paid_fen if acc else 0
    # off-site (issue 14 §4, notes §6): registered → the rule's ratio; otherwise lowered by the
    # profile's points; a cross-province 门诊慢特病 claim without 备案 and 认定 is refused here
    offsite = offsite_rules.ruling(
        uow, profile, visit=visit, med_type=med_type, ratio_permille=rule.fund_ratio_permille, data=data
    )
    # 待遇等待期 (notes §1.2): before a resident premium's benefit start the fund pays nothing —
    # no deductible met, ratio 0 — so the whole amount is the person's and nothing accumulates
    waits = waiting.fund_waits_until(uow, person.id, insutype, setl_time.date())
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
    kinds = {line.item_kind for line in lines}
    use = S.use_kind(med_type=med_type, institution_kind=institution.kind, item_kinds=kinds)
    if use.startswith("pharmacy"):
        clr_type = "41"
    else:
        clr_type = CLR_TYPE.get(use, "11") if med_type != "12" else "12"
    return Computed(
        person=person,
        visit=visit,
        enrollment=enrollment,
        med_type=med_type,
        use=use,
        clr_type=clr_type,
        year=year,
        setl_time=setl_time,
        rule_key=rule.key,
        deductible_per_admission=per_admission,
        split=split,
        fund=fund,
        limits=S.account_limits(
            split,
            fund,
            own_parts=profile.settlement.own_account_scope.parts_for(use),
            family_parts=profile.settlement.family_scope.parts_for(use),
        ),
        lines=lines,
        prescriptions=prescriptions,
        accumulator=acc,
        waiting_until=waits,
        offsite=offsite,
    )


def accumulate(uow: UnitOfWork, c: Computed | Settlement, *, sign: int, now: datetime) -> None:
    if isinstance(c, Computed):
        person_id, year, insutype, med_type = c.person.id, c.year, c.enrollment.insutype, c.med_type
        dedc, fund, per_admission = c.fund.act_pay_dedc_fen, c.fund.hifp_pay_fen, c.deductible_per_admission
    else:
        person_id, year, insutype, med_type = c.person_id, c.year, c.insutype, c.med_type
        # what the settlement added to the yearly deductible (0 when it was per admission: that
        # one is summed from the visit's settled rows, so cancelling the row is enough)
        dedc, fund, per_admission = c.year_deductible_fen, c.hifp_pay_fen, False
    acc = c.accumulator if isinstance(c, Computed) else None  # already locked by compute
    if acc is None:
        acc = _accumulator(uow, person_id, year, insutype, med_type, lock=True)
    if not per_admission:
        acc.deductible_paid_fen += sign * dedc
    acc.fund_paid_fen += sign * fund
    acc.updated_at = now
    uow.session.flush()
