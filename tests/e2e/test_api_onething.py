"""The one-thing API as a client sees it (seed 001; issue 14 §5): the one form answered at once —
201 with the case and each part's state, or 4xx with the code and the Chinese reason and nothing
written — the staff queue with its counts, the overdue list as Excel, and the one visit."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

from openpyxl import load_workbook

from tests import support
from tests.e2e.conftest import login


def body(gj: Any, pid: int, **kw: Any) -> dict[str, Any]:
    return {
        "parts": ["offsite_registration", "chronic_recognition", "direct_settlement"],
        "materials": ["id_card", "application_form", "commitment"],
        "signature": support.person_name(gj, pid),
        "commitment_signed": True,
        "registration": {"kind": "long_term_resident", "destination_code": "440300"},
        "chronic": {"disease": "diabetes"},
    } | kw


def test_a_citizen_applies_once_and_staff_see_it_in_their_queue(gj: Any, client: Any) -> None:
    office = support.staff(gj, ["620700"])
    me = support.citizen(gj, support.employee(gj, office, name="黄药师", income_fen=50_000))
    auth = login(client, me.username)

    four = client.post(
        "/api/onething/cases",
        json=body(gj, me.person_id, materials=["id_card", "application_form", "residence_proof", "commitment"]),
        headers=auth,
    )
    assert four.status_code == 422 and four.json()["code"] == "E_ONETHING_MATERIALS"
    assert "3份材料" in four.json()["message"] and four.json()["message_en"]
    unknown = client.post("/api/onething/cases", json=body(gj, me.person_id, parts=["lottery"]), headers=auth)
    assert unknown.status_code == 422 and unknown.json()["code"] == "E_UNKNOWN_CODE"
    assert client.get("/api/onething/cases/mine", headers=auth).json()["items"] == []

    ok = client.post("/api/onething/cases", json=body(gj, me.person_id), headers=auth)
    assert ok.status_code == 201, ok.text
    case = ok.json()
    assert {p["kind"]: p["state"] for p in case["parts"]} == {
        "offsite_registration": "done",
        "chronic_recognition": "processing",
        "direct_settlement": "waiting",
    }
    assert (case["committed_due"], case["statutory_due"], case["visits"]) == ("2026-11-25", "2026-11-26", 0)

    clerk = login(client, office.username)
    queue = client.get("/api/onething/cases?view=open", headers=clerk).json()
    assert [c["case_id"] for c in queue["cases"]] == [case["case_id"]] and queue["counts"]["open"] == 1
    assert queue["cases"][0]["name"] == "黄**"
    visit = client.post(f"/api/onething/cases/{case['case_id']}/visit", json={}, headers=clerk)
    assert visit.status_code == 200 and visit.json()["visit_reason"] == "需现场提交本人有效证件办理结算"
    again = client.post(f"/api/onething/cases/{case['case_id']}/visit", json={}, headers=clerk)
    assert again.status_code == 409 and again.json()["code"] == "E_ONETHING_VISITS"
    xlsx = client.get("/api/onething/overdue?format=xlsx", headers=clerk)
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.headers["content-type"]
    sheet = load_workbook(BytesIO(xlsx.content)).active
    assert sheet["A1"].value.endswith(date(2026, 11, 23).isoformat()) and sheet["A2"].value == "受理编号"
    assert client.get(f"/api/onething/cases/{case['case_id']}", headers=auth).status_code == 200
    assert client.get("/api/onething/cases", headers=auth).status_code == 403  # a citizen has no queue
