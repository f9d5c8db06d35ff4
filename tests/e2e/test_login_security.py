"""Issue 13 §4 "Logins", on SQLite and PostgreSQL: failed logins throttled per account and per
client address (429, Retry-After, a Chinese message with the time to retry), the lock stored in
the database (a second worker sees it), a success resets the account's counter; a citizen
changes the password (other sessions end); staff reset it with an audited one-time code; the
login page returns to the page that asked for it, never to another site."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gongji.adapters.db.models import AuditLog, PasswordResetCode
from gongji.bootstrap import bootstrap
from gongji.entrypoints.api.app import create_app
from tests import support
from tests.e2e.conftest import login
from tests.support import PASSWORD

NEW = "Neues2026passwort"


def _try(client: TestClient, username: str, password: str = "wrong-password-1"):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def test_failed_logins_lock_the_account_with_a_retry_time_and_a_success_resets_the_counter(gj, client):
    support.staff(gj, ["620700"], username="clerk_lock")
    for _ in range(4):
        assert _try(client, "clerk_lock").status_code == 401
    assert _try(client, "clerk_lock", PASSWORD).status_code == 200  # resets the account's counter
    for _ in range(4):
        assert _try(client, "clerk_lock").json()["code"] == "E_AUTH_INVALID"
    r = _try(client, "clerk_lock")  # the fifth in a row
    assert r.status_code == 429 and r.json()["code"] == "E_AUTH_THROTTLED"
    assert r.headers["Retry-After"] == "60"
    assert "10:01" in r.json()["message"] and "北京时间" in r.json()["message"]
    assert _try(client, "clerk_lock", PASSWORD).status_code == 429  # locked even with the right one
    gj.clock.advance(timedelta(seconds=61))
    assert _try(client, "clerk_lock").status_code == 429  # sixth failure: 2 minutes now
    assert _try(client, "clerk_lock", PASSWORD).headers["Retry-After"] == "120"
    gj.clock.advance(timedelta(minutes=2))
    assert _try(client, "clerk_lock", PASSWORD).status_code == 200


def test_the_lock_holds_for_another_worker_on_the_same_database(gj, client):
    support.staff(gj, ["620700"], username="clerk_two")
    for _ in range(5):
        _try(client, "clerk_two")
    other = bootstrap(gj.settings, clock=gj.clock)  # a second process's app on the same database
    try:
        with TestClient(create_app(other), raise_server_exceptions=False) as second:
            assert _try(second, "clerk_two", PASSWORD).status_code == 429
    finally:
        other.engine.dispose()


def test_failed_logins_from_one_address_lock_that_address_only(gj):
    support.staff(gj, ["620700"], username="clerk_addr")
    app = create_app(gj)
    with TestClient(app, raise_server_exceptions=False, client=("203.0.113.7", 4000)) as guesser:
        for i in range(20):
            _try(guesser, f"nobody{i}")  # many accounts, one address
        r = _try(guesser, "clerk_addr", PASSWORD)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    with TestClient(app, raise_server_exceptions=False, client=("198.51.100.2", 4000)) as elsewhere:
        assert _try(elsewhere, "clerk_addr", PASSWORD).status_code == 200


def test_a_citizen_changes_the_password_and_the_other_devices_are_logged_out(gj, client):
    staff = support.staff(gj, ["620700"], username="clerk_pw")
    support.citizen(gj, support.employee(gj, staff), username="citizen_pw")
    phone, laptop = login(client, "citizen_pw"), login(client, "citizen_pw")
    wrong = client.post("/api/auth/password", json={"old_password": "nope", "new_password": NEW}, headers=phone)
    assert wrong.status_code == 403 and wrong.json()["code"] == "E_PASSWORD_OLD"
    for weak in ("short1", "allletters", "12345678901", "citizen_pw2026x"):
        r = client.post("/api/auth/password", json={"old_password": PASSWORD, "new_password": weak}, headers=phone)
        assert r.status_code == 422 and r.json()["code"] == "E_PASSWORD_WEAK", weak
    r = client.post("/api/auth/password", json={"old_password": PASSWORD, "new_password": NEW}, headers=phone)
    assert r.status_code == 200 and r.json()["other_sessions_ended"] == 1
    assert client.get("/api/auth/me", headers=phone).status_code == 200
    assert client.get("/api/auth/me", headers=laptop).status_code == 401
    assert _try(client, "citizen_pw", PASSWORD).status_code == 401
    assert _try(client, "citizen_pw", NEW).status_code == 200


def test_staff_reset_a_citizen_password_with_an_audited_one_time_code(gj, client):
    staff = support.staff(gj, ["620700"], username="clerk_reset")
    support.staff(gj, ["330100"], username="clerk_far")
    pid = support.employee(gj, staff)
    support.citizen(gj, pid, username="citizen_reset")
    device = login(client, "citizen_reset")
    far = client.post("/api/auth/reset-codes", json={"person_id": pid}, headers=login(client, "clerk_far"))
    assert far.status_code == 403 and far.json()["code"] == "E_OUT_OF_REGION"
    issued = client.post("/api/auth/reset-codes", json={"person_id": pid}, headers=login(client, "clerk_reset"))
    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]
    assert issued.json()["username"] == "citizen_reset"
    with gj.uow() as uow:
        stored = uow.session.scalars(select(PasswordResetCode.code_hash)).all()
        actions = set(uow.session.scalars(select(AuditLog.action)))
    assert stored and all(code not in h and code.replace("-", "") not in h for h in stored)
    assert "auth.reset_code_issued" in actions
    body = {"username": "citizen_reset", "code": code.lower(), "new_password": NEW}
    assert client.post("/api/auth/password/reset", json=body | {"code": "AAAA-BBBB-CCCC"}).status_code == 401
    assert client.post("/api/auth/password/reset", json=body).status_code == 200
    assert client.get("/api/auth/me", headers=device).status_code == 401  # every session ended
    assert _try(client, "citizen_reset", NEW).status_code == 200
    again = client.post("/api/auth/password/reset", json=body | {"new_password": "Another2026pw"})
    assert again.status_code == 401 and again.json()["code"] == "E_AUTH_RESET_CODE"  # single use
    with gj.uow() as uow:
        assert "auth.password_reset" in set(uow.session.scalars(select(AuditLog.action)))


def test_a_reset_code_expires(gj, client):
    staff = support.staff(gj, ["620700"], username="clerk_exp")
    person = support.employee(gj, staff, name="李四")
    support.citizen(gj, person, username="citizen_exp2")
    code = client.post("/api/auth/reset-codes", json={"person_id": person}, headers=login(client, "clerk_exp"))
    gj.clock.advance(timedelta(hours=24, minutes=1))
    body = {"username": "citizen_exp2", "code": code.json()["code"], "new_password": NEW}
    assert client.post("/api/auth/password/reset", json=body).json()["code"] == "E_AUTH_RESET_CODE"


def test_the_login_page_returns_to_the_page_that_asked_for_it(gj, client):
    staff = support.staff(gj, ["620700"], username="clerk_next")
    pid = support.employee(gj, staff)
    asked = client.get(f"/staff/persons/{pid}?tab=1", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"] == f"/login?next=%2Fstaff%2Fpersons%2F{pid}%3Ftab%3D1"
    assert f'value="/staff/persons/{pid}?tab=1"' in client.get(asked.headers["location"]).text
    form = {"username": "clerk_next", "password": PASSWORD, "next": f"/staff/persons/{pid}?tab=1"}
    r = client.post("/login", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/staff/persons/{pid}?tab=1"


@pytest.mark.parametrize(
    "target", ["//evil.com", "https://evil.com/x", "/\\evil.com", "http:/evil.com", "/\t/evil.com", "evil.com"]
)
def test_the_login_never_redirects_to_another_site(gj, client, target):
    support.staff(gj, ["620700"], username="clerk_open")
    form = {"username": "clerk_open", "password": PASSWORD, "next": target}
    r = client.post("/login", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff"


def test_the_login_page_says_when_to_retry(gj, client):
    support.staff(gj, ["620700"], username="clerk_page")
    for _ in range(5):
        page = client.post("/login", data={"username": "clerk_page", "password": "bad-password-9"})
    assert page.status_code == 429 and page.headers["Retry-After"] == "60"
    assert "请于10:01（北京时间" in page.text and "E_AUTH_THROTTLED" in page.text
