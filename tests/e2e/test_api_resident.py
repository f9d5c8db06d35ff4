"""The resident enrollment forms API (seed 002 §五 参保登记, 附件1–3): submit, list, read, review,
print, and duplicate clearing, over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from gongji.domain.ids import make_id_number
from gongji.domain.masking import mask_id_number
from tests import support
from tests.e2e.conftest import login

CERT = make_id_number("620702", date(1980, 4, 5), 511)


def registration(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "赵大年",
        "cert_no": CERT,
        "region_code": "620702",
        "township": "梁家墩镇",
        "hukou_region": "620702",
        "hukou_village": "五号村",
        "applicant_identity": "adult",
        "subsidy_codes": ["orphan"],
        "signer_name": "赵大年",
        "signed_on": "2026-11-23",
    }
    body.update(overrides)
    return body


def test_register_list_read_approve_and_print_a_resident_over_the_api(gj, client: TestClient) -> None:
    """Seed 002 §五1: 附件1 filled at the window, reviewed (收件审核) and printed."""
    support.staff(gj, ["620700"], username="township_api")
    support.staff(gj, ["620700"], username="township_api2")
    h = login(client, "township_api")
    h2 = login(client, "township_api2")  # the second clerk, who reviews (separation of duties)

    r = client.post("/api/resident/registrations", json=registration(), headers=h | {"Idempotency-Key": "f-1"})
    assert r.status_code == 201, r.text
    form = r.json()
    assert (form["status"], form["cert_no"], form["name"], form["psn_type"]) == (
        "pending",
        mask_id_number(CERT),
        "赵**",
        "15",
    )
    replay = client.post("/api/resident/registrations", json=registration(), headers=h | {"Idempotency-Key": "f-1"})
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["form_id"] == form["form_id"]

    listed = client.get("/api/resident/registrations", headers=h).json()
    assert [i["form_id"] for i in listed["items"]] == [form["form_id"]]
    assert CERT not in str(listed)
    whole = client.get(f"/api/resident/registrations/{form['form_id']}", headers=h).json()
    assert (whole["cert_no"], whole["subsidy_names"]) == (CERT, ["孤儿（含事实无人抚养儿童）"])

    mine = client.post(f"/api/resident/registrations/{form['form_id']}/review", json={"decision": "approve"}, headers=h)
    assert (mine.status_code, mine.json()["code"]) == (403, "E_FOUR_EYES")
    r = client.post(f"/api/resident/registrations/{form['form_id']}/review", json={"decision": "approve"}, headers=h2)
    assert r.status_code == 200, r.text
    approved = r.json()
    assert approved["status"] == "approved" and approved["enrollment_id"]
    person = client.get(f"/api/persons/{approved['person_id']}", headers=h).json()
    [e] = person["enrollments"]
    assert (e["insutype"], e["region_code"], e["psn_type"], e["status"]) == ("390", "620702", "15", "normal")

    pdf = client.get(f"/api/resident/registrations/{form['form_id']}/pdf", headers=h)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    again = client.post(f"/api/resident/registrations/{form['form_id']}/review", json={"decision": "reject"}, headers=h)
    assert again.json()["code"] == "E_STATE"


def test_bad_registrations_answer_their_codes_and_nothing_is_listed(gj, client: TestClient) -> None:
    """Seed 002 §五1: a wrong 参保登记表 is refused with its own code and leaves no form behind."""
    support.staff(gj, ["620702"], username="township_bad")
    h = login(client, "township_bad")
    for overrides, status, code in (
        ({"applicant_identity": "newborn"}, 422, "E_RESIDENT_IDENTITY_AGE"),
        ({"signer_name": ""}, 422, "E_RESIDENT_SIGNATURE"),
        ({"subsidy_codes": ["nobody"]}, 422, "E_RESIDENT_SUBSIDY_UNKNOWN"),
        ({"cert_no": CERT[:17] + ("1" if CERT[17] != "1" else "2")}, 422, "E_ID_CHECKSUM"),
        ({"region_code": "330102"}, 403, "E_OUT_OF_REGION"),
        ({"surprise": 1}, 422, "E_VALIDATION"),
    ):
        r = client.post("/api/resident/registrations", json=registration(**overrides), headers=h)
        assert (r.status_code, r.json()["code"]) == (status, code), overrides
        assert CERT not in r.text  # a refusal never echoes the number
    assert client.get("/api/resident/registrations?status=all", headers=h).json()["count"] == 0
    assert client.get("/api/resident/nothing", headers=h).json()["code"] == "E_VALIDATION"


def test_duplicates_change_and_stop_over_the_api(gj, client: TestClient) -> None:
    """Seed 002 §五: a duplicate cleared with a reason, then 附件2 and 附件3 reviewed."""
    office = support.staff(gj, ["620000"], username="province_api")
    support.staff(gj, ["620000"], username="province_api2")
    h = login(client, "province_api")
    h2 = login(client, "province_api2")  # the second clerk, who reviews (separation of duties)
    pid = support.resident(gj, office, region="620102", name="钱多多", birth=date(1990, 3, 3))
    cert = support.person_cert(gj, pid)
    form = client.post(
        "/api/resident/registrations",
        json=registration(name="钱多多", signer_name="钱多多", cert_no=cert, subsidy_codes=[]),
        headers=h,
    ).json()
    refused = client.post(
        f"/api/resident/registrations/{form['form_id']}/review", json={"decision": "approve"}, headers=h2
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "E_RESIDENT_DUPLICATE_ENROLLMENT")
    found = client.post("/api/resident/duplicates", json={"cert_no": cert}, headers=h).json()
    assert found["duplicate"] is True and len(found["pending_registrations"]) == 1
    [old] = found["enrollments"]
    cleared = client.post(
        f"/api/resident/duplicates/{old['enrollment_id']}/clear", json={"reason": "城关区参保有误"}, headers=h
    )
    assert cleared.status_code == 200 and cleared.json()["status"] == "terminated"
    ok = client.post(f"/api/resident/registrations/{form['form_id']}/review", json={"decision": "approve"}, headers=h2)
    assert ok.status_code == 200 and ok.json()["person_id"] == pid

    change = client.post(
        "/api/resident/changes",
        json={
            "filler_name": "钱多多",
            "filler_phone": "13900000000",
            "rows": [
                {"cert_no": cert, "name": "钱多多", "item": "phone", "after": "13811112222", "signed_by": "钱多多"}
            ],
        },
        headers=h,
    )
    assert change.status_code == 201, change.text
    cid = change.json()["form_id"]
    assert (
        client.post(f"/api/resident/changes/{cid}/review", json={"decision": "approve"}, headers=h2).json()["status"]
        == "applied"
    )
    assert client.get(f"/api/persons/{pid}", headers=h).json()["phone"] == "13811112222"

    stop = client.post(
        "/api/resident/stops",
        json={
            "cert_no": cert,
            "name": "钱多多",
            "reason": "death",
            "effective_date": "2026-11-23",
            "applicant_name": "钱大",
            "applicant_role": "family",
            "signed_on": "2026-11-23",
        },
        headers=h,
    )
    assert stop.status_code == 201, stop.text
    sid = stop.json()["form_id"]
    r = client.post(
        f"/api/resident/stops/{sid}/review", json={"decision": "approve", "unit": "甘州区医保局"}, headers=h2
    )
    assert r.json()["review_unit"] == "甘州区医保局"
    live = [
        e for e in client.get(f"/api/persons/{pid}", headers=h).json()["enrollments"] if e["status"] != "terminated"
    ]
    assert live == []
    for kinds, form_id in (("changes", cid), ("stops", sid)):
        pdf = client.get(f"/api/resident/{kinds}/{form_id}/pdf", headers=h)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"


def test_citizens_cannot_use_the_forms_api(gj, client: TestClient) -> None:
    """Seed 002 §五: the forms are handled at the township window, by staff only."""
    office = support.staff(gj, ["620702"])
    pid = support.resident(gj, office)
    support.citizen(gj, pid, username="citizen_forms")
    h = login(client, "citizen_forms")
    assert client.get("/api/resident/registrations", headers=h).status_code == 403
    assert client.post("/api/resident/registrations", json=registration(), headers=h).status_code == 403
