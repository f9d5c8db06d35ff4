"""零星报销 — small reimbursements (issue 15 §2; seed 003 附件二(四) "就医共济零星报销"), on SQLite and
PostgreSQL: a person who paid in cash claims with invoices and a fee list; staff compute the benefit
with the 2207 engine, a second clerk approves, the money goes to the bank card once; across pooling
regions the relative's region advances and the 垫付资金清算表 and the monthly clearing let the
authorizer's region pay."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from gongji.adapters.db.models import LedgerTxn, ReimbursementClaim, ReimbursementDraw, ReimbursementInvoice
from gongji.domain import ledger as L
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import (
    FourEyesRequired,
    GongjiError,
    InvalidStateTransition,
    OutOfRegion,
    PersonalMoneyToCash,
    ReimbursementAmountsMismatch,
    ReimbursementInvoiceDuplicate,
    ReimbursementStale,
)
from gongji.services import ledger
from gongji.services.backoffice import accounting
from gongji.services.backoffice import clearing as C
from gongji.services.backoffice import reimbursement as U
from gongji.services.backoffice import reimbursement_advances as A
from gongji.services.backoffice.advances import advance_account, held_account
from tests import backoffice_support as B
from tests import support as S

DRUG_A = "XA10BAA001A001010100001"  # 二甲双胍片, 甲类: all in scope
DRUG_C = "ZA09BAA001A001010100012"  # 阿胶, 丙类: fully self-paid


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def bal(p: B.Province, code: str) -> int:
    return p.gj.run(lambda uow: ledger.balances_of(uow, [code]).get(code, 0))


def claim_in(
    person_id: int,
    invoices: list[tuple[str, int]],
    fees: list[tuple[str, str, str, int]],
    *,
    flag: str = "1",
    region: str = B.HANGZHOU,
) -> U.ClaimIn:
    return U.ClaimIn(
        person_id=person_id,
        insutype="310",
        med_type="11",
        institution_kind="hospital",
        institution_level=1,
        treatment_region=region,
        begin_date=date(2026, 11, 10),
        reason="emergency",
        acct_used_flag=flag,
        invoices=tuple(
            U.R.Invoice(number, "某某医院", None, date(2026, 11, 10), amount) for number, amount in invoices
        ),
        fees=tuple(U.FeeIn(code, count, price, amount) for code, count, price, amount in fees),
    )


def call(p: B.Province, who: Any, fn: Any, *args: Any, **kw: Any) -> Any:
    def go(uow: Any) -> Any:
        out = fn(uow, S.ctx(p.gj, who), *args, **kw)
        uow.commit()
        if isinstance(out, tuple):
            return out[0].id, out[1]
        return getattr(out, "id", out)

    return p.gj.run(go)


def register(p: B.Province, clerk: Any, claim: U.ClaimIn, key: str) -> int:
    return int(call(p, clerk, U.register, p.gj.profile, claim, idempotency_key=key))


def claim_row(p: B.Province, claim_id: int) -> ReimbursementClaim:
    def go(uow: Any) -> ReimbursementClaim:
        row = uow.session.get(ReimbursementClaim, claim_id)
        uow.session.expunge(row)
        return row

    return p.gj.run(go)


def test_same_region_claim_is_computed_by_the_2207_engine_and_paid_once_seed003_2_4(zj):
    """附件二(四) "同一统筹区参保，就医共济零星报销按原渠道办理": 530.00 in cash at a level-1 hospital
    (500.00 甲类, 30.00 丙类). The engine: deductible 200.00, 73 % of the 300.00 above it = 219.00
    from the fund; the own account (100.00 past years) pays 100.00; the card gets 319.00, the
    remaining 211.00 stays the claimant's. A replay of the approval pays nothing more."""
    clerk_a = S.staff(zj.gj, [B.HANGZHOU], username="hz_clerk_a")
    clerk_b = S.staff(zj.gj, [B.HANGZHOU], username="hz_clerk_b")
    person = B.giver(zj, B.HANGZHOU, "周先", 100_00)
    claim = claim_in(
        person,
        [("ZJ2026-0001", 500_00), ("ZJ2026-0002", 30_00)],
        [(DRUG_A, "10", "50.00", 500_00), (DRUG_C, "1", "30.00", 30_00)],
    )
    cid = register(zj, clerk_a, claim, "k-1")
    assert register(zj, clerk_a, claim, "k-1") == cid  # registering is idempotent by key
    call(zj, clerk_a, U.compute, zj.gj.profile, cid)
    row = claim_row(zj, cid)
    assert (row.hifp_pay_fen, row.own_fen, row.family_fen, row.cash_fen) == (219_00, 100_00, 0, 211_00)

    _, replayed = call(zj, clerk_b, U.approve, zj.gj.profile, cid, idempotency_key="pay-1")
    assert replayed is False
    card = L.cash_payout(person)
    assert bal(zj, card) == 319_00
    assert bal(zj, L.personal_past(person)) == 0
    assert bal(zj, U.fund_account(B.HANGZHOU, "310")) == -219_00

    _, replayed = call(zj, clerk_b, U.approve, zj.gj.profile, cid, idempotency_key="pay-1")
    assert replayed is True
    assert bal(zj, card) == 319_00
    with pytest.raises(InvalidStateTransition):
        call(zj, clerk_b, U.approve, zj.gj.profile, cid, idempotency_key="pay-2")
    assert bal(zj, card) == 319_00
    # the payment names its invoices, and the ledger's checks (no personal money to a card
    # except an invoiced reimbursement) hold
    txn_id = claim_row(zj, cid).account_txn_id
    kind, answer = zj.gj.run(
        lambda uow: uow.session.execute(
            select(LedgerTxn.kind, LedgerTxn.result_json).where(LedgerTxn.id == txn_id)
        ).one()
    )
    assert kind == "reimburse.account"
    assert json.loads(answer)["invoices"] == ["ZJ2026-0001", "ZJ2026-0002"]
    check = zj.gj.run(lambda uow: ledger.check_ledger(uow))
    assert check.ok, check
    # the accounting maps every account the claim touched (附件四(一)1: 社会保险待遇支出, 支出户存款)
    books = zj.gj.run(lambda uow: accounting.vouchers(uow, S.ctx(zj.gj, zj.office), month="2026-11", region=B.HANGZHOU))
    kinds = {v["kind"]: v for v in books["vouchers"]}
    assert books["balanced"] and {"reimburse.fund", "reimburse.account"} <= set(kinds)
    assert {ln["subject"] for ln in kinds["reimburse.fund"]["lines"] if ln["debit_fen"]} == {
        "社会保险待遇支出/统筹基金"
    }
    tb = zj.gj.run(lambda uow: accounting.trial_balance(uow, S.ctx(zj.gj, zj.office), month="2026-11", region="330000"))
    assert tb["balanced"]
    # the deductible met by the claim counts for the year (a second claim starts above it)
    assert (
        zj.gj.run(lambda uow: U.benefit._accumulator(uow, person, 2026, "310", "11", lock=False).deductible_paid_fen)
        == 200_00
    )  # noqa: E501,SLF001


def test_the_clerk_who_computed_cannot_approve_and_nothing_is_paid_seed003_2_4(zj):
    clerk = S.staff(zj.gj, [B.HANGZHOU], username="hz_solo")
    person = B.giver(zj, B.HANGZHOU, "吴先", 100_00)
    cid = register(zj, clerk, claim_in(person, [("ZJ-4E-1", 300_00)], [(DRUG_A, "6", "50.00", 300_00)]), "k-4e")
    call(zj, clerk, U.compute, zj.gj.profile, cid)
    with pytest.raises(FourEyesRequired):
        call(zj, clerk, U.approve, zj.gj.profile, cid, idempotency_key="pay-4e")
    assert claim_row(zj, cid).state == "computed"
    assert bal(zj, L.cash_payout(person)) == 0
    assert bal(zj, L.personal_past(person)) == 100_00


def test_an_approval_on_figures_that_moved_since_computing_pays_nothing_until_recomputed(zj):
    """A settlement between 核算 and 审核 uses the own account and meets part of the deductible: the
    approval is refused (E_REIMBURSE_STALE) and nothing moves; computed again, it pays."""
    a = S.staff(zj.gj, [B.HANGZHOU], username="hz_stale_a")
    b = S.staff(zj.gj, [B.HANGZHOU], username="hz_stale_b")
    person = B.giver(zj, B.HANGZHOU, "卫先", 100_00)
    cid = register(zj, a, claim_in(person, [("ZJ-ST-1", 500_00)], [(DRUG_A, "10", "50.00", 500_00)]), "k-st")
    call(zj, a, U.compute, zj.gj.profile, cid)
    B.settle(zj, B.HANGZHOU, person, 50_00)  # own account 100.00 → 50.00; deductible met 50.00
    with pytest.raises(ReimbursementStale):
        call(zj, b, U.approve, zj.gj.profile, cid, idempotency_key="pay-st")
    assert bal(zj, L.cash_payout(person)) == 0 and bal(zj, L.personal_past(person)) == 50_00
    assert claim_row(zj, cid).state == "computed"
    call(zj, a, U.compute, zj.gj.profile, cid)
    call(zj, b, U.approve, zj.gj.profile, cid, idempotency_key="pay-st")
    # fund: 73 % of (500.00 − the 150.00 of deductible left) = 255.50; own account 50.00
    assert bal(zj, L.cash_payout(person)) == 255_50 + 50_00


def test_two_clerks_approving_at_once_pay_the_card_once(zj):
    """Two second clerks press 审核支付 at the same moment with their own keys: one pays, the other
    is refused (E_STATE); the card, the authorizer's account and the draws count the claim once."""
    hz = B.giver(zj, B.HANGZHOU, "钱大", 500_00)
    child = B.relative_of(zj, hz, B.HANGZHOU, "钱一")
    a = S.staff(zj.gj, [B.HANGZHOU], username="race_a")
    approvers = [S.staff(zj.gj, [B.HANGZHOU], username=f"race_{n}") for n in (1, 2)]
    cid = register(zj, a, claim_in(child, [("RACE-1", 100_00)], [(DRUG_A, "2", "50.00", 100_00)], flag="2"), "k-r")
    call(zj, a, U.compute, zj.gj.profile, cid)
    start, outcomes = threading.Barrier(2), []

    def race(who: Any, key: str) -> None:
        start.wait()
        try:
            call(zj, who, U.approve, zj.gj.profile, cid, idempotency_key=key)
            outcomes.append("paid")
        except GongjiError as err:
            outcomes.append(err.code)

    threads = [threading.Thread(target=race, args=(who, f"race-{n}")) for n, who in enumerate(approvers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["E_STATE", "paid"]
    assert bal(zj, L.cash_payout(child)) == 100_00  # below the deductible: all from the family account
    assert bal(zj, L.personal_past(hz)) == 400_00
    draws = zj.gj.run(lambda uow: uow.session.query(ReimbursementDraw).count())
    assert draws == 1


def test_a_duplicate_invoice_number_is_refused_seed003_2_4(zj):
    clerk = S.staff(zj.gj, [B.HANGZHOU], username="hz_dup")
    person = B.giver(zj, B.HANGZHOU, "郑先", 0)
    other = B.giver(zj, B.HANGZHOU, "王先", 0)
    fee = [(DRUG_A, "2", "50.00", 100_00)]
    first = register(zj, clerk, claim_in(person, [("ZJ-DUP-1", 100_00)], fee), "k-d1")
    with pytest.raises(ReimbursementInvoiceDuplicate):  # the same invoice by anyone, under another key
        register(zj, clerk, claim_in(other, [("ZJ-DUP-1", 100_00)], fee), "k-d2")
    with pytest.raises(ReimbursementInvoiceDuplicate):  # a number twice in one claim
        register(zj, clerk, claim_in(other, [("ZJ-DUP-2", 50_00), ("ZJ-DUP-2", 50_00)], fee), "k-d3")
    with pytest.raises(ReimbursementAmountsMismatch):  # the fee list must add up to the invoices
        register(zj, clerk, claim_in(other, [("ZJ-DUP-3", 90_00)], fee), "k-d4")
    count = zj.gj.run(lambda uow: uow.session.query(ReimbursementInvoice).count())
    assert count == 1
    # once the first claim is rejected its invoice may be claimed again
    call(zj, clerk, U.reject, first, reason="发票抬头有误")
    assert register(zj, clerk, claim_in(other, [("ZJ-DUP-1", 100_00)], fee), "k-d5") > first


def test_a_clerk_of_another_region_is_refused(zj):
    hz_clerk = S.staff(zj.gj, [B.HANGZHOU], username="hz_own")
    nb_clerk = S.staff(zj.gj, [B.NINGBO], username="nb_other")
    person = B.giver(zj, B.HANGZHOU, "冯先", 0)
    claim = claim_in(person, [("ZJ-OR-1", 100_00)], [(DRUG_A, "2", "50.00", 100_00)])
    with pytest.raises(OutOfRegion):
        register(zj, nb_clerk, claim, "k-or-nb")
    cid = register(zj, hz_clerk, claim, "k-or-hz")
    with pytest.raises(OutOfRegion):
        call(zj, nb_clerk, U.compute, zj.gj.profile, cid)
    call(zj, hz_clerk, U.compute, zj.gj.profile, cid)
    with pytest.raises(OutOfRegion):
        call(zj, nb_clerk, U.approve, zj.gj.profile, cid, idempotency_key="k-or-pay")


def test_personal_money_to_a_card_without_invoices_is_still_refused(zj):
    """The exception is only an invoiced reimbursement (``reimburse.*`` naming its invoices)."""
    person = B.giver(zj, B.HANGZHOU, "陈先", 50_00)

    def post(kind: str, extra: Any) -> Any:
        def go(uow: Any) -> Any:
            now = zj.gj.clock.now()
            ledger.ensure_account(uow, code=L.cash_payout(person), kind=L.AccountKind.EXTERNAL, now=now)
            draft = L.TransactionDraft(
                f"t-{kind}-{extra}", kind, "x", L.transfer(L.personal_past(person), L.cash_payout(person), 10_00)
            )
            return ledger.post(uow, draft, request={"k": kind}, now=now, extra=extra)

        return zj.gj.run(go)

    for kind, extra in (
        ("reimburse.account", None),
        ("reimburse.account", {"invoices": []}),
        ("account.pay.outpatient", {"invoices": ["ZJ-1"]}),
    ):
        with pytest.raises(PersonalMoneyToCash):
            post(kind, extra)
    assert bal(zj, L.personal_past(person)) == 50_00


def test_a_cross_region_claim_is_advanced_listed_in_the_clearing_table_and_cleared_to_zero_seed003_2_4(zj, clock):
    """附件二(四) "省内不同统筹区参保…先由近亲属参保地垫付，后按期生成个人账户家庭共济垫付资金清算表，
    由授权人参保地医保经办机构完成拨付": a 宁波 relative of a 杭州 authorizer claims 300.00; the
    fund pays 73.00, the family account 227.00 (the relative has none of their own). 宁波 advances,
    the 杭州 authorizer's account is debited at once; the 清算表 of 2026-11 lists 227.00 under
    杭州市西湖区; the month's clearing nets to zero with 宁波 receiving 227.00 and the pair accounts
    back to zero once the tables are made."""
    hz = B.giver(zj, B.HANGZHOU, "钱大", 500_00)
    nb_child = B.relative_of(zj, hz, B.NINGBO, "钱一")
    nb_a = S.staff(zj.gj, [B.NINGBO], username="nb_clerk_a")
    nb_b = S.staff(zj.gj, [B.NINGBO], username="nb_clerk_b")
    claim = claim_in(nb_child, [("NB-2026-77", 300_00)], [(DRUG_A, "10", "30.00", 300_00)], flag="2", region=B.NINGBO)
    cid = register(zj, nb_a, claim, "k-x1")
    call(zj, nb_a, U.compute, zj.gj.profile, cid)
    call(zj, nb_b, U.approve, zj.gj.profile, cid, idempotency_key="pay-x1")
    row = claim_row(zj, cid)
    assert (row.hifp_pay_fen, row.own_fen, row.family_fen, row.cash_fen) == (73_00, 0, 227_00, 0)
    assert bal(zj, L.cash_payout(nb_child)) == 300_00
    assert bal(zj, L.personal_past(hz)) == 273_00
    assert bal(zj, advance_account(B.NINGBO, B.HANGZHOU)) == -227_00
    assert bal(zj, held_account(B.HANGZHOU, B.NINGBO)) == 227_00

    table = zj.gj.run(lambda uow: A.table(uow, zj.office, "33", "2026-11"))
    assert table["total_fen"] == 227_00 and table["items"] == 1
    [group] = table["regions"]
    assert (group["region_code"], group["region_name"], group["total_fen"]) == (B.HANGZHOU, "杭州市西湖区", 227_00)
    assert group["rows"][0]["claim_id"] == cid and group["rows"][0]["relative_name"] == "钱*"
    buf = io.BytesIO()
    zj.gj.run(lambda uow: A.write_excel(uow, zj.office, "33", "2026-11", buf))
    ws = load_workbook(io.BytesIO(buf.getvalue())).active
    cells = [[c.value for c in r] for r in ws.iter_rows()]
    assert cells[0][0] == "浙江省个人账户家庭共济垫付资金清算表（2026年11月）"
    assert cells[1][-1] == "单位：元"
    assert cells[3][2] == "杭州市西湖区" and cells[3][3] == cid and cells[3][6] == "宁波市海曙区"
    assert float(cells[3][-1]) == 227.0
    assert cells[4][2] == "杭州市西湖区 小计" and float(cells[4][-1]) == 227.0
    assert cells[-1][0] == "合计" and float(cells[-1][-1]) == 227.0

    clock.at = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)
    run_id = call(zj, zj.office, C.run_month, "33", "2026-11")
    view = zj.gj.run(lambda uow: C.run_view(uow, C.get_run(uow, run_id), clock.today()))
    nets = {c["city_code"]: c["net_fen"] for c in view["cities"]}
    assert nets == {"330100": -227_00, "330200": 227_00}
    assert sum(nets.values()) == 0 and view["checked_ok"]
    for city in ("330100", "330200"):
        call(zj, zj.office, C.confirm, run_id, city, "local")
    call(zj, zj.office, C.make_tables, run_id)
    assert bal(zj, advance_account(B.NINGBO, B.HANGZHOU)) == 0
    assert bal(zj, held_account(B.HANGZHOU, B.NINGBO)) == 0
    assert zj.gj.run(lambda uow: ledger.check_ledger(uow).ok)
