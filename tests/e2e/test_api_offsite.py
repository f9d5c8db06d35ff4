"""The off-site API as a client sees it (seed 001 二、三; issue 14 §2–§3): a 即办件 answered at once —
201 with the registration, or 4xx with the code and the Chinese reason and nothing written — the
登记备案表 PDF that reads back in Chinese, and a recognition reviewed by a second clerk."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest

from tests import support
from tests.e2e.conftest import login

SHENZHEN = "440300"
PROOF = ["id_card", "registration_form", "residence_proof"]


def test_a_citizen_registers_online_and_is_answered_at_once(gj: Any, client: Any) -> None:
    office = support.staff(gj, ["620700"])
    me = support.citizen(gj, support.employee(gj, office, name="赵敏"))
    auth = login(client, me.username)

    refused = client.post(
        "/api/offsite/registrations",
        json={"kind": "long_term_resident", "destination_code": SHENZHEN, "materials": ["id_card"]},
        headers=auth,
    )
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "E_OFFSITE_MATERIALS" and "异地就医登记备案表" in body["message"] and body["message_en"]
    assert client.get(f"/api/offsite/persons/{me.person_id}/registrations", headers=auth).json()["items"] == []

    ok = client.post(
        "/api/offsite/registrations",
        json={
            "kind": "long_term_resident",
            "destination_code": SHENZHEN,
            "materials": PROOF,
            "address": "南山区某街道",
        },
        headers=auth,
    )
    assert ok.status_code == 201, ok.text
    reg = ok.json()
    assert (reg["state_zh"], reg["channel"], reg["destination_name"]) == ("有效", "online_self", "广东省深圳市")
    assert reg["name"] == "赵*" and "*" in reg["cert_no"]

    twin = client.post(
        "/api/offsite/registrations",
        json={"kind": "long_term_resident", "destination_code": "620100", "materials": PROOF},
        headers=auth,
    )
    assert twin.status_code == 409 and twin.json()["code"] == "E_OFFSITE_OVERLAP"
    too_early = client.post(
        f"/api/offsite/registrations/{reg['registration_id']}/cancel", json={"reason": "回原籍"}, headers=auth
    )
    assert too_early.status_code == 422 and too_early.json()["code"] == "E_OFFSITE_TOO_EARLY"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_registration_form_pdf_reads_back_in_chinese(gj: Any, client: Any, tmp_path: Any) -> None:
    office = support.staff(gj, ["620700"])
    pid = support.employee(gj, office, name="周芷若", retired=True)
    auth = login(client, office.username)
    reg = client.post(
        "/api/offsite/registrations",
        json={
            "person_id": pid,
            "kind": "retiree_resettled",
            "destination_code": "440305",
            "materials": ["id_card", "registration_form", "commitment"],
            "commitment_signed": True,
            "agent_name": "张无忌",
            "agent_relation": "配偶",
        },
        headers=auth,
    ).json()
    pdf = client.get(f"/api/offsite/registrations/{reg['registration_id']}/pdf", headers=auth)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for expected in (
        "异地就医登记备案表",
        reg["serial"],
        "周**",
        "异地安置退休",
        "广东省深圳市南山区",
        "长期有效",
        "窗口办理（他人代办）",
        "个人承诺书",
        "张**（配偶）",
    ):
        assert expected in text, expected
    assert support.person_cert(gj, pid) not in text  # the whole ID number is never printed


def test_another_citizen_cannot_read_someone_elses_registration(gj: Any, client: Any) -> None:
    office = support.staff(gj, ["620700"])
    owner = support.citizen(gj, support.employee(gj, office))
    other = support.citizen(gj, support.employee(gj, office))
    reg = client.post(
        "/api/offsite/registrations",
        json={"kind": "long_term_resident", "destination_code": SHENZHEN, "materials": PROOF},
        headers=login(client, owner.username),
    ).json()
    seen = client.get(f"/api/offsite/registrations/{reg['registration_id']}", headers=login(client, other.username))
    assert seen.status_code == 404 and seen.json()["code"] == "E_NOT_FOUND"
    pdf = client.get(f"/api/offsite/registrations/{reg['registration_id']}/pdf", headers=login(client, other.username))
    assert pdf.status_code == 404


def test_a_recognition_applied_for_online_is_approved_by_a_clerk_who_did_not_enter_it(gj: Any, client: Any) -> None:
    office = support.staff(gj, ["620700"])
    me = support.citizen(gj, support.employee(gj, office))
    applied = client.post(
        "/api/chronic/recognitions",
        json={"disease": "transplant_antirejection", "organ": "kidney"},
        headers=login(client, me.username),
    )
    assert applied.status_code == 201 and applied.json()["state_zh"] == "待审核"
    rid = applied.json()["recognition_id"]
    staff_auth = login(client, office.username)
    pending = client.get("/api/chronic/recognitions?state=pending", headers=staff_auth).json()["items"]
    assert [r["recognition_id"] for r in pending] == [rid] and pending[0][
        "disease_zh"
    ] == "器官移植抗排异治疗（肾移植）"
    done = client.post(f"/api/chronic/recognitions/{rid}/approve", json={}, headers=staff_auth)
    assert done.status_code == 200 and done.json()["state_zh"] == "有效"
