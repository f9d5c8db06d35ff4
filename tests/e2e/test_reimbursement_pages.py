"""The 零星报销 staff pages (issue 15 §2, §6; seed 003 附件二(四)), on SQLite and PostgreSQL: a clerk
registers a claim on the form (amounts in yuan), computes it and sees the split; the same clerk is
refused the approval on the page (a second clerk must); the second clerk pays; the list filters by
state; the 垫付资金清算表 page lists a cross-region claim under the authorizer's region."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests import backoffice_support as B
from tests import support as S
from tests.e2e.test_refund_pages import page_login


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def form(person: int, number: str) -> dict[str, str]:
    return {
        "key": f"form-{number}",
        "person_id": str(person),
        "insutype": "310",
        "med_type": "11",
        "institution_kind": "hospital",
        "institution_level": "1",
        "treatment_region": B.NINGBO,
        "begin_date": "2026-11-10",
        "reason": "offsite",
        "acct_used_flag": "2",
        "inv_no_1": number,
        "inv_inst_1": "宁波某医院",
        "inv_date_1": "2026-11-10",
        "inv_amount_1": "300.00",
        "fee_code_1": "XA10BAA001A001010100001",
        "fee_count_1": "10",
        "fee_price_1": "30.00",
        "fee_amount_1": "300.00",
    }


def test_register_compute_and_approve_on_the_pages_seed003_2_4(zj):
    hz = B.giver(zj, B.HANGZHOU, "钱大", 500_00)
    nb_child = B.relative_of(zj, hz, B.NINGBO, "钱一")
    S.staff(zj.gj, [B.NINGBO], username="pg_nb_a")
    S.staff(zj.gj, [B.NINGBO], username="pg_nb_b")
    c = zj.client

    page_login(c, "pg_nb_a")
    assert "受理零星报销申请" in c.get("/staff/reimbursements/new").text
    bad = c.post("/staff/reimbursements", data=form(nb_child, "PG-1") | {"inv_amount_1": "299.00"})
    assert bad.status_code == 422 and "E_REIMBURSE_AMOUNTS" in bad.text
    made = c.post("/staff/reimbursements", data=form(nb_child, "PG-1"), follow_redirects=False)
    assert made.status_code == 303, made.text
    url = made.headers["location"].split("?")[0]
    cid = int(url.rsplit("/", 1)[1])
    computed = c.post(f"{url}/compute", follow_redirects=True).text
    assert re.search(r'data-testid="family">227\.00<', computed)
    assert re.search(r'data-testid="payout">300\.00<', computed)
    refused = c.post(f"{url}/approve", data={"key": "k1"})
    assert refused.status_code == 403 and "E_FOUR_EYES" in refused.text

    page_login(c, "pg_nb_b")
    paid = c.post(f"{url}/approve", data={"key": "k2"}, follow_redirects=True).text
    assert "已支付" in paid and "跨统筹区" in paid
    listed = c.get("/staff/reimbursements", params={"state": "paid"}).text
    assert f"申请 {cid}" in listed and "钱*" in listed and "钱一" not in listed
    assert f"申请 {cid}" not in c.get("/staff/reimbursements", params={"state": "registered"}).text
    advances = c.get("/staff/reimbursements/advances", params={"month": "2026-11"}).text
    assert "杭州市西湖区：1 笔，227.00" in advances
    xlsx = c.get("/staff/reimbursements/advances.xlsx", params={"month": "2026-11"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    S.citizen(zj.gj, nb_child, username="pg_claimant")
    page_login(c, "pg_claimant")
    mine = c.get("/me/reimbursements").text
    assert f"申请 {cid}" in mine and "已支付" in mine and "300.00" in mine
