"""The full-subsidy roster pages (seed 002 §四(二)1; issue 12 Part C): one clerk uploads, another
confirms the amounts and approves; the uploader cannot. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient

from gongji.bootstrap import Gongji
from gongji.services import ledger
from tests import support
from tests.e2e.test_refund_pages import page_login


def test_roster_is_approved_on_the_page_by_a_second_clerk_after_seeing_the_amounts_issue12_c(
    gj: Gongji, client: TestClient
) -> None:
    """Issue 12 Part C: upload → pending (nothing moves) → the uploader sees E_FOUR_EYES → another
    clerk sees what approval moves (代缴保费 400.00) and approves → the premium is paid."""
    clerk = support.staff(gj, ["620700"])
    checker = support.staff(gj, ["620700"])
    pid = support.resident(gj, clerk, name="郑小梅", birth=date(1950, 5, 5))
    cert = support.person_cert(gj, pid)
    page_login(client, clerk.username)
    form = {"benefit_year": "2027", "category": "extreme_poverty", "mode": "all_or_nothing"}
    csv_file = f"姓名,身份证号码\n郑小梅,{cert}\n".encode()
    r = client.post("/staff/resident/roster", data=form, files={"file": ("roster.csv", csv_file, "text/csv")})
    assert r.status_code == 200 and "待审核" in r.text and cert not in r.text
    assert 'data-testid="roster-premium-paid">400.00 元' in r.text  # the true total, before approval
    roster_id = int(re.search(r'data-roster-id="(\d+)"', r.text).group(1))  # type: ignore[union-attr]
    assert "本人上传，须由另一名工作人员审核" in r.text
    own = client.get(f"/staff/resident/roster/{roster_id}/approval")
    assert "E_FOUR_EYES" in own.text and "roster-approve" not in own.text
    mine = client.post(f"/staff/resident/roster/{roster_id}/approval", data={"decision": "approve", "note": "自审通过"})
    assert mine.status_code == 403 and "E_FOUR_EYES" in mine.text
    income = "external:premium:620702:390"
    assert gj.run(lambda uow: ledger.balances_of(uow, [income])).get(income, 0) == 0

    page_login(client, checker.username)
    page = client.get(f"/staff/resident/roster/{roster_id}/approval")
    assert page.status_code == 200 and 'data-testid="confirm-premium">400.00' in page.text and cert not in page.text
    done = client.post(
        f"/staff/resident/roster/{roster_id}/approval",
        data={"decision": "approve", "note": "复核无误"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("ok=approved")
    assert gj.run(lambda uow: ledger.balances_of(uow, [income]))[income] == 40_000
    again = client.post(
        f"/staff/resident/roster/{roster_id}/approval", data={"decision": "approve", "note": "复核无误"}
    )
    assert again.status_code == 409 and "E_STATE" in again.text


def test_a_citizen_cannot_open_or_decide_a_roster_issue12_c(gj: Gongji, client: TestClient) -> None:
    staff = support.staff(gj, ["620700"])
    pid = support.resident(gj, staff, name="冯小兰", birth=date(1990, 4, 4))
    page_login(client, support.citizen(gj, pid).username)
    assert client.get("/staff/resident/roster/1/approval").status_code == 403
    assert (
        client.post("/staff/resident/roster/1/approval", data={"decision": "approve", "note": "同意"}).status_code
        == 403
    )
