"""The 零星报销 API (issue 15 §2, §6; seed 003 附件二(四)) on SQLite and PostgreSQL: a clerk registers a
claim with invoices and a fee list, computes it, a second clerk approves and the card is paid once
(a replay answers Idempotent-Replayed); refusals are 4xx with a code and write nothing; the
claimant sees their claim's state; the 垫付资金清算表 downloads as .xlsx."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook

from gongji.adapters.db.models import ReimbursementClaim, ReimbursementInvoice
from gongji.domain import ledger as L
from gongji.services import ledger
from tests import backoffice_support as B
from tests import support as S
from tests.e2e.conftest import login


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def body(person: int, number: str = "API-0001") -> dict:
    return {
        "person_id": person,
        "med_type": "11",
        "institution_level": 1,
        "treatment_region": B.HANGZHOU,
        "begin_date": "2026-11-10",
        "reason": "offsite",
        "acct_used_flag": "1",
        "invoices": [
            {"invoice_no": number, "institution_name": "上海某医院", "invoice_date": "2026-11-10", "amount_fen": 500_00}
        ],
        "fees": [{"item_code": "XA10BAA001A001010100001", "count": "10", "price": "50.00", "amount_fen": 500_00}],
    }


def test_a_claim_through_the_api_seed003_2_4(zj):
    person = B.giver(zj, B.HANGZHOU, "褚先", 100_00)
    S.staff(zj.gj, [B.HANGZHOU], username="api_hz_a")
    S.staff(zj.gj, [B.HANGZHOU], username="api_hz_b")
    S.staff(zj.gj, [B.NINGBO], username="api_nb")
    c = zj.client
    a, b, nb = login(c, "api_hz_a"), login(c, "api_hz_b"), login(c, "api_nb")

    missing_key = c.post("/api/reimbursements", json=body(person), headers=a)
    assert missing_key.status_code == 422
    bad_fees = body(person) | {
        "fees": [{"item_code": "XA10BAA001A001010100001", "count": "10", "price": "40.00", "amount_fen": 500_00}]
    }
    refused = c.post("/api/reimbursements", json=bad_fees, headers=a | {"Idempotency-Key": "r0"})
    assert refused.status_code == 422 and refused.json()["code"] == "E_REIMBURSE_FEES"
    other = c.post("/api/reimbursements", json=body(person), headers=nb | {"Idempotency-Key": "r-nb"})
    assert other.status_code == 403 and other.json()["code"] == "E_OUT_OF_REGION"
    assert S.row_counts(zj.gj, (ReimbursementClaim, ReimbursementInvoice)) == {
        "reimbursement_claim": 0,
        "reimbursement_invoice": 0,
    }

    made = c.post("/api/reimbursements", json=body(person), headers=a | {"Idempotency-Key": "r1"})
    assert made.status_code == 201, made.text
    cid = made.json()["claim_id"]
    assert made.json()["state_zh"] == "已受理" and made.json()["person_name"] == "褚*"
    dup = c.post("/api/reimbursements", json=body(person), headers=a | {"Idempotency-Key": "r2"})
    assert dup.status_code == 409 and dup.json()["code"] == "E_REIMBURSE_INVOICE_DUPLICATE"

    computed = c.post(f"/api/reimbursements/{cid}/compute", headers=a).json()
    fig = computed["figures"]
    # 500.00 in scope, deductible 200.00, 73 % of 300.00 = 219.00; own account 100.00; cash 181.00
    assert (fig["amounts"]["hifp_pay_fen"], fig["amounts"]["acct_pay_fen"], fig["amounts"]["psn_cash_pay_fen"]) == (
        219_00,
        100_00,
        181_00,
    )
    assert fig["payout_fen"] == 319_00
    same = c.post(f"/api/reimbursements/{cid}/approve", headers=a | {"Idempotency-Key": "p1"})
    assert same.status_code == 403 and same.json()["code"] == "E_FOUR_EYES"
    paid = c.post(f"/api/reimbursements/{cid}/approve", headers=b | {"Idempotency-Key": "p1"})
    assert paid.status_code == 200 and paid.json()["state"] == "paid"
    again = c.post(f"/api/reimbursements/{cid}/approve", headers=b | {"Idempotency-Key": "p1"})
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert zj.gj.run(lambda uow: ledger.balances_of(uow, [L.cash_payout(person)]))[L.cash_payout(person)] == 319_00

    listed = c.get("/api/reimbursements", params={"month": "2026-11", "state": "paid"}, headers=b).json()
    assert [x["claim_id"] for x in listed] == [cid]
    assert c.get("/api/reimbursements", headers=nb).json() == []
    assert c.get(f"/api/reimbursements/{cid}", headers=nb).json()["code"] == "E_OUT_OF_REGION"
    mine = S.citizen(zj.gj, person, username="api_claimant")
    me = login(c, "api_claimant")
    assert mine.person_id == person
    assert [x["state_zh"] for x in c.get("/api/reimbursements", headers=me).json()] == ["已支付"]

    xlsx = c.get("/api/reimbursements/advances.xlsx", params={"month": "2026-11"}, headers=b)
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    rows = [[cell.value for cell in r] for r in ws.iter_rows()]
    assert rows[0][0] == "浙江省个人账户家庭共济垫付资金清算表（2026年11月）" and rows[-1][0] == "合计"
    assert c.get("/api/reimbursements/advances", params={"month": "2026-1x"}, headers=b).status_code == 422
