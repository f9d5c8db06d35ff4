"""Personal data is masked in logs (SPEC §9): a search by ID number is logged masked."""

from __future__ import annotations

import logging

from gongji.domain.masking import mask_id_number
from tests import support
from tests.conftest import LOG_FILE
from tests.e2e.conftest import login


def test_an_id_number_in_a_request_is_logged_only_masked(gj, client):
    staff = support.staff(gj, ["620700"], username="staff_log")
    pid = support.employee(gj, staff, name="周八")
    with gj.uow() as uow:
        from gongji.adapters.db.models import Person

        cert = uow.session.get(Person, pid).cert_no
    r = client.get("/api/persons", params={"q": cert}, headers=login(client, "staff_log"))
    assert r.json()["count"] == 1
    logging.getLogger("gongji").warning("looked up %s for a test", cert)  # even a careless log call
    for handler in logging.getLogger("gongji").handlers:
        handler.flush()
    text = LOG_FILE.read_text(encoding="utf-8")
    assert cert not in text
    assert mask_id_number(cert) in text


def test_uvicorn_access_lines_are_masked_and_still_format():
    """uvicorn's AccessFormatter reads record.args itself; the masking filter must keep them usable."""
    from uvicorn.logging import AccessFormatter

    from gongji.bootstrap import MaskingFilter
    from gongji.domain.ids import make_id_number

    number = make_id_number("620702", support.date(1990, 1, 1), 7)
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/api/persons?q={number}", "1.1", 200),
        None,
    )
    assert MaskingFilter().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(record)
    assert number not in line and mask_id_number(number) in line and '" 200' in line


# --- issue 13 §6: no ID number or name whole in any log, on both databases ----------------------


def _log_text() -> str:
    for handler in logging.getLogger("gongji").handlers:
        handler.flush()
    return LOG_FILE.read_text(encoding="utf-8")


def _person(gj, staff, name: str) -> str:
    from gongji.adapters.db.models import Person

    pid = support.employee(gj, staff, name=name)
    with gj.uow() as uow:
        return uow.session.get(Person, pid).cert_no


def test_an_id_number_next_to_letters_in_a_query_string_is_logged_masked(gj, client):
    """Issue 13 §6: ``?q=x620…`` was logged whole."""
    staff = support.staff(gj, ["620700"], username="staff_log_adj")
    cert = _person(gj, staff, "郑十一")
    client.get("/api/persons", params={"q": f"x{cert}y"}, headers=login(client, "staff_log_adj"))
    client.get(f"/api/persons?q=1{cert}2", headers=login(client, "staff_log_adj"))
    text = _log_text()
    assert cert not in text
    assert f"x{mask_id_number(cert)}y" in text


def test_a_url_encoded_name_in_a_query_string_is_logged_masked(gj, client):
    """Issue 13 §6: a name searched for reached the access log percent-encoded (UTF-8)."""
    from urllib.parse import quote

    staff = support.staff(gj, ["620700"], username="staff_log_name")
    _person(gj, staff, "欧阳秋月")
    r = client.get("/api/persons", params={"q": "欧阳秋月"}, headers=login(client, "staff_log_name"))
    assert r.status_code == 200
    text = _log_text()
    assert quote("欧阳秋月") not in text and "欧阳秋月" not in text
    assert "q=欧***" in text  # the parameter is still there, masked


def test_a_database_error_traceback_is_logged_with_its_parameters_masked(gj, client, monkeypatch):
    """Issue 13 §6: a PostgreSQL (or SQLite) error carries the SQL parameters into the traceback;
    the formatter masks the exception text as well as the message."""
    from sqlalchemy import text as sql

    from gongji.services.registry import persons as registry

    support.staff(gj, ["620700"], username="staff_log_tb")
    cert = support.new_id("620702", support.date(1977, 7, 7))

    def broken_search(uow, ctx, *, query, limit):
        # violates NOT NULL on the person's other columns: the driver's error names the values
        uow.session.execute(sql("INSERT INTO person (cert_no, name) VALUES (:c, :n)"), {"c": cert, "n": "司马相如"})

    monkeypatch.setattr(registry, "search_persons", broken_search)
    r = client.get("/api/persons", params={"q": "x"}, headers=login(client, "staff_log_tb"))
    assert r.status_code == 500 and r.json()["code"] == "E_INTERNAL"
    text = _log_text()
    assert "Traceback" in text and "IntegrityError" in text
    assert cert not in text and "司马相如" not in text
    assert mask_id_number(cert) in text


def test_a_name_the_request_body_carried_is_never_logged_whole(gj, client, monkeypatch):
    """Issue 13 §6: names known from the request body are masked in every log line of that
    request, even where nothing else would recognise them (an exception message)."""
    from gongji.services.registry import persons as registry

    support.staff(gj, ["620700"], username="staff_log_body")
    cert = support.new_id("620702", support.date(1980, 3, 3))
    name = "买买提艾力江"  # six characters, unquoted in the message: only the body tells it is a name

    def broken_register(uow, ctx, **fields):
        raise RuntimeError(f"cannot register {fields['name']} today")

    monkeypatch.setattr(registry, "register_person", broken_register)
    r = client.post("/api/persons", json={"cert_no": cert, "name": name}, headers=login(client, "staff_log_body"))
    assert r.status_code == 500
    text = _log_text()
    assert "cannot register" in text
    assert name not in text and cert not in text
