"""Registry API: staff register and enroll people; scope, audit and bad input (issue 2, SPEC §2, §9)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gongji.adapters.db.models import AuditLog, Enrollment, LedgerTxn, Person
from gongji.domain.ids import make_id_number
from tests import support
from tests.e2e.conftest import login


def _count(gj, model) -> int:
    with gj.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def zhangye_staff(gj):
    return support.staff(gj, ["620700"], username="staff_zy")


def _register(client, headers, cert_no, name="王小明"):
    return client.post("/api/persons", json={"cert_no": cert_no, "name": name}, headers=headers)


def test_staff_registers_and_enrolls_an_employee_and_posts_income_once(gj, client, zhangye_staff):
    headers = login(client, "staff_zy")
    employer = client.post(
        "/api/employers",
        json={"code": "91620702MA7XXXXX1X", "name": "张掖市某某公司", "region_code": "620702"},
        headers=headers,
    )
    assert employer.status_code == 201, employer.text
    cert = make_id_number("620702", support.date(1980, 1, 2), 123)
    person = _register(client, headers, cert)
    assert person.status_code == 201, person.text
    body = person.json()
    assert body["sex"] == "1" and body["birth_date"] == "1980-01-02"
    assert cert not in person.text  # the answer carries only the masked number
    pid = body["person_id"]
    e = client.post(
        f"/api/persons/{pid}/enrollments",
        json={
            "insutype": "310",
            "region_code": "620702",
            "psn_type": "11",
            "start_date": "2024-01-01",
            "employer_code": "91620702MA7XXXXX1X",
        },
        headers=headers,
    )
    assert e.status_code == 201, e.text
    income = {"month": "2026-10", "kind": "employee_contribution", "amount_fen": 12_345}
    first = client.post(
        f"/api/persons/{pid}/account/income", json=income, headers=headers | {"Idempotency-Key": "inc-1"}
    )
    again = client.post(
        f"/api/persons/{pid}/account/income", json=income, headers=headers | {"Idempotency-Key": "inc-1"}
    )
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    record = client.get(f"/api/persons/{pid}", headers=headers).json()
    assert record["account"]["current_fen"] == 12_345 and record["account"]["past_years_fen"] == 0
    changed = client.post(
        f"/api/persons/{pid}/account/income",
        json=income | {"amount_fen": 1},
        headers=headers | {"Idempotency-Key": "inc-1"},
    )
    assert changed.status_code == 409 and changed.json()["code"] == "E_IDEMPOTENCY_MISMATCH"
    with gj.uow() as uow:
        actions = set(uow.session.scalars(select(AuditLog.action)))
    assert {"person.register", "enrollment.create", "account.income", "person.read", "employer.register"} <= actions


def test_citizen_a_cannot_read_citizen_b(gj, client, zhangye_staff):
    a = support.employee(gj, zhangye_staff, income_fen=100)
    b = support.employee(gj, zhangye_staff, name="李娜", income_fen=100)
    support.citizen(gj, a, username="citizen_a")
    headers = login(client, "citizen_a")
    assert client.get(f"/api/persons/{a}", headers=headers).status_code == 200
    r = client.get(f"/api/persons/{b}", headers=headers)
    assert r.status_code == 403 and r.json()["code"] == "E_FORBIDDEN"
    assert client.get("/api/persons", params={"q": "李"}, headers=headers).status_code == 403


def test_staff_of_620700_cannot_read_a_person_of_330100(gj, client, zhangye_staff):
    hangzhou_staff = support.staff(gj, ["330100"])
    hz = support.employee(gj, hangzhou_staff, region="330106", name="赵六")
    headers = login(client, "staff_zy")
    r = client.get(f"/api/persons/{hz}", headers=headers)
    assert r.status_code == 403 and r.json()["code"] == "E_OUT_OF_REGION"
    listed = client.get("/api/persons", params={"q": "赵"}, headers=headers).json()
    assert listed["count"] == 0
    assert _count(gj, AuditLog) >= 1
    with gj.uow() as uow:
        reads = uow.session.scalars(select(AuditLog).where(AuditLog.action == "person.read")).all()
    assert reads == []  # a refused read is not a read


def test_search_results_are_masked(gj, client, zhangye_staff):
    support.employee(gj, zhangye_staff, name="欧阳娜娜")
    items = client.get("/api/persons", params={"q": "欧阳"}, headers=login(client, "staff_zy")).json()["items"]
    assert items and items[0]["name"] == "欧***" and "*" in items[0]["cert_no"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"cert_no": "110105194912310021", "name": "张三"}, "E_ID_CHECKSUM"),
        ({"cert_no": "12345", "name": "张三"}, "E_ID_FORMAT"),
        ({"cert_no": "62070219990229" + "0110", "name": "张三"}, None),  # 1999-02-29; check digit computed below
        ({"cert_no": make_id_number("629999", support.date(1990, 1, 1), 3), "name": "张三"}, "E_ID_REGION"),
        ({"cert_no": make_id_number("620702", support.date(1990, 1, 1), 3), "name": "张" * 51}, "E_VALIDATION"),
        (
            {"cert_no": make_id_number("620702", support.date(1990, 1, 1), 3), "name": "张三", "extra": 1},
            "E_VALIDATION",
        ),
        (
            {"cert_no": make_id_number("620702", support.date(1990, 1, 1), 3), "name": "张三", "cert_type": "ZZ"},
            "E_UNKNOWN_CODE",
        ),
        ({"cert_type": "08", "cert_no": "E12345678", "name": "Anna Smith"}, "E_VALIDATION"),  # no sex / birth date
    ],
)
def test_bad_person_input_gets_a_clear_code_and_writes_nothing(gj, client, zhangye_staff, payload, code):
    from gongji.domain.ids import check_char

    if code is None:  # 29 Feb in a non-leap year, with a correct check digit
        first17 = "62070219990229011"
        payload = {"cert_no": first17 + check_char(first17), "name": "张三"}
        code = "E_ID_BIRTHDATE"
    before = _count(gj, Person)
    r = (
        _register(client, login(client, "staff_zy"), payload.pop("cert_no"), payload.pop("name"))
        if set(payload) == set()
        else None
    )
    if r is None:
        r = client.post(
            "/api/persons", json={"cert_no": payload.get("cert_no", ""), **payload}, headers=login(client, "staff_zy")
        )
    assert 400 <= r.status_code < 500, r.text
    body = r.json()
    assert body["code"] == code and body["message"] and body["message_en"]
    assert _count(gj, Person) == before


def test_other_certificate_types_are_stored_without_parsing(gj, client, zhangye_staff):
    r = client.post(
        "/api/persons",
        json={"cert_type": "08", "cert_no": "E12345678", "name": "Anna Smith", "sex": "2", "birth_date": "1990-05-01"},
        headers=login(client, "staff_zy"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["cert_type"] == "08" and r.json()["sex"] == "2"


@pytest.mark.parametrize("amount", [0, -100, 12.5, "100", 10_000_000_001, True])
def test_income_amount_must_be_positive_whole_fen(gj, client, zhangye_staff, amount):
    pid = support.employee(gj, zhangye_staff)
    before = _count(gj, LedgerTxn)
    r = client.post(
        f"/api/persons/{pid}/account/income",
        json={"month": "2026-10", "kind": "employee_contribution", "amount_fen": amount},
        headers=login(client, "staff_zy") | {"Idempotency-Key": f"bad-{amount}"},
    )
    assert r.status_code == 422 and r.json()["code"] == "E_VALIDATION"
    assert _count(gj, LedgerTxn) == before


def test_income_without_idempotency_key_is_refused(gj, client, zhangye_staff):
    pid = support.employee(gj, zhangye_staff)
    r = client.post(
        f"/api/persons/{pid}/account/income",
        json={"month": "2026-10", "kind": "employee_contribution", "amount_fen": 100},
        headers=login(client, "staff_zy"),
    )
    assert r.status_code == 422 and r.json()["code"] == "E_VALIDATION"


def test_unknown_region_code_is_refused(gj, client, zhangye_staff):
    headers = login(client, "staff_zy")
    pid = _register(client, headers, make_id_number("620702", support.date(1990, 1, 1), 5)).json()["person_id"]
    r = client.post(
        f"/api/persons/{pid}/enrollments",
        json={"insutype": "390", "region_code": "629999", "psn_type": "15", "start_date": "2026-01-01"},
        headers=headers,
    )
    assert r.status_code == 422 and r.json()["code"] == "E_UNKNOWN_CODE"
    assert _count(gj, Enrollment) == 0


def test_wrong_content_type_missing_and_expired_token(gj, client, zhangye_staff):
    headers = login(client, "staff_zy")
    r = client.post("/api/persons", content="cert_no=1", headers=headers | {"Content-Type": "text/plain"})
    assert r.status_code == 415 and r.json()["code"] == "E_CONTENT_TYPE"
    r = client.post("/api/persons", content="{not json", headers=headers | {"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "E_VALIDATION"
    assert client.get("/api/auth/me").json()["code"] == "E_AUTH_REQUIRED"
    gj.clock.advance(timedelta(minutes=gj.settings.token_ttl_minutes + 1))
    r = client.get("/api/auth/me", headers=headers)
    assert r.status_code == 401 and r.json()["code"] == "E_TOKEN_EXPIRED"


def test_wrong_password_and_unknown_user_get_the_same_answer(gj, client, zhangye_staff):
    a = client.post("/api/auth/login", json={"username": "staff_zy", "password": "wrong-password"})
    b = client.post("/api/auth/login", json={"username": "nobody", "password": "wrong-password"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json() and a.json()["code"] == "E_AUTH_INVALID"


def test_enrollment_status_changes_and_transfer_keep_history(gj, client, zhangye_staff):
    headers = login(client, "staff_zy")
    pid = support.employee(gj, zhangye_staff, region="620702", income_fen=500)
    eid = client.get(f"/api/persons/{pid}", headers=headers).json()["enrollments"][0]["enrollment_id"]
    day = {"effective_date": "2026-11-01", "reason": "单位暂停缴费"}
    assert client.post(f"/api/enrollments/{eid}/suspend", json=day, headers=headers).json()["status"] == "suspended"
    again = client.post(f"/api/enrollments/{eid}/suspend", json=day, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "E_STATE"
    income = client.post(
        f"/api/persons/{pid}/account/income",
        json={"month": "2026-11", "kind": "employee_contribution", "amount_fen": 100},
        headers=headers | {"Idempotency-Key": "suspended-income"},
    )
    assert income.status_code == 409
    assert client.post(f"/api/enrollments/{eid}/resume", json=day, headers=headers).json()["status"] == "normal"
    moved = client.post(f"/api/enrollments/{eid}/transfer", json=day | {"to_region": "620723"}, headers=headers)
    assert moved.status_code == 200 and moved.json()["region_code"] == "620723"
    assert client.post(f"/api/enrollments/{eid}/fly", json=day, headers=headers).json()["code"] == "E_UNKNOWN_CODE"
    record = client.get(f"/api/persons/{pid}", headers=headers).json()
    assert record["account"]["current_fen"] == 500  # the account travels with the person


def test_duplicate_enrollment_is_detected(gj, client, zhangye_staff):
    headers = login(client, "staff_zy")
    pid = support.employee(gj, zhangye_staff)
    r = client.post(
        f"/api/persons/{pid}/enrollments",
        json={"insutype": "390", "region_code": "620702", "psn_type": "15", "start_date": "2026-01-01"},
        headers=headers,
    )
    assert r.status_code == 409 and r.json()["code"] == "E_DUPLICATE"


def test_error_list_documents_every_code(client):
    codes = {e["code"]: e for e in client.get("/api/errors").json()}
    for code in (
        "E_ID_CHECKSUM",
        "E_ID_BIRTHDATE",
        "E_ID_REGION",
        "E_AMOUNT",
        "E_IDEMPOTENCY_MISMATCH",
        "E_INSUFFICIENT_BALANCE",
        "E_OUT_OF_REGION",
        "E_TOKEN_EXPIRED",
    ):
        assert codes[code]["message"] and codes[code]["message_en"]


def test_health_and_openapi(client):
    assert client.get("/healthz").json()["status"] == "ok"
    assert "/api/persons" in json.dumps(client.get("/openapi.json").json()["paths"])


def test_policy_api_shows_the_active_profile_and_flags_demo_figures(client):
    body = client.get("/api/policy").json()
    assert body["code"] == "gansu" and body["active"] is True
    assert body["profile"]["family"]["funding_model"] == "allocation"
    assert any(path.startswith("benefit.rule") for path in body["demo_fields"])
    zj = client.get("/api/policy", params={"province": "zhejiang"}).json()
    assert zj["profile"]["family"]["funding_model"] == "direct" and zj["active"] is False
    assert client.get("/api/policy", params={"province": "mars"}).json()["code"] == "E_UNKNOWN_CODE"
