"""Premium payments by channel and subsidies over HTTP (seed 002 §四, §六), SQLite and PostgreSQL; the
full-subsidy roster is uploaded by one clerk and approved by another (issue 12 Part C)."""

from __future__ import annotations

import base64
from datetime import date

from fastapi.testclient import TestClient

from gongji.services.resident import roster as roster_service
from tests import support
from tests.e2e.conftest import login


def test_channel_payment_roster_fixed_subsidy_and_top_up_over_the_api(gj, client: TestClient) -> None:
    staff = support.staff(gj, ["620700"], username="subsidy_api")
    h = login(client, "subsidy_api")
    fixed = support.resident(gj, staff, name="钱七", birth=date(1960, 1, 1))
    full = support.resident(gj, staff, name="孙八", birth=date(1962, 2, 2))

    r = client.post(
        f"/api/subsidies/persons/{fixed}/category",
        json={"benefit_year": 2027, "subsidy_codes": ["dibao_partial"], "reason": "民政认定"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    body = {
        "cert_no": support.person_cert(gj, fixed),
        "benefit_year": 2027,
        "amount_fen": 30_000,
        "channel": "tax_app",
        "reference": "TAX-1",
    }
    wrong = client.post("/api/premiums/channel-payments", json=body, headers=h)
    assert wrong.status_code == 422 and wrong.json()["code"] == "E_RESIDENT_AMOUNT"
    paid = client.post("/api/premiums/channel-payments", json=body | {"amount_fen": 40_000}, headers=h)
    assert paid.status_code == 200 and paid.json()["premium"]["status"] == "paid"
    twice = client.post(
        "/api/premiums/channel-payments", json=body | {"amount_fen": 40_000, "reference": "TAX-2"}, headers=h
    )
    assert twice.status_code == 409 and twice.json()["code"] == "E_RESIDENT_ALREADY_PAID"

    run = client.post("/api/subsidies/fixed/pay", json={"benefit_year": 2027}, headers=h)
    assert run.status_code == 200 and run.json()["paid_fen"] == 19_000
    up = client.post(
        f"/api/subsidies/persons/{fixed}/category",
        json={"benefit_year": 2027, "subsidy_codes": ["dibao_full"], "reason": "类别调整"},
        headers=h,
    )
    assert up.json()["top_up_fen"] == 6_000

    csv_file = f"姓名,身份证号码\n孙八,{support.person_cert(gj, full)}\n错号,620702198506150000\n".encode()
    roster = {"benefit_year": 2027, "category": "orphan", "file_base64": base64.b64encode(csv_file).decode()}
    r = client.post("/api/subsidies/roster", json=roster, headers=h)
    assert r.status_code == 200 and r.json()["written"] is False and r.json()["bad"] == 1
    r = client.post("/api/subsidies/roster", json=roster | {"mode": "valid_only"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "pending" and r.json()["premium_paid_fen"] == 40_000
    roster_id = r.json()["roster_id"]
    # separation of duties: the uploader cannot approve; a second clerk sees the amounts, approves
    mine = client.post(f"/api/subsidies/rosters/{roster_id}/approve", json={"note": "自审"}, headers=h)
    assert mine.status_code == 403 and mine.json()["code"] == "E_FOUR_EYES"
    support.staff(gj, ["620700"], username="subsidy_api2")
    h2 = login(client, "subsidy_api2")
    assert [p["roster_id"] for p in client.get("/api/subsidies/rosters", headers=h2).json()] == [roster_id]
    q = client.get(f"/api/subsidies/rosters/{roster_id}", headers=h2)
    assert q.status_code == 200 and q.json()["premium_paid_fen"] == 40_000 and q.json()["written"] is False
    r = client.post(f"/api/subsidies/rosters/{roster_id}/approve", json={"note": "复核无误"}, headers=h2)
    assert r.status_code == 200 and r.json()["written"] is True and r.json()["premium_paid_fen"] == 40_000
    again = client.post(f"/api/subsidies/rosters/{roster_id}/approve", json={"note": "复核无误"}, headers=h2)
    assert again.status_code == 409 and again.json()["code"] == "E_STATE"

    s = client.get(f"/api/premiums/status/{full}", params={"benefit_year": 2027}, headers=h)
    assert s.status_code == 200 and s.json()["channel"] == "batch"
    assert support.person_cert(gj, full) not in s.text
    s = client.get(f"/api/premiums/status/{fixed}", params={"benefit_year": 2027}, headers=h)
    assert [g["amount_fen"] for g in s.json()["subsidy_grants"]] == [19_000, 6_000]

    citizen = support.citizen(gj, full, username="subsidy_citizen")
    hc = login(client, "subsidy_citizen")
    assert citizen.person_id == full
    assert client.post("/api/subsidies/fixed/pay", json={"benefit_year": 2027}, headers=hc).status_code == 403
    assert client.get(f"/api/premiums/status/{fixed}", params={"benefit_year": 2027}, headers=hc).status_code == 403
    assert client.get(f"/api/premiums/status/{full}", params={"benefit_year": 2027}, headers=hc).status_code == 200
    assert roster_service.MAX_ROWS >= 1000
