"""Refunds of a channel premium over HTTP (seed 002 §七; seed 003 附件三(二)4), SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from gongji.domain.masking import mask_id_number
from gongji.services import auth
from gongji.services.auth import Role
from tests import support
from tests.e2e.conftest import login


def test_citizen_quotes_and_asks_staff_approve_tax_acks_over_the_api_seed002(gj, client: TestClient) -> None:
    staff = support.staff(gj, ["620700"], username="refund_api_staff")
    pid = support.resident(gj, staff, name="周九", birth=date(1975, 7, 7))
    support.citizen(gj, pid, username="refund_api_citizen")
    support.committed(
        gj,
        lambda uow: auth.create_user(
            uow, username="refund_api_tax", password=support.PASSWORD, role=Role.TAX, display_name="税务"
        ),
    )
    hs, hc, ht = (login(client, u) for u in ("refund_api_staff", "refund_api_citizen", "refund_api_tax"))
    cert = support.person_cert(gj, pid)
    body = {"cert_no": cert, "benefit_year": 2027, "amount_fen": 40_000, "channel": "bank", "reference": "BK-77"}
    paid = client.post("/api/premiums/channel-payments", json=body, headers=hs)
    assert paid.status_code == 200, paid.text
    payment_id = paid.json()["payment_id"]

    bad = client.get(f"/api/premiums/payments/{payment_id}/refund-quote", params={"reason": "不想交了"}, headers=hc)
    assert bad.status_code == 422 and bad.json()["code"] == "E_UNKNOWN_CODE" and bad.json()["message"]
    dead = client.get(f"/api/premiums/payments/{payment_id}/refund-quote", params={"reason": "death"}, headers=hc)
    assert dead.status_code == 422 and dead.json()["code"] == "E_RESIDENT_REFUND_NO_DEATH_RECORD"  # none on record
    q = client.get(f"/api/premiums/payments/{payment_id}/refund-quote", params={"reason": "emigration"}, headers=hc)
    assert q.status_code == 200 and q.json()["refund_fen"] == 40_000 and q.json()["route"] == "original"
    asked = client.post(
        f"/api/premiums/payments/{payment_id}/refund-requests",
        json={"reason": "emigration", "note": "已出国定居"},
        headers=hc,
    )
    assert asked.status_code == 201, asked.text
    again = client.post(f"/api/premiums/payments/{payment_id}/refund-requests", json={"reason": "missing"}, headers=hc)
    assert again.status_code == 409 and again.json()["code"] == "E_DUPLICATE"

    listed = client.get("/api/premiums/refund-requests", headers=hs).json()["items"]
    assert [i["refund_id"] for i in listed] == [asked.json()["refund_id"]]
    assert listed[0]["channel_name"] == "银行" and listed[0]["premium"]["relative"]["cert_no"] == mask_id_number(cert)
    assert cert not in str(listed)
    no = client.post(
        f"/api/premiums/refund-requests/{asked.json()['refund_id']}/review",
        json={"approve": True, "note": "同意"},
        headers=hc,
    )
    assert no.status_code == 403
    ok = client.post(
        f"/api/premiums/refund-requests/{asked.json()['refund_id']}/review",
        json={"approve": True, "note": "材料齐全"},
        headers=hs,
    )
    assert ok.status_code == 200 and ok.json()["refund_fen"] == 40_000 and ok.json()["status"] == "approved"
    notes = client.get("/api/tax/refund-notifications", headers=ht).json()["items"]
    assert [(n["kind"], n["channel"], n["tax_status"]) for n in notes] == [("premium_refund", "bank", "unpaid")]
    status = client.get(f"/api/premiums/status/{pid}", params={"benefit_year": 2027}, headers=hs).json()
    assert status["status"] == "refunded" and status["paid_fen"] == 0


def test_staff_cannot_approve_the_refund_they_entered_over_the_api(gj, client: TestClient) -> None:
    """Separation of duties over 002 §七 退费 (issue 12 Part C): 403 E_FOUR_EYES, nothing moves."""
    clerk = support.staff(gj, ["620700"], username="refund_api_clerk")
    support.staff(gj, ["620700"], username="refund_api_clerk2")
    pid = support.resident(gj, clerk, name="吴十", birth=date(1976, 6, 6))
    h1, h2 = login(client, "refund_api_clerk"), login(client, "refund_api_clerk2")
    body = {"cert_no": support.person_cert(gj, pid), "benefit_year": 2027, "amount_fen": 40_000, "channel": "bank"}
    payment_id = client.post("/api/premiums/channel-payments", json=body | {"reference": "BK-78"}, headers=h1).json()[
        "payment_id"
    ]
    url = f"/api/premiums/payments/{payment_id}/refund-requests"
    no_evidence = client.post(url, json={"reason": "cross_province_duplicate"}, headers=h1)
    assert no_evidence.status_code == 422 and no_evidence.json()["code"] == "E_RESIDENT_REFUND_EVIDENCE"
    asked = client.post(
        url, json={"reason": "cross_province_duplicate", "evidence": "浙江省2027年度缴费凭证"}, headers=h1
    )
    assert asked.status_code == 201 and asked.json()["evidence"] == "浙江省2027年度缴费凭证"
    review = f"/api/premiums/refund-requests/{asked.json()['refund_id']}/review"
    mine = client.post(review, json={"approve": True, "note": "同意"}, headers=h1)
    assert mine.status_code == 403 and mine.json()["code"] == "E_FOUR_EYES"
    status = client.get(f"/api/premiums/status/{pid}", params={"benefit_year": 2027}, headers=h1).json()
    assert status["status"] == "paid"
    other = client.post(review, json={"approve": True, "note": "核实无误"}, headers=h2)
    assert other.status_code == 200 and other.json()["status"] == "approved"
