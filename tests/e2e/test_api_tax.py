"""The tax bureau's interface and 代缴 over HTTP (SPEC §1, §6), on SQLite and PostgreSQL.

Seeds: 003 附件三(二) (the tax side forwards the request; paid at once, or the reason so another
channel can be used; refund after review by the original route, tax told → unpaid), 004 (result
query by year). Gansu profile, clock 2026-11-23: benefit year 2027 collecting, individual 400.00.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gongji.domain import ledger as L
from gongji.services import auth, ledger
from gongji.services.auth import Role
from tests import support as S
from tests.e2e.conftest import login

GANSU = "620702"
DUE = 40_000


@pytest.fixture
def office(gj):
    return S.staff(gj, ["620000"], username="staff_gs")


@pytest.fixture
def tax(gj, client) -> dict[str, str]:
    def go(uow: Any) -> None:
        auth.create_user(uow, username="tax1", password=S.PASSWORD, role=Role.TAX, display_name="税务局接口")
        uow.commit()

    gj.run(go)
    return login(client, "tax1")


@pytest.fixture
def family(gj, office) -> dict[str, int]:
    """王建国 (logs in as ``wjg``) bound his child and moved 400.00 into the family account."""
    pid = S.employee(gj, office, region=GANSU, name="王建国", birth=date(1980, 5, 1), income_fen=100_000)
    who = S.citizen(gj, pid, username="wjg")
    child = S.resident(gj, office, region=GANSU, name="王小明", birth=date(2012, 3, 3))
    b = S.bind(gj, who, child, "child")
    S.allocate(gj, who, b["binding_id"], DUE)
    return {"payer": pid, "child": child, "binding_id": b["binding_id"]}


def _body(gj, family: dict[str, int], request_id: str = "HN-TAX-0001", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "request_id": request_id,
        "payer_cert_no": S.person_cert(gj, family["payer"]),
        "relative_cert_no": S.person_cert(gj, family["child"]),
        "benefit_year": 2027,
        "amount_fen": DUE,
        "insutype": "390",
    }
    body.update(changes)
    return body


def _balance(gj, code: str) -> int:
    return gj.run(lambda uow: ledger.balances_of(uow, [code]))[code]


def test_tax_bureau_gets_paid_at_once_and_the_same_answer_again_seed003(gj, client, tax, family):
    r = client.post("/api/tax/family-premiums", json=_body(gj, family), headers=tax)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["status"] == "paid" and answer["premium"]["tax_status"] == "paid"
    assert _balance(gj, L.family_account(family["binding_id"])) == 0

    again = client.post("/api/tax/family-premiums", json=_body(gj, family), headers=tax)
    assert again.status_code == 200 and again.json() == answer
    assert client.get("/api/tax/family-premiums/HN-TAX-0001", headers=tax).json() == answer
    assert _balance(gj, f"external:premium:{GANSU}:390") == DUE  # once

    changed = client.post("/api/tax/family-premiums", json=_body(gj, family, amount_fen=DUE + 100), headers=tax)
    assert changed.status_code == 409 and changed.json()["code"] == "E_IDEMPOTENCY_MISMATCH"


def test_a_refusal_is_a_200_answer_with_the_reason_seed003(gj, client, tax, family):
    r = client.post("/api/tax/family-premiums", json=_body(gj, family, amount_fen=35_000), headers=tax)
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["reason_code"]) == ("refused", "E_RESIDENT_AMOUNT")
    assert body["reason"] == "缴费金额与应缴金额不一致" and body["detail"]["expected_fen"] == DUE
    assert _balance(gj, L.family_account(family["binding_id"])) == DUE


def test_malformed_requests_are_422_and_not_kept(gj, client, tax, family):
    cert = S.person_cert(gj, family["child"])
    bad = cert[:-1] + ("0" if cert[-1] != "0" else "1")
    r = client.post("/api/tax/family-premiums", json=_body(gj, family, relative_cert_no=bad), headers=tax)
    assert r.status_code == 422 and r.json()["code"] == "E_ID_CHECKSUM"
    r = client.post("/api/tax/family-premiums", json=_body(gj, family, amount_fen=400.0), headers=tax)
    assert r.status_code == 422 and r.json()["code"] == "E_VALIDATION"
    assert client.get("/api/tax/family-premiums/HN-TAX-0001", headers=tax).status_code == 404


def test_a_citizen_cannot_call_the_tax_interface(gj, client, tax, family):
    me = login(client, "wjg")
    r = client.post("/api/tax/family-premiums", json=_body(gj, family), headers=me)
    assert r.status_code == 403 and r.json()["code"] == "E_FORBIDDEN"
    assert client.get("/api/tax/refund-notifications", headers=me).status_code == 403
    assert client.post("/api/tax/family-premiums", json=_body(gj, family)).status_code == 401


def test_refund_request_review_and_tax_notification_over_http_seed003(gj, client, tax, family, office):
    paid = client.post("/api/tax/family-premiums", json=_body(gj, family), headers=tax).json()
    me = login(client, "wjg")
    details = client.get("/api/premiums/family-payments", params={"benefit_year": 2027}, headers=me)
    assert details.status_code == 200, details.text
    [item] = details.json()["paid_for_others"]
    assert item["relative"]["name"] == "王**" and item["status"] == "paid"

    S.joined_employee_insurance(gj, office, family["child"], region=GANSU)  # the evidence the reason needs
    asked = client.post(
        f"/api/premiums/family-payments/{item['payment_id']}/refund-requests",
        json={"reason": "joined_employee_insurance", "note": "孩子已随单位参加职工医保"},
        headers=me,
    )
    assert asked.status_code == 201, asked.text

    staff = login(client, "staff_gs")
    pending = client.get("/api/premiums/refund-requests", headers=staff).json()
    assert [i["refund_id"] for i in pending["items"]] == [asked.json()["refund_id"]]
    reviewed = client.post(
        f"/api/premiums/refund-requests/{asked.json()['refund_id']}/review",
        json={"approve": True, "note": "审核通过"},
        headers=staff,
    )
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "approved", reviewed.text
    assert _balance(gj, L.family_account(family["binding_id"])) == DUE  # back by the original route

    notes = client.get("/api/tax/refund-notifications", headers=tax).json()
    assert notes["count"] == 1
    note = notes["items"][0]
    assert (note["tax_request_id"], note["tax_status"]) == (paid["request_id"], "unpaid")
    acked = client.post(f"/api/tax/refund-notifications/{note['notification_id']}/ack", headers=tax)
    assert acked.status_code == 200 and acked.json()["acked"] is True
    assert client.get("/api/tax/refund-notifications", headers=tax).json()["count"] == 0

    staff_view = client.get(
        f"/api/premiums/persons/{family['child']}/family-payments", params={"benefit_year": 2027}, headers=staff
    ).json()
    assert [i["status"] for i in staff_view["paid_for_me"]] == ["refunded"]


def test_only_the_payer_may_ask_for_the_refund(gj, client, tax, family, office):
    paid = client.post("/api/tax/family-premiums", json=_body(gj, family), headers=tax).json()
    other = S.employee(gj, office, region=GANSU, name="刘强", birth=date(1978, 1, 1), income_fen=1_000)
    S.citizen(gj, other, username="liuq")
    r = client.post(
        f"/api/premiums/family-payments/{paid['premium']['payment']['payment_id']}/refund-requests",
        json={"reason": "death"},
        headers=login(client, "liuq"),
    )
    assert r.status_code == 404


def test_tax_result_query_by_year_seed004(gj, client, tax, family):
    client.post("/api/tax/family-premiums", json=_body(gj, family), headers=tax)
    body = {"payer_cert_no": S.person_cert(gj, family["payer"]), "benefit_year": 2027}
    r = client.post("/api/tax/family-premiums/query", json=body, headers=tax)
    assert r.status_code == 200, r.text
    assert [(i["amount_fen"], i["status"]) for i in r.json()["paid_for_others"]] == [(DUE, "paid")]
    empty = client.post("/api/tax/family-premiums/query", json=body | {"benefit_year": 2026}, headers=tax)
    assert empty.json()["paid_for_others"] == []
