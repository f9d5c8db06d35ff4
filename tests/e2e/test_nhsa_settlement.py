"""Settlement through the national 两定 interface over HTTP (SPEC §5; INTERFACE.md §2-§7), on
SQLite and PostgreSQL: the outpatient flow 1101 → 2201 → 2206 → 2207, each acct_used_flag,
own account → family funds → cash (seeds 000, 003), cancel and reversal, msgid replay and the
gateway's 401 answers.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from gongji.adapters.db.models import BenefitAccumulator, LedgerTxn, NhsaMessage, Settlement, SettlementParty
from gongji.adapters.nhsa import gateway_auth
from gongji.adapters.nhsa.client import CALL_SERVICE, HisClient, encode, parts_of
from gongji.domain import ledger as L
from gongji.domain.errors import InvalidStateTransition
from gongji.services import ledger
from gongji.services.registry import accounts
from tests import support as S
from tests.nhsa_support import fen

GANSU = "620702"


@pytest.fixture
def authorizer(gj, office) -> int:
    """An employee with 1,000.00 yuan in the current-year account."""
    return S.employee(gj, office, region=GANSU, name="王建国", birth=date(1980, 5, 1), income_fen=100_000)


def balances(gj, person_id: int) -> int:
    def go(uow: Any) -> int:
        return sum(ledger.balances_of(uow, [L.personal_current(person_id), L.personal_past(person_id)]).values())

    return gj.run(go)


def visit(his: HisClient, gj, person_id: int, insutype: str = "310") -> str:
    certno = S.person_cert(gj, person_id)
    info = his.person_info(certno)
    assert info["infcode"] == 0, info
    psn_no = info["output"]["baseinfo"]["psn_no"]
    reg = his.register(psn_no, insutype, certno, S.person_name(gj, person_id), ipt_otp_no=f"MZ{person_id}")
    assert reg["infcode"] == 0, reg
    return reg["output"]["data"]["mdtrt_id"]


def settle(his: HisClient, gj, person_id: int, medfee_fen: int, flag: str, *, insutype: str = "310") -> dict:
    certno = S.person_cert(gj, person_id)
    mdtrt_id = visit(his, gj, person_id, insutype)
    args = dict(
        psn_no=str(person_id),
        mdtrt_id=mdtrt_id,
        insutype=insutype,
        certno=certno,
        medfee_fen=medfee_fen,
        acct_used_flag=flag,
    )
    pre = his.call("2206", his.settle_input(**args))
    assert pre["infcode"] == 0, pre
    done = his.call("2207", his.settle_input(**args, parts=parts_of(pre["output"]["setlinfo"])))
    assert done["infcode"] == 0, done
    assert {k: v for k, v in done["output"]["setlinfo"].items() if k not in {"setl_id", "medins_setl_id"}} == {
        k: v for k, v in pre["output"]["setlinfo"].items() if k != "medins_setl_id"
    }, "2206 foretells 2207 exactly"
    return done


def identity_holds(info: dict) -> None:
    medfee, fund, psn = fen(info["medfee_sumamt"]), fen(info["fund_pay_sumamt"]), fen(info["psn_part_amt"])
    assert medfee == fund + psn + fen(info["hosp_part_amt"])
    assert psn == fen(info["acct_pay"]) + fen(info["psn_cash_pay"])
    assert 0 <= fen(info["acct_mulaid_pay"]) <= fen(info["acct_pay"])


def test_outpatient_settlement_pays_fund_then_own_account_acct_used_flag_1(gj, hospital, patient):
    out = settle(hospital, gj, patient, 100_00, "1")["output"]
    info = out["setlinfo"]
    identity_holds(info)
    # Gansu 310 × 11 × level 2: deductible 300.00, so the fund pays nothing on 100.00
    assert fen(info["act_pay_dedc"]) == 100_00 and fen(info["hifp_pay"]) == 0
    assert fen(info["acct_pay"]) == 30_00 and fen(info["psn_cash_pay"]) == 70_00
    assert fen(info["acct_mulaid_pay"]) == 0
    assert balances(gj, patient) == 0 and fen(info["balc"]) == 0


def test_acct_used_flag_0_pays_nothing_from_accounts(gj, hospital, patient):
    info = settle(hospital, gj, patient, 50_00, "0")["output"]["setlinfo"]
    assert fen(info["acct_pay"]) == 0 and fen(info["psn_cash_pay"]) == 50_00
    assert balances(gj, patient) == 30_00


def test_cancel_restores_balances_accumulators_and_is_refused_twice(gj, hospital, patient):
    done = settle(hospital, gj, patient, 100_00, "1")
    info = done["output"]["setlinfo"]
    cancel = {"data": {"setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"], "psn_no": info["psn_no"]}}
    first = hospital.call("2208", cancel)
    assert first["infcode"] == 0, first
    assert fen(first["output"]["setlinfo"]["medfee_sumamt"]) == -100_00
    assert balances(gj, patient) == 30_00

    def acc(uow: Any) -> tuple[int, int]:
        row = uow.session.scalar(select(BenefitAccumulator).where(BenefitAccumulator.person_id == patient))
        return row.deductible_paid_fen, row.fund_paid_fen

    assert gj.run(acc) == (0, 0)
    second = hospital.call("2208", cancel)
    assert second["infcode"] == -1 and "已撤销" in second["err_msg"]
    assert second["err_code"] == "E_SETL_CANCELLED"


def test_repeated_msgid_returns_first_answer_and_moves_no_money(gj, hospital, patient):
    certno = S.person_cert(gj, patient)
    mdtrt_id = visit(hospital, gj, patient)
    body = hospital.settle_input(
        psn_no=str(patient),
        mdtrt_id=mdtrt_id,
        insutype="310",
        certno=certno,
        medfee_fen=20_00,
        acct_used_flag="1",
        parts={"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 20_00},
    )
    msgid = hospital.next_msgid()
    first = hospital.call("2207", body, msgid=msgid)
    again = hospital.call("2207", body, msgid=msgid)
    assert first == again
    assert balances(gj, patient) == 10_00

    def count(uow: Any) -> int:
        return uow.session.scalar(select(func.count()).select_from(Settlement))

    assert gj.run(count) == 1
    changed = dict(body["data"], medfee_sumamt="21.00", inscp_scp_amt="21.00")
    reused = hospital.call("2207", {"data": changed}, msgid=msgid)
    assert reused["infcode"] == -1 and reused["err_code"] == "E_SETL_MSGID"


def test_bad_signature_gets_the_gateways_401(gj, hospital, patient):
    body = hospital.envelope(
        "1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "x", "psn_cert_type": "01", "certno": "x"}}
    )
    content = encode(body)
    headers = hospital.headers("1101", CALL_SERVICE, content)
    headers["_api_signature"] = "A" + headers["_api_signature"][1:]
    r = hospital.post(body, headers=headers)
    assert r.status_code == 401 and r.json()["error_code"] == "E_GATEWAY_SIGNATURE", r.text
    assert r.json()["code"] == 401 and r.json()["message"] == "签名不一致!"
    r = hospital.post(body, headers={})
    assert r.status_code == 401 and r.json()["error_code"] == "E_GATEWAY_HEADERS"
    old = hospital.now() - timedelta(minutes=6)
    stale = gateway_auth.sign(
        key_id=hospital.key.key_id,
        secret=hospital.key.secret,
        api_name="1101",
        method="POST",
        path=CALL_SERVICE,
        body=content,
        now=old,
    )
    r = hospital.post(body, headers=stale)
    assert r.status_code == 401 and r.json()["message"] == "签名时间戳超时!"


def test_family_pays_after_own_account_then_cash_acct_used_flag_2(gj, client, hospital, authorizer, patient):
    who = S.citizen(gj, authorizer, username="wjg")
    binding = S.bind(gj, who, patient, "child")
    S.allocate(gj, who, binding["binding_id"], 500_00)  # Gansu: 共济账户划拨 first (seed 000)
    info = settle(hospital, gj, patient, 100_00, "2")["output"]["setlinfo"]
    identity_holds(info)
    assert fen(info["acct_pay"]) == 100_00  # 30.00 own + 70.00 family
    assert fen(info["acct_mulaid_pay"]) == 70_00
    assert fen(info["psn_cash_pay"]) == 0

    def parties(uow: Any) -> list[tuple[str, int, str, int]]:
        rows = uow.session.scalars(select(SettlementParty).order_by(SettlementParty.id))
        return [(r.role, r.person_id, r.region_code, r.amount_fen) for r in rows]

    assert gj.run(parties) == [("insured", patient, GANSU, 30_00), ("authorizer", authorizer, GANSU, 70_00)]


def test_flag_1_never_touches_family_funds(gj, hospital, authorizer, patient):
    who = S.citizen(gj, authorizer, username="wjg")
    binding = S.bind(gj, who, patient, "child")
    S.allocate(gj, who, binding["binding_id"], 500_00)
    info = settle(hospital, gj, patient, 100_00, "1")["output"]["setlinfo"]
    assert fen(info["acct_mulaid_pay"]) == 0 and fen(info["psn_cash_pay"]) == 70_00


def test_unknown_infno_and_malformed_json_are_refused_with_infcode_minus_1(gj, hospital):
    r = hospital.post(hospital.envelope("9999", {}))
    assert r.status_code == 200 and r.json()["infcode"] == -1 and "9999" in r.json()["err_msg"]
    r = hospital.http.post(
        "/fsi/api/rsfComIfsService/callService",
        content=b"{not json",
        headers=hospital.headers("1101", CALL_SERVICE, b"{not json"),
    )
    assert r.json()["infcode"] == -1 and "JSON" in r.json()["err_msg"]

    def messages(uow: Any) -> int:
        return uow.session.scalar(select(func.count()).select_from(NhsaMessage))

    assert gj.run(messages) == 0


def test_cancel_returns_the_family_part_to_the_family_account(gj, hospital, authorizer, patient):
    who = S.citizen(gj, authorizer, username="wjg")
    binding = S.bind(gj, who, patient, "child")
    S.allocate(gj, who, binding["binding_id"], 500_00)
    family_account = L.family_account(binding["binding_id"])

    def fam(uow: Any) -> int:
        return ledger.balances_of(uow, [family_account])[family_account]

    info = settle(hospital, gj, patient, 100_00, "2")["output"]["setlinfo"]
    assert gj.run(fam) == 430_00 and balances(gj, patient) == 0
    out = hospital.call("2208", {"data": {k: info[k] for k in ("setl_id", "mdtrt_id", "psn_no")}})
    assert out["infcode"] == 0, out
    assert fen(out["output"]["setlinfo"]["acct_mulaid_pay"]) == -70_00
    assert gj.run(fam) == 500_00 and balances(gj, patient) == 30_00

    def reversals(uow: Any) -> list[tuple[str, int | None]]:
        rows = uow.session.execute(
            select(LedgerTxn.kind, LedgerTxn.reverses_txn_id).where(LedgerTxn.reverses_txn_id.is_not(None))
        )
        return [(k, r) for k, r in rows]

    paid = gj.run(lambda uow: uow.session.scalar(select(LedgerTxn.id).where(LedgerTxn.kind == "family.pay.outpatient")))
    assert [r for _, r in gj.run(reversals)] == [paid]  # history kept: one reversing entry, nothing edited
    assert gj.run(lambda uow: ledger.check_ledger(uow).ok)


def test_staff_cannot_reverse_a_settlements_account_payment_only_the_institution_cancels(gj, office, hospital, patient):
    settle(hospital, gj, patient, 100_00, "1")

    def go(uow: Any) -> None:
        txn_id = uow.session.scalar(select(Settlement.account_txn_id))
        accounts.reverse_transaction(uow, S.ctx(gj, office), txn_id=txn_id, reason="误操作", idempotency_key="rev-1")

    with pytest.raises(InvalidStateTransition) as refused:
        gj.run(go)
    assert "2208" in refused.value.message_zh
    assert balances(gj, patient) == 0  # nothing moved


def test_cancelling_an_inpatient_settlement_leaves_the_yearly_deductible_untouched(gj, hospital, patient):
    """Gansu 310 × 21 普通住院 × level 2 (demo): a per-admission deductible of 700.00, then 88 %."""
    certno = S.person_cert(gj, patient)
    mdtrt_id = visit(hospital, gj, patient)
    parts = {"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 2000_00}
    args = dict(psn_no=str(patient), mdtrt_id=mdtrt_id, insutype="310", certno=certno, medfee_fen=2000_00)
    info = hospital.call("2207", hospital.settle_input(**args, acct_used_flag="0", med_type="2101", parts=parts))
    info = info["output"]["setlinfo"]
    assert (fen(info["act_pay_dedc"]), fen(info["hifp_pay"])) == (700_00, 1144_00)

    def acc(uow: Any) -> tuple[int, int]:
        row = uow.session.scalar(select(BenefitAccumulator).where(BenefitAccumulator.person_id == patient))
        return row.deductible_paid_fen, row.fund_paid_fen

    assert gj.run(acc) == (0, 1144_00)  # per admission: not counted toward a yearly deductible
    out = hospital.call("2208", {"data": {k: info[k] for k in ("setl_id", "mdtrt_id", "psn_no")}})
    assert out["infcode"] == 0, out
    assert gj.run(acc) == (0, 0)


def test_own_account_then_family_fund_then_cash_when_both_run_out_seed000(gj, hospital, authorizer, patient):
    """先个人后共济 (seed 000): 30.00 own, then the 50.00 in the family account, then 20.00 cash."""
    who = S.citizen(gj, authorizer, username="wjg")
    binding = S.bind(gj, who, patient, "child")
    S.allocate(gj, who, binding["binding_id"], 50_00)
    info = settle(hospital, gj, patient, 100_00, "2")["output"]["setlinfo"]
    identity_holds(info)
    assert (fen(info["acct_pay"]), fen(info["acct_mulaid_pay"]), fen(info["psn_cash_pay"])) == (80_00, 50_00, 20_00)
    assert balances(gj, patient) == 0 and fen(info["balc"]) == 0


def test_a_second_2207_for_a_settled_visit_with_a_new_msgid_is_refused_never_paid_twice(gj, hospital, patient):
    """A HIS that timed out must not be able to settle the same visit again under a new msgid
    (it replays the msgid or reverses with 2601); after a cancel the visit settles again."""
    certno = S.person_cert(gj, patient)
    mdtrt_id = visit(hospital, gj, patient)
    parts = {"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 20_00}
    body = hospital.settle_input(
        psn_no=str(patient),
        mdtrt_id=mdtrt_id,
        insutype="310",
        certno=certno,
        medfee_fen=20_00,
        acct_used_flag="1",
        parts=parts,
    )
    first = hospital.call("2207", body)
    assert first["infcode"] == 0, first
    again = hospital.call("2207", body)  # a new msgid
    assert again["infcode"] == -1 and again["err_code"] == "E_SETL_SETTLED" and "重复结算" in again["err_msg"]
    assert balances(gj, patient) == 10_00  # paid once

    info = first["output"]["setlinfo"]
    assert hospital.call("2208", {"data": {k: info[k] for k in ("setl_id", "mdtrt_id", "psn_no")}})["infcode"] == 0
    redo = hospital.call("2207", body)
    assert redo["infcode"] == 0, redo
    assert balances(gj, patient) == 10_00
