"""The collection follow-up API as a client sees it (issue 16 §3–§4): a cash receipt, the 双限报解 state
on the township's page and the district's list, remittance and treasury; the 催缴 list as JSON and
Excel, a contact, the village posting PDF, a failed payment report resolved, the tax comparison.
Bad input is a 4xx with a code and a Chinese message, never a 500, nothing written."""

from __future__ import annotations

import base64
from io import BytesIO
from typing import Any

from openpyxl import load_workbook

from gongji.adapters.db.models import TownshipCashReceipt
from tests import collection_support as CS
from tests import support
from tests.e2e.conftest import login

YEAR = CS.YEAR


def test_township_clerk_day_through_the_api(gj: Any, client: Any) -> None:
    office = support.staff(gj, ["620702"])
    town = CS.unit(gj, office, "梁家墩镇", "town")
    village = CS.unit(gj, office, "五里墩村", "village", parent=town)
    zhang, li = support.resident(gj, office, name="张三"), support.resident(gj, office, name="李四")
    for pid in (zhang, li):
        CS.member(gj, office, pid, village)
    CS.compute(gj, office)
    clerk = support.staff(gj, ["620702"])
    c = support.ctx(gj, office)
    from gongji.services.collection import units

    CS.run(gj, lambda uow: units.set_staff_township(uow, c, user_id=clerk.user_id, township_id=town))
    auth = login(client, clerk.username)
    code = "620702001"

    receipt = {
        "receipt_no": "R-1",
        "cert_no": support.person_cert(gj, zhang),
        "benefit_year": YEAR,
        "amount_fen": 40_000,
    }
    r = client.post(f"/api/collection/townships/{code}/cash-receipts", json=receipt, headers=auth)
    assert r.status_code == 200, r.text
    before = support.row_counts(gj, (TownshipCashReceipt,))
    for bad, status, err in [
        (receipt | {"receipt_no": "R 2"}, 422, "E_VALIDATION"),
        (receipt | {"receipt_no": "R-2", "amount_fen": "四百"}, 422, "E_VALIDATION"),
        (receipt | {"receipt_no": "R-2", "cert_no": "123"}, 422, None),
    ]:
        answer = client.post(f"/api/collection/townships/{code}/cash-receipts", json=bad, headers=auth)
        assert answer.status_code == status and answer.json()["message"], answer.text
        assert err is None or answer.json()["code"] == err
    other = client.post("/api/collection/townships/620702009/cash-receipts", json=receipt, headers=auth)
    assert other.status_code == 404 and other.json()["code"] == "E_COLLECTION_TOWNSHIP"
    assert support.row_counts(gj, (TownshipCashReceipt,)) == before

    page = client.get(f"/api/collection/townships/{code}/cash", headers=auth).json()
    assert (page["cash"]["state"], page["cash"]["unremitted_fen"]) == ("pending", 40_000)
    due = client.get("/api/collection/remittances/due", headers=login(client, office.username)).json()
    assert [t["township_code"] for t in due["townships"]] == [code]
    rem = client.post(f"/api/collection/townships/{code}/remittances", json={"reference": "V-1"}, headers=auth).json()
    t = client.post(
        f"/api/collection/remittances/{rem['remittance_id']}/treasury",
        json={"method": "wire", "reference": "X"},
        headers=auth,
    )
    assert t.status_code == 422
    t = client.post(
        f"/api/collection/remittances/{rem['remittance_id']}/treasury",
        json={"method": "tips", "reference": "T-1"},
        headers=auth,
    )
    assert t.status_code == 200 and t.json()["status"] == "in_treasury"

    unpaid = client.get(f"/api/collection/unpaid?benefit_year={YEAR}", headers=auth).json()
    assert [i["name"] for i in unpaid["items"]] == ["李四"]
    xlsx = client.get(f"/api/collection/unpaid?benefit_year={YEAR}&format=xlsx", headers=auth)
    cells = {v for row in load_workbook(BytesIO(xlsx.content)).active.iter_rows(values_only=True) for v in row}  # type: ignore[union-attr]
    assert "李四" in cells
    bad = client.post(
        "/api/collection/contacts", json={"person_id": li, "benefit_year": YEAR, "outcome": "ghosted"}, headers=auth
    )
    assert bad.status_code == 422 and bad.json()["code"] == "E_VALIDATION"
    ok = client.post(
        "/api/collection/contacts", json={"person_id": li, "benefit_year": YEAR, "outcome": "visited"}, headers=auth
    )
    assert ok.status_code == 200
    pdf = client.get(
        f"/api/collection/units/{village}/posting?benefit_year={YEAR}&month=2026-11&format=pdf", headers=auth
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    bad = client.get(f"/api/collection/units/{village}/posting?benefit_year={YEAR}&month=11-2026", headers=auth)
    assert bad.status_code == 422

    me = login(client, support.citizen(gj, li).username)
    shot = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
    report: dict[str, Any] = {"benefit_year": YEAR, "channel": "wechat", "amount_fen": 40_000, "paid_on": "2026-11-20"}
    assert (
        client.post(
            "/api/collection/failed-payments", json=report | {"screenshot_base64": "%%%"}, headers=me
        ).status_code
        == 422
    )
    made = client.post("/api/collection/failed-payments", json=report | {"screenshot_base64": shot}, headers=me).json()
    queue = client.get("/api/collection/failed-payments", headers=auth).json()
    assert [q["report_id"] for q in queue] == [made["report_id"]]
    assert client.get(
        f"/api/collection/failed-payments/{made['report_id']}/screenshot", headers=auth
    ).content.startswith(b"\x89PNG")
    wrong = client.post(
        f"/api/collection/failed-payments/{made['report_id']}/resolve", json={"resolution": "paid_late"}, headers=auth
    )
    assert wrong.status_code == 409 and wrong.json()["code"] == "E_COLLECTION_RESOLUTION"
    right = client.post(
        f"/api/collection/failed-payments/{made['report_id']}/resolve", json={"resolution": "refunded"}, headers=auth
    )
    assert right.status_code == 200 and right.json()["status"] == "resolved"

    export = f"姓名,身份证号码,险种,年度,金额\n李四,{support.person_cert(gj, li)},城乡居民基本医疗保险,{YEAR},350.00\n"
    cmp = client.post(
        f"/api/collection/townships/{code}/tax-compare",
        json={"benefit_year": YEAR, "file_base64": base64.b64encode(export.encode()).decode()},
        headers=auth,
    ).json()
    assert cmp["mismatches"][0]["kinds"] == ["amount"]
    bad = client.post(
        f"/api/collection/townships/{code}/tax-compare", json={"benefit_year": YEAR, "file_base64": "!!"}, headers=auth
    )
    assert bad.status_code == 422 and bad.json()["code"] == "E_VALIDATION"


def test_followup_page_shows_cash_due_and_whom_to_call(gj: Any, client: Any) -> None:
    """The clerk's page: the township's cash state in red when due, the not-yet-paid with full names,
    a contact recorded through the form; a bad contact shows the Chinese message (4xx), no 500."""
    from datetime import date, datetime

    from gongji.domain.clock import SHANGHAI
    from gongji.services.collection import cash, units
    from tests.e2e.test_refund_pages import page_login

    office = support.staff(gj, ["620702"])
    town = CS.unit(gj, office, "梁家墩镇", "town")
    village = CS.unit(gj, office, "五里墩村", "village", parent=town)
    zhang, li = support.resident(gj, office, name="张三"), support.resident(gj, office, name="李四")
    for pid in (zhang, li):
        CS.member(gj, office, pid, village)
    CS.compute(gj, office)
    clerk = support.staff(gj, ["620702"])
    c = support.ctx(gj, office)
    CS.run(gj, lambda uow: units.set_staff_township(uow, c, user_id=clerk.user_id, township_id=town))
    gj.clock.at = datetime(2026, 9, 29, 10, tzinfo=SHANGHAI)
    cc = support.ctx(gj, clerk)
    cert = support.person_cert(gj, zhang)
    CS.run(
        gj,
        lambda uow: cash.record_receipt(
            uow,
            cc,
            gj.profile,
            township_code="620702001",
            receipt_no="R1",
            cert_no=cert,
            benefit_year=YEAR,
            amount_fen=40_000,
        ),
    )
    gj.clock.at = datetime(2026, 10, 13, 10, tzinfo=SHANGHAI)
    page_login(client, clerk.username)
    page = client.get("/staff/collection/followup")
    assert page.status_code == 200
    assert "已超期未解报" in page.text and "2026-10-12" in page.text and "李四" in page.text
    bad = client.post("/staff/collection/followup/contact", data={"person_id": str(li), "outcome": "promised"})
    assert bad.status_code in (400, 422) and "承诺缴费日期" in bad.text
    ok = client.post(
        "/staff/collection/followup/contact",
        data={"person_id": str(li), "outcome": "promised", "promised_on": date(2026, 10, 20).isoformat()},
        follow_redirects=True,
    )
    assert ok.status_code == 200 and "承诺缴费（2026-10-20前）" in ok.text
