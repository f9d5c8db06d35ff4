"""The monthly payment of institutions (拨付, issue 15 §2) on SQLite and PostgreSQL. Seed 003 附件
二(一): "由就医地医保经办机构与定点医药机构按规定结算"; 二(二)2: "就医地医保经办机构与定点医药机构按正常
月结流程结算。个人账户家庭共济资金在本地月结中按全额予以拨付，不预留，不作年终清算"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gongji.domain.errors import Forbidden, FourEyesRequired, InvalidStateTransition
from gongji.services import ledger
from gongji.services.backoffice import accounting as A
from gongji.services.backoffice import institution_payments as P
from gongji.services.family.payment import institution_payee
from tests import backoffice_support as B
from tests import payments_support as M
from tests import support as S
from tests.nhsa_support import fen


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def _view(p: B.Province, run_id: int) -> dict:
    return p.gj.run(lambda uow: P.run_view(uow, P.get_run(uow, run_id)))


def _line(view: dict, code: str) -> dict:
    return next(x for x in view["lines"] if x["fixmedins_code"] == code)


def _reconciled_month(zj: B.Province, clock) -> tuple[dict, B.Province]:
    month = M.november_at_hangzhou(zj)
    assert all(a["stmt_rslt"] == "0" for a in M.reconcile_totals(zj, B.HANGZHOU, M.HZ_HOSPITAL))
    return month, zj


def test_month_amounts_per_institution_net_of_the_reversal_family_part_in_full_seed003_2_2_2(zj, clock):
    month, _ = _reconciled_month(zj, clock)
    M.at(clock, "2026-12-02T09:00")
    clerk = S.staff(zj.gj, [B.HANGZHOU])
    run_id = M.call(zj, clerk, P.prepare, B.HANGZHOU, M.MONTH)
    v = _view(zj, run_id)
    assert v["region_name"] == "杭州市西湖区" and [x["fixmedins_code"] for x in v["lines"]] == [M.HZ_HOSPITAL]
    line = _line(v, M.HZ_HOSPITAL)
    kept = month["kept"]
    fund = sum(fen(s["fund_pay_sumamt"]) for s in kept)
    acct = sum(fen(s["acct_pay"]) for s in kept)
    family = sum(fen(s["acct_mulaid_pay"]) for s in kept)
    assert fund > 0 and family == 110_00  # 80.00 same region + 30.00 drawn on a 宁波 authorizer, in full
    assert (line["settlements"], line["reversals"]) == (4, 1)  # 3 kept + the cancelled one, and its reversal
    assert (line["fund_fen"], line["own_acct_fen"], line["family_fen"]) == (fund, acct - family, family)
    assert line["total_fen"] == fund + acct == v["total_fen"]
    # what the ledger says is owed to the institution is what the statement pays
    owed = zj.gj.run(lambda uow: ledger.balances_of(uow, [institution_payee(M.HZ_HOSPITAL)]))
    assert list(owed.values()) == [line["total_fen"]]
    assert v["differences"] == [] and v["state"] == "prepared"


def test_a_3201_difference_and_the_3202_settlement_behind_it_are_listed_and_block_approval_seed003_2_1(zj, clock):
    month = M.november_at_hangzhou(zj)
    missing = int(month["kept"][0]["setl_id"])
    answers = M.reconcile_totals(zj, B.HANGZHOU, M.HZ_HOSPITAL, adjust={B.HANGZHOU: {"count": 4}})
    assert [a["stmt_rslt"] for a in answers] == ["1"]
    M.reconcile_details(zj, B.HANGZHOU, M.HZ_HOSPITAL, B.HANGZHOU, leave_out=missing)
    M.at(clock, "2026-12-02T09:00")
    maker, checker = S.staff(zj.gj, [B.HANGZHOU]), S.staff(zj.gj, ["330100"])
    run_id = M.call(zj, maker, P.prepare, B.HANGZHOU, M.MONTH)
    v = _view(zj, run_id)
    by_source = {d["source"]: d for d in v["differences"]}
    assert set(by_source) == {"3201", "3202"}
    assert "结算笔数：机构 4，中心 5" in by_source["3201"]["description"]
    assert by_source["3202"]["setl_id"] == str(missing)
    assert by_source["3202"]["description"] == "机构未上传该结算"
    assert _line(v, M.HZ_HOSPITAL)["open_differences"] == 2
    with pytest.raises(InvalidStateTransition):
        M.call(zj, checker, P.approve, run_id)
    for d in v["differences"]:
        M.call(zj, maker, P.accept_difference, d["id"], reason="机构补传明细后核对一致")
    # re-preparing keeps the explanations given
    M.call(zj, maker, P.prepare, B.HANGZHOU, M.MONTH)
    assert {d["state"] for d in _view(zj, run_id)["differences"]} == {"accepted"}
    M.call(zj, checker, P.approve, run_id)
    assert _view(zj, run_id)["state"] == "approved"


def test_an_institution_without_a_3201_this_month_is_a_difference(zj, clock):
    M.november_at_hangzhou(zj)
    M.at(clock, "2026-12-02T09:00")
    run_id = M.call(zj, S.staff(zj.gj, [B.HANGZHOU]), P.prepare, B.HANGZHOU, M.MONTH)
    assert [d["source"] for d in _view(zj, run_id)["differences"]] == ["none"]


def test_the_clerk_who_prepared_cannot_approve_four_eyes(zj, clock):
    _reconciled_month(zj, clock)
    M.at(clock, "2026-12-02T09:00")
    maker = S.staff(zj.gj, [B.HANGZHOU])
    run_id = M.call(zj, maker, P.prepare, B.HANGZHOU, M.MONTH)
    with pytest.raises(FourEyesRequired):
        M.call(zj, maker, P.approve, run_id)
    M.call(zj, S.checker(zj.gj, maker), P.approve, run_id)


def test_bank_confirmation_posts_once_and_a_rejected_line_stays_owed(zj, clock):
    _reconciled_month(zj, clock)
    M.at(clock, "2026-12-02T09:00")
    maker = S.staff(zj.gj, [B.HANGZHOU])
    run_id = M.call(zj, maker, P.prepare, B.HANGZHOU, M.MONTH)
    M.call(zj, S.checker(zj.gj, maker), P.approve, run_id)
    M.call(zj, maker, P.order, run_id)
    v = _view(zj, run_id)
    assert v["order_no"] == "ZF330106-202611" and _line(v, M.HZ_HOSPITAL)["state"] == "ordered"
    amount = v["total_fen"]
    owed, bank = institution_payee(M.HZ_HOSPITAL), P.bank_account(B.HANGZHOU)

    def balances() -> list[int]:
        return list(zj.gj.run(lambda uow: ledger.balances_of(uow, [owed, bank])).values())

    before = balances()
    M.call(zj, maker, P.confirm, run_id, M.HZ_HOSPITAL, bank_ref="", request_key="bank-reject-0001", paid=False,
           reason="收款账号有误")  # fmt: skip
    assert balances() == before  # rejected: nothing posted, still owed
    assert _line(_view(zj, run_id), M.HZ_HOSPITAL)["state"] == "rejected"
    with pytest.raises(InvalidStateTransition):
        M.call(zj, maker, P.confirm, run_id, M.HZ_HOSPITAL, bank_ref="B1", request_key="bank-paid-00001")
    M.call(zj, maker, P.reorder, run_id, M.HZ_HOSPITAL)
    for _ in range(2):  # the same request twice: one posting
        M.call(zj, maker, P.confirm, run_id, M.HZ_HOSPITAL, bank_ref="ICBC20261210001", request_key="bank-paid-00001")
    assert balances() == [before[0] - amount, amount]
    with pytest.raises(InvalidStateTransition):  # another request for a paid line
        M.call(zj, maker, P.confirm, run_id, M.HZ_HOSPITAL, bank_ref="ICBC2", request_key="bank-paid-00002")
    assert balances() == [before[0] - amount, amount]
    v = _view(zj, run_id)
    assert v["state"] == "closed" and _line(v, M.HZ_HOSPITAL)["bank_ref"] == "ICBC20261210001"
    assert zj.gj.run(lambda uow: ledger.check_ledger(uow)).ok
    # in the books (附件四(一)1): the payment clears what the settlements made owed, from the 支出户
    dec = zj.gj.run(lambda uow: A.vouchers(uow, S.ctx(zj.gj, maker), month="2026-12", region=B.HANGZHOU))
    paid = [v for v in dec["vouchers"] if v["summary"].startswith("定点医药机构费用拨付")]
    assert [(ln["subject"], ln["debit_fen"], ln["credit_fen"]) for v in paid for ln in v["lines"]] == [
        ("暂收款/定点医药机构结算款", amount, 0),
        ("支出户存款", 0, amount),
    ]
    trial = zj.gj.run(lambda uow: A.trial_balance(uow, S.ctx(zj.gj, maker), month="2026-12", region=B.HANGZHOU))
    owed = [r for r in trial["rows"] if r["subject"] == "暂收款/定点医药机构结算款"]
    assert trial["balanced"] and [(r["closing_debit_fen"], r["closing_credit_fen"]) for r in owed] == [(0, 0)]


def test_a_hospital_or_another_regions_clerk_is_refused(zj, clock):
    _reconciled_month(zj, clock)
    M.at(clock, "2026-12-02T09:00")
    ningbo = S.staff(zj.gj, [B.NINGBO])
    with pytest.raises(Forbidden):
        M.call(zj, ningbo, P.prepare, B.HANGZHOU, M.MONTH)
    run_id = M.call(zj, zj.office, P.prepare, B.HANGZHOU, M.MONTH)  # the province may
    with pytest.raises(Forbidden):
        M.call(zj, ningbo, P.approve, run_id)
    assert zj.gj.run(lambda uow: P.list_runs(uow, ningbo)) == []
    hospital = M.login_institution(zj)
    with pytest.raises(Forbidden):
        M.call(zj, hospital, P.prepare, B.HANGZHOU, M.MONTH)
