"""What each source may pay, part by part of 个人负担, on SQLite and PostgreSQL (issue 12 B2):
Gansu family funds pay at hospitals only the in-policy self-pay and at pharmacies the personal
burden [seed 000 一是就医购药]; the Gansu own account pays the personal burden at hospitals and
the in-policy self-pay at pharmacies [seed 001 第十六条]; Zhejiang's past-years balance pays the
relative's 个人负担合规医疗费用 [seed 003 二]. The split is shown in 2207/5203 and on /me.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gongji.adapters.db.models import Settlement
from gongji.bootstrap import Gongji, bootstrap
from gongji.domain import ledger as L
from gongji.entrypoints.api.app import create_app
from gongji.services import ledger
from gongji.services.family import views as family_views
from gongji.services.registry import accounts
from gongji.services.settlement import records
from tests import nhsa_support as N
from tests import support as S
from tests.nhsa_support import fen

GANSU = "620702"
HANGZHOU = "330106"
PHARMACY = "P62070200009"
ZJ_HOSPITAL = "H33010600009"


def settle(his: Any, gj: Gongji, person_id: int, parts: dict[str, int], flag: str, med_type: str = "11") -> dict:
    """2206 then 2207 with the four parts; returns the 2207 output (2206 foretells it)."""
    mdtrt_id = N.open_visit(his, gj, person_id)
    args = dict(
        psn_no=str(person_id),
        mdtrt_id=mdtrt_id,
        insutype="310",
        certno=S.person_cert(gj, person_id),
        medfee_fen=sum(parts.values()),
        acct_used_flag=flag,
        med_type=med_type,
        parts=parts,
    )
    pre = his.call("2206", his.settle_input(**args))
    assert pre["infcode"] == 0, pre
    done = his.call("2207", his.settle_input(**args))
    assert done["infcode"] == 0, done
    assert pre["output"]["setlinfo"]["psn_part_split"] == done["output"]["setlinfo"]["psn_part_split"]
    return dict(done["output"])


def split_of(info: dict[str, Any]) -> dict[str, tuple[int, int, int, int]]:
    """psn_part_split as part → (amount, own, family, cash) in fen, for the parts there are."""
    return {
        p["part"]: (fen(p["amount"]), fen(p["own_acct_pay"]), fen(p["acct_mulaid_pay"]), fen(p["psn_cash_pay"]))
        for p in info["psn_part_split"]
        if fen(p["amount"])
    }


def money_identity_holds(info: dict[str, Any]) -> None:
    split = split_of(info)
    assert fen(info["medfee_sumamt"]) == fen(info["fund_pay_sumamt"]) + fen(info["psn_part_amt"])
    assert fen(info["psn_part_amt"]) == sum(a for a, _, _, _ in split.values())
    assert fen(info["acct_pay"]) - fen(info["acct_mulaid_pay"]) == sum(o for _, o, _, _ in split.values())
    assert fen(info["acct_mulaid_pay"]) == sum(f for _, _, f, _ in split.values())
    assert fen(info["psn_cash_pay"]) == sum(c for _, _, _, c in split.values())
    assert all(a == o + f + c for a, o, f, c in split.values())


@pytest.fixture
def family(gj, authorizer_gansu, patient) -> str:
    """The patient (30.00 of their own) bound to an authorizer who put 500.00 in the family account."""
    who = S.citizen(gj, authorizer_gansu, username="wjg")
    binding = S.bind(gj, who, patient, "child")
    S.allocate(gj, who, binding["binding_id"], 500_00)
    return L.family_account(binding["binding_id"])


@pytest.fixture
def authorizer_gansu(gj, office) -> int:
    return S.employee(gj, office, region=GANSU, name="王建国", birth=date(1980, 5, 1), income_fen=100_000)


def balance(gj: Gongji, code: str) -> int:
    return int(gj.run(lambda uow: ledger.balances_of(uow, [code])[code]))


def test_gansu_family_funds_never_pay_fulamt_or_overlmt_at_a_hospital_seed000(gj, hospital, patient, family):
    """Seed 000: 共济资金支付…定点医疗机构就医(含门诊、住院)发生的政策范围内自付费用. An outpatient
    visit of 100.00: 50.00 in scope (under the 300.00 deductible, so all the person's), 30.00 全自费,
    20.00 超限价. The own account (30.00) pays in-policy first [001 第十六条]; family funds pay the
    other 20.00 of the in-policy self-pay and nothing of 全自费 or 超限价; cash pays those 50.00."""
    parts = {"fulamt_ownpay_amt": 30_00, "overlmt_selfpay": 20_00, "preselfpay_amt": 0, "inscp_scp_amt": 50_00}
    out = settle(hospital, gj, patient, parts, "2")
    info = out["setlinfo"]
    money_identity_holds(info)
    assert (fen(info["acct_pay"]), fen(info["acct_mulaid_pay"]), fen(info["psn_cash_pay"])) == (50_00, 20_00, 50_00)
    assert split_of(info) == {
        "in_scope_self_pay": (50_00, 30_00, 20_00, 0),
        "overlmt_selfpay": (20_00, 0, 0, 20_00),
        "fulamt_ownpay": (30_00, 0, 0, 30_00),
    }
    account_row = next(r for r in out["setldetail"] if r["fund_pay_type"] == "310200")
    assert account_row["setl_proc_info"] == (
        "个人账户：政策范围内自付30.00；家庭共济：政策范围内自付20.00；现金：超限价20.00、全自费30.00"
    )
    assert balance(gj, family) == 480_00

    query = hospital.call("5203", {"data": {k: info[k] for k in ("setl_id", "mdtrt_id", "psn_no")}})
    assert query["infcode"] == 0, query
    assert split_of(query["output"]["setlinfo"]) == split_of(info)  # kept on the row, not recomputed

    cancel = hospital.call("2208", {"data": {k: info[k] for k in ("setl_id", "mdtrt_id", "psn_no")}})
    assert cancel["infcode"] == 0, cancel
    assert split_of(cancel["output"]["setlinfo"])["in_scope_self_pay"] == (-50_00, -30_00, -20_00, 0)
    assert balance(gj, family) == 500_00


def test_gansu_own_account_pays_fulamt_at_a_hospital_seed001_16(gj, hospital, office):
    """Seed 001 第十六条: the own account 可以用于支付…在定点医疗机构就医发生的由个人负担的医疗费用 —
    with 80.00 it pays the 50.00 in-policy self-pay, then 超限价 20.00 and 10.00 of 全自费."""
    rich = S.employee(gj, office, region=GANSU, name="李四", birth=date(1985, 1, 1), income_fen=80_00)
    parts = {"fulamt_ownpay_amt": 30_00, "overlmt_selfpay": 20_00, "preselfpay_amt": 0, "inscp_scp_amt": 50_00}
    info = settle(hospital, gj, rich, parts, "1")["setlinfo"]
    money_identity_holds(info)
    assert split_of(info) == {
        "in_scope_self_pay": (50_00, 50_00, 0, 0),
        "overlmt_selfpay": (20_00, 20_00, 0, 0),
        "fulamt_ownpay": (30_00, 10_00, 0, 20_00),
    }


def test_gansu_pharmacy_family_funds_pay_the_personal_burden_own_account_the_in_policy_part_seed000(
    gj, client, patient, family
):
    """Seed 000: 在定点零售药店购买药品…的个人负担费用 — family funds pay 全自费 at a pharmacy; the own
    account there pays only the in-policy self-pay [001 第十六条]. 100.00: 40.00 in scope (the fund
    pays 50 %: 20.00), 60.00 全自费 (丙类). Own 20.00, family 60.00, cash 0; own keeps 10.00."""
    key = N.institution(gj, PHARMACY, region=GANSU, kind="pharmacy", level=0)
    pharmacy = N.his(client, gj, PHARMACY, key, region=GANSU)
    parts = {"fulamt_ownpay_amt": 60_00, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 40_00}
    info = settle(pharmacy, gj, patient, parts, "2", med_type="41")["setlinfo"]
    money_identity_holds(info)
    assert fen(info["hifp_pay"]) == 20_00
    assert split_of(info) == {"in_scope_self_pay": (20_00, 20_00, 0, 0), "fulamt_ownpay": (60_00, 0, 60_00, 0)}
    assert balance(gj, family) == 440_00
    assert fen(info["balc"]) == 10_00


def test_citizen_history_shows_which_part_each_source_paid_seed000(gj, hospital, patient, authorizer_gansu, family):
    """The relative's 就医结算记录 on /me names the parts: family funds on the in-policy self-pay only;
    the authorizer's 共济明细 says the same of the draw."""
    parts = {"fulamt_ownpay_amt": 30_00, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 50_00}
    settle(hospital, gj, patient, parts, "2")
    me = S.citizen(gj, patient, username="xiaohong")
    rows = gj.run(lambda uow: records.records(uow, S.ctx(gj, me), person_id=patient))
    assert [(p["name"], p["paid_by"]) for p in rows[0]["parts"]] == [
        ("政策范围内自付", "个人账户 30.00、家庭共济 20.00"),
        ("全自费", "现金 30.00"),
    ]
    giver = S.citizen(gj, authorizer_gansu, username="wjg2")
    moves = gj.run(lambda uow: family_views.history(uow, S.ctx(gj, giver), person_id=authorizer_gansu))
    drawn = [m["narration"] for m in moves if m["kind"] == "family.pay.outpatient"]
    assert drawn and "家庭共济：政策范围内自付20.00；现金：全自费30.00" in drawn[0]


@pytest.fixture
def zhejiang(gj, clock) -> Iterator[tuple[Gongji, TestClient]]:
    zj = bootstrap(dataclasses.replace(gj.settings, province="zhejiang"), clock=clock)
    with TestClient(create_app(zj), raise_server_exceptions=False) as c:
        yield zj, c
    zj.engine.dispose()


def test_zhejiang_past_years_balance_pays_the_relatives_compliant_personal_burden_seed003(zhejiang):
    """Seed 003 二: 授权人个人账户历年结余资金可用于支付近亲属在定点医药机构的个人负担合规医疗费用 —
    全自费 and 超限价 included. 100.00 at a level-1 hospital (deductible 200.00: the fund pays 0):
    the relative has nothing of their own; the authorizer's past years pay all 100.00."""
    zj, client = zhejiang
    office = S.staff(zj, ["330000"], username="staff_zj")
    giver = S.employee(zj, office, region=HANGZHOU, name="钱大", birth=date(1960, 1, 1), income_fen=500_00)

    def rollover(uow: Any) -> None:
        accounts.year_end_rollover(uow, S.ctx(zj, office), year=2025, person_ids=[giver])
        uow.commit()

    zj.run(rollover)
    relative = S.employee(zj, office, region=HANGZHOU, name="钱一", birth=date(1990, 1, 1))
    S.bind(zj, S.citizen(zj, giver), relative, "child")
    key = N.institution(zj, ZJ_HOSPITAL, region=HANGZHOU, level=1)
    his = N.his(client, zj, ZJ_HOSPITAL, key, region=HANGZHOU)
    parts = {"fulamt_ownpay_amt": 30_00, "overlmt_selfpay": 20_00, "preselfpay_amt": 0, "inscp_scp_amt": 50_00}
    info = settle(his, zj, relative, parts, "2")["setlinfo"]
    money_identity_holds(info)
    assert split_of(info) == {
        "in_scope_self_pay": (50_00, 0, 50_00, 0),
        "overlmt_selfpay": (20_00, 0, 20_00, 0),
        "fulamt_ownpay": (30_00, 0, 30_00, 0),
    }
    assert balance(zj, L.personal_past(giver)) == 400_00

    def row(uow: Any) -> tuple[int | None, int | None]:
        s = uow.session.scalar(select(Settlement))
        return s.family_fulamt_fen, s.family_overlmt_fen

    assert zj.run(row) == (30_00, 20_00)
