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
