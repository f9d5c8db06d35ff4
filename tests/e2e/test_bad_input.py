"""Bad input is a 4xx with a code, never a 500, on both databases (issue 13 §5).

Each test is one of the inputs a probe found answering 500 (or accepted though it should not be):
path ids above 2^63, Unicode digits in ids, NUL and lone surrogates, deep JSON, oversize and
chunked bodies, 2206 parts sent as plain numbers, a database that is down.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.adapters.db.models import Person
from gongji.adapters.nhsa.client import parts_of
from gongji.entrypoints.api import guard
from gongji.entrypoints.api.app import create_app
from gongji.entrypoints.api.schemas import ErrorBody
from tests import nhsa_support as N
from tests import support as S
from tests.e2e.conftest import login


def refused(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    ErrorBody.model_validate(body)  # the body the OpenAPI documents
    assert body["code"] == code, body
    return body


@pytest.fixture
def staff(gj, client, office) -> dict[str, str]:
    return login(client, "staff_gs")


def persons(gj) -> int:
    return S.row_counts(gj, (Person,))["person"]


def person_body(name: str) -> dict[str, Any]:
    return {"cert_no": S.new_id(), "name": name}


# --- ids ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person_id", [str(2**63), "9" * 40, "-" + "9" * 30])
def test_a_path_id_beyond_64_bits_is_E_VALIDATION_not_a_500(gj, client, staff, person_id):
    refused(client.get(f"/api/persons/{person_id}", headers=staff), 422, "E_VALIDATION")
    refused(client.get(f"/api/family/persons/{person_id}/bindings", headers=staff), 422, "E_VALIDATION")


def test_the_largest_64_bit_id_is_just_not_found(gj, client, staff):
    refused(client.get(f"/api/persons/{2**63 - 1}", headers=staff), 404, "E_NOT_FOUND")


@pytest.mark.parametrize("psn_no", ["²", "١٢", "１２", str(2**70)])
def test_unicode_digits_or_a_huge_psn_no_at_the_national_interface_are_refused_with_infcode_minus_1(
    gj, hospital, patient, psn_no
):
    answer = hospital.call("5203", {"data": {"psn_no": psn_no, "setl_id": "1", "mdtrt_id": "1"}})
    assert answer["infcode"] == -1 and answer["err_code"] == "E_SETL_PERSON", answer


# --- text the databases cannot store ----------------------------------------------------------------


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\udc00x", "\\ud800\\u0041"])
def test_nul_and_lone_surrogates_in_json_are_E_VALIDATION_and_write_nothing(gj, client, staff, escape):
    before = persons(gj)
    raw = json.dumps(person_body("张三"), ensure_ascii=False).replace("张三", f"张{escape}三", 1)
    r = client.post("/api/persons", content=raw, headers={**staff, "content-type": "application/json"})
    refused(r, 422, "E_VALIDATION")
    assert persons(gj) == before


def test_an_escaped_backslash_before_u0000_is_plain_text_not_a_nul(gj, client, staff):
    raw = json.dumps(person_body("张\\u0000三"))  # the name holds a backslash and "u0000"
    assert "\\\\u0000" in raw
    r = client.post("/api/persons", content=raw, headers={**staff, "content-type": "application/json"})
    assert r.status_code < 500 and (r.json().get("detail") or {}).get("field") != "body", r.text


def test_a_paired_surrogate_escape_is_an_ordinary_character(gj, client, staff):
    raw = json.dumps(person_body("张😀三"), ensure_ascii=True)  # 😀 as \ud83d\ude00
    r = client.post("/api/persons", content=raw, headers={**staff, "content-type": "application/json"})
    assert r.status_code < 500 and (r.json().get("detail") or {}).get("field") != "body", r.text


@pytest.mark.parametrize("query", ["q=%00", "q=%ED%A0%80", "q=%FF"])
def test_nul_surrogates_or_non_utf8_in_a_query_string_are_E_VALIDATION(gj, client, staff, query):
    refused(client.get(f"/api/persons?{query}", headers=staff), 422, "E_VALIDATION")


def test_a_nul_in_a_page_form_is_refused_before_the_page_runs(gj, client):
    r = client.post(
        "/login", content=b"username=a%00b&password=x", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    refused(r, 422, "E_VALIDATION")


def test_nul_in_a_national_interface_field_is_refused_and_writes_nothing(gj, hospital, patient):
    before = S.row_counts(gj, (Person,))
    body = hospital.envelope("5203", {"data": {"psn_no": "1\u0000", "setl_id": "1", "mdtrt_id": "1"}})
    refused(hospital.post(body), 422, "E_VALIDATION")
    assert S.row_counts(gj, (Person,)) == before


def test_a_lone_surrogate_sent_to_the_national_interface_is_refused_before_anything_runs(gj, client):
    raw = '{"infno": "1101", "msgid": "\\ud800", "input": {}}'
    r = client.post("/fsi/api/rsfComIfsService/callService", content=raw, headers={"content-type": "application/json"})
    refused(r, 422, "E_VALIDATION")


# --- nesting and size -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/persons", "/fsi/api/rsfComIfsService/callService"])
def test_deeply_nested_json_is_E_VALIDATION(gj, client, staff, path):
    raw = "[" * 100_000 + "]" * 100_000
    refused(client.post(path, content=raw, headers={**staff, "content-type": "application/json"}), 422, "E_VALIDATION")


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert guard.json_depth(json.dumps({"a": "[" * 1000, "b": [[1]]})) == 3
    assert guard.json_depth(json.dumps({"a": "[{" * 100, "b": [[[1]]]})) == 4


def test_an_api_body_over_1_mb_is_413_E_TOO_LARGE(gj, client, staff):
    big = json.dumps(person_body("x" * (guard.DEFAULT_CAP + 10)))
    body = refused(
        client.post("/api/persons", content=big, headers={**staff, "content-type": "application/json"}),
        413,
        "E_TOO_LARGE",
    )
    assert body["detail"]["max_bytes"] == guard.DEFAULT_CAP


def test_a_chunked_body_without_content_length_is_capped_as_it_streams(gj, client, staff):
    def chunks():
        yield b'{"name": "'
        for _ in range(40):
            yield b"x" * 32_768  # 1.25 MB in all, no Content-Length
        yield b'"}'

    r = client.post("/api/persons", content=chunks(), headers={**staff, "content-type": "application/json"})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    refused(r, 413, "E_TOO_LARGE")


def test_a_chunked_non_json_body_to_the_api_is_415(gj, client, staff):
    r = client.post("/api/persons", content=iter([b"name=x"]), headers={**staff, "content-type": "text/plain"})
    refused(r, 415, "E_CONTENT_TYPE")


def test_the_national_interface_refuses_a_30_mb_body(gj, client, hospital):
    raw = b'{"infno": "9101", "input": {"fsUploadIn": {"in": "' + b"A" * (30 * 1024 * 1024) + b'"}}}'
    r = client.post("/fsi/api/rsfComIfsService/callService", content=raw, headers={"content-type": "application/json"})
    assert refused(r, 413, "E_TOO_LARGE")["detail"]["max_bytes"] == guard.NHSA_CAP


def test_the_roster_upload_page_has_its_own_documented_larger_cap():
    from gongji.services.resident import roster

    assert guard.cap_for("/staff/resident/roster") > roster.MAX_FILE_BYTES > guard.DEFAULT_CAP
    assert guard.cap_for("/api/persons") == guard.DEFAULT_CAP


# --- amounts of the national interface are yuan with two decimals [nhsa] -------------------------------


def _pre(hospital, gj, patient, mdtrt_id: str, medfee: Any, **parts: Any) -> dict[str, Any]:
    data = hospital.settle_input(
        psn_no=str(patient),
        mdtrt_id=mdtrt_id,
        insutype="310",
        certno=S.person_cert(gj, patient),
        medfee_fen=100_00,
        acct_used_flag="0",
    )["data"]
    data["medfee_sumamt"] = medfee
    data.update(parts)
    return hospital.call("2206", {"data": data})


def test_2206_reads_plain_numbers_and_texts_as_yuan_exactly(gj, hospital, patient):
    mdtrt_id = N.open_visit(hospital, gj, patient)
    as_numbers = _pre(hospital, gj, patient, mdtrt_id, 12, fulamt_ownpay_amt=2, inscp_scp_amt=10)
    assert as_numbers["infcode"] == 0, as_numbers
    parts = parts_of(as_numbers["output"]["setlinfo"])
    assert parts["fulamt_ownpay_amt"] == 2_00 and parts["inscp_scp_amt"] == 10_00  # not 0.02 / 0.10
    as_texts = _pre(hospital, gj, patient, mdtrt_id, "12.00", fulamt_ownpay_amt="2.00", inscp_scp_amt=10.0)
    assert parts_of(as_texts["output"]["setlinfo"]) == parts


@pytest.mark.parametrize(
    ("medfee", "part"), [(12.001, 2), ("12.001", "2"), (12, "2.001"), (12, "两元"), (12, {"a": 1}), (12, True)]
)
def test_2206_refuses_a_third_decimal_or_a_non_amount(gj, hospital, patient, medfee, part):
    mdtrt_id = N.open_visit(hospital, gj, patient)
    answer = _pre(hospital, gj, patient, mdtrt_id, medfee, fulamt_ownpay_amt=part, inscp_scp_amt=10)
    assert answer["infcode"] == -1 and answer["err_code"] == "E_VALIDATION", answer


# --- the database is down ---------------------------------------------------------------------------


def test_a_database_that_cannot_be_reached_is_503_E_UNAVAILABLE(gj, clock, tmp_path):
    from gongji.bootstrap import bootstrap
    from tests.conftest import _settings

    url = "postgresql+psycopg://postgres@127.0.0.1:9/none" if gj.engine.dialect.name == "postgresql" else None
    url = url or f"sqlite:///{tmp_path}/dir-not-a-db/"
    down = bootstrap(_settings(url), clock=clock)
    with TestClient(create_app(down), raise_server_exceptions=False) as c:
        r = c.post("/api/auth/login", json={"username": "a", "password": "b"})
        refused(r, 503, "E_UNAVAILABLE")
        assert r.headers["retry-after"].isdigit()
    down.engine.dispose()


def test_after_postgresql_drops_every_connection_the_next_requests_succeed(pg, clock):
    """Burst-free recovery: the pool tests a connection before handing it out (pool_pre_ping), so
    the dead connections a restart leaves behind never reach a request (PostgreSQL only: SQLite
    has no server to restart)."""
    import psycopg

    from gongji.bootstrap import bootstrap
    from tests.conftest import _settings, need

    need(pg is not None, "PostgreSQL 15 is not installed (make services)")
    admin = f"postgresql://postgres@127.0.0.1:{pg.port}/postgres"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute('CREATE DATABASE "recovery" TEMPLATE gongji_template')
    app = bootstrap(_settings(f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/recovery"), clock=clock)
    office = S.staff(app, ["620000"], username="staff_gs")
    patient = S.employee(app, office, region="620702", income_fen=100)
    with TestClient(create_app(app), raise_server_exceptions=False) as client:
        staff = login(client, "staff_gs")
        for _ in range(3):
            assert client.get(f"/api/persons/{patient}", headers=staff).status_code == 200
        with psycopg.connect(admin, autocommit=True) as c:
            killed = c.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'recovery'"
            ).fetchone()
        assert killed and killed[0] >= 1
        statuses = [client.get(f"/api/persons/{patient}", headers=staff).status_code for _ in range(15)]
    app.engine.dispose()
    assert statuses == [200] * 15


# --- the OpenAPI says what a refusal looks like -------------------------------------------------------


def test_every_operation_documents_the_error_body_the_server_sends(gj, client):
    spec = client.get("/openapi.json").json()
    ref = "#/components/schemas/ErrorBody"
    assert set(spec["components"]["schemas"]["ErrorBody"]["required"]) == {"code", "message", "message_en"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "404", "409", "413", "422", "429", "503"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": ref}, (method, path, status)
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # FastAPI's 422 body is never sent
